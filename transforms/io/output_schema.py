"""The shape of anonymized records in the columnar and tabular sinks.

JSONL keeps each record's nested structure. Avro, Parquet and CSV need one
fixed flat schema: every schema field becomes a column named by its path with
``.`` written ``__`` and ``[]`` dropped (``customer.email`` ->
``customer__email``). Declared PII fields are strings after
de-identification (tokens, masks, infoType names); list-valued paths and
``json`` fields are JSON text; timestamps keep their text form. Every column
is nullable.
"""

from __future__ import annotations

import json
from typing import Any

from veilwatch.transforms.config.model import DatasetConfig, FieldType
from veilwatch.transforms.records.paths import column_name, iter_values, parse_path

_AVRO_TYPES = {FieldType.INTEGER: "long", FieldType.FLOAT: "double", FieldType.BOOLEAN: "boolean"}


def output_fields(config: DatasetConfig) -> list[tuple[str, str]]:
    """(column name, avro primitive type) per schema field, in schema order."""
    pii_paths = {p.path for p in config.pii.fields} | set(config.pii.scan_fields)
    out = []
    for spec in config.fields:
        if spec.path in pii_paths or "[]" in spec.path:
            kind = "string"
        else:
            kind = _AVRO_TYPES.get(spec.type, "string")
        out.append((column_name(spec.path), kind))
    return out


def flatten(record: dict, config: DatasetConfig) -> dict[str, Any]:
    """The record as one flat row of the output schema."""
    row: dict[str, Any] = {}
    for (name, kind), spec in zip(output_fields(config), config.fields, strict=True):
        path = parse_path(spec.path)
        if "[]" in spec.path:
            values = [v for v in iter_values(record, path)]
            row[name] = json.dumps(values, default=str) if values else None
            continue
        value = next(iter_values(record, path), None)
        row[name] = _cast(value, kind)
    return row


def _cast(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "string":
        if isinstance(value, (dict, list)):
            return json.dumps(value, sort_keys=True, default=str)
        return (
            value
            if isinstance(value, str)
            else (value.isoformat() if hasattr(value, "isoformat") else str(value))
        )
    if kind == "long":
        return int(value)
    if kind == "double":
        return float(value)
    return bool(value)


def avro_schema(config: DatasetConfig) -> dict[str, Any]:
    name = "".join(ch if ch.isalnum() else "_" for ch in config.dataset) or "records"
    return {
        "type": "record",
        "name": f"{name}_anonymized",
        "namespace": "veilwatch",
        "fields": [{"name": n, "type": ["null", t], "default": None} for n, t in output_fields(config)],
    }


def parquet_schema(config: DatasetConfig):
    import pyarrow as pa

    types = {"string": pa.string(), "long": pa.int64(), "double": pa.float64(), "boolean": pa.bool_()}
    return pa.schema([(n, types[t]) for n, t in output_fields(config)])
