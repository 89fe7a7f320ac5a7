"""Failures after de-identification end in the dead letter (#16 item 4, #14 item 5).

- Rows BigQuery's streaming inserts refuse: the routing composite is fed a
  PCollection shaped like ``WriteToBigQuery``'s ``failed_rows_with_errors``
  (table, row, errors), as no BigQuery runs here.
- Records too late for their window: the whole streaming graph, fed by a
  TestStream, puts one ``too_late`` dead letter per dropped partial in the
  run's dead letters (before, the gate's ``too_late`` output was dropped).
"""

from __future__ import annotations

import json

import apache_beam as beam
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.test_stream import TestStream
from apache_beam.testing.util import assert_that, equal_to

from tests.pipeline.test_streaming_pipeline import (
    FILE_CUT,
    H,
    _records,
    _small_config,
    _Stream,
    _streaming_pipeline,
)
from veilwatch.pipelines.anonymize_pipeline import build_pipeline
from veilwatch.transforms.config_loading.loader import parse_config
from veilwatch.transforms.dead_letter_routes import FailedRowsToDeadLetters, TooLateToDeadLetters
from veilwatch.transforms.elements import SeriesId, TooLatePartial
from veilwatch.transforms.io.bigquery import WINDOW_SCHEMA, anonymized_table_schema
from veilwatch.transforms.io.output_schema import flatten

pytestmark = pytest.mark.pipeline

TABLE = "my-project:veilwatch.payments"
SECRET_EMAIL = "jane.roe@example.com"
SECRET_NOTE = "call Jane Roe on +44 20 7946 0958"


def _config():
    return parse_config(
        {
            "dataset": "d",
            "source": {
                "format": "pubsub",
                "pubsub": {"subscription": "projects/my-project/subscriptions/payments-in"},
            },
            "schema": {
                "fields": [
                    {"name": "id", "type": "string"},
                    {"name": "ts", "type": "timestamp"},
                    {"name": "customer.email", "type": "string"},
                    {"name": "amount", "type": "float"},
                    {"name": "note", "type": "string"},
                ]
            },
            "event_time": {"field": "ts", "format": "iso8601"},
            "pii": {
                "fields": [
                    {
                        "path": "customer.email",
                        "info_type": "EMAIL_ADDRESS",
                        "transformation": "replaceWithInfoTypeConfig",
                    }
                ],
                "scan_fields": ["note"],
            },
            "windowing": {"type": "fixed", "size": "1h"},
            "metrics": [{"name": "n", "type": "count"}],
            "sinks": {
                "bigquery": {
                    "anonymized_table": TABLE,
                    "flagged_windows_table": "my-project:v.flagged",
                    "dead_letter_table": "my-project:v.dead",
                    "findings_table": "my-project:v.findings",
                }
            },
        }
    )


def _failed(row: dict, errors: list) -> tuple:
    """One element of WriteToBigQuery's failed_rows_with_errors: (destination, row, errors)."""
    return ("my-project:veilwatch.payments", row, errors)


def test_refused_rows_become_redacted_dead_letters_with_reason_and_column():
    config = _config()
    # A row that slipped through with original values in its PII and free-text columns: the
    # dead letter must not carry them, nor BigQuery's message, which quotes the refused value.
    row = flatten(
        {
            "id": "t-1",
            "ts": "2026-11-27T10:00:00Z",
            "customer": {"email": SECRET_EMAIL},
            "amount": 12.5,
            "note": SECRET_NOTE,
        },
        config,
    )
    errors = [
        {
            "reason": "invalid",
            "location": "customer__email",
            "debugInfo": "",
            "message": f"Cannot convert value {SECRET_EMAIL} to a STRING(2)",
        },
        {"reason": "invalid", "location": SECRET_NOTE, "message": SECRET_NOTE},
        {"reason": "stopped", "location": "", "message": ""},
    ]
    with TestPipeline() as p:
        dead = (
            p
            | beam.Create([_failed(row, errors), _failed({"id": "t-2"}, [])])
            | FailedRowsToDeadLetters(config, TABLE, anonymized_table_schema(config), anonymized=True)
        )
        flat = dead | beam.FlatMap(lambda batch: batch)
        assert_that(flat | "Text" >> beam.Map(json.dumps), _no_secret, label="NoSecret")
        assert_that(
            flat,
            equal_to(
                [
                    {
                        "stage": "bigquery_insert",
                        "source": f"bigquery:{TABLE}",
                        "error": f"BigQuery refused the row for table {TABLE}: invalid (column customer__email), invalid, stopped",
                        "record": {
                            "id": "t-1",
                            "ts": "2026-11-27T10:00:00Z",
                            "customer": {"email": "[REDACTED]"},
                            "amount": 12.5,
                            "note": "[REDACTED]",
                        },
                    },
                    {
                        "stage": "bigquery_insert",
                        "source": f"bigquery:{TABLE}",
                        "error": f"BigQuery refused the row for table {TABLE}: no reason given",
                        "record": {"id": "t-2"},
                    },
                ]
            ),
            label="DeadLetters",
        )
    counters = p.result.metrics().query(MetricsFilter().with_name("dead_letters_bigquery_insert"))["counters"]
    assert sum(c.committed for c in counters) == 2


def _no_secret(texts):
    assert len(texts) == 2
    for text in texts:
        assert SECRET_EMAIL not in text, text
        assert "Jane" not in text, text
        assert "7946" not in text, text


def test_refused_window_rows_keep_the_row_which_holds_no_original_value():
    config = _config()
    row = {
        "dataset": "d",
        "series_key": "n",
        "metric": "n",
        "window_start": "2026-11-27T10:00:00Z",
        "observed": 4.0,
        "is_anomaly": True,
    }
    with TestPipeline() as p:
        dead = (
            p
            | beam.Create([("my-project:v.flagged", row, [{"reason": "invalid", "location": "observed"}])])
            | FailedRowsToDeadLetters(config, "my-project:v.flagged", WINDOW_SCHEMA)
        )
        assert_that(
            dead,
            equal_to(
                [
                    [
                        {
                            "stage": "bigquery_insert",
                            "source": "bigquery:my-project:v.flagged",
                            "record": row,
                            "error": "BigQuery refused the row for table my-project:v.flagged: invalid (column observed)",
                        }
                    ]
                ]
            ),
        )


def test_too_late_dead_letters_are_counted_in_records():
    # The streaming DirectRunner does not report counters reliably: the composite on a bounded run.
    config = _config()
    with TestPipeline() as p:
        dead = (
            p
            | beam.Create(
                [
                    TooLatePartial(SeriesId("n", None, None), 0.0, H, 3),
                    TooLatePartial(SeriesId("n", None, None), H, 2 * H, 1),
                ]
            )
            | TooLateToDeadLetters(config)
        )
        assert_that(dead | beam.Map(len), equal_to([1, 1]))
    counters = p.result.metrics().query(MetricsFilter().with_name("dead_letters_too_late"))["counters"]
    assert sum(c.committed for c in counters) == 4


def test_records_past_the_allowed_lateness_reach_the_dead_letter_counted(tmp_path):
    config = _small_config("1h", tmp_path)
    stream = (
        TestStream()
        .add_elements(_records(0, 4, "a") + _records(1, 2, "b"))
        .advance_watermark_to(2 * H)  # hours 0 and 1 fire
        .add_elements(_records(0, 1, "ok-late"))  # within the hour of lateness: counted in hour 0
        .advance_watermark_to(6 * H)  # hour 0 and hour 1 are past their lateness
        .add_elements(_records(0, 3, "too-late"))  # too late for hour 0: three records
        .add_elements(_records(1, 1, "too-late-b"))  # too late for hour 1: one record
        .advance_watermark_to(30 * H)
        .advance_processing_time(FILE_CUT)
        .advance_watermark_to_infinity()
    )
    with _streaming_pipeline() as p:
        out = build_pipeline(p, config, streaming=True, read=_Stream(stream, config))
        late = (
            out.dead_letters
            | "Flat" >> beam.FlatMap(lambda batch: batch)
            | "TooLate" >> beam.Filter(lambda d: d["stage"] == "too_late")
        )
        assert_that(
            late | "Shape" >> beam.Map(lambda d: (d["source"], d["record"], d["error"].split(" of ")[0])),
            equal_to([(None, None, "3 record(s)"), (None, None, "1 record(s)")]),
            label="TooLate",
        )
        assert_that(
            late | "Window" >> beam.Map(lambda d: d["error"].split(" arrived")[0].split("window ")[1]),
            equal_to(
                [
                    "1970-01-01T00:00:00Z to 1970-01-01T01:00:00Z",
                    "1970-01-01T01:00:00Z to 1970-01-01T02:00:00Z",
                ]
            ),
            label="Windows",
        )
    # the files sink holds them too (no dead_letter_table in this config)
    written = [
        json.loads(line)
        for path in (tmp_path / "dead_letter").rglob("part-*")
        for line in path.read_text().splitlines()
        if line.strip()
    ]
    assert sorted(d["error"].split(" of ")[0] for d in written if d["stage"] == "too_late") == [
        "1 record(s)",
        "3 record(s)",
    ]
