"""``veilwatch run`` on hostile records (issue 11, defects 2, 3, 6, 11), under every unknown_fields policy.

One JSONL file with the bundled app_logs config: ordinary log lines, a field nested 500 deep
(a ~1,050-byte line), PII in key names (top level, nested, in lists, dotted, under a schema
object), PII in values of fields outside the schema, an event time holding an email and
numbers that are not finite. Every run must exit 0, account for every record, and write no
planted value (exact or lower-cased) to any output file or to its own output.
"""

from __future__ import annotations

import json

import pytest
import yaml

from tests.conftest import REPO, run_cli
from tests.pipeline.helpers import all_output_text, read_jsonl_dir

pytestmark = pytest.mark.pipeline

TS = "2026-11-02T10:{:02d}:00Z"
# Planted values: mixed case, so a lower-cased copy would be caught too.
KEY_PLANTS = [
    "Key.Top@LeakMail.com",
    "Key.Nested@LeakMail.com",
    "Key.InList@LeakMail.com",
    "Key.Dotted@LeakMail.com",
    "Key.Http@LeakMail.com",
    "Key.Deep@LeakMail.com",
]
VALUE_PLANTS = [
    "Val.Nested@LeakMail.com",
    "Val.InList@LeakMail.com",
    "Val.Dotted@LeakMail.com",
    "Val.Http@LeakMail.com",
]
TIME_PLANT = "Time.Stamp@LeakMail.com"
NON_FINITE = ["1e999", "Infinity", "1E400", "NaN", "-Infinity"]
MAX_DEPTH = 200  # the ceiling of source.max_depth


def _line(minute: int, **fields) -> str:
    record = {
        "ts": TS.format(minute),
        "service": "api",
        "level": "INFO",
        "user_id": f"u-{minute}",
        "client_ip": "203.0.113.7",
        "http": {"method": "GET", "path": "/api", "status": 200},
        "latency_ms": 12.5,
        "message": "GET /api 200",
        **fields,
    }
    return json.dumps(record)


def hostile_lines(with_pii_values: bool) -> tuple[list[str], int, int]:
    """The file's lines, how many must be dead-lettered whatever the policy, and how many
    other lines have fields outside the schema."""
    good = [_line(m) for m in range(10)]
    deep = '{"ts": "' + TS.format(10) + '", "service": "api", "deep": ' + "[" * 500 + "]" * 500 + "}"
    assert 1000 < len(deep) < 1100
    # as deep as source.max_depth allows: it must pass every step after parsing (pickling, sinks)
    at_limit = _line(9)[:-1] + ', "deep": ' + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "}"
    keys = [
        _line(11, **{KEY_PLANTS[0]: 1}),
        _line(12, x={KEY_PLANTS[1]: {"y": 2}}),
        _line(13, x=[{KEY_PLANTS[2]: 3}, [{"z": {KEY_PLANTS[5]: [4]}}]]),
        _line(14, **{"a.b": {KEY_PLANTS[3]: 5}}),
        _line(15, http={"method": "GET", "path": "/", "status": 200, KEY_PLANTS[4]: 6}),
    ]
    values = (
        [
            _line(16, x={"y": {"z": f"mail {VALUE_PLANTS[0]}"}}),
            _line(17, x=[1, [f"to {VALUE_PLANTS[1]}"]]),
            _line(18, **{"a.b": f"cc {VALUE_PLANTS[2]}"}),
            _line(19, http={"method": "GET", "path": "/", "status": 200, "from": VALUE_PLANTS[3]}),
        ]
        if with_pii_values
        else []
    )
    bad_time = _line(20).replace(TS.format(20), TIME_PLANT)
    non_finite = [
        _line(21 + i)[:-1].replace('"latency_ms": 12.5', f'"latency_ms": {n}') + "}"
        for i, n in enumerate(NON_FINITE)
    ]
    lines = good + [deep, at_limit] + keys + values + [bad_time] + non_finite
    return lines, 1 + 1 + len(non_finite), 1 + len(keys) + len(values)


def _config(tmp_path, data, policy: str):
    doc = yaml.safe_load((REPO / "templates" / "datasets" / "app_logs.yaml").read_text())
    doc["source"]["path"] = str(data)
    doc["source"]["max_depth"] = MAX_DEPTH
    doc["schema"]["unknown_fields"] = policy
    doc["pii"]["detection"] = {"use_ner": False}  # email addresses need no NER; keeps the run short
    for key in ("data_validation", "detector"):
        doc.pop(key, None)
    doc["metrics"] = [{"name": "record_count", "type": "count"}]
    path = tmp_path / f"config-{policy}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


@pytest.mark.parametrize("policy", ["drop", "keep", "scan", "reject"])
def test_hostile_records_end_as_records_or_dead_letters_and_leak_nothing(policy, tmp_path, keyset_path):
    # keep passes values of unknown fields on as they are (its documented meaning): only key names are planted
    lines, always_dead, unknown_records = hostile_lines(with_pii_values=policy != "keep")
    data = tmp_path / "hostile.jsonl"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli(
        "run",
        "--dataset_config",
        _config(tmp_path, data, policy),
        "--output_dir",
        out,
        "--keyset",
        keyset_path,
        "--allow_plaintext_keys",
    )
    assert result.code == 0, result.err

    summary = json.loads((out / "run_summary.json").read_text())
    assert summary["records_read"] == len(lines)
    assert summary["records_read"] == (
        summary["records_anonymized"] + summary["records_dead_lettered"] + summary["records_suppressed"]
    )
    assert summary["all_records_accounted_for"]
    expected_dead = always_dead + (unknown_records if policy == "reject" else 0)
    assert summary["records_dead_lettered"] == expected_dead
    by_stage = summary["dead_letters_by_stage"]
    assert by_stage["parse"] == 1
    assert by_stage["event_time"] == 1
    assert by_stage["validate"] == len(NON_FINITE) + (unknown_records if policy == "reject" else 0)

    dead = read_jsonl_dir(out / "dead_letter")
    assert len(dead) == expected_dead
    assert (
        sum(
            d["error"] == "record nests objects and lists deeper than source.max_depth (200 levels)"
            for d in dead
        )
        == 1
    )
    assert sum("must be a finite number" in d["error"] for d in dead) == len(NON_FINITE)
    anonymized = read_jsonl_dir(out / "anonymized")
    assert len(anonymized) == summary["records_anonymized"] > 0
    if policy in ("keep", "scan"):
        # every PII key name was found (and its key renamed to the email's token)
        key_findings = [f for f in read_jsonl_dir(out / "findings") if f["field"].endswith("{key}")]
        assert len(key_findings) == len(KEY_PLANTS)
        assert {f["field"] for f in key_findings} == {
            "{key}",
            "x.{key}",
            "x[].{key}",
            "x[][].z.{key}",
            "a.b.{key}",
            "http.{key}",
        }
        assert sum(
            n
            for field, counts in summary["findings_by_field"].items()
            if field.endswith("{key}")
            for n in counts.values()
        ) == len(KEY_PLANTS)

    written = all_output_text(out) + result.out + result.err
    planted = KEY_PLANTS + TIME_PLANT.split() + (VALUE_PLANTS if policy != "keep" else [])
    leaked = [p for p in planted if p in written or p.lower() in written.lower()]
    assert leaked == []
    assert "leakmail" not in written.lower()
