"""Overlap resolution: one span per stretch of text.

Findings are taken by decreasing likelihood, then decreasing length, then
catalog order (``rank``, lower first), then position; a finding is kept when it
overlaps none kept before. The result is sorted by start. This is what
makes a valid card number beat the phone number that its digits also form,
and an e-mail address beat the domain name inside it.
"""
from __future__ import annotations

from transforms.detection.findings import Finding


def resolve_overlaps(findings: list[Finding], rank: dict[str, int]) -> list[Finding]:
    """Non-overlapping findings sorted by start (see module docstring for the order)."""
    if len(findings) < 2:
        return findings
    ordered = sorted(
        findings,
        key=lambda f: (-f.likelihood, f.start - f.end, rank.get(f.info_type, 1 << 20), f.start),
    )
    kept: list[Finding] = []
    for finding in ordered:
        start, end = finding.start, finding.end
        for other in kept:
            if start < other.end and other.start < end:
                break
        else:
            kept.append(finding)
    kept.sort(key=lambda f: f.start)
    return kept
