"""parse_payload's orjson path reads every line exactly as json.loads does, or hands it to json."""

from __future__ import annotations

import json
import math

import pytest

from veilwatch.transforms.records.errors import RecordError
from veilwatch.transforms.records.parse import MAX_FAST_NESTING, orjson_agrees, parse_line, parse_payload

GOOD = (
    b'{"id": "t-1", "amount": 12.5, "customer": {"email": "a@b.example"}, "iban": "DE08895821973669040888"}'
)


def _json_reading(line: bytes):
    """What the json-only parser made of a line: the value, or the stage and message of its error."""
    try:
        return ("ok", repr(json.loads(line.decode("utf-8"))))
    except UnicodeDecodeError as exc:
        return ("error", "parse", f"line is not valid UTF-8 (byte {exc.start})")
    except json.JSONDecodeError as exc:
        return ("error", "parse", f"invalid JSON: {exc.msg} at character {exc.pos}")
    except RecursionError:
        return ("error", "parse", "invalid JSON: nested too deeply")


def _reading(line: bytes):
    try:
        return ("ok", repr(parse_line(line)))
    except RecordError as exc:
        return ("error", exc.stage, exc.message)


@pytest.mark.parametrize(
    "line",
    [
        GOOD,
        b' {"a": [1, 2.5, -3e2, true, false, null, "x\\u00e9\\n"]} \r',
        b'{"a": 1, "a": 2}',
        b'{"amount": -0, "b": -0.0, "c": 0.1e-400, "d": 1E+2, "e": 9007199254740993}',
        b'{"big": 123456789012345678901234567890}',  # beyond 64 bits: json keeps the int exact
        b'{"big": [-12345678901234567890]}',
        b'{"big":\t18446744073709551616}',
        b"123456789012345678901234567890",
        b'{"amount": NaN}',
        b'{"amount": Infinity}',
        b'{"amount": -Infinity}',
        b'{"amount": 1e400}',
        b'{"id": "\\ud83d\\ude00", "note": "\\\\ud800"}',  # a surrogate pair; an escaped backslash
        b'{"id": "tx-\xff\xfe"}',
        b'{"id": "\xed\xa0\x80"}',
        b'{"id": "\xc0\xaf"}',  # not UTF-8
        b"\xef\xbb\xbf{}",  # a byte order mark
        b'{"id": "e"',
        b'{"id": "e"} {}',
        b'{"id": "a\x01b"}',
        b"{'a': 1}",
        b'{"a": 1,}',
        b'{"a": 01}',
        b"[" * 100 + b"]" * 100,
        b"[" * (MAX_FAST_NESTING + 1) + b"]" * (MAX_FAST_NESTING + 1),
        b"[" * 5000 + b"]" * 5000,  # deeper than json's recursion limit
        b"1",
        b"null",
        b'"text"',
        b"true",
        b"{}",
        b"",
    ],
)
def test_lines_read_exactly_as_json_loads_reads_them(line):
    assert _reading(line) == _json_reading(line)


@pytest.mark.parametrize("line", [b'{"id": "\\ud800"}', b'{"\\udc00": 1}', b'{"a": ["x\\uDBFFy"]}'])
def test_a_lone_surrogate_is_a_parse_dead_letter_not_a_writer_crash(line):
    # json.loads accepts these, but no sink can encode the result as UTF-8
    with pytest.raises(RecordError, match=r"a string holds a lone UTF\-16 surrogate escape") as info:
        parse_line(line)
    assert info.value.stage == "parse"
    assert "lone UTF-16 surrogate" in info.value.message


def test_big_integers_stay_exact_integers():
    record = parse_payload(b'{"amount": 123456789012345678901234567890}', None)
    assert record["amount"] == 123456789012345678901234567890
    assert isinstance(record["amount"], int)


def test_json_extensions_json_loads_accepts_are_still_accepted():
    record = parse_payload(b'{"a": NaN, "b": Infinity, "c": -Infinity, "d": 1e400}', None)
    assert math.isnan(record["a"])
    assert record["b"] == math.inf
    assert record["c"] == -math.inf
    assert record["d"] == math.inf


@pytest.mark.parametrize(
    "line, message",
    [
        (b'{"id": "tx-\xff"}', "line is not valid UTF-8 (byte 11)"),
        (b'{"id": "leaky@example.org"', "invalid JSON: Expecting ',' delimiter at character 26"),
        (b"[" * 5000 + b"]" * 5000, "invalid JSON: nested too deeply"),
        (b'["leaky@example.org"]', "record must be a JSON object, got list"),
    ],
)
def test_errors_are_worded_as_before_and_quote_nothing(line, message):
    with pytest.raises(RecordError) as caught:
        parse_payload(line, None)
    assert caught.value.stage == "parse"
    assert caught.value.message == message


def test_the_screen_sends_common_records_to_orjson_and_risky_ones_to_json():
    assert orjson_agrees(GOOD)  # a 20-digit run inside a string is no integer
    assert not orjson_agrees(b'{"a": -12345678901234567890}')
    assert not orjson_agrees(b"[12345678901234567890]")
    assert not orjson_agrees(b"12345678901234567890")
    assert not orjson_agrees(b"[" * (MAX_FAST_NESTING + 1))
