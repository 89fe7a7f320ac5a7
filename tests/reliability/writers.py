"""Write a batch of fuzzed payments records as JSONL, CSV, Avro or Parquet.

JSONL keeps every record as drawn (any nesting, ``NaN``/``Infinity``/``1e999``, lone
surrogates as ``\\uXXXX`` escapes). The tabular formats cannot hold arbitrary trees, so
fields outside the schema are projected: CSV gets one column per such key (a nested
value as its JSON text, the column name being the key, PII key names included); Avro
and Parquet get them under ``attrs`` (a map: its keys are the original key names,
with any characters, PII included) and ``nested`` (a map of maps: the keys one level
down), a deeper value as its JSON text.
"""

from __future__ import annotations

import csv
import json
import pathlib
import re
from typing import Any

import fastavro
import pyarrow as pa
import pyarrow.parquet as pq

COLUMNS = (
    "transaction_id",
    "ts",
    "customer.name",
    "customer.email",
    "customer.phone",
    "card_number",
    "iban",
    "ip_address",
    "amount",
    "currency",
    "merchant_category",
    "merchant_reference",
    "country",
    "note",
)
_RAW = re.compile(r'"\\u0000raw-json:([^"]*)"')
_LONG = (-(2**63), 2**63 - 1)


def _text(value: Any) -> str:
    return (
        value
        if isinstance(value, str)
        else json.dumps(value, ensure_ascii=False, allow_nan=True, default=str)
    )


def _get(record: dict, column: str) -> Any:
    if column.startswith("customer."):
        customer = record.get("customer")
        return customer.get(column.split(".", 1)[1]) if isinstance(customer, dict) else None
    return record.get(column)


def _extras(record: dict) -> dict:
    return {k: v for k, v in record.items() if k not in {c.split(".")[0] for c in COLUMNS}}


def json_line(record: dict) -> str:
    text = json.dumps(record, ensure_ascii=False, allow_nan=True)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: only an escape can carry it
        text = json.dumps(record, ensure_ascii=True, allow_nan=True)
    return _RAW.sub(r"\1", text)


def write_jsonl(path: pathlib.Path, records: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        for record in records:
            handle.write(json_line(record) + "\n")


def write_csv(path: pathlib.Path, records: list[dict]) -> None:
    extra_columns = list(dict.fromkeys(k for r in records for k in _extras(r)))
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([*COLUMNS, *extra_columns])
        for r in records:
            extras = _extras(r)
            cells = [_get(r, c) for c in COLUMNS] + [extras.get(k) for k in extra_columns]
            writer.writerow(["" if v is None else _text(v) for v in cells])


def _avro_scalar(value: Any) -> Any:
    if value is None or isinstance(value, (bool, float, str)):
        return value
    if isinstance(value, int) and _LONG[0] <= value <= _LONG[1]:
        return value
    return _text(value)


def _avro_extra(value: Any) -> Any:
    if isinstance(value, list):
        return [_text(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _text(v) for k, v in value.items()}
    return _avro_scalar(value)


_SCALARS = ["null", "string", "long", "double", "boolean"]
AVRO_SCHEMA = {
    "type": "record",
    "name": "payment",
    "fields": [
        *({"name": n, "type": _SCALARS} for n in ("transaction_id", "ts")),
        {
            "name": "customer",
            "type": [
                "null",
                {
                    "type": "record",
                    "name": "customer",
                    "fields": [{"name": n, "type": _SCALARS} for n in ("name", "email", "phone")],
                },
            ],
        },
        *(
            {"name": n, "type": _SCALARS}
            for n in (
                "card_number",
                "iban",
                "ip_address",
                "amount",
                "currency",
                "merchant_category",
                "merchant_reference",
                "country",
                "note",
            )
        ),
        {
            "name": "attrs",
            "type": [
                "null",
                {
                    "type": "map",
                    "values": [
                        *_SCALARS,
                        {"type": "array", "items": "string"},
                        {"type": "map", "values": "string"},
                    ],
                },
            ],
        },
    ],
}


def write_avro(path: pathlib.Path, records: list[dict]) -> None:
    rows = []
    for r in records:
        row = {
            c: _avro_scalar(r.get(c))
            for c in (
                "transaction_id",
                "ts",
                "card_number",
                "iban",
                "ip_address",
                "amount",
                "currency",
                "merchant_category",
                "merchant_reference",
                "country",
                "note",
            )
        }
        customer = r.get("customer")
        row["customer"] = (
            {k: _avro_scalar(customer.get(k)) for k in ("name", "email", "phone")}
            if isinstance(customer, dict)
            else None
        )
        extras = _extras(r)
        row["attrs"] = {str(k): _avro_extra(v) for k, v in extras.items()} if extras else None
        rows.append(row)
    with open(path, "wb") as handle:
        fastavro.writer(handle, fastavro.parse_schema(AVRO_SCHEMA), rows)


_STR = pa.string()
PARQUET_SCHEMA = pa.schema(
    [
        ("transaction_id", _STR),
        ("ts", _STR),
        ("customer", pa.struct([("name", _STR), ("email", _STR), ("phone", _STR)])),
        ("card_number", _STR),
        ("iban", _STR),
        ("ip_address", _STR),
        ("amount", pa.float64()),
        ("currency", _STR),
        ("merchant_category", _STR),
        ("merchant_reference", _STR),
        ("country", _STR),
        ("note", _STR),
        ("attrs", pa.map_(_STR, _STR)),
        ("nested", pa.map_(_STR, pa.map_(_STR, _STR))),
    ]
)


def _parquet_str(value: Any) -> str | None:
    return None if value is None else _text(value)


def write_parquet(path: pathlib.Path, records: list[dict]) -> None:
    rows = []
    for r in records:
        row = {
            c: _parquet_str(r.get(c))
            for c in (
                "transaction_id",
                "ts",
                "card_number",
                "iban",
                "ip_address",
                "currency",
                "merchant_category",
                "merchant_reference",
                "country",
                "note",
            )
        }
        amount = r.get("amount")
        row["amount"] = (
            float(amount)
            if isinstance(amount, (int, float))
            and not isinstance(amount, bool)
            and abs(amount) < 1e308
            or isinstance(amount, float)
            else None
        )
        customer = r.get("customer")
        row["customer"] = (
            {k: _parquet_str(customer.get(k)) for k in ("name", "email", "phone")}
            if isinstance(customer, dict)
            else None
        )
        extras = _extras(r)
        row["attrs"] = [(str(k), _text(v)) for k, v in extras.items() if not isinstance(v, dict)] or None
        row["nested"] = [
            (str(k), [(str(kk), _text(vv)) for kk, vv in v.items()])
            for k, v in extras.items()
            if isinstance(v, dict)
        ] or None
        rows.append(row)
    pq.write_table(pa.Table.from_pylist(rows, schema=PARQUET_SCHEMA), path)


WRITERS = {"jsonl": write_jsonl, "csv": write_csv, "avro": write_avro, "parquet": write_parquet}
