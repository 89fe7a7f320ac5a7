"""The seven primitives added for issue 4, against DLP's documented semantics and examples."""

from __future__ import annotations

import base64

import pytest

from tests.unit.deid.keys import keyring, make, rotated
from veilwatch.transforms.config.errors import ConfigError
from veilwatch.transforms.deid.base import TransformationError, ValueContext
from veilwatch.transforms.deid.crypto.surrogate import parse_annotated
from veilwatch.transforms.deid.registry import NOT_YET_LOCAL, PRIMITIVES, parse_transformation

CTX = ValueContext(info_type="X")
FPE = {"cryptoReplaceFfxFpeConfig": {"commonAlphabet": "NUMERIC"}}
SIV = {"cryptoDeterministicConfig": {"surrogateInfoType": {"name": "EMAIL_TOKEN"}}}


def test_all_twelve_dlp_primitives_are_local():
    assert NOT_YET_LOCAL == ()
    assert set(PRIMITIVES) == {
        "replaceConfig",
        "redactConfig",
        "characterMaskConfig",
        "replaceWithInfoTypeConfig",
        "replaceDictionaryConfig",
        "cryptoHashConfig",
        "cryptoDeterministicConfig",
        "cryptoReplaceFfxFpeConfig",
        "dateShiftConfig",
        "fixedSizeBucketingConfig",
        "bucketingConfig",
        "timePartConfig",
    }
    assert {n for n, s in PRIMITIVES.items() if s.reversible} == {
        "cryptoDeterministicConfig",
        "cryptoReplaceFfxFpeConfig",
    }


@pytest.mark.parametrize(
    "config,bad_paths",
    [
        ({"cryptoReplaceFfxFpeConfig": {}}, {"t.cryptoReplaceFfxFpeConfig"}),
        ({"cryptoReplaceFfxFpeConfig": {"radix": 96}}, {"t.cryptoReplaceFfxFpeConfig.radix"}),
        (
            {"cryptoReplaceFfxFpeConfig": {"commonAlphabet": "NUMERIC", "radix": 10}},
            {"t.cryptoReplaceFfxFpeConfig"},
        ),
        (
            {"cryptoReplaceFfxFpeConfig": {"customAlphabet": "aa"}},
            {"t.cryptoReplaceFfxFpeConfig.customAlphabet"},
        ),
        (
            {"cryptoReplaceFfxFpeConfig": {"commonAlphabet": "NUMERIC", "context": "id"}},
            {"t.cryptoReplaceFfxFpeConfig.context"},
        ),
        (
            {"cryptoDeterministicConfig": {"surrogateInfoType": {"name": "A B"}}},
            {"t.cryptoDeterministicConfig.surrogateInfoType.name"},
        ),
        (
            {"cryptoDeterministicConfig": {"cryptoKey": {"transient": {}}}},
            {"t.cryptoDeterministicConfig.cryptoKey.transient.name"},
        ),
        ({"dateShiftConfig": {"upperBoundDays": 5}}, {"t.dateShiftConfig.lowerBoundDays"}),
        (
            {"dateShiftConfig": {"upperBoundDays": -5, "lowerBoundDays": 5}},
            {"t.dateShiftConfig.lowerBoundDays"},
        ),
        (
            {"dateShiftConfig": {"upperBoundDays": 400000, "lowerBoundDays": 0}},
            {"t.dateShiftConfig.upperBoundDays"},
        ),
        (
            {"fixedSizeBucketingConfig": {"lowerBound": 10, "upperBound": 5, "bucketSize": 0}},
            {"t.fixedSizeBucketingConfig.upperBound", "t.fixedSizeBucketingConfig.bucketSize"},
        ),
        (
            {
                "bucketingConfig": {
                    "buckets": [
                        {"min": 0, "max": 10, "replacementValue": "a"},
                        {"min": 5, "max": 20, "replacementValue": "b"},
                    ]
                }
            },
            {"t.bucketingConfig.buckets"},
        ),
        ({"bucketingConfig": {"buckets": [{"replacementValue": "a"}]}}, {"t.bucketingConfig.buckets[0]"}),
        ({"timePartConfig": {"partToExtract": "CENTURY"}}, {"t.timePartConfig.partToExtract"}),
        (
            {"replaceDictionaryConfig": {"wordList": {"words": []}}},
            {"t.replaceDictionaryConfig.wordList.words"},
        ),
        (
            {"replaceDictionaryConfig": {"words": ["a"]}},
            {"t.replaceDictionaryConfig.words", "t.replaceDictionaryConfig.wordList"},
        ),
    ],
)
def test_bad_parameters_are_named_by_path(config, bad_paths):
    with pytest.raises(ConfigError) as info:
        parse_transformation(config, "t")
    assert {i.path for i in info.value.issues} == bad_paths


def test_fixed_size_bucketing_follows_dlps_example():
    # DLP's proto comment: lower 10, upper 89, size 10 -> -10, 10-20, ..., 80-89, 89+; the API (and
    # Google's sample tests) write a bucket "10:20" (see test_dlp_api_behaviour.py)
    t = make(
        {
            "fixedSizeBucketingConfig": {
                "lowerBound": {"integerValue": 10},
                "upperBound": {"integerValue": 89},
                "bucketSize": 10,
            }
        }
    )
    assert [t.transform(v, CTX) for v in (3, 10, 19.99, 20, 85, 89, 120, "42")] == [
        "-10",
        "10:20",
        "10:20",
        "20:30",
        "80:89",
        "89+",
        "89+",
        "40:50",
    ]
    half = make({"fixedSizeBucketingConfig": {"lowerBound": 0, "upperBound": 1, "bucketSize": 0.25}})
    assert half.transform(0.3, CTX) == "0.25:0.5"
    with pytest.raises(TransformationError, match="needs a number"):
        t.transform("forty", CTX)


def test_bucketing_follows_dlps_example_and_leaves_unbucketed_values():
    # DLP: 1-30 -> LOW, 31-65 -> MEDIUM, 66-100 -> HIGH (min inclusive, max exclusive)
    t = make(
        {
            "bucketingConfig": {
                "buckets": [
                    {
                        "min": {"integerValue": 1},
                        "max": {"integerValue": 31},
                        "replacementValue": {"stringValue": "LOW"},
                    },
                    {"min": 31, "max": 66, "replacementValue": "MEDIUM"},
                    {"min": 66, "max": 101, "replacementValue": "HIGH"},
                ]
            }
        }
    )
    assert [t.transform(v, CTX) for v in (1, 30, 31, 65.5, 66, 100, "50")] == [
        "LOW",
        "LOW",
        "MEDIUM",
        "MEDIUM",
        "HIGH",
        "HIGH",
        "MEDIUM",
    ]
    assert t.transform(0, CTX) == 0
    assert t.transform(101, CTX) == 101
    dates = make(
        {
            "bucketingConfig": {
                "buckets": [
                    {"max": {"timestampValue": "2000-01-01"}, "replacementValue": "before 2000"},
                    {"min": "2000-01-01", "replacementValue": "2000 or later"},
                ]
            }
        }
    )
    assert dates.transform("1999-12-31", CTX) == "before 2000"
    assert dates.transform("2026-11-02", CTX) == "2000 or later"


@pytest.mark.parametrize(
    "part,value,expected",
    [
        ("YEAR", "1984-07-21", "1984"),
        ("MONTH", "1984-07-21T10:00:00Z", "7"),
        ("DAY_OF_MONTH", "1984-07-21", "21"),
        ("DAY_OF_WEEK", "2026-11-02", "1"),  # a Monday: google.type.DayOfWeek MONDAY = 1
        ("DAY_OF_WEEK", "2026-11-08", "7"),
        ("WEEK_OF_YEAR", "2026-01-01", "1"),
        ("HOUR_OF_DAY", "2026-11-02T23:30:00-02:00", "1"),  # 01:30 UTC the next day
        ("HOUR_OF_DAY", "2026-11-02T07:05:00", "7"),
    ],
)
def test_time_part(part, value, expected):
    assert make({"timePartConfig": {"partToExtract": part}}).transform(value, CTX) == expected


def test_time_part_rejects_non_dates_without_quoting_them():
    t = make({"timePartConfig": {"partToExtract": "HOUR_OF_DAY"}})
    for bad in ("jane@example.com", "2026-11-02", 12):
        with pytest.raises(TransformationError, match=r"timePartConfig") as info:
            t.transform(bad, CTX)
        assert str(bad) not in str(info.value)


def test_date_shift_is_consistent_per_context_within_bounds_and_keeps_format():
    keys = keyring()
    t = make(
        {"dateShiftConfig": {"upperBoundDays": 30, "lowerBoundDays": -30, "context": {"name": "patient"}}},
        keys,
    )
    assert not t.context_free

    def shifted(value, patient):
        return t.transform(value, ValueContext("DATE", {"patient": patient}, "d"))

    import datetime as dt

    for patient in ("p1", "p2", 7):
        a, b = shifted("2026-03-01", patient), shifted("2026-03-11T08:09:10.123Z", patient)
        assert b.endswith("T08:09:10.123Z")
        delta = dt.date.fromisoformat(a) - dt.date(2026, 3, 1)
        assert -30 <= delta.days <= 30
        # Same patient, same shift: intervals between their dates are kept.
        assert (dt.date.fromisoformat(b[:10]) - dt.date.fromisoformat(a)).days == 10
    shifts = {
        (dt.date.fromisoformat(shifted("2026-03-01", f"p{i}")) - dt.date(2026, 3, 1)).days for i in range(40)
    }
    assert len(shifts) > 10  # spread over the range, not one constant
    other = make(
        {"dateShiftConfig": {"upperBoundDays": 30, "lowerBoundDays": -30, "context": {"name": "patient"}}},
        keyring(),
    )
    assert [shifted("2026-03-01", f"p{i}") for i in range(10)] != [
        other.transform("2026-03-01", ValueContext("DATE", {"patient": f"p{i}"}, "d")) for i in range(10)
    ]
    with pytest.raises(TransformationError, match="not a date in a known layout"):
        t.transform("2026-03-01 or so", CTX)


def test_replace_dictionary_is_a_keyed_deterministic_choice():
    words = [f"w{i}" for i in range(50)]
    keys = keyring()
    t = make({"replaceDictionaryConfig": {"wordList": {"words": words}}}, keys)
    names = [f"person {i}" for i in range(200)]
    out = [t.transform(n, CTX) for n in names]
    assert set(out) <= set(words)
    assert len(set(out)) > 25
    assert out == [
        make({"replaceDictionaryConfig": {"wordList": {"words": words}}}, keys).transform(n, CTX)
        for n in names
    ]
    other = make({"replaceDictionaryConfig": {"wordList": {"words": words}}}, keyring())
    assert out != [other.transform(n, CTX) for n in names]


def test_crypto_deterministic_token_layout_and_surrogate():
    keys = keyring()
    t = make(SIV, keys)
    token = t.transform("jane@example.com", CTX)
    annotation = parse_annotated(token, "EMAIL_TOKEN")
    raw = base64.b64decode(annotation.surrogate)
    # tink's prefix: 0x01 || key id, then SIV (16) || ciphertext (len of the value).
    assert raw[0] == 1
    assert int.from_bytes(raw[1:5], "big") == keys.primary_key_id()
    assert len(raw) == 5 + 16 + len("jane@example.com")
    assert t.reverse(token, CTX) == "jane@example.com"
    plain = make({"cryptoDeterministicConfig": {}}, keys)
    assert base64.b64decode(plain.transform("jane@example.com", CTX))[5:] == raw[5:]


def test_crypto_deterministic_context_is_associated_data():
    keys = keyring()
    t = make({"cryptoDeterministicConfig": {"context": {"name": "merchant"}}}, keys)
    in_a = ValueContext("X", {"merchant": "a"}, "e")
    in_b = ValueContext("X", {"merchant": "b"}, "e")
    token = t.transform("jane@example.com", in_a)
    assert token != t.transform("jane@example.com", in_b)
    assert t.reverse(token, in_a) == "jane@example.com"
    with pytest.raises(TransformationError, match="authentication failed") as info:
        t.reverse(token, in_b)
    assert "jane" not in str(info.value)
    # No such field in the record: encrypted without context, as DLP does.
    assert t.transform("x", ValueContext("X", {}, "e")) == make(
        {"cryptoDeterministicConfig": {}}, keys
    ).transform("x", CTX)


def test_crypto_deterministic_rejects_foreign_and_modified_tokens():
    keys = keyring()
    t = make(SIV, keys)
    token = t.transform("jane@example.com", CTX)
    for bad in ("EMAIL_TOKEN(3):abc", "not a token", token[:-4] + "AAA=", "EMAIL_TOKEN(8):AQAAAAAA"):
        with pytest.raises(TransformationError, match=r"^cryptoDeterministicConfig"):
            t.reverse(bad, CTX)
    with pytest.raises(TransformationError, match="not in the keyset"):
        make(SIV, keyring()).reverse(token, CTX)


def test_ffx_fpe_examples_and_domain_errors():
    keys = keyring()
    t = make(FPE, keys)
    token = t.transform("4111111111111111", CTX)
    assert token.isdigit()
    assert len(token) == 16
    assert token != "4111111111111111"
    assert t.reverse(token, CTX) == "4111111111111111"
    assert t.transform("", CTX) == ""  # DLP skips the empty string
    for bad, message in (("4111-1111-1111", "alphabet"), ("12345", "1,000,000|domain|minimum|short")):
        with pytest.raises(TransformationError, match=message) as info:
            t.transform(bad, CTX)
        assert bad not in str(info.value)
    hexa = make({"cryptoReplaceFfxFpeConfig": {"commonAlphabet": "HEXADECIMAL"}}, keys)
    assert set(hexa.transform("DEADBEEF00", CTX)) <= set("0123456789ABCDEF")
    custom = make({"cryptoReplaceFfxFpeConfig": {"customAlphabet": "abc!?xyz"}}, keys)
    assert set(custom.transform("abc!?xyzab", CTX)) <= set("abc!?xyz")


def test_ffx_fpe_surrogate_carries_the_key_id_and_survives_rotation():
    keys = keyring()
    config = {
        "cryptoReplaceFfxFpeConfig": {"commonAlphabet": "NUMERIC", "surrogateInfoType": {"name": "CARD"}}
    }
    token = make(config, keys).transform("4111111111111111", CTX)
    surrogate = parse_annotated(token, "CARD").surrogate
    assert surrogate[:10] == f"{keys.primary_key_id():010d}"
    assert len(surrogate) == 26
    assert surrogate.isdigit()
    later = rotated(keys)
    again = make(config, later)
    assert again.reverse(token, CTX) == "4111111111111111"
    assert again.transform("4111111111111111", CTX) != token  # new tokens use the new primary


def test_ffx_fpe_context_is_the_dlp_tweak():
    from veilwatch.transforms.deid.crypto.ff1 import FF1
    from veilwatch.transforms.deid.crypto.tweak import context_tweak

    keys = keyring()
    t = make({"cryptoReplaceFfxFpeConfig": {"commonAlphabet": "NUMERIC", "context": {"name": "m"}}}, keys)
    ff1 = FF1(keys.raw_key(None, "cryptoReplaceFfxFpeConfig/ff1"), alphabet="0123456789")
    for m in ("shop-1", 42):
        ctx = ValueContext("X", {"m": m}, "c")
        assert t.transform("4111111111111111", ctx) == ff1.encrypt("4111111111111111", context_tweak(m))
    assert t.transform("4111111111111111", ValueContext("X", {}, "c")) == ff1.encrypt("4111111111111111", b"")
