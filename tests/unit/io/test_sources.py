"""File sources on hostile files: big CSV cells, byte order marks, files that cannot be read (no Beam runner)."""

from __future__ import annotations

import csv
import gzip
import io
import json

import fastavro
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from veilwatch.transforms.config.model import SourceFormat, SourceSpec
from veilwatch.transforms.io.sources import FileRange, ReadRangesFn, read_csv, read_lines

MIB = 1_048_576
AVRO_SCHEMA = {
    "type": "record",
    "name": "r",
    "fields": [{"name": "id", "type": "string"}, {"name": "email", "type": "string"}],
}


def _records(n, tag):
    return [{"id": f"{tag}-{i}", "email": f"{tag}-{i}@leak.example"} for i in range(n)]


def _read(path, fmt, batch_size=1000, **source):
    """Every batch ReadRangesFn emits for the whole file: (items, file errors)."""
    fn = ReadRangesFn(SourceSpec(SourceFormat(fmt), str(path), **source), batch_size)
    batches = list(fn.read_range(FileRange(str(path), 0, None)))
    return [i for b in batches for i in b.items], [e for b in batches for e in b.file_errors]


# --- 7: CSV cells beyond the csv module's default field size limit ---------------------------


def test_a_csv_cell_beyond_131072_characters_is_read(tmp_path):
    path = tmp_path / "big.csv"
    big = "n" * 400_000  # over csv's default limit (131,072), under max_record_bytes (1 MiB)
    path.write_text(f'id,note\n1,{big}\n2,"{big}"\n3,small\n', encoding="utf-8")
    items = list(read_csv(str(path), ",", MIB))
    assert [i.error for i in items] == [None, None, None]
    assert [i.payload["note"] for i in items] == [big, big, "small"]


def test_a_csv_row_over_max_record_bytes_is_an_error_row_and_the_next_rows_are_read(tmp_path):
    path = tmp_path / "huge.csv"
    # The oversized quoted cell holds newlines and a line that looks like a row: none of it
    # may come out as a row of its own.
    inner = "x" * 700_000 + "\n9,hidden-row@leak.example\n" + "y" * 700_000
    path.write_text(f'id,note\n1,a\n2,"{inner}"\n3,c\n', encoding="utf-8")
    items = list(read_csv(str(path), ",", MIB))
    assert [i.ref.rsplit("#", 1)[1] for i in items] == ["2", "3", "4"]
    assert items[0].payload == {"id": "1", "note": "a"}
    assert items[1].payload is None
    assert items[1].error == f"record larger than max_record_bytes ({MIB})"
    assert items[2].payload == {"id": "3", "note": "c"}


def test_a_csv_row_counts_utf8_bytes_against_max_record_bytes(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("id,note\n1," + "é" * 600_000 + "\n2,ok\n", encoding="utf-8")  # 1.2 MB in 600k characters
    items = list(read_csv(str(path), ",", MIB))
    assert items[0].error == f"record larger than max_record_bytes ({MIB})"
    assert items[1].payload == {"id": "2", "note": "ok"}


def test_a_row_the_csv_module_refuses_is_an_error_row(tmp_path):
    path = tmp_path / "strict.csv"
    path.write_text("id,note\n1,a\n2,b\n", encoding="utf-8")
    # A row of many small cells, each under the limit, over max_record_bytes in total.
    with open(path, "a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow(["3"] + ["z" * 1000] * 2000)
        handle.write("4,d\n")
    items = list(read_csv(str(path), ",", MIB))
    assert [i.error is None for i in items] == [True, True, False, True]
    assert items[3].payload == {"id": "4", "note": "d"}


# --- 12: UTF-8 byte order marks ---------------------------------------------------------------


def test_a_bom_is_dropped_from_a_csv_header(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfid,note\n1,a\n")
    assert [i.payload for i in read_csv(str(path), ",", MIB)] == [{"id": "1", "note": "a"}]


def test_a_bom_is_dropped_from_the_first_jsonl_line_only_at_offset_0(tmp_path):
    path = tmp_path / "bom.jsonl"
    lines = [json.dumps({"id": i}).encode() for i in range(40)]
    data = b"\xef\xbb\xbf" + b"\n".join(lines) + b"\n"
    path.write_bytes(data)
    whole = list(read_lines(FileRange(str(path), 0, None), MIB))
    assert [json.loads(i.payload)["id"] for i in whole] == list(range(40))
    assert whole[0].payload == lines[0]  # without the mark (json.loads of bytes would hide it)
    assert whole[0].ref.endswith("@0")
    assert whole[1].ref.endswith(f"@{3 + len(lines[0]) + 1}")
    # Split into byte ranges: the same lines, once each.
    middle = len(data) // 2
    split = list(read_lines(FileRange(str(path), 0, middle), MIB)) + list(
        read_lines(FileRange(str(path), middle, len(data)), MIB)
    )
    assert [i.payload for i in split] == [i.payload for i in whole]


def test_bom_bytes_later_in_a_jsonl_file_are_data(tmp_path):
    path = tmp_path / "later.jsonl"
    path.write_bytes(b'{"id": 0}\n\xef\xbb\xbf{"id": 1}\n')
    items = list(read_lines(FileRange(str(path), 0, None), MIB))
    assert items[1].payload.startswith(b"\xef\xbb\xbf")


# --- 8: files that cannot be read ------------------------------------------------------------


def _avro_bytes(records, sync_interval=16_000):
    buffer = io.BytesIO()
    fastavro.writer(buffer, AVRO_SCHEMA, records, sync_interval=sync_interval)
    return buffer.getvalue()


def _parquet_bytes(records):
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(records), buffer, row_group_size=100)
    return buffer.getvalue()


BAD_FILES = {
    "empty.avro": (lambda: b"", "the file is empty"),
    "text.avro": (lambda: b"this is no avro file at all\n", "not an Avro object container file"),
    "header-only.avro": (
        lambda: _avro_bytes(_records(50, "h"))[:40],
        "the Avro file is truncated or corrupt",
    ),
    "empty.parquet": (lambda: b"", "the file is empty"),
    "text.parquet": (lambda: b"id,email\n1,a@b.example\n", "not a Parquet file"),
    "truncated.parquet": (
        lambda: _parquet_bytes(_records(300, "p"))[:-200],
        "the Parquet file is truncated or corrupt",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_an_unreadable_file_is_one_file_error_not_a_crash(tmp_path, name):
    make, reason = BAD_FILES[name]
    path = tmp_path / name
    path.write_bytes(make())
    items, errors = _read(path, name.rsplit(".", 1)[1])
    assert items == []
    assert len(errors) == 1
    assert errors[0].path == str(path)
    assert errors[0].records_before == 0
    assert errors[0].reason.startswith(reason), errors[0].reason
    assert "leak" not in errors[0].reason
    assert "@" not in errors[0].reason


def test_an_avro_file_truncated_part_way_keeps_the_records_before_the_failure(tmp_path):
    records = _records(3000, "t")
    data = _avro_bytes(records, sync_interval=2000)  # many blocks
    path = tmp_path / "part.avro"
    path.write_bytes(data[: len(data) * 2 // 3])
    items, errors = _read(path, "avro", batch_size=100)
    assert 0 < len(items) < len(records)
    assert [i.payload for i in items] == records[: len(items)]  # read in order, nothing skipped
    assert len(errors) == 1
    assert errors[0].records_before == len(items)
    assert errors[0].reason.startswith("the Avro file is truncated or corrupt")


def test_a_corrupt_gzip_jsonl_file_is_a_file_error(tmp_path):
    path = tmp_path / "broken.jsonl.gz"
    path.write_bytes(gzip.compress(b'{"id": 1}\n' * 10)[:-30] + b"garbage")
    items, errors = _read(path, "jsonl")
    assert len(errors) == 1
    assert errors[0].reason.startswith("the file cannot be read or decompressed")
    assert errors[0].records_before == len(items)


def test_a_csv_file_that_is_not_utf8_at_all_still_gives_rows_not_a_crash(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("id,note\n1,caf\xe9\n2,ok\n".encode("latin-1"))
    items, errors = _read(path, "csv")
    assert errors == []
    assert [i.error for i in items] == ["row is not valid UTF-8", None]


def test_a_gzip_jsonl_file_is_read(tmp_path):
    path = tmp_path / "good.jsonl.gz"
    path.write_bytes(gzip.compress(b"\xef\xbb\xbf" + b"".join(b'{"id": %d}\n' % i for i in range(500))))
    items, errors = _read(path, "jsonl")
    assert errors == []
    assert [json.loads(i.payload)["id"] for i in items] == list(range(500))


def test_a_gzip_csv_file_is_read(tmp_path):
    path = tmp_path / "good.csv.gz"
    path.write_bytes(gzip.compress(b"\xef\xbb\xbfid,note\n1,a\n2,b\n"))
    items, errors = _read(path, "csv")
    assert errors == []
    assert [i.payload for i in items] == [{"id": "1", "note": "a"}, {"id": "2", "note": "b"}]


def test_reidentify_turns_a_file_error_into_a_file_dead_letter_not_a_record():
    from apache_beam import pvalue

    from veilwatch.transforms.deid.reidentify import ReidentifyBatchFn
    from veilwatch.transforms.io.sources import FileError, RawBatch

    fn = ReidentifyBatchFn(lambda: None, redactor=None)
    fn.setup()
    batch = RawBatch(SourceFormat.AVRO, (), (FileError("/in/x.avro", "the file is empty", 0),))
    outputs = {o.tag: o.value for o in fn.process(batch) if isinstance(o, pvalue.TaggedOutput)}
    assert outputs["dead_letters"] == [
        {
            "stage": "file",
            "error": "the file is empty; no record of it was read",
            "source": "/in/x.avro",
            "record": None,
        }
    ]
    assert outputs["stats"] == {
        "records_read": 0,
        "records_reidentified": 0,
        "records_dead_lettered": 0,
        "unreadable_file|/in/x.avro": 1,
    }


@pytest.mark.parametrize("fmt,encoding", [("jsonl", "utf-16"), ("csv", "utf-16"), ("csv", "utf-32")])
def test_a_utf16_or_utf32_file_is_a_file_error_not_a_dead_letter_per_row(tmp_path, fmt, encoding):
    path = tmp_path / f"wide.{fmt}"
    text = '{"id": 1}\n{"id": 2}\n' if fmt == "jsonl" else "id,note\n1,a\n2,b\n"
    path.write_bytes(text.encode(encoding))  # Python writes the byte order mark first
    items, errors = _read(path, fmt)
    assert items == []
    assert len(errors) == 1
    assert errors[0].reason.startswith("the file is UTF-16 or UTF-32 encoded")


# --- #15: the file listing and splitting in one step ---------------------------------------


def test_the_read_lists_and_splits_every_matching_file_in_one_step(tmp_path):
    from veilwatch.transforms.io.sources import MatchRangesFn

    for name, n in (("a.jsonl", 300), ("b.jsonl", 5)):
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in _records(n, name)))
    source = SourceSpec(SourceFormat.JSONL, str(tmp_path / "*.jsonl"))
    keyed = list(MatchRangesFn(source.path, source, split_bytes=4096).process(b""))
    assert [key for key, _ in keyed] == list(range(len(keyed)))  # one shuffle key per range
    ranges = sorted((r for _, r in keyed), key=lambda r: (r.path, r.start))
    a_size = (tmp_path / "a.jsonl").stat().st_size
    a_ranges = [r for r in ranges if r.path.endswith("a.jsonl")]
    assert len(a_ranges) == -(-a_size // 4096) > 1
    assert [(r.start, r.end) for r in a_ranges] == [
        (s, min(s + 4096, a_size)) for s in range(0, a_size, 4096)
    ]
    assert [(r.start, r.end) for r in ranges if r.path.endswith("b.jsonl")] == [(0, None)]  # small: whole
    # read through the ranges, every record once
    fn = ReadRangesFn(source, 1000)
    ids = [json.loads(i.payload)["id"] for r in ranges for b in fn.read_range(r) for i in b.items]
    assert sorted(ids) == sorted(
        r["id"] for n, k in (("a.jsonl", 300), ("b.jsonl", 5)) for r in _records(k, n)
    )


def test_a_pattern_without_wildcard_that_matches_nothing_is_an_error_and_a_wildcard_is_not(tmp_path):
    from apache_beam.io.filesystem import BeamIOError

    from veilwatch.transforms.io.sources import MatchRangesFn

    source = SourceSpec(SourceFormat.JSONL, str(tmp_path / "*.jsonl"))
    assert list(MatchRangesFn(str(tmp_path / "*.jsonl"), source).process(b"")) == []
    with pytest.raises(BeamIOError, match="Empty match"):
        list(MatchRangesFn(str(tmp_path / "missing.jsonl"), source).process(b""))
