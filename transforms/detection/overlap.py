"""Overlap resolution: one span per stretch of text.

Findings are taken by decreasing likelihood, then decreasing length, then
catalog order (``rank``, lower first), then position; a finding is kept when it
overlaps none kept before. The result is sorted by start. This is what
makes a valid card number beat the phone number that its digits also form,
and an e-mail address beat the domain name inside it.

One exception comes first: a finding that lies wholly inside a STREET_ADDRESS
finding is taken after all others, whatever its likelihood (so it is dropped
while its address is kept, and kept where the address lost to something else). An address holds numbers shaped
like phone numbers (house number, postcode) and words the NER calls a person or
a place (``735 Lauren Falls Apt. 727``); taking the part would leave the rest of
the address in clear, while the address covers the part anyway.
"""

from __future__ import annotations

from veilwatch.transforms.detection.findings import Finding
from veilwatch.transforms.detection.intervals import Covering, DisjointSpans

#: infoTypes whose findings take every finding wholly inside them (see module docstring)
CONTAINER_TYPES = frozenset({"STREET_ADDRESS"})


def resolve_overlaps(findings: list[Finding], rank: dict[str, int]) -> list[Finding]:
    """Non-overlapping findings sorted by start (see module docstring for the order)."""
    if len(findings) < 2:
        return findings

    def key(f: Finding) -> tuple:
        return (-f.likelihood, f.start - f.end, rank.get(f.info_type, 1 << 20), f.start)

    containers = [(f.start, f.end) for f in findings if f.info_type in CONTAINER_TYPES]
    if containers:  # findings inside an address come last: only where their address did not survive
        covering = Covering(containers)
        rest: list[Finding] = []
        inside: list[Finding] = []
        for f in findings:
            contained = f.info_type not in CONTAINER_TYPES and covering.covers(f.start, f.end)
            (inside if contained else rest).append(f)
        ordered = sorted(rest, key=key) + sorted(inside, key=key)
    else:
        ordered = sorted(findings, key=key)
    kept: list[Finding] = []
    taken = DisjointSpans()
    for finding in ordered:
        if not taken.overlaps(finding.start, finding.end):
            taken.add(finding.start, finding.end)
            kept.append(finding)
    kept.sort(key=lambda f: f.start)
    return kept
