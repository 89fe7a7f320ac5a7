"""Declared fields whose anonymized values hold nothing of the raw value (``opaque_fields``).

The metrics stage writes their values (a heavy hitter's token, a series' group name) as they are
instead of scanning them again; so a field that may keep any of its raw text must never be one."""

from __future__ import annotations

from veilwatch.transforms.config.clear_values import OPAQUE_PRIMITIVES, opaque_fields
from veilwatch.transforms.config_loading.loader import parse_config

_HASH = {"cryptoHashConfig": {"cryptoKey": {"transient": {"name": "k"}}}}
_TOKEN = {
    "cryptoDeterministicConfig": {
        "cryptoKey": {"transient": {"name": "k"}},
        "surrogateInfoType": {"name": "TOKEN"},
    }
}
_MASK = {"characterMaskConfig": {"maskingCharacter": "#", "numberToMask": 4}}
_WHERE_DE = {
    "expressions": {
        "conditions": {
            "conditions": [
                {"field": {"name": "country"}, "operator": "EQUAL_TO", "value": {"stringValue": "DE"}}
            ]
        }
    }
}


def _pii(fields, handling=None):
    doc = {
        "dataset": "d",
        "source": {"format": "jsonl", "path": "x.jsonl"},
        "schema": {
            "fields": [
                {"name": "ts", "type": "timestamp", "required": True},
                {"name": "country", "type": "string"},
                {"name": "a", "type": "string"},
                {"name": "b", "type": "string"},
                {"name": "c", "type": "string"},
            ]
        },
        "event_time": {"field": "ts"},
        "sinks": {"output_dir": "out"},
        "pii": {"fields": list(fields)},
    }
    if handling is not None:
        doc["pii"]["transformation_error_handling"] = handling
    return parse_config(doc).pii


def _field(path, transformation, **extra):
    return {"path": path, "info_type": "GENERIC_ID", "transformation": transformation, **extra}


def test_tokens_hashes_and_replacements_are_opaque_masks_are_not():
    pii = _pii(
        [
            _field("a", _TOKEN),
            _field("b", _HASH),
            _field("c", _MASK),
        ]
    )
    assert opaque_fields(pii) == {"a", "b"}
    assert opaque_fields(_pii([_field("a", "redactConfig"), _field("b", "replaceWithInfoTypeConfig")])) == {
        "a",
        "b",
    }
    replace = {"replaceConfig": {"newValue": {"stringValue": "x"}}}
    assert opaque_fields(_pii([_field("a", replace)])) == {"a"}
    assert "characterMaskConfig" not in OPAQUE_PRIMITIVES


def test_a_field_that_may_stay_in_clear_is_never_opaque():
    only_where_de = _field("a", _HASH, condition=_WHERE_DE)
    assert opaque_fields(_pii([only_where_de])) == frozenset()
    assert opaque_fields(_pii([_field("a", _HASH)], handling={"leaveUntransformed": {}})) == frozenset()
    scanned = {"path": "a", "info_type": "GENERIC_ID", "info_type_transformations": {"EMAIL_ADDRESS": _HASH}}
    assert opaque_fields(_pii([scanned])) == frozenset()


def test_every_item_naming_the_field_must_be_opaque():
    """A field named by several items gets the first whose condition holds: all of them must be opaque."""
    fallback_hash = _field("a", _HASH)
    fallback_mask = _field("a", _MASK)
    assert opaque_fields(_pii([_field("a", _TOKEN, condition=_WHERE_DE), fallback_hash])) == {"a"}
    assert opaque_fields(_pii([_field("a", _TOKEN, condition=_WHERE_DE), fallback_mask])) == frozenset()


def test_with_a_dlp_de_identify_template_no_field_is_opaque():
    """The template, not pii.fields, decides how DLP transforms each field (it may only mask one, or
    leave a value it cannot transform): values are scanned as any others'."""
    doc = {
        "dataset": "d",
        "source": {"format": "jsonl", "path": "x.jsonl"},
        "schema": {
            "fields": [{"name": "ts", "type": "timestamp", "required": True}, {"name": "a", "type": "string"}]
        },
        "event_time": {"field": "ts"},
        "sinks": {"output_dir": "out"},
        "pii": {"engine": "dlp", "dlp": {"project": "p"}, "fields": [_field("a", "redactConfig")]},
    }
    assert opaque_fields(parse_config(doc).pii) == {"a"}
    doc["pii"]["dlp"]["deidentify_template_name"] = "projects/p/deidentifyTemplates/t"
    assert opaque_fields(parse_config(doc).pii) == frozenset()
