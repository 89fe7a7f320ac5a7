"""``veilwatch dlp export`` / ``dlp import`` of field paths that step into lists (``items[].sku``).

A DLP ``FieldId`` name is free text; the exported header keeps veilwatch's path form, ``[]``
included, so that ``dlp import`` maps it back to the same path (dropping the marker would turn
``items[].sku`` into ``items.sku``, a different field that is never found in the records)."""

from __future__ import annotations

import json

import yaml
from google.cloud import dlp_v2

from tests.conftest import run_cli

_TRANSIENT = {"cryptoKey": {"transient": {"name": "k"}}}


def _config(tmp_path):
    doc = {
        "dataset": "orders",
        "source": {"format": "jsonl", "path": "orders.jsonl"},
        "schema": {
            "fields": [
                {"name": "ts", "type": "timestamp", "required": True},
                {"name": "items[].sku", "type": "string"},
                {"name": "customer.email", "type": "string"},
                {"name": "comments[].text", "type": "string"},
            ]
        },
        "event_time": {"field": "ts"},
        "sinks": {"output_dir": "out"},
        "pii": {
            "fields": [
                {
                    "paths": ["items[].sku", "customer.email"],
                    "info_type": "GENERIC_ID",
                    "transformation": {"cryptoHashConfig": _TRANSIENT},
                }
            ],
            "scan_fields": ["comments[].text"],
        },
    }
    path = tmp_path / "orders.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_list_paths_survive_export_import_export(tmp_path):
    first = run_cli("dlp", "export", "--dataset_config", _config(tmp_path))
    assert first.code == 0, first.err
    document = json.loads(first.out)
    config = dlp_v2.DeidentifyConfig.from_json(json.dumps(document["deidentifyConfig"]))
    items = config.record_transformations.field_transformations
    assert [[f.name for f in item.fields] for item in items] == [
        ["items[].sku", "customer.email"],
        ["comments[].text"],
    ]

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
        tmp_path / "imported.yaml",
    )
    assert imported.code == 0, imported.err
    doc = yaml.safe_load((tmp_path / "imported.yaml").read_text())
    assert [item.get("paths", [item.get("path")]) for item in doc["pii"]["fields"]] == [
        ["items[].sku", "customer.email"],
        ["comments[].text"],
    ]
    assert {"name": "items[].sku", "type": "string"} in doc["schema"]["fields"]
    assert run_cli("validate-config", tmp_path / "imported.yaml").code == 0

    second = run_cli("dlp", "export", "--dataset_config", tmp_path / "imported.yaml")
    assert second.code == 0, second.err
    assert json.loads(second.out) == document
