"""veilwatch's stages in Beam YAML (transforms/beam_yaml/): the example pipeline under
templates/beam_yaml/ run by Beam's YAML runner on the DirectRunner, the transforms inside a
TestPipeline, and bad parameters refused while the pipeline is built."""

from __future__ import annotations

import json
from typing import Any

import apache_beam as beam
import pytest
import yaml
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.yaml import main as yaml_main
from apache_beam.yaml import yaml_provider
from apache_beam.yaml.yaml_transform import YamlTransform

from tests.conftest import FIXTURES, REPO, run_cli
from tests.pipeline.helpers import (
    all_output_text,
    planted_values,
    read_jsonl_dir,
    run_with_keyset,
    write_payments_feed,
)
from veilwatch.pipelines.sample_data import Anomaly
from veilwatch.transforms.beam_yaml import VeilwatchAnonymize
from veilwatch.transforms.config.errors import ConfigError

pytestmark = pytest.mark.pipeline

EXAMPLE = REPO / "templates" / "beam_yaml" / "payments.yaml"
PAYMENTS = REPO / "templates" / "datasets" / "payments.yaml"
STAGES = ("VeilwatchAnonymize", "VeilwatchWindowMetrics", "VeilwatchScore")
PROVIDER = [
    {
        "type": "python",
        "config": {},
        "transforms": {name: f"veilwatch.transforms.beam_yaml.{name}" for name in STAGES},
    }
]
# Two records that cannot be anonymized, each with PII of its own: a line that is no JSON, and a
# record whose card number is no string (its event time is readable: the dead-letter rate counts it).
BAD_LINES = [
    "not json, from planted.line@example.org",
    json.dumps(
        {
            "transaction_id": "tx-bad",
            "ts": "2026-11-02T05:10:00Z",
            "customer": {"email": "planted.bad@example.org"},
            "card_number": 4111111111111111,
            "amount": 1.0,
        }
    ),
]
BAD_PII = {"planted.line@example.org", "planted.bad@example.org", "4111111111111111"}


def _rounded(row: dict[str, Any]) -> dict[str, Any]:
    # The example writes with Beam YAML's WriteToJson (pandas), which keeps 10 decimal places.
    return {k: round(v, 6) if isinstance(v, float) else v for k, v in row.items()}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The same feed (with two bad lines) through the YAML example and through ``veilwatch run``."""
    tmp = tmp_path_factory.mktemp("beam_yaml")
    keyset = tmp / "keys" / "keyset.json"
    assert run_cli("keys", "create", "--out", keyset).code == 0
    # two days with a volume spike in the afternoon of the second
    data, records, _ = write_payments_feed(
        tmp, seed=11, base_per_hour=4, days=2, anomalies=(Anomaly("volume_spike", 24 + 15),)
    )
    with data.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(BAD_LINES) + "\n")
    yaml_out, run_out = tmp / "yaml_out", tmp / "run_out"
    variables = {
        "input": str(data),
        "dataset_config": str(PAYMENTS),
        "keyset": str(keyset),
        "allow_plaintext_keys": True,
        "output": str(yaml_out),
    }
    yaml_main.run(["--yaml_pipeline_file", str(EXAMPLE), "--jinja_variables", json.dumps(variables)])
    assert run_with_keyset(PAYMENTS, data, run_out, keyset).code == 0
    return records, yaml_out, run_out


def test_example_pipeline_runs_and_matches_veilwatch_run(runs):
    records, yaml_out, run_out = runs
    anonymized = read_jsonl_dir(yaml_out / "anonymized")
    dead = read_jsonl_dir(yaml_out / "dead_letter")
    # every line read is accounted for: anonymized or dead-lettered
    assert len(anonymized) == len(records) > 100
    assert len(dead) == len(BAD_LINES)
    # the same composites as `veilwatch run`: the same records, dead letters, findings, scores
    key = lambda r: json.dumps(r, sort_keys=True)  # noqa: E731
    assert sorted(map(key, anonymized)) == sorted(map(key, read_jsonl_dir(run_out / "anonymized")))
    assert sorted((d["stage"], d["error"], d["record"]) for d in dead) == sorted(
        (
            d["stage"],
            d["error"],
            None if d["record"] is None else json.dumps(d["record"], separators=(",", ":")),
        )
        for d in read_jsonl_dir(run_out / "dead_letter")
    )
    assert {d["stage"] for d in dead} == {"parse", "validate"}
    assert all(d["source"].startswith("beam_yaml#") for d in dead)
    assert [d["event_time"] is not None for d in sorted(dead, key=lambda d: d["stage"])] == [False, True]
    finding = lambda f: (f["field"], f["start"], f["end"], f["info_type"])  # noqa: E731
    yaml_findings = read_jsonl_dir(yaml_out / "findings")
    assert len(yaml_findings) > 10
    assert sorted(map(finding, yaml_findings)) == sorted(map(finding, read_jsonl_dir(run_out / "findings")))
    scores = sorted(map(key, map(_rounded, read_jsonl_dir(yaml_out / "scores"))))
    assert len(scores) > 100
    assert scores == sorted(map(key, map(_rounded, read_jsonl_dir(run_out / "scores"))))
    flagged = [_rounded(r) for r in read_jsonl_dir(yaml_out / "flagged_windows")]
    assert sorted(map(key, flagged)) == sorted(
        map(key, map(_rounded, read_jsonl_dir(run_out / "flagged_windows")))
    )
    assert [(r["series_key"], r["window_start"], r["is_anomaly"]) for r in flagged] == [
        ("record_count", "2026-11-03T15:00:00Z", True)
    ]
    # the dead-letter rate saw the dead letter with a readable event time
    rates = [
        s
        for s in read_jsonl_dir(yaml_out / "scores")
        if s["metric"] == "dead_letter_rate" and s["observed"] > 0
    ]
    assert [s["window_start"] for s in rates] == ["2026-11-02T05:00:00Z"]


def test_example_pipeline_outputs_hold_no_pii(runs):
    records, yaml_out, _ = runs
    text = all_output_text(yaml_out)
    originals = planted_values(records) | BAD_PII
    assert len(originals) > 100
    assert sorted(v for v in originals if str(v) in text) == []


def _yaml_transform(pipeline: dict) -> YamlTransform:
    """Beam's YAML runner for ``pipeline`` (a composite or chain), with the provider as declared above."""
    return YamlTransform(yaml.safe_dump(pipeline), providers=yaml_provider.parse_providers("", PROVIDER))


INLINE = {
    "dataset": "visits",
    "schema": {
        "fields": [
            {"name": "ts", "type": "timestamp", "required": True},
            {"name": "email", "type": "string", "required": True},
            {"name": "page", "type": "string"},
        ]
    },
    "event_time": {"field": "ts"},
    "pii": {
        "fields": [
            {"path": "email", "info_type": "EMAIL_ADDRESS", "transformation": "replaceWithInfoTypeConfig"}
        ]
    },
    "windowing": {"type": "fixed", "size": "1h"},
    "metrics": [
        {"name": "record_count", "type": "count"},
        {"name": "dead_letter_rate", "type": "dead_letter_rate"},
    ],
}


def test_rows_of_the_dataset_schema_and_an_inline_config_in_a_test_pipeline():
    """Rows whose fields are the record (no json_field), the dataset config inline, the dead
    letters under the name error_handling gives them; every output checked in the pipeline."""
    elements = [
        {"ts": f"2026-11-02T0{h}:1{i}:00Z", "email": f"user{h}{i}@example.org", "page": "/home"}
        for h in range(3)
        for i in range(2)
    ]
    elements.append({"ts": "yesterday", "email": "late.person@example.org", "page": "/x"})
    spec = {
        "type": "composite",
        "transforms": [
            {"type": "Create", "name": "Rows", "config": {"elements": elements}},
            {
                "type": "VeilwatchAnonymize",
                "name": "Anonymize",
                "input": "Rows",
                "config": {"config": INLINE, "error_handling": {"output": "rejected"}},
            },
            {
                "type": "VeilwatchWindowMetrics",
                "name": "Metrics",
                "input": {"anonymized": "Anonymize.anonymized", "dead_letter": "Anonymize.rejected"},
                "config": {"config": INLINE},
            },
            {"type": "VeilwatchScore", "name": "Score", "input": "Metrics", "config": {"config": INLINE}},
        ],
        "output": {
            "anonymized": "Anonymize.anonymized",
            "rejected": "Anonymize.rejected",
            "metrics": "Metrics",
            "scores": "Score.scores",
        },
    }
    with TestPipeline() as p:
        out = p | _yaml_transform(spec)
        records = out["anonymized"] | "Records" >> beam.Map(lambda r: json.loads(r.record))
        assert_that(
            records, equal_to([{**e, "email": "[EMAIL_ADDRESS]"} for e in elements[:-1]]), label="anonymized"
        )
        assert_that(
            out["rejected"] | beam.Map(lambda r: (r.stage, r.source.startswith("beam_yaml#"), r.event_time)),
            equal_to([("event_time", True, None)]),
            label="rejected",
        )
        counts = (
            out["metrics"]
            | beam.Filter(lambda m: m.metric == "record_count")
            | beam.Map(lambda m: (m.window_start, m.value))
        )
        start = 1793577600.0  # 2026-11-02T00:00:00Z
        assert_that(counts, equal_to([(start + 3600 * h, 2.0) for h in range(3)]), label="counts")
        assert_that(
            out["scores"] | beam.Map(lambda s: (s.metric, s.window_start)),
            equal_to(
                [
                    (m, f"2026-11-02T0{h}:00:00Z")
                    for m in ("record_count", "dead_letter_rate")
                    for h in range(3)
                ]
            ),
            label="scores",
        )


def _anonymize(config: dict, rows_spec: dict | None = None) -> dict:
    rows_spec = rows_spec or {"type": "Create", "name": "Rows", "config": {"elements": [{"line": "{}"}]}}
    return {"type": "chain", "transforms": [rows_spec, {"type": "VeilwatchAnonymize", "config": config}]}


SECRET = "jane.secret@example.org"


@pytest.mark.parametrize(
    "config, names",
    [
        ({"config": {**INLINE, "windowing": {"type": "fixed", "size": SECRET}}}, "config.windowing.size"),
        (
            {"config": {**INLINE, "pii": {"fields": [{"path": "email", "info_type": SECRET}]}}},
            "config.pii.fields[0]",
        ),
        ({"config_path": str(FIXTURES / "configs" / "broken_unknown_key.yaml")}, "windowing"),
        ({"config": INLINE, "config_path": str(PAYMENTS)}, "config_path"),
        ({}, "config_path"),
        ({"config": SECRET}, "config"),
        ({"config": INLINE, "json_feild": SECRET}, "json_feild"),
        ({"config": INLINE, "json_field": "payload"}, "json_field"),
        ({"config": INLINE, "allow_plaintext_keys": SECRET}, "allow_plaintext_keys"),
        ({"config": INLINE, "batch_size": 0}, "batch_size"),
        ({"config_path": str(PAYMENTS), "keyset": "/nonexistent/keyset.json"}, "keys.keyset"),
        (
            {
                "config": {
                    **INLINE,
                    "pii": {
                        **INLINE["pii"],
                        "scan_fields": ["page"],
                        "detection": {"ner_model": "en_core_web_no_such_model"},
                    },
                }
            },
            "pii.detection.use_ner",
        ),
    ],
)
def test_a_bad_parameter_stops_the_build_naming_the_key_never_the_value(config, names):
    with pytest.raises(ValueError) as raised:
        with beam.Pipeline() as p:
            p | _yaml_transform(_anonymize(config))
    message = str(raised.value)
    assert names in message
    assert SECRET not in message


@pytest.mark.parametrize(
    "error_handling, names",
    [
        ({"output": "anonymized"}, "error_handling.output"),
        ({"output": SECRET}, "error_handling.output"),
        ({"output": "rejected", "also": SECRET}, "error_handling"),
    ],
)
def test_a_bad_error_handling_is_named(error_handling, names):
    """(Beam YAML itself first insists that a named error output is consumed: checked here directly.)"""
    with pytest.raises(ConfigError, match=r"error_handling") as raised:
        VeilwatchAnonymize(config=INLINE, error_handling=error_handling)
    assert names in str(raised.value)
    assert SECRET not in str(raised.value)


def test_bad_metrics_input_is_named():
    spec = {
        "type": "chain",
        "transforms": [
            {"type": "Create", "config": {"elements": [{"line": "{}"}]}},
            {"type": "VeilwatchWindowMetrics", "config": {"config": INLINE}},
        ],
    }
    with pytest.raises(ValueError, match=r"input\.anonymized: lacks the fields record, event_time, findings"):
        with beam.Pipeline() as p:
            p | _yaml_transform(spec)


def test_a_bad_dataset_config_writes_nothing(tmp_path):
    """The example with a broken dataset config fails before any output exists."""
    out = tmp_path / "out"
    variables = {
        "dataset_config": str(FIXTURES / "configs" / "broken_wrong_type.yaml"),
        "output": str(out),
        "input": str(REPO / "templates" / "sample_data" / "payments.jsonl"),
    }
    with pytest.raises(ValueError, match="Anonymize"):
        yaml_main.run(["--yaml_pipeline_file", str(EXAMPLE), "--jinja_variables", json.dumps(variables)])
    assert not out.exists()
