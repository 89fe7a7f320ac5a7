"""Paths, schema validation, event time, parsing and dead-letter redaction (no Beam)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from veilwatch.transforms.config.model import EventTimeSpec, FieldSpec, FieldType, UnknownFieldPolicy
from veilwatch.transforms.config_loading.loader import parse_config
from veilwatch.transforms.deadletter import REDACTED, DeadLetterRedactor
from veilwatch.transforms.io.sources import RawItem
from veilwatch.transforms.processing.record_processor import Anonymized, RecordProcessor, Rejected
from veilwatch.transforms.records.errors import RecordError
from veilwatch.transforms.records.event_time import EventTimeParser, to_iso
from veilwatch.transforms.records.parse import parse_payload
from veilwatch.transforms.records.paths import has_value, iter_values, parse_path, update_values
from veilwatch.transforms.records.schema import SchemaValidator


def test_paths_read_and_rewrite_nested_and_list_values():
    record = {"customer": {"email": "a@x.org"}, "items": [{"sku": "1"}, {"sku": "2"}, {"other": 3}]}
    assert list(iter_values(record, parse_path("customer.email"))) == ["a@x.org"]
    assert list(iter_values(record, parse_path("items[].sku"))) == ["1", "2"]
    assert update_values(record, parse_path("items[].sku"), lambda v: v + "!") == 2
    assert record["items"] == [{"sku": "1!"}, {"sku": "2!"}, {"other": 3}]
    assert not has_value(record, parse_path("customer.phone"))


@pytest.mark.parametrize("bad", ["", "a..b", "a.[]", "a[].", "a[0]"])
def test_bad_paths_are_config_errors(bad):
    with pytest.raises(ValueError, match=r"is not a field path"):
        parse_path(bad)


FIELDS = (
    FieldSpec("id", FieldType.STRING, True),
    FieldSpec("n", FieldType.INTEGER),
    FieldSpec("x", FieldType.FLOAT),
    FieldSpec("ok", FieldType.BOOLEAN),
    FieldSpec("user.email", FieldType.STRING),
)


def test_schema_accepts_good_records_and_drops_unknown_fields():
    validator = SchemaValidator(FIELDS, UnknownFieldPolicy.DROP)
    record = validator.validate(
        {"id": "a", "n": 3, "x": 2, "ok": True, "user": {"email": "e", "pw": "s"}, "extra": 1}
    )
    assert record == {"id": "a", "n": 3, "x": 2, "ok": True, "user": {"email": "e"}}


@pytest.mark.parametrize(
    "record,message",
    [
        ({"n": 1}, "required field 'id' is missing or null"),
        ({"id": None}, "required field 'id' is missing or null"),
        ({"id": "a", "n": "12"}, "field 'n' must be an integer, got a string"),
        ({"id": "a", "x": True}, "field 'x' must be a number, got a boolean"),
        ({"id": "a", "n": 1.5}, "field 'n' must be an integer, got a number"),
        ({"id": 7}, "field 'id' must be a string, got a number"),
    ],
)
def test_schema_rejects_with_path_and_type_but_no_value(record, message):
    with pytest.raises(RecordError) as info:
        SchemaValidator(FIELDS, UnknownFieldPolicy.DROP).validate(record)
    assert info.value.message == message


# The validator screens fields per parent object, then words the error in schema order.
ORDERED = (
    FieldSpec("id", FieldType.STRING, True),
    FieldSpec("user.email", FieldType.STRING, True),
    FieldSpec("x", FieldType.FLOAT),
)


@pytest.mark.parametrize(
    "record,message",
    [
        ({"id": "a", "user": {}, "x": "1"}, "required field 'user.email' is missing or null"),
        (
            {"id": "a", "user": "not an object", "x": float("nan")},
            "required field 'user.email' is missing or null",
        ),
        (
            {"id": "a", "user": {"email": "e"}, "x": float("nan")},
            "field 'x' must be a finite number, got NaN",
        ),
    ],
)
def test_schema_errors_name_the_first_bad_field_in_schema_order(record, message):
    with pytest.raises(RecordError) as info:
        SchemaValidator(ORDERED, UnknownFieldPolicy.DROP).validate(record)
    assert info.value.message == message


def test_schema_accepts_values_that_need_the_closer_look():
    validator = SchemaValidator(ORDERED + (FieldSpec("when", FieldType.TIMESTAMP),), UnknownFieldPolicy.DROP)
    record = {"id": "a", "user": {"email": "e", "pw": "s"}, "x": 1.5, "when": dt.date(2026, 11, 2)}
    assert validator.validate(record) == {
        "id": "a",
        "user": {"email": "e"},
        "x": 1.5,
        "when": dt.date(2026, 11, 2),
    }


def test_reject_policy_counts_unknown_fields_without_naming_them():
    with pytest.raises(
        RecordError, match=r"fields not in the schema: 1 under 'user' \(names not shown:"
    ) as info:
        SchemaValidator(FIELDS, UnknownFieldPolicy.REJECT).validate({"id": "a", "user": {"pw": "x"}})
    assert info.value.message.startswith("fields not in the schema: 1 under 'user' (names not shown")


def test_text_sources_are_coerced_to_declared_types():
    validator = SchemaValidator(FIELDS, UnknownFieldPolicy.DROP, coerce_text=True)
    assert validator.validate({"id": "a", "n": "12", "x": "2.5", "ok": "true"}) == {
        "id": "a",
        "n": 12,
        "x": 2.5,
        "ok": True,
    }
    assert validator.validate({"id": "a", "n": ""}) == {"id": "a", "n": None}
    with pytest.raises(RecordError, match="field 'n' must be an integer, got text that is not"):
        validator.validate({"id": "a", "n": "twelve"})


@pytest.mark.parametrize(
    "fmt,value,expected",
    [
        ("iso8601", "2026-11-02T10:00:00Z", "2026-11-02T10:00:00Z"),
        ("iso8601", "2026-11-02T11:00:00+01:00", "2026-11-02T10:00:00Z"),
        ("iso8601", "2026-11-02 10:00:00", "2026-11-02T10:00:00Z"),
        ("epoch_seconds", 1793613600, "2026-11-02T10:00:00Z"),
        ("epoch_millis", "1793613600000", "2026-11-02T10:00:00Z"),
        ("%d/%m/%Y %H:%M", "02/11/2026 10:00", "2026-11-02T10:00:00Z"),
        ("iso8601", dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC), "2026-11-02T10:00:00Z"),
    ],
)
def test_event_time_formats(fmt, value, expected):
    assert to_iso(EventTimeParser(EventTimeSpec("t", fmt))({"t": value})) == expected


@pytest.mark.parametrize("record", [{}, {"t": "yesterday"}, {"t": True}, {"t": "9999-01-01T00:00:00Z"}])
def test_bad_event_times_are_record_errors(record):
    with pytest.raises(RecordError, match=r"event time field 't' is (missing|not a valid iso8601 time)"):
        EventTimeParser(EventTimeSpec("t", "iso8601"))(record)


@pytest.mark.parametrize(
    "payload,message",
    [
        (b'{"a": 1', "invalid JSON"),
        (b"[1, 2]", "record must be a JSON object"),
        (b'{"a": "\xff"}', "line is not valid UTF-8"),
        (b"[" * 100000 + b"]" * 100000, "invalid JSON"),
    ],
)
def test_parse_errors_name_the_problem_not_the_content(payload, message):
    with pytest.raises(RecordError) as info:
        parse_payload(payload, None)
    assert message in info.value.message
    assert len(info.value.message) < 200


def _config(**schema):
    return parse_config(
        {
            "dataset": "d",
            "source": {"format": "jsonl", "path": "x"},
            "schema": {
                "fields": [
                    {"name": "ts", "type": "timestamp", "required": True},
                    {"name": "email", "type": "string", "required": True},
                    {"name": "status", "type": "string"},
                    {"name": "amount", "type": "float"},
                    {"name": "note", "type": "string"},
                ],
                **schema,
            },
            "event_time": {"field": "ts"},
            "pii": {
                "fields": [{"path": "email", "info_type": "EMAIL_ADDRESS", "transformation": "redactConfig"}]
            },
            "sinks": {"output_dir": "o"},
        }
    )


def test_dead_letter_copy_keeps_only_known_safe_values():
    redactor = DeadLetterRedactor(_config())
    copy = redactor.redact(
        {
            "ts": "2026-11-02T10:00:00Z",
            "email": "jane@example.com",
            "status": "ok",
            "amount": "jane@example.com",
            "extra": {"phone": "+1 212 555 0100"},
            "note": "x" * 1000,
        }
    )
    assert copy == {
        "ts": "2026-11-02T10:00:00Z",
        "email": REDACTED,
        "status": "ok",
        "amount": REDACTED,
        "[KEY 1]": {"[KEY 1]": REDACTED},
        "note": REDACTED,
    }


def test_processor_turns_every_failure_into_a_dead_letter_without_pii():
    processor = RecordProcessor(_config(), keys=None)
    good = processor.process(
        RawItem("f@0", b'{"ts": "2026-11-02T10:00:00Z", "email": "jane@example.com"}', 10)
    )
    assert isinstance(good, Anonymized)
    assert good.record["email"] == ""
    bad = processor.process(
        RawItem("f@10", b'{"ts": "2026-11-02T10:00:00Z", "email": 42, "status": "x"}', 10)
    )
    assert isinstance(bad, Rejected)
    assert bad.dead_letter == {
        "stage": "validate",
        "error": "field 'email' must be a string, got a number",
        "source": "f@10",
        "record": {"ts": "2026-11-02T10:00:00Z", "email": REDACTED, "status": "x"},
    }
    late = processor.process(RawItem("f@20", b'{"ts": "never", "email": "jane@example.com"}', 10))
    assert late.dead_letter["stage"] == "event_time"
    assert "jane" not in json.dumps(late.dead_letter)
    oversize = processor.process(
        RawItem("f@30", None, 5_000_000, "record larger than max_record_bytes (1048576)")
    )
    assert oversize.dead_letter["stage"] == "read"
    assert oversize.dead_letter["record"] is None
