"""Read JSONL, CSV, Avro and Parquet files into batches of raw records.

Elements are :class:`RawBatch` es of up to ``batch_size`` records, not single
records: the per-element cost of the runner is paid once per batch, so the
per-record work downstream runs at plain-Python speed. JSONL files are split
into byte ranges (aligned to line starts, like Beam's text source) so one big
file spreads over many workers; CSV, Avro and Parquet files are read whole,
one file per task. Paths are anything Beam's FileSystems resolves (local,
``gs://``); compressed files (``.gz``, ``.bz2`` ...) are read whole.

Every record carries a reference to where it came from (``path@offset`` for
lines, ``path#row`` for rows), which the dead letters and findings quote
instead of any content.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, NamedTuple

import apache_beam as beam
from apache_beam.io import fileio
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from transforms.config.model import SourceFormat, SourceSpec

# Records per batch: large enough that runner overhead per element vanishes,
# small enough that a batch's records and their outputs stay a few MB.
DEFAULT_BATCH_SIZE = 1000
# JSONL files larger than this are split into ranges read in parallel.
DEFAULT_SPLIT_BYTES = 64 * 1024 * 1024
_READ_BLOCK = 1 << 16


class RawItem(NamedTuple):
    """One record as read: ``payload`` is bytes (a JSONL line) or a mapping
    (CSV, Avro, Parquet row); ``error`` says why it could not be read whole.

    A named tuple, not a dataclass: one is built per record read, and a tuple is built fast."""

    ref: str
    payload: Any
    size: int
    error: str | None = None


@dataclass(frozen=True)
class RawBatch:
    format: SourceFormat
    items: tuple[RawItem, ...]


@dataclass(frozen=True)
class FileRange:
    path: str
    start: int
    end: int | None  # None: to the end of the file


def split_into_ranges(metadata: Any, source: SourceSpec, split_bytes: int = DEFAULT_SPLIT_BYTES) -> Iterator[FileRange]:
    path, size = metadata.path, metadata.size_in_bytes
    splittable = (
        source.format is SourceFormat.JSONL
        and CompressionTypes.detect_compression_type(path) == CompressionTypes.UNCOMPRESSED
        and size > split_bytes
    )
    if not splittable:
        yield FileRange(path, 0, None)
        return
    for start in range(0, size, split_bytes):
        yield FileRange(path, start, min(start + split_bytes, size))


class ReadRangeFn(beam.DoFn):
    """Reads one :class:`FileRange` and emits :class:`RawBatch` es."""

    def __init__(self, source: SourceSpec, batch_size: int = DEFAULT_BATCH_SIZE):
        self.source = source
        self.batch_size = batch_size
        self.records_read = Metrics.counter("veilwatch", "records_read")

    def process(self, file_range: FileRange) -> Iterator[RawBatch]:
        items: list[RawItem] = []
        for item in self._items(file_range):
            items.append(item)
            if len(items) >= self.batch_size:
                self.records_read.inc(len(items))
                yield RawBatch(self.source.format, tuple(items))
                items = []
        if items:
            self.records_read.inc(len(items))
            yield RawBatch(self.source.format, tuple(items))

    def _items(self, r: FileRange) -> Iterator[RawItem]:
        fmt = self.source.format
        if fmt is SourceFormat.JSONL:
            return read_lines(r, self.source.max_record_bytes)
        if fmt is SourceFormat.CSV:
            return read_csv(r.path, self.source.csv_delimiter, self.source.max_record_bytes)
        if fmt is SourceFormat.AVRO:
            return read_avro(r.path)
        return read_parquet(r.path, self.batch_size)


def read_lines(r: FileRange, max_record_bytes: int) -> Iterator[RawItem]:
    """Lines that *start* in [start, end); the line crossing ``end`` belongs to this range."""
    with FileSystems.open(r.path) as handle:
        position = 0
        if r.start > 0:
            handle.seek(r.start - 1)
            position = r.start - 1
            skipped = _skip_line(handle)  # finish the line that began in the previous range
            position += skipped
        end = r.end if r.end is not None else math.inf
        path = r.path
        readline = handle.readline
        while position < end:
            line = readline(max_record_bytes + 2)  # room for the content plus "\r\n"
            length = len(line)
            if length == 0:
                break
            stripped = line.rstrip(b"\r\n")
            if len(stripped) > max_record_bytes:  # rare: read past the rest of the oversized line
                length = _oversized_line_length(handle, line)
                yield RawItem(f"{path}@{position}", None, length,
                              f"record larger than max_record_bytes ({max_record_bytes})")
            elif stripped.strip():
                yield RawItem(f"{path}@{position}", stripped, length)
            position += length


def _skip_line(handle: Any) -> int:
    skipped = 0
    while True:
        chunk = handle.readline(_READ_BLOCK)
        skipped += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            return skipped


def _oversized_line_length(handle: Any, line: bytes) -> int:
    """The length of a line over the limit whose beginning ``line`` was read: the rest is
    read in blocks and dropped, so a huge line is never held whole."""
    consumed = len(line)
    while not line.endswith(b"\n"):
        line = handle.readline(_READ_BLOCK)
        if not line:
            break
        consumed += len(line)
    return consumed


def read_csv(path: str, delimiter: str, max_record_bytes: int) -> Iterator[RawItem]:
    """Rows as header->text mappings; undecodable bytes are reported per row, not per file."""
    with FileSystems.open(path) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", errors="surrogateescape", newline="")
        reader = csv.reader(text, delimiter=delimiter)
        header = next(reader, None)
        if header is None:
            return
        width = len(header)
        for row_number, row in enumerate(reader, start=2):
            ref = f"{path}#{row_number}"
            size = sum(len(cell) for cell in row)
            if not row:
                continue
            if size > max_record_bytes:
                yield RawItem(ref, None, size, f"record larger than max_record_bytes ({max_record_bytes})")
            elif any(_has_surrogates(cell) for cell in row):
                yield RawItem(ref, None, size, "row is not valid UTF-8")
            elif len(row) != width:
                yield RawItem(ref, None, size, f"row has {len(row)} columns, the header has {width}")
            else:
                yield RawItem(ref, nest_dotted(zip(header, row)), size)


def nest_dotted(pairs: Iterable[tuple[str, Any]]) -> dict:
    """CSV columns named ``customer.email`` become nested records, as the CSV sink writes them."""
    record: dict = {}
    for name, value in pairs:
        if "." not in name:
            record[name] = value
            continue
        *parents, leaf = name.split(".")
        node = record
        for parent in parents:
            child = node.get(parent)
            if not isinstance(child, dict):
                child = node[parent] = {}
            node = child
        node[leaf] = value
    return record


def _has_surrogates(cell: str) -> bool:
    try:
        cell.encode("utf-8")
        return False
    except UnicodeEncodeError:
        return True


def read_avro(path: str) -> Iterator[RawItem]:
    import fastavro

    with FileSystems.open(path) as handle:
        for index, record in enumerate(fastavro.reader(handle)):
            yield RawItem(f"{path}#{index}", record, 0)


def read_parquet(path: str, batch_size: int) -> Iterator[RawItem]:
    import pyarrow.parquet as pq

    with FileSystems.open(path) as handle:
        data = io.BytesIO(handle.read())
    index = 0
    for batch in pq.ParquetFile(data).iter_batches(batch_size=batch_size):
        for row in batch.to_pylist():
            yield RawItem(f"{path}#{index}", row, 0)
            index += 1


class ReadRawBatches(beam.PTransform):
    """files matching ``source.path`` -> PCollection[RawBatch]."""

    def __init__(self, source: SourceSpec, batch_size: int = DEFAULT_BATCH_SIZE, split_bytes: int = DEFAULT_SPLIT_BYTES):
        super().__init__()
        self.source = source
        self.batch_size = batch_size
        self.split_bytes = split_bytes

    def expand(self, pbegin: beam.pvalue.PBegin) -> beam.PCollection[RawBatch]:
        return (
            pbegin
            | "MatchFiles" >> fileio.MatchFiles(self.source.path)
            | "SplitIntoRanges" >> beam.FlatMap(split_into_ranges, self.source, self.split_bytes)
            | "SpreadRanges" >> beam.Reshuffle()
            | "ReadRanges" >> beam.ParDo(ReadRangeFn(self.source, self.batch_size))
        )


def match_count(pattern: str) -> int:
    """How many files ``pattern`` matches (a pre-flight check before building the pipeline)."""
    try:
        result = FileSystems.match([pattern])[0]
    except Exception:  # noqa: BLE001 - "nothing matched" is raised by some filesystems
        return 0
    return len(result.metadata_list)


def iter_items(batches: Iterable[RawBatch]) -> Iterator[RawItem]:
    for batch in batches:
        yield from batch.items
