"""The JSON form of every value an Avro or Parquet source hands over.

Avro (fastavro) and Parquet (pyarrow) rows carry Python values beyond JSON's
types: ``Decimal``, ``bytes``, ``date``, ``time``, ``timedelta``, ``UUID``,
numpy scalars, Arrow maps as lists of pairs ... Every sink (and the scanner,
and the dead-letter redactor) expects JSON values, so each row is turned into
JSON values once, as it is read, by :func:`to_json_ready`:

=====================================================  ==========================================
source type                                            JSON form
=====================================================  ==========================================
null; bool; integers; float/double; string; enum       as they are
Arrow float16 (and any numpy scalar)                   the plain Python number
decimal (Arrow decimal128/256, Avro ``decimal``)       the exact decimal as text, ``"12.50"``
binary, large_binary, fixed_size_binary; Avro          standard base64 text (with ``=`` padding)
``bytes`` and ``fixed``
Avro ``uuid`` (or an Arrow ``uuid`` value)             the canonical text, ``"8c1e...-..."``
date32/64, Avro ``date``                               ISO-8601 date, ``"2026-11-27"``
time32/64, Avro ``time-millis``/``time-micros``        ISO-8601 time, ``"10:15:00.250000"``
timestamp (any unit, with or without a time zone),     kept as a ``datetime`` through the pipeline
Avro ``timestamp-*``/``local-timestamp-*``             (the event time reads it as it is); written
                                                       as ISO-8601 text, with its offset when it has
                                                       a zone (naive: no offset)
duration (any unit)                                    seconds as a number, ``90.5``
month_day_nano_interval                                ``{"months": m, "days": d, "nanoseconds": n}``
Avro ``duration`` (fixed 12)                           ``{"months": m, "days": d, "milliseconds": n}``
list, large_list, fixed_size_list, Avro array          a JSON array
struct, Avro record                                    a JSON object
map, Avro map                                          a JSON object; a non-text key becomes its
                                                       JSON text (``1`` -> ``"1"``); a map with two
                                                       equal keys is a dead letter (nothing dropped);
                                                       an empty Arrow map reads ``[]`` (it is an empty
                                                       list of entries to pyarrow)
dictionary-encoded                                     the decoded value
=====================================================  ==========================================

A value of any other type makes its record a dead letter (stage ``read``)
whose error names the Python type only, never the value or the column.

The walk is iterative (no recursion on the depth of the data).
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import uuid
from collections.abc import Iterable
from typing import Any

_PLAIN = (str, int, float, bool, type(None))
# A datetime stays a datetime (see the module docstring); pandas' Timestamp is a subclass.
_KEPT = (dt.datetime,)


class NoJsonForm(ValueError):
    """A value whose type has no defined JSON form; the message names the type only."""


def to_json_ready(record: dict) -> dict:
    """``record`` with every value in its JSON form (converted in place and returned).

    Raises :class:`NoJsonForm` for a value without one, and for a map with two equal keys.
    """
    stack: list[Any] = [record]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if type(value) in _PLAIN_TYPES:
                    continue
                converted = _convert(value, stack)
                if converted is not value:
                    node[key] = converted
        else:  # a list
            for index, value in enumerate(node):
                if type(value) in _PLAIN_TYPES:
                    continue
                converted = _convert(value, stack)
                if converted is not value:
                    node[index] = converted
    return record


_PLAIN_TYPES = frozenset(_PLAIN)


def _convert(value: Any, stack: list[Any]) -> Any:
    """One non-plain value -> its JSON form; containers are pushed on ``stack`` to be walked."""
    if isinstance(value, _PLAIN):  # subclasses of the plain types (str enums, bool ...)
        return value
    if isinstance(value, dict):
        stack.append(value)
        return value
    if isinstance(value, list):
        if value and _is_map_entries(value):
            value = _map_to_object(value)
        stack.append(value)
        return value
    if isinstance(value, _KEPT):
        return value
    if isinstance(value, tuple):
        # Arrow MonthDayNano
        if hasattr(value, "months") and hasattr(value, "days") and hasattr(value, "nanoseconds"):
            return {
                "months": int(value.months),
                "days": int(value.days),
                "nanoseconds": int(value.nanoseconds),
            }
        items = list(value)
        stack.append(items)
        return items
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return duration_seconds(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    item = getattr(value, "item", None)  # numpy scalars (float16 ...)
    if callable(item) and type(value).__module__ == "numpy":
        plain = item()
        if isinstance(plain, _PLAIN):
            return plain
    raise NoJsonForm(f"a value of type {type(value).__name__} has no JSON form")


def duration_seconds(value: dt.timedelta) -> int | float:
    """A duration's JSON form: seconds, an integer when whole (nanoseconds kept for pandas' Timedelta)."""
    nanoseconds = getattr(value, "value", None)  # pandas' Timedelta keeps nanoseconds
    if isinstance(nanoseconds, int):
        return nanoseconds // 1_000_000_000 if nanoseconds % 1_000_000_000 == 0 else nanoseconds / 1e9
    micros = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    return micros // 1_000_000 if micros % 1_000_000 == 0 else micros / 1e6


def _is_map_entries(items: list) -> bool:
    """pyarrow hands a map over as a list of (key, value) tuples; nothing else gives plain 2-tuples."""
    return all(type(entry) is tuple and len(entry) == 2 for entry in items)


def _map_to_object(entries: Iterable[tuple[Any, Any]]) -> dict:
    out: dict[str, Any] = {}
    for key, value in entries:
        name = key if isinstance(key, str) else _key_text(key)
        if name in out:
            raise NoJsonForm("a map has two equal keys, which a JSON object cannot hold")
        out[name] = value
    return out


def _key_text(key: Any) -> str:
    holder = {"k": key}
    to_json_ready(holder)
    return json.dumps(holder["k"], ensure_ascii=False, separators=(",", ":"), default=str)


# -- Avro's duration logical type ------------------------------------------------------------


def avro_duration_paths(schema: Any) -> list[tuple[str, ...]]:
    """Paths to the Avro ``duration`` values in records of ``schema`` (fastavro hands them over
    as 12 raw bytes): field names, ``[]`` for array items, ``{}`` for map values."""
    named = _avro_named_types(schema)
    paths: list[tuple[str, ...]] = []
    stack: list[tuple[Any, tuple[str, ...], frozenset]] = [(schema, (), frozenset())]
    while stack:
        node, path, seen = stack.pop()
        if isinstance(node, list):  # a union
            stack.extend((branch, path, seen) for branch in node)
        elif isinstance(node, str):  # a reference to a named type (once per path: recursive types end)
            if node in named and node not in seen:
                stack.append((named[node], path, seen | {node}))
        elif isinstance(node, dict):
            kind = node.get("type")
            if kind == "fixed" and node.get("logicalType") == "duration":
                paths.append(path)
            elif kind in ("record", "error"):
                seen = seen | {_full_name(node)}
                for field in node.get("fields", ()):
                    stack.append((field.get("type"), path + (field.get("name", ""),), seen))
            elif kind == "array":
                stack.append((node.get("items"), path + ("[]",), seen))
            elif kind == "map":
                stack.append((node.get("values"), path + ("{}",), seen))
            elif isinstance(kind, (dict, list, str)) and kind not in _AVRO_PRIMITIVES:
                stack.append((kind, path, seen))
    return paths


_AVRO_PRIMITIVES = frozenset(
    {
        "null",
        "boolean",
        "int",
        "long",
        "float",
        "double",
        "bytes",
        "string",
        "record",
        "error",
        "enum",
        "array",
        "map",
        "fixed",
    }
)


def _full_name(node: dict) -> str:
    name = str(node.get("name", ""))
    namespace = node.get("namespace")
    return f"{namespace}.{name}" if namespace and "." not in name else name


def _avro_named_types(schema: Any) -> dict[str, Any]:
    """Every named type (record, fixed, enum) defined in ``schema``, by full and short name."""
    named: dict[str, Any] = {}
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if node.get("type") in ("record", "error", "fixed", "enum") and "name" in node:
                named.setdefault(_full_name(node), node)
                named.setdefault(str(node["name"]).rsplit(".", 1)[-1], node)
            stack.extend(field.get("type") for field in node.get("fields", ()) if isinstance(field, dict))
            stack.extend(node[key] for key in ("items", "values") if key in node)
            if isinstance(node.get("type"), (dict, list)):
                stack.append(node["type"])
    return named


def decode_avro_durations(record: dict, paths: list[tuple[str, ...]]) -> None:
    """Replace the raw 12 bytes at each duration path by ``{"months", "days", "milliseconds"}``."""
    for path in paths:
        parents: list[tuple[Any, Any]] = [(record, None)]  # (container, key in it)
        for step in path:
            following: list[tuple[Any, Any]] = []
            for container, key in parents:
                node = container if key is None else container[key]
                if step == "[]" and isinstance(node, list):
                    following.extend((node, i) for i in range(len(node)))
                elif step == "{}" and isinstance(node, dict):
                    following.extend((node, k) for k in node)
                elif isinstance(node, dict) and step in node:
                    following.append((node, step))
            parents = following
        for container, key in parents:
            if key is None:
                continue
            raw = container[key]
            if isinstance(raw, (bytes, bytearray)) and len(raw) == 12:
                container[key] = {
                    "months": int.from_bytes(raw[0:4], "little"),
                    "days": int.from_bytes(raw[4:8], "little"),
                    "milliseconds": int.from_bytes(raw[8:12], "little"),
                }
