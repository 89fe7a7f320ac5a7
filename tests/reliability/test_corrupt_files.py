"""One glob per source format mixing good files with broken ones: the run goes on and counts what it could not read.

Avro: truncated, not Avro at all, empty. Parquet: truncated, not Parquet, empty. CSV: a
UTF-8 byte order mark (read like any file), a 200,000-character cell (over the csv
module's own 131,072 limit, under max_record_bytes: read, scanned), an empty file and a
UTF-16 file (one file-level dead letter). JSONL: a byte order mark, an empty file and a
last line cut short (one parse dead letter). Every run exits 0, accounts for every record
read, counts the unreadable files, processes every good record, and leaks nothing.
"""

from __future__ import annotations

import codecs
import json

import pytest

from tests.pipeline.helpers import read_jsonl_dir
from tests.reliability.conftest import CHECKED
from tests.reliability.harness import payments_config, run_cli_captured
from tests.reliability.leaks import find_leaks, output_texts
from tests.reliability.plants import make
from tests.reliability.writers import json_line, write_avro, write_csv, write_jsonl, write_parquet
from veilwatch.pipelines.sample_data import generate

pytestmark = pytest.mark.pipeline

BIG_CELL = 200_000


def _good(seed: int) -> list[dict]:
    records, _ = generate("payments", days=1, seed=seed, base_per_hour=1)
    return records


def _avro(directory):
    good = _good(1)
    write_avro(directory / "good.avro", good)
    data = (directory / "good.avro").read_bytes()
    write_avro(directory / "other.avro", _good(2))
    (directory / "truncated.avro").write_bytes((directory / "other.avro").read_bytes()[: len(data) // 2])
    (directory / "other.avro").unlink()
    (directory / "not-avro.avro").write_bytes(b'{"this is": "json, not avro"}\n')
    (directory / "empty.avro").write_bytes(b"")
    return good, 3, []


def _parquet(directory):
    good = _good(1)
    write_parquet(directory / "good.parquet", good)
    write_parquet(directory / "other.parquet", _good(2))
    data = (directory / "other.parquet").read_bytes()
    (directory / "other.parquet").unlink()
    (directory / "truncated.parquet").write_bytes(data[: len(data) // 2])
    (directory / "not-parquet.parquet").write_bytes(b"PAR1 but nothing else")
    (directory / "empty.parquet").write_bytes(b"")
    return good, 3, []


def _csv(directory):
    good, bom = _good(1), _good(2)
    write_csv(directory / "good.csv", good)
    write_csv(directory / "bom.csv", bom)
    (directory / "bom.csv").write_bytes(codecs.BOM_UTF8 + (directory / "bom.csv").read_bytes())
    plants = [make("email", 41, "big-cell:start"), make("card", 42, "big-cell:end")]
    big = dict(good[0], transaction_id="big-cell")
    # the scanned note itself: 200,000 characters with the planted values at its two ends (this hung
    # the NER rule layer's regexes once; they are linear now, tests/unit/detection/test_ner.py)
    big["note"] = f"{plants[0].value} " + "x" * BIG_CELL + f" {plants[1].value}"
    write_csv(directory / "big-cell.csv", [big])
    (directory / "empty.csv").write_bytes(b"")
    (directory / "utf16.csv").write_bytes(
        codecs.BOM_UTF16_LE + "transaction_id,ts\nt-1,x\n".encode("utf-16-le")
    )
    return good + bom + [big], 1, plants


def _jsonl(directory):
    good, bom = _good(1), _good(2)
    write_jsonl(directory / "good.jsonl", good)
    write_jsonl(directory / "bom.jsonl", bom)
    (directory / "bom.jsonl").write_bytes(codecs.BOM_UTF8 + (directory / "bom.jsonl").read_bytes())
    (directory / "empty.jsonl").write_bytes(b"")
    plant = make("email", 43, "cut-line")
    cut = json_line(dict(good[0], transaction_id="cut", note=f"mail {plant.value} now"))
    (directory / "truncated.jsonl").write_text(
        json_line(good[1] | {"transaction_id": "whole"}) + "\n" + cut[: len(cut) - 10], encoding="utf-8"
    )
    return good + bom + [good[1] | {"transaction_id": "whole"}], 0, [plant]


BUILD = {"avro": _avro, "parquet": _parquet, "csv": _csv, "jsonl": _jsonl}


@pytest.mark.parametrize("fmt", list(BUILD))
def test_a_broken_file_among_good_ones_is_counted_and_the_rest_is_processed(tmp_path, keyset_path, fmt):
    directory = tmp_path / "in"
    directory.mkdir()
    expected, unreadable, plants = BUILD[fmt](directory)
    out = tmp_path / "out"
    config = payments_config(tmp_path, fmt, "drop")
    code, own_output = run_cli_captured(
        "run",
        "--dataset_config",
        config,
        "--input",
        directory / f"*.{fmt}",
        "--output_dir",
        out,
        "--keyset",
        keyset_path,
        "--allow_plaintext_keys",
    )
    assert code == 0, own_output["stderr"][-3000:]
    summary = json.loads((out / "run_summary.json").read_text())
    assert summary["records_read"] == (
        summary["records_anonymized"] + summary["records_dead_lettered"] + summary["records_suppressed"]
    )
    assert summary["all_records_accounted_for"] is True
    assert summary["files_unreadable"] == unreadable, summary
    if fmt == "jsonl":
        assert summary["dead_letters_by_stage"] == {"parse": 1}, summary  # the cut line, nothing else
    else:
        assert summary["records_dead_lettered"] == 0, summary
    if fmt in ("avro", "parquet"):
        anonymized = [row["transaction_id"] for row in _tabular_rows(out, fmt)]
    else:
        anonymized = [r["transaction_id"] for r in _anonymized(out, fmt)]
    assert sorted(anonymized) == sorted(r["transaction_id"] for r in expected)
    file_letters = [
        json.loads(line)
        for p in sorted((out / "dead_letter").glob("part-*"))
        for line in p.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    assert sum(1 for d in file_letters if d["stage"] == "file") == unreadable
    leaks = find_leaks(plants, {**output_texts(out), **own_output})
    CHECKED["corrupt-file runs"] += 1
    assert not leaks, "\n".join(map(str, leaks))


def _anonymized(out, fmt):
    if fmt == "jsonl":
        return read_jsonl_dir(out / "anonymized")
    import csv

    return [
        row
        for p in sorted((out / "anonymized").glob("part-*.csv"))
        for row in csv.DictReader(p.open(encoding="utf-8", newline=""))
    ]


def _tabular_rows(out, fmt):
    rows = []
    for p in sorted((out / "anonymized").glob(f"part-*.{fmt}")):
        if fmt == "avro":
            import fastavro

            with p.open("rb") as handle:
                rows.extend(fastavro.reader(handle))
        else:
            import pyarrow.parquet as pq

            rows.extend(pq.read_table(p).to_pylist())
    return rows
