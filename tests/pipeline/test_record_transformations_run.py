"""``veilwatch run`` with DLP record transformations: conditions and record suppressions
(DirectRunner). Suppressed records are neither anonymized nor dead-lettered, and are counted."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.conftest import REPO, run_cli
from tests.pipeline.helpers import read_jsonl_dir
from veilwatch.pipelines.sample_data import generate, write_jsonl

pytestmark = pytest.mark.pipeline


def _cond(field, operator, value):
    return {
        "expressions": {
            "logicalOperator": "AND",
            "conditions": {"conditions": [{"field": {"name": field}, "operator": operator, "value": value}]},
        }
    }


def test_suppressed_records_are_counted_and_written_nowhere(tmp_path, keyset_path):
    records, _ = generate("payments", days=1, seed=5, base_per_hour=6)
    data = tmp_path / "payments.jsonl"
    write_jsonl(str(data), records)
    big = [r for r in records if r["amount"] > 100]
    assert 0 < len(big) < len(records)
    doc = yaml.safe_load((REPO / "templates" / "datasets" / "payments.yaml").read_text())
    doc["pii"]["record_suppressions"] = [
        {"condition": _cond("amount", "GREATER_THAN", {"integerValue": "100"})}
    ]
    # the merchant reference is masked only where the country is DE (read before de-identification)
    doc["pii"]["fields"].append(
        {
            "path": "merchant_reference",
            "info_type": "GENERIC_ID",
            "transformation": "redactConfig",
            "condition": _cond("country", "EQUAL_TO", {"stringValue": "DE"}),
        }
    )
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(doc, sort_keys=False))
    out = tmp_path / "out"
    result = run_cli(
        "run",
        "--dataset_config",
        config,
        "--input",
        data,
        "--output_dir",
        out,
        "--keyset",
        keyset_path,
        "--allow_plaintext_keys",
    )
    assert result.code == 0, result.err

    summary = json.loads((out / "run_summary.json").read_text())
    assert summary["records_suppressed"] == len(big)
    assert summary["records_read"] == len(records)
    assert summary["records_anonymized"] == len(records) - len(big)
    assert summary["records_dead_lettered"] == 0
    assert summary["all_records_accounted_for"] is True
    assert "suppressed" in result.out
    written = read_jsonl_dir(out / "anonymized")
    assert len(written) == len(records) - len(big)
    assert all(r["amount"] <= 100 for r in written)
    refs = [r for r in written if r.get("merchant_reference") is not None]
    assert refs
    assert any(r["country"] == "DE" for r in refs)
    assert any(r["country"] != "DE" for r in refs)
    assert all((r["merchant_reference"] == "") == (r["country"] == "DE") for r in refs)
