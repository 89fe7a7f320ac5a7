"""De-identified records -> Arrow RecordBatches for TFDV: one list column per profiled field,
plus the start of the window step each record falls in (the slice key).

Column names are the field paths with ``.`` written ``__`` (``customer__email``), as in
the tabular sinks. Types follow the value after de-identification: a declared PII field
is text (a token, a mask, an infoType name); other fields keep their schema type
(booleans as 0/1 integers, timestamps and ``json`` values as text). A path through a
list (``items[].sku``) gives every value it reaches, so an example may hold several.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from veilwatch.transforms.config.model import DatasetConfig, FieldType
from veilwatch.transforms.records.event_time import to_iso
from veilwatch.transforms.records.paths import Path, column_name, iter_values, parse_path
from veilwatch.transforms.windows.assign import window_step_seconds as step_of_windows

WINDOW_COLUMN = "__window_start"
_INTEGER, _FLOAT, _TEXT = "integer", "float", "text"


@dataclass(frozen=True)
class Column:
    path: str  # the field path as the config names it
    name: str  # the TFDV feature name
    kind: str  # integer, float or text
    steps: Path
    pseudonymous: bool = False  # a declared PII field: tokens and masks, an open-ended set of values


def profiled_columns(config: DatasetConfig) -> tuple[Column, ...]:
    """The columns of ``config.data_validation.fields``, typed as they leave de-identification."""
    spec = config.data_validation
    assert spec is not None, "built only when data_validation is configured"
    declared = {p.path for p in config.pii.fields}
    types = {f.path: f.type for f in config.fields}
    columns = []
    for path in spec.fields:
        field_type = types[path]
        if path in declared or field_type in (FieldType.STRING, FieldType.TIMESTAMP, FieldType.JSON):
            kind = _TEXT
        elif field_type is FieldType.FLOAT:
            kind = _FLOAT
        else:  # integer, boolean
            kind = _INTEGER
        columns.append(Column(path, column_name(path), kind, parse_path(path), path in declared))
    return tuple(columns)


def window_step_seconds(config: DatasetConfig) -> float:
    """Statistics are per window step: the window size, or a sliding window's period
    (``windows.assign.window_step_seconds``; config validation refuses session windows here)."""
    step = step_of_windows(config.window)
    assert step is not None, "data validation needs fixed or sliding windows"
    return step


def window_start(event_time: float, step: float) -> str:
    """The ISO start of the window step that holds ``event_time``: the slice key."""
    return to_iso(math.floor(event_time / step) * step)


def _convert(value: Any, kind: str) -> Any:
    """``value`` as the column's type, or None when it does not convert (counted as missing)."""
    if value is None:
        return None
    if kind == _TEXT:
        if isinstance(value, str):
            return value
        return json.dumps(value, sort_keys=True, default=str)
    if isinstance(value, bool):
        return int(value)
    try:
        return float(value) if kind == _FLOAT else int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def column_values(records: Sequence[dict], column: Column) -> list[list | None]:
    """Per record, the column's values (None when the record has none)."""
    out: list[list | None] = []
    for record in records:
        values = [
            v for v in (_convert(x, column.kind) for x in iter_values(record, column.steps)) if v is not None
        ]
        out.append(values or None)
    return out


def to_record_batch(
    records: Sequence[dict], event_times: Iterable[float] | None, columns: Sequence[Column], step: float
):
    """One Arrow RecordBatch (TFDV's input) for ``records``; without the window column when
    ``event_times`` is None (in streaming, Beam's windows hold the records of one window)."""
    import pyarrow as pa

    types = {_INTEGER: pa.int64(), _FLOAT: pa.float64(), _TEXT: pa.string()}
    arrays = [pa.array(column_values(records, c), type=pa.list_(types[c.kind])) for c in columns]
    names = [c.name for c in columns]
    if event_times is not None:
        arrays.append(pa.array([[window_start(t, step)] for t in event_times], type=pa.list_(pa.string())))
        names.append(WINDOW_COLUMN)
    return pa.RecordBatch.from_arrays(arrays, names)
