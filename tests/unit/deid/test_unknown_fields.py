"""Fields outside the schema under keep and scan (issue 11, defect 2): values at any depth are
scanned (scan), key names are data under both (scanned, and renamed when they hold PII), and
no finding's field path carries a key that held PII."""

from __future__ import annotations

import copy
import json

import pytest

from veilwatch.transforms.config.model import FieldSpec, FieldType, PiiSpec
from veilwatch.transforms.deid.record_deidentifier import RecordDeidentifier
from veilwatch.transforms.deid.unknown_fields import rename_keys, rewrite_unknown_fields
from veilwatch.transforms.detection.engine import DetectionEngine
from veilwatch.transforms.detection.settings import DetectionSettings
from veilwatch.transforms.records.schema import SchemaTree

EMAIL = "jane.roe@leakmail.com"
OTHER = "john.doe@leakmail.com"
CARD = 4111111111111111
SCHEMA = SchemaTree(
    (
        FieldSpec("ts", FieldType.TIMESTAMP),
        FieldSpec("http.method", FieldType.STRING),
        FieldSpec("items[].sku", FieldType.STRING),
    )
)


@pytest.fixture(scope="module")
def engine():
    return DetectionEngine(DetectionSettings(use_ner=False))


def deidentify(record: dict, engine, scan_values: bool):
    record = copy.deepcopy(record)  # parametrized records are shared between cases
    deidentifier = RecordDeidentifier(PiiSpec(), None, engine, SCHEMA, scan_unknown_values=scan_values)
    findings = deidentifier.deidentify(record)
    return record, [(f.field, f.info_type) for f in findings]


def leaks(*texts) -> list[str]:
    out = json.dumps(texts)
    return [planted for planted in (EMAIL, OTHER, "leakmail", str(CARD)) if planted in out]


@pytest.mark.parametrize(
    "record,expected,fields",
    [
        ({"x": {"y": f"mail {EMAIL}"}}, {"x": {"y": "mail [EMAIL_ADDRESS]"}}, ["x.y"]),
        (
            {"x": [f"mail {EMAIL}", [EMAIL]]},
            {"x": ["mail [EMAIL_ADDRESS]", ["[EMAIL_ADDRESS]"]]},
            ["x[]", "x[][]"],
        ),
        ({"a.b": f"mail {EMAIL}"}, {"a.b": "mail [EMAIL_ADDRESS]"}, ["a.b"]),
        (
            {"http": {"method": "GET", "extra": EMAIL}},
            {"http": {"method": "GET", "extra": "[EMAIL_ADDRESS]"}},
            ["http.extra"],
        ),
        (
            {"items": [{"sku": "1", "note": EMAIL}]},
            {"items": [{"sku": "1", "note": "[EMAIL_ADDRESS]"}]},
            ["items[].note"],
        ),
        ({"x": {"card": CARD}}, {"x": {"card": "[CREDIT_CARD_NUMBER]"}}, ["x.card"]),
    ],
)
def test_scan_reaches_values_at_any_depth_in_lists_and_under_dotted_keys(record, expected, fields, engine):
    out, findings = deidentify(record, engine, scan_values=True)
    assert out == expected
    assert sorted(field for field, _ in findings) == sorted(fields)
    assert leaks(out, findings) == []


@pytest.mark.parametrize("scan_values", [False, True])
@pytest.mark.parametrize(
    "record,expected,fields",
    [
        ({EMAIL: 1}, {"[EMAIL_ADDRESS]": 1}, ["{key}"]),
        ({"x": {EMAIL: {"y": 2}}}, {"x": {"[EMAIL_ADDRESS]": {"y": 2}}}, ["x.{key}"]),
        ({"x": [{f"to {EMAIL}": 3}]}, {"x": [{"to [EMAIL_ADDRESS]": 3}]}, ["x[].{key}"]),
        (
            {"http": {"method": "GET", EMAIL: 4}},
            {"http": {"method": "GET", "[EMAIL_ADDRESS]": 4}},
            ["http.{key}"],
        ),
        ({"a.b": {EMAIL: 5}}, {"a.b": {"[EMAIL_ADDRESS]": 5}}, ["a.b.{key}"]),
    ],
)
def test_key_names_holding_pii_are_renamed_under_keep_and_scan(record, expected, fields, scan_values, engine):
    out, findings = deidentify(record, engine, scan_values)
    assert out == expected
    assert [field for field, _ in findings] == fields
    assert leaks(out, findings) == []


def test_findings_below_a_renamed_key_use_its_new_name(engine):
    out, findings = deidentify({EMAIL: {"note": f"write to {OTHER}"}}, engine, scan_values=True)
    assert out == {"[EMAIL_ADDRESS]": {"note": "write to [EMAIL_ADDRESS]"}}
    assert findings == [("{key}", "EMAIL_ADDRESS"), ("[EMAIL_ADDRESS].note", "EMAIL_ADDRESS")]


def test_keep_leaves_values_as_they_are(engine):
    out, findings = deidentify({"x": {"y": f"mail {EMAIL}", "n": CARD}}, engine, scan_values=False)
    assert out == {"x": {"y": f"mail {EMAIL}", "n": CARD}}
    assert findings == []


def test_renamed_keys_that_meet_get_a_suffix_and_no_value_is_lost(engine):
    record = {"ts": "t", EMAIL: 1, "[EMAIL_ADDRESS]": 2, OTHER: 3, "plain": 4}
    out, findings = deidentify(record, engine, scan_values=True)
    assert out == {
        "ts": "t",
        "[EMAIL_ADDRESS]": 1,
        "[EMAIL_ADDRESS]~2": 2,
        "[EMAIL_ADDRESS]~3": 3,
        "plain": 4,
    }
    assert list(out) == ["ts", "[EMAIL_ADDRESS]", "[EMAIL_ADDRESS]~2", "[EMAIL_ADDRESS]~3", "plain"]
    assert len(findings) == 2


def test_schema_keys_are_not_scanned_or_renamed(engine):
    record = {"ts": EMAIL, "http": {"method": "GET"}}
    assert deidentify(record, engine, scan_values=True) == ({"ts": EMAIL, "http": {"method": "GET"}}, [])


def test_rename_keeps_order_and_the_walk_has_no_depth_limit():
    node = {"a": 1, "b": 2, "c": 3}
    assert rename_keys(node, ["a", "c"], "", lambda key, path: "b" if key == "c" else key.upper()) == [
        "A",
        "b~2",
    ]
    assert list(node.items()) == [("A", 1), ("b", 2), ("b~2", 3)]
    deep: dict = {"leaf": "v"}
    for _ in range(5000):  # deeper than the recursion limit
        deep = {"k": deep}
    record = {"x": deep}
    seen = []
    rewrite_unknown_fields(
        record, SCHEMA, lambda key, path: key, lambda value, path: seen.append(path) or value
    )
    assert len(seen) == 1
    assert seen[0].count(".") == 5001
