"""validate-config: precise, distinct messages naming the key path; exit 2; nothing written."""

from __future__ import annotations

import pytest

from tests.conftest import FIXTURES, REPO, run_cli
from veilwatch.transforms.config.errors import ConfigError
from veilwatch.transforms.config.model import FieldType, SourceFormat, UnknownFieldPolicy, WindowKind
from veilwatch.transforms.config_loading.loader import ConfigOverrides, load_config, parse_config

BROKEN = {
    "broken_unknown_key.yaml": "windowing.sise: unknown key (did you mean 'size'?)",
    "broken_wrong_type.yaml": "source.max_record_bytes: expected an integer, got a string",
    "broken_unknown_info_type.yaml": "pii.fields[0].info_type: is not an infoType name",
    "broken_unknown_transformation.yaml": "pii.fields[0].transformation: unknown transformation (supported: ",
    "broken_missing_field.yaml": "pii.fields[0].path: names a field that is not in schema.fields\n",
}


@pytest.mark.parametrize("name,expected", sorted(BROKEN.items()))
def test_broken_config_is_rejected_with_its_key_path(name, expected, tmp_path):
    result = run_cli("validate-config", FIXTURES / "configs" / name, "--output_dir", tmp_path / "out")
    assert result.code == 2
    assert expected in result.err
    assert not (tmp_path / "out").exists()


def test_the_five_messages_are_distinct():
    messages = set()
    for name in BROKEN:
        with pytest.raises(ConfigError) as info:
            load_config(str(FIXTURES / "configs" / name))
        assert len(info.value.issues) == 1, info.value.issues
        messages.add(str(info.value.issues[0]))
    assert len(messages) == len(BROKEN)


def test_minimal_config_is_valid_and_typed():
    config = load_config(str(FIXTURES / "configs" / "minimal.yaml"))
    assert config.dataset == "orders"
    assert config.source.format is SourceFormat.JSONL
    assert config.source.path == str(FIXTURES / "configs" / "orders.jsonl")  # relative to the config file
    assert config.field("amount").type is FieldType.FLOAT
    assert config.unknown_fields is UnknownFieldPolicy.DROP
    assert config.window.kind is WindowKind.FIXED
    assert config.window.size_seconds == 3600
    assert config.pii.fields[0].transformation.dlp_name == "characterMaskConfig"


@pytest.mark.parametrize("name", ["payments.yaml", "app_logs.yaml"])
def test_example_configs_are_valid(name):
    result = run_cli("validate-config", REPO / "templates" / "datasets" / name)
    assert result.code == 0, result.err
    assert "valid dataset config" in result.out


def test_overrides_replace_paths():
    config = load_config(
        str(FIXTURES / "configs" / "minimal.yaml"),
        ConfigOverrides(input="gs://bucket/in/*.jsonl", output_dir="/tmp/run-7", keyset="k.json"),
    )
    assert config.source.path == "gs://bucket/in/*.jsonl"
    assert config.sinks.output_dir == "/tmp/run-7"
    assert config.keys.keyset == "k.json"


def _doc(**changes):
    doc = {
        "dataset": "d",
        "source": {"format": "jsonl", "path": "x.jsonl"},
        "schema": {
            "fields": [
                {"name": "ts", "type": "timestamp", "required": True},
                {"name": "email", "type": "string"},
            ]
        },
        "event_time": {"field": "ts"},
        "sinks": {"output_dir": "out"},
    }
    doc.update(changes)
    return doc


def _issues(doc):
    with pytest.raises(ConfigError) as info:
        parse_config(doc)
    return [str(i) for i in info.value.issues]


def test_every_problem_is_reported_at_once():
    issues = _issues(_dataset_and_window_broken())
    assert any(i.startswith("dataset: is required") for i in issues)
    assert any(i.startswith("windowing.period: is required") for i in issues)


def _dataset_and_window_broken():
    doc = _doc(windowing={"type": "sliding", "size": "1h"})
    del doc["dataset"]
    return doc


def test_keyed_transformation_needs_a_keyset():
    doc = _doc(
        pii={
            "fields": [
                {"path": "email", "info_type": "EMAIL_ADDRESS", "transformation": {"cryptoHashConfig": {}}}
            ]
        }
    )
    assert any(i.startswith("keys.keyset: is required because email") for i in _issues(doc))


def test_event_time_must_name_a_schema_field():
    assert "event_time.field: names a field that is not in schema.fields" in _issues(
        _doc(event_time={"field": "when"})
    )


def test_missing_primitive_parameters_are_named_with_their_path():
    doc = _doc(
        pii={
            "fields": [
                {"path": "email", "info_type": "EMAIL_ADDRESS", "transformation": {"dateShiftConfig": {}}}
            ]
        }
    )
    assert any("dateShiftConfig.upperBoundDays: is required" in i for i in _issues(doc))


def test_bad_duration_and_bad_yaml(tmp_path):
    assert any(
        i.startswith("windowing.size: must be a duration")
        for i in _issues(_doc(windowing={"size": "an hour"}))
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text("dataset: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML at line"):
        load_config(str(bad))


def test_messages_never_echo_field_values():
    # A wrong-typed value that looks like personal data must not be quoted back.
    issues = _issues(_doc(source={"format": "jsonl", "path": "x", "max_record_bytes": "jane@example.com"}))
    assert not any("jane@example.com" in i for i in issues)


def test_tabular_sink_cannot_keep_unknown_fields():
    doc = _doc(sinks={"output_dir": "o", "anonymized_format": "parquet"})
    doc["schema"]["unknown_fields"] = "keep"
    assert any(i.startswith("sinks.anonymized_format: parquet has a fixed schema") for i in _issues(doc))


def _with_scanned_note(metric):
    doc = _doc(pii={"scan_fields": ["note"]}, metrics=[metric])
    doc["schema"]["fields"].append({"name": "note", "type": "string"})
    return doc


def test_scanned_free_text_cannot_key_series_or_name_heavy_hitters():
    # Their values would be copied into flagged-window records, where undetected PII
    # (names, addresses) in the free text would leak.
    grouped = _issues(_with_scanned_note({"name": "per_note", "type": "count", "group_by": "note"}))
    assert any(i.startswith("metrics[0].group_by: names a field in pii.scan_fields") for i in grouped)
    hitter = _issues(_with_scanned_note({"name": "top_note", "type": "heavy_hitter", "field": "note"}))
    assert any(i.startswith("metrics[0].field: names a field in pii.scan_fields") for i in hitter)


def test_numbers_about_scanned_text_stay_allowed():
    # Counts that never carry the text itself are fine on a scanned field.
    for metric in (
        {"name": "notes", "type": "distinct_count", "field": "note"},
        {"name": "note_nulls", "type": "null_rate", "field": "note"},
    ):
        parse_config(_with_scanned_note(metric))


def test_an_oversized_config_is_refused_before_parsing(tmp_path):
    minimal = (FIXTURES / "configs" / "minimal.yaml").read_text(encoding="utf-8")
    big = tmp_path / "big.yaml"
    big.write_text(minimal + "# padding\n" * 150_000, encoding="utf-8")  # 1.5 MB of valid YAML
    result = run_cli("validate-config", big, "--output_dir", tmp_path / "out")
    assert result.code == 2, result.err
    assert "is larger than 1 MiB" in result.err
    detection = tmp_path / "detection.yaml"
    detection.write_text("detection: {}\n" + "# padding\n" * 150_000, encoding="utf-8")
    texts = tmp_path / "texts.jsonl"
    texts.write_text('{"text": "x"}\n', encoding="utf-8")
    scanned = run_cli(
        "scan", "--input", texts, "--output", tmp_path / "f.jsonl", "--detection-config", detection
    )
    assert scanned.code == 2
    assert "--detection-config" in scanned.err
    assert "larger than 1 MiB" in scanned.err
