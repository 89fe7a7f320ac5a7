"""The deid primitives' parameter messages, recorded from the parser before it moved onto the config's
:class:`~veilwatch.transforms.config.reader.Node` walker (#16 item 1).

Every case is hostile (bad types, unknown and near-miss keys, missing required keys, bad enums) and plants
an e-mail address as a value. The messages must stay what they were, except that an unknown key may gain
the walker's "did you mean" suggestion; and no message may quote a planted value.
"""

from __future__ import annotations

import re

import pytest

from veilwatch.transforms.config.errors import ConfigError
from veilwatch.transforms.deid.registry import PRIMITIVES, parse_transformation

PII = "jane.doe@example.com"
_SUGGESTION = re.compile(r" \(did you mean '[A-Za-z]+'\?\)")

# (the transformation as configured, the messages the old parser gave for it at path "t")
RECORDED = [
    # registry: shape, unknown and near-miss names
    (
        PII,
        [
            "t: unknown transformation (supported: replaceConfig, redactConfig, replaceWithInfoTypeConfig, characterMaskConfig, replaceDictionaryConfig, cryptoHashConfig, cryptoDeterministicConfig, cryptoReplaceFfxFpeConfig, dateShiftConfig, fixedSizeBucketingConfig, bucketingConfig, timePartConfig)"
        ],
    ),
    (
        7,
        [
            "t: must name exactly one DLP primitive transformation, e.g. {characterMaskConfig: {maskingCharacter: '#'}}"
        ],
    ),
    (
        ["redactConfig"],
        [
            "t: must name exactly one DLP primitive transformation, e.g. {characterMaskConfig: {maskingCharacter: '#'}}"
        ],
    ),
    (
        {"redactConfig": {}, "replaceConfig": {}},
        [
            "t: must name exactly one DLP primitive transformation, e.g. {characterMaskConfig: {maskingCharacter: '#'}}"
        ],
    ),
    (
        {"charactrMaskConfig": {}},
        [
            "t: unknown transformation (did you mean 'characterMaskConfig'?) (supported: replaceConfig, redactConfig, replaceWithInfoTypeConfig, characterMaskConfig, replaceDictionaryConfig, cryptoHashConfig, cryptoDeterministicConfig, cryptoReplaceFfxFpeConfig, dateShiftConfig, fixedSizeBucketingConfig, bucketingConfig, timePartConfig)"
        ],
    ),
    (
        {PII: {}},
        [
            "t: unknown transformation (supported: replaceConfig, redactConfig, replaceWithInfoTypeConfig, characterMaskConfig, replaceDictionaryConfig, cryptoHashConfig, cryptoDeterministicConfig, cryptoReplaceFfxFpeConfig, dateShiftConfig, fixedSizeBucketingConfig, bucketingConfig, timePartConfig)"
        ],
    ),
    # replaceConfig
    ({"replaceConfig": PII}, ["t.replaceConfig.newValue: is required (e.g. newValue: {stringValue: 'n/a'})"]),
    ({"replaceConfig": {}}, ["t.replaceConfig.newValue: is required (e.g. newValue: {stringValue: 'n/a'})"]),
    (
        {"replaceConfig": {"newValue": {"stringValue": "x"}, "newValu": PII}},
        ["t.replaceConfig.newValu: unknown key (allowed: newValue)"],
    ),
    (
        {"replaceConfig": {"newValue": {"stringValu": PII}}},
        [
            "t.replaceConfig.newValue: must hold exactly one of: integerValue, floatValue, stringValue, booleanValue, timestampValue, timeValue, dateValue, dayOfWeekValue"
        ],
    ),
    (
        {"replaceConfig": {"newValue": {"integerValue": PII}}},
        ["t.replaceConfig.newValue.integerValue: must be an integer (a number or a string of digits)"],
    ),
    (
        {"replaceConfig": {"newValue": {"floatValue": PII}}},
        ["t.replaceConfig.newValue.floatValue: must be a finite number"],
    ),
    (
        {"replaceConfig": {"newValue": {"booleanValue": PII}}},
        ["t.replaceConfig.newValue.booleanValue: must be true or false"],
    ),
    (
        {"replaceConfig": {"newValue": {"timestampValue": PII}}},
        ["t.replaceConfig.newValue.timestampValue: must be an RFC 3339 timestamp, e.g. 2016-01-15T10:20:30Z"],
    ),
    (
        {"replaceConfig": {"newValue": {"timeValue": PII}}},
        [
            "t.replaceConfig.newValue.timeValue: must be a DLP TimeOfDay {hours, minutes, seconds, nanos} (hours 0-23, minutes and seconds 0-59) or hh:mm[:ss]"
        ],
    ),
    (
        {"replaceConfig": {"newValue": {"dateValue": PII}}},
        [
            "t.replaceConfig.newValue.dateValue: must be a full DLP Date {year, month, day} (a real calendar date) or YYYY-MM-DD"
        ],
    ),
    (
        {"replaceConfig": {"newValue": {"dayOfWeekValue": PII}}},
        [
            "t.replaceConfig.newValue.dayOfWeekValue: must be one of: MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY"
        ],
    ),
    (
        {"replaceConfig": {"newValue": {"stringValue": 5}}},
        ["t.replaceConfig.newValue.stringValue: must be a string"],
    ),
    (
        {"replaceConfig": {"newValue": [PII]}},
        ["t.replaceConfig.newValue: must be a scalar or a DLP Value mapping"],
    ),
    (
        {"replaceConfig": {"newValue": {"integerValue": "99999999999999999999"}}},
        ["t.replaceConfig.newValue.integerValue: must fit in a signed 64-bit integer"],
    ),
    (
        {"replaceConfig": {"newValue": "x", "zeta": PII, "alpha": PII}},
        ["t.replaceConfig.alpha: unknown key (allowed: newValue)"],
    ),
    # redactConfig / replaceWithInfoTypeConfig
    ({"redactConfig": {"x": PII}}, ["t.redactConfig: takes no parameters (write {} or nothing)"]),
    ({"redactConfig": PII}, ["t.redactConfig: takes no parameters (write {} or nothing)"]),
    (
        {"replaceWithInfoTypeConfig": {"partialMatch": PII}},
        ["t.replaceWithInfoTypeConfig: takes no parameters (write {} or nothing)"],
    ),
    # characterMaskConfig
    (
        {"characterMaskConfig": PII},
        ["t.characterMaskConfig: expected a mapping of characterMaskConfig parameters"],
    ),
    (
        {"characterMaskConfig": [PII]},
        ["t.characterMaskConfig: expected a mapping of characterMaskConfig parameters"],
    ),
    (
        {"characterMaskConfig": {"maskingCharacter": PII, "numberToMsk": 3, PII: 1}},
        [
            "t.characterMaskConfig.numberToMsk: unknown key (allowed: maskingCharacter, numberToMask, reverseOrder, charactersToIgnore)",
            "t.characterMaskConfig.jane.doe@example.com: unknown key (allowed: maskingCharacter, numberToMask, reverseOrder, charactersToIgnore)",
            "t.characterMaskConfig.maskingCharacter: must be exactly one character",
        ],
    ),
    (
        {"characterMaskConfig": {"numberToMask": PII, "reverseOrder": PII, "charactersToIgnore": PII}},
        [
            "t.characterMaskConfig.numberToMask: must be an integer",
            "t.characterMaskConfig.reverseOrder: must be true or false",
            "t.characterMaskConfig.charactersToIgnore: expected a list",
        ],
    ),
    (
        {
            "characterMaskConfig": {
                "numberToMask": True,
                "charactersToIgnore": [PII, {"commonCharactersToIgnore": PII}],
            }
        },
        [
            "t.characterMaskConfig.numberToMask: must be an integer",
            "t.characterMaskConfig.charactersToIgnore[0]: must be {charactersToSkip: <chars>} or {commonCharactersToIgnore: NUMERIC|ALPHA_UPPER_CASE|ALPHA_LOWER_CASE|PUNCTUATION|WHITESPACE}",
            "t.characterMaskConfig.charactersToIgnore[1]: must be {charactersToSkip: <chars>} or {commonCharactersToIgnore: NUMERIC|ALPHA_UPPER_CASE|ALPHA_LOWER_CASE|PUNCTUATION|WHITESPACE}",
        ],
    ),
    # replaceDictionaryConfig
    (
        {"replaceDictionaryConfig": PII},
        [
            "t.replaceDictionaryConfig: expected a mapping of replaceDictionaryConfig parameters",
            "t.replaceDictionaryConfig.wordList: is required: {words: [<word>, ...]}",
        ],
    ),
    (
        {"replaceDictionaryConfig": {}},
        ["t.replaceDictionaryConfig.wordList: is required: {words: [<word>, ...]}"],
    ),
    (
        {"replaceDictionaryConfig": {"wordLst": {"words": [PII]}}},
        [
            "t.replaceDictionaryConfig.wordLst: unknown key (allowed: wordList)",
            "t.replaceDictionaryConfig.wordList: is required: {words: [<word>, ...]}",
        ],
    ),
    (
        {"replaceDictionaryConfig": {"wordList": {"words": []}}},
        ["t.replaceDictionaryConfig.wordList.words: must hold 1 to 100000 words"],
    ),
    (
        {"replaceDictionaryConfig": {"wordList": {"words": [PII, 3]}}},
        ["t.replaceDictionaryConfig.wordList.words: must be a list of strings"],
    ),
    (
        {"replaceDictionaryConfig": {"wordList": PII}},
        ["t.replaceDictionaryConfig.wordList: is required: {words: [<word>, ...]}"],
    ),
    # cryptoHashConfig
    ({"cryptoHashConfig": PII}, ["t.cryptoHashConfig: expected a mapping of cryptoHashConfig parameters"]),
    (
        {"cryptoHashConfig": {"cryptKey": PII}},
        ["t.cryptoHashConfig.cryptKey: unknown key (allowed: cryptoKey)"],
    ),
    (
        {"cryptoHashConfig": {"cryptoKey": PII}},
        [
            "t.cryptoHashConfig.cryptoKey: must hold exactly one of: unwrapped {key}, kmsWrapped {wrappedKey, cryptoKeyName}, transient {name}"
        ],
    ),
    (
        {"cryptoHashConfig": {"cryptoKey": {"unwrapped": {"key": PII}}}},
        ["t.cryptoHashConfig.cryptoKey.unwrapped.key: is not valid base64 (standard or URL-safe alphabet)"],
    ),
    (
        {"cryptoHashConfig": {"cryptoKey": {"transient": {"nam": PII}}}},
        [
            "t.cryptoHashConfig.cryptoKey.transient.nam: unknown key (allowed: name)",
            "t.cryptoHashConfig.cryptoKey.transient.name: is required",
        ],
    ),
    # cryptoDeterministicConfig
    (
        {"cryptoDeterministicConfig": PII},
        ["t.cryptoDeterministicConfig: expected a mapping of cryptoDeterministicConfig parameters"],
    ),
    (
        {"cryptoDeterministicConfig": {"surrogateInfoTyp": {"name": "TOK"}, "contxt": {"name": "a"}}},
        [
            "t.cryptoDeterministicConfig.surrogateInfoTyp: unknown key (allowed: cryptoKey, surrogateInfoType, context)",
            "t.cryptoDeterministicConfig.contxt: unknown key (allowed: cryptoKey, surrogateInfoType, context)",
        ],
    ),
    (
        {"cryptoDeterministicConfig": {"surrogateInfoType": PII, "context": PII}},
        [
            "t.cryptoDeterministicConfig.surrogateInfoType: must be a DLP InfoType, e.g. {name: EMAIL_TOKEN}",
            "t.cryptoDeterministicConfig.context: must be a DLP FieldId, e.g. {name: customer.id}",
        ],
    ),
    (
        {"cryptoDeterministicConfig": {"surrogateInfoType": {"name": ""}, "context": {"name": ""}}},
        [
            "t.cryptoDeterministicConfig.surrogateInfoType.name: surrogate infoType name must be a non-empty string",
            "t.cryptoDeterministicConfig.context.name: is not a field path (names joined by '.', a list marked with '[]')",
        ],
    ),
    (
        {
            "cryptoDeterministicConfig": {
                "surrogateInfoType": {"name": "TOK", "x": PII},
                "context": {"name": "a[].b"},
            }
        },
        [
            "t.cryptoDeterministicConfig.surrogateInfoType: must be a DLP InfoType, e.g. {name: EMAIL_TOKEN}",
            "t.cryptoDeterministicConfig.context.name: must name one field (no '[]' list step)",
        ],
    ),
    (
        {"cryptoDeterministicConfig": {"surrogateInfoType": {"name": 5}, "context": {"name": "a", "y": PII}}},
        [
            "t.cryptoDeterministicConfig.surrogateInfoType: must be a DLP InfoType, e.g. {name: EMAIL_TOKEN}",
            "t.cryptoDeterministicConfig.context: must be a DLP FieldId, e.g. {name: customer.id}",
        ],
    ),
    # cryptoReplaceFfxFpeConfig
    (
        {"cryptoReplaceFfxFpeConfig": PII},
        [
            "t.cryptoReplaceFfxFpeConfig: expected a mapping of cryptoReplaceFfxFpeConfig parameters",
            "t.cryptoReplaceFfxFpeConfig: set exactly one of commonAlphabet, customAlphabet, radix",
        ],
    ),
    (
        {"cryptoReplaceFfxFpeConfig": {}},
        ["t.cryptoReplaceFfxFpeConfig: set exactly one of commonAlphabet, customAlphabet, radix"],
    ),
    (
        {"cryptoReplaceFfxFpeConfig": {"commonAlphabet": PII}},
        [
            "t.cryptoReplaceFfxFpeConfig.commonAlphabet: unknown commonAlphabet; expected one of NUMERIC, HEXADECIMAL, UPPER_CASE_ALPHA_NUMERIC, ALPHA_NUMERIC"
        ],
    ),
    (
        {"cryptoReplaceFfxFpeConfig": {"customAlphabet": "ab", "radix": 10}},
        [
            "t.cryptoReplaceFfxFpeConfig: set exactly one of commonAlphabet, customAlphabet, radix (got customAlphabet, radix)"
        ],
    ),
    (
        {"cryptoReplaceFfxFpeConfig": {"radix": PII}},
        ["t.cryptoReplaceFfxFpeConfig.radix: radix must be an integer in [2, 95]"],
    ),
    (
        {"cryptoReplaceFfxFpeConfig": {"comonAlphabet": "NUMERIC", "surrogateInfoType": PII}},
        [
            "t.cryptoReplaceFfxFpeConfig.comonAlphabet: unknown key (allowed: commonAlphabet, customAlphabet, radix, surrogateInfoType, context, cryptoKey, veilwatchSmallDomain)",
            "t.cryptoReplaceFfxFpeConfig: set exactly one of commonAlphabet, customAlphabet, radix",
            "t.cryptoReplaceFfxFpeConfig.surrogateInfoType: must be a DLP InfoType, e.g. {name: EMAIL_TOKEN}",
        ],
    ),
    (
        {
            "cryptoReplaceFfxFpeConfig": {
                "commonAlphabet": "NUMERIC",
                "veilwatchSmallDomain": PII,
                "context": PII,
            }
        },
        [
            "t.cryptoReplaceFfxFpeConfig.context: must be a DLP FieldId, e.g. {name: customer.id}",
            "t.cryptoReplaceFfxFpeConfig.veilwatchSmallDomain: must be one of: transformationError, leaveUntransformed, redact",
        ],
    ),
    (
        {"cryptoReplaceFfxFpeConfig": {"commonAlphabet": "NUMERIC", "veilwatchSmallDomian": "LEAVE"}},
        [
            "t.cryptoReplaceFfxFpeConfig.veilwatchSmallDomian: unknown key (allowed: commonAlphabet, customAlphabet, radix, surrogateInfoType, context, cryptoKey, veilwatchSmallDomain)"
        ],
    ),
    # dateShiftConfig
    (
        {"dateShiftConfig": PII},
        [
            "t.dateShiftConfig: expected a mapping of dateShiftConfig parameters",
            "t.dateShiftConfig.upperBoundDays: is required and must be an integer number of days",
            "t.dateShiftConfig.lowerBoundDays: is required and must be an integer number of days",
        ],
    ),
    (
        {"dateShiftConfig": {}},
        [
            "t.dateShiftConfig.upperBoundDays: is required and must be an integer number of days",
            "t.dateShiftConfig.lowerBoundDays: is required and must be an integer number of days",
        ],
    ),
    (
        {"dateShiftConfig": {"upperBoundDays": PII, "lowerBoundDays": True}},
        [
            "t.dateShiftConfig.upperBoundDays: is required and must be an integer number of days",
            "t.dateShiftConfig.lowerBoundDays: is required and must be an integer number of days",
        ],
    ),
    (
        {"dateShiftConfig": {"upperBoundDays": 1, "lowerBoundDays": 5, "contex": {"name": "a"}}},
        [
            "t.dateShiftConfig.contex: unknown key (allowed: upperBoundDays, lowerBoundDays, context, cryptoKey)",
            "t.dateShiftConfig.lowerBoundDays: must not be greater than upperBoundDays",
        ],
    ),
    (
        {"dateShiftConfig": {"upperBoundDays": 10**9, "lowerBoundDays": -(10**9), "context": PII}},
        [
            "t.dateShiftConfig.upperBoundDays: must be within +/-365250 days",
            "t.dateShiftConfig.lowerBoundDays: must be within +/-365250 days",
            "t.dateShiftConfig.context: must be a DLP FieldId, e.g. {name: customer.id}",
        ],
    ),
    (
        {
            "dateShiftConfig": {
                "upperBoundDays": 1,
                "lowerBoundDays": 1,
                "context": {"name": PII},
                "cryptoKey": PII,
            }
        },
        [
            "t.dateShiftConfig.cryptoKey: must hold exactly one of: unwrapped {key}, kmsWrapped {wrappedKey, cryptoKeyName}, transient {name}"
        ],
    ),
    # fixedSizeBucketingConfig
    (
        {"fixedSizeBucketingConfig": PII},
        [
            "t.fixedSizeBucketingConfig: expected a mapping of fixedSizeBucketingConfig parameters",
            "t.fixedSizeBucketingConfig.lowerBound: is required",
            "t.fixedSizeBucketingConfig.upperBound: is required",
            "t.fixedSizeBucketingConfig.bucketSize: is required",
        ],
    ),
    (
        {"fixedSizeBucketingConfig": {}},
        [
            "t.fixedSizeBucketingConfig.lowerBound: is required",
            "t.fixedSizeBucketingConfig.upperBound: is required",
            "t.fixedSizeBucketingConfig.bucketSize: is required",
        ],
    ),
    (
        {
            "fixedSizeBucketingConfig": {
                "lowerBound": PII,
                "upperBound": {"floatValue": PII},
                "bucketSize": {"stringValue": PII},
            }
        },
        [
            "t.fixedSizeBucketingConfig.lowerBound: must be a finite number",
            "t.fixedSizeBucketingConfig.upperBound.floatValue: must be a finite number",
            "t.fixedSizeBucketingConfig.bucketSize: must be a finite number",
        ],
    ),
    (
        {"fixedSizeBucketingConfig": {"lowerBound": 10, "upperBound": 1, "bucketSize": -1, "bucketSze": 2}},
        [
            "t.fixedSizeBucketingConfig.bucketSze: unknown key (allowed: lowerBound, upperBound, bucketSize)",
            "t.fixedSizeBucketingConfig.upperBound: must be greater than lowerBound",
            "t.fixedSizeBucketingConfig.bucketSize: must be positive",
        ],
    ),
    (
        {
            "fixedSizeBucketingConfig": {
                "lowerBound": {"integerValue": 1, "floatValue": 2},
                "upperBound": 5,
                "bucketSize": 1,
            }
        },
        [
            "t.fixedSizeBucketingConfig.lowerBound: must hold exactly one of: integerValue, floatValue, stringValue, booleanValue, timestampValue, timeValue, dateValue, dayOfWeekValue"
        ],
    ),
    # bucketingConfig
    (
        {"bucketingConfig": PII},
        [
            "t.bucketingConfig: expected a mapping of bucketingConfig parameters",
            "t.bucketingConfig.buckets: is required: a list of {min, max, replacementValue}",
        ],
    ),
    (
        {"bucketingConfig": {}},
        ["t.bucketingConfig.buckets: is required: a list of {min, max, replacementValue}"],
    ),
    (
        {"bucketingConfig": {"bucket": [PII]}},
        [
            "t.bucketingConfig.bucket: unknown key (allowed: buckets)",
            "t.bucketingConfig.buckets: is required: a list of {min, max, replacementValue}",
        ],
    ),
    (
        {"bucketingConfig": {"buckets": PII}},
        ["t.bucketingConfig.buckets: is required: a list of {min, max, replacementValue}"],
    ),
    (
        {"bucketingConfig": {"buckets": [PII, {"mn": 1, "replacementValue": PII}]}},
        [
            "t.bucketingConfig.buckets[0]: must be a mapping {min, max, replacementValue}",
            "t.bucketingConfig.buckets[1].mn: unknown key (allowed: min, max, replacementValue)",
            "t.bucketingConfig.buckets[1]: needs min, max or both",
        ],
    ),
    (
        {
            "bucketingConfig": {
                "buckets": [
                    {"min": 1, "max": 5},
                    {"min": {"dateValue": PII}, "replacementValue": {"stringValu": PII}},
                ]
            }
        },
        [
            "t.bucketingConfig.buckets[0].replacementValue: is required",
            "t.bucketingConfig.buckets[1].min.dateValue: must be a full DLP Date {year, month, day} (a real calendar date) or YYYY-MM-DD",
            "t.bucketingConfig.buckets[1].replacementValue: must hold exactly one of: integerValue, floatValue, stringValue, booleanValue, timestampValue, timeValue, dateValue, dayOfWeekValue",
            "t.bucketingConfig.buckets[1]: needs min, max or both",
        ],
    ),
    (
        {
            "bucketingConfig": {
                "buckets": [
                    {"min": 5, "max": 1, "replacementValue": "a"},
                    {"min": "a", "max": "b", "replacementValue": "c"},
                ]
            }
        },
        [
            "t.bucketingConfig.buckets[0]: min must be below max and of the same type",
            "t.bucketingConfig.buckets: all bounds must be of one type (numbers or strings)",
        ],
    ),
    (
        {
            "bucketingConfig": {
                "buckets": [
                    {"min": 1, "max": 5, "replacementValue": "a"},
                    {"min": 3, "max": 8, "replacementValue": "b"},
                ]
            }
        },
        ["t.bucketingConfig.buckets: ranges must not overlap"],
    ),
    (
        {"bucketingConfig": {"buckets": [{"replacementValue": "a"}, {"min": True, "replacementValue": "b"}]}},
        [
            "t.bucketingConfig.buckets[0]: needs min, max or both",
            "t.bucketingConfig.buckets[1]: bounds must be numbers or strings",
        ],
    ),
    # timePartConfig
    (
        {"timePartConfig": PII},
        [
            "t.timePartConfig: expected a mapping of timePartConfig parameters",
            "t.timePartConfig.partToExtract: is required, one of: YEAR, MONTH, DAY_OF_MONTH, DAY_OF_WEEK, WEEK_OF_YEAR, HOUR_OF_DAY",
        ],
    ),
    (
        {"timePartConfig": {}},
        [
            "t.timePartConfig.partToExtract: is required, one of: YEAR, MONTH, DAY_OF_MONTH, DAY_OF_WEEK, WEEK_OF_YEAR, HOUR_OF_DAY"
        ],
    ),
    (
        {"timePartConfig": {"partToExtract": PII}},
        [
            "t.timePartConfig.partToExtract: is required, one of: YEAR, MONTH, DAY_OF_MONTH, DAY_OF_WEEK, WEEK_OF_YEAR, HOUR_OF_DAY"
        ],
    ),
    (
        {"timePartConfig": {"partToExtrct": "YEAR"}},
        [
            "t.timePartConfig.partToExtrct: unknown key (allowed: partToExtract)",
            "t.timePartConfig.partToExtract: is required, one of: YEAR, MONTH, DAY_OF_MONTH, DAY_OF_WEEK, WEEK_OF_YEAR, HOUR_OF_DAY",
        ],
    ),
    (
        {"timePartConfig": {"partToExtract": "YAER"}},
        [
            "t.timePartConfig.partToExtract: is required, one of: YEAR, MONTH, DAY_OF_MONTH, DAY_OF_WEEK, WEEK_OF_YEAR, HOUR_OF_DAY"
        ],
    ),
]


def _messages(value):
    with pytest.raises(ConfigError) as info:
        parse_transformation(value, "t")
    return info.value.issues


@pytest.mark.parametrize("value, messages", RECORDED, ids=[str(i) for i in range(len(RECORDED))])
def test_the_walker_reports_what_the_old_parser_reported(value, messages):
    issues = _messages(value)
    assert [_SUGGESTION.sub("", str(i)) for i in issues] == [_SUGGESTION.sub("", m) for m in messages]
    assert all(PII not in i.message for i in issues), "a message quotes a planted value"


def test_the_battery_covers_every_primitive():
    assert len(RECORDED) == 79
    covered = {next(iter(value)) for value, _ in RECORDED if isinstance(value, dict) and len(value) == 1}
    assert set(PRIMITIVES) <= covered


@pytest.mark.parametrize(
    "value, path, suggestion",
    [
        (
            {"dateShiftConfig": {"upperBoundDays": 1, "lowerBoundDays": 1, "contex": {"name": "a"}}},
            "contex",
            "context",
        ),
        ({"cryptoHashConfig": {"cryptKey": {"transient": {"name": "k"}}}}, "cryptKey", "cryptoKey"),
        (
            {"timePartConfig": {"partToExtract": "YEAR", "partToExtrct": "YEAR"}},
            "partToExtrct",
            "partToExtract",
        ),
        (
            {"bucketingConfig": {"buckets": [{"min": 1, "replacementValue": "a", "mn": 0}]}},
            "buckets[0].mn",
            "min",
        ),
        (
            {"fixedSizeBucketingConfig": {"lowerBound": 0, "upperBound": 9, "bucketSize": 1, "bucketSze": 2}},
            "bucketSze",
            "bucketSize",
        ),
        ({"replaceDictionaryConfig": {"wordList": {"words": ["a"]}, "wordLst": {}}}, "wordLst", "wordList"),
        (
            {"cryptoDeterministicConfig": {"surrogateInfoTyp": {"name": "TOK"}}},
            "surrogateInfoTyp",
            "surrogateInfoType",
        ),
        (
            {"cryptoReplaceFfxFpeConfig": {"radix": 10, "veilwatchSmallDomian": "redact"}},
            "veilwatchSmallDomian",
            "veilwatchSmallDomain",
        ),
        ({"characterMaskConfig": {"numberToMsk": 3}}, "numberToMsk", "numberToMask"),
        ({"replaceConfig": {"newValue": "x", "newValu": PII}}, "newValu", "newValue"),
        ({"cryptoHashConfig": {"cryptoKey": {"transient": {"nme": PII}}}}, "cryptoKey.transient.nme", "name"),
    ],
)
def test_a_misspelled_key_gets_the_config_walkers_suggestion(value, path, suggestion):
    name = next(iter(value))
    messages = [str(i) for i in _messages(value)]
    assert f"t.{name}.{path}: unknown key (did you mean '{suggestion}'?) (allowed: " in "\n".join(messages)
