"""Rows in and out of the Beam YAML transforms (transforms/beam_yaml/rows.py), without a pipeline."""

from __future__ import annotations

import datetime as dt
import json

import apache_beam as beam
from apache_beam.utils.timestamp import Timestamp

from veilwatch.transforms.beam_yaml.params import dataset_config
from veilwatch.transforms.beam_yaml.rows import (
    DEAD_LETTER_ROW,
    SCORE_ROW,
    DeadLetterRowsFn,
    RowsToRawBatchFn,
    anonymized_rows,
    row_to_record,
    to_anonymized_batch,
)
from veilwatch.transforms.elements import AnonymizedBatch

CONFIG = {
    "dataset": "visits",
    "schema": {
        "fields": [{"name": "ts", "type": "timestamp", "required": True}, {"name": "email", "type": "string"}]
    },
    "event_time": {"field": "ts"},
    "windowing": {"type": "fixed", "size": "1h"},
    "metrics": [{"name": "record_count", "type": "count"}],
}


def _items(fn: RowsToRawBatchFn, rows: list) -> list:
    (batch,) = fn.process(rows)
    return list(batch.items)


def test_json_text_in_a_field_becomes_a_line_and_an_oversized_or_missing_one_a_read_error():
    items = _items(
        RowsToRawBatchFn("line", 16),
        [beam.Row(line='{"a": 1}'), beam.Row(line="x" * 17), beam.Row(line=None)],
    )
    assert [(i.payload, i.error) for i in items] == [
        (b'{"a": 1}', None),
        (None, "record larger than max_record_bytes (16)"),
        (None, "field line holds no JSON text"),
    ]
    refs = [i.ref for i in items]
    assert len(set(refs)) == 3
    assert all(r.startswith("beam_yaml#") for r in refs)


def test_a_row_of_the_dataset_schema_is_the_record_nested_rows_and_timestamps_included():
    row = beam.Row(
        ts=Timestamp.of(1793577600), customer=beam.Row(email="a@example.org", tags=["x"]), note=None
    )
    (item,) = _items(RowsToRawBatchFn(None, 100), [row])
    assert item.error is None
    assert item.payload == {
        "ts": dt.datetime(2026, 11, 2, tzinfo=dt.UTC),
        "customer": {"email": "a@example.org", "tags": ["x"]},
        "note": None,
    }
    assert row_to_record([beam.Row(a=1)]) == [{"a": 1}]


def test_anonymized_rows_round_trip_into_the_batch_the_metrics_take():
    batch = AnonymizedBatch(
        ({"email": "[EMAIL_ADDRESS]", "n": 10**20}, {"email": None}),
        (1.0, 2.0),
        (frozenset({("email", "EMAIL_ADDRESS")}), frozenset()),
    )
    rows = list(anonymized_rows(batch))
    assert [json.loads(r.record) for r in rows] == list(batch.records)
    assert [[(f.field, f.info_type) for f in r.findings] for r in rows] == [[("email", "EMAIL_ADDRESS")], []]
    dead = beam.Row(stage="validate", error="e", source="s", record=None, event_time=3.0)
    unreadable = beam.Row(stage="parse", error="e", source="s", record=None, event_time=None)
    back = to_anonymized_batch(
        [("anonymized", r) for r in rows] + [("dead_letter", dead), ("dead_letter", unreadable)]
    )
    assert back == AnonymizedBatch(batch.records, batch.event_times, batch.findings, (3.0,))


def test_a_dead_letter_row_carries_the_event_time_its_redacted_record_kept():
    fn = DeadLetterRowsFn(dataset_config(None, CONFIG))
    fn.setup()
    rows = list(
        fn.process(
            [
                {
                    "stage": "validate",
                    "error": "bad",
                    "source": "r1",
                    "record": {"ts": "2026-11-02T00:30:00Z", "email": "[REDACTED]"},
                },
                {"stage": "parse", "error": "bad", "source": "r2", "record": None},
                {"stage": "validate", "error": "bad", "source": "r3", "record": {"ts": "[REDACTED]"}},
            ]
        )
    )
    assert [r.event_time for r in rows] == [1793579400.0, None, None]
    assert json.loads(rows[0].record) == {"ts": "2026-11-02T00:30:00Z", "email": "[REDACTED]"}
    assert [name for name, _ in DEAD_LETTER_ROW._fields] == [
        "stage",
        "error",
        "source",
        "record",
        "event_time",
    ]


def test_score_rows_have_the_fields_of_the_scores_output():
    assert [name for name, _ in SCORE_ROW._fields][:4] == ["dataset", "series_key", "metric", "group_by"]
    assert "is_anomaly" in dict(SCORE_ROW._fields)
    assert "explanation" in dict(SCORE_ROW._fields)
