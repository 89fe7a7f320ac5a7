"""Beam rows in and out of veilwatch's stages: the schemas Beam YAML sees, and the conversions.

Beam YAML works on schema'd PCollections (``beam.Row``). The stages work on
batches (:class:`~veilwatch.transforms.io.sources.RawBatch`,
:class:`~veilwatch.transforms.anonymize.AnonymizedBatch`), window metrics and scored
windows; this module turns one into the other and holds no logic of its own.

In: a row is one record, either its JSON text in one field (``json_field``,
e.g. ``line`` from ``ReadFromText``) or the row itself (its fields, nested rows
included, are the record's, as from ``ReadFromJson``, ``ReadFromAvro`` or
``Create``). Each gets the reference ``beam_yaml#<batch>-<n>`` (a row has no
position of its own; the batch id keeps references unique), which dead
letters and findings quote instead of any content.

Out (the row schemas below):

* anonymized: ``record`` (the de-identified record as JSON text, nested
  structure kept), ``event_time`` (seconds since the epoch) and ``findings``
  (the ``field`` and ``info_type`` of each finding in its scanned text);
* dead letters: ``stage``, ``error``, ``source``, ``record`` (the redacted
  record as JSON text, null when it could not be parsed) as in
  ``dead_letter/``, and ``event_time`` when the redacted record still carries
  a readable one (the dead-letter rate metric counts it);
* findings: as ``findings/`` (``source``, ``field``, ``start``, ``end``,
  ``info_type``, ``likelihood``), never the value;
* window metrics: ``metric``, ``group_by``, ``group``, ``window_start``,
  ``window_end`` (seconds), ``value``, ``detail``, ``series_key``;
* scored windows: the fields of ``scores/`` and ``flagged_windows/``
  (``window_start`` and ``window_end`` as ISO-8601 text).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Optional

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.typehints.row_type import RowTypeConstraint
from apache_beam.utils.timestamp import Timestamp

from veilwatch.transforms.config.model import DatasetConfig, SourceFormat
from veilwatch.transforms.elements import AnonymizedBatch, RawBatch, RawItem, WindowMetric
from veilwatch.transforms.io.bigquery import (
    DEAD_LETTER_SCHEMA,
    FINDINGS_SCHEMA,
    WINDOW_SCHEMA,
    dead_letter_row,
    finding_row,
)
from veilwatch.transforms.io.sinks import to_json_line
from veilwatch.transforms.io.sources import json_ready_item
from veilwatch.transforms.records.event_time import EventTimeParser
from veilwatch.transforms.records.parse import parse_line

REF_PREFIX = "beam_yaml"
_BIGQUERY_TYPES = {"STRING": str, "FLOAT64": float, "INT64": int, "BOOL": bool, "TIMESTAMP": str}


def _from_bigquery(schema: dict, *extra: tuple[str, Any]) -> RowTypeConstraint:
    """The row type of a BigQuery table schema of :mod:`veilwatch.transforms.io.bigquery` (one shape for both)."""
    fields = [
        (
            f["name"],
            _BIGQUERY_TYPES[f["type"]]
            if f.get("mode") == "REQUIRED"
            else Optional[_BIGQUERY_TYPES[f["type"]]],
        )
        for f in schema["fields"]
    ]
    return RowTypeConstraint.from_fields(fields + list(extra))


FINDING_REF_ROW = RowTypeConstraint.from_fields([("field", str), ("info_type", str)])
ANONYMIZED_ROW = RowTypeConstraint.from_fields(
    # a row type is a value that Beam reads as a type: mypy cannot see it as one
    [("record", str), ("event_time", float), ("findings", Sequence[FINDING_REF_ROW])]  # type: ignore[valid-type]
)
DEAD_LETTER_ROW = _from_bigquery(DEAD_LETTER_SCHEMA, ("event_time", Optional[float]))
FINDING_ROW = _from_bigquery(FINDINGS_SCHEMA)
# Annotated: from_fields declares `type` fields, which typing.Optional[...] is not (to mypy).
_WINDOW_METRIC_FIELDS: list[tuple[str, Any]] = [
    ("metric", str),
    ("group_by", Optional[str]),
    ("group", Optional[str]),
    ("window_start", float),
    ("window_end", float),
    ("value", float),
    ("detail", Optional[str]),
    ("series_key", str),
]
WINDOW_METRIC_ROW = RowTypeConstraint.from_fields(_WINDOW_METRIC_FIELDS)
SCORE_ROW = _from_bigquery(WINDOW_SCHEMA)


def field_names(pcoll: beam.PCollection) -> list[str] | None:
    """The field names of a PCollection's row type, or None when it declares none."""
    element_type = pcoll.element_type
    if isinstance(element_type, RowTypeConstraint):
        return [name for name, _ in element_type._fields]
    return None


# ---------------------------------------------------------------- rows in -> RawBatch


def row_to_record(row: Any) -> Any:
    """A row (nested rows, lists and maps included) -> plain dicts and lists; a Beam Timestamp
    becomes a UTC datetime, which the record's JSON form then writes as ISO-8601 text."""
    if hasattr(row, "_asdict"):
        return {key: row_to_record(value) for key, value in row._asdict().items()}
    if isinstance(row, dict):
        return {key: row_to_record(value) for key, value in row.items()}
    if isinstance(row, (list, tuple)):
        return [row_to_record(value) for value in row]
    if isinstance(row, Timestamp):
        return row.to_utc_datetime(has_tz=True)
    return row


class RowsToRawBatchFn(beam.DoFn):
    """A list of rows -> one RawBatch of the records they hold (JSON text or the row itself)."""

    def __init__(self, json_field: str | None, max_record_bytes: int):
        self.json_field = json_field
        self.max_record_bytes = max_record_bytes
        self.records_read = Metrics.counter("veilwatch", "records_read")

    def process(self, rows: list) -> Iterator[RawBatch]:
        batch_id = uuid.uuid4().hex[:12]
        items = tuple(self._item(f"{REF_PREFIX}#{batch_id}-{i}", row) for i, row in enumerate(rows))
        self.records_read.inc(len(items))
        yield RawBatch(SourceFormat.JSONL if self.json_field else SourceFormat.AVRO, items)

    def _item(self, ref: str, row: Any) -> RawItem:
        if self.json_field is None:
            return json_ready_item(ref, row_to_record(row))
        text = getattr(row, self.json_field, None)
        if isinstance(text, str):
            text = text.encode("utf-8", "surrogatepass")
        if not isinstance(text, (bytes, bytearray)):
            return RawItem(ref, None, 0, f"field {self.json_field} holds no JSON text")
        if len(text) > self.max_record_bytes:  # the message a JSONL file's oversized line gets
            return RawItem(
                ref, None, len(text), f"record larger than max_record_bytes ({self.max_record_bytes})"
            )
        return RawItem(ref, bytes(text), len(text))


# ---------------------------------------------------------------- stage outputs -> rows out


def anonymized_rows(batch: AnonymizedBatch) -> Iterator[beam.Row]:
    findings = batch.findings or (frozenset(),) * len(batch.records)
    for record, event_time, found in zip(batch.records, batch.event_times, findings, strict=True):
        yield beam.Row(
            record=to_json_line(record),
            event_time=float(event_time),
            findings=[beam.Row(field=field, info_type=info_type) for field, info_type in sorted(found)],
        )


class DeadLetterRowsFn(beam.DoFn):
    """A batch's dead letters -> rows, each with the event time its redacted record still carries."""

    def __init__(self, config: DatasetConfig):
        self.event_time_spec = config.event_time

    def setup(self) -> None:
        self.event_time = EventTimeParser(self.event_time_spec)

    def process(self, dead_letters: list[dict]) -> Iterator[beam.Row]:
        for dead in dead_letters:
            row = dead_letter_row(dead)
            yield beam.Row(
                **{name: row.get(name) for name, _ in DEAD_LETTER_ROW._fields[:-1]},
                event_time=self._event_time(dead.get("record")),
            )

    def _event_time(self, record: Any) -> float | None:
        if not isinstance(record, dict):
            return None
        try:
            return float(self.event_time(record))
        except Exception:  # noqa: BLE001 - the redactor kept no readable event time
            return None


def finding_rows(findings: list[dict]) -> Iterator[beam.Row]:
    for finding in findings:
        row = finding_row(finding)
        yield beam.Row(**{name: row.get(name) for name, _ in FINDING_ROW._fields})


def metric_row(m: WindowMetric) -> beam.Row:
    return beam.Row(
        metric=m.metric,
        group_by=m.group_by,
        group=m.group,
        window_start=float(m.window_start),
        window_end=float(m.window_end),
        value=float(m.value),
        detail=m.detail,
        series_key=m.series_key,
    )


def score_row(scored: dict) -> beam.Row:
    values = {name: scored.get(name) for name, _ in SCORE_ROW._fields}
    for name in ("observed", "expected", "spread", "score", "threshold"):
        value = values[name]
        if value is not None:
            values[name] = float(value)
    return beam.Row(**values)


# ---------------------------------------------------------------- rows back into the stages' elements


def window_metric(row: Any) -> WindowMetric:
    return WindowMetric(
        row.metric,
        row.group_by,
        row.group,
        float(row.window_start),
        float(row.window_end),
        float(row.value),
        row.detail,
    )


ANONYMIZED, DEAD_LETTER = "anonymized", "dead_letter"


def to_anonymized_batch(tagged_rows: Iterable[tuple[str, Any]]) -> AnonymizedBatch:
    """(tag, row) pairs of anonymized and dead-letter rows -> one AnonymizedBatch, as
    :class:`~veilwatch.transforms.anonymize.AnonymizeBatchFn` makes them (records, times, findings, dead-letter times)."""
    records, times, findings, dead_times = [], [], [], []
    for tag, row in tagged_rows:
        if tag == ANONYMIZED:
            records.append(parse_line(row.record.encode("utf-8", "surrogatepass")))
            times.append(float(row.event_time))
            findings.append(frozenset((f.field, f.info_type) for f in (row.findings or ())))
        elif row.event_time is not None:
            dead_times.append(float(row.event_time))
    return AnonymizedBatch(tuple(records), tuple(times), tuple(findings), tuple(dead_times))
