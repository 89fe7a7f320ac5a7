"""One bad file among good ones: the run goes on, the bad file is one file-level dead letter.

Each glob below mixes a good file with corrupt ones (truncated, empty, not the format at
all), or a CSV with a cell over the csv module's limit, or files that start with a UTF-8
byte order mark. Every run must exit 0, process the good files whole, count the bad files
in ``files_unreadable``, keep ``records_read == anonymized + dead_lettered``, and write
nothing of the bad files' personal data anywhere.
"""

from __future__ import annotations

import csv
import io
import json

import fastavro
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import run_cli
from tests.pipeline.helpers import all_output_text, example_config, read_jsonl_dir
from tests.pipeline.test_formats import AVRO_SCHEMA, COLUMNS, _flat
from veilwatch.pipelines.sample_data import generate

pytestmark = pytest.mark.pipeline


def _marked(records, tag):
    """Copies of ``records`` whose personal data is unique to ``tag`` (to look for in outputs)."""
    out = []
    for i, r in enumerate(records):
        r = json.loads(json.dumps(r))
        r["transaction_id"] = f"{tag}-{i}"
        r["customer"]["email"] = f"{tag}{i}@leak.example"
        r["customer"]["name"] = f"Zed {tag.capitalize()}leak{i}"
        out.append(r)
    return out


def _planted(records):
    return [r["customer"]["email"] for r in records] + [r["customer"]["name"] for r in records]


@pytest.fixture(scope="module")
def records():
    good, _ = generate("payments", days=1, seed=11, base_per_hour=6)
    return good


def _run(tmp_path, keyset, pattern, fmt):
    config = example_config(tmp_path, source={"format": fmt})
    out = tmp_path / "out"
    result = run_cli(
        "run",
        "--dataset_config",
        config,
        "--input",
        pattern,
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
    assert summary["all_records_accounted_for"] is True
    return out, summary, result.out


def _file_dead_letters(out):
    return sorted(
        (d for d in read_jsonl_dir(out / "dead_letter") if d["stage"] == "file"), key=lambda d: d["source"]
    )


def _assert_nothing_leaked(out, planted):
    assert planted
    text = all_output_text(out)
    leaked = [value for value in planted if value in text or value.lower() in text.lower()]
    assert leaked == []


def _avro(records, sync_interval=16_000):
    buffer = io.BytesIO()
    fastavro.writer(buffer, AVRO_SCHEMA, records, sync_interval=sync_interval)
    return buffer.getvalue()


def test_corrupt_avro_files_in_a_glob(tmp_path, keyset_path, records):
    data = tmp_path / "in"
    data.mkdir()
    (data / "a-good.avro").write_bytes(_avro(records))
    partial = _marked(records, "part")
    whole = _avro(partial, sync_interval=2_000)
    (data / "b-truncated.avro").write_bytes(whole[: len(whole) // 2])
    (data / "c-empty.avro").write_bytes(b"")
    text_rows = _marked(records[:5], "text")
    (data / "d-not-avro.avro").write_text("\n".join(json.dumps(r) for r in text_rows), encoding="utf-8")
    header_only = _marked(records[:5], "head")
    (data / "e-header-only.avro").write_bytes(_avro(header_only)[:60])

    out, summary, printed = _run(tmp_path, keyset_path, data / "*.avro", "avro")
    assert summary["files_unreadable"] == 4
    assert "files unreadable             4" in printed
    failures = _file_dead_letters(out)
    assert [d["source"].rsplit("/", 1)[1] for d in failures] == [
        "b-truncated.avro",
        "c-empty.avro",
        "d-not-avro.avro",
        "e-header-only.avro",
    ]
    assert all(d["record"] is None for d in failures)
    # The truncated file's first blocks were read and processed; the rest is its dead letter.
    read_before = int(failures[0]["error"].split("its first ")[1].split(" records")[0].replace(",", ""))
    assert 0 < read_before < len(partial)
    assert summary["records_read"] == len(records) + read_before
    assert summary["records_dead_lettered"] == 0
    ids = {r["transaction_id"] for r in read_jsonl_dir(out / "anonymized")}
    assert {r["transaction_id"] for r in records} <= ids  # the good file, whole
    assert ids - {r["transaction_id"] for r in records} == {f"part-{i}" for i in range(read_before)}
    _assert_nothing_leaked(out, _planted(partial) + _planted(text_rows) + _planted(header_only))


def test_corrupt_parquet_files_in_a_glob(tmp_path, keyset_path, records):
    data = tmp_path / "in"
    data.mkdir()
    pq.write_table(pa.Table.from_pylist(records), data / "a-good.parquet")
    truncated = _marked(records, "trunc")
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(truncated), buffer, row_group_size=50)
    (data / "b-truncated.parquet").write_bytes(buffer.getvalue()[:-300])
    text_rows = _marked(records[:5], "csvish")
    (data / "c-not-parquet.parquet").write_text(
        "\n".join(",".join(str(v) for v in _flat(r)) for r in text_rows), encoding="utf-8"
    )
    (data / "d-empty.parquet").write_bytes(b"")

    out, summary, _ = _run(tmp_path, keyset_path, data / "*.parquet", "parquet")
    assert summary["files_unreadable"] == 3
    assert [d["source"].rsplit("/", 1)[1] for d in _file_dead_letters(out)] == [
        "b-truncated.parquet",
        "c-not-parquet.parquet",
        "d-empty.parquet",
    ]
    assert summary["records_read"] == summary["records_anonymized"] == len(records)
    assert len(read_jsonl_dir(out / "anonymized")) == len(records)
    _assert_nothing_leaked(out, _planted(truncated) + _planted(text_rows))


def _write_csv(path, rows, bom=False):
    with open(path, "w", newline="", encoding="utf-8-sig" if bom else "utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(["" if v is None else v for v in _flat(r)] for r in rows)


def test_big_csv_cells_and_byte_order_marks(tmp_path, keyset_path, records):
    data = tmp_path / "in"
    data.mkdir()
    half = len(records) // 2
    first, second = [json.loads(json.dumps(r)) for r in records[:half]], records[half:]
    # A note over the csv module's 131,072-character limit (within max_record_bytes): read and scanned.
    first[0]["note"] = "pad " * 40_000 + "mail bigcell@leak.example please"
    # A note over max_record_bytes (1 MiB), with newlines and a row-like line inside: one dead letter.
    first[1]["note"] = (
        "x" * 600_000 + "\nt-fake,2026-11-02T00:00:00Z,Ann,hugecell@leak.example\n" + "y" * 600_000
    )
    _write_csv(data / "a.csv", first, bom=True)
    _write_csv(data / "b.csv", second, bom=True)

    out, summary, _ = _run(tmp_path, keyset_path, data / "*.csv", "csv")
    assert summary["files_unreadable"] == 0
    assert summary["records_read"] == len(records)
    assert summary["dead_letters_by_stage"] == {"read": 1}
    assert summary["records_anonymized"] == len(records) - 1
    dead = read_jsonl_dir(out / "dead_letter")
    assert [d["error"] for d in dead] == ["record larger than max_record_bytes (1048576)"]
    anonymized = {r["transaction_id"]: r for r in read_jsonl_dir(out / "anonymized")}
    assert set(anonymized) == {r["transaction_id"] for r in records} - {first[1]["transaction_id"]}
    big = anonymized[first[0]["transaction_id"]]["note"]
    assert len(big) > 131_072
    assert "EMAIL_TOKEN" in big
    _assert_nothing_leaked(out, ["bigcell@leak.example", "hugecell@leak.example", "t-fake"])


def test_a_jsonl_file_with_a_byte_order_mark(tmp_path, keyset_path, records):
    data = tmp_path / "in"
    data.mkdir()
    (data / "bom.jsonl").write_bytes(
        b"\xef\xbb\xbf" + "".join(json.dumps(r) + "\n" for r in records).encode()
    )
    out, summary, _ = _run(tmp_path, keyset_path, data / "*.jsonl", "jsonl")
    assert summary["records_dead_lettered"] == 0
    assert summary["records_anonymized"] == len(records)
