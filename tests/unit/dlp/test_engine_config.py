"""``pii.engine`` and ``pii.dlp``: parsed into DlpEngineSpec; mistakes exit 2 naming the key."""

from __future__ import annotations

import pytest
import yaml

from tests.conftest import REPO, run_cli
from veilwatch.transforms.config.model import (
    DLP_DEFAULT_REQUESTS_PER_MINUTE,
    DlpEngineSpec,
    DlpMode,
    PiiEngine,
)
from veilwatch.transforms.config_loading.loader import load_config
from veilwatch.transforms.dlp.client import endpoint_for, parent_for

# Primitives DLP runs without a key (the payments example's keyed ones use the tink keyset).
KEYLESS = {"customer.email": "redactConfig", "card_number": "redactConfig", "ip_address": "redactConfig"}


def _config(tmp_path, pii_changes, schema_changes=None, keyless=True):
    doc = yaml.safe_load((REPO / "templates" / "datasets" / "payments.yaml").read_text())
    if keyless:
        for item in doc["pii"]["fields"]:
            item["transformation"] = KEYLESS.get(item["path"], item["transformation"])
        doc["pii"]["info_type_transformations"] = {"EMAIL_ADDRESS": "replaceWithInfoTypeConfig"}
    doc["pii"].update(pii_changes)
    doc["schema"].update(schema_changes or {})
    doc["source"]["path"] = str(REPO / "templates" / "sample_data" / "payments.jsonl")
    doc["keys"]["keyset"] = str(REPO / ".veilwatch" / "demo_keyset.json")
    doc["sinks"]["output_dir"] = str(tmp_path / "out")
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_local_is_the_default_engine():
    config = load_config(str(REPO / "templates" / "datasets" / "payments.yaml"))
    assert config.pii.engine is PiiEngine.LOCAL
    assert config.pii.dlp is None


def test_dlp_settings_are_parsed_with_dlp_defaults(tmp_path):
    config = load_config(str(_config(tmp_path, {"engine": "dlp", "dlp": {"project": "acme-pii"}})))
    assert config.pii.engine is PiiEngine.DLP
    assert config.pii.dlp == DlpEngineSpec(project="acme-pii")
    assert config.pii.dlp.requests_per_minute == DLP_DEFAULT_REQUESTS_PER_MINUTE == 600
    assert config.pii.dlp.mode is DlpMode.DEIDENTIFY
    assert config.pii.dlp.location == "global"
    full = {
        "project": "acme-pii",
        "location": "europe-west3",
        "mode": "detect",
        "requests_per_minute": 120,
        "inspect_template_name": "projects/acme-pii/locations/europe-west3/inspectTemplates/payments",
        "deidentify_template_name": "projects/acme-pii/locations/europe-west3/deidentifyTemplates/payments",
    }
    spec = load_config(str(_config(tmp_path, {"engine": "dlp", "dlp": full}))).pii.dlp
    assert (spec.location, spec.mode, spec.requests_per_minute) == ("europe-west3", DlpMode.DETECT, 120)
    assert spec.deidentify_template_name.endswith("/deidentifyTemplates/payments")


def test_endpoints_follow_the_location():
    assert endpoint_for(DlpEngineSpec("p")) == "dlp.googleapis.com"
    assert endpoint_for(DlpEngineSpec("p", "europe-west3")) == "dlp.europe-west3.rep.googleapis.com"
    assert endpoint_for(DlpEngineSpec("p", "us-central1", endpoint="10.0.0.7:443")) == "10.0.0.7:443"
    assert parent_for(DlpEngineSpec("p", "us-central1")) == "projects/p/locations/us-central1"


BROKEN = [
    ({"engine": "cloud"}, None, "pii.engine: must be one of: local, dlp"),
    ({"engine": "dlp"}, None, "pii.dlp: is required with pii.engine dlp"),
    ({"dlp": {"project": "acme-pii"}}, None, "pii.dlp: applies to pii.engine dlp only"),
    ({"engine": "dlp", "dlp": {"location": "global"}}, None, "pii.dlp.project: is required but missing"),
    (
        {"engine": "dlp", "dlp": {"project": "acme-pii", "mode": "redact"}},
        None,
        "pii.dlp.mode: must be one of: deidentify, detect",
    ),
    (
        {"engine": "dlp", "dlp": {"project": "acme-pii", "requests_per_minute": 0}},
        None,
        "pii.dlp.requests_per_minute: must be a positive number",
    ),
    (
        {"engine": "dlp", "dlp": {"project": "acme-pii", "location": "Europe West"}},
        None,
        "pii.dlp.location: must be a DLP location",
    ),
    (
        {"engine": "dlp", "dlp": {"project": "acme-pii", "deidentify_template_name": "payments"}},
        None,
        "pii.dlp.deidentify_template_name: must be a template resource name",
    ),
    (
        {
            "engine": "dlp",
            "dlp": {
                "project": "acme-pii",
                "inspect_template_name": "projects/acme-pii/deidentifyTemplates/payments",
            },
        },
        None,
        "pii.dlp.inspect_template_name: must be a template resource name",
    ),
    ({"engine": "dlp", "dlp": {"project": "acme-pii", "quota": 5}}, None, "pii.dlp.quota: unknown key"),
    (
        {"engine": "dlp", "dlp": {"project": "acme-pii"}},
        {"unknown_fields": "scan"},
        "pii.engine: dlp de-identifies the declared and scanned fields as a table",
    ),
]


def test_keyed_primitives_without_a_dlp_key_are_refused_for_dlp_deidentify(tmp_path):
    result = run_cli(
        "validate-config",
        _config(tmp_path, {"engine": "dlp", "dlp": {"project": "acme-pii"}}, keyless=False),
        "--output_dir",
        tmp_path / "out",
    )
    assert result.code == 2
    assert (
        "pii.engine: dlp (mode deidentify) cannot use the dataset keyset: give pii.fields[1], pii.fields[3], "
        "pii.fields[5] DLP's cryptoKey"
    ) in result.err
    # mode detect transforms locally, with the keyset: accepted.
    detect = _config(
        tmp_path, {"engine": "dlp", "dlp": {"project": "acme-pii", "mode": "detect"}}, keyless=False
    )
    assert load_config(str(detect)).pii.dlp.mode is DlpMode.DETECT


@pytest.mark.parametrize("pii,schema,expected", BROKEN)
def test_bad_engine_settings_exit_2_naming_the_key(tmp_path, pii, schema, expected):
    result = run_cli("validate-config", _config(tmp_path, pii, schema), "--output_dir", tmp_path / "out")
    assert result.code == 2, result.err
    assert expected in result.err
    assert not (tmp_path / "out").exists()
