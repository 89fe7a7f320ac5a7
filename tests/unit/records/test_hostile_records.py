"""Hostile records through the per-record path (issue 11, defects 2, 3, 6, 11): each one becomes
an anonymized record or a dead letter, never a crash, and no planted value reaches either."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.conftest import REPO
from veilwatch.transforms.config.errors import ConfigError
from veilwatch.transforms.config.model import FieldSpec, FieldType, UnknownFieldPolicy
from veilwatch.transforms.config_loading.loader import parse_config
from veilwatch.transforms.deadletter import REDACTED, DeadLetterRedactor
from veilwatch.transforms.detection.engine import DetectionEngine
from veilwatch.transforms.detection.settings import DetectionSettings
from veilwatch.transforms.io.sources import RawItem
from veilwatch.transforms.processing.record_processor import Anonymized, RecordProcessor, Rejected
from veilwatch.transforms.records.errors import RecordError
from veilwatch.transforms.records.nesting import exceeds_depth, holds_non_finite
from veilwatch.transforms.records.parse import parse_payload
from veilwatch.transforms.records.schema import SchemaTree, SchemaValidator

EMAIL = "jane.roe@leakmail.com"
BASE = '"ts": "2026-11-02T10:00:00Z", "service": "api"'
POLICIES = ["drop", "keep", "scan", "reject"]
# Deeper than the interpreter's recursion limit: any recursive walk over it fails.
FAR_TOO_DEEP = 5000


def app_logs_config(policy: str, **source) -> dict:
    """The bundled app_logs template, keyless (redactConfig), with the given unknown_fields policy."""
    doc = yaml.safe_load((REPO / "templates" / "datasets" / "app_logs.yaml").read_text())
    doc["schema"]["unknown_fields"] = policy
    doc["source"].update(source)
    doc["pii"]["fields"] = [
        {"path": p, "info_type": "GENERIC_ID", "transformation": "redactConfig"}
        for p in ("user_id", "client_ip")
    ]
    doc["pii"]["info_type_transformations"] = {}
    doc["pii"]["detection"] = {"use_ner": False}
    for key in ("keys", "data_validation"):
        doc.pop(key, None)
    return doc


@pytest.fixture(scope="module")
def engine():
    return DetectionEngine(DetectionSettings(use_ner=False))


def processor(policy: str, engine, **source) -> RecordProcessor:
    return RecordProcessor(parse_config(app_logs_config(policy, **source)), keys=None, scanner=engine)


def process(proc: RecordProcessor, line: str | bytes | dict):
    payload = line.encode("utf-8") if isinstance(line, str) else line
    return proc.process(RawItem("f@0", payload, 10))


def nested(depth: int, leaf="x", as_list=False):
    value = leaf
    for _ in range(depth):
        value = [value] if as_list else {"a": value}
    return value


# --- 6. depth: a limit, dead letters, and no recursion anywhere -----------------------------------


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("as_list", [False, True])
def test_500_deep_unknown_field_is_a_parse_dead_letter_under_every_policy(policy, as_list, engine):
    line = json.dumps({"ts": "2026-11-02T10:00:00Z", "service": "api", "x": nested(500, as_list=as_list)})
    assert len(line) < 4000
    outcome = process(processor(policy, engine), line)
    assert isinstance(outcome, Rejected)
    assert outcome.dead_letter["stage"] == "parse"
    assert (
        outcome.dead_letter["error"]
        == "record nests objects and lists deeper than source.max_depth (64 levels)"
    )
    assert outcome.dead_letter["record"] is None


@pytest.mark.parametrize("depth", [1025, FAR_TOO_DEEP, 100_000])
def test_lines_beyond_orjson_and_json_limits_are_parse_dead_letters(depth, engine):
    line = "{" + BASE + ', "x": ' + "[" * depth + "]" * depth + "}"
    outcome = process(processor("keep", engine), line)
    assert isinstance(outcome, Rejected)
    assert outcome.dead_letter["stage"] == "parse"


def test_structured_rows_are_held_to_the_same_depth(engine):
    row = {"ts": "2026-11-02T10:00:00Z", "service": "api", "x": nested(FAR_TOO_DEEP)}
    outcome = process(processor("keep", engine), row)
    assert isinstance(outcome, Rejected)
    assert outcome.dead_letter["stage"] == "parse"


def test_max_depth_is_configurable_and_counts_the_record_as_level_one(engine):
    proc = processor("keep", engine, max_depth=3)
    assert isinstance(process(proc, "{" + BASE + ', "x": {"y": ["z"]}}'), Anonymized)  # 3 levels
    deeper = process(proc, "{" + BASE + ', "x": {"y": [["z"]]}}')  # 4 levels
    assert (
        deeper.dead_letter["error"]
        == "record nests objects and lists deeper than source.max_depth (3 levels)"
    )


@pytest.mark.parametrize(
    "value,message",
    [
        (0, "must be a whole number from 1 to 200"),
        (201, "must be a whole number from 1 to 200"),
        ("deep", "expected"),
    ],
)
def test_bad_max_depth_is_a_config_error_naming_the_key(value, message):
    with pytest.raises(ConfigError, match=r"source\.max_depth: ") as info:
        parse_config(app_logs_config("keep", max_depth=value))
    assert "source.max_depth" in str(info.value)
    assert message in str(info.value)


def test_walks_over_records_keep_their_own_stack():
    deep_dicts, deep_lists = nested(FAR_TOO_DEEP), nested(FAR_TOO_DEEP, as_list=True)
    assert exceeds_depth(deep_dicts, 64)
    assert exceeds_depth(deep_lists, 4999)
    assert not exceeds_depth(deep_lists, 5000)
    assert not holds_non_finite(deep_dicts)
    assert holds_non_finite(nested(FAR_TOO_DEEP, float("nan"), True))
    tree = SchemaTree((FieldSpec("items.sku", FieldType.STRING),))
    record = {"items": nested(FAR_TOO_DEEP, {"sku": "1", "pw": "x"}, as_list=True)}
    assert [key for _, key, _ in tree.unknown_keys(record)] == ["pw"]
    assert tree.prune(record) == 1
    row = {"x": nested(FAR_TOO_DEEP)}
    assert parse_payload(row, None, FAR_TOO_DEEP + 1) is row


def test_dead_letter_redaction_walks_any_depth_and_cuts_at_max_depth():
    redactor = DeadLetterRedactor(parse_config(app_logs_config("keep", max_depth=4)))
    copy = redactor.redact({"service": "api", "x": nested(FAR_TOO_DEEP, EMAIL)})
    assert copy == {"service": "api", "[KEY 1]": {"[KEY 1]": {"[KEY 1]": {"[KEY 1]": REDACTED}}}}


def test_csv_json_cells_are_held_to_max_depth():
    validator = SchemaValidator(
        (FieldSpec("payload", FieldType.JSON),), UnknownFieldPolicy.DROP, coerce_text=True, max_depth=8
    )
    assert validator.validate({"payload": json.dumps(nested(6))}) == {"payload": nested(6)}
    for depth in (8, 500, FAR_TOO_DEEP):
        with pytest.raises(RecordError, match=r"field 'payload' nests objects and lists ") as info:
            validator.validate({"payload": '{"a": ' * depth + "1" + "}" * depth})
        assert info.value.stage == "validate"
        assert info.value.message.startswith("field 'payload' nests")


# --- 11. numbers that are not finite ------------------------------------------------------------


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize(
    "number,kind",
    [
        ("1e999", "Infinity"),
        ("1E400", "Infinity"),
        ("-1e999", "-Infinity"),
        ("Infinity", "Infinity"),
        ("-Infinity", "-Infinity"),
        ("NaN", "NaN"),
    ],
)
def test_non_finite_float_is_a_validation_dead_letter_saying_what_is_wrong(policy, number, kind, engine):
    outcome = process(processor(policy, engine), "{" + BASE + f', "latency_ms": {number}}}')
    assert isinstance(outcome, Rejected)
    assert outcome.dead_letter["stage"] == "validate"
    assert outcome.dead_letter["error"] == f"field 'latency_ms' must be a finite number, got {kind}"
    assert outcome.dead_letter["record"]["latency_ms"] == REDACTED


@pytest.mark.parametrize(
    "text,kind", [("inf", "Infinity"), ("-Infinity", "-Infinity"), ("nan", "NaN"), ("1e999", "Infinity")]
)
def test_non_finite_csv_text_is_a_validation_dead_letter(text, kind):
    validator = SchemaValidator(
        (FieldSpec("x", FieldType.FLOAT, True),), UnknownFieldPolicy.DROP, coerce_text=True
    )
    with pytest.raises(RecordError, match=r"field 'x' must be a finite number, got ") as info:
        validator.validate({"x": text})
    assert info.value.message == f"field 'x' must be a finite number, got {kind}"


@pytest.mark.parametrize(
    "fields,record,message",
    [
        (
            (FieldSpec("when", FieldType.TIMESTAMP),),
            {"when": float("inf")},
            "field 'when' must be a timestamp (ISO-8601 text or epoch number), got Infinity",
        ),
        (
            (FieldSpec("n", FieldType.INTEGER),),
            {"n": float("-inf")},
            "field 'n' must be a finite number, got -Infinity",
        ),
        (
            (FieldSpec("xs[].v", FieldType.FLOAT),),
            {"xs": [{"v": 1.5}, {"v": float("nan")}]},
            "field 'xs[].v' must be a finite number, got NaN",
        ),
        (
            (FieldSpec("payload", FieldType.JSON),),
            {"payload": {"a": [1, float("nan")]}},
            "field 'payload' holds a number that is not finite (NaN or Infinity)",
        ),
    ],
)
def test_non_finite_numbers_are_refused_in_every_declared_type(fields, record, message):
    with pytest.raises(RecordError) as info:
        SchemaValidator(fields, UnknownFieldPolicy.DROP).validate(record)
    assert info.value.message == message


@pytest.mark.parametrize("policy", ["keep", "scan"])
def test_non_finite_numbers_outside_the_schema_are_validation_dead_letters(policy, engine):
    outcome = process(processor(policy, engine), "{" + BASE + ', "extra": {"deep": [1, Infinity]}}')
    assert isinstance(outcome, Rejected)
    assert outcome.dead_letter["stage"] == "validate"
    assert "not finite" in outcome.dead_letter["error"]


def test_finite_floats_and_huge_integers_stay_valid():
    validator = SchemaValidator(
        (FieldSpec("x", FieldType.FLOAT, True), FieldSpec("t", FieldType.TIMESTAMP)), UnknownFieldPolicy.DROP
    )
    for value in (0.0, -1.5e308, 10**400):
        assert validator.validate({"x": value, "t": 1.5e9}) == {"x": value, "t": 1.5e9}


# --- 3. an unreadable event time ----------------------------------------------------------------


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("ts", [EMAIL, f"2026-11-02T10:00:00Z {EMAIL}", "9999-01-01T00:00:00Z"])
def test_unreadable_event_time_is_not_kept_in_its_dead_letter(policy, ts, engine):
    outcome = process(processor(policy, engine), json.dumps({"ts": ts, "service": "api"}))
    assert isinstance(outcome, Rejected)
    assert outcome.dead_letter["stage"] == "event_time"
    assert outcome.dead_letter["record"] == {"ts": REDACTED, "service": "api"}
    assert ts not in json.dumps(outcome.dead_letter)


def test_readable_event_time_stays_in_dead_letters_of_other_stages(engine):
    outcome = process(processor("drop", engine), '{"ts": "2026-11-02T10:00:00Z", "service": 7}')
    assert outcome.dead_letter["record"] == {"ts": "2026-11-02T10:00:00Z", "service": REDACTED}


def test_other_timestamp_fields_keep_only_times_in_dead_letters():
    doc = app_logs_config("drop")
    doc["schema"]["fields"].append({"name": "seen", "type": "timestamp"})
    redactor = DeadLetterRedactor(parse_config(doc))
    assert redactor.redact({"seen": EMAIL}) == {"seen": REDACTED}
    assert redactor.redact({"seen": "2026-11-02T10:00:00Z"}) == {"seen": "2026-11-02T10:00:00Z"}
    assert redactor.redact({"seen": 1793613600}) == {"seen": 1793613600}


# --- 2. key names under reject, and in dead letters ---------------------------------------------

KEY_RECORDS = [
    {"ts": "2026-11-02T10:00:00Z", "service": "api", EMAIL: 1},
    {"ts": "2026-11-02T10:00:00Z", "service": "api", "x": {EMAIL: {"y": 1}}},
    {"ts": "2026-11-02T10:00:00Z", "service": "api", "x": [{"a.b": {EMAIL: 1}}]},
    {"ts": "2026-11-02T10:00:00Z", "service": "api", "http": {"method": "GET", EMAIL: 1}},
]


@pytest.mark.parametrize("record", KEY_RECORDS)
def test_reject_dead_letters_name_no_key_outside_the_schema(record, engine):
    outcome = process(processor("reject", engine), json.dumps(record))
    assert isinstance(outcome, Rejected)
    assert outcome.dead_letter["stage"] == "validate"
    text = json.dumps(outcome.dead_letter)
    assert EMAIL not in text
    assert "leakmail" not in text
    assert "a.b" not in text
    assert outcome.dead_letter["error"].startswith("fields not in the schema: 1 ")
    assert "[KEY 1]" in text


def test_dead_letter_keeps_schema_keys_and_numbers_unknown_keys_per_object():
    redactor = DeadLetterRedactor(parse_config(app_logs_config("drop")))
    copy = redactor.redact(
        {"service": "api", "http": {"method": "GET", EMAIL: 1, "b": [{"c": 2}]}, "z": None}
    )
    assert copy == {
        "service": "api",
        "http": {"method": "GET", "[KEY 1]": REDACTED, "[KEY 2]": [{"[KEY 1]": REDACTED}]},
        "[KEY 1]": None,
    }
