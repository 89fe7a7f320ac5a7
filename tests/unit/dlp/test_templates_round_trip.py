"""``veilwatch dlp import`` / ``dlp export``: DLP templates in and out, round trip.

The templates are the configs of GoogleCloudPlatform/python-docs-samples
``dlp/snippets/Deidentify/`` written as API JSON (see tests/fixtures/dlp_templates/README.md
for the file each comes from). Where a sample documents an input table and the table DLP
returns, the imported config is run by the local engine on that input and must give that output:

* ``deidentify_table_condition_masking.py``: happiness_score ``34`` -> ``**`` where age ``64`` > 50,
  ``21`` kept where age is ``35``;
* ``deidentify_table_row_suppress.py``: the row with age ``64`` is suppressed, ``35`` kept;
* ``deidentify_table_condition_infotypes.py``: email -> ``[EMAIL_ADDRESS]`` where age ``63`` > 50,
  kept where age is ``45``;
* ``deidentify_table_bucketing.py``: age ``35`` -> ``30:40``, ``68`` -> ``60:70``.
"""

from __future__ import annotations

import json

import pytest
import yaml
from google.cloud import dlp_v2

from tests.conftest import FIXTURES, REPO, run_cli
from veilwatch.transforms.config_loading.loader import load_config
from veilwatch.transforms.deid.record_deidentifier import RecordDeidentifier, RecordSuppressed
from veilwatch.transforms.detection.engine import DetectionEngine
from veilwatch.transforms.detection.settings import DetectionSettings
from veilwatch.transforms.dlp.convert import (
    config_sections_from_templates,
    deidentify_config_for,
    inspect_config_for,
    parse_deidentify_template,
)

TEMPLATES = FIXTURES / "dlp_templates"
SAMPLES = (
    "fpe_kms_wrapped.deidentify.json",
    "date_shift_context.json",
    "table_bucketing.json",
    "table_condition_masking.json",
    "table_row_suppress.json",
    "table_condition_infotypes.json",
)
INSPECT = {
    "fpe_kms_wrapped.deidentify.json": "fpe_kms_wrapped.inspect.json",
    "table_condition_infotypes.json": "table_condition_infotypes.inspect.json",
}


def _import(tmp_path, name):
    out = tmp_path / f"{name}.yaml"
    argv = ["dlp", "import", "--deidentify-template", TEMPLATES / name, "--output", out]
    if name in INSPECT:
        argv += ["--inspect-template", TEMPLATES / INSPECT[name]]
    result = run_cli(*argv)
    assert result.code == 0, result.err
    return out, result


def _fill_in(path):
    """What the user does with the notes: the sample's project placeholder becomes a real project."""
    path.write_text(path.read_text().replace("YOUR_GCLOUD_PROJECT", "my-project"))
    return path


@pytest.mark.parametrize("name", SAMPLES)
def test_imported_samples_validate_once_the_key_is_filled_in(tmp_path, name):
    out, result = _import(tmp_path, name)
    text = out.read_text()
    assert text.startswith("# Dataset config imported from the DLP template")
    if "cryptoKey" in text:  # every key section is flagged, in the file and in the notes
        keys = [line for line in text.splitlines() if line.strip().startswith("cryptoKey:")]
        assert keys
        assert text.count("# FILL IN / CHECK: key section") == len(keys)
        assert "cryptoKey" in result.err
    checked = run_cli("validate-config", _fill_in(out))
    assert checked.code == 0, checked.err


def test_the_kms_wrapped_fpe_sample_keeps_its_key_and_flags_it(tmp_path):
    out, result = _import(tmp_path, "fpe_kms_wrapped.deidentify.json")
    doc = yaml.safe_load(out.read_text())
    assert doc["dataset"] == "fpe_ssn"
    assert doc["pii"]["scan_fields"] == ["text"]  # free text: the field to scan is for the user to name
    fpe = doc["pii"]["default_scan_transformation"]["cryptoReplaceFfxFpeConfig"]
    assert fpe["commonAlphabet"] == "NUMERIC"
    assert fpe["surrogateInfoType"] == {"name": "SSN_TOKEN"}
    assert fpe["cryptoKey"]["kmsWrapped"]["cryptoKeyName"].endswith("/keyRings/dlp-test/cryptoKeys/dlp-test")
    assert doc["pii"]["detection"] == {"info_types": ["US_SOCIAL_SECURITY_NUMBER"]}
    assert "FILL IN pii.default_scan_transformation.cryptoReplaceFfxFpeConfig.cryptoKey" in result.err
    assert "pii.scan_fields" in result.err


def test_the_date_shift_sample_is_one_item_over_two_fields(tmp_path):
    out, _ = _import(tmp_path, "date_shift_context.json")
    (item,) = yaml.safe_load(out.read_text())["pii"]["fields"]
    assert item["paths"] == ["birth_date", "register_date"]
    assert item["transformation"]["dateShiftConfig"]["context"] == {"name": "name"}
    config = load_config(str(_fill_in(out)))
    assert [(p.path, p.group) for p in config.pii.fields] == [("birth_date", 0), ("register_date", 0)]


def _deidentifier(path, scanner=None):
    return RecordDeidentifier(load_config(str(_fill_in(path))).pii, None, scanner)


def test_condition_masking_sample_output(tmp_path):
    out, _ = _import(tmp_path, "table_condition_masking.json")
    deid = _deidentifier(out)
    rows = [
        {
            "email": "robertfrost@example.com",
            "phone number": "4232342345",
            "age": "35",
            "happiness_score": "21",
        },
        {"email": "johndoe@example.com", "phone number": "4253458383", "age": "64", "happiness_score": "34"},
    ]
    for row in rows:
        deid.deidentify(row)
    assert [r["happiness_score"] for r in rows] == ["21", "**"]


def test_row_suppress_sample_output(tmp_path):
    out, _ = _import(tmp_path, "table_row_suppress.json")
    deid = _deidentifier(out)
    kept = {"email": "robertfrost@example.com", "phone number": "4232342345", "age": "35"}
    deid.deidentify(kept)
    with pytest.raises(RecordSuppressed):
        deid.deidentify({"email": "johndoe@example.com", "phone number": "4253458383", "age": "64"})
    assert kept["age"] == "35"


def test_condition_infotypes_sample_output(tmp_path):
    out, _ = _import(tmp_path, "table_condition_infotypes.json")
    scanner = DetectionEngine(DetectionSettings(info_types=("EMAIL_ADDRESS",), use_ner=False))
    deid = _deidentifier(out, scanner)
    young = {"email": "robertfrost@example.com", "phone number": "4232342345", "age": "45"}
    old = {"email": "johndoe@example.com", "phone number": "4253458383", "age": "63"}
    deid.deidentify(young)
    deid.deidentify(old)
    assert young["email"] == "robertfrost@example.com"
    assert old["email"] == "[EMAIL_ADDRESS]"


def test_bucketing_sample_output(tmp_path):
    out, _ = _import(tmp_path, "table_bucketing.json")
    deid = _deidentifier(out)
    rows = [{"age": 35}, {"age": 68}]
    for row in rows:
        deid.deidentify(row)
    assert [r["age"] for r in rows] == ["30:40", "60:70"]


@pytest.mark.parametrize("example", ["payments.yaml", "app_logs.yaml"])
def test_export_of_the_examples_is_accepted_by_dlp_message_types(example):
    result = run_cli("dlp", "export", "--dataset_config", REPO / "templates" / "datasets" / example)
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert set(document) == {"deidentifyConfig", "inspectConfig"}
    deidentify = dlp_v2.DeidentifyConfig.from_json(json.dumps(document["deidentifyConfig"]))
    inspect = dlp_v2.InspectConfig.from_json(json.dumps(document["inspectConfig"]))
    assert len(deidentify.record_transformations.field_transformations) >= 3
    assert inspect.min_likelihood == dlp_v2.Likelihood.POSSIBLE or example == "app_logs.yaml"
    assert "cryptoKey: uses veilwatch's tink keyset" in result.err  # keyed primitives get a placeholder


def test_payments_export_says_what_each_item_means():
    config = load_config(str(REPO / "templates" / "datasets" / "payments.yaml"))
    deidentify = deidentify_config_for(config)
    items = deidentify.record_transformations.field_transformations
    assert [f.name for item in items for f in item.fields] == [
        "customer.name",
        "customer.email",
        "customer.phone",
        "card_number",
        "iban",
        "ip_address",
        "note",
    ]
    assert (
        items[3].primitive_transformation.crypto_replace_ffx_fpe_config.common_alphabet
        == dlp_v2.CryptoReplaceFfxFpeConfig.FfxCommonNativeAlphabet.NUMERIC
    )
    scanned = items[6].info_type_transformations.transformations
    assert [t.info_types[0].name if t.info_types else None for t in scanned] == ["EMAIL_ADDRESS", None]
    assert "replace_with_info_type_config" in scanned[1].primitive_transformation
    names = [t.name for t in inspect_config_for(config).info_types]
    assert "EMAIL_ADDRESS" in names
    assert len(names) == len(set(names))


@pytest.mark.parametrize("example", ["payments.yaml", "app_logs.yaml"])
def test_export_import_export_is_stable(tmp_path, example):
    first = run_cli("dlp", "export", "--dataset_config", REPO / "templates" / "datasets" / example)
    assert first.code == 0, first.err
    document = json.loads(first.out)
    (tmp_path / "d.json").write_text(json.dumps(document["deidentifyConfig"]))
    (tmp_path / "i.json").write_text(json.dumps(document["inspectConfig"]))
    imported = run_cli(
        "dlp",
        "import",
        "--deidentify-template",
        tmp_path / "d.json",
        "--inspect-template",
        tmp_path / "i.json",
        "--output",
        tmp_path / "config.yaml",
    )
    assert imported.code == 0, imported.err
    second = run_cli("dlp", "export", "--dataset_config", tmp_path / "config.yaml")
    assert second.code == 0, second.err
    assert json.loads(second.out) == document


def test_sections_from_a_bare_config_message():
    config = parse_deidentify_template((TEMPLATES / "table_condition_masking.json").read_text())
    sections, notes = config_sections_from_templates(config.deidentify_config)
    assert sections["schema"]["fields"] == [
        {"name": "age", "type": "float"},
        {"name": "happiness_score", "type": "string"},
    ]
    assert sections["pii"]["fields"][0]["transformation"] == {
        "characterMaskConfig": {"maskingCharacter": "*"}
    }
    assert any(n.startswith("pii.fields[0].info_type") for n in notes)


SECRET = "4111111111111111"


@pytest.mark.parametrize(
    "text, where",
    [
        ("{not json", "is not valid JSON (line 1, column 2)"),
        (
            '{"deidentifyConfig": {"recordTransformation": {}}}',
            "DeidentifyTemplate.deidentifyConfig.recordTransformation: unknown field",
        ),
        (
            '{"recordTransformations": {"fieldTransformations": [{"fields": [{"name": "a"}], "primitiveTransformation": '
            '{"replaceConfig": {"newValue": {"stringValue": "x"}, "colour": "' + SECRET + '"}}}]}}',
            "DeidentifyConfig.recordTransformations.fieldTransformations[0].primitiveTransformation.replaceConfig.colour:"
            " unknown field",
        ),
        (
            '{"infoTypeTransformations": {"transformations": [{"primitiveTransformation": {"cryptoReplaceFfxFpeConfig": '
            '{"commonAlphabet": "' + SECRET + '"}}}]}}',
            "commonAlphabet: not a valid value",
        ),
        ('{"imageTransformations": {}}', "imageTransformations: image redaction has no dataset-config form"),
    ],
)
def test_bad_templates_exit_2_naming_the_key_never_the_value(tmp_path, text, where):
    path = tmp_path / "t.json"
    path.write_text(text)
    result = run_cli("dlp", "import", "--deidentify-template", path, "--output", tmp_path / "out.yaml")
    assert result.code == 2
    assert where in result.err
    assert SECRET not in result.err + result.out
    assert not (tmp_path / "out.yaml").exists()


def test_export_of_a_bad_config_exits_2(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("dataset: x\n")
    result = run_cli("dlp", "export", "--dataset_config", path)
    assert result.code == 2
    assert "schema" in result.err


def test_detection_settings_round_trip_through_an_inspect_config():
    detection = {
        "info_types": ["EMAIL_ADDRESS", "PHONE_NUMBER"],
        "min_likelihood": "LIKELY",
        "hotwords": {
            "PHONE_NUMBER": {"words": ["tel", "call me"], "window_before": 30, "window_after": 5, "boost": 2},
            "EMPLOYEE_ID": {
                "words": ["staff"],
                "window_before": 10,
                "window_after": 0,
                "likelihood": "VERY_LIKELY",
            },
        },
        "exclusions": {"EMAIL_ADDRESS": {"dictionary": ["info@example.com"], "regex": [".*@example\\.org"]}},
        "custom_info_types": {
            "EMPLOYEE_ID": {"regex": "EMP-\\d{7}", "likelihood": "LIKELY"},
            "CODENAME": {"words": ["bluebird"], "likelihood": "POSSIBLE"},
            "TICKET": {"regex": "tkt-\\d+", "ignore_case": True, "likelihood": "LIKELY"},
        },
    }
    doc = {
        "dataset": "d",
        "source": {"format": "jsonl", "path": "x.jsonl"},
        "schema": {"fields": [{"name": "ts", "type": "timestamp"}, {"name": "text", "type": "string"}]},
        "event_time": {"field": "ts"},
        "pii": {"scan_fields": ["text"], "detection": detection},
        "sinks": {"output_dir": "out"},
    }
    from veilwatch.transforms.config_loading.loader import parse_config

    warnings: list[str] = []
    inspect = inspect_config_for(parse_config(doc), warnings)
    assert warnings == []
    again = dlp_v2.InspectConfig.from_json(dlp_v2.InspectConfig.to_json(inspect))
    sections, notes = config_sections_from_templates(dlp_v2.DeidentifyConfig(), again)
    assert notes == []
    assert sections["pii"]["detection"] == {
        **detection,
        "min_likelihood": "LIKELY",
        "custom_info_types": {
            "EMPLOYEE_ID": {"regex": "EMP-\\d{7}", "likelihood": "LIKELY"},
            "CODENAME": {"words": ["bluebird"], "likelihood": "POSSIBLE"},
            "TICKET": {"regex": "tkt-\\d+", "ignore_case": True, "likelihood": "LIKELY"},
        },
    }


def test_export_keeps_dlp_keys_and_drops_veilwatch_extensions_with_a_warning():
    key = "YWJjZGVmZ2hpamtsbW5vcB=="  # dotnet-docs-samples' unwrapped test key (16 bytes)
    doc = {
        "dataset": "d",
        "source": {"format": "jsonl", "path": "x.jsonl"},
        "schema": {"fields": [{"name": "ts", "type": "timestamp"}, {"name": "zip", "type": "string"}]},
        "event_time": {"field": "ts"},
        "pii": {
            "fields": [
                {
                    "path": "zip",
                    "info_type": "GENERIC_ID",
                    "transformation": {
                        "cryptoReplaceFfxFpeConfig": {
                            "commonAlphabet": "NUMERIC",
                            "veilwatchSmallDomain": "redact",
                            "cryptoKey": {"unwrapped": {"key": key}},
                        }
                    },
                }
            ]
        },
        "sinks": {"output_dir": "out"},
    }
    from google.protobuf import json_format

    from veilwatch.transforms.config_loading.loader import parse_config

    warnings: list[str] = []
    message = deidentify_config_for(parse_config(doc), warnings)
    primitive = json_format.MessageToDict(message._pb)["recordTransformations"]["fieldTransformations"][0]
    fpe = primitive["primitiveTransformation"]["cryptoReplaceFfxFpeConfig"]
    # the same 16 bytes, in protobuf's canonical base64 (the sample's last character carries unused bits)
    assert fpe == {
        "commonAlphabet": "NUMERIC",
        "cryptoKey": {"unwrapped": {"key": "YWJjZGVmZ2hpamtsbW5vcA=="}},
    }
    assert warnings == [
        "pii.fields[0].transformation.cryptoReplaceFfxFpeConfig.veilwatchSmallDomain: a veilwatch "
        "extension DLP does not know; left out of the DLP config"
    ]
