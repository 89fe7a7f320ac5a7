"""pii options that follow Cloud DLP (issue 12, part 2): infoType names the local catalog does not
know, and DLP's transformationErrorHandling."""

from __future__ import annotations

import logging

import pytest

from veilwatch.transforms.config.errors import ConfigError
from veilwatch.transforms.config.model import TransformationErrorHandling
from veilwatch.transforms.config_loading.loader import parse_config


def _doc(pii):
    return {
        "dataset": "d",
        "source": {"format": "jsonl", "path": "x.jsonl"},
        "schema": {
            "fields": [
                {"name": "ts", "type": "timestamp", "required": True},
                {"name": "rg", "type": "string"},
                {"name": "note", "type": "string"},
            ]
        },
        "event_time": {"field": "ts"},
        "sinks": {"output_dir": "out"},
        "pii": pii,
    }


def _issues(doc):
    with pytest.raises(ConfigError) as info:
        parse_config(doc)
    return [str(i) for i in info.value.issues]


def test_an_infotype_dlp_added_after_the_catalog_is_a_warning_not_an_error(caplog):
    """DLP keeps adding built-in types (BRAZIL_RG_NUMBER): valid for the DLP engine, and for the local
    engine a warning that the field is still de-identified but a scan finds nothing of the type."""
    pii = {
        "fields": [{"path": "rg", "info_type": "BRAZIL_RG_NUMBER", "transformation": "redactConfig"}],
        "scan_fields": ["note"],
        "info_type_transformations": {"BRAZIL_RG_NUMBER": "redactConfig"},
    }
    with caplog.at_level(logging.WARNING, logger="veilwatch.transforms.config_loading.loader"):
        config = parse_config(_doc(pii))
    assert config.pii.fields[0].info_type == "BRAZIL_RG_NUMBER"
    assert "BRAZIL_RG_NUMBER" in config.pii.info_type_transformations
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert warnings[0].startswith("pii.fields[0].info_type: infoType 'BRAZIL_RG_NUMBER' is not in")
    assert "still de-identifies" in warnings[0]
    assert "a local scan finds nothing" in warnings[0]
    assert warnings[1].startswith("pii.info_type_transformations.BRAZIL_RG_NUMBER:")


@pytest.mark.parametrize("name", ["BRAZIL RG", "É_NAME", "X" * 65, ""])
def test_a_malformed_infotype_name_is_still_an_error(name):
    pii = {"fields": [{"path": "rg", "info_type": name, "transformation": "redactConfig"}]}
    issues = _issues(_doc(pii))
    if name:
        assert (
            "pii.fields[0].info_type: is not an infoType name (DLP: 1 to 64 of A-Z a-z 0-9 $ _ -)" in issues
        )
    else:
        assert any(i.startswith("pii.fields[0].info_type") for i in issues)


@pytest.mark.parametrize(
    "value,expected",
    [
        (None, TransformationErrorHandling.DEAD_LETTER),
        ({"throwError": {}}, TransformationErrorHandling.THROW_ERROR),
        ({"leaveUntransformed": {}}, TransformationErrorHandling.LEAVE_UNTRANSFORMED),
    ],
)
def test_transformation_error_handling_takes_dlps_json(value, expected):
    pii = {"fields": [{"path": "rg", "info_type": "GENERIC_ID", "transformation": "redactConfig"}]}
    if value is not None:
        pii["transformation_error_handling"] = value
    assert parse_config(_doc(pii)).pii.transformation_error_handling is expected


@pytest.mark.parametrize(
    "bad",
    [
        "leaveUntransformed",
        {"ignore": {}},
        {"throwError": {"x": 1}},
        {"throwError": {}, "leaveUntransformed": {}},
    ],
)
def test_a_bad_transformation_error_handling_names_the_key(bad):
    pii = {
        "fields": [{"path": "rg", "info_type": "GENERIC_ID", "transformation": "redactConfig"}],
        "transformation_error_handling": bad,
    }
    issues = _issues(_doc(pii))
    assert any(
        i.startswith(
            "pii.transformation_error_handling: must be DLP's {throwError: {}} or {leaveUntransformed: {}}"
        )
        for i in issues
    )
