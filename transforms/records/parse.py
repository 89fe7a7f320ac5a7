"""Turn a raw item into a record (a dict), or say why it cannot be one.

JSON lines are parsed by orjson (about three times faster than ``json``)
whenever its answer is certain to be the one ``json.loads`` gives; every
other line takes the ``json`` path, which stays the reference: it decides
what is accepted and words every error. orjson differs from ``json`` in
three ways, all handled:

* it rejects ``NaN``, ``Infinity``, numbers beyond the double range and lone
  surrogates, which ``json`` accepts: any orjson error falls back to ``json``,
  which then accepts the line or words the error as before;
* it reads integers beyond 64 bits as floats, where ``json`` keeps them
  exact: a line with a number of 19 or more digits right after ``:``, ``,``
  or ``[`` takes the ``json`` path;
* it nests 1024 levels deep, where ``json`` stops at the interpreter's
  recursion limit: a line with more than :data:`MAX_FAST_NESTING` brackets
  takes the ``json`` path.

Whatever the parser, a record nested deeper than ``max_depth`` levels
(``source.max_depth``) is a ``parse`` dead letter, and so is a line too deep
for ``json`` itself: no later step has to cope with unbounded nesting.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from veilwatch.transforms.config.model import MAX_DEPTH_LIMIT
from veilwatch.transforms.records.errors import RecordError
from veilwatch.transforms.records.nesting import exceeds_depth

# Lines with more opening brackets than this take the json path: it is far
# below the depth at which json hits the recursion limit in any worker.
MAX_FAST_NESTING = 200


def _screen_table() -> bytes:
    """The byte translation behind :func:`orjson_agrees`: every ASCII digit reads
    "0", the separators ":" and "," and the brackets "[" and "{" read ":" (what may
    precede a number), any other byte reads " ". One mark for both, so that one
    search finds a long number after either (brackets are counted on the line itself)."""
    table = bytearray(b" " * 256)
    for digit in b"0123456789":
        table[digit] = ord("0")
    for mark in b":,[{":
        table[mark] = ord(":")
    return bytes(table)


_SCREEN = _screen_table()
# Dropped before screening, so that a number's digits follow whatever precedes it.
_SCREEN_DROP = b" \t\r\n-"
# 19 digits after a separator, a bracket or at the start: an integer that may not fit in 64 bits.
_LONG_DIGITS = b"0" * 19
_LONG_AFTER_MARK = b":" + _LONG_DIGITS


def _brackets(line: bytes | bytearray) -> int:
    """How many opening brackets ``[`` and ``{`` the line holds (strings included)."""
    return line.count(b"{") + line.count(b"[")


def parse_payload(payload: Any, error: str | None, max_depth: int = MAX_DEPTH_LIMIT) -> dict:
    """A JSONL line (bytes) or an already structured row -> dict, at most ``max_depth`` levels deep."""
    if error is not None:
        raise RecordError("read", error)
    if isinstance(payload, (bytes, bytearray)):
        # One screen of the line serves both the parser choice and the depth test.
        screened = payload.translate(_SCREEN, _SCREEN_DROP)
        brackets = _brackets(payload)
        record = _parse_screened(payload, screened, brackets)
        # Every level opens a bracket: a line with few brackets (nearly all) cannot be too deep.
        may_be_too_deep = brackets > max_depth
    else:
        record = payload
        may_be_too_deep = True
    if not isinstance(record, dict):
        raise RecordError("parse", f"record must be a JSON object, got {type(record).__name__}")
    if may_be_too_deep and exceeds_depth(record, max_depth):
        raise RecordError("parse", too_deep_message(max_depth))
    return record


def too_deep_message(max_depth: int) -> str:
    return f"record nests objects and lists deeper than source.max_depth ({max_depth} levels)"


def parse_line(line: bytes | bytearray) -> Any:
    """One JSON document from a line, exactly as ``json.loads`` reads it."""
    return _parse_screened(line, line.translate(_SCREEN, _SCREEN_DROP), _brackets(line))


def _parse_screened(line: bytes | bytearray, screened: bytes | bytearray, brackets: int) -> Any:
    """:func:`parse_line` given the line's screen (see :func:`orjson_agrees`) and its bracket count."""
    if _orjson_agrees_screened(screened, brackets):
        try:
            return orjson.loads(line)
        except orjson.JSONDecodeError:
            pass  # invalid, or an extension json accepts: the json path decides and words it
    return _parse_with_json(line)


def orjson_agrees(line: bytes | bytearray) -> bool:
    """Whether orjson is certain to read ``line`` as ``json.loads`` does (see the module docstring).

    A cheap screen over the raw bytes: a ``False`` is often a false alarm
    (a bracket or a long digit run inside a string), which costs only speed.
    """
    return _orjson_agrees_screened(line.translate(_SCREEN, _SCREEN_DROP), _brackets(line))


def _orjson_agrees_screened(screened: bytes | bytearray, brackets: int) -> bool:
    if brackets > MAX_FAST_NESTING:
        return False
    # One search: a run of 19 digits inside a string (an IBAN, a card number) follows no mark.
    return not (_LONG_AFTER_MARK in screened or screened.startswith(_LONG_DIGITS))


def _parse_with_json(line: bytes | bytearray) -> Any:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordError("parse", f"line is not valid UTF-8 (byte {exc.start})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        # exc.msg describes the syntax problem only; the document is not quoted.
        raise RecordError("parse", f"invalid JSON: {exc.msg} at character {exc.pos}") from None
    except RecursionError:  # far deeper than any source.max_depth
        raise RecordError("parse", "invalid JSON: nested too deeply") from None
    if _SURROGATE_ESCAPE.search(text) and not _encodable(document):
        raise RecordError(
            "parse",
            "a string holds a lone UTF-16 surrogate escape (\\uD800-\\uDFFF), which has no UTF-8 form",
        )
    return document


# json.loads turns "\ud800" without its pair into a lone surrogate code point, which no
# sink can write as UTF-8: such a record is dead-lettered here instead of failing a writer.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _encodable(document: Any) -> bool:
    """Whether every string (keys included) of ``document`` has a UTF-8 form (a walk without recursion)."""
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return True
