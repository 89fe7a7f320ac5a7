"""Declared PII fields whose anonymized values may stay in clear (a pii.fields ``condition`` that does
not hold, ``leaveUntransformed``, FF1's small-domain ``leaveUntransformed``, a scanned declared field)
cannot key metric series, name a heavy hitter or be profiled by data validation: those copy values into
flagged-window records and statistics. Refused at validation (exit 2), naming the key, never a value."""

from __future__ import annotations

import pytest
import yaml

from tests.conftest import run_cli
from veilwatch.transforms.config.errors import ConfigError
from veilwatch.transforms.config_loading.loader import parse_config

_WHERE_DE = {
    "expressions": {
        "conditions": {
            "conditions": [
                {"field": {"name": "country"}, "operator": "EQUAL_TO", "value": {"stringValue": "DE"}}
            ]
        }
    }
}
_HASH = {"cryptoHashConfig": {"cryptoKey": {"transient": {"name": "k"}}}}


def _doc(fields, metrics=(), data_validation=None, handling=None):
    doc = {
        "dataset": "d",
        "source": {"format": "jsonl", "path": "x.jsonl"},
        "schema": {
            "fields": [
                {"name": "ts", "type": "timestamp", "required": True},
                {"name": "country", "type": "string"},
                {"name": "merchant", "type": "string"},
                {"name": "amount", "type": "integer"},
            ]
        },
        "event_time": {"field": "ts"},
        "sinks": {"output_dir": "out"},
        "pii": {"fields": list(fields)},
        "metrics": list(metrics) or [{"name": "n", "type": "count"}],
    }
    if data_validation is not None:
        doc["data_validation"] = data_validation
    if handling is not None:
        doc["pii"]["transformation_error_handling"] = handling
    return doc


def _issues(doc):
    with pytest.raises(ConfigError) as info:
        parse_config(doc)
    return [str(i) for i in info.value.issues]


_CONDITIONAL = {
    "path": "merchant",
    "info_type": "GENERIC_ID",
    "transformation": _HASH,
    "condition": _WHERE_DE,
}
_GROUPED = {"name": "per_merchant", "type": "count", "group_by": "merchant"}
_HITTER = {"name": "top_merchant", "type": "heavy_hitter", "field": "merchant"}


def test_a_conditionally_transformed_field_cannot_key_series_or_name_heavy_hitters():
    grouped = _issues(_doc([_CONDITIONAL], [_GROUPED]))
    assert grouped == [
        "metrics[0].group_by: is de-identified only where its pii.fields[0] condition holds: "
        "elsewhere its value stays in clear; its values would be copied into flagged-window "
        "records: use a field that is always de-identified (or not PII)"
    ]
    hitter = _issues(_doc([_CONDITIONAL], [_HITTER]))
    assert len(hitter) == 1
    assert hitter[0].startswith("metrics[0].field: is de-identified only where its")


def test_a_conditionally_transformed_field_is_not_profiled_by_data_validation():
    issues = _issues(_doc([_CONDITIONAL], data_validation={"fields": ["merchant", "amount"]}))
    assert len(issues) == 1
    assert issues[0].startswith("data_validation.fields[0]: is de-identified only where")
    assert issues[0].endswith("statistics list top values")
    # left out of the default fields (every schema field but the event time)
    config = parse_config(_doc([_CONDITIONAL], data_validation={}))
    assert config.data_validation.fields == ("country", "amount")


def test_an_unconditional_item_for_the_same_field_makes_it_safe_again():
    """A field named by several items gets the first whose condition holds: with an unconditional
    one among them, every record's value is de-identified."""
    fallback = {"path": "merchant", "info_type": "GENERIC_ID", "transformation": "redactConfig"}
    config = parse_config(_doc([_CONDITIONAL, fallback], [_GROUPED, _HITTER], data_validation={}))
    assert [m.name for m in config.metrics] == ["per_merchant", "top_merchant"]
    assert "merchant" in config.data_validation.fields


def test_leave_untransformed_refuses_declared_fields_in_flagged_windows():
    """With leaveUntransformed a value the primitive cannot take stays in clear: no declared field
    keys a series, names a heavy hitter or is profiled (the default leaves them out)."""
    declared = {"path": "merchant", "info_type": "GENERIC_ID", "transformation": _HASH}
    parse_config(
        _doc([declared], [_GROUPED, _HITTER], data_validation={"fields": ["merchant"]})
    )  # safe default
    leave = {"leaveUntransformed": {}}
    issues = _issues(
        _doc([declared], [_GROUPED, _HITTER], data_validation={"fields": ["merchant"]}, handling=leave)
    )
    assert [i.split(":")[0] for i in issues] == [
        "metrics[0].group_by",
        "metrics[1].field",
        "data_validation.fields[0]",
    ]
    assert all("pii.transformation_error_handling is leaveUntransformed" in i for i in issues)
    config = parse_config(_doc([declared], data_validation={}, handling=leave))
    assert config.data_validation.fields == ("country", "amount")
    # throwError dead-letters instead: declared fields stay usable
    parse_config(_doc([declared], [_GROUPED], handling={"throwError": {}}))


def test_ff1_small_domain_left_untransformed_is_refused_as_a_series_key():
    fpe = {
        "path": "merchant",
        "info_type": "GENERIC_ID",
        "transformation": {
            "cryptoReplaceFfxFpeConfig": {
                "commonAlphabet": "ALPHA_NUMERIC",
                "cryptoKey": {"transient": {"name": "k"}},
                "veilwatchSmallDomain": "leaveUntransformed",
            }
        },
    }
    issues = _issues(_doc([fpe], [_GROUPED]))
    assert len(issues) == 1
    assert "veilwatchSmallDomain leaveUntransformed" in issues[0]
    fpe["transformation"]["cryptoReplaceFfxFpeConfig"]["veilwatchSmallDomain"] = "redact"
    parse_config(_doc([fpe], [_GROUPED]))


def test_a_scanned_declared_field_is_refused_like_scan_fields():
    scanned = {"path": "merchant", "info_type_transformations": {"EMAIL_ADDRESS": "redactConfig"}}
    issues = _issues(_doc([scanned], [_GROUPED]))
    assert len(issues) == 1
    assert issues[0].startswith("metrics[0].group_by: is scanned (pii.fields[0] info_type_transformations)")


def test_validate_config_exits_2_naming_the_key_and_no_value(tmp_path):
    planted = "Planted-Merchant-Name"
    condition = {
        "expressions": {
            "conditions": {
                "conditions": [
                    {"field": {"name": "country"}, "operator": "EQUAL_TO", "value": {"stringValue": planted}}
                ]
            }
        }
    }
    doc = _doc([dict(_CONDITIONAL, condition=condition)], [_GROUPED])
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(doc))
    result = run_cli("validate-config", path)
    assert result.code == 2
    assert "metrics[0].group_by: is de-identified only where its pii.fields[0] condition holds" in result.err
    assert planted not in result.err + result.out
