"""DLP's RecordTransformations in the local engine: conditions, several fields per item,
per-field infoTypeTransformations and recordSuppressions.

Comparison rules: ``RecordCondition.Condition`` in googleapis/googleapis
google/privacy/dlp/v2/dlp.proto (also the docstring of
``google.cloud.dlp_v2.types.RecordCondition.Condition`` in google-cloud-dlp 3.38.0).
"""

from __future__ import annotations

import copy

import pytest

from veilwatch.transforms.config.errors import ConfigError
from veilwatch.transforms.config_loading.loader import parse_config
from veilwatch.transforms.deid.conditions import parse_record_condition
from veilwatch.transforms.deid.record_deidentifier import RecordDeidentifier, RecordSuppressed
from veilwatch.transforms.detection.engine import DetectionEngine
from veilwatch.transforms.detection.settings import DetectionSettings

SECRET = "jane.doe@example.org"


def _cond(*conditions):
    return {"expressions": {"logicalOperator": "AND", "conditions": {"conditions": list(conditions)}}}


def _c(field, operator, value=None):
    item = {"field": {"name": field}, "operator": operator}
    if value is not None:
        item["value"] = value
    return item


def _matches(condition_item, record):
    return parse_record_condition(_cond(condition_item), "c").matches(record)


# --------------------------------------------------------------------- comparisons, DLP's rules


@pytest.mark.parametrize(
    "value, record_value, operator, expected",
    [
        ({"integerValue": "100"}, 150, "GREATER_THAN", True),
        ({"integerValue": "100"}, 150.5, "GREATER_THAN", True),  # integer against a double
        ({"integerValue": "100"}, "99", "LESS_THAN", True),  # a string that parses as an integer
        ({"integerValue": "100"}, "abc", "LESS_THAN", False),  # not comparable: false
        ({"integerValue": 100}, 100, "EQUAL_TO", True),
        ({"floatValue": 2.5}, "2.5", "EQUAL_TO", True),  # a string that parses as a double
        ({"floatValue": 2.5}, 3, "GREATER_THAN_OR_EQUALS", True),
        ({"booleanValue": True}, True, "EQUAL_TO", True),
        ({"booleanValue": True}, 1, "EQUAL_TO", False),  # booleans only against booleans
        ({"booleanValue": True}, 1, "NOT_EQUAL_TO", True),  # incompatible types are not equal
        ({"stringValue": "10"}, 9, "LESS_THAN", True),  # a string compares with every type
        ({"stringValue": "true"}, True, "EQUAL_TO", True),
        ({"stringValue": "b"}, "a", "LESS_THAN", True),
        ({"timestampValue": "2024-01-01T00:00:00Z"}, "2024-06-01T10:00:00+02:00", "GREATER_THAN", True),
        ({"timestampValue": "2024-01-01T00:00:00Z"}, "not a time", "LESS_THAN", False),
        ({"timeValue": {"hours": 12}}, "13:30:00", "GREATER_THAN", True),  # HH:mm:ss strings
        ({"timeValue": {"hours": 12}}, "2024-01-01T08:00:00Z", "LESS_THAN", True),  # and timestamps
        ({"dateValue": {"year": 2000, "month": 1, "day": 1}}, "1999-12-31", "LESS_THAN", True),
        ({"dayOfWeekValue": "MONDAY"}, "2024-01-01", "EQUAL_TO", True),  # 1 Jan 2024 was a Monday
        ({"dayOfWeekValue": "MONDAY"}, "TUESDAY", "NOT_EQUAL_TO", True),
    ],
)
def test_comparisons_follow_dlp_rules(value, record_value, operator, expected):
    assert _matches(_c("f", operator, value), {"f": record_value}) is expected


def test_exists_and_missing_fields():
    assert _matches(_c("a.b", "EXISTS"), {"a": {"b": 0}}) is True
    assert _matches(_c("a.b", "EXISTS"), {"a": {}}) is False
    assert _matches(_c("a.b", "EXISTS"), {"a": {"b": None}}) is False
    assert _matches(_c("a.b", "EQUAL_TO", {"integerValue": "1"}), {}) is False
    assert _matches(_c("a.b", "NOT_EQUAL_TO", {"integerValue": "1"}), {}) is True


def test_every_condition_must_hold():
    condition = parse_record_condition(
        _cond(
            _c("amount", "GREATER_THAN", {"integerValue": "100"}),
            _c("country", "EQUAL_TO", {"stringValue": "DE"}),
        ),
        "c",
    )
    assert condition.matches({"amount": 101, "country": "DE"})
    assert not condition.matches({"amount": 101, "country": "FR"})
    assert not condition.matches({"amount": 100, "country": "DE"})


def test_bad_conditions_name_the_key_and_never_the_value():
    bad = _cond(
        _c("f", "GREATER", {"integerValue": SECRET}),
        {"field": {"name": "g"}, "operator": "EQUAL_TO"},
        _c("h", "EQUAL_TO", {"stringValue": SECRET, "integerValue": "1"}),
        _c("i", "EXISTS", {"integerValue": "1"}),
    )
    bad["expressions"]["logicalOperator"] = "OR"
    with pytest.raises(
        ConfigError, match=r"pii\.fields\[0\]\.condition\.expressions\.logicalOperator: must"
    ) as info:
        parse_record_condition(bad, "pii.fields[0].condition")
    text = str(info.value)
    assert SECRET not in text
    where = "pii.fields[0].condition.expressions"
    assert [i.path for i in info.value.issues] == [
        f"{where}.logicalOperator",
        f"{where}.conditions.conditions[0].operator",
        f"{where}.conditions.conditions[0].value.integerValue",
        f"{where}.conditions.conditions[1].value",
        f"{where}.conditions.conditions[2].value",
        f"{where}.conditions.conditions[3].value",
    ]


# --------------------------------------------------------------------- config


def _doc(pii):
    return {
        "dataset": "t",
        "source": {"format": "jsonl", "path": "in.jsonl"},
        "schema": {
            "fields": [
                {"name": "ts", "type": "timestamp"},
                {"name": "amount", "type": "float"},
                {"name": "first", "type": "string"},
                {"name": "last", "type": "string"},
                {"name": "note", "type": "string"},
                {"name": "country", "type": "string"},
            ]
        },
        "event_time": {"field": "ts"},
        "pii": pii,
        "sinks": {"output_dir": "out"},
    }


def test_config_items_with_paths_condition_and_info_type_transformations():
    condition = _cond(_c("amount", "GREATER_THAN", {"integerValue": "100"}))
    pii = parse_config(
        _doc(
            {
                "fields": [
                    {
                        "paths": ["first", "last"],
                        "info_type": "PERSON_NAME",
                        "transformation": "redactConfig",
                        "condition": condition,
                    },
                    {
                        "path": "note",
                        "info_type_transformations": {
                            "EMAIL_ADDRESS": {"replaceConfig": {"newValue": {"stringValue": "[email]"}}}
                        },
                    },
                ],
                "record_suppressions": [
                    {"condition": _cond(_c("country", "EQUAL_TO", {"stringValue": "XX"}))}
                ],
            }
        )
    ).pii
    assert [(p.path, p.group) for p in pii.fields] == [("first", 0), ("last", 0), ("note", 1)]
    assert pii.fields[0].condition is pii.fields[1].condition
    assert pii.fields[0].condition.source == condition
    assert pii.fields[2].transformation is None
    assert list(pii.fields[2].info_type_transformations) == ["EMAIL_ADDRESS"]
    assert len(pii.record_suppressions) == 1


def test_config_errors_name_the_key_path():
    with pytest.raises(
        ConfigError, match=r"pii\.fields\[0\]: needs exactly one of path \(one field\) or"
    ) as info:
        parse_config(
            _doc(
                {
                    "fields": [
                        {
                            "path": "first",
                            "paths": ["last"],
                            "info_type": "PERSON_NAME",
                            "transformation": "redactConfig",
                        },
                        {
                            "paths": ["first", "nope", "first"],
                            "info_type": "PERSON_NAME",
                            "transformation": "redactConfig",
                        },
                        {"path": "amount", "info_type_transformations": {"EMAIL_ADDRESS": "redactConfig"}},
                        {
                            "path": "note",
                            "info_type": "PERSON_NAME",
                            "transformation": "redactConfig",
                            "info_type_transformations": {"EMAIL_ADDRESS": "redactConfig"},
                        },
                        {
                            "path": "note",
                            "info_type": "PERSON_NAME",
                            "transformation": "redactConfig",
                            "condition": _cond(_c("missing", "EXISTS")),
                        },
                    ],
                    "record_suppressions": [
                        {},
                        {"condition": {"expressions": {"conditions": {"conditions": []}}}},
                    ],
                }
            )
        )
    paths = [i.path for i in info.value.issues]
    assert paths == [
        "pii.fields[0]",
        "pii.fields[1].paths[1]",
        "pii.fields[1].paths[2]",
        "pii.fields[2].path",
        "pii.fields[3]",
        "pii.fields[4].condition.expressions.conditions.conditions[0].field.name",
        "pii.record_suppressions[0].condition",
        "pii.record_suppressions[1].condition.expressions.conditions.conditions",
    ]


# --------------------------------------------------------------------- the record deidentifier


def _deidentifier(pii_doc, scanner=None):
    return RecordDeidentifier(parse_config(_doc(pii_doc)).pii, None, scanner)


def test_conditions_read_the_record_before_de_identification():
    # item 0 rewrites amount; item 1's condition still sees the original amount (DLP reads the input row)
    deid = _deidentifier(
        {
            "fields": [
                {
                    "path": "amount",
                    "info_type": "GENERIC_ID",
                    "transformation": {"replaceConfig": {"newValue": {"integerValue": "0"}}},
                },
                {
                    "paths": ["first", "last"],
                    "info_type": "PERSON_NAME",
                    "transformation": "redactConfig",
                    "condition": _cond(_c("amount", "GREATER_THAN", {"integerValue": "100"})),
                },
            ]
        }
    )
    big = {"amount": 150.0, "first": "Jane", "last": "Doe"}
    small = {"amount": 50.0, "first": "Jane", "last": "Doe"}
    deid.deidentify(big)
    deid.deidentify(small)
    assert big == {"amount": 0, "first": "", "last": ""}
    assert small == {"amount": 0, "first": "Jane", "last": "Doe"}


def test_a_field_named_by_several_items_gets_the_first_that_applies():
    deid = _deidentifier(
        {
            "fields": [
                {
                    "path": "first",
                    "info_type": "PERSON_NAME",
                    "transformation": "redactConfig",
                    "condition": _cond(_c("country", "EQUAL_TO", {"stringValue": "DE"})),
                },
                {
                    "path": "first",
                    "info_type": "PERSON_NAME",
                    "transformation": {"characterMaskConfig": {"maskingCharacter": "*"}},
                },
            ]
        }
    )
    de, fr = {"country": "DE", "first": "Jane"}, {"country": "FR", "first": "Jane"}
    deid.deidentify(de)
    deid.deidentify(fr)
    assert de["first"] == ""
    assert fr["first"] == "****"


def test_per_field_info_type_transformations_scan_that_field():
    scanner = DetectionEngine(DetectionSettings(info_types=("EMAIL_ADDRESS", "PHONE_NUMBER"), use_ner=False))
    deid = _deidentifier(
        {
            "fields": [
                {
                    "path": "note",
                    "info_type_transformations": {
                        "EMAIL_ADDRESS": {"replaceConfig": {"newValue": {"stringValue": "[email]"}}}
                    },
                },
            ],
            "default_scan_transformation": "replaceWithInfoTypeConfig",
        },
        scanner,
    )
    record = {"note": f"write to {SECRET} or call +1 415 555 0132", "first": SECRET}
    findings = deid.deidentify(record)
    assert record["note"] == "write to [email] or call [PHONE_NUMBER]"
    assert record["first"] == SECRET  # not declared: untouched
    assert sorted((f.field, f.info_type) for f in findings) == [
        ("note", "EMAIL_ADDRESS"),
        ("note", "PHONE_NUMBER"),
    ]


def test_record_suppressions_leave_the_record_unchanged_and_raise():
    deid = _deidentifier(
        {
            "fields": [{"path": "first", "info_type": "PERSON_NAME", "transformation": "redactConfig"}],
            "record_suppressions": [{"condition": _cond(_c("country", "EQUAL_TO", {"stringValue": "XX"}))}],
        }
    )
    record = {"country": "XX", "first": "Jane"}
    before = copy.deepcopy(record)
    with pytest.raises(RecordSuppressed):
        deid.deidentify(record)
    assert record == before
    kept = {"country": "DE", "first": "Jane"}
    assert deid.deidentify(kept) == []
    assert kept["first"] == ""


def test_the_run_summary_accounts_for_suppressed_records():
    from veilwatch.pipelines.summary_report import format_summary
    from veilwatch.transforms.io.sinks import summary_document

    document = summary_document(
        "d",
        {"records_read": 10, "records_anonymized": 6, "records_dead_lettered": 1, "records_suppressed": 3},
    )
    assert document["records_suppressed"] == 3
    assert document["all_records_accounted_for"] is True
    assert (
        summary_document(
            "d",
            {
                "records_read": 10,
                "records_anonymized": 6,
                "records_dead_lettered": 1,
                "records_suppressed": 2,
            },
        )["all_records_accounted_for"]
        is False
    )
    text = format_summary({**document, "windows_scored": 0}, "/nonexistent-out")
    assert "  suppressed                   3   (pii.record_suppressions)" in text
