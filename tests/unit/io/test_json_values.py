"""Every Arrow type and every Avro logical type read from a file has a defined JSON form."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid

import fastavro
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from veilwatch.transforms.io.json_values import NoJsonForm, to_json_ready
from veilwatch.transforms.io.sinks import to_json_line
from veilwatch.transforms.io.sources import read_avro, read_parquet

UTC = dt.UTC
TS = dt.datetime(2026, 11, 27, 10, 15, 0, 250000, tzinfo=UTC)

ARROW_COLUMNS = {
    # name: (arrow array of one value, expected JSON form)
    "duration_s": (pa.array([dt.timedelta(seconds=90)], pa.duration("s")), 90),
    "duration_ms": (pa.array([90_500], pa.duration("ms")), 90.5),
    "duration_ns": (pa.array([1_234_567_891], pa.duration("ns")), 1.234567891),
    "time32": (pa.array([dt.time(10, 15, 3)], pa.time32("s")), "10:15:03"),
    "time64": (pa.array([dt.time(10, 15, 3, 250)], pa.time64("us")), "10:15:03.000250"),
    "date32": (pa.array([dt.date(2026, 11, 27)], pa.date32()), "2026-11-27"),
    "date64": (pa.array([dt.date(2026, 11, 27)], pa.date64()), "2026-11-27"),
    "timestamp_tz": (pa.array([TS], pa.timestamp("us", tz="UTC")), "2026-11-27T10:15:00.250000+00:00"),
    "timestamp_naive": (
        pa.array([TS.replace(tzinfo=None)], pa.timestamp("ms")),
        "2026-11-27T10:15:00.250000",
    ),
    "decimal": (pa.array([decimal.Decimal("-12.50")], pa.decimal128(10, 2)), "-12.50"),
    "decimal256": (pa.array([decimal.Decimal("1.5")], pa.decimal256(40, 1)), "1.5"),
    "binary": (pa.array([b"\x00\xffab"], pa.binary()), "AP9hYg=="),
    "large_binary": (pa.array([b"ab"], pa.large_binary()), "YWI="),
    "fixed_binary": (pa.array([b"abcd"], pa.binary(4)), "YWJjZA=="),
    "list": (pa.array([[1, 2]], pa.list_(pa.int64())), [1, 2]),
    "large_list": (pa.array([["a"]], pa.large_list(pa.string())), ["a"]),
    "list_of_durations": (pa.array([[1, 2]], pa.list_(pa.duration("s"))), [1, 2]),
    "map": (pa.array([[("a", 1), ("b", 2)]], pa.map_(pa.string(), pa.int64())), {"a": 1, "b": 2}),
    "int_keyed_map": (pa.array([[(1, "x")]], pa.map_(pa.int64(), pa.string())), {"1": "x"}),
    "struct": (
        pa.array([{"d": dt.date(2026, 1, 2), "n": 1}], pa.struct([("d", pa.date32()), ("n", pa.int64())])),
        {"d": "2026-01-02", "n": 1},
    ),
    "dictionary": (pa.array(["cat"]).dictionary_encode(), "cat"),
    "null": (pa.array([None], pa.null()), None),
    "large_string": (pa.array(["x"], pa.large_string()), "x"),
}
# Types this pyarrow cannot write to Parquet, but Arrow rows may still carry.
ARROW_ONLY = {
    "float16": (pa.array([np.float16(1.5)], pa.float16()), 1.5),
    "interval": (
        pa.array([pa.MonthDayNano([1, 2, 3])], pa.month_day_nano_interval()),
        {"months": 1, "days": 2, "nanoseconds": 3},
    ),
}


def _json_text_of(value):
    return json.loads(to_json_line({"v": value}))["v"]


def test_every_arrow_type_read_from_parquet_has_its_json_form(tmp_path):
    path = tmp_path / "types.parquet"
    table = pa.Table.from_arrays([a for a, _ in ARROW_COLUMNS.values()], names=list(ARROW_COLUMNS))
    pq.write_table(table, path)
    items = list(read_parquet(str(path), 100))
    assert len(items) == 1
    assert items[0].error is None
    row = items[0].payload
    assert set(row) == set(ARROW_COLUMNS)
    for name, (_, expected) in ARROW_COLUMNS.items():
        assert _json_text_of(row[name]) == expected, name
    # Only a timestamp stays a datetime (the event time reads it); everything else is plain JSON.
    plain = {k: v for k, v in row.items() if not k.startswith("timestamp")}
    assert json.loads(json.dumps(plain)) == plain


def test_arrow_types_parquet_cannot_hold_have_their_json_form_too():
    batch = pa.RecordBatch.from_arrays([a for a, _ in ARROW_ONLY.values()], names=list(ARROW_ONLY))
    row = to_json_ready(batch.to_pylist()[0])
    assert row == {name: expected for name, (_, expected) in ARROW_ONLY.items()}
    assert json.loads(json.dumps(row)) == row


def test_every_avro_logical_type_has_its_json_form(tmp_path):
    schema = {
        "type": "record",
        "name": "r",
        "fields": [
            {
                "name": "decimal",
                "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2},
            },
            {"name": "uuid", "type": {"type": "string", "logicalType": "uuid"}},
            {"name": "date", "type": {"type": "int", "logicalType": "date"}},
            {"name": "time_millis", "type": {"type": "int", "logicalType": "time-millis"}},
            {"name": "time_micros", "type": {"type": "long", "logicalType": "time-micros"}},
            {"name": "ts_millis", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "ts_micros", "type": {"type": "long", "logicalType": "timestamp-micros"}},
            {"name": "local_ts", "type": {"type": "long", "logicalType": "local-timestamp-millis"}},
            {
                "name": "duration",
                "type": ["null", {"type": "fixed", "size": 12, "name": "d", "logicalType": "duration"}],
            },
            {"name": "durations", "type": {"type": "array", "items": "d"}},
            {"name": "raw", "type": "bytes"},
            {"name": "fixed", "type": {"type": "fixed", "size": 2, "name": "f2"}},
            {"name": "enum", "type": {"type": "enum", "name": "e", "symbols": ["A", "B"]}},
            {"name": "map", "type": {"type": "map", "values": {"type": "int", "logicalType": "date"}}},
        ],
    }
    ident = uuid.UUID("8c1e5b3c-8f3a-4d4e-9b1a-2f6f1f0e9a11")
    duration = (1).to_bytes(4, "little") + (2).to_bytes(4, "little") + (3000).to_bytes(4, "little")
    record = {
        "decimal": decimal.Decimal("-12.50"),
        "uuid": ident,
        "date": dt.date(2026, 11, 27),
        "time_millis": dt.time(10, 15, 3, 250000),
        "time_micros": dt.time(10, 15, 3, 5),
        "ts_millis": TS,
        "ts_micros": TS,
        "local_ts": TS.replace(tzinfo=None),
        "duration": duration,
        "durations": [duration],
        "raw": b"\x01\x02",
        "fixed": b"ab",
        "enum": "B",
        "map": {"k": dt.date(2026, 1, 1)},
    }
    path = tmp_path / "types.avro"
    with open(path, "wb") as handle:
        fastavro.writer(handle, schema, [record])
    items = list(read_avro(str(path)))
    assert len(items) == 1
    assert items[0].error is None
    got = json.loads(to_json_line(items[0].payload))
    assert got == {
        "decimal": "-12.50",
        "uuid": str(ident),
        "date": "2026-11-27",
        "time_millis": "10:15:03.250000",
        "time_micros": "10:15:03.000005",
        "ts_millis": "2026-11-27T10:15:00.250000+00:00",
        "ts_micros": "2026-11-27T10:15:00.250000+00:00",
        "local_ts": "2026-11-27T10:15:00.250000",
        "duration": {"months": 1, "days": 2, "milliseconds": 3000},
        "durations": [{"months": 1, "days": 2, "milliseconds": 3000}],
        "raw": "AQI=",
        "fixed": "YWI=",
        "enum": "B",
        "map": {"k": "2026-01-01"},
    }


def test_a_value_without_a_json_form_is_a_read_error_naming_only_its_type(tmp_path):
    with pytest.raises(NoJsonForm, match="^a value of type complex has no JSON form$"):
        to_json_ready({"x": [{"y": complex(1, 2)}]})


def test_a_map_with_two_equal_keys_is_refused_not_cut(tmp_path):
    with pytest.raises(NoJsonForm, match="two equal keys"):
        to_json_ready({"m": [(1, "a"), ("1", "b")]})


def test_deep_values_are_converted_without_recursion():
    record: dict = {}
    node = record
    for _ in range(5000):
        node["n"] = {}
        node = node["n"]
    node["d"] = dt.date(2026, 1, 1)
    to_json_ready(record)
    assert node["d"] == "2026-01-01"


def test_bigquery_rows_get_the_same_json_forms():
    from veilwatch.transforms.config.model import BigQuerySourceSpec, SourceFormat, SourceSpec
    from veilwatch.transforms.io.bigquery import RowsToBatchFn

    source = SourceSpec(SourceFormat.BIGQUERY, "", bigquery=BigQuerySourceSpec(table="p:d.t"))
    rows = [
        {
            "n": decimal.Decimal("1.10"),
            "d": dt.date(2026, 1, 2),
            "t": dt.time(1, 2),
            "b": b"\x01",
            "ts": TS,
            "r": {"x": [decimal.Decimal("2")]},
        }
    ]
    (batch,) = RowsToBatchFn(source).process(rows)
    assert batch.items[0].error is None
    assert batch.items[0].payload == {
        "n": "1.10",
        "d": "2026-01-02",
        "t": "01:02:00",
        "b": "AQ==",
        "ts": TS,
        "r": {"x": ["2"]},
    }
