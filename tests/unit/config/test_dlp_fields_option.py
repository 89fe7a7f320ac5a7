"""``pii.dlp.fields``: only some fields go to the DLP API, the others stay with the local engine."""

from __future__ import annotations

import pytest

from tests.conftest import run_cli
from veilwatch.transforms.config.errors import ConfigError
from veilwatch.transforms.config_loading.loader import parse_config

SECRET = "4111111111111111"


def _doc(dlp):
    return {
        "dataset": "d",
        "source": {"format": "jsonl", "path": "x.jsonl"},
        "schema": {
            "fields": [
                {"name": "ts", "type": "timestamp", "required": True},
                {"name": "email", "type": "string"},
                {"name": "card", "type": "string"},
                {"name": "note", "type": "string"},
            ]
        },
        "event_time": {"field": "ts"},
        "sinks": {"output_dir": "out"},
        "pii": {
            "engine": "dlp",
            "dlp": {"project": "p", **dlp},
            "fields": [
                {"path": "email", "info_type": "EMAIL_ADDRESS", "transformation": "redactConfig"},
                # the dataset keyset: fine locally, refused for DLP
                {
                    "path": "card",
                    "info_type": "CREDIT_CARD_NUMBER",
                    "transformation": {"cryptoReplaceFfxFpeConfig": {"commonAlphabet": "NUMERIC"}},
                },
            ],
            "scan_fields": ["note"],
        },
        "keys": {"keyset": "keyset.json"},
    }


def _issues(doc):
    with pytest.raises(ConfigError) as info:
        parse_config(doc)
    return [str(i) for i in info.value.issues]


def test_the_listed_fields_go_to_dlp_and_a_keyset_field_may_stay_local():
    config = parse_config(_doc({"fields": ["email", "note"]}))
    assert config.pii.dlp.fields == ("email", "note")
    # card (a keyset primitive) stays local: no complaint that DLP cannot use the keyset
    assert parse_config(_doc({"fields": ["email"]})).pii.dlp.fields == ("email",)
    everything = _doc({})
    everything["pii"]["fields"].pop()  # without pii.dlp.fields every field goes to DLP: no keyset item
    assert parse_config(everything).pii.dlp.fields is None


def test_a_keyset_field_sent_to_dlp_is_still_refused():
    issues = _issues(_doc({"fields": ["card"]}))
    assert any(i.startswith("pii.engine:") and "pii.fields[1]" in i for i in issues), issues


@pytest.mark.parametrize(
    "fields, where, message",
    [
        ([], "pii.dlp.fields", "must be a non-empty list"),
        ("email", "pii.dlp.fields", "must be a non-empty list"),
        (["email", SECRET], "pii.dlp.fields[1]", "is not a path of pii.fields or pii.scan_fields"),
        (["email", "email"], "pii.dlp.fields[1]", "names a field already in this list"),
        (["email", 3], "pii.dlp.fields[1]", "expected a non-empty string"),
    ],
)
def test_bad_values_name_the_key_and_never_quote_the_value(fields, where, message):
    issues = _issues(_doc({"fields": fields}))
    assert any(i.startswith(where + ":") and message in i for i in issues), issues
    assert not any(SECRET in i for i in issues)


def test_it_applies_to_mode_deidentify_without_a_deidentify_template_only():
    assert any(
        i.startswith("pii.dlp.fields:") and "mode deidentify only" in i
        for i in _issues(_doc({"fields": ["email"], "mode": "detect"}))
    )
    template = "projects/p/locations/global/deidentifyTemplates/t"
    assert any(
        i.startswith("pii.dlp.fields:") and "deidentify_template_name" in i
        for i in _issues(_doc({"fields": ["email"], "deidentify_template_name": template}))
    )


def test_validate_config_exits_2_naming_the_key(tmp_path):
    import yaml

    path = tmp_path / "d.yaml"
    path.write_text(yaml.safe_dump(_doc({"fields": ["email", SECRET]})))
    result = run_cli("validate-config", path)
    assert result.code == 2
    assert "pii.dlp.fields[1]" in result.err
    assert SECRET not in result.err + result.out


def test_reidentify_restores_each_group_with_its_own_engine_and_refuses_a_mix():
    from veilwatch.pipelines.preflight import PreflightError, plan_reidentify
    from veilwatch.transforms.dlp.reidentify import restored_by_dlp

    doc = _doc({"fields": ["email"]})
    key = "YWJjZGVmZ2hpamtsbW5vcGFiY2RlZmdoaWprbG1ub3A="  # 32 bytes, base64 (a test key)
    doc["pii"]["fields"][0]["transformation"] = {
        "cryptoDeterministicConfig": {
            "cryptoKey": {"unwrapped": {"key": key}},
            "surrogateInfoType": {"name": "EMAIL_TOKEN"},
        }
    }
    config = parse_config(doc)
    assert restored_by_dlp(config, plan_reidentify(config, ["email"])) is True  # DLP made it
    assert restored_by_dlp(config, plan_reidentify(config, ["card"])) is False  # the keyset made it
    with pytest.raises(
        PreflightError, match=r"reidentify refused: \-\-fields names fields pii\.dlp\.fields"
    ) as refused:
        plan_reidentify(config, ["email", "card"])
    assert "restore each group in a run of its own" in str(refused.value)
