"""BigQuery in and out: table schemas derived from the dataset config, rows in batches.

    raw = p | ReadBigQueryBatches(config.source, batch_size=1000)      # batch source
    anon | WriteBatchesToBigQuery("p:d.anonymized", anonymized_table_schema(config),
                                  to_rows=lambda b: [flatten(r, config) for r in b.records])

The anonymized table's schema is the flat output schema of the Avro and
Parquet sinks (:mod:`veilwatch.transforms.io.output_schema`) in BigQuery's types: a
declared PII field is a STRING whatever it was before (a token, a mask, an
infoType name), list paths and ``json`` fields are JSON text in a STRING,
timestamps keep their text form, everything is NULLABLE. Flagged windows,
scores, dead letters and findings have fixed schemas below.

Tables are created when missing and appended to. Batch jobs load files
(``FILE_LOADS``, through ``--temp_location``); streaming jobs use streaming
inserts. Rows are one per record; a dead letter's ``record`` (already
redacted) is JSON text.

Tables are created partitioned and clustered (:func:`table_parameters`, from
``sinks.bigquery.time_partitioning`` and ``clustering``): the flagged windows
and scores tables by the day of ``window_start`` (their event time) and
clustered by ``dataset, series_key``; the others, which have no event-time
column of type TIMESTAMP, by ingestion day. A streaming insert BigQuery
refuses for good leaves on ``failed_rows_with_errors`` (transient errors are
retried); the pipeline turns those into dead letters
(:mod:`veilwatch.transforms.dead_letter_routes`). A batch load job either loads a
file or fails the run (exit 1).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import apache_beam as beam
from apache_beam.io.gcp.bigquery import BigQueryDisposition, ReadFromBigQuery, WriteToBigQuery
from apache_beam.io.gcp.bigquery_tools import RetryStrategy

from veilwatch.transforms.config.model import BigQuerySinksSpec, DatasetConfig, SourceFormat, SourceSpec
from veilwatch.transforms.elements import RawBatch
from veilwatch.transforms.io.output_schema import output_fields
from veilwatch.transforms.io.progress import RecordsReadCounter
from veilwatch.transforms.io.sinks import to_json_line
from veilwatch.transforms.io.sources import DEFAULT_BATCH_SIZE, json_ready_item

_BQ_TYPES = {"string": "STRING", "long": "INT64", "double": "FLOAT64", "boolean": "BOOL"}


def _field(name: str, kind: str, mode: str = "NULLABLE") -> dict[str, str]:
    return {"name": name, "type": kind, "mode": mode}


def anonymized_table_schema(config: DatasetConfig) -> dict[str, Any]:
    """The anonymized records' table: one NULLABLE column per schema field (see module docstring)."""
    return {"fields": [_field(name, _BQ_TYPES[kind]) for name, kind in output_fields(config)]}


# One row per scored window: the flagged-window shape of the README.
WINDOW_SCHEMA = {
    "fields": [
        _field("dataset", "STRING", "REQUIRED"),
        _field("series_key", "STRING", "REQUIRED"),
        _field("metric", "STRING", "REQUIRED"),
        _field("group_by", "STRING"),
        _field("group", "STRING"),
        _field("window_start", "TIMESTAMP", "REQUIRED"),
        _field("window_end", "TIMESTAMP", "REQUIRED"),
        _field("observed", "FLOAT64"),
        _field("detail", "STRING"),
        _field("expected", "FLOAT64"),
        _field("spread", "FLOAT64"),
        _field("score", "FLOAT64"),
        _field("direction", "STRING"),
        _field("threshold", "FLOAT64"),
        _field("is_anomaly", "BOOL"),
        _field("alert", "BOOL"),
        _field("detector", "STRING"),
        _field("explanation", "STRING"),
    ]
}

DEAD_LETTER_SCHEMA = {
    "fields": [
        _field("stage", "STRING", "REQUIRED"),
        _field("error", "STRING"),
        _field("source", "STRING"),
        _field("record", "STRING"),  # the redacted record as JSON text; null when it could not be parsed
    ]
}

FINDINGS_SCHEMA = {
    "fields": [
        _field("source", "STRING"),
        _field("field", "STRING"),
        _field("start", "INT64"),
        _field("end", "INT64"),
        _field("info_type", "STRING"),
        _field("likelihood", "STRING"),
    ]
}


# The event-time column a table is partitioned on, when it has one of type TIMESTAMP.
_EVENT_TIME_COLUMN = "window_start"


def table_parameters(schema: dict[str, Any], spec: BigQuerySinksSpec) -> dict[str, Any]:
    """``additional_bq_parameters`` for a table created with ``schema``: BigQuery's
    ``timePartitioning`` (on ``window_start`` when the table has it, else ingestion time)
    and, for tables that have every configured clustering column, ``clustering``."""
    columns = {f["name"]: f["type"] for f in schema["fields"]}
    parameters: dict[str, Any] = {}
    if spec.time_partitioning:
        partitioning = {"type": spec.time_partitioning}
        if columns.get(_EVENT_TIME_COLUMN) == "TIMESTAMP":
            partitioning["field"] = _EVENT_TIME_COLUMN
        parameters["timePartitioning"] = partitioning
    if spec.clustering and all(c in columns for c in spec.clustering):
        parameters["clustering"] = {"fields": list(spec.clustering)}
    return parameters


def dead_letter_row(dead_letter: dict[str, Any]) -> dict[str, Any]:
    record = dead_letter.get("record")
    return {**dead_letter, "record": None if record is None else to_json_line(record)}


def finding_row(finding: dict[str, Any]) -> dict[str, Any]:
    return {
        **finding,
        "likelihood": None if finding.get("likelihood") is None else str(finding["likelihood"]),
    }


class RowsToBatchFn(beam.DoFn):
    """A list of BigQuery rows -> one RawBatch; references ``bigquery:<table>#<batch>-<row>``."""

    def __init__(self, source: SourceSpec):
        spec = source.bigquery
        assert spec is not None, "config validation requires source.bigquery for a BigQuery source"
        self.name = spec.table if spec.table else "query"
        self.records_read = RecordsReadCounter()  # a Beam counter, also read by the progress line

    def process(self, rows: list[dict]) -> Iterator[RawBatch]:
        batch_id = uuid.uuid4().hex[:12]  # rows have no stable position; the batch id keeps references unique
        # NUMERIC, BYTES, DATE, TIME ... arrive as Python types: turned into their JSON form, as for Avro.
        items = tuple(
            json_ready_item(f"bigquery:{self.name}#{batch_id}-{i}", dict(row)) for i, row in enumerate(rows)
        )
        self.records_read.inc(len(items))
        yield RawBatch(SourceFormat.BIGQUERY, items)


class ReadBigQueryBatches(beam.PTransform[beam.pvalue.PBegin, beam.PCollection[RawBatch]]):
    """A table or query -> PCollection[RawBatch] (bounded), via the BigQuery Storage Read API."""

    def __init__(self, source: SourceSpec, batch_size: int = DEFAULT_BATCH_SIZE):
        super().__init__()
        self.source = source
        self.batch_size = batch_size

    def expand(self, pbegin: beam.pvalue.PBegin) -> beam.PCollection[RawBatch]:
        spec = self.source.bigquery
        assert spec is not None, "config validation requires source.bigquery for a BigQuery source"
        read = (
            ReadFromBigQuery(table=spec.table, method=ReadFromBigQuery.Method.DIRECT_READ)
            if spec.table
            else ReadFromBigQuery(
                query=spec.query, use_standard_sql=True, method=ReadFromBigQuery.Method.DIRECT_READ
            )
        )
        return (
            pbegin
            | "ReadRows" >> read
            | "Batch" >> beam.BatchElements(min_batch_size=self.batch_size, max_batch_size=self.batch_size)
            | "ToRawBatches" >> beam.ParDo(RowsToBatchFn(self.source))
        )


class WriteBatchesToBigQuery(beam.PTransform):
    """PCollection[batch] -> rows appended to ``table`` (created with ``schema`` when missing)."""

    def __init__(
        self,
        table: str,
        schema: dict[str, Any],
        to_rows: Callable[[Any], Iterable[dict]],
        streaming: bool = False,
        parameters: dict[str, Any] | None = None,
    ):
        super().__init__()
        self.table = table
        self.schema = schema
        self.to_rows = to_rows
        self.streaming = streaming
        self.parameters = parameters or {}  # table_parameters(): partitioning and clustering

    def expand(self, pcoll: beam.PCollection) -> Any:
        """The WriteToBigQuery result: in streaming, its ``failed_rows_with_errors`` holds
        (table, row, errors) per row BigQuery refused for good."""
        method = (
            WriteToBigQuery.Method.STREAMING_INSERTS if self.streaming else WriteToBigQuery.Method.FILE_LOADS
        )
        # Streaming inserts retry transient errors only: a row BigQuery refuses (a bad value) would
        # otherwise be retried forever, never reaching the failed rows (and the dead letter).
        retry = RetryStrategy.RETRY_ON_TRANSIENT_ERROR if self.streaming else None  # None: Beam's default
        return (
            pcoll
            | "ToRows" >> beam.FlatMap(self.to_rows)
            | "WriteRows"
            >> WriteToBigQuery(
                self.table,
                schema=self.schema,
                create_disposition=BigQueryDisposition.CREATE_IF_NEEDED,
                write_disposition=BigQueryDisposition.WRITE_APPEND,
                method=method,
                additional_bq_parameters=self.parameters,
                insert_retry_strategy=retry,
            )
        )
