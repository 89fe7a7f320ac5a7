"""The de-identifier's per-value caches never hand back a stale or foreign answer.

RecordDeidentifier remembers the outputs of context-free primitives per distinct
value (declared fields) and per (primitive, infoType, field, text) (findings in
scanned text). These tests de-identify the same values where the config says the
output must differ (another transformation, another key, another field's own
infoTypeTransformations) and check each answer against a fresh computation, in
both orders, so a cache keyed on too little fails them.
"""

from __future__ import annotations

import copy

from tests.unit.deid.keys import keyring, rotated
from veilwatch.transforms.config_loading.loader import parse_config
from veilwatch.transforms.deid.record_deidentifier import FieldRewriter, RecordDeidentifier
from veilwatch.transforms.detection.engine import DetectionEngine
from veilwatch.transforms.detection.settings import DetectionSettings

EMAIL = "jane.doe@example.org"
OTHER = "max.mustermann@example.net"


def _doc(pii: dict) -> dict:
    return {
        "dataset": "t",
        "source": {"format": "jsonl", "path": "in.jsonl"},
        "schema": {
            "fields": [
                {"name": "ts", "type": "timestamp"},
                {"name": "email", "type": "string"},
                {"name": "contact", "type": "string"},
                {"name": "note", "type": "string"},
                {"name": "memo", "type": "string"},
                {"name": "customer.email", "type": "string"},
                {"name": "customer.id", "type": "integer"},
                {"name": "items[].sku", "type": "string"},
            ]
        },
        "event_time": {"field": "ts"},
        "pii": pii,
        "keys": {"keyset": "keyset.json"},  # the keyring the tests pass in stands for it
        "sinks": {"output_dir": "out"},
    }


def _scanner() -> DetectionEngine:
    return DetectionEngine(DetectionSettings(info_types=("EMAIL_ADDRESS", "PHONE_NUMBER"), use_ner=False))


def _deidentifier(pii: dict, keys=None) -> RecordDeidentifier:
    return RecordDeidentifier(parse_config(_doc(pii)).pii, keys, _scanner())


def test_declared_fields_with_different_primitives_never_share_an_answer():
    pii = {
        "fields": [
            {"path": "email", "info_type": "EMAIL_ADDRESS", "transformation": {"cryptoHashConfig": {}}},
            {
                "path": "contact",
                "info_type": "EMAIL_ADDRESS",
                "transformation": {"replaceConfig": {"newValue": {"stringValue": "[contact]"}}},
            },
        ]
    }
    deid = _deidentifier(pii, keyring())
    first = {"email": EMAIL, "contact": EMAIL}
    second = {"contact": EMAIL, "email": EMAIL}
    deid.deidentify(first)
    deid.deidentify(second)
    assert first["contact"] == second["contact"] == "[contact]"
    assert first["email"] == second["email"] != EMAIL
    assert len(first["email"]) == 44  # a base64 HMAC-SHA256, not the other field's answer


def test_the_same_value_under_another_key_gets_another_token_and_no_cache_crosses_instances():
    pii = {
        "fields": [
            {"path": "email", "info_type": "EMAIL_ADDRESS", "transformation": {"cryptoHashConfig": {}}},
        ],
        "scan_fields": ["note"],
        "info_type_transformations": {"EMAIL_ADDRESS": {"cryptoHashConfig": {}}},
    }
    ring = keyring()
    old_key, new_key = _deidentifier(pii, ring), _deidentifier(pii, rotated(ring))
    outputs = []
    for deid in (old_key, new_key, old_key, new_key):  # each instance warm with its own answers
        record = {"email": EMAIL, "note": f"mail {EMAIL} now"}
        deid.deidentify(record)
        outputs.append((record["email"], record["note"]))
    assert outputs[0] == outputs[2]
    assert outputs[1] == outputs[3]
    assert outputs[0][0] != outputs[1][0]
    assert outputs[0][1] != outputs[1][1]
    # a fresh instance (empty caches) gives the same answers as the warm ones
    fresh = {"email": EMAIL, "note": f"mail {EMAIL} now"}
    _deidentifier(pii, rotated(ring)).deidentify(fresh)  # another new key: yet another token
    assert (fresh["email"], fresh["note"]) not in outputs


def test_findings_get_each_fields_own_info_type_transformation_whatever_was_seen_before():
    pii = {
        "fields": [
            {
                "path": "memo",
                "info_type_transformations": {
                    "EMAIL_ADDRESS": {"replaceConfig": {"newValue": {"stringValue": "[memo email]"}}}
                },
            },
        ],
        "scan_fields": ["note"],
        "info_type_transformations": {"EMAIL_ADDRESS": {"cryptoDeterministicConfig": {}}},
    }
    deid = _deidentifier(pii, keyring())
    records = [
        {"note": f"to {EMAIL}", "memo": f"to {EMAIL}"},
        {"memo": f"to {EMAIL}", "note": f"to {EMAIL}"},
        {"note": f"to {EMAIL}"},
        {"memo": f"to {EMAIL}"},
    ]
    for record in records:
        deid.deidentify(record)
    assert records[0]["memo"] == records[1]["memo"] == records[3]["memo"] == "to [memo email]"
    token = records[0]["note"]
    assert token.startswith("to ") and EMAIL not in token and token != "to [memo email]"
    assert records[1]["note"] == records[2]["note"] == token


def test_one_field_scanned_by_two_items_gets_the_primitive_of_the_item_that_applies():
    # the same text, field and infoType: only the primitive differs (chosen by a condition)
    def item(contact: str, token: str) -> dict:
        return {
            "path": "memo",
            "condition": {
                "expressions": {
                    "conditions": {
                        "conditions": [
                            {
                                "field": {"name": "contact"},
                                "operator": "EQUAL_TO",
                                "value": {"stringValue": contact},
                            }
                        ]
                    }
                }
            },
            "info_type_transformations": {
                "EMAIL_ADDRESS": {"replaceConfig": {"newValue": {"stringValue": token}}}
            },
        }

    deid = _deidentifier({"fields": [item("a", "[a]"), item("b", "[b]")]})
    answers = []
    for contact in ("a", "b", "a", "b"):
        record = {"contact": contact, "memo": f"to {EMAIL}"}
        deid.deidentify(record)
        answers.append(record["memo"])
    assert answers == ["to [a]", "to [b]", "to [a]", "to [b]"]


def test_a_cached_scan_replacement_equals_a_fresh_one_and_each_finding_is_reported():
    pii = {
        "scan_fields": ["note"],
        "info_type_transformations": {"EMAIL_ADDRESS": {"cryptoDeterministicConfig": {}}},
    }
    ring = keyring()
    warm = _deidentifier(pii, ring)
    texts = [f"{EMAIL} and {OTHER}", f"{OTHER} then {EMAIL}", f"{EMAIL} and {OTHER}"]
    for text in texts:
        record = {"note": text}
        findings = warm.deidentify(record)
        fresh = {"note": text}
        fresh_findings = _deidentifier(pii, ring).deidentify(fresh)
        assert record == fresh
        assert findings == fresh_findings
        assert [f.info_type for f in findings] == ["EMAIL_ADDRESS", "EMAIL_ADDRESS"]


def test_a_failing_transformation_is_never_cached_every_failure_is_counted():
    # FF1 over digits cannot take an email: with leaveUntransformed each finding is kept and counted.
    pii = {
        "fields": [
            {
                "path": "email",
                "info_type": "EMAIL_ADDRESS",
                "transformation": {"cryptoReplaceFfxFpeConfig": {"commonAlphabet": "NUMERIC"}},
            },
        ],
        "scan_fields": ["note"],
        "info_type_transformations": {
            "EMAIL_ADDRESS": {"cryptoReplaceFfxFpeConfig": {"commonAlphabet": "NUMERIC"}}
        },
        "transformation_error_handling": {"leaveUntransformed": {}},
    }
    deid = _deidentifier(pii, keyring())
    for _ in range(3):
        record = {"email": EMAIL, "note": f"to {EMAIL}"}
        deid.deidentify(record)
        assert record == {"email": EMAIL, "note": f"to {EMAIL}"}
    counts = deid.transformation_errors.drain()
    assert sum(n for key, n in counts.items() if "|email|" in key) == 3
    assert sum(n for key, n in counts.items() if "|note|" in key) == 3


def test_the_grouped_rewrite_gives_what_each_field_rewriter_gives_in_config_order():
    """The plain path rewrites fields under one parent together and looks cached strings up
    inline: it must give exactly what FieldRewriter.rewrite gives, field by field, in order."""
    pii = {
        "fields": [
            {
                "path": "customer.email",
                "info_type": "EMAIL_ADDRESS",
                "transformation": {"cryptoHashConfig": {}},
            },
            {"path": "customer.id", "info_type": "CUSTOMER_ID", "transformation": {"cryptoHashConfig": {}}},
            {"path": "email", "info_type": "EMAIL_ADDRESS", "transformation": {"cryptoHashConfig": {}}},
            {"path": "items[].sku", "info_type": "SKU", "transformation": "redactConfig"},
            {"path": "contact", "info_type": "EMAIL_ADDRESS", "transformation": "replaceWithInfoTypeConfig"},
        ]
    }
    ring = keyring()
    records = [
        {"customer": {"email": EMAIL, "id": 7}, "email": EMAIL, "items": [{"sku": "a"}, {"sku": "b"}]},
        {"customer": {"email": EMAIL, "id": 7.0}, "email": OTHER, "contact": EMAIL},
        {"customer": {"email": EMAIL, "id": True}, "email": None},
        {"customer": "not an object", "email": EMAIL, "items": "not a list"},
        {"customer": {"email": OTHER}, "contact": 12},
        {"customer": {"email": EMAIL, "id": 7}, "email": EMAIL, "items": [{"sku": "a"}, None]},
    ]
    grouped = _deidentifier(pii, ring)
    one_by_one = _deidentifier(pii, ring)
    rewriters = [step.action for step in one_by_one._steps]
    assert all(isinstance(r, FieldRewriter) for r in rewriters)
    for record in records:
        expected = copy.deepcopy(record)
        for rewriter in rewriters:
            rewriter.rewrite(expected)
        grouped.deidentify(record)
        assert record == expected
    # 7, 7.0 and True are different values: each its own token
    ids = [r["customer"]["id"] for r in records[:3]]
    assert len(set(ids)) == 3


def test_scan_texts_reads_top_level_nested_and_list_fields_and_field_scans():
    doc = _doc(
        {
            "fields": [
                {
                    "path": "memo",
                    "info_type_transformations": {"EMAIL_ADDRESS": "redactConfig"},
                },
            ],
            "scan_fields": ["note", "customer.email", "items[].sku"],
        }
    )
    deid = RecordDeidentifier(parse_config(doc).pii, None, _scanner())
    record = {
        "note": "n",
        "customer": {"email": "c"},
        "items": [{"sku": "s1"}, {"sku": ""}, {"sku": 5}, {"sku": "s2"}],
        "memo": "m",
    }
    assert deid.scan_texts(record) == ["n", "c", "s1", "s2", "m"]
    assert deid.scan_texts({"note": 3, "customer": "x", "items": None}) == []


def test_a_redaction_or_replacement_is_one_output_for_every_value_without_a_cache():
    """Primitives whose output ignores the value (``constant_output``) give it to every value, of
    any type, at simple and ``[]`` paths alike, as their transform would; nothing is remembered per value."""
    from veilwatch.transforms.deid.primitives.simple import Redact, ReplaceWithInfoType

    redact = FieldRewriter("email", "EMAIL_ADDRESS", Redact())
    typed = FieldRewriter("customer.email", "EMAIL_ADDRESS", ReplaceWithInfoType())
    listed = FieldRewriter("items[].sku", "GENERIC_ID", ReplaceWithInfoType())
    for value in (EMAIL, OTHER, 42, 4.5, True, {"nested": EMAIL}, [EMAIL]):
        record = {"email": value, "customer": {"email": value}, "items": [{"sku": value}, {"sku": None}]}
        for rewriter in (redact, typed, listed):
            rewriter.rewrite(record)
        assert record["email"] == ""
        assert record["customer"]["email"] == "[EMAIL_ADDRESS]"
        assert record["items"][0]["sku"] == "[GENERIC_ID]"
    missing = {"customer": {}}
    typed.rewrite(missing)
    assert missing == {"customer": {}}  # a missing value stays missing
    assert redact.cache == {} and typed.cache == {} and listed.cache == {}
