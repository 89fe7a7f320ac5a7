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

Bad input never stops a run: a file that cannot be read, or breaks off
part-way, ends its records with a :class:`~veilwatch.transforms.io.file_failures.FileError`
(:mod:`veilwatch.transforms.io.file_failures`); a CSV row over ``max_record_bytes`` is an
error row (:mod:`veilwatch.transforms.io.csv_rows`); Avro and Parquet values without a
JSON type get their JSON form here (:mod:`veilwatch.transforms.io.json_values`). A
leading UTF-8 byte order mark is dropped.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import apache_beam as beam
from apache_beam.io.filesystem import BeamIOError, CompressedFile, CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import TimestampedValue
from apache_beam.utils.timestamp import MIN_TIMESTAMP

from veilwatch.transforms.config.model import SourceFormat, SourceSpec
from veilwatch.transforms.element_coders import RawBatchCoder  # noqa: F401  (registers the coder)
from veilwatch.transforms.elements import FileError, RawBatch, RawItem
from veilwatch.transforms.io.csv_rows import CsvRows
from veilwatch.transforms.io.file_failures import (
    NOT_UTF8,
    UTF16_BOMS,
    UnreadableFile,
    describe_file_failure,
)
from veilwatch.transforms.io.json_values import (
    NoJsonForm,
    avro_duration_paths,
    decode_avro_durations,
    to_json_ready,
)
from veilwatch.transforms.io.progress import RecordsReadCounter
from veilwatch.transforms.records.nesting import nest_declared, nest_dotted

# Records per batch: large enough that runner overhead per element vanishes,
# small enough that a batch's records and their outputs stay a few MB.
DEFAULT_BATCH_SIZE = 1000
# JSONL files larger than this are split into ranges read in parallel.
DEFAULT_SPLIT_BYTES = 64 * 1024 * 1024
_READ_BLOCK = 1 << 16


@dataclass(frozen=True)
class FileRange:
    path: str
    start: int
    end: int | None  # None: to the end of the file


def split_into_ranges(
    metadata: Any, source: SourceSpec, split_bytes: int = DEFAULT_SPLIT_BYTES
) -> Iterator[FileRange]:
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


class MatchRangesFn(beam.DoFn):
    """(one Impulse element) -> ``(index, range)`` for every range (``split_into_ranges``) of every file
    matching ``pattern``, numbered 0, 1, 2 ... in the order listed: the key of the shuffle that spreads
    the ranges (see ``ReadRawBatches``), one range per key.

    ``fileio.MatchFiles`` + a FlatMap did the same in six steps (a ``Create`` of the pattern is four);
    the runner pays per step before any record. A pattern without a wildcard that matches nothing
    is an error, as ``MatchFiles`` meant (``EmptyMatchTreatment.ALLOW_IF_WILDCARD``; Beam 2.72's
    check raises a bare ``ValueError`` for it instead)."""

    def __init__(self, pattern: str, source: SourceSpec, split_bytes: int = DEFAULT_SPLIT_BYTES):
        self.pattern = pattern
        self.source = source
        self.split_bytes = split_bytes

    def process(self, _: bytes) -> Iterator[tuple[int, FileRange]]:
        matched = FileSystems.match([self.pattern])[0].metadata_list
        if not matched and not any(c in self.pattern for c in "*?["):
            raise BeamIOError(f"Empty match for pattern {self.pattern}: no such file.")
        ranges = (
            r for metadata in matched for r in split_into_ranges(metadata, self.source, self.split_bytes)
        )
        yield from enumerate(ranges)


class ReadRangesFn(beam.DoFn):
    """``(key, ranges)`` as grouped by ``ReadRawBatches``' shuffle -> the :class:`RawBatch` es of each
    :class:`FileRange` (``read_range``), one range after the other, each range's records in file order.

    The batches carry the timestamp the read's elements always had, the ``Impulse``'s (the earliest):
    a group leaves the ``GroupByKey`` at the end of the global window (the default timestamp
    combiner), and ``Reshuffle``'s restore step used to put the timestamp back. No step after the
    read uses it (each event-time step stamps its elements with their event time); it stays as it was.

    A file that cannot be opened or decoded, or fails part-way (a truncated Avro
    or Parquet file, a corrupt compressed file), does not fail the run: the
    records read before the failure are emitted as usual, and the failure
    itself is one :class:`FileError` (a file-level dead letter) in a last batch.
    """

    def __init__(
        self, source: SourceSpec, batch_size: int = DEFAULT_BATCH_SIZE, csv_objects: dict | None = None
    ):
        self.source = source
        self.batch_size = batch_size
        self.csv_objects = csv_objects  # see read_csv
        self.records_read = RecordsReadCounter()  # a Beam counter, also read by the progress line
        self.files_unreadable = Metrics.counter("veilwatch", "files_unreadable")

    def process(self, keyed_ranges: tuple[int, Iterable[FileRange]]) -> Iterator[TimestampedValue]:
        for file_range in keyed_ranges[1]:
            for batch in self.read_range(file_range):
                yield TimestampedValue(batch, MIN_TIMESTAMP)

    def read_range(self, file_range: FileRange) -> Iterator[RawBatch]:
        """One range's records in batches; a failure ends them with its :class:`FileError`."""
        items: list[RawItem] = []
        emitted = 0
        try:
            for item in self._items(file_range):
                items.append(item)
                if len(items) >= self.batch_size:
                    self.records_read.inc(len(items))
                    emitted += len(items)
                    yield RawBatch(self.source.format, tuple(items))
                    items = []
        except Exception as exc:  # noqa: BLE001 - one bad file must not fail the run
            reason = describe_file_failure(file_range.path, self.source.format, exc)
            self.records_read.inc(len(items))
            self.files_unreadable.inc()
            failure = FileError(file_range.path, reason, emitted + len(items))
            yield RawBatch(self.source.format, tuple(items), (failure,))
            return
        if items:
            self.records_read.inc(len(items))
            yield RawBatch(self.source.format, tuple(items))

    def _items(self, r: FileRange) -> Iterator[RawItem]:
        fmt = self.source.format
        if fmt is SourceFormat.JSONL:
            return read_lines(r, self.source.max_record_bytes)
        if fmt is SourceFormat.CSV:
            return read_csv(r.path, self.source.csv_delimiter, self.source.max_record_bytes, self.csv_objects)
        if fmt is SourceFormat.AVRO:
            return read_avro(r.path)
        return read_parquet(r.path, self.batch_size)


def read_lines(r: FileRange, max_record_bytes: int) -> Iterator[RawItem]:
    """Lines that *start* in [start, end); the line crossing ``end`` belongs to this range.

    A UTF-8 byte order mark at file offset 0 is dropped (only there: a range that
    starts later begins inside the file)."""
    with _open_binary(r.path) as handle:
        position = 0
        if r.start > 0:
            handle.seek(r.start - 1)
            position = r.start - 1
            skipped = _skip_line(handle)  # finish the line that began in the previous range
            position += skipped
        end = r.end if r.end is not None else math.inf
        path = r.path
        readline = handle.readline
        first = r.start == 0
        while position < end:
            line = readline(max_record_bytes + 2)  # room for the content plus "\r\n"
            length = len(line)
            if length == 0:
                break
            if first:
                first = False
                if line.startswith(_UTF8_BOM):
                    line = line[len(_UTF8_BOM) :]
                elif line.startswith(UTF16_BOMS):
                    raise UnreadableFile(NOT_UTF8)
            stripped = line.rstrip(b"\r\n")
            if len(stripped) > max_record_bytes:  # rare: read past the rest of the oversized line
                length += _oversized_line_length(handle, line) - len(line)
                yield RawItem(
                    f"{path}@{position}",
                    None,
                    length,
                    f"record larger than max_record_bytes ({max_record_bytes})",
                )
            elif stripped.strip():
                yield RawItem(f"{path}@{position}", stripped, length)
            position += length


_UTF8_BOM = b"\xef\xbb\xbf"
# The UTF-16 marks as the CSV reader's lenient UTF-8 decoding gives them (one surrogate per byte).
_UTF16_BOMS_DECODED = tuple(bom.decode("utf-8", "surrogateescape") for bom in UTF16_BOMS)


class _CompressedRaw(io.RawIOBase):
    """Beam's reader of compressed files as a raw stream, so that ``io.BufferedReader`` gives
    it ``readline(limit)`` (its own ``readline()`` has no limit, and would hold a huge line whole)
    and ``io.TextIOWrapper`` can decode it (it lacks what the wrapper needs)."""

    def __init__(self, handle: Any):
        super().__init__()
        self._handle = handle

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._handle.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._handle.close()
        super().close()


def _open_binary(path: str) -> Any:
    """A binary file object with ``readline(limit)``, compressed or not (a context manager)."""
    handle = FileSystems.open(path)
    if isinstance(handle, CompressedFile):
        return io.BufferedReader(_CompressedRaw(handle), buffer_size=_READ_BLOCK)
    return handle


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


def read_csv(
    path: str, delimiter: str, max_record_bytes: int, objects: dict | None = None
) -> Iterator[RawItem]:
    """Rows as header->text mappings; undecodable bytes are reported per row, not per file.

    A dotted header (``customer.email``) nests: along the schema's declared objects only when
    ``objects`` (``SchemaTree.root``) is given (:func:`nest_declared`: a column the schema does
    not name stays one key, so PII in its name is scanned whole), at every dot without it.

    A leading UTF-8 byte order mark is dropped. Rows of up to ``max_record_bytes``
    are read whatever the size of one cell; a longer row (or one the csv module
    refuses) is a dead letter and reading goes on after it (see :mod:`veilwatch.transforms.io.csv_rows`).
    """
    with _open_binary(path) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
        rows = CsvRows(text, delimiter, max_record_bytes)
        header_row = next(rows, None)
        if header_row is None:
            return
        header = header_row.cells if header_row.error is None else None
        if header and header[0].startswith(_UTF16_BOMS_DECODED):
            raise UnreadableFile(NOT_UTF8)
        width = len(header) if header is not None else 0
        for row_number, row in enumerate(rows, start=2):
            ref = f"{path}#{row_number}"
            if row.error is not None:
                yield RawItem(ref, None, row.size, row.error)
                continue
            cells = row.cells
            if not cells:
                continue
            if header is None:
                yield RawItem(ref, None, row.size, "the header row could not be read")
            elif any(_has_surrogates(cell) for cell in cells):
                yield RawItem(ref, None, row.size, "row is not valid UTF-8")
            elif len(cells) != width:
                yield RawItem(ref, None, row.size, f"row has {len(cells)} columns, the header has {width}")
            else:
                pairs = zip(header, cells, strict=True)
                record = nest_dotted(pairs) if objects is None else nest_declared(pairs, objects)
                yield RawItem(ref, record, row.size)


def _has_surrogates(cell: str) -> bool:
    try:
        cell.encode("utf-8")
        return False
    except UnicodeEncodeError:
        return True


def read_avro(path: str) -> Iterator[RawItem]:
    """Avro records, each turned into JSON values (:mod:`veilwatch.transforms.io.json_values`)."""
    import fastavro

    with FileSystems.open(path) as handle:
        reader = fastavro.reader(handle)
        durations = avro_duration_paths(reader.writer_schema)
        for index, record in enumerate(reader):
            ref = f"{path}#{index}"
            if durations and isinstance(record, dict):
                decode_avro_durations(record, durations)
            yield json_ready_item(ref, record)


def read_parquet(path: str, batch_size: int) -> Iterator[RawItem]:
    """Parquet rows, each turned into JSON values (:mod:`veilwatch.transforms.io.json_values`)."""
    import pyarrow.parquet as pq

    with FileSystems.open(path) as handle:
        data = io.BytesIO(handle.read())
    index = 0
    for batch in pq.ParquetFile(data).iter_batches(batch_size=batch_size):
        for row in batch.to_pylist():
            yield json_ready_item(f"{path}#{index}", row)
            index += 1


def json_ready_item(ref: str, record: Any) -> RawItem:
    """A row of a typed source (Avro, Parquet, BigQuery) with JSON values, or a read error
    naming the type that has no JSON form."""
    if not isinstance(record, dict):
        return RawItem(ref, record, 0)
    try:
        return RawItem(ref, to_json_ready(record), 0)
    except NoJsonForm as exc:
        return RawItem(ref, None, 0, str(exc))


class ReadRawBatches(beam.PTransform[beam.pvalue.PBegin, beam.PCollection[RawBatch]]):
    """files matching ``source.path`` -> PCollection[RawBatch].

    ``Impulse -> MatchFiles -> SpreadRanges -> ReadRanges``: the file listing (one element) is
    followed by a shuffle so that the ranges spread over workers (a runner fuses a step with the
    one before it, and Dataflow would read every range on the one worker that listed them): a
    ``GroupByKey`` on each range's index (``MatchRangesFn``) breaks the fusion, one range per key.
    ``beam.Reshuffle`` did the same in four ParDos and the ``GroupByKey`` (random keys added and
    removed, each element's timestamp and window kept through the shuffle); the runner pays per
    ParDo before any record (#15). None of that is needed here: the indexes spread the ranges as
    random keys did, the ranges are in the global window, which the ``GroupByKey`` keeps, and
    ``ReadRangesFn`` gives the batches back their timestamp."""

    def __init__(
        self,
        source: SourceSpec,
        batch_size: int = DEFAULT_BATCH_SIZE,
        split_bytes: int = DEFAULT_SPLIT_BYTES,
        csv_objects: dict | None = None,
    ):
        super().__init__()
        self.source = source
        self.batch_size = batch_size
        self.split_bytes = split_bytes
        self.csv_objects = csv_objects  # the schema's object tree: see read_csv

    def expand(self, pbegin: beam.pvalue.PBegin) -> beam.PCollection[RawBatch]:
        match = MatchRangesFn(self.source.path, self.source, self.split_bytes)
        return (
            pbegin
            | "Once" >> beam.Impulse()
            | "MatchFiles" >> beam.ParDo(match).with_output_types(tuple[int, FileRange])
            | "SpreadRanges" >> beam.GroupByKey()
            | "ReadRanges"
            >> beam.ParDo(ReadRangesFn(self.source, self.batch_size, self.csv_objects)).with_output_types(
                RawBatch  # declared, for RawBatchCoder (element_coders: sized without pickling)
            )
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
