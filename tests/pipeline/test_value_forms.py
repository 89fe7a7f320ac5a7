"""Values beyond JSON from Parquet/Avro reach the outputs in their defined JSON form, and the
CSV sink neutralises spreadsheet formulas."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import run_cli
from tests.pipeline.helpers import example_config, read_jsonl_dir
from veilwatch.pipelines.sample_data import generate, write_jsonl

pytestmark = pytest.mark.pipeline


@pytest.fixture(scope="module")
def records():
    good, _ = generate("payments", days=1, seed=13, base_per_hour=2)
    return good


def _run(tmp_path, keyset, data, **changes):
    config = example_config(tmp_path, **changes)
    out = tmp_path / f"out-{len(list(tmp_path.glob('out-*')))}"
    result = run_cli(
        "run",
        "--dataset_config",
        config,
        "--input",
        data,
        "--output_dir",
        out,
        "--keyset",
        keyset,
        "--allow_plaintext_keys",
    )
    assert result.code == 0, result.err
    summary = json.loads((out / "run_summary.json").read_text())
    assert summary["records_read"] == (
        summary["records_anonymized"] + summary["records_dead_lettered"] + summary["records_suppressed"]
    )
    return out, summary


@pytest.mark.parametrize("policy", ["keep", "scan"])
def test_parquet_columns_of_every_kind_are_kept_as_json(tmp_path, keyset_path, records, policy):
    n = len(records)
    table = (
        pa.Table.from_pylist(records)
        .append_column("wait", pa.array([dt.timedelta(seconds=90)] * n, pa.duration("s")))
        .append_column("opened_at", pa.array([dt.time(10, 15)] * n, pa.time64("us")))
        .append_column("fee", pa.array([decimal.Decimal("-1.50")] * n, pa.decimal128(6, 2)))
        .append_column("blob", pa.array([b"\x00\x01"] * n, pa.binary()))
        .append_column("tags", pa.array([[("k", 7), ("j", 8)]] * n, pa.map_(pa.string(), pa.int16())))
    )
    path = tmp_path / "typed.parquet"
    pq.write_table(table, path)
    out, summary = _run(
        tmp_path, keyset_path, path, source={"format": "parquet"}, schema={"unknown_fields": policy}
    )
    assert summary["records_anonymized"] == n
    assert summary["records_dead_lettered"] == 0
    rows = read_jsonl_dir(out / "anonymized")
    assert len(rows) == n
    assert {(r["wait"], r["opened_at"], r["fee"], r["blob"], json.dumps(r["tags"])) for r in rows} == {
        (90, "10:15:00", "-1.50", "AAE=", '{"k": 7, "j": 8}')
    }


def _csv_rows(out):
    files = sorted((out / "anonymized").glob("part-*.csv"))
    assert files
    return [row for f in files for row in csv.DictReader(f.open(encoding="utf-8", newline=""))]


def test_csv_output_neutralises_formulas_unless_switched_off(tmp_path, keyset_path, records):
    hostile = [dict(r) for r in records[:4]]
    hostile[0]["merchant_reference"] = '=HYPERLINK("http://evil.example","click")'
    hostile[1]["merchant_reference"] = "+SUM(A1:A9)"
    hostile[2]["merchant_reference"] = "@cmd|' /C calc'!A0"
    hostile[3]["merchant_reference"] = "\t=1+1"
    for r in hostile:
        r["amount"] = -12.5  # a negative number is data, not a formula
    path = tmp_path / "hostile.jsonl"
    write_jsonl(str(path), hostile)

    out, _ = _run(tmp_path, keyset_path, path, sinks={"anonymized_format": "csv"})
    rows = {row["transaction_id"]: row for row in _csv_rows(out)}
    assert len(rows) == len(hostile)
    for record in hostile:
        row = rows[record["transaction_id"]]
        assert row["merchant_reference"] == "'" + record["merchant_reference"]
        assert row["amount"] == "-12.5"

    out, _ = _run(
        tmp_path, keyset_path, path, sinks={"anonymized_format": "csv", "csv_neutralize_formulas": False}
    )
    rows = {row["transaction_id"]: row for row in _csv_rows(out)}
    assert [rows[r["transaction_id"]]["merchant_reference"] for r in hostile] == [
        r["merchant_reference"] for r in hostile
    ]
