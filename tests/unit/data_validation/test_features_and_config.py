"""The data_validation config section and the Arrow columns TFDV profiles."""

from __future__ import annotations

import pyarrow as pa
import pytest

from veilwatch.transforms.config.errors import ConfigError
from veilwatch.transforms.config.model import DriftComparator
from veilwatch.transforms.config_loading.loader import parse_config
from veilwatch.transforms.data_validation.features import (
    WINDOW_COLUMN,
    profiled_columns,
    to_record_batch,
    window_start,
)


def _doc(data_validation, **changes):
    doc = {
        "dataset": "d",
        "source": {"format": "jsonl", "path": "x.jsonl"},
        "schema": {
            "fields": [
                {"name": "ts", "type": "timestamp", "required": True},
                {"name": "email", "type": "string"},
                {"name": "service", "type": "string"},
                {"name": "status", "type": "integer"},
                {"name": "ok", "type": "boolean"},
                {"name": "latency", "type": "float"},
                {"name": "items[].sku", "type": "string"},
                {"name": "note", "type": "string"},
            ]
        },
        "event_time": {"field": "ts"},
        "pii": {
            "fields": [{"path": "email", "info_type": "EMAIL_ADDRESS", "transformation": "redactConfig"}],
            "scan_fields": ["note"],
        },
        "sinks": {"output_dir": "out"},
        "data_validation": data_validation,
    }
    doc.update(changes)
    return doc


def _issues(doc):
    with pytest.raises(ConfigError, match=r"data_validation") as info:
        parse_config(doc)
    return [str(i) for i in info.value.issues]


def test_default_fields_leave_out_the_event_time_and_scanned_text():
    config = parse_config(_doc({}))
    spec = config.data_validation
    assert spec.fields == ("email", "service", "status", "ok", "latency", "items[].sku")
    assert spec.baseline_windows == 24
    assert spec.schema_path is None
    assert not spec.drift


def test_absent_section_means_off():
    doc = _doc({})
    del doc["data_validation"]
    assert parse_config(doc).data_validation is None


def test_drift_thresholds_are_parsed_per_field():
    spec = parse_config(
        _doc({"drift": {"service": {"infinity_norm": 0.25}, "latency": {"jensen_shannon_divergence": 0.1}}})
    ).data_validation
    assert spec.drift == {
        "service": (DriftComparator.INFINITY_NORM, 0.25),
        "latency": (DriftComparator.JENSEN_SHANNON_DIVERGENCE, 0.1),
    }


@pytest.mark.parametrize(
    "section, expected",
    [
        ({"fields": ["nope"]}, "data_validation.fields[0]: names a field that is not in schema.fields"),
        ({"fields": ["note"]}, "data_validation.fields[0]: names a field in pii.scan_fields"),
        ({"baseline_windows": 0}, "data_validation.baseline_windows: must be at least 1"),
        ({"drift": {"service": {"l2": 0.1}}}, "data_validation.drift.service.l2: unknown comparator"),
        (
            {"drift": {"service": {"infinity_norm": 1.5}}},
            "data_validation.drift.service.infinity_norm: must be a number above 0 and at most 1",
        ),
        (
            {"fields": ["status"], "drift": {"service": {"infinity_norm": 0.2}}},
            "data_validation.drift.service: names a field that data_validation does not profile",
        ),
        ({"shema": "s.pbtxt"}, "data_validation.shema: unknown key"),
    ],
)
def test_bad_sections_name_the_key(section, expected):
    assert any(i.startswith(expected) for i in _issues(_doc(section))), _issues(_doc(section))


def test_sessions_are_refused_and_a_pubsub_source_is_accepted():
    sessions = _issues(_doc({}, windowing={"type": "sessions", "gap": "30m"}))
    assert any(i.startswith("data_validation: needs fixed or sliding windowing") for i in sessions)
    # streaming runs compute statistics per Beam window (transforms/data_validation/streaming.py)
    config = parse_config(
        _doc(
            {"baseline_windows": 3},
            source={"format": "pubsub", "pubsub": {"subscription": "projects/my-project/subscriptions/logs"}},
        )
    )
    assert config.data_validation.baseline_windows == 3


def test_record_batch_types_values_and_window_key():
    config = parse_config(_doc({}))
    columns = profiled_columns(config)
    kinds = {c.path: c.kind for c in columns}
    assert kinds == {
        "email": "text",
        "service": "text",
        "status": "integer",
        "ok": "integer",
        "latency": "float",
        "items[].sku": "text",
    }
    assert [c.path for c in columns if c.pseudonymous] == ["email"]
    records = [
        {
            "email": "[REDACTED]",
            "service": "api",
            "status": 200,
            "ok": True,
            "latency": 1.5,
            "items": [{"sku": "a"}, {"sku": "b"}],
        },
        {"service": None, "status": "not a number", "ok": False, "latency": 3},
    ]
    batch = to_record_batch(records, [3600.0, 7300.0], columns, 3600.0)
    assert isinstance(batch, pa.RecordBatch)
    rows = batch.to_pydict()
    assert rows["email"] == [["[REDACTED]"], None]
    assert rows["service"] == [["api"], None]
    assert rows["status"] == [[200], None]  # a value that does not convert counts as missing
    assert rows["ok"] == [[1], [0]]
    assert rows["latency"] == [[1.5], [3.0]]
    assert rows["items__sku"] == [["a", "b"], None]
    assert rows[WINDOW_COLUMN] == [["1970-01-01T01:00:00Z"], ["1970-01-01T02:00:00Z"]]


def test_window_key_is_the_start_of_the_step():
    assert window_start(1_762_441_199.0, 3600) == "2025-11-06T14:00:00Z"
    assert window_start(1_762_441_200.0, 3600) == "2025-11-06T15:00:00Z"


def test_preflight_accepts_the_stage_and_refuses_an_unreadable_schema(tmp_path):
    from veilwatch.pipelines.preflight import PreflightError, check_data_validation

    check_data_validation(parse_config(_doc({})))
    broken = tmp_path / "broken.pbtxt"
    broken.write_text("feature { name: ")
    with pytest.raises(PreflightError, match="data_validation.schema: .* is not a readable TFDV schema"):
        check_data_validation(parse_config(_doc({"schema": str(broken)})))
