"""Write veilwatch outputs: JSONL batches, anonymized records in any format, the run summary.

Batches are written as one text element per batch (its records joined by
newlines), so the text sink pays its per-element cost once per batch.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import decimal
import io
import json
import re
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

import apache_beam as beam
import orjson
from apache_beam.io.filesystems import FileSystems

from veilwatch.transforms.config.model import DatasetConfig, SourceFormat
from veilwatch.transforms.deadletter import UNREADABLE_FILE_PREFIX
from veilwatch.transforms.deid.transformation_errors import summary_entries as transformation_error_entries
from veilwatch.transforms.elements import AnonymizedBatch
from veilwatch.transforms.io.json_values import duration_seconds
from veilwatch.transforms.io.jsonl_files import SharedFinalize, WriteJsonlFiles
from veilwatch.transforms.io.output_schema import avro_schema, flatten, parquet_schema
from veilwatch.transforms.report.timeline import timeline_entries


def json_default(value: Any) -> Any:
    """JSON for what Avro/Parquet sources hand over beyond JSON's types."""
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, decimal.Decimal):
        return str(value)
    # Sources hand these over in their JSON form already (veilwatch.transforms.io.json_values); kept
    # here for values built elsewhere, in the same form.
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.timedelta):
        return duration_seconds(value)
    raise TypeError(f"cannot write a {type(value).__name__} as JSON")


def to_json_line(record: Any) -> str:
    try:
        return orjson.dumps(record, default=json_default).decode("utf-8")
    except TypeError:  # integers beyond 64 bits: the standard library writes them exactly
        return json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=json_default)


def join_lines(records: Iterable[Any]) -> str:
    return "\n".join(to_json_line(r) for r in records)


def to_json_bytes(record: Any) -> bytes:
    """``to_json_line`` as the UTF-8 bytes a file holds, without the round trip through ``str``
    (orjson writes bytes: decoding each line and encoding the joined text again cost ~0.2 us a record)."""
    try:
        return orjson.dumps(record, default=json_default)
    except TypeError:  # what orjson cannot write (integers beyond 64 bits): to_json_line's own fallback
        return to_json_line(record).encode("utf-8")


def join_line_bytes(records: Iterable[Any]) -> bytes:
    """``join_lines`` as bytes (see ``to_json_bytes``)."""
    return b"\n".join(map(to_json_bytes, records))


class WriteJsonLines(beam.PTransform):
    """PCollection[list[dict]] (batches) or PCollection[dict] -> ``<prefix>-SSSSS-of-NNNNN.jsonl``."""

    def __init__(self, prefix: str, batched: bool = True, finalize: SharedFinalize | None = None):
        """``finalize``: see ``WriteJsonlFiles``."""
        super().__init__()
        self.prefix = prefix
        self.batched = batched
        self.finalize = finalize

    def expand(self, pcoll: beam.PCollection) -> beam.PCollection[str]:
        # Each element becomes text inside the writing step: no PCollection of text in between.
        return pcoll | "WriteText" >> WriteJsonlFiles(
            self.prefix, join_line_bytes if self.batched else to_json_bytes, finalize=self.finalize
        )


class WriteAnonymized(beam.PTransform):
    """PCollection[AnonymizedBatch] -> files under ``<output_dir>/anonymized/`` in the sink's format."""

    def __init__(self, config: DatasetConfig, output_dir: str, finalize: SharedFinalize | None = None):
        """``finalize``: see ``WriteJsonlFiles``; the other formats finalize themselves (Beam's sinks),
        and the shared step waits for them (``SharedFinalize.wait_for``: the run summary comes last)."""
        super().__init__()
        self.config = config
        self.prefix = FileSystems.join(output_dir, "anonymized", "part")
        self.finalize = finalize

    def expand(self, batches: beam.PCollection[AnonymizedBatch]) -> beam.pvalue.PValue:
        if self.config.sinks.anonymized_format is SourceFormat.JSONL:
            # Batches are turned into text inside the writing step: every step between them would
            # cost the runner a size estimate of sampled batches (a pickle of a thousand records each).
            return batches | "WriteJsonl" >> WriteJsonlFiles(self.prefix, jsonl_text, finalize=self.finalize)
        written = self._write_other_format(batches)  # the final paths, once Beam's sink has finalized
        if self.finalize is not None:
            self.finalize.wait_for(written)
        return written

    def _write_other_format(self, batches: beam.PCollection[AnonymizedBatch]) -> beam.PCollection:
        fmt = self.config.sinks.anonymized_format
        # A batch whose records were all dead-lettered carries no record: nothing to write.
        batches = batches | "SkipEmptyBatches" >> beam.Filter(lambda b: len(b.records) > 0)
        if fmt is SourceFormat.CSV:
            header = csv_header(self.config)
            return (
                batches
                | "ToCsvText"
                >> beam.Map(
                    csv_text,
                    header,
                    self.config.source.csv_delimiter,
                    self.config.sinks.csv_neutralize_formulas,
                )
                | "WriteCsv"
                >> beam.io.WriteToText(
                    self.prefix,
                    file_name_suffix=".csv",
                    header=_csv_line(header, self.config.source.csv_delimiter),
                )
            )
        if fmt is SourceFormat.AVRO:
            return (
                batches
                | "AvroRecords" >> beam.FlatMap(lambda b: [flatten(r, self.config) for r in b.records])
                | "WriteAvro"
                >> beam.io.WriteToAvro(self.prefix, avro_schema(self.config), file_name_suffix=".avro")
            )
        return (
            batches
            | "ToArrowTables" >> beam.Map(_arrow_table, self.config)
            | "WriteParquet"
            >> beam.io.WriteToParquetBatched(
                self.prefix, parquet_schema(self.config), file_name_suffix=".parquet"
            )
        )


def jsonl_text(batch: AnonymizedBatch) -> bytes:
    """The batch's records as JSON lines, UTF-8 (empty for a batch without records: nothing is written)."""
    return join_line_bytes(batch.records)


def csv_header(config: DatasetConfig) -> list[str]:
    """Columns named by dotted path (read back into nested records by the CSV source);
    a list-valued path is one column holding the list as JSON."""
    header: list[str] = []
    for spec in config.fields:
        name = spec.path.split("[]")[0]
        if name not in header:
            header.append(name)
    return header


def _csv_line(values: list[Any], delimiter: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="").writerow(values)
    return buffer.getvalue()


def csv_text(
    batch: AnonymizedBatch, header: list[str], delimiter: str, neutralize_formulas: bool = True
) -> str:
    """The batch's records as CSV rows; with ``neutralize_formulas``, formula-leading text cells
    are neutralised (:func:`neutralize_formula`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    for record in batch.records:
        flat = _flat_dict(record)
        cells = ["" if flat.get(name) is None else _csv_cell(flat.get(name)) for name in header]
        if neutralize_formulas:
            cells = [neutralize_formula(cell) for cell in cells]
        writer.writerow(cells)
    return buffer.getvalue().rstrip("\n")


# OWASP's CSV injection rule: a cell that starts with one of these is read as a formula by
# spreadsheet programs (Excel, LibreOffice, Google Sheets).
_FORMULA_START = frozenset("=+-@\t\r")
# A plain decimal number ("-12.5", "+3", "-1e-5") is data, not a formula: left as it is.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def neutralize_formula(cell: Any) -> Any:
    """A text cell starting with ``= + - @``, tab or carriage return, prefixed with ``'`` so that a
    spreadsheet shows it as text instead of running it; a cell that is a plain decimal number
    (``-12.5``) and every non-text value (numbers, booleans) are left as they are."""
    if type(cell) is not str or not cell or cell[0] not in _FORMULA_START:
        return cell
    if _PLAIN_NUMBER.fullmatch(cell):
        return cell
    return "'" + cell


def _csv_cell(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return to_json_line(value)
    if isinstance(value, dt.datetime):  # the ISO-8601 text the JSON sinks write, not str()'s form
        return value.isoformat()
    return value


def _flat_dict(record: dict, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, dict):
            out.update(_flat_dict(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _arrow_table(batch: AnonymizedBatch, config: DatasetConfig):
    import pyarrow as pa

    return pa.Table.from_pylist([flatten(r, config) for r in batch.records], schema=parquet_schema(config))


def merge_counts(counts: Iterable[dict[str, int]]) -> dict[str, int]:
    total: Counter = Counter()
    for c in counts:
        total.update(c)
    return dict(total)


def summary_document(dataset: str, counts: dict[str, int]) -> dict[str, Any]:
    """run_summary.json: totals, dead letters by stage, findings by infoType, windows."""

    def prefixed(prefix: str) -> dict[str, int]:
        return {k[len(prefix) :]: v for k, v in sorted(counts.items()) if k.startswith(prefix)}

    read = counts.get("records_read", 0)
    anonymized = counts.get("records_anonymized", 0)
    dead = counts.get("records_dead_lettered", 0)
    suppressed = counts.get("records_suppressed", 0)
    unreadable = sum(1 for key in counts if key.startswith(UNREADABLE_FILE_PREFIX))
    return {
        "dataset": dataset,
        "records_read": read,
        "records_anonymized": anonymized,
        "records_dead_lettered": dead,
        # left out on purpose: matched a pii.record_suppressions condition (DLP recordSuppressions)
        "records_suppressed": suppressed,
        # of the records read; a file that could not be read (to its end) is counted below
        "all_records_accounted_for": read == anonymized + dead + suppressed,
        # files that could not be read, or not to their end: one file-level dead letter each (stage "file")
        "files_unreadable": unreadable,
        "dead_letters_by_stage": prefixed("dead_letter_stage."),
        "findings_by_info_type": prefixed("findings."),
        "findings_by_field": _by_field(counts),
        # values that could not be transformed, per field, outcome (dead_lettered, left_untransformed)
        # and reason, as DLP's TransformationOverview (pii.transformation_error_handling)
        "transformation_errors": transformation_error_entries(counts),
        # records de-identified per primary key id of the keyset (no key material)
        "records_by_primary_key_id": {
            k.split("|", 1)[1]: v for k, v in sorted(counts.items()) if k.startswith("primary_key_id|")
        },
        # windows a detector judged; a bounded input's partial first / last windows are written unscored
        "windows_scored": counts.get("windows_scored", 0),
        "windows_unscored_partial": counts.get("windows_unscored_partial", 0),
        "windows_flagged": counts.get("windows_flagged", 0),
        "alerts": counts.get("alerts", 0),
        # the TFDV stage, when configured: windows profiled, validated after the baseline, and flags
        **(
            {
                "data_validation": {
                    "windows": counts.get("data_validation_windows", 0),
                    "windows_checked": counts.get("data_validation_windows_checked", 0),
                    "flagged": counts.get("data_validation_flagged", 0),
                }
            }
            if "data_validation_windows" in counts
            else {}
        ),
        # per window-sized bucket of event time: records anonymized, with a PII finding, dead-lettered (report.html)
        "timeline": timeline_entries(counts),
    }


def _by_field(counts: dict[str, int]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for key in sorted(counts):
        if key.startswith("findings_by_field|"):
            _, field, info_type = key.split("|", 2)
            out.setdefault(field, {})[info_type] = counts[key]
    return out


class RunSummaryWriter:
    """Partial counts -> their sum's summary document, written to ``path`` (run_summary.json) and returned.

    Called once per run, after every partial count is in: by ``WriteRunSummary``'s step, or by the shared
    finalize step after every file output is renamed into place (``SharedFinalize.after_renames``).
    Writing the same counts again (a retried step) writes the same file."""

    def __init__(self, output_dir: str, dataset: str):
        self.path = FileSystems.join(output_dir, "run_summary.json")
        self.dataset = dataset

    def __call__(self, partial_counts: Iterable[dict[str, int]]) -> dict[str, Any]:
        document = summary_document(self.dataset, merge_counts(partial_counts))
        with FileSystems.create(self.path) as handle:
            handle.write(json.dumps(document, indent=2, sort_keys=False).encode("utf-8") + b"\n")
        return document


class _WriteSummaryFn(beam.DoFn):
    """Once (on an Impulse), after every partial count is in: run_summary.json from their sum."""

    def __init__(self, write: RunSummaryWriter):
        self.write = write

    def process(self, _: bytes, partial_counts: Iterable[dict[str, int]]) -> Iterator[dict[str, Any]]:
        yield self.write(partial_counts)


class WriteRunSummary(beam.PTransform):
    """PCollection[dict[str, int]] of partial counts -> ``<output_dir>/run_summary.json``.

    Two steps, where ``CombineGlobally`` + a write were ten: one step on an ``Impulse`` sums the partial
    counts (a side input, read once every one is in) and writes the file; no input at all still writes a
    summary (of zeros), as the combine's default did. The side input is held in memory as it is read:
    its producers sum their counts per bundle
    (:class:`~veilwatch.transforms.report.bundle_counts.BundleCounts`), so it holds a few dicts, not one
    per batch. A batch run with file outputs writes the summary in their shared finalize step instead
    (``RunSummaryWriter`` with ``SharedFinalize.after_renames``): after they are all in place."""

    def __init__(self, output_dir: str, dataset: str):
        super().__init__()
        self.write = RunSummaryWriter(output_dir, dataset)

    def expand(self, counts: beam.PCollection[dict]) -> beam.PCollection[dict]:
        return (
            counts.pipeline
            | "Once" >> beam.Impulse()
            | "WriteSummary" >> beam.ParDo(_WriteSummaryFn(self.write), beam.pvalue.AsIter(counts))
        )
