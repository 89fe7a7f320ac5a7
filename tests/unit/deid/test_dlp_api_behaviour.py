"""Primitives that behave as the Cloud DLP API does (issue 12, part 2).

Where Google's sample tests publish an input and the API's output, the test
reproduces it and names the file it comes from. The other behaviours follow
DLP's proto documentation (google-cloud-dlp 3.38.0, ``google/cloud/dlp_v2/types/dlp.py``).
"""

from __future__ import annotations

import datetime as dt

import pytest
from google.cloud import dlp_v2
from google.protobuf.json_format import MessageToDict

from tests.unit.deid.keys import keyring, make
from veilwatch.transforms.config.errors import ConfigError
from veilwatch.transforms.config.model import FieldPolicy, PiiSpec, TransformationErrorHandling
from veilwatch.transforms.deid.base import TransformationError, ValueContext
from veilwatch.transforms.deid.record_deidentifier import RecordDeidentifier
from veilwatch.transforms.deid.registry import parse_transformation
from veilwatch.transforms.deid.transformation_errors import summary_entries
from veilwatch.transforms.records.errors import RecordError

CTX = ValueContext("DATE", {}, "d")


def _make(config):
    """A primitive built with a keyset, as a run builds it (the loader requires one for date shifts)."""
    return make(config, keyring())


def _run(config, values):
    t = _make(config)
    return [t.transform(v, CTX) for v in values]


# -- fixedSizeBucketingConfig -------------------------------------------------------------------


def test_fixed_size_bucketing_labels_as_the_api_returns_them():
    # python-docs-samples dlp/snippets/Deidentify/deidentify_table_bucketing_test.py (and
    # java-docs-samples dlp/snippets/src/test/java/dlp/snippets/DeIdentificationTests.java
    # testDeIdentifyTableBucketing, golang-samples dlp/snippets/deid/deid_table_bucketing_test.go):
    # happiness_score "95", "21", "75" with lowerBound 0, upperBound 100, bucketSize 10
    # -> "90:100", "20:30", "70:80" (string values converted to the integer bounds' type).
    config = {
        "fixedSizeBucketingConfig": {
            "bucketSize": 10,
            "lowerBound": {"integerValue": 0},
            "upperBound": {"integerValue": 100},
        }
    }
    assert _run(config, ["95", "21", "75"]) == ["90:100", "20:30", "70:80"]


def test_fixed_size_bucketing_outer_buckets_floats_and_fractional_sizes():
    # DLP's proto: lower 10, upper 89, size 10 -> -10, 10-20 ... 80-89, 89+ (the API writes a
    # bucket with ':'; the outer labels as the proto documents them).
    config = {
        "fixedSizeBucketingConfig": {
            "lowerBound": {"integerValue": "10"},
            "upperBound": {"integerValue": "89"},
            "bucketSize": 10,
        }
    }
    assert _run(config, [9.99, 10, 85, 88.5, 89, 1000]) == ["-10", "10:20", "80:89", "80:89", "89+", "89+"]
    floats = {
        "fixedSizeBucketingConfig": {
            "lowerBound": {"floatValue": 0.5},
            "upperBound": {"floatValue": 10.0},
            "bucketSize": 2.5,
        }
    }
    assert _run(floats, [0.5, 3.1, "9.99", 0.25]) == ["0.5:3", "3:5.5", "8:10", "-0.5"]
    # The form MessageToDict writes is accepted as it is.
    message = dlp_v2.FixedSizeBucketingConfig(
        lower_bound=dlp_v2.Value(integer_value=0), upper_bound=dlp_v2.Value(integer_value=100), bucket_size=10
    )
    assert _make({"fixedSizeBucketingConfig": MessageToDict(message._pb)}).transform(95, CTX) == "90:100"


# -- bucketingConfig -------------------------------------------------------------------------


def test_bucketing_reproduces_googles_samples():
    # python-docs-samples dlp/snippets/Deidentify/deidentify_table_primitive_bucketing(_test).py:
    # [0,25) Low, [25,75) Medium, [75,100) High; "95" -> High, "21" -> Low (and "75" -> High).
    config = {
        "bucketingConfig": {
            "buckets": [
                {
                    "min": {"integerValue": 0},
                    "max": {"integerValue": 25},
                    "replacementValue": {"stringValue": "Low"},
                },
                {
                    "min": {"integerValue": 25},
                    "max": {"integerValue": 75},
                    "replacementValue": {"stringValue": "Medium"},
                },
                {
                    "min": {"integerValue": 75},
                    "max": {"integerValue": 100},
                    "replacementValue": {"stringValue": "High"},
                },
            ]
        }
    }
    assert _run(config, ["95", "21", "75"]) == ["High", "Low", "High"]
    # java-docs-samples DeIdentificationTests.java testDeIdentifyWithBucketingConfig: integer
    # values 95, 21, 75 with "low" for [0,25) -> "High", "low", "High".
    config["bucketingConfig"]["buckets"][0]["replacementValue"] = {"stringValue": "low"}
    assert _run(config, [95, 21, 75]) == ["High", "low", "High"]


def test_bucketing_by_date_reads_dates_in_every_layout():
    """Bounds given as DLP dateValue / timestampValue bucket dates written in any layout."""
    t = _make(
        {
            "bucketingConfig": {
                "buckets": [
                    {
                        "max": {"dateValue": {"year": 2000, "month": 1, "day": 1}},
                        "replacementValue": {"stringValue": "20th c."},
                    },
                    {
                        "min": {"timestampValue": "2000-01-01T00:00:00Z"},
                        "replacementValue": {"stringValue": "21st c."},
                    },
                ]
            }
        }
    )
    assert [
        t.transform(v, CTX)
        for v in (
            "12/31/1999",
            "December 31, 1999",
            "1999-12-31T23:59:59-01:00",
            "01/01/2000",
            "2016-01-15T10:20:30Z",
        )
    ] == ["20th c.", "20th c.", "21st c.", "21st c.", "21st c."]
    with pytest.raises(TransformationError, match=r"not a date in a known layout"):
        t.transform("yesterday", CTX)


@pytest.mark.parametrize(
    "replacement,expected",
    [
        ({"integerValue": "10"}, 10),
        ({"floatValue": 2.5}, 2.5),
        ({"stringValue": "LOW"}, "LOW"),
        ({"booleanValue": False}, False),
        ({"timestampValue": "2016-01-15T10:20:30.123456789Z"}, "2016-01-15T10:20:30.123456789Z"),
        ({"timeValue": {"hours": 10, "minutes": 20, "seconds": 30}}, "10:20:30"),
        ({"dateValue": {"year": 2016, "month": 1, "day": 15}}, "2016-01-15"),
        ({"dayOfWeekValue": "MONDAY"}, "MONDAY"),
    ],
)
def test_bucketing_replacement_values_of_every_kind(replacement, expected):
    t = _make(
        {"bucketingConfig": {"buckets": [{"min": {"integerValue": 0}, "replacementValue": replacement}]}}
    )
    assert t.transform(5, CTX) == expected
    assert type(t.transform(5, CTX)) is type(expected)


# -- replaceConfig and DLP Values ------------------------------------------------------------


def test_replace_config_reproduces_googles_sample():
    # golang-samples dlp/snippets/deid/deid_test.go TestDeIdentifyWithReplacement: EMAIL_ADDRESS
    # replaced with "[email-address]".
    t = _make({"replaceConfig": {"newValue": {"stringValue": "[email-address]"}}})
    assert t.transform("aabernathy@example.com", CTX) == "[email-address]"


@pytest.mark.parametrize(
    "value,expected",
    [
        (dlp_v2.Value(integer_value=10), 10),
        (dlp_v2.Value(integer_value=-(2**63)), -(2**63)),
        (dlp_v2.Value(float_value=1.5), 1.5),
        (dlp_v2.Value(string_value="n/a"), "n/a"),
        (dlp_v2.Value(boolean_value=True), True),
        (
            dlp_v2.Value(timestamp_value={"seconds": 1452853230, "nanos": 500000000}),
            "2016-01-15T10:20:30.500Z",
        ),
        (
            dlp_v2.Value(time_value={"hours": 10, "minutes": 20, "seconds": 30, "nanos": 500000000}),
            "10:20:30.5",
        ),
        (dlp_v2.Value(time_value={"hours": 7}), "07:00:00"),
        (dlp_v2.Value(date_value={"year": 2016, "month": 1, "day": 15}), "2016-01-15"),
        (dlp_v2.Value(day_of_week_value="SUNDAY"), "SUNDAY"),
    ],
)
def test_replace_config_accepts_every_value_kind_in_dlps_json_form(value, expected):
    """What MessageToDict writes for each Value kind (int64 as a string ...) is a valid newValue,
    written into the record in its natural JSON form."""
    new_value = MessageToDict(value._pb)
    out = _make({"replaceConfig": {"newValue": new_value}}).transform("secret", CTX)
    assert out == expected
    assert type(out) is type(expected)


@pytest.mark.parametrize(
    "bad",
    [
        {"integerValue": "ten"},
        {"integerValue": str(2**63)},
        {"floatValue": "NaN"},
        {"booleanValue": "yes"},
        {"timestampValue": "15/01/2016"},
        {"timeValue": {"hours": 24}},
        {"timeValue": {"hour": 1}},
        {"dateValue": {"year": 2016, "month": 2, "day": 30}},
        {"dateValue": {"year": 2016, "month": 1}},
        {"dayOfWeekValue": "FUNDAY"},
        {"stringValue": "a", "integerValue": 1},
    ],
)
def test_bad_values_are_config_errors_naming_the_key(bad):
    with pytest.raises(ConfigError, match=r"t\.replaceConfig\.newValue") as info:
        parse_transformation({"replaceConfig": {"newValue": bad}}, "t")
    assert info.value.issues
    assert all(i.path.startswith("t.replaceConfig.newValue") for i in info.value.issues)


# -- timePartConfig --------------------------------------------------------------------------


def test_time_part_reproduces_googles_samples():
    # golang-samples dlp/snippets/deid/deid_time_extract(_test).go and java-docs-samples
    # DeIdentificationTests.java testDeIdentifyWithTimeExtraction: YEAR of the string values
    # "01/01/1970", "07/21/1996", "03/06/1988", "04/09/2001" -> string values "1970", "1996", "1988", "2001".
    assert _run(
        {"timePartConfig": {"partToExtract": "YEAR"}},
        ["01/01/1970", "07/21/1996", "03/06/1988", "04/09/2001"],
    ) == ["1970", "1996", "1988", "2001"]


@pytest.mark.parametrize(
    "part,value,expected",
    [
        ("YEAR", "January 15, 2016", "2016"),
        ("MONTH", "15 January 2016", "1"),
        ("DAY_OF_MONTH", "Jan 15 2016", "15"),
        ("DAY_OF_WEEK", "2016-01-15", "5"),  # a Friday: google.type.DayOfWeek, MONDAY = 1 ... SUNDAY = 7
        ("DAY_OF_WEEK", "01/17/2016", "7"),
        ("WEEK_OF_YEAR", "2016-01-03", "53"),  # ISO 8601: 3 Jan 2016 is in the last week of 2015
        ("WEEK_OF_YEAR", "2016-01-15T10:20:30Z", "2"),
        ("HOUR_OF_DAY", "2016-01-15 10:20:30", "10"),
        ("HOUR_OF_DAY", "2016-01-15T23:20:30.5-02:00", "1"),  # in UTC
        ("HOUR_OF_DAY", "10:20:30", "10"),
        ("HOUR_OF_DAY", "07:05", "7"),
    ],
)
def test_time_part_answers_a_string_for_every_part_and_layout(part, value, expected):
    assert _make({"timePartConfig": {"partToExtract": part}}).transform(value, CTX) == expected


def test_time_part_of_a_time_of_day_has_only_an_hour():
    with pytest.raises(TransformationError, match="needs a date") as info:
        _make({"timePartConfig": {"partToExtract": "YEAR"}}).transform("10:20:30", CTX)
    assert "10:20" not in str(info.value)


# -- dates and dateShiftConfig ---------------------------------------------------------------


def test_date_shift_reproduces_googles_sample():
    # golang-samples dlp/snippets/deid/date_shift_test.go (and deid_test.go TestDeidentifyDateShift):
    # "2016-01-10" with bounds 1..1 -> "2016-01-11", with -1..-1 -> "2016-01-09".
    assert _run({"dateShiftConfig": {"lowerBoundDays": 1, "upperBoundDays": 1}}, ["2016-01-10"]) == [
        "2016-01-11"
    ]
    assert _run({"dateShiftConfig": {"lowerBoundDays": -1, "upperBoundDays": -1}}, ["2016-01-10"]) == [
        "2016-01-09"
    ]


def test_date_shift_of_googles_dates_csv_keeps_the_layout():
    # Input: java-docs-samples dlp/src/test/resources/dates.csv (birth_date, register_date), shifted
    # with bounds 5..5 as DeIdentificationTests.testDeidentifyWithDateShift does: the inputs + 5 days, in
    # their layout (results.correct.csv beside it, written by the sample as yyyy-MM-dd, is reproduced in
    # tests/unit/deid/test_dlp_sample_pairs.py).
    dates = [
        "01/01/1970",
        "07/21/1996",
        "03/06/1988",
        "04/09/2001",
        "08/14/1945",
        "11/15/2011",
        "11/03/1992",
        "01/04/2017",
    ]
    expected = [
        (dt.datetime.strptime(d, "%m/%d/%Y") + dt.timedelta(days=5)).strftime("%m/%d/%Y") for d in dates
    ]
    assert _run({"dateShiftConfig": {"lowerBoundDays": 5, "upperBoundDays": 5}}, dates) == expected


@pytest.mark.parametrize(
    "value,expected",
    [
        ("2016-01-15", "2016-01-18"),
        ("2016/12/30", "2017/01/02"),
        ("01/15/2016", "01/18/2016"),
        ("12/30/2016", "01/02/2017"),
        ("1/5/2016", "1/8/2016"),
        ("28/02/2016", "02/03/2016"),  # day first when the first number is above 12
        ("28.02.2016", "02.03.2016"),  # dots: day first
        ("1/5/16", "1/8/16"),
        ("January 15, 2016", "January 18, 2016"),
        ("JANUARY 30 2016", "FEBRUARY 2 2016"),
        ("15 January 2016", "18 January 2016"),
        ("Jan 15 2016", "Jan 18 2016"),
        ("jan. 30, 2016", "feb. 2, 2016"),
        ("Sept 28 2016", "Oct 1 2016"),
        ("May 30, 2016", "June 2, 2016"),
        ("Jan 29th, 2016", "Feb 1st, 2016"),
        ("20th of January 2016", "23rd of January 2016"),
        ("15-JAN-2016", "18-JAN-2016"),
        ("2016-01-15T10:20:30Z", "2016-01-18T10:20:30Z"),
        ("2016-01-15T10:20:30.123456789+05:30", "2016-01-18T10:20:30.123456789+05:30"),
        ("2016-01-15T10:20", "2016-01-18T10:20"),
        ("2016-01-15 10:20:30", "2016-01-18 10:20:30"),
    ],
)
def test_dates_in_every_layout_are_shifted_in_their_layout(value, expected):
    assert (
        _make({"dateShiftConfig": {"lowerBoundDays": 3, "upperBoundDays": 3}}).transform(value, CTX)
        == expected
    )


@pytest.mark.parametrize(
    "bad",
    [
        "jane@example.com",
        "2016-02-30",
        "13/13/2016",
        "10:20:30",
        "Mar 2016",
        "2016-01-15T25:00:00Z",
        "2016-01-15 and more",
        20160115,
    ],
)
def test_unparseable_dates_are_transformation_errors_without_the_value(bad):
    t = _make({"dateShiftConfig": {"lowerBoundDays": 3, "upperBoundDays": 3}})
    with pytest.raises(TransformationError, match=r"dateShiftConfig") as info:
        t.transform(bad, CTX)
    assert str(bad) not in str(info.value)


def test_dates_the_date_detector_finds_can_be_shifted():
    """Every date layout DATE finds in free text is one the date shift reads (or a month and year
    alone, which has no day to shift)."""
    from veilwatch.transforms.detection.recognizers.temporal import find_dates

    text = (
        "seen 2016-01-15, 01/15/2016, 15.01.2016, January 15, 2016, 15 January 2016, Jan 15 2016, "
        "15th of January 2016, 15-JAN-2016 and 2016-01-15T10:20:30Z"
    )
    spans = [text[s:e] for s, e in find_dates(text)]
    assert len(spans) == 9
    t = _make({"dateShiftConfig": {"lowerBoundDays": 1, "upperBoundDays": 1}})
    assert all("16" in t.transform(span, CTX) for span in spans)


def test_date_shift_without_context_is_random_per_value_through_the_record_path():
    """DLP: without a context "the actual shift will be selected at random within this range".
    The same date in many records gets different shifts, all within the bounds: one known date
    reveals nothing about the others (the old keyed constant shift did)."""
    policy = FieldPolicy(
        "visit",
        "DATE",
        parse_transformation({"dateShiftConfig": {"lowerBoundDays": -100, "upperBoundDays": 100}}, "t"),
    )
    deid = RecordDeidentifier(PiiSpec(fields=(policy,)), keyring())
    shifted = []
    for _ in range(60):
        record = {"visit": "2016-01-15"}
        deid.deidentify(record)
        shifted.append((dt.date.fromisoformat(record["visit"]) - dt.date(2016, 1, 15)).days)
    assert all(-100 <= s <= 100 for s in shifted)
    assert len(set(shifted)) > 20


def test_date_shift_with_context_is_consistent_per_context_value_and_key():
    keys = keyring()
    config = {
        "dateShiftConfig": {"lowerBoundDays": -100, "upperBoundDays": 100, "context": {"name": "patient"}}
    }
    t, again = make(config, keys), make(config, keys)

    def shift(transformation, patient, value="2016-01-15"):
        out = transformation.transform(value, ValueContext("DATE", {"patient": patient}, "visit"))
        return (dt.date.fromisoformat(out[:10]) - dt.date.fromisoformat(value[:10])).days

    for patient in ("p1", "p2", 42):
        assert shift(t, patient) == shift(t, patient, "2017-06-01T08:00:00Z") == shift(again, patient)
    # A record without the context field: a random shift, as DLP proceeds without context.
    no_context = {
        (
            dt.date.fromisoformat(t.transform("2016-01-15", ValueContext("DATE", {}, "visit")))
            - dt.date(2016, 1, 15)
        ).days
        for _ in range(40)
    }
    assert len(no_context) > 10


def test_date_shift_with_a_dlp_crypto_key_is_keyed_by_it():
    """cryptoKey (DLP's JSON) with a context: shift = lower + HMAC-SHA256(key, DLP's context
    encoding) mod (upper - lower + 1), the same with the same key whatever the keyset."""
    import base64
    import hashlib
    import hmac

    from veilwatch.transforms.deid.crypto.tweak import context_tweak
    from veilwatch.transforms.keys.keyring import KeyRing, new_keyset_handle

    raw = b"abcdefghijklmnop"  # 16 bytes: DLP's "128/192/256 bit key"
    config = {
        "dateShiftConfig": {
            "lowerBoundDays": -100,
            "upperBoundDays": 100,
            "context": {"name": "patient"},
            "cryptoKey": {"unwrapped": {"key": base64.b64encode(raw).decode()}},
        }
    }
    one = make(config, KeyRing(new_keyset_handle(), allow_plaintext_keys=True))
    other = make(config, KeyRing(new_keyset_handle(), allow_plaintext_keys=True))
    for patient in ("p1", 42):
        digest = hmac.new(raw, context_tweak(patient), hashlib.sha256).digest()
        expected = -100 + int.from_bytes(digest[:8], "big") % 201
        ctx = ValueContext("DATE", {"patient": patient}, "visit")
        shifted = [dt.date.fromisoformat(t.transform("2016-01-15", ctx)) for t in (one, other)]
        assert shifted == [dt.date(2016, 1, 15) + dt.timedelta(days=expected)] * 2
    # An unwrapped key is plaintext key material: refused without --allow_plaintext_keys.
    with pytest.raises(Exception, match="allow_plaintext_keys"):
        make(config, keyring())


def test_date_shift_crypto_key_needs_a_context():
    with pytest.raises(
        ConfigError, match=r"t\.dateShiftConfig\.cryptoKey: needs a context \(DLP: 'If set,"
    ) as info:
        parse_transformation(
            {
                "dateShiftConfig": {
                    "lowerBoundDays": 1,
                    "upperBoundDays": 2,
                    "cryptoKey": {"transient": {"name": "k"}},
                }
            },
            "t",
        )
    assert "t.dateShiftConfig.cryptoKey" in {i.path for i in info.value.issues}


# -- transformationErrorHandling -------------------------------------------------------------


def _deidentifier(handling):
    policy = FieldPolicy(
        "visit",
        "DATE",
        parse_transformation({"dateShiftConfig": {"lowerBoundDays": 1, "upperBoundDays": 1}}, "t"),
    )
    return RecordDeidentifier(PiiSpec(fields=(policy,), transformation_error_handling=handling), keyring())


@pytest.mark.parametrize(
    "handling", [TransformationErrorHandling.DEAD_LETTER, TransformationErrorHandling.THROW_ERROR]
)
def test_transformation_errors_dead_letter_the_record_and_are_counted(handling):
    deid = _deidentifier(handling)
    with pytest.raises(RecordError, match=r"field 'visit': dateShiftConfig: not a date in a known") as info:
        deid.deidentify({"visit": "not-a-date jane@example.com"})
    assert info.value.stage == "deidentify"
    assert "jane" not in info.value.message
    entries = summary_entries(deid.transformation_errors.drain())
    assert [(e["field"], e["outcome"], e["count"]) for e in entries] == [("visit", "dead_lettered", 1)]
    assert "jane" not in entries[0]["reason"]
    assert "dateShiftConfig" in entries[0]["reason"]


def test_leave_untransformed_keeps_the_value_and_counts_it():
    deid = _deidentifier(TransformationErrorHandling.LEAVE_UNTRANSFORMED)
    records = [{"visit": "n/a"}, {"visit": "2016-01-10"}, {"visit": "n/a"}]
    for record in records:
        deid.deidentify(record)
    assert [r["visit"] for r in records] == ["n/a", "2016-01-11", "n/a"]
    entries = summary_entries(deid.transformation_errors.drain())
    assert [(e["field"], e["outcome"], e["count"]) for e in entries] == [("visit", "left_untransformed", 2)]
    assert deid.transformation_errors.drain() == {}
