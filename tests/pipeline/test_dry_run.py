"""``veilwatch run --dry-run``: the graph for any runner, built offline, nothing run or written.

Also the BigQuery side, which cannot run here: the derived table schemas and
the wiring of BigQuery sources and sinks in the graph.
"""

from __future__ import annotations

import socket

import pytest
import yaml

from tests.conftest import run_cli
from tests.pipeline.helpers import example_config
from veilwatch.transforms.config_loading.loader import parse_config
from veilwatch.transforms.io.bigquery import (
    DEAD_LETTER_SCHEMA,
    WINDOW_SCHEMA,
    anonymized_table_schema,
    dead_letter_row,
)
from veilwatch.transforms.io.output_schema import flatten

pytestmark = pytest.mark.pipeline

DATAFLOW = ("--runner", "DataflowRunner", "--project", "p", "--region", "r", "--temp_location", "gs://b/t")


@pytest.fixture
def no_network(monkeypatch):
    """Any connection attempt fails the test (gRPC and HTTP clients all go through these)."""

    def refuse(*args, **kwargs):
        raise AssertionError("the dry run tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def _steps(out: str) -> list[str]:
    return [line.strip() for line in out.splitlines()[2:]]


def test_dry_run_for_dataflow_builds_the_graph_offline_and_writes_nothing(tmp_path, no_network, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = example_config(tmp_path, sinks={"output_dir": "gs://b/out/payments"})
    before = sorted(p.name for p in tmp_path.rglob("*"))
    result = run_cli(
        "run",
        "--dataset_config",
        config,
        "--input",
        "gs://b/in/*.jsonl",
        "--keyset",
        "gs://b/keys/payments.json",
        "--dry-run",
        *DATAFLOW,
    )
    assert result.code == 0, result.err
    assert "for DataflowRunner (batch)" in result.out
    steps = _steps(result.out)
    for step in (
        "Read",
        "MatchFiles",
        "Anonymize",
        "WriteAnonymized",
        "WriteDeadLetters",
        "WriteFindings",
        "WindowMetrics",
        "Score",
        "ScoreInEventTimeOrder",
        "WriteFlagged",
        "Finalize",  # FinalizeFiles: every .jsonl output renamed into place, then run_summary.json
    ):
        assert step in steps
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_dry_run_of_a_streaming_pubsub_to_bigquery_job(tmp_path, no_network):
    config = example_config(
        tmp_path,
        source={
            "format": "pubsub",
            "pubsub": {
                "subscription": "projects/my-project/subscriptions/payments-in",
                "event_time_attribute": "ts",
            },
        },
        sinks={
            "bigquery": {
                "anonymized_table": "my-project:veilwatch.payments",
                "flagged_windows_table": "my-project:veilwatch.flagged_windows",
                "dead_letter_table": "my-project:veilwatch.dead_letters",
                "findings_table": "my-project:veilwatch.findings",
            },
            "pubsub": {"alerts_topic": "projects/my-project/topics/veilwatch-alerts"},
            "output_dir": None,
        },
    )
    doc = yaml.safe_load(config.read_text())
    doc["source"].pop("path")
    doc["source"].pop("max_record_bytes")
    doc["sinks"].pop("output_dir")
    doc["sinks"].pop("anonymized_format")
    config.write_text(yaml.safe_dump(doc))
    result = run_cli(
        "run",
        "--dataset_config",
        config,
        "--keyset",
        "gs://b/keys/payments.json",
        "--streaming",
        "--dry-run",
        *DATAFLOW,
    )
    assert result.code == 0, result.err
    assert "(streaming)" in result.out
    steps = _steps(result.out)
    for step in (
        "ReadMessages",
        "ToRawBatches",
        "AnonymizedToBigQuery",
        "DeadLettersToBigQuery",
        "FindingsToBigQuery",
        "FlaggedToBigQuery",
        "AlertsToPubSub",
    ):
        assert step in steps
    # No file outputs, no run summary.
    assert not {"WriteAnonymized", "WriteDeadLetters", "WriteFindings", "WriteFlagged", "Summary"} & set(
        steps
    )

    # Without --streaming a Pub/Sub source is refused, naming what to do.
    result = run_cli("run", "--dataset_config", config, "--keyset", "gs://b/k.json", "--dry-run", *DATAFLOW)
    assert result.code == 2
    assert "--streaming" in result.err


def test_dry_run_of_a_bigquery_batch_job(tmp_path, no_network):
    config = example_config(
        tmp_path, source={"format": "bigquery", "bigquery": {"table": "my-project:raw.payments"}}
    )
    doc = yaml.safe_load(config.read_text())
    doc["source"] = {"format": "bigquery", "bigquery": {"table": "my-project:raw.payments"}}
    config.write_text(yaml.safe_dump(doc))
    result = run_cli(
        "run",
        "--dataset_config",
        config,
        "--keyset",
        "gs://b/k.json",
        "--output_dir",
        "gs://b/out",
        "--output_table",
        "my-project:veilwatch.payments",
        "--dry-run",
        *DATAFLOW,
    )
    assert result.code == 0, result.err
    steps = _steps(result.out)
    assert {"ReadRows", "Batch", "ToRawBatches", "AnonymizedToBigQuery", "WriteDeadLetters"} <= set(steps)
    assert "WriteAnonymized" not in steps


def test_remote_runners_refuse_launcher_local_paths(tmp_path, keyset_path):
    config = example_config(tmp_path)
    result = run_cli(
        "run",
        "--dataset_config",
        config,
        "--input",
        "gs://b/in/*.jsonl",
        "--output_dir",
        "gs://b/o",
        "--keyset",
        keyset_path,
        "--dry-run",
        *DATAFLOW,
    )
    assert result.code == 2
    assert "keys.keyset (--keyset)" in result.err
    assert "gs://" in result.err


def test_options_that_do_not_fit_the_source_are_refused(tmp_path):
    config = example_config(tmp_path)
    result = run_cli(
        "run",
        "--dataset_config",
        config,
        "--input_subscription",
        "projects/my-project/subscriptions/payments-in",
        "--dry-run",
    )
    assert result.code == 2
    assert "--input_subscription does not apply to source.format jsonl" in result.err


def _config(**sinks):
    return parse_config(
        {
            "dataset": "d",
            "source": {"format": "jsonl", "path": "x"},
            "schema": {
                "fields": [
                    {"name": "id", "type": "string"},
                    {"name": "ts", "type": "timestamp"},
                    {"name": "customer.email", "type": "string"},
                    {"name": "age", "type": "integer"},
                    {"name": "amount", "type": "float"},
                    {"name": "vip", "type": "boolean"},
                    {"name": "items[].sku", "type": "string"},
                    {"name": "extra", "type": "json"},
                    {"name": "zip", "type": "integer"},
                ]
            },
            "event_time": {"field": "ts"},
            "pii": {
                "fields": [
                    {
                        "path": "customer.email",
                        "info_type": "EMAIL_ADDRESS",
                        "transformation": "replaceWithInfoTypeConfig",
                    },
                    {
                        "path": "zip",
                        "info_type": "LOCATION",
                        "transformation": {"characterMaskConfig": {"numberToMask": 2}},
                    },
                ]
            },
            "sinks": {"output_dir": "o", **sinks},
        }
    )


def test_anonymized_table_schema_follows_the_schema_after_deidentification():
    schema = anonymized_table_schema(_config())
    assert schema == {
        "fields": [
            {"name": "id", "type": "STRING", "mode": "NULLABLE"},
            {"name": "ts", "type": "STRING", "mode": "NULLABLE"},  # timestamps keep their text form
            {"name": "customer__email", "type": "STRING", "mode": "NULLABLE"},
            {"name": "age", "type": "INT64", "mode": "NULLABLE"},
            {"name": "amount", "type": "FLOAT64", "mode": "NULLABLE"},
            {"name": "vip", "type": "BOOL", "mode": "NULLABLE"},
            {"name": "items__sku", "type": "STRING", "mode": "NULLABLE"},  # a list path: JSON text
            {"name": "extra", "type": "STRING", "mode": "NULLABLE"},
            {"name": "zip", "type": "STRING", "mode": "NULLABLE"},  # an integer before, a mask after
        ]
    }


def test_rows_fit_their_tables():
    config = _config()
    row = flatten(
        {
            "id": "a",
            "ts": "2026-11-27T10:00:00Z",
            "customer": {"email": "[EMAIL_ADDRESS]"},
            "age": 4,
            "amount": 2,
            "vip": True,
            "items": [{"sku": "x"}, {"sku": "y"}],
            "extra": {"k": 1},
            "zip": "***45",
        },
        config,
    )
    columns = {f["name"]: f["type"] for f in anonymized_table_schema(config)["fields"]}
    assert set(row) == set(columns)
    python = {"STRING": str, "INT64": int, "FLOAT64": float, "BOOL": bool}
    assert all(isinstance(v, python[columns[k]]) for k, v in row.items() if v is not None)
    dead = dead_letter_row(
        {"stage": "parse", "error": "e", "source": "pubsub:1", "record": {"a": "[REDACTED]"}}
    )
    assert set(dead) == {f["name"] for f in DEAD_LETTER_SCHEMA["fields"]}
    assert dead["record"] == '{"a":"[REDACTED]"}'


def test_window_table_has_a_column_for_every_key_of_scored_and_tfdv_records():
    # BigQuery load jobs refuse rows with fields the table does not have
    from veilwatch.transforms.anomaly.base import Verdict
    from veilwatch.transforms.anomaly.score import scored_record
    from veilwatch.transforms.data_validation.checks import flagged_record
    from veilwatch.transforms.metrics.window_metrics import WindowMetric

    verdict = Verdict(
        observed=12.0,
        expected=3.0,
        spread=1.0,
        score=9.0,
        threshold=5.0,
        is_anomaly=True,
        detector="robust_zscore",
        basis="trailing 24 windows",
    )
    scored = scored_record("d", WindowMetric("m", None, None, 0.0, 3600.0, 12.0), verdict)
    tfdv_flag = flagged_record("d", 0.0, 3600.0, "service", ["ENUM_TYPE_UNEXPECTED_STRING_VALUES"], None)
    columns = {f["name"] for f in WINDOW_SCHEMA["fields"]}
    assert set(scored) == columns
    assert set(tfdv_flag) == columns


@pytest.mark.parametrize(
    "sinks, key, message",
    [
        (
            {"bigquery": {"anonymized_table": "payments"}},
            "sinks.bigquery.anonymized_table",
            "PROJECT:DATASET.TABLE",
        ),
        ({"pubsub": {"alerts_topic": "alerts"}}, "sinks.pubsub.alerts_topic", "projects/PROJECT/topics/NAME"),
        ({"bigquery": {"anonymised_table": "p:d.t"}}, "sinks.bigquery.anonymised_table", "did you mean"),
    ],
)
def test_sink_targets_are_validated_with_their_key_path(sinks, key, message):
    from veilwatch.transforms.config.errors import ConfigError

    with pytest.raises(ConfigError) as exc:
        _config(**sinks)
    assert any(i.path == key and message in i.message for i in exc.value.issues), str(exc.value)


def test_source_keys_are_validated_with_their_key_path():
    from veilwatch.transforms.config.errors import ConfigError

    base = {
        "dataset": "d",
        "schema": {"fields": [{"name": "ts", "type": "timestamp"}]},
        "event_time": {"field": "ts", "format": "epoch_seconds"},
        "sinks": {"output_dir": "o"},
    }
    cases = [
        ({"format": "pubsub"}, "source.pubsub", "is required"),
        (
            {"format": "pubsub", "pubsub": {"subscription": "s"}},
            "source.pubsub.subscription",
            "projects/PROJECT",
        ),
        (
            {
                "format": "pubsub",
                "pubsub": {
                    "subscription": "projects/my-project/subscriptions/abc",
                    "topic": "projects/my-project/topics/abc",
                },
            },
            "source.pubsub",
            "not both",
        ),
        (
            {
                "format": "pubsub",
                "pubsub": {"topic": "projects/my-project/topics/abc", "event_time_attribute": "t"},
            },
            "event_time.format",
            "epoch_millis",
        ),
        (
            {"format": "bigquery", "bigquery": {"table": "t"}},
            "source.bigquery.table",
            "PROJECT:DATASET.TABLE",
        ),
        (
            {"format": "jsonl", "path": "x", "bigquery": {"table": "p:d.t"}},
            "source.bigquery",
            "bigquery only",
        ),
        (
            {"format": "pubsub", "path": "x", "pubsub": {"topic": "projects/my-project/topics/abc"}},
            "source.path",
            "file sources only",
        ),
    ]
    for source, key, message in cases:
        with pytest.raises(ConfigError) as exc:
            parse_config({**base, "source": source})
        assert any(i.path == key and message in i.message for i in exc.value.issues), (source, str(exc.value))


def test_output_dir_is_optional_only_when_every_output_has_a_table_or_topic():
    from veilwatch.transforms.config.errors import ConfigError

    tables = {
        "anonymized_table": "p-1234:d.a",
        "flagged_windows_table": "p-1234:d.f",
        "dead_letter_table": "p-1234:d.dl",
        "findings_table": "p-1234:d.fi",
    }
    doc = {
        "dataset": "d",
        "source": {"format": "jsonl", "path": "x"},
        "schema": {"fields": [{"name": "ts", "type": "timestamp"}]},
        "event_time": {"field": "ts"},
    }
    assert parse_config({**doc, "sinks": {"bigquery": tables}}).sinks.output_dir is None
    with pytest.raises(
        ConfigError, match=r"sinks\.output_dir: is required \(set it in the config or pass"
    ) as exc:
        parse_config({**doc, "sinks": {"bigquery": {**tables, "findings_table": None}}})
    assert [i.path for i in exc.value.issues] == ["sinks.output_dir"]
