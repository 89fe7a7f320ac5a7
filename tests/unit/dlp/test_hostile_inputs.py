"""Hostile inputs to the DLP parts of #12.

* ``veilwatch dlp import`` fed hostile or broken templates: every one exits 2 with a message
  naming the key (never a traceback, never exit 1), and no message quotes a key or a value.
* The DLP engine answered by a faulty server (tests/support/fake_dlp.py ``tamper_next``): rows
  missing from or added to an answer fail their records with a reason (a dead letter), never
  silently pass as suppressed.
"""

from __future__ import annotations

import base64
import json

import pytest

from tests.conftest import run_cli

SECRET_KEY_TEXT = "SECRETKEY*VALUE!"  # not base64: protobuf's reader would drop the * and ! silently
NINE_BYTE_KEY = base64.b64encode(b"SECRETKEY").decode()


def _deidentify(primitive: dict) -> dict:
    return {
        "deidentifyConfig": {
            "recordTransformations": {
                "fieldTransformations": [{"fields": [{"name": "card"}], "primitiveTransformation": primitive}]
            }
        }
    }


def _import(tmp_path, deidentify, inspect=None):
    path = tmp_path / "t.json"
    path.write_text(deidentify if isinstance(deidentify, str) else json.dumps(deidentify))
    argv = ["dlp", "import", "--deidentify-template", path, "--output", tmp_path / "out.yaml"]
    if inspect is not None:
        inspect_path = tmp_path / "i.json"
        inspect_path.write_text(json.dumps(inspect))
        argv += ["--inspect-template", inspect_path]
    return run_cli(*argv)


@pytest.mark.parametrize(
    "text",
    [
        "[" * 10_000 + "]" * 10_000,
        '{"deidentifyConfig": ' + '{"a": ' * 10_000 + "1" + "}" * 10_001,
        '{"deidentifyConfig": {"recordTransformations": {"fieldTransformations": '
        + "[" * 80
        + "]" * 80
        + "}}}",
    ],
    ids=["10000-nested-lists", "10000-nested-objects", "80-nested-lists"],
)
def test_deeply_nested_json_is_refused_not_a_traceback(tmp_path, text):
    result = _import(tmp_path, text)
    assert result.code == 2, result.err
    assert "nested more than 64 levels" in result.err
    assert "Traceback" not in result.err


def test_a_file_far_larger_than_any_template_is_refused(tmp_path):
    from veilwatch.transforms.dlp.convert import MAX_TEMPLATE_CHARS

    result = _import(tmp_path, '{"displayName": "' + "x" * MAX_TEMPLATE_CHARS + '"}')
    assert result.code == 2
    assert "is larger than 8 MB" in result.err


@pytest.mark.parametrize(
    "key",
    [
        {"unwrapped": {"key": SECRET_KEY_TEXT}},
        {
            "kmsWrapped": {
                "wrappedKey": SECRET_KEY_TEXT,
                "cryptoKeyName": "projects/p/locations/global/keyRings/r/cryptoKeys/k",
            }
        },
    ],
    ids=["unwrapped", "kmsWrapped"],
)
def test_a_key_that_is_not_base64_is_refused_not_silently_changed(tmp_path, key):
    result = _import(tmp_path, _deidentify({"cryptoDeterministicConfig": {"cryptoKey": key}}))
    assert result.code == 2, result.err
    source, field = ("unwrapped", "key") if "unwrapped" in key else ("kmsWrapped", "wrappedKey")
    assert (
        f"primitiveTransformation.cryptoDeterministicConfig.cryptoKey.{source}.{field}: is not valid base64"
        in result.err
    )
    assert "SECRETKEY" not in result.err
    assert not (tmp_path / "out.yaml").exists()


@pytest.mark.parametrize(
    "primitive, sizes",
    [
        ({"cryptoDeterministicConfig": {}}, "16, 24, 32"),
        ({"cryptoReplaceFfxFpeConfig": {"commonAlphabet": "NUMERIC"}}, "16, 24, 32"),
        ({"cryptoHashConfig": {}}, "32, 64"),
    ],
)
def test_a_key_of_a_size_the_primitive_does_not_take_is_refused(tmp_path, primitive, sizes):
    name = next(iter(primitive))
    primitive[name]["cryptoKey"] = {"unwrapped": {"key": NINE_BYTE_KEY}}
    result = _import(tmp_path, _deidentify(primitive))
    assert result.code == 2, result.err
    assert (
        f"pii.fields[0].transformation.{name}.cryptoKey.unwrapped.key: must be a key of {sizes} bytes, "
        "got 9 bytes"
    ) in result.err
    assert NINE_BYTE_KEY not in result.err
    assert "SECRETKEY" not in result.err


def test_out_of_range_parameters_are_refused_as_validate_config_would(tmp_path):
    result = _import(tmp_path, _deidentify({"dateShiftConfig": {"lowerBoundDays": 10, "upperBoundDays": 1}}))
    assert result.code == 2, result.err
    assert (
        "pii.fields[0].transformation.dateShiftConfig.lowerBoundDays: must not be greater than" in result.err
    )


@pytest.mark.parametrize(
    "template",
    [{}, {"name": "projects/p/deidentifyTemplates/t", "deidentifyConfig": {}}],
    ids=["empty-object", "template-without-transformations"],
)
def test_an_empty_template_is_refused(tmp_path, template):
    result = _import(tmp_path, template)
    assert result.code == 2, result.err
    assert "deidentifyConfig: has no recordTransformations or infoTypeTransformations" in result.err


@pytest.mark.parametrize(
    "pattern, problem",
    [
        ("(a+)+\\1b", "invalid escape sequence"),
        ("(?=PLANTED)PLANTED", "invalid perl operator"),
        ("PLANTED((", "missing )"),
    ],
    ids=["back-reference", "look-ahead", "unbalanced"],
)
def test_an_inspect_template_with_a_regex_re2_refuses_is_refused(tmp_path, pattern, problem):
    inspect = {
        "inspectConfig": {"customInfoTypes": [{"infoType": {"name": "MY_ID"}, "regex": {"pattern": pattern}}]}
    }
    result = _import(tmp_path, _deidentify({"redactConfig": {}}), inspect)
    assert result.code == 2, result.err
    assert "--inspect-template" in result.err
    assert (
        f"pii.detection.custom_info_types.MY_ID.regex: is not a regular expression RE2 accepts ({problem}"
        in result.err
    )
    assert "PLANTED" not in result.err
    assert "\\1" not in result.err


def test_a_custom_info_type_without_a_name_is_refused(tmp_path):
    inspect = {
        "inspectConfig": {"customInfoTypes": [{"infoType": {"name": ""}, "regex": {"pattern": "abc"}}]}
    }
    result = _import(tmp_path, _deidentify({"redactConfig": {}}), inspect)
    assert result.code == 2
    assert "must be an infoType name" in result.err


@pytest.mark.parametrize("condition_value", [{"integerValue": "12"}, {"stringValue": "x"}])
def test_a_good_template_with_a_condition_still_imports(tmp_path, condition_value):
    template = _deidentify(
        {
            "cryptoDeterministicConfig": {
                "cryptoKey": {"unwrapped": {"key": base64.b64encode(b"k" * 16).decode()}}
            }
        }
    )
    template["deidentifyConfig"]["recordTransformations"]["fieldTransformations"][0]["condition"] = {
        "expressions": {
            "conditions": {
                "conditions": [
                    {"field": {"name": "amount"}, "operator": "GREATER_THAN", "value": condition_value}
                ]
            }
        }
    }
    result = _import(tmp_path, template)
    assert result.code == 0, result.err
    assert "cryptoKey" in (tmp_path / "out.yaml").read_text()


@pytest.mark.parametrize("item", [{}, {"infoTypeTransformations": {}}], ids=["nothing", "empty-info-types"])
def test_a_field_transformation_that_does_nothing_is_refused(tmp_path, item):
    template = {
        "deidentifyConfig": {
            "recordTransformations": {"fieldTransformations": [{"fields": [{"name": "card"}], **item}]}
        }
    }
    result = _import(tmp_path, template)
    assert result.code == 2, result.err
    assert "fieldTransformations[0]: needs a primitiveTransformation or infoTypeTransformations" in result.err


def test_an_info_type_name_cannot_write_lines_into_the_imported_config(tmp_path):
    # the name is a config key and a note (a YAML comment line): a newline in it would start a config line
    evil = "EVIL\nkeys: {keyset: /tmp/attacker-keyset.json}\n#"
    template = {
        "deidentifyConfig": {
            "infoTypeTransformations": {
                "transformations": [
                    {"infoTypes": [{"name": evil}], "primitiveTransformation": {"redactConfig": {}}}
                ]
            }
        }
    }
    result = _import(tmp_path, template)
    assert result.code == 2, result.err
    assert "infoTypes: every name must match DLP's pattern" in result.err
    assert "attacker" not in result.err
    assert not (tmp_path / "out.yaml").exists()


def test_notes_are_single_lines_whatever_they_hold():
    from veilwatch.pipelines.commands.dlp import render_yaml

    text = render_yaml(
        {"dataset": "d"}, ["FILL IN a\nkeys: {keyset: x}", "b\r\x1b[2J"], "/tmp/t\nsinks: {}.json"
    )
    assert "\nkeys:" not in text
    assert "\nsinks:" not in text
    assert "\x1b" not in text
    assert text.splitlines()[2] == "# FILL IN a\\nkeys: {keyset: x}"
    assert text.splitlines()[0].startswith(
        "# Dataset config imported from the DLP template t\\nsinks: {}.json"
    )


def test_a_long_replacement_value_is_imported_unchanged(tmp_path):
    import yaml

    value = "word " * 30 + "FILLER " + "word " * 30  # folded by YAML over lines, one holding FILL
    result = _import(tmp_path, _deidentify({"replaceConfig": {"newValue": {"stringValue": value}}}))
    assert result.code == 0, result.err
    imported = yaml.safe_load((tmp_path / "out.yaml").read_text())
    assert imported["pii"]["fields"][0]["transformation"]["replaceConfig"]["newValue"]["stringValue"] == value
    assert imported["source"]["path"] == "FILL_ME.jsonl"
    assert "path: FILL_ME.jsonl  # FILL IN" in (tmp_path / "out.yaml").read_text()


# --------------------------------------------------------------------------- validate-config

BIG = 10**30  # beyond a C long: datetime raises OverflowError, not ValueError


def _dataset(tmp_path, field_item=None, suppression=None):
    import yaml

    item = {"path": "ssn", "info_type": "US_SOCIAL_SECURITY_NUMBER", "transformation": "redactConfig"}
    item.update(field_item or {})
    doc = {
        "dataset": "d",
        "source": {"format": "jsonl", "path": "x.jsonl"},
        "schema": {
            "fields": [
                {"name": "ts", "type": "timestamp", "required": True},
                {"name": "ssn", "type": "string"},
            ]
        },
        "event_time": {"field": "ts"},
        "pii": {"fields": [item]},
        "sinks": {"output_dir": "out"},
    }
    if suppression is not None:
        doc["pii"]["record_suppressions"] = [{"condition": suppression}]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def _ssn_condition(value):
    return {
        "expressions": {
            "conditions": {"conditions": [{"field": {"name": "ssn"}, "operator": "EQUAL_TO", "value": value}]}
        }
    }


@pytest.mark.parametrize(
    "case, where",
    [
        (
            {"suppression": _ssn_condition({"timeValue": {"hours": BIG}})},
            "pii.record_suppressions[0].condition.expressions.conditions.conditions[0].value.timeValue",
        ),
        (
            {"field_item": {"condition": _ssn_condition({"dateValue": {"year": BIG, "month": 1, "day": 1}})}},
            "pii.fields[0].condition.expressions.conditions.conditions[0].value.dateValue",
        ),
        (
            {
                "field_item": {
                    "transformation": {
                        "replaceConfig": {"newValue": {"dateValue": {"year": 2020, "month": BIG, "day": 1}}}
                    }
                }
            },
            "pii.fields[0].transformation.replaceConfig.newValue.dateValue",
        ),
        (
            {
                "field_item": {
                    "transformation": {
                        "fixedSizeBucketingConfig": {
                            "lowerBound": {"integerValue": "0"},
                            "upperBound": {"integerValue": "10"},
                            "bucketSize": 10**400,
                        }
                    }
                }
            },
            "pii.fields[0].transformation.fixedSizeBucketingConfig.bucketSize",
        ),
        (
            {"field_item": {"transformation": {"timePartConfig": {"partToExtract": ["YEAR"]}}}},
            "pii.fields[0].transformation.timePartConfig.partToExtract",
        ),
    ],
    ids=[
        "condition-time-hours",
        "condition-date-year",
        "replace-date-month",
        "bucket-size",
        "time-part-list",
    ],
)
def test_numbers_beyond_range_and_wrong_types_are_config_errors_not_crashes(tmp_path, case, where):
    result = run_cli("validate-config", _dataset(tmp_path, **case))
    assert result.code == 2, result.err
    assert f"{where}:" in result.err
    assert "Traceback" not in result.err


def test_a_config_nested_thousands_of_levels_deep_is_a_config_error(tmp_path):
    path = _dataset(tmp_path, field_item={"condition": _ssn_condition({"stringValue": "PLACEHOLDER"})})
    path.write_text(path.read_text().replace("PLACEHOLDER", "[" * 10_000 + "]" * 10_000))
    result = run_cli("validate-config", path)
    assert result.code == 2, result.err
    assert "nested too deeply" in result.err, result.err


# --------------------------------------------------------------------------- a faulty DLP answer

SUPPRESSING = {
    "recordSuppressions": [
        {
            "condition": {
                "expressions": {
                    "conditions": {
                        "conditions": [
                            {
                                "field": {"name": "customer.name"},
                                "operator": "EQUAL_TO",
                                "value": {"stringValue": "SUPPRESS-ME"},
                            }
                        ]
                    }
                }
            }
        }
    ]
}


@pytest.fixture
def fake():
    from tests.support.fake_dlp import FakeDlp

    server = FakeDlp()
    yield server
    server.stop()


def _dlp_engine(fake, suppressions: bool = False):
    from google.cloud.dlp_v2 import types as dlp

    from veilwatch.transforms.config.model import DlpEngineSpec, FieldPolicy, PiiSpec, TransformationSpec
    from veilwatch.transforms.dlp.caller import BatchCaller
    from veilwatch.transforms.dlp.engine import DlpTableEngine
    from veilwatch.transforms.dlp.rate_limit import RateLimiter

    record = {
        "fieldTransformations": [
            {"fields": [{"name": "customer.name"}], "primitiveTransformation": {"redactConfig": {}}}
        ]
    }
    if suppressions:
        record.update(SUPPRESSING)
    deidentify = dlp.DeidentifyConfig.from_json(json.dumps({"recordTransformations": record}))
    pii = PiiSpec(
        fields=(FieldPolicy("customer.name", "PERSON_NAME", TransformationSpec("redactConfig", None)),)
    )
    caller = BatchCaller(RateLimiter(60_000), max_attempts=2, sleep=lambda s: None)
    return DlpTableEngine(
        pii, DlpEngineSpec(project="veilwatch-test"), fake.client(), caller, deidentify, dlp.InspectConfig()
    )


def _people(n):
    return [{"customer": {"name": f"PLANTED-NAME-{i}"}} for i in range(n)]


def test_a_row_missing_from_the_answer_fails_its_record_when_nothing_is_suppressed(fake):
    from veilwatch.transforms.dlp.caller import RowFailure

    engine = _dlp_engine(fake)
    # the second record's row (row id 1, the last value) never comes back
    fake.tamper_next(lambda rows: [r for r in rows if r.values[-1].integer_value != 1], times=1_000)
    records = _people(3)
    results = engine.deidentify_records(records)
    assert isinstance(results[1], RowFailure), results[1]  # not "suppressed": no condition could suppress it
    assert "rows" in results[1].reason
    assert "PLANTED" not in results[1].reason
    assert records[1]["customer"]["name"] == "PLANTED-NAME-1"  # left as it came, for the dead letter


def test_a_row_missing_from_the_answer_is_suppressed_where_the_config_suppresses(fake):
    engine = _dlp_engine(fake, suppressions=True)
    records = _people(3)
    records[1]["customer"]["name"] = "SUPPRESS-ME"
    assert engine.deidentify_records(records) == [None, "suppressed", None]


def test_rows_added_to_the_answer_fail_with_a_reason_that_says_so(fake):
    from veilwatch.transforms.dlp.caller import RowFailure

    engine = _dlp_engine(fake, suppressions=True)
    fake.tamper_next(lambda rows: rows + rows[-1:], times=1_000)  # one row too many, every time
    results = engine.deidentify_records(_people(3))
    assert len(results) == 3
    assert all(isinstance(r, RowFailure) for r in results), results
    assert all("2 rows for the 1 it was sent" in r.reason for r in results)
    assert not any("PLANTED" in r.reason for r in results)


def test_a_row_cut_short_in_the_answer_fails_its_record(fake):
    from google.cloud.dlp_v2 import types as dlp

    from veilwatch.transforms.dlp.caller import RowFailure

    engine = _dlp_engine(fake)
    fake.tamper_next(lambda rows: [dlp.Table.Row(values=list(r.values)[:1]) for r in rows], times=1)
    results = engine.deidentify_records(_people(2))
    assert len(results) == 2
    assert all(isinstance(r, RowFailure) for r in results), results
    assert all("number of values" in r.reason for r in results), results


@pytest.mark.parametrize(
    "value, problem",
    [
        (2**63, "holds an integer beyond DLP's 64-bit integers"),
        (-(10**400), "holds an integer beyond DLP's 64-bit integers"),
        ({"PLANTED": "PLANTED-NAME"}, "holds an object or a list"),
        (["PLANTED-NAME"], "holds an object or a list"),
    ],
    ids=["2**63", "-10**400", "object", "list"],
)
def test_a_value_no_dlp_cell_can_hold_fails_its_record_only(fake, value, problem):
    # protobuf refuses an integer beyond int64 with a message quoting it: that crashed the bundle
    # (the run) and put the value in the error; an object was sent empty and came back as null
    from veilwatch.transforms.dlp.caller import RowFailure

    engine = _dlp_engine(fake)
    records = [{"customer": {"name": value}}, {"customer": {"name": "PLANTED-NAME-1"}}]
    results = engine.deidentify_records(records)
    assert isinstance(results[0], RowFailure), results
    assert results[1] is None, results
    assert results[0].reason == f"field 'customer.name' {problem}" + (
        "; a DLP table cannot carry it" if "integer" in problem else "; a DLP table cell holds a single value"
    )
    assert records[0]["customer"]["name"] == value
    assert records[1]["customer"]["name"] == ""
    assert fake.count("DeidentifyContent") == 1


@pytest.mark.parametrize(
    "start, end", [(12, 3), (0, 10_000), (-1, 5)], ids=["reversed", "past-the-end", "negative"]
)
def test_a_finding_outside_its_text_fails_the_text_instead_of_leaving_it_in_clear(fake, start, end):
    # a reversed range made the local rewrite keep the text before it, the email included, in clear
    from google.cloud.dlp_v2 import types as dlp

    from veilwatch.transforms.dlp.caller import RowFailure

    engine = _dlp_engine(fake)
    engine.inspect_config = dlp.InspectConfig(info_types=[dlp.InfoType(name="EMAIL_ADDRESS")])

    def skew(findings):
        findings[0].location.codepoint_range.start = start
        findings[0].location.codepoint_range.end = end
        return findings

    fake.tamper_next(skew, times=1_000, method="InspectContent")
    texts = ["mail planted.person@example.com now"]
    results = engine.inspect_texts(texts)
    assert isinstance(results[0], RowFailure), results
    assert "outside" in results[0].reason
    assert "planted" not in results[0].reason
