"""Every input/output pair Google publishes for DLP's primitives, reproduced by veilwatch.

Issue 12's acceptance: "A test per primitive reproducing each input/output pair from DLP's
docs and Google's sample tests". The pairs already kept elsewhere are not repeated here:
``tests/unit/deid/test_dlp_api_behaviour.py`` (fixedSizeBucketing, bucketing, replaceConfig,
timePart, dateShift) and ``tests/unit/crypto/test_dlp_vectors.py`` (cryptoReplaceFfxFpe,
cryptoDeterministic, cryptoHash). This file holds the others: characterMaskConfig, redactConfig,
replaceWithInfoTypeConfig (with the samples' custom dictionaries and exception lists),
replaceConfig over free text, replaceDictionaryConfig, cryptoHashConfig over tables,
bucketingConfig (the .NET sample and DLP's reference), timePartConfig (the .NET sample), and
the date-shift output files the samples publish.

Each test names its source: GoogleCloudPlatform/<repo> and the path of the sample test (the
assertion) and, where the request is built elsewhere, of the sample. Every pair goes through
veilwatch's real code path: the sample's request (``InspectConfig`` and ``DeidentifyConfig``,
in DLP's JSON, checked by google-cloud-dlp's own message types) is imported as ``veilwatch
dlp import`` does, loaded as a dataset config, and its records are de-identified by the
RecordDeidentifier with the detection engine the run would build: a free-text sample's string
is the record's ``text`` field (found by the detectors, then transformed), a table sample's
row is a record whose fields are the table's headers. Where only the primitive is documented
(the proto's examples) the primitive is built by the registry.
"""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from google.cloud import dlp_v2

from tests.unit.deid.keys import keyring
from veilwatch.transforms.anonymize import load_keys
from veilwatch.transforms.config_loading.loader import ConfigOverrides, parse_config
from veilwatch.transforms.deid.base import ValueContext
from veilwatch.transforms.deid.record_deidentifier import RecordDeidentifier
from veilwatch.transforms.deid.registry import build_transformation, parse_transformation
from veilwatch.transforms.dlp.convert import IMPORTED_TEXT_FIELD, dataset_config_from_templates
from veilwatch.transforms.processing.record_processor import build_scanner


def _deidentifier(
    deidentify_config: dict,
    inspect_config: dict | None = None,
    keys=None,
    table_headers: list[str] | None = None,
    detection: dict | None = None,
) -> RecordDeidentifier:
    """The RecordDeidentifier a run builds from the sample's request, imported as ``dlp import`` does.

    What the user does with the import's notes: a free-text template scans the field ``text``; for a
    table item DLP scans every cell, so ``table_headers`` become the scanned fields. ``keys``: the
    dataset keyset of a keyed primitive without a ``cryptoKey`` (``--keyset``). ``detection``: settings
    put into ``pii.detection`` where the test says why."""
    deidentify = dlp_v2.DeidentifyConfig.from_json(json.dumps(deidentify_config))
    inspect = (
        dlp_v2.InspectConfig.from_json(json.dumps(inspect_config)) if inspect_config is not None else None
    )
    document, _notes = dataset_config_from_templates(deidentify, inspect)
    pii = document["pii"]
    if table_headers is not None and pii.get("scan_fields") == [IMPORTED_TEXT_FIELD]:
        pii["scan_fields"] = list(table_headers)
        fields = document["schema"]["fields"]
        fields[:] = [f for f in fields if f["name"] != IMPORTED_TEXT_FIELD]
        fields += [
            {"name": h, "type": "string"} for h in table_headers if all(f["name"] != h for f in fields)
        ]
    if detection is not None:
        pii.setdefault("detection", {}).update(detection)
    config = parse_config(
        document, overrides=ConfigOverrides(keyset="in-memory" if keys is not None else None)
    )
    if keys is None:
        keys = load_keys(config, allow_plaintext_keys=True)
    return RecordDeidentifier(config.pii, keys, build_scanner(config))


def deidentify_text(
    text: str, deidentify_config: dict, inspect_config: dict | None = None, keys=None, **options
) -> str:
    """DLP's ``content.deidentify`` of ``ContentItem.value`` = ``text``, the veilwatch way."""
    record = {"text": text}
    _deidentifier(deidentify_config, inspect_config, keys, **options).deidentify(record)
    return record["text"]


def deidentify_table(
    headers: list[str],
    rows: list[list],
    deidentify_config: dict,
    inspect_config: dict | None = None,
    keys=None,
) -> list[list]:
    """DLP's ``content.deidentify`` of a ``ContentItem.table``: one record per row."""
    deidentifier = _deidentifier(deidentify_config, inspect_config, keys, table_headers=headers)
    out = []
    for row in rows:
        record = dict(zip(headers, row, strict=True))
        deidentifier.deidentify(record)
        out.append([record[h] for h in headers])
    return out


def info_types(*names: str) -> list[dict]:
    return [{"name": n} for n in names]


def free_text(primitive: dict, *types: str) -> dict:
    """``infoTypeTransformations`` with one transformation (for ``types``, or every finding)."""
    transformation = {"primitiveTransformation": primitive}
    if types:
        transformation["infoTypes"] = info_types(*types)
    return {"infoTypeTransformations": {"transformations": [transformation]}}


def registry_primitive(config: dict):
    """A keyless primitive as the registry builds it (where only the primitive is documented)."""
    return build_transformation(parse_transformation(config, "t"), None)


# -- characterMaskConfig -------------------------------------------------------------------------

SSN = {"infoTypes": info_types("US_SOCIAL_SECURITY_NUMBER")}


@pytest.mark.parametrize(
    "source,text,mask,expected",
    [
        # python-docs-samples dlp/snippets/Deidentify/deidentify_masking_test.py (request in deidentify_masking.py;
        # masking_character None and number_to_mask 0 are unset in the message)
        ("python test_deidentify_with_mask", "My SSN is 372819127", {}, "My SSN is *********"),
        (
            "python ..._masking_character_specified",
            "My SSN is 372819127",
            {"maskingCharacter": "#"},
            "My SSN is #########",
        ),
        (
            "python ..._masking_number_specified",
            "My SSN is 372819127",
            {"numberToMask": 7},
            "My SSN is *******27",
        ),
        ("python ..._ignore_insensitive_data", "My favorite color is blue", {}, "My favorite color is blue"),
        # golang-samples dlp/snippets/deid/mark_test.go TestMask (request in mask.go; Go's "" is an unset character)
        ("golang TestMask '+'", "My SSN is 111222333", {"maskingCharacter": "+"}, "My SSN is +++++++++"),
        (
            "golang TestMask default",
            "My SSN is 111222333",
            {"maskingCharacter": "", "numberToMask": 0},
            "My SSN is *********",
        ),
        (
            "golang TestMask '+' 6",
            "My SSN is 111222333",
            {"maskingCharacter": "+", "numberToMask": 6},
            "My SSN is ++++++333",
        ),
        # dotnet-docs-samples dlp/api/Snippets.Tests/DeidentifyWithMaskingTests.cs (Snippets/DeidentifyWithMasking.cs)
        (
            "dotnet DeidentifyWithMaskingTests",
            "My SSN is 372819127",
            {"maskingCharacter": "*", "numberToMask": 5, "reverseOrder": False},
            "My SSN is *****9127",
        ),
        # nodejs-docs-samples dlp/system-test/deid.test.js 'should mask sensitive data in a string'
        # (deidentifyWithMask.js with "x" 5)
        (
            "nodejs deid.test.js",
            "My SSN is 372819127",
            {"maskingCharacter": "x", "numberToMask": 5},
            "My SSN is xxxxx9127",
        ),
        ("nodejs deid.test.js harmless", "My favorite color is blue", {}, "My favorite color is blue"),
    ],
)
def test_character_mask_of_a_found_ssn(source, text, mask, expected):
    assert deidentify_text(text, free_text({"characterMaskConfig": mask}), SSN) == expected


@pytest.mark.parametrize(
    "mask,value,expected",
    [
        # DLP's proto documentation of CharacterMaskConfig (google-cloud-dlp 3.38.0,
        # google/cloud/dlp_v2/types/dlp.py; the same text in googleapis/googleapis
        # google/privacy/dlp/v2/dlp.proto):
        # number_to_mask: "-4 ... CharsToIgnore includes - ... 1234-5678-9012-3456 -> ****-****-****-3456"
        (
            {
                "maskingCharacter": "*",
                "numberToMask": -4,
                "reverseOrder": False,
                "charactersToIgnore": [{"charactersToSkip": "-"}],
            },
            "1234-5678-9012-3456",
            "****-****-****-3456",
        ),
        # "... If reverse_order is true, all but the first four characters are masked as 1234-****-****-****"
        (
            {
                "maskingCharacter": "*",
                "numberToMask": -4,
                "reverseOrder": True,
                "charactersToIgnore": [{"charactersToSkip": "-"}],
            },
            "1234-5678-9012-3456",
            "1234-****-****-****",
        ),
        # reverse_order: "masking_character is 0, number_to_mask is 14, and reverse_order is false, then the
        # input string 1234-5678-9012-3456 is masked as 00000000000000-3456"
        (
            {"maskingCharacter": "0", "numberToMask": 14, "reverseOrder": False},
            "1234-5678-9012-3456",
            "00000000000000-3456",
        ),
        # "If masking_character is *, number_to_mask is 3, and reverse_order is true, then the string 12345 is
        # masked as 12***"
        ({"maskingCharacter": "*", "numberToMask": 3, "reverseOrder": True}, "12345", "12***"),
        # characters_to_ignore: "input string is 555-555-5555 and you instruct Cloud DLP to skip - and mask 5
        # characters with *, Cloud DLP returns ***-**5-5555"
        (
            {"maskingCharacter": "*", "numberToMask": 5, "charactersToIgnore": [{"charactersToSkip": "-"}]},
            "555-555-5555",
            "***-**5-5555",
        ),
        # The same with the common class: PUNCTUATION holds '-'.
        (
            {
                "maskingCharacter": "*",
                "numberToMask": 5,
                "charactersToIgnore": [{"commonCharactersToIgnore": "PUNCTUATION"}],
            },
            "555-555-5555",
            "***-**5-5555",
        ),
        # The message's own text: "take a long like 123 and modify it to a string like **3" (two characters
        # masked; the number to mask is not given there).
        ({"maskingCharacter": "*", "numberToMask": 2}, 123, "**3"),
    ],
)
def test_character_mask_examples_of_dlps_reference(mask, value, expected):
    config = {"characterMaskConfig": mask}
    dlp_v2.CharacterMaskConfig.from_json(json.dumps(mask))  # the example is a valid DLP message
    assert registry_primitive(config).transform(value, ValueContext("X", {}, "f")) == expected


def test_an_empty_masking_character_is_dlps_default():
    """proto3 cannot tell ``maskingCharacter: ""`` from an unset one, so DLP masks with its default:
    golang-samples dlp/snippets/deid/mark_test.go passes "" and expects "My SSN is *********". A
    config written by hand with "" (or a DLP template carrying it) is valid and masks with '*'."""
    t = registry_primitive({"characterMaskConfig": {"maskingCharacter": ""}})
    assert t.transform("111222333", ValueContext("US_SOCIAL_SECURITY_NUMBER", {}, "f")) == "*********"


CONDITION_MASKING = {
    "recordTransformations": {
        "fieldTransformations": [
            {
                "fields": [{"name": "HAPPINESS SCORE"}],
                "primitiveTransformation": {"characterMaskConfig": {"maskingCharacter": "*"}},
                "condition": {
                    "expressions": {
                        "conditions": {
                            "conditions": [
                                {
                                    "field": {"name": "AGE"},
                                    "operator": "GREATER_THAN",
                                    "value": {"integerValue": "89"},
                                }
                            ]
                        }
                    }
                },
            }
        ]
    }
}
HEADERS = ["AGE", "PATIENT", "HAPPINESS SCORE"]


def test_condition_masking_tables_of_the_java_and_python_samples():
    # java-docs-samples dlp/snippets/src/test/java/dlp/snippets/DeIdentificationTests.java
    # testDeIdentifyTableConditionMasking (request in DeIdentifyTableConditionMasking.java): the expected table.
    rows = [["101", "Charles Dickens", "95"], ["22", "Jane Austen", "21"], ["55", "Mark Twain", "75"]]
    assert deidentify_table(HEADERS, rows, CONDITION_MASKING) == [
        ["101", "Charles Dickens", "**"],
        ["22", "Jane Austen", "21"],
        ["55", "Mark Twain", "75"],
    ]
    # python-docs-samples dlp/snippets/Deidentify/deidentify_table_condition_masking_test.py: ages 101, 22, 90;
    # 'string_value: "**"' and 'string_value: "21"' (default character, then '#').
    rows = [["101", "Charles Dickens", "95"], ["22", "Jane Austen", "21"], ["90", "Mark Twain", "75"]]
    assert [r[2] for r in deidentify_table(HEADERS, rows, CONDITION_MASKING)] == ["**", "21", "**"]
    sharp = json.loads(
        json.dumps(CONDITION_MASKING).replace('"maskingCharacter": "*"', '"maskingCharacter": "#"')
    )
    assert [r[2] for r in deidentify_table(HEADERS, rows, sharp)] == ["##", "21", "##"]


def test_condition_masking_of_integer_values_gives_a_string():
    # nodejs-docs-samples dlp/system-test/deid.test.js 'should replace the matched input in table'
    # (deIdentifyTableConditionMasking.js: integerValue cells): "stringValue":"**" for 95,
    # "integerValue":"21" and "integerValue":"75" kept. dotnet-docs-samples
    # DeidentifyTableUsingMaskingAndLogicTests.cs: "*" present, "95" gone.
    rows = [[101, "Charles Dickens", 95], [22, "Jane Austen", 21], [55, "Mark Twain", 75]]
    out = deidentify_table(HEADERS, rows, CONDITION_MASKING)
    assert [r[2] for r in out] == ["**", 21, 75]
    assert type(out[0][2]) is str
    assert type(out[1][2]) is int


# -- redactConfig -----------------------------------------------------------------------------------

ALICIA = "My name is Alicia Abernathy, and my email address is aabernathy@example.com."
REDACT = {"redactConfig": {}}


@pytest.mark.parametrize(
    "source,text,types,expected",
    [
        # python-docs-samples dlp/snippets/Deidentify/deidentify_redact_test.py
        (
            "python deidentify_redact_test",
            "My SSN is 372819127!",
            ("US_SOCIAL_SECURITY_NUMBER",),
            "My SSN is !",
        ),
        # golang-samples dlp/snippets/deid/deid_with_redact_test.go, java-docs-samples DeIdentificationTests.java
        # testDeIdentifyWithRedaction, nodejs-docs-samples dlp/system-test/deid.test.js
        # 'should redact the matched input values'
        (
            "golang/java/nodejs redact",
            ALICIA,
            ("EMAIL_ADDRESS",),
            "My name is Alicia Abernathy, and my email address is .",
        ),
        # dotnet-docs-samples dlp/api/Snippets.Tests/DeidentifyDataUsingRedactWithMatchedInputValuesTests.cs
        (
            "dotnet DeidentifyDataUsingRedactWithMatchedInputValuesTests",
            "My phone number is 4359916732.",
            ("PHONE_NUMBER",),
            "My phone number is .",
        ),
    ],
)
def test_redact(source, text, types, expected):
    assert deidentify_text(text, free_text(REDACT), {"infoTypes": info_types(*types)}) == expected


def test_redact_example_of_dlps_reference():
    # DLP's proto documentation of RedactConfig (google-cloud-dlp 3.38.0, google/cloud/dlp_v2/types/dlp.py):
    # "used with an InfoTypeTransformation transforming PHONE_NUMBER, and input 'My phone number is
    # 206-555-0123', the output would be 'My phone number is '".
    assert (
        deidentify_text(
            "My phone number is 206-555-0123",
            free_text(REDACT, "PHONE_NUMBER"),
            {"infoTypes": info_types("PHONE_NUMBER")},
        )
        == "My phone number is "
    )


# -- replaceWithInfoTypeConfig ----------------------------------------------------------------------

INFO_TYPE = {"replaceWithInfoTypeConfig": {}}


@pytest.mark.parametrize(
    "source,text,types,expected",
    [
        # python-docs-samples dlp/snippets/Deidentify/deidentify_replace_infotype_test.py
        (
            "python deidentify_replace_infotype_test",
            "My favorite site is https://cloud.google.com",
            ("URL",),
            "My favorite site is [URL]",
        ),
        # golang-samples dlp/snippets/deid/deid_replace_infotype_test.go, java-docs-samples DeIdentificationTests.java
        # testDeIdentifyWithInfoType
        (
            "golang/java replace infotype",
            "My email is test@example.com",
            ("EMAIL_ADDRESS",),
            "My email is [EMAIL_ADDRESS]",
        ),
        # nodejs-docs-samples dlp/system-test/deid.test.js 'should replace the matched input values'
        (
            "nodejs deIdentifyWithReplaceInfoType",
            ALICIA,
            ("EMAIL_ADDRESS",),
            "My name is Alicia Abernathy, and my email address is [EMAIL_ADDRESS].",
        ),
        # dotnet-docs-samples dlp/api/Snippets.Tests/DeidentifyWithReplaceInfotypesTests.cs
        (
            "dotnet DeidentifyWithReplaceInfotypesTests",
            "My numbers are (415) 555-0890 and (415) 555-0990 and email is test@example.com.",
            ("PHONE_NUMBER", "EMAIL_ADDRESS"),
            "My numbers are [PHONE_NUMBER] and [PHONE_NUMBER] and email is [EMAIL_ADDRESS].",
        ),
    ],
)
def test_replace_with_info_type(source, text, types, expected):
    assert deidentify_text(text, free_text(INFO_TYPE), {"infoTypes": info_types(*types)}) == expected


ROOMS = {
    "customInfoTypes": [
        {
            "infoType": {"name": "CUSTOM_ROOM_ID"},
            "dictionary": {"wordList": {"words": ["RM-GREEN", "RM-YELLOW", "RM-ORANGE"]}},
        }
    ]
}


def test_replace_with_info_type_of_a_custom_dictionary():
    # python-docs-samples dlp/snippets/Deidentify/deidentify_simple_word_list_test.py
    # test_deidentify_with_simple_word_list, golang-samples dlp/snippets/deid/deid_simple_word_list_test.go,
    # nodejs-docs-samples deid.test.js 'should deidentify using the word list provided', dotnet-docs-samples
    # dlp/api/Snippets.Tests/DeidentifyWithSimpleWordListTests.cs. DLP's dictionary matching: any case, every
    # character but letters and digits read as whitespace (CustomInfoType.Dictionary), so "RM-GREEN" finds
    # "rm green".
    assert (
        deidentify_text(
            "Patient was seen in RM-YELLOW then transferred to rm green.", free_text(INFO_TYPE), ROOMS
        )
        == "Patient was seen in [CUSTOM_ROOM_ID] then transferred to [CUSTOM_ROOM_ID]."
    )


def test_a_word_outside_the_custom_dictionary_is_kept():
    # python-docs-samples dlp/snippets/Deidentify/deidentify_simple_word_list_test.py
    # test_deidentify_with_simple_word_list_ignores_insensitive_data:
    # "Patient was seen in RM-RED then transferred to rm green" -> "... RM-RED then transferred to [CUSTOM_ROOM_ID]".
    # The request names no built-in infoType, so both DLP and veilwatch also scan for their default ones;
    # DLP's find nothing in "RM-RED", veilwatch's NER reads it as a place: with the sample's request as it is,
    # veilwatch answers "[LOCATION]" there (more redacted, never less). The dictionary's part, and the
    # sample's whole output once the NER is off, are DLP's.
    text = "Patient was seen in RM-RED then transferred to rm green"
    assert (
        deidentify_text(text, free_text(INFO_TYPE), ROOMS)
        == "Patient was seen in [LOCATION] then transferred to [CUSTOM_ROOM_ID]"
    )
    assert (
        deidentify_text(text, free_text(INFO_TYPE), ROOMS, detection={"use_ner": False})
        == "Patient was seen in RM-RED then transferred to [CUSTOM_ROOM_ID]"
    )


@pytest.mark.parametrize(
    "text,expected",
    [
        # DLP's proto documentation of CustomInfoType.Dictionary (google-cloud-dlp 3.38.0,
        # google/cloud/dlp_v2/types/storage.py): 'the dictionary phrase "Sam Johnson" will match all three
        # phrases "sam johnson", "Sam, Johnson", and "Sam (Johnson)"' ...
        ("sam johnson", "[CUSTOM_NAME]"),
        ("Sam, Johnson", "[CUSTOM_NAME]"),
        ("Sam (Johnson)", "[CUSTOM_NAME])"),
        # ... 'the dictionary word "jen" will match the first three letters of the text "jen123" but will
        # return no matches for "jennifer"'.
        ("jen123", "[CUSTOM_NAME]123"),
        ("jennifer", "jennifer"),
    ],
)
def test_custom_dictionary_matches_as_dlps_reference_says(text, expected):
    names = {
        "customInfoTypes": [
            {
                "infoType": {"name": "CUSTOM_NAME"},
                "dictionary": {"wordList": {"words": ["Sam Johnson", "jen"]}},
            }
        ]
    }
    # Only the dictionary: the NER would call "Sam Johnson" a PERSON_NAME too.
    assert deidentify_text(text, free_text(INFO_TYPE), names, detection={"use_ner": False}) == expected


def _exception_list(words):
    emails = info_types("EMAIL_ADDRESS")
    return {
        "infoTypes": emails,
        "ruleSet": [
            {
                "infoTypes": emails,
                "rules": [
                    {
                        "exclusionRule": {
                            "dictionary": {"wordList": {"words": words}},
                            "matchingType": "MATCHING_TYPE_FULL_MATCH",
                        }
                    }
                ],
            }
        ],
    }


@pytest.mark.parametrize(
    "source,text,expected",
    [
        # python-docs-samples dlp/snippets/Deidentify/deidentify_exception_list_test.py
        (
            "python deidentify_exception_list_test",
            "jack@example.org accessed record of user: gary@example.org",
            "jack@example.org accessed record of user: [EMAIL_ADDRESS]",
        ),
        # golang-samples dlp/snippets/deid/deid_with_exception_list_test.go, nodejs-docs-samples deid.test.js
        # 'should exclude the words during inspection', dotnet-docs-samples DeidentifyWithExceptionListTest.cs
        (
            "golang/nodejs/dotnet exception list",
            "jack@example.org accessed customer record of user5@example.com",
            "jack@example.org accessed customer record of [EMAIL_ADDRESS]",
        ),
    ],
)
def test_replace_with_info_type_with_an_exception_list(source, text, expected):
    inspect = _exception_list(["jack@example.org", "jill@example.org"])
    assert deidentify_text(text, free_text(INFO_TYPE, "EMAIL_ADDRESS"), inspect) == expected


FACTOID_HEADERS = ["AGE", "PATIENT", "HAPPINESS SCORE", "FACTOID"]
FACTOID_ROWS = [
    ["101", "Charles Dickens", "95", "Charles Dickens name was a curse invented by Shakespeare."],
    ["22", "Jane Austen", "21", "There are 14 kisses in Jane Austen's novels."],
    ["55", "Mark Twain", "75", "Mark Twain loved cats."],
]


PERSON_NAMES = {"infoTypes": info_types("PERSON_NAME")}


def _person_names(condition: bool) -> dict:
    item = {
        "fields": [{"name": "PATIENT"}, {"name": "FACTOID"}],
        "infoTypeTransformations": {
            "transformations": [
                {"infoTypes": info_types("PERSON_NAME"), "primitiveTransformation": INFO_TYPE}
            ]
        },
    }
    if condition:
        item["condition"] = {
            "expressions": {
                "conditions": {
                    "conditions": [
                        {
                            "field": {"name": "AGE"},
                            "operator": "GREATER_THAN",
                            "value": {"integerValue": "89"},
                        }
                    ]
                }
            }
        }
    return {"recordTransformations": {"fieldTransformations": [item]}}


def test_person_names_in_table_columns():
    # java-docs-samples DeIdentificationTests.java testDeIdentifyTableInfoTypes: the expected table
    # (python-docs-samples deidentify_table_infotypes_test.py asserts the same strings).
    out = deidentify_table(FACTOID_HEADERS, FACTOID_ROWS, _person_names(False), PERSON_NAMES)
    assert [r[1] for r in out] == ["[PERSON_NAME]"] * 3
    assert out[0][3] == "[PERSON_NAME] name was a curse invented by [PERSON_NAME]."
    assert out[2][3] == "[PERSON_NAME] loved cats."
    # DLP's PERSON_NAME finding takes the possessive along ("There are 14 kisses in [PERSON_NAME] novels.");
    # veilwatch's finding is the name alone, so its "'s" stays. Detection, not the primitive: the name is gone.
    assert out[1][3] == "There are 14 kisses in [PERSON_NAME]'s novels."


def test_person_names_in_the_python_samples_documented_table():
    # python-docs-samples dlp/snippets/Deidentify/deidentify_table_infotypes.py, the docstring's example: the
    # "name" column scanned for PERSON_NAME (replaceWithInfoTypeConfig, no infoTypes: every finding), the
    # other columns left alone.
    config = {
        "recordTransformations": {
            "fieldTransformations": [
                {
                    "fields": [{"name": "name"}],
                    "infoTypeTransformations": {"transformations": [{"primitiveTransformation": INFO_TYPE}]},
                }
            ]
        }
    }
    headers = ["name", "email", "phone number"]
    rows = [
        ["Robert Frost", "robertfrost@example.com", "4232342345"],
        ["John Doe", "johndoe@example.com", "4253458383"],
    ]
    assert deidentify_table(headers, rows, config, PERSON_NAMES) == [
        ["[PERSON_NAME]", "robertfrost@example.com", "4232342345"],
        ["[PERSON_NAME]", "johndoe@example.com", "4253458383"],
    ]


def test_person_names_in_table_columns_where_a_condition_holds():
    # java-docs-samples DeIdentificationTests.java testDeIdentifyTableConditionsInfoTypes: the expected table
    # (python-docs-samples deidentify_table_condition_infotypes_test.py, golang-samples
    # deid_table_condition_infotypes_test.go assert "[PERSON_NAME] name was a curse invented by [PERSON_NAME].").
    out = deidentify_table(FACTOID_HEADERS, FACTOID_ROWS, _person_names(True), PERSON_NAMES)
    assert out == [
        ["101", "[PERSON_NAME]", "95", "[PERSON_NAME] name was a curse invented by [PERSON_NAME]."],
        FACTOID_ROWS[1],
        FACTOID_ROWS[2],
    ]


# -- replaceConfig over free text ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "source,text,types,new_value,expected",
    [
        # python-docs-samples dlp/snippets/Deidentify/deidentify_replace_test.py
        (
            "python deidentify_replace_test",
            "My SSN is 372819127",
            ("US_SOCIAL_SECURITY_NUMBER",),
            "REPLACEMENT_STR",
            "My SSN is REPLACEMENT_STR",
        ),
        # java-docs-samples DeIdentificationTests.java testDeIdentifyWithReplacement (and golang deid_replace_test.go)
        (
            "java/golang replacement",
            ALICIA,
            ("EMAIL_ADDRESS",),
            "[email-address]",
            "My name is Alicia Abernathy, and my email address is [email-address].",
        ),
        # dotnet-docs-samples dlp/api/Snippets.Tests/DeidentifyWithReplacementTests.cs
        (
            "dotnet DeidentifyWithReplacementTests",
            "My name is Alicia Abernathy, and my email address is aabernathy@example.com and abc@gmail.com.",
            ("EMAIL_ADDRESS",),
            "[email-address]",
            "My name is Alicia Abernathy, and my email address is [email-address] and [email-address].",
        ),
    ],
)
def test_replace_in_free_text(source, text, types, new_value, expected):
    replace = {"replaceConfig": {"newValue": {"stringValue": new_value}}}
    assert deidentify_text(text, free_text(replace, *types), {"infoTypes": info_types(*types)}) == expected


# -- replaceDictionaryConfig ----------------------------------------------------------------------------
#
# DLP picks the word at random; veilwatch picks it with a keyed HMAC of the value (README,
# transforms/deid/primitives/replace_dictionary.py), so the same value always gets the same word.
# What the samples assert holds either way: the value is gone and one of the words is in its place.


@pytest.mark.parametrize(
    "source,text,types,words,kept",
    [
        # golang-samples dlp/snippets/deid/deid_dictionary_replacement_test.go (deid_dictionary_replacement.go:
        # inspect EMAIL_ADDRESS): "... address is izumi@example.com." or "... alex@example.com."
        (
            "golang deid_dictionary_replacement_test",
            ALICIA,
            ("EMAIL_ADDRESS",),
            ["izumi@example.com", "alex@example.com"],
            "My name is Alicia Abernathy, and my email address is {}.",
        ),
        # java-docs-samples DeIdentificationTests.java testDeIdentifyDataReplaceWithDictionary
        (
            "java testDeIdentifyDataReplaceWithDictionary",
            "My name is Charlie and email address is charlie@example.com.",
            ("EMAIL_ADDRESS",),
            ["izumi@example.com", "alex@example.com"],
            "My name is Charlie and email address is {}.",
        ),
        # dotnet-docs-samples dlp/api/Snippets.Tests/DeidentifyDataUsingDictionaryReplacementTests.cs: PERSON_NAME
        # replaced by one of Gary, Justin, David
        (
            "dotnet DeidentifyDataUsingDictionaryReplacementTests",
            ALICIA,
            ("PERSON_NAME",),
            ["Gary", "Justin", "David"],
            "My name is {}, and my email address is aabernathy@example.com.",
        ),
    ],
)
def test_replace_dictionary_puts_one_of_the_words(source, text, types, words, kept):
    config = free_text({"replaceDictionaryConfig": {"wordList": {"words": words}}}, *types)
    inspect = {"infoTypes": info_types(*types)}
    keys = keyring()
    out = deidentify_text(text, config, inspect, keys)
    assert out in {kept.format(w) for w in words}
    # veilwatch's documented difference: the word is keyed by the value, the same in every record and run.
    assert deidentify_text(text, config, inspect, keys) == out


def test_replace_dictionary_of_the_python_sample_without_an_inspect_config():
    # python-docs-samples dlp/snippets/Deidentify/deidentify_dictionary_replacement_test.py (request in
    # deidentify_dictionary_replacement.py: no inspectConfig, so every default infoType is looked for, and
    # only EMAIL_ADDRESS has a transformation): "aabernathy@example.com" gone, one of the three words there.
    words = ["izumi@example.com", "alex@example.com", "tal@example.com"]
    config = free_text({"replaceDictionaryConfig": {"wordList": {"words": words}}}, "EMAIL_ADDRESS")
    out = deidentify_text(ALICIA, config, None, keyring())
    assert "aabernathy@example.com" not in out
    assert sum(w in out for w in words) == 1
    # DLP leaves a finding no transformation names as it is; veilwatch gives it pii.default_scan_transformation
    # (replaceWithInfoTypeConfig unless set, README "pii.info_type_transformations"), so the name found here is
    # replaced too: more is hidden than by DLP, never less.
    assert out.startswith("My name is [PERSON_NAME], and my email address is ")


# -- cryptoHashConfig over tables -------------------------------------------------------------------------


def _hash(name: str) -> dict:
    return {"cryptoHashConfig": {"cryptoKey": {"transient": {"name": name}}}}


def test_crypto_hash_of_the_python_table():
    # python-docs-samples dlp/snippets/Deidentify/deidentify_table_with_crypto_hash_test.py (request in
    # deidentify_table_with_crypto_hash.py: EMAIL_ADDRESS and PHONE_NUMBER hashed with a transient key
    # wherever found): the emails and phone numbers are gone. golang-samples
    # deid_table_with_crypto_hash_test.go, nodejs-docs-samples deid.test.js and dotnet-docs-samples
    # DeidentifyTableWithCryptoHashTests.cs assert the same of their user1..3 / 858-555-022x tables.
    types = ("EMAIL_ADDRESS", "PHONE_NUMBER")
    headers = ["user_id", "comments"]
    rows = [
        [f"{n}@example.org", f"my email is {n}@example.org and phone is 858-555-022{i}"]
        for i, n in ((2, "abby_abernathy"), (3, "bert_beauregard"), (4, "cathy_crenshaw"))
    ]
    out = deidentify_table(
        headers, rows, free_text(_hash("TRANSIENT-CRYPTO-KEY"), *types), {"infoTypes": info_types(*types)}
    )
    text = json.dumps(out)
    assert len(out) == 3
    assert not any(r[0] in text for r in rows)
    assert not any(r[1].split()[-1] in text for r in rows)
    # DLP's hash: 32 bytes in base64, the same token for the same value within the request (one key).
    token = out[0][0]
    assert len(base64.b64decode(token)) == 32
    assert out[0][1] == f"my email is {token} and phone is {out[0][1].split()[-1]}"


def test_crypto_hash_of_the_multiple_keys_table():
    # python-docs-samples dlp/snippets/Deidentify/deidentify_table_with_multiple_crypto_hash_test.py (request in
    # deidentify_table_with_multiple_crypto_hash.py): user_id hashed whole with one transient key, the
    # EMAIL_ADDRESS and PHONE_NUMBER found in comments with another; "my userid is abbyabernathy1" kept,
    # the emails gone (golang-samples deid_table_with_multiple_crypto_hash_test.go: "abbyabernathy1" kept).
    types = info_types("EMAIL_ADDRESS", "PHONE_NUMBER")
    config = {
        "recordTransformations": {
            "fieldTransformations": [
                {"fields": [{"name": "user_id"}], "primitiveTransformation": _hash("TRANSIENT-CRYPTO-KEY-1")},
                {
                    "fields": [{"name": "comments"}],
                    "infoTypeTransformations": {
                        "transformations": [
                            {"infoTypes": types, "primitiveTransformation": _hash("TRANSIENT-CRYPTO-KEY-2")}
                        ]
                    },
                },
            ]
        }
    }
    rows = [
        ["user1@example.org", "my email is user1@example.org and phone is 858-333-2222"],
        ["abbyabernathy1", "my userid is abbyabernathy1 and my email is aabernathy@example.com"],
    ]
    out = deidentify_table(["user_id", "comments"], rows, config, {"infoTypes": types})
    text = json.dumps(out)
    assert "user1@example.org" not in text
    assert "858-333-2222" not in text
    assert "aabernathy@example.com" not in text
    assert out[1][0] != "abbyabernathy1"
    assert out[1][1].startswith("my userid is abbyabernathy1 and my email is ")
    # Two transient keys: the same email hashes differently in the two columns.
    assert out[0][1] != f"my email is {out[0][0]} and phone is " + out[0][1].split()[-1]


def test_crypto_hash_of_the_dotnet_multiple_keys_table():
    # dotnet-docs-samples dlp/api/Snippets.Tests/DeidentifyTableWithMultipleCryptoHashTests.cs (request in
    # Snippets/DeidentifyTableWithMultipleCryptoHash.cs: "User ID" hashed whole, EMAIL_ADDRESS and
    # PERSON_NAME in comments): "user1@example.org" gone, the phone number "858-555-0222" kept.
    types = info_types("EMAIL_ADDRESS", "PERSON_NAME")
    config = {
        "recordTransformations": {
            "fieldTransformations": [
                {
                    "fields": [{"name": "User ID"}],
                    "primitiveTransformation": _hash("[TRANSIENT-CRYPTO-KEY-1]"),
                },
                {
                    "fields": [{"name": "comments"}],
                    "infoTypeTransformations": {
                        "transformations": [
                            {"infoTypes": types, "primitiveTransformation": _hash("[TRANSIENT-CRYPTO-KEY-2]")}
                        ]
                    },
                },
            ]
        }
    }
    rows = [
        [f"user{i}@example.org", f"my email is user{i}@example.org and phone is 858-555-022{i + 1}"]
        for i in (1, 2, 3)
    ]
    out = deidentify_table(["User ID", "comments"], rows, config, {"infoTypes": types})
    text = json.dumps(out)
    assert "user1@example.org" not in text
    assert "858-555-0222" in text
    assert [r[1].rsplit(" ", 1)[1] for r in out] == ["858-555-0222", "858-555-0223", "858-555-0224"]


# -- bucketingConfig, timePartConfig (.NET tables) --------------------------------------------------------


def test_bucketing_of_the_dotnet_table():
    # dotnet-docs-samples dlp/api/Snippets.Tests/DeidentifyTableWithPrimitiveBucketingTests.cs (table and
    # buckets in Snippets/DeidentifyTableWithPrimitiveBucketing.cs: integer scores 95, 61, 22): "High"
    # present, "61" gone.
    buckets = [
        {"min": {"integerValue": lo}, "max": {"integerValue": hi}, "replacementValue": {"stringValue": label}}
        for lo, hi, label in ((0, 25, "Low"), (25, 75, "Medium"), (75, 100, "High"))
    ]
    config = {
        "recordTransformations": {
            "fieldTransformations": [
                {
                    "fields": [{"name": "score"}],
                    "primitiveTransformation": {"bucketingConfig": {"buckets": buckets}},
                }
            ]
        }
    }
    out = deidentify_table(["user_id", "score"], [[1, 95], [2, 61], [3, 22]], config)
    assert out == [[1, "High"], [2, "Medium"], [3, "Low"]]


def test_bucketing_example_of_dlps_reference():
    # DLP's proto documentation of BucketingConfig: "1-30 -> LOW, 31-65 -> MEDIUM, 66-100 -> HIGH", written
    # as DLP's buckets (min inclusive, max exclusive: [1, 31), [31, 66), [66, 101)); a string value is
    # converted to the bounds' type first ("we will first attempt converting the type of the data").
    buckets = [
        {"min": {"integerValue": lo}, "max": {"integerValue": hi}, "replacementValue": {"stringValue": label}}
        for lo, hi, label in ((1, 31, "LOW"), (31, 66, "MEDIUM"), (66, 101, "HIGH"))
    ]
    t = registry_primitive({"bucketingConfig": {"buckets": buckets}})
    ctx = ValueContext("X", {}, "f")
    assert [t.transform(v, ctx) for v in (1, 30, 31, 65, "66", 100)] == [
        "LOW",
        "LOW",
        "MEDIUM",
        "MEDIUM",
        "HIGH",
        "HIGH",
    ]


def test_time_part_of_the_dotnet_table():
    # dotnet-docs-samples dlp/api/Snippets.Tests/DeidentifyWithTimeExtractionTests.cs (table in
    # Snippets/DeidentifyWithTimeExtraction.cs: dateValue 2020-06-10, 2022-12-23, 2023-01-01; YEAR):
    # "2022" present, "10" gone. A DLP dateValue is an ISO date in a veilwatch record.
    config = {
        "recordTransformations": {
            "fieldTransformations": [
                {
                    "fields": [{"name": "Date"}],
                    "primitiveTransformation": {"timePartConfig": {"partToExtract": "YEAR"}},
                }
            ]
        }
    }
    out = deidentify_table(["Date"], [["2020-06-10"], ["2022-12-23"], ["2023-01-01"]], config)
    assert out == [["2020"], ["2022"], ["2023"]]


# -- dateShiftConfig: the output files the samples publish --------------------------------------------------


def _shift_table(lower: int, upper: int, rows: list[list[str]], context: bool = False) -> list[list[str]]:
    shift = {"lowerBoundDays": lower, "upperBoundDays": upper}
    if (
        context
    ):  # the samples' KMS-wrapped key cannot be unwrapped here; with lower == upper any key gives the shift
        shift["context"] = {"name": "name"}
        shift["cryptoKey"] = {
            "unwrapped": {"key": base64.b64encode(b"abcdefghijklmnopabcdefghijklmnop").decode()}
        }
    config = {
        "recordTransformations": {
            "fieldTransformations": [
                {
                    "fields": [{"name": "birth_date"}, {"name": "register_date"}],
                    "primitiveTransformation": {"dateShiftConfig": shift},
                }
            ]
        }
    }
    return deidentify_table(["name", "birth_date", "register_date"], rows, config)


def test_date_shift_gives_the_java_samples_results_correct_csv():
    # java-docs-samples dlp/snippets/src/test/resources/dates.csv -> results.correct.csv, 5..5 days
    # (DeIdentifyWithDateShift.java sends each MM/dd/yyyy date as a dateValue and writes the answer's dates
    # as yyyy-MM-dd; a dateValue is an ISO date in a veilwatch record, so the ISO input gives the file's text).
    dates = [
        ["Ann", "1970-01-01", "1996-07-21"],
        ["James", "1988-03-06", "2001-04-09"],
        ["Dan", "1945-08-14", "2011-11-15"],
        ["Laura", "1992-11-03", "2017-01-04"],
    ]
    assert _shift_table(5, 5, dates) == [
        ["Ann", "1970-01-06", "1996-07-26"],
        ["James", "1988-03-11", "2001-04-14"],
        ["Dan", "1945-08-19", "2011-11-20"],
        ["Laura", "1992-11-08", "2017-01-09"],
    ]


def test_date_shift_gives_the_dotnet_samples_dates_correct_csv():
    # dotnet-docs-samples dlp/api/Snippets.Tests/resources/dates-input.csv -> dates-correct.csv, 50..50 days
    # with context "name" (DeidentifyWithDateShiftTests.cs), the layout kept.
    dates = [
        ["Ann", "01/01/1970", "07/21/1996"],
        ["James", "03/06/1988", "04/09/2001"],
        ["Dan", "08/14/1945", "11/15/2011"],
        ["Laura", "11/03/1992", "01/04/2017"],
    ]
    assert _shift_table(50, 50, dates, context=True) == [
        ["Ann", "02/20/1970", "09/09/1996"],
        ["James", "04/25/1988", "05/29/2001"],
        ["Dan", "10/03/1945", "01/04/2012"],
        ["Laura", "12/23/1992", "02/23/2017"],
    ]


def test_date_shift_gives_the_nodejs_samples_expected_csv():
    # nodejs-docs-samples dlp/resources/dates.csv -> dlp/system-test/resources/date-shift-context.expected.csv,
    # 30..30 days (deid.test.js dateShiftAmount). deidentifyWithDateShift.js writes the answer's dates as
    # M/D/YYYY itself; veilwatch keeps the input's MM/DD/YYYY, so the dates are compared as dates.
    dates = [
        ["Ann", "01/01/1980", "07/21/1996"],
        ["James", "03/06/1988", "04/09/2001"],
        ["Dan", "08/14/1945", "11/15/2011"],
        ["Laura", "11/03/1992", "01/04/2017"],
    ]
    expected = [
        ["Ann", "1/31/1980", "8/20/1996"],
        ["James", "4/5/1988", "5/9/2001"],
        ["Dan", "9/13/1945", "12/15/2011"],
        ["Laura", "12/3/1992", "2/3/2017"],
    ]

    def as_dates(table):
        return [[r[0]] + [dt.datetime.strptime(d, "%m/%d/%Y").date() for d in r[1:]] for r in table]

    assert as_dates(_shift_table(30, 30, dates)) == as_dates(expected)
