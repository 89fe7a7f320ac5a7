"""The file read on a real runner: ``Impulse -> MatchFiles -> SpreadRanges (GroupByKey) -> ReadRanges``.

#15 replaced ``beam.Reshuffle`` (four ParDos and a GroupByKey) with a GroupByKey on each range's
index. Whatever the number of files and ranges, every record is read once, in file order inside its
range; no file gives nothing; a file that cannot be read is still one file-level dead letter.
"""

from __future__ import annotations

import collections
import gzip
import json

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP

from veilwatch.transforms.config.model import SourceFormat, SourceSpec
from veilwatch.transforms.io.sources import ReadRawBatches

pytestmark = pytest.mark.pipeline


def _lines(n, tag):
    return "".join(json.dumps({"id": f"{tag}-{i}", "pad": "x" * 40}) + "\n" for i in range(n))


def _read(pattern, fmt=SourceFormat.JSONL, batch_size=7, split_bytes=1024, check=None):
    """Runs the read; ``check`` gets every (items' refs and ids, file errors, (window, timestamp)) per batch."""
    source = SourceSpec(fmt, pattern)
    with TestPipeline() as p:
        batches = p | ReadRawBatches(source, batch_size, split_bytes)
        described = batches | beam.ParDo(_Describe())
        assert_that(described, check)


class _Describe(beam.DoFn):
    def process(self, batch, window=beam.DoFn.WindowParam, timestamp=beam.DoFn.TimestampParam):
        items = [(i.ref, _record_id(i.payload)) for i in batch.items]
        errors = [(e.path, e.reason, e.records_before) for e in batch.file_errors]
        yield items, errors, (window, timestamp)


def _record_id(payload):
    """A JSONL line's (bytes) or a CSV row's (dict) ``id``."""
    return (payload if isinstance(payload, dict) else json.loads(payload))["id"]


def _offset(ref):
    return int(ref.rsplit("@", 1)[1])


def test_many_files_split_into_many_ranges_give_every_record_once_in_file_order(tmp_path):
    sizes = {"a": 120, "b": 3, "c": 45, "d": 1, "e": 77}
    for tag, n in sizes.items():
        (tmp_path / f"{tag}.jsonl").write_text(_lines(n, tag))
    with gzip.open(tmp_path / "f.jsonl.gz", "wt") as handle:  # compressed: read whole, never split
        handle.write(_lines(30, "f"))
    sizes["f"] = 30
    split = 1024
    ranges = sum(-(-(tmp_path / f"{t}.jsonl").stat().st_size // split) for t in "abcde") + 1
    assert ranges > 10  # the shuffle carries many ranges, several per file

    def check(described):
        ids = [i for items, _, _ in described for _, i in items]
        expected = [f"{tag}-{i}" for tag, n in sizes.items() for i in range(n)]
        assert len(ids) == len(expected) == 276
        assert sorted(ids) == sorted(expected)  # every record, once
        assert all(not errors for _, errors, _ in described)
        # where the read's elements always were: the global window, the Impulse's timestamp (not the
        # end of the window, where the GroupByKey leaves them)
        assert {w for _, _, w in described} == {(GlobalWindow(), MIN_TIMESTAMP)}
        for items, _, _ in described:  # inside a batch (one range's): file order
            paths = {ref.rsplit("@", 1)[0] for ref, _ in items}
            assert len(paths) == 1
            assert [_offset(ref) for ref, _ in items] == sorted(_offset(ref) for ref, _ in items)
        per_file = collections.Counter(
            ref.rsplit("@", 1)[0].rsplit("/", 1)[1] for items, _, _ in described for ref, _ in items
        )
        assert per_file["f.jsonl.gz"] == 30

    _read(str(tmp_path / "*.jsonl*"), check=check)


def test_no_matching_file_and_empty_files_give_no_batch(tmp_path):
    def check(described):
        assert described == []

    _read(str(tmp_path / "*.jsonl"), check=check)
    (tmp_path / "empty.jsonl").write_text("")
    (tmp_path / "blank.jsonl").write_text("\n\n")
    _read(str(tmp_path / "*.jsonl"), check=check)


def test_a_file_that_cannot_be_read_is_still_one_file_error_among_good_files(tmp_path):
    (tmp_path / "good.jsonl").write_text(_lines(50, "good"))
    (tmp_path / "bad.jsonl.gz").write_bytes(b"not gzip at all" * 10)
    (tmp_path / "ok.csv").write_text("id,pad\n1,x\n")  # not matched by the pattern below

    def check(described):
        errors = [e for _, errors, _ in described for e in errors]
        assert len(errors) == 1
        path, reason, before = errors[0]
        assert path.endswith("bad.jsonl.gz") and reason and before == 0
        ids = [i for items, _, _ in described for _, i in items]
        assert sorted(ids) == sorted(f"good-{i}" for i in range(50))

    _read(str(tmp_path / "*.jsonl*"), check=check)


def test_csv_files_are_read_whole_through_the_shuffle(tmp_path):
    for tag in ("p", "q", "r"):
        rows = "".join(f"{tag}-{i},{'y' * 40}\n" for i in range(20))
        (tmp_path / f"{tag}.csv").write_text("id,pad\n" + rows)

    def check(described):
        refs = [ref for items, _, _ in described for ref, _ in items]
        assert sorted(refs) == sorted(f"{tmp_path}/{t}.csv#{n}" for t in "pqr" for n in range(2, 22))

    _read(str(tmp_path / "*.csv"), fmt=SourceFormat.CSV, split_bytes=64, check=check)


def test_the_read_is_two_pardos_around_one_group_by_key():
    source = SourceSpec(SourceFormat.JSONL, "/nowhere/*.jsonl")
    p = beam.Pipeline()
    _ = p | "Read" >> ReadRawBatches(source)
    leaves = [t for t in p.to_runner_api().components.transforms.values() if not t.subtransforms]
    assert sorted((t.unique_name, t.spec.urn) for t in leaves) == [
        ("Read/MatchFiles", "beam:transform:pardo:v1"),
        ("Read/Once", "beam:transform:impulse:v1"),
        ("Read/ReadRanges", "beam:transform:pardo:v1"),
        ("Read/SpreadRanges", "beam:transform:group_by_key:v1"),
    ]
