"""The element types that travel between the stages of a veilwatch pipeline.

Every PCollection the composites hand each other holds one of these: raw
batches as read, de-identified batches, metric partials and their merged
window metrics, scored windows and dead letters. They live in this one leaf
module, which imports nothing of veilwatch, so that any layer (engines,
records, io, composites, pipelines) can name them without importing the stage
that builds them (``tests/test_layering.py`` keeps it that way).

Records are NamedTuples or frozen dataclasses, read by field name, never by
position. Two shapes are written out as JSON as they are (a scored window is a
flagged-window line, a dead letter a dead-letter line: see README), so they are
``TypedDict`` s: a plain dict at run time (the written JSON and the coders are
unchanged), a named, typed shape for readers and mypy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple, TypedDict


class RawItem(NamedTuple):
    """One record as read: ``payload`` is bytes (a JSONL line) or a mapping
    (CSV, Avro, Parquet row); ``error`` says why it could not be read whole.

    A named tuple, not a dataclass: one is built per record read, and a tuple is built fast."""

    ref: str
    payload: Any
    size: int
    error: str | None = None


class FileError(NamedTuple):
    """A file (or a JSONL byte range of one) that could not be read, or not to its end.

    ``reason`` is worded by veilwatch (never an exception's message, which may quote
    content); ``records_before`` records of the file were read and emitted before the
    failure and are processed as usual."""

    path: str
    reason: str
    records_before: int


@dataclass(frozen=True)
class RawBatch:
    """Up to ``batch_size`` records as read, of one source format.

    ``format`` is a ``config.model.SourceFormat`` (a ``str`` enum, named here by its base
    type so that this module imports nothing of ours)."""

    format: str
    items: tuple[RawItem, ...]
    # Files that failed while this batch was read: file-level dead letters, not records.
    file_errors: tuple[FileError, ...] = ()


@dataclass(frozen=True)
class AnonymizedBatch:
    """The de-identified records of one raw batch, with what window metrics need.

    findings: per record, the (field, infoType) pairs found in its scanned text.
    dead_letter_times: event times of the batch's dead-lettered records that had
        a readable one (for the dead-letter rate); such a batch may hold no record.
    """

    records: tuple[dict, ...]
    event_times: tuple[float, ...]
    findings: tuple[frozenset, ...] = ()
    dead_letter_times: tuple[float, ...] = ()


class SeriesId(NamedTuple):
    """One metric series: the metric, and the group (by ``group_by``) it counts, if any."""

    metric: str
    group_by: str | None
    group: str | None


def series_key(metric: str, group_by: str | None, group: str | None) -> str:
    """A series' name in scores, flagged windows and reports: ``metric`` or ``metric[field=group]``."""
    return metric if group_by is None else f"{metric}[{group_by}={group}]"


class WindowPartial(NamedTuple):
    """A metric's partial aggregate over ``records`` records of one window of one series
    (built on the worker, merged across batches by the metric's calculator)."""

    window_start: float
    window_end: float
    partial: Any
    records: int


class TooLatePartial(NamedTuple):
    """A partial the lateness gate dropped: its window had closed (streaming only)."""

    series: SeriesId
    window_start: float
    window_end: float
    records: int


@dataclass(frozen=True)
class WindowMetric:
    """The value of one metric in one event-time window of one series."""

    metric: str
    group_by: str | None
    group: str | None
    window_start: float
    window_end: float
    value: float
    detail: str | None = None  # e.g. the heavy hitter's (de-identified) value

    @property
    def series_key(self) -> str:
        return series_key(self.metric, self.group_by, self.group)


class ScoredWindow(TypedDict):
    """One scored window of one series: a flagged-windows line (README "Flagged windows").

    Bounds, values, verdict and explanation; never a raw value."""

    dataset: str
    series_key: str
    metric: str
    group_by: str | None
    group: str | None
    window_start: str  # ISO-8601
    window_end: str
    observed: float
    detail: str | None
    expected: float | None
    spread: float | None
    score: float | None
    direction: str | None  # "up", "down", or None without a score
    threshold: float
    is_anomaly: bool
    alert: bool  # False for an anomalous window inside its series' cooldown
    detector: str
    explanation: str


class DeadLetter(TypedDict):
    """One dead-letter line (see ``deadletter``): the stage, veilwatch's wording of the
    error, where the record came from, and its PII-free copy (None when unreadable)."""

    stage: str
    error: str
    source: str | None
    record: dict | None
