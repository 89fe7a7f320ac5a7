"""JSONL, CSV, Avro and Parquet in and out give the same anonymized records."""

from __future__ import annotations

import csv
import json

import fastavro
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import run_cli
from tests.pipeline.helpers import example_config, read_jsonl_dir
from veilwatch.pipelines.sample_data import generate, write_jsonl

pytestmark = pytest.mark.pipeline

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

AVRO_SCHEMA = {
    "type": "record",
    "name": "payment",
    "fields": [
        {"name": "transaction_id", "type": "string"},
        {"name": "ts", "type": "string"},
        {
            "name": "customer",
            "type": {
                "type": "record",
                "name": "customer",
                "fields": [{"name": n, "type": ["null", "string"]} for n in ("name", "email", "phone")],
            },
        },
        *({"name": n, "type": ["null", "string"]} for n in ("card_number", "iban", "ip_address")),
        {"name": "amount", "type": "double"},
        *(
            {"name": n, "type": ["null", "string"]}
            for n in ("currency", "merchant_category", "merchant_reference", "country", "note")
        ),
    ],
}


def _flat(record):
    return [record["customer"][c.split(".")[1]] if c.startswith("customer.") else record[c] for c in COLUMNS]


@pytest.fixture(scope="module")
def feed(tmp_path_factory):
    directory = tmp_path_factory.mktemp("formats")
    records, _ = generate("payments", days=1, seed=5, base_per_hour=12)
    write_jsonl(str(directory / "in.jsonl"), records)
    with open(directory / "in.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(["" if v is None else v for v in _flat(r)] for r in records)
    with open(directory / "in.avro", "wb") as handle:
        fastavro.writer(handle, AVRO_SCHEMA, records)
    pq.write_table(pa.Table.from_pylist(records), directory / "in.parquet")
    return directory, records


def _run(tmp_path, keyset, data, fmt, out_format="jsonl"):
    config = example_config(tmp_path, source={"format": fmt}, sinks={"anonymized_format": out_format})
    out = tmp_path / f"out-{fmt}-{out_format}"
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
    assert summary["records_dead_lettered"] == 0, summary
    return out


@pytest.mark.parametrize("fmt", ["csv", "avro", "parquet"])
def test_every_input_format_gives_the_jsonl_result(feed, tmp_path, keyset_path, fmt):
    directory, records = feed
    by_id = lambda rs: {r["transaction_id"]: r for r in rs}  # noqa: E731
    expected = by_id(
        read_jsonl_dir(_run(tmp_path, keyset_path, directory / "in.jsonl", "jsonl") / "anonymized")
    )
    got = by_id(read_jsonl_dir(_run(tmp_path, keyset_path, directory / f"in.{fmt}", fmt) / "anonymized"))
    assert len(got) == len(records)
    assert got == expected


@pytest.mark.parametrize("out_format", ["csv", "avro", "parquet"])
def test_every_output_format_holds_the_anonymized_records(feed, tmp_path, keyset_path, out_format):
    directory, records = feed
    out = _run(tmp_path, keyset_path, directory / "in.jsonl", "jsonl", out_format)
    files = sorted((out / "anonymized").glob(f"part-*.{out_format}"))
    assert files
    if out_format == "csv":
        rows = [row for f in files for row in csv.DictReader(f.open(encoding="utf-8"))]
        emails = {row["customer.email"] for row in rows}
    elif out_format == "avro":
        rows = [row for f in files for row in fastavro.reader(f.open("rb"))]
        emails = {row["customer__email"] for row in rows}
    else:
        rows = [row for f in files for row in pq.read_table(f).to_pylist()]
        emails = {row["customer__email"] for row in rows}
    assert len(rows) == len(records)
    originals = {r["customer"]["email"] for r in records}
    assert len(emails) == len(originals)
    assert not emails & originals  # tokens, one per customer
