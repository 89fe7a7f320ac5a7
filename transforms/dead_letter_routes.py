"""Failures after de-identification, as dead letters in the one shape (:mod:`veilwatch.transforms.deadletter`).

    failed = write_result.failed_rows_with_errors           # (table, row, errors) per refused row
    dead = failed | FailedRowsToDeadLetters(config, "my-project:veilwatch.payments", anonymized=True)
    late = window_metrics.too_late                          # TooLatePartial
    dead = late | TooLateToDeadLetters(config)

Two outputs used to be built and dropped: the rows BigQuery's streaming
inserts refused for good, and the records too late for their window's metrics.
Both now end in the dead letter, one element per batch of dead letters
(``list[dict]``, as the anonymizer's), and each is counted in a Beam counter of
the ``veilwatch`` namespace (``dead_letters_<stage>``). Both happen in streaming
only (a batch load job loads or fails the run; a bounded input has no late
data), where there is no run_summary.json: the counters are where they count.

What they carry, and what they never carry:

- ``bigquery_insert``: the table, and per error BigQuery's ``reason``
  (``invalid``, ``stopped`` ...) and the column it names when that is a column of
  the table's schema. BigQuery's ``message`` is never copied: it may quote the
  refused value. ``record`` is the row redacted by
  :class:`~veilwatch.transforms.deadletter.DeadLetterRedactor` (anonymized rows, read back
  into the record's shape), or the row itself for veilwatch's own outputs (flagged
  windows, scores, findings, dead letters), which carry no original value.
- ``too_late``: the window and how many records of it came after it closed; the
  records themselves were anonymized and written like any other, only left out
  of the window's metrics. No series key or group value (a group is data).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

from veilwatch.transforms.config.model import DatasetConfig
from veilwatch.transforms.deadletter import DeadLetterRedactor, make_dead_letter
from veilwatch.transforms.elements import DeadLetter, TooLatePartial
from veilwatch.transforms.records.paths import column_name, is_simple, parse_path

BIGQUERY_INSERT_STAGE = "bigquery_insert"
TOO_LATE_STAGE = "too_late"


def stage_counter(stage: str):
    """The Beam counter of dead letters of one stage: ``veilwatch/dead_letters_<stage>``."""
    return Metrics.counter("veilwatch", f"dead_letters_{stage}")


class _FailedRowFn(beam.DoFn):
    def __init__(self, config: DatasetConfig, table: str, columns: tuple[str, ...], anonymized: bool):
        self.config = config
        self.table = table
        self.columns = frozenset(columns)
        self.anonymized = anonymized
        self.counter = stage_counter(BIGQUERY_INSERT_STAGE)

    def setup(self) -> None:
        self.redactor = DeadLetterRedactor(self.config)
        # column -> the record path it was flattened from (list paths are JSON text: not read back)
        self.paths = {
            column_name(f.path): parse_path(f.path) for f in self.config.fields if "[]" not in f.path
        }

    def process(self, element: tuple) -> Iterator[list[DeadLetter]]:
        _, row, errors = element
        self.counter.inc()
        record = self.redactor.redact(self._as_record(row)) if self.anonymized else _plain(row)
        yield [make_dead_letter(BIGQUERY_INSERT_STAGE, self._error(errors), f"bigquery:{self.table}", record)]

    def _error(self, errors: Any) -> str:
        causes = []
        for error in errors if isinstance(errors, list) else []:
            if not isinstance(error, dict):
                continue
            reason = error.get("reason")
            cause = reason if isinstance(reason, str) and reason.isidentifier() else "unknown"
            location = error.get("location")
            if isinstance(location, str) and location in self.columns:
                cause += f" (column {location})"
            if cause not in causes:
                causes.append(cause)
        return f"BigQuery refused the row for table {self.table}: {', '.join(causes) or 'no reason given'}"

    def _as_record(self, row: Any) -> dict:
        """The flat row back in the record's nested shape, so the redactor knows its fields."""
        record: dict = {}
        for column, value in row.items() if isinstance(row, dict) else ():
            path = self.paths.get(column)
            if path is None or not is_simple(path):
                continue
            node = record
            for segment in path[:-1]:
                node = node.setdefault(segment.name, {})
            node[path[-1].name] = value
        return record


def _plain(row: Any) -> dict | None:
    """A veilwatch output row as JSON values (its TIMESTAMP columns may be datetimes)."""
    if not isinstance(row, dict):
        return None
    return {k: v.isoformat() if isinstance(v, (dt.datetime, dt.date)) else v for k, v in row.items()}


class FailedRowsToDeadLetters(beam.PTransform):
    """PCollection[(table, row, errors)] (WriteToBigQuery's ``failed_rows_with_errors``)
    -> PCollection[list[dict]] of ``bigquery_insert`` dead letters.

    ``anonymized``: the rows are anonymized records (flattened by
    :func:`~veilwatch.transforms.io.output_schema.flatten`), redacted as any record is.
    """

    def __init__(self, config: DatasetConfig, table: str, schema: dict[str, Any], anonymized: bool = False):
        super().__init__()
        self.config = config
        self.table = table
        self.columns = tuple(f["name"] for f in schema["fields"])
        self.anonymized = anonymized

    def expand(self, failed: beam.PCollection) -> beam.PCollection:
        return failed | "ToDeadLetters" >> beam.ParDo(
            _FailedRowFn(self.config, self.table, self.columns, self.anonymized)
        )


class _TooLateFn(beam.DoFn):
    def __init__(self, lateness_seconds: float):
        self.lateness = lateness_seconds
        self.counter = stage_counter(TOO_LATE_STAGE)

    def process(self, element: TooLatePartial) -> Iterator[list[DeadLetter]]:
        start, end, records = element.window_start, element.window_end, element.records
        self.counter.inc(records)
        error = (
            f"{records} record(s) of the window {_utc(start)} to {_utc(end)} arrived after it closed "
            f"(allowed lateness {self.lateness:g}s): anonymized and written, not counted in its metrics"
        )
        yield [make_dead_letter(TOO_LATE_STAGE, error, None, None)]


def _utc(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat().replace("+00:00", "Z")


class TooLateToDeadLetters(
    beam.PTransform[beam.PCollection[TooLatePartial], beam.PCollection[list[DeadLetter]]]
):
    """PCollection[TooLatePartial] (ComputeWindowMetrics' ``too_late``)
    -> PCollection[list[dict]] of ``too_late`` dead letters, one per dropped partial."""

    def __init__(self, config: DatasetConfig):
        super().__init__()
        self.lateness = config.window.allowed_lateness_seconds

    def expand(self, too_late: beam.PCollection[TooLatePartial]) -> beam.PCollection[list[DeadLetter]]:
        return too_late | "ToDeadLetters" >> beam.ParDo(_TooLateFn(self.lateness))
