"""Config error messages name the key path and what is wrong, never the value.

A config may hold anything an operator pasted (a sample e-mail address in place of a choice, a
record in place of a field name), and its messages reach terminals, CI logs and Beam YAML's
build errors: a PII-looking value planted at a bad choice, a bad type, an unknown key or a bad
reference must not come back.
"""

from __future__ import annotations

import pytest

from veilwatch.transforms.config.errors import ConfigError
from veilwatch.transforms.config_loading.loader import ConfigOverrides, parse_config

PII = "jane.doe@example.com"


def _doc() -> dict:
    return {
        "dataset": "d",
        "source": {"format": "jsonl", "path": "x.jsonl"},
        "schema": {"fields": [{"name": "ts", "type": "timestamp"}, {"name": "email", "type": "string"}]},
        "event_time": {"field": "ts"},
        "sinks": {"output_dir": "out"},
    }


def _planted(section: str, value: dict) -> dict:
    doc = _doc()
    doc[section] = {**doc.get(section, {}), **value} if isinstance(doc.get(section), dict) else value
    return doc


# (where the value is planted, the key path the message must name)
CASES = {
    "a choice": (_planted("windowing", {"type": PII}), "windowing.type"),
    "a close miss of a choice": (_planted("windowing", {"type": "fixd"}), "windowing.type"),
    "a type": (_planted("source", {"max_record_bytes": PII}), "source.max_record_bytes"),
    "the value of an unknown key": (_planted("windowing", {"sise": PII}), "windowing.sise"),
    "a field reference": (_planted("event_time", {"field": PII}), "event_time.field"),
    "a transformation name": (
        _planted("pii", {"fields": [{"path": "email", "info_type": "EMAIL_ADDRESS", "transformation": PII}]}),
        "pii.fields[0].transformation",
    ),
    "a metric's field": (
        _planted("metrics", [{"name": "m", "type": "distinct_count", "field": PII}]),
        "metrics[0].field",
    ),
    "a detector type": (_planted("detector", {"type": PII}), "detector.type"),
    "a partitioning": (
        _planted("sinks", {"bigquery": {"time_partitioning": PII}}),
        "sinks.bigquery.time_partitioning",
    ),
    "a table name": (
        _planted("sinks", {"bigquery": {"anonymized_table": PII}}),
        "sinks.bigquery.anonymized_table",
    ),
    "a KMS key": (_planted("keys", {"kms_key_uri": PII}), "keys.kms_key_uri"),
    "a schema type": (
        _planted("schema", {"fields": [{"name": "ts", "type": PII}]}),
        "schema.fields[0].type",
    ),
    "a likelihood": (
        _planted("pii", {"detection": {"min_likelihood": PII}}),
        "pii.detection.min_likelihood",
    ),
}


@pytest.mark.parametrize("doc, key", CASES.values(), ids=list(CASES))
def test_the_message_names_the_key_and_not_the_value(doc, key):
    with pytest.raises(ConfigError) as info:
        parse_config(doc)
    messages = [str(i) for i in info.value.issues]
    assert any(m.startswith(f"{key}: ") for m in messages), messages
    assert not any(PII in m or "jane" in m for m in messages), messages
    assert not any("fixd" in m for m in messages), messages


def test_a_close_miss_is_answered_with_the_allowed_name_only():
    with pytest.raises(ConfigError) as info:
        parse_config(_planted("windowing", {"size": "1h", "allowed_latenes": "1h"}))
    assert [str(i) for i in info.value.issues] == [
        "windowing.allowed_latenes: unknown key (did you mean 'allowed_lateness'?) "
        "(allowed: type, size, period, gap, allowed_lateness)"
    ]


def test_an_override_value_is_not_repeated_either():
    with pytest.raises(ConfigError) as info:
        parse_config(_doc(), overrides=ConfigOverrides(output_table=PII))
    assert [str(i) for i in info.value.issues] == [
        "sinks.bigquery.anonymized_table: must look like PROJECT:DATASET.TABLE"
    ]
