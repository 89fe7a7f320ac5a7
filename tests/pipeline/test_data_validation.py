"""The data_validation stage through `veilwatch run`: TFDV per window on a week of app logs.

The generated logs carry four labelled anomalies; the two that change a field's
content (user_id goes missing, card numbers appear in `service`) are what TFDV
is for, and must be the only TFDV flags. The volume ones are the metrics' job.
"""

from __future__ import annotations

import json

import pytest
import yaml

from tests.conftest import REPO, run_cli
from tests.pipeline.helpers import read_jsonl_dir
from veilwatch.pipelines.sample_data import ALL_ANOMALIES, generate, write_jsonl

pytestmark = pytest.mark.pipeline
import tensorflow_data_validation as tfdv  # noqa: E402  (a direct dependency: a broken install fails, never skips)

EXPECTED_TYPE = {"null_rate": "FEATURE_TYPE_NOT_PRESENT", "pii_leak": "ENUM_TYPE_UNEXPECTED_STRING_VALUES"}


def _config(work, **section):
    config = yaml.safe_load((REPO / "templates" / "datasets" / "app_logs.yaml").read_text())
    config["source"]["path"] = str(work / "logs.jsonl")
    config["data_validation"] = {"baseline_windows": 48, **section}
    path = work / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture(scope="module")
def validated_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("data_validation")
    records, labels = generate("app_logs", days=6, seed=13, anomalies=ALL_ANOMALIES["app_logs"])
    write_jsonl(str(work / "logs.jsonl"), records)
    keyset = work / "keyset.json"
    assert run_cli("keys", "create", "--out", keyset).code == 0
    out = work / "out"
    result = run_cli(
        "run",
        "--dataset_config",
        _config(work),
        "--output_dir",
        out,
        "--keyset",
        keyset,
        "--allow_plaintext_keys",
    )
    assert result.code == 0, result.err
    return records, labels, out, work, keyset


def test_tfdv_flags_exactly_the_field_level_anomalies(validated_run):
    _, labels, out, _, _ = validated_run
    tfdv_flags = {
        (f["window_start"], f["series_key"], f["detail"])
        for f in read_jsonl_dir(out / "flagged_windows")
        if f["detector"] == "tfdv"
    }
    expected = {
        (label.window_start, f"data_validation[{label.field}]", EXPECTED_TYPE[label.kind])
        for label in labels
        if label.kind in EXPECTED_TYPE
    }
    assert len(expected) == 2
    assert tfdv_flags == expected


def test_summary_counts_windows_and_flags(validated_run):
    _, _, out, _, _ = validated_run
    summary = json.loads((out / "run_summary.json").read_text())
    assert summary["data_validation"] == {"windows": 144, "windows_checked": 96, "flagged": 2}
    assert summary["all_records_accounted_for"]


def test_schema_and_statistics_are_written_without_the_leaked_cards(validated_run):
    records, labels, out, _, _ = validated_run
    leak = next(label for label in labels if label.kind == "pii_leak")
    cards = {
        r["service"] for r in records if r["ts"][:13] == leak.window_start[:13] and r["service"].isdigit()
    }
    assert cards, "the generator leaked card numbers into service"
    schema = tfdv.load_schema_text(str(out / "data_validation" / "schema.pbtxt"))
    assert {f.name for f in schema.feature} >= {"service", "user_id", "http__status", "latency_ms"}
    stats = tfdv.load_stats_binary(str(out / "data_validation" / "statistics.binpb"))
    assert len([d for d in stats.datasets if d.name.startswith("__window_start_")]) == 144
    # `service` is declared non-PII, so the anonymized records carry what leaked into it (which
    # the flag is about); what this stage writes must not
    written = [p for d in ("data_validation", "flagged_windows") for p in (out / d).rglob("*") if p.is_file()]
    assert len(written) >= 3
    assert b"[CREDIT_CARD_NUMBER]" in (out / "data_validation" / "statistics.binpb").read_bytes()  # scrubbed
    for path in written + [out / "run_summary.json"]:
        data = path.read_bytes()
        assert not any(card.encode() in data for card in cards), path


def test_the_written_schema_validates_every_window_of_a_later_run(validated_run, tmp_path):
    _, labels, out, work, keyset = validated_run
    again = tmp_path / "again"
    result = run_cli(
        "run",
        "--dataset_config",
        _config(work, schema=str(out / "data_validation" / "schema.pbtxt")),
        "--output_dir",
        again,
        "--keyset",
        keyset,
        "--allow_plaintext_keys",
    )
    assert result.code == 0, result.err
    summary = json.loads((again / "run_summary.json").read_text())
    assert summary["data_validation"] == {"windows": 144, "windows_checked": 144, "flagged": 2}
    assert "data validation" in result.out
    assert "144   windows checked by TFDV" in result.out


def test_an_unreadable_schema_stops_the_run_before_any_output(validated_run, tmp_path):
    _, _, _, work, keyset = validated_run
    broken = tmp_path / "broken.pbtxt"
    broken.write_text("feature { name: ")
    out = tmp_path / "out"
    result = run_cli(
        "run",
        "--dataset_config",
        _config(work, schema=str(broken)),
        "--output_dir",
        out,
        "--keyset",
        keyset,
        "--allow_plaintext_keys",
    )
    assert result.code == 2
    assert "data_validation.schema:" in result.err
    assert "not a readable TFDV schema" in result.err
    assert not out.exists() or not any(out.iterdir())
