"""The veilwatch graph: read -> anonymize -> write, and windows -> metrics -> scores.

    with beam.Pipeline(options=options) as p:
        outputs = build_pipeline(p, config, allow_plaintext_keys=True)

``build_pipeline`` returns its output PCollections (exposed for tests).
The source is ``config.source``: files (batch or streaming), a BigQuery
table or query (batch) or a Pub/Sub subscription (streaming); ``read``
replaces it (tests feed a ``TestStream`` through
:class:`~veilwatch.transforms.io.pubsub.MessagesToRawBatches`). Each output goes to its
BigQuery table and/or Pub/Sub topic when ``config.sinks`` names one, else to
files under ``config.sinks.output_dir``: ``anonymized/``, ``dead_letter/``,
``findings/``, ``flagged_windows/``, ``scores/`` (in batch, and in streaming with
``sinks.write_all_scores``) and, in batch, ``run_summary.json`` (``report.html``
is drawn from these after the run: ``pipelines/commands/run.py``). Streaming
runs write files per minute (:mod:`veilwatch.transforms.io.windowed_files`) and no run
summary (a streaming job has no end to sum up to). The dead letters include,
in streaming, the rows BigQuery refused and the records too late for their
window's metrics (:mod:`veilwatch.transforms.dead_letter_routes`); BigQuery tables are
created partitioned and clustered (:func:`veilwatch.transforms.io.bigquery.table_parameters`).

The runner pays per step before the first record (#15), so in batch the steps that read the same
elements are one: the flagged windows and the run summary's window counts
(:mod:`veilwatch.transforms.report.window_counts`), the input's extent and the summary's timeline
(``InputExtent(timeline=...)``). Those steps and the anonymizing step sum the summary's counts per bundle
themselves, and the summary is written by the step that renames every file output into place, after the
renames (``SharedFinalize.after_renames``): run_summary.json appears only once the run's files are complete.
"""

from __future__ import annotations

from typing import NamedTuple

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from veilwatch.transforms.anomaly.coverage import InputExtent
from veilwatch.transforms.anomaly.score import ScoreSeries
from veilwatch.transforms.anonymize import AnonymizeRecords, ProcessorFactory
from veilwatch.transforms.config.model import DatasetConfig, SourceFormat
from veilwatch.transforms.data_validation.streaming import ValidateStreamingWindows
from veilwatch.transforms.data_validation.transform import ValidateWindowStatistics
from veilwatch.transforms.dead_letter_routes import FailedRowsToDeadLetters, TooLateToDeadLetters
from veilwatch.transforms.io.bigquery import (
    DEAD_LETTER_SCHEMA,
    FINDINGS_SCHEMA,
    WINDOW_SCHEMA,
    ReadBigQueryBatches,
    WriteBatchesToBigQuery,
    anonymized_table_schema,
    dead_letter_row,
    finding_row,
    table_parameters,
)
from veilwatch.transforms.io.jsonl_files import SharedFinalize
from veilwatch.transforms.io.output_schema import flatten
from veilwatch.transforms.io.pubsub import ReadPubSubBatches, WriteJsonToPubSub
from veilwatch.transforms.io.sinks import RunSummaryWriter, WriteAnonymized, WriteJsonLines, WriteRunSummary
from veilwatch.transforms.io.sources import DEFAULT_BATCH_SIZE, ReadRawBatches
from veilwatch.transforms.io.windowed_files import WriteWindowedJsonLines
from veilwatch.transforms.metrics.window_metrics import ComputeWindowMetrics
from veilwatch.transforms.records.schema import SchemaTree
from veilwatch.transforms.report.timeline import TimelineCounts, bucket_seconds
from veilwatch.transforms.report.window_counts import KeepAnomaliesAndCountWindows


class PipelineOutputs(NamedTuple):
    anonymized: beam.PCollection  # AnonymizedBatch
    dead_letters: beam.PCollection  # list[dict] per batch
    findings: beam.PCollection  # list[dict] per batch
    window_metrics: beam.PCollection  # WindowMetric
    scores: beam.PCollection  # dict per scored window
    flagged: beam.PCollection  # dict per anomalous window
    summary: beam.PCollection | None  # the run_summary.json document (batch runs with an output_dir)


def read_source(config: DatasetConfig, batch_size: int) -> beam.PTransform:
    """The transform that turns ``config.source`` into PCollection[RawBatch]."""
    if config.source.format is SourceFormat.PUBSUB:
        return ReadPubSubBatches(config.source, config.event_time, batch_size)
    if config.source.format is SourceFormat.BIGQUERY:
        return ReadBigQueryBatches(config.source, batch_size)
    # CSV headers nest along the schema's objects only: a column it does not name stays one key
    return ReadRawBatches(config.source, batch_size, csv_objects=SchemaTree(config.fields).root)


def build_pipeline(
    pipeline: beam.Pipeline,
    config: DatasetConfig,
    allow_plaintext_keys: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    streaming: bool = False,
    read: beam.PTransform | None = None,
) -> PipelineOutputs:
    sinks = config.sinks
    raw = pipeline | "Read" >> (read or read_source(config, batch_size))
    summarize = not streaming and bool(sinks.output_dir)  # run_summary.json
    anon = raw | "Anonymize" >> AnonymizeRecords(
        config, ProcessorFactory(config, allow_plaintext_keys), stats_per_bundle=summarize
    )
    writer = _Writer(config, streaming)

    if sinks.bigquery.anonymized_table:
        writer.to_bigquery(
            anon.anonymized,
            "AnonymizedToBigQuery",
            sinks.bigquery.anonymized_table,
            anonymized_table_schema(config),
            lambda b, config=config: [flatten(r, config) for r in b.records],
            anonymized=True,
        )
    if sinks.pubsub.anonymized_topic:
        (
            anon.anonymized
            | "AnonymizedRecordsForPubSub" >> beam.Map(lambda b: list(b.records))
            | "AnonymizedToPubSub" >> WriteJsonToPubSub(sinks.pubsub.anonymized_topic, batched=True)
        )
    if sinks.anonymized_to_files:
        if streaming:
            (
                anon.anonymized
                | "AnonymizedRecords" >> beam.Map(lambda b: list(b.records))
                | "WriteAnonymized" >> writer.files("anonymized")
            )
        else:
            assert sinks.output_dir is not None, "anonymized_to_files means an output directory"
            anon.anonymized | "WriteAnonymized" >> WriteAnonymized(config, sinks.output_dir, writer.finalize)

    if sinks.bigquery.findings_table:
        writer.to_bigquery(
            anon.findings,
            "FindingsToBigQuery",
            sinks.bigquery.findings_table,
            FINDINGS_SCHEMA,
            lambda batch: [finding_row(f) for f in batch],
        )
    else:
        anon.findings | "WriteFindings" >> writer.files("findings")

    if anon.anonymized.is_bounded:
        metrics = anon.anonymized | "WindowMetrics" >> ComputeWindowMetrics(config)
    else:  # what the lateness gate drops from the metrics: counted in the dead letter
        metrics, too_late = anon.anonymized | "WindowMetrics" >> ComputeWindowMetrics(
            config, with_too_late=True
        )
        writer.dead_letters.append(too_late | "TooLateToDeadLetters" >> TooLateToDeadLetters(config))
    extent, timeline = _input_times(anon.anonymized, config, summarize)
    scores = metrics | "Score" >> ScoreSeries.for_config(config, extent)
    if summarize:  # one step: the flagged windows, and every scored window's counts for the summary
        flagged, window_counts = scores | "KeepAnomalies" >> KeepAnomaliesAndCountWindows()
    else:
        flagged = scores | "KeepAnomalies" >> beam.Filter(lambda s: s["is_anomaly"])
    validation = None
    if config.data_validation is not None:
        # batch: TFDV over the whole run; streaming: per Beam window, checked as windows close
        stage = ValidateStreamingWindows(config) if streaming else ValidateWindowStatistics(config)
        validation = anon.anonymized | "DataValidation" >> stage
        flagged = (flagged, validation.flagged) | "AllFlagged" >> beam.Flatten()
    if sinks.bigquery.flagged_windows_table:
        writer.to_bigquery(
            flagged, "FlaggedToBigQuery", sinks.bigquery.flagged_windows_table, WINDOW_SCHEMA, lambda s: [s]
        )
    if sinks.pubsub.alerts_topic:
        flagged | "AlertsToPubSub" >> WriteJsonToPubSub(sinks.pubsub.alerts_topic)
    if sinks.flagged_to_files:
        flagged | "WriteFlagged" >> writer.files("flagged_windows", batched=False)
    if sinks.bigquery.scores_table:
        writer.to_bigquery(
            scores, "ScoresToBigQuery", sinks.bigquery.scores_table, WINDOW_SCHEMA, lambda s: [s]
        )
    if sinks.scores_to_files or (not streaming and sinks.output_dir and not sinks.bigquery.scores_table):
        # batch runs keep every scored window on file: report.html plots each series with its expected band
        scores | "WriteScores" >> writer.files("scores", batched=False)
    dead_letters = _write_dead_letters(anon.dead_letters, writer)

    counts = None
    if summarize:  # each source's counts summed per bundle where they are counted; TFDV's: one dict
        assert timeline is not None
        sources = (anon.stats, window_counts, timeline) + (
            (validation.counts,) if validation is not None else ()
        )
        counts = sources | "AllCounts" >> beam.Flatten()
    summary = _finalize_and_summarize(pipeline, writer, counts)
    return PipelineOutputs(anon.anonymized, dead_letters, anon.findings, metrics, scores, flagged, summary)


def _finalize_and_summarize(
    pipeline: beam.Pipeline, writer: _Writer, counts: beam.PCollection | None
) -> beam.PCollection | None:
    """Batch: every JSONL file output renamed into place by one shared step, which then writes
    run_summary.json from ``counts`` (None: no summary): a consumer that sees run_summary.json knows
    every file output is complete, and a run whose renames fail writes none. Without a shared file
    output (every output in BigQuery), the summary is a step of its own. Returns the summary document."""
    finalize = writer.finalize
    if finalize is not None and finalize.has_outputs:
        if counts is not None:
            assert writer.output_dir is not None
            finalize.after_renames(RunSummaryWriter(writer.output_dir, writer.config.dataset), counts)
        finalized = finalize.apply(pipeline, "FinalizeFiles")
        assert finalized is not None, "has_outputs: apply builds the step"
        return finalized.after_renames
    if counts is None:
        return None
    assert writer.output_dir is not None
    return counts | "Summary" >> WriteRunSummary(writer.output_dir, writer.config.dataset)


def _input_times(
    batches: beam.PCollection, config: DatasetConfig, summarize: bool
) -> tuple[beam.PCollection | None, beam.PCollection | None]:
    """(the input's extent, the run summary's timeline counts per bundle), each None when not wanted.

    A bounded input's first and last event time: windows it only partly covers are not scored. The
    run summary's timeline counts the same event times per bucket: in the same step when both are
    wanted (``InputExtent(timeline=...)``, one step fewer for the runner to pay for)."""
    timeline_counts = TimelineCounts(bucket_seconds(config.window))
    if not batches.is_bounded:  # streaming: no extent (every window is whole when scored)
        timeline = batches | "CountTimeline" >> beam.Map(timeline_counts) if summarize else None
        return None, timeline
    if not summarize:
        return batches | "InputExtent" >> InputExtent(), None
    extent, timeline = batches | "InputExtent" >> InputExtent(timeline=timeline_counts)
    return extent, timeline


def _write_dead_letters(records_dead: beam.PCollection, writer: _Writer) -> beam.PCollection:
    """Every dead letter of the run (the records', and the later stages': rows BigQuery refused,
    records too late for their window) to the dead-letter table or files; returns them all."""
    dead_letters = records_dead
    if writer.dead_letters:
        dead_letters = (records_dead, *writer.dead_letters) | "AllDeadLetters" >> beam.Flatten()
    table = writer.config.sinks.bigquery.dead_letter_table
    if table:
        # Rows the dead-letter table itself refuses are counted (veilwatch/dead_letters_bigquery_insert)
        # and go to files when there is an output_dir: never back into the same table.
        refused = writer.to_bigquery(
            dead_letters,
            "DeadLettersToBigQuery",
            table,
            DEAD_LETTER_SCHEMA,
            lambda batch: [dead_letter_row(d) for d in batch],
            route_failures=False,
        )
        if refused is not None and writer.output_dir:
            refused | "WriteRefusedDeadLetters" >> writer.files("dead_letter")
    else:
        dead_letters | "WriteDeadLetters" >> writer.files("dead_letter")
    return dead_letters


class _Writer:
    """The file and BigQuery writers of one run (batch or streaming)."""

    def __init__(self, config: DatasetConfig, streaming: bool):
        self.config = config
        self.output_dir = config.sinks.output_dir
        self.streaming = streaming
        self.dead_letters: list[beam.PCollection] = []  # of later stages, list[dict] per element
        # batch: the JSONL outputs' temp files are renamed into place by one shared step
        self.finalize = None if streaming else SharedFinalize()

    def files(self, name: str, batched: bool = True) -> beam.PTransform:
        assert self.output_dir is not None, "file outputs are written only with sinks.output_dir"
        directory = FileSystems.join(self.output_dir, name)
        if self.streaming:
            return WriteWindowedJsonLines(directory, batched=batched)
        return WriteJsonLines(FileSystems.join(directory, "part"), batched=batched, finalize=self.finalize)

    def to_bigquery(
        self,
        pcoll: beam.PCollection,
        label: str,
        table: str,
        schema: dict,
        to_rows,
        anonymized: bool = False,
        route_failures: bool = True,
    ) -> beam.PCollection | None:
        """Write ``pcoll`` to ``table`` (partitioned and clustered as the config says). In streaming,
        the rows BigQuery refuses become dead letters: added to the run's (``route_failures``) or
        returned. Batch load jobs have no refused rows: a load either succeeds or fails the run."""
        result = pcoll | label >> WriteBatchesToBigQuery(
            table,
            schema,
            to_rows,
            streaming=self.streaming,
            parameters=table_parameters(schema, self.config.sinks.bigquery),
        )
        if not self.streaming:
            return None
        refused = result.failed_rows_with_errors | f"{label}RefusedRows" >> FailedRowsToDeadLetters(
            self.config, table, schema, anonymized=anonymized
        )
        if route_failures:
            self.dead_letters.append(refused)
            return None
        return refused
