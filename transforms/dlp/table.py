"""Records <-> DLP table items.

A batch of records becomes one ``Table``: one column per field the config
de-identifies or scans (the header is the field's dotted path), one row per
record. Cell values keep their JSON type (string, integer, float, boolean); a
missing or null field is an empty ``Value`` and is left alone on the way back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, cast

from google.cloud.dlp_v2 import types as dlp
from google.type import dayofweek_pb2

from veilwatch.transforms.dlp.batching import RowCost, field_size
from veilwatch.transforms.records.paths import get_simple


def to_value(value: Any) -> dlp.Value:
    if value is None:
        return dlp.Value()
    if isinstance(value, bool):
        return dlp.Value(boolean_value=value)
    if isinstance(value, int):
        return dlp.Value(integer_value=value)
    if isinstance(value, float):
        return dlp.Value(float_value=value)
    if isinstance(value, str):
        return dlp.Value(string_value=value)
    raise TypeError(f"a {type(value).__name__} cannot be a DLP table value")


def from_value(value: dlp.Value) -> Any:
    """The Python scalar a ``Value`` holds (None when empty)."""
    kind = dlp.Value.pb(value).WhichOneof("type")
    if kind is None:
        return None
    if kind in ("string_value", "integer_value", "float_value", "boolean_value"):
        return getattr(value, kind)
    if kind == "date_value":
        d = value.date_value
        return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"
    if kind == "time_value":
        t = value.time_value
        return f"{t.hours:02d}:{t.minutes:02d}:{t.seconds:02d}"
    if kind == "timestamp_value":
        # proto-plus hands a Timestamp field over as a datetime (DatetimeWithNanoseconds)
        stamp = cast(dt.datetime, value.timestamp_value)
        return stamp.isoformat().replace("+00:00", "Z")
    if kind == "day_of_week_value":
        return dayofweek_pb2.DayOfWeek.Name(value.day_of_week_value)
    return None


def column_names(paths: Iterable[str]) -> tuple[str, ...]:
    """Distinct columns in first-seen order."""
    return tuple(dict.fromkeys(paths))


# DLP's integerValue is an int64: a JSON integer beyond it cannot be a cell (protobuf refuses it,
# quoting it, which would crash the whole bundle and write the value into the error).
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def cell_problem(
    record: dict, columns: tuple[tuple[str, ...], ...], paths: Iterable[str], transformed: frozenset[int]
) -> str | None:
    """Why ``record`` cannot be sent as a table row (naming the field, never the value), or None:
    an integer beyond int64 in any column, an object or a list in a column DLP transforms (a cell
    holds one value; sent empty, it would come back empty and the field be lost silently)."""
    for i, (names, path) in enumerate(zip(columns, paths, strict=True)):
        value = get_simple(record, names)
        if isinstance(value, int) and not isinstance(value, bool) and not INT64_MIN <= value <= INT64_MAX:
            return (
                f"field '{path}' holds an integer beyond DLP's 64-bit integers; a DLP table cannot carry it"
            )
        if i in transformed and isinstance(value, (dict, list)):
            return f"field '{path}' holds an object or a list; a DLP table cell holds a single value"
    return None


def record_row(record: dict, columns: tuple[tuple[str, ...], ...]) -> dlp.Table.Row:
    """One table row: the record's value at each (split) column path."""
    values = []
    for names in columns:
        value = get_simple(record, names)
        values.append(to_value(value if isinstance(value, (str, int, float, bool)) else None))
    return dlp.Table.Row(values=values)


def with_refused(records: list[dict] | Any, refused: dict[int, Any], send: Any) -> list[Any]:
    """``send`` (records -> one result each) over the records not in ``refused``, merged in order
    with the ``refused`` results (index -> result)."""
    rest = [i for i in range(len(records)) if i not in refused]
    sent = dict(zip(rest, send([records[i] for i in rest]) if rest else [], strict=True))
    return [refused[i] if i in refused else sent[i] for i in range(len(records))]


def row_cost(row: dlp.Table.Row, values: int, findings: int) -> RowCost:
    """What ``row`` adds to a request (its bytes on the wire, ``values`` table values, an estimate
    of its ``findings``), for the batch planner."""
    return RowCost(field_size(dlp.Table.Row.pb(row).ByteSize()), values, findings)


def write_back(
    record: dict, columns: tuple[tuple[str, ...], ...], row: dlp.Table.Row, only: frozenset[int]
) -> None:
    """Put the de-identified cells of ``row`` (column indexes in ``only``) into ``record``,
    where the record had a value."""
    for i in only:
        names = columns[i]
        parent = get_simple(record, names[:-1]) if len(names) > 1 else record
        if not isinstance(parent, dict) or parent.get(names[-1]) is None:
            continue
        parent[names[-1]] = from_value(row.values[i])
