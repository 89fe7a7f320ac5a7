"""Beam counters for Cloud Monitoring: stable names, documented in the README, never PII (#14 item 5).

A real batch run of the payments config on the DirectRunner with planted PII
(in declared fields, in free text, and as the key name of a field outside the
schema) and a broken line; every counter it reports in the ``veilwatch``
namespace must match a row of the README's counter table, the findings and
dead letters must be counted per infoType and per stage, and no planted value
may appear in any counter name.
"""

from __future__ import annotations

import json
import re

import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.testing.test_pipeline import TestPipeline

from tests.conftest import REPO
from tests.pipeline.helpers import example_config
from veilwatch.pipelines.anonymize_pipeline import build_pipeline
from veilwatch.transforms.config_loading.loader import ConfigOverrides, load_config

pytestmark = pytest.mark.pipeline

PLANTED = ("jane.roe@example.com", "Jane Roe", "4111111111111111", "+44 20 7946 0958", "mallory@evil.example")


def readme_counter_patterns() -> list[re.Pattern]:
    """One regex per name in the README's counter table (``<...>`` is any name part)."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| counter | counts |") :]
    table = table[: table.index("\n\n")]
    patterns = []
    for row in table.splitlines()[2:]:
        cell = row.split(" | ")[0].lstrip("| ")
        for name in re.findall(r"`([^`]+)`", cell):
            name = name.replace("\\|", "|")
            parts = re.split(r"(<[^>]+>)", name)
            patterns.append(re.compile("".join(".+" if p.startswith("<") else re.escape(p) for p in parts)))
    return patterns


def _record(i: int, **changes) -> dict:
    record = {
        "transaction_id": f"t-{i}",
        "ts": f"2026-11-27T{i % 24:02d}:10:00Z",
        "customer": {"name": "Jane Roe", "email": "jane.roe@example.com", "phone": "+44 20 7946 0958"},
        "card_number": "4111111111111111",
        "amount": 10.0 + i,
        "currency": "EUR",
        "merchant_category": "grocery",
        "note": "ok",
    }
    record.update(changes)
    return record


def test_counters_are_documented_counted_per_info_type_and_stage_and_hold_no_pii(tmp_path, keyset_path):
    data = tmp_path / "in.jsonl"
    lines = [json.dumps(_record(i)) for i in range(30)]
    lines[3] = json.dumps(_record(3, note="write to mallory@evil.example please"))
    lines[4] = json.dumps(_record(4, **{"mallory@evil.example": "a key name is data"}))
    lines[5] = json.dumps(_record(5, amount="Jane Roe"))  # wrong type: validate
    lines.append('{"transaction_id": "t-broken", "note": "jane.roe@example.com"')  # not JSON: parse
    data.write_text("\n".join(lines) + "\n")
    config = load_config(
        str(example_config(tmp_path)),
        ConfigOverrides(input=str(data), output_dir=str(tmp_path / "out"), keyset=str(keyset_path)),
    )

    pipeline = TestPipeline()
    build_pipeline(pipeline, config, allow_plaintext_keys=True)
    result = pipeline.run()
    result.wait_until_finish()
    counters: dict[str, int] = {}
    for c in result.metrics().query(MetricsFilter().with_namespace("veilwatch"))["counters"]:
        counters[c.key.metric.name] = counters.get(c.key.metric.name, 0) + c.committed

    assert counters["records_read"] == 31
    assert counters["records_anonymized"] + counters["records_dead_lettered"] == 31
    assert counters["dead_letters_parse"] == 1
    assert counters["dead_letters_validate"] == 1
    assert counters["findings_EMAIL_ADDRESS"] >= 1
    assert counters["findings"] == sum(v for k, v in counters.items() if k.startswith("findings_"))
    assert counters["windows_scored"] > 0
    assert "alerts" in counters
    assert "windows_flagged" in counters

    patterns = readme_counter_patterns()
    assert len(patterns) >= 20
    undocumented = [name for name in counters if not any(p.fullmatch(name) for p in patterns)]
    assert undocumented == []
    for name in counters:
        for value in PLANTED:
            assert value not in name, name
            assert value.split("@")[0] not in name, name
