"""Per time bucket counts for the run summary's ``timeline`` (what the report plots over time).

Each anonymized batch adds, per bucket of its records' event times, the records
anonymized, those with a PII finding, and the dead-lettered records that had a
readable event time. Keys are ``timeline|<bucket start, epoch seconds>|<what>``
so that they sum with the run's other counts; :func:`timeline_entries` turns
them into the summary's list. Only counts and times: no value of a record.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from veilwatch.transforms.config.model import WindowSpec
from veilwatch.transforms.records.event_time import to_iso
from veilwatch.transforms.windows.assign import window_step_seconds

PREFIX = "timeline|"
_DEFAULT_BUCKET_SECONDS = 3600.0  # session windows have no fixed size: bucket by hour


def bucket_seconds(windowing: WindowSpec) -> float:
    """The run's window size (a sliding window's period), else an hour."""
    return float(window_step_seconds(windowing) or _DEFAULT_BUCKET_SECONDS)


class TimelineCounts:
    """AnonymizedBatch -> {``timeline|start|records``: n, ...|with_findings, ...|dead_lettered}."""

    def __init__(self, bucket: float):
        self.bucket = bucket

    def _start(self, seconds: float) -> int:
        return int(seconds // self.bucket * self.bucket)

    def __call__(self, batch: Any) -> dict[str, int]:
        # Counted per bucket start first; each key's text is made once per bucket, not once per record.
        records: Counter = Counter()
        with_findings: Counter = Counter()
        bucket = self.bucket
        findings = batch.findings or ((),) * len(batch.event_times)
        for seconds, found in zip(batch.event_times, findings, strict=True):
            if seconds is None:
                continue
            start = int(seconds // bucket * bucket)
            records[start] += 1
            if found:
                with_findings[start] += 1
        dead_lettered = Counter(self._start(seconds) for seconds in batch.dead_letter_times)
        counts: dict[str, int] = {}
        for what, per_start in (
            ("records", records),
            ("with_findings", with_findings),
            ("dead_lettered", dead_lettered),
        ):
            for start, n in per_start.items():
                counts[f"{PREFIX}{start}|{what}"] = n
        return counts


def timeline_entries(counts: dict[str, int]) -> list[dict[str, Any]]:
    """The summary's ``timeline``: one entry per bucket, in time order."""
    buckets: dict[int, dict[str, Any]] = {}
    for key, value in counts.items():
        if not key.startswith(PREFIX):
            continue
        _, start, what = key.split("|", 2)
        entry = buckets.setdefault(
            int(start), {"start": to_iso(int(start)), "records": 0, "with_findings": 0, "dead_lettered": 0}
        )
        entry[what] = value
    return [buckets[s] for s in sorted(buckets)]
