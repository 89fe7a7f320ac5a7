"""The statistics and schema files leave the pipeline without PII.

TFDV statistics list each text feature's most frequent values, and an inferred
schema lists the values of small text domains. The profiled fields are
de-identified or declared non-PII, but "a field that suddenly carries card
numbers" is exactly what this stage is meant to catch, so every such value is
scanned with the detection engine before it is written: findings are replaced
by ``[INFO_TYPE]`` in the statistics, and domain values holding a finding are
dropped from the schema (a later run then reports them as unexpected, which
they are).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

Scan = Callable[[str], Sequence[Any]]  # DetectionEngine.scan: findings with start, end, info_type


def redact_text(text: str, scan: Scan) -> str:
    """``text`` with every finding replaced by ``[INFO_TYPE]``."""
    findings = scan(text)
    if not findings:
        return text
    pieces, cursor = [], 0
    for finding in findings:  # sorted by start, non-overlapping
        pieces.append(text[cursor : finding.start])
        pieces.append(f"[{finding.info_type}]")
        cursor = finding.end
    pieces.append(text[cursor:])
    return "".join(pieces)


def redact_statistics(stats_list: Any, scan: Scan) -> None:
    """Replace findings in the top values and rank-histogram labels of every text feature (in place)."""
    for dataset in stats_list.datasets:
        for feature in dataset.features:
            if not feature.HasField("string_stats"):
                continue
            for top in feature.string_stats.top_values:
                top.value = redact_text(top.value, scan)
            for bucket in feature.string_stats.rank_histogram.buckets:
                bucket.label = redact_text(bucket.label, scan)


def redact_schema_domains(schema: Any, scan: Scan) -> None:
    """Drop domain values that hold a finding, from shared and inline string domains (in place)."""
    domains = list(schema.string_domain)
    domains += [f.string_domain for f in schema.feature if f.WhichOneof("domain_info") == "string_domain"]
    for domain in domains:
        kept = [value for value in domain.value if not scan(value)]
        if len(kept) != len(domain.value):
            del domain.value[:]
            domain.value.extend(kept)
