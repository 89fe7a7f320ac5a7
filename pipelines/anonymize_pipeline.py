"""The veilwatch graph: read -> anonymize -> write, and windows -> metrics -> scores.

    with beam.Pipeline(options=options) as p:
        outputs = build_pipeline(p, config, allow_plaintext_keys=True)

``build_pipeline`` returns its output PCollections (exposed for tests).
Everything it writes goes under ``config.sinks.output_dir``:
``anonymized/``, ``dead_letter/``, ``findings/``, ``flagged_windows/``
(``scores/`` too with ``sinks.write_all_scores``) and ``run_summary.json``.
"""
from __future__ import annotations

from typing import NamedTuple

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from transforms.anomaly.score import ScoreSeries
from transforms.anonymize import AnonymizeRecords, ProcessorFactory
from transforms.config.model import DatasetConfig
from transforms.io.sinks import WriteAnonymized, WriteJsonLines, WriteRunSummary
from transforms.io.sources import DEFAULT_BATCH_SIZE, ReadRawBatches
from transforms.metrics.window_metrics import ComputeWindowMetrics


class PipelineOutputs(NamedTuple):
    anonymized: beam.PCollection  # AnonymizedBatch
    dead_letters: beam.PCollection  # list[dict] per batch
    findings: beam.PCollection  # list[dict] per batch
    window_metrics: beam.PCollection  # WindowMetric
    scores: beam.PCollection  # dict per scored window
    flagged: beam.PCollection  # dict per anomalous window
    summary: beam.PCollection  # the run_summary.json document


def build_pipeline(
    pipeline: beam.Pipeline,
    config: DatasetConfig,
    allow_plaintext_keys: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> PipelineOutputs:
    out = config.sinks.output_dir
    raw = pipeline | "Read" >> ReadRawBatches(config.source, batch_size)
    anon = raw | "Anonymize" >> AnonymizeRecords(config, ProcessorFactory(config, allow_plaintext_keys))
    anon.anonymized | "WriteAnonymized" >> WriteAnonymized(config, out)
    anon.dead_letters | "WriteDeadLetters" >> WriteJsonLines(FileSystems.join(out, "dead_letter", "part"))
    anon.findings | "WriteFindings" >> WriteJsonLines(FileSystems.join(out, "findings", "part"))

    metrics = anon.anonymized | "WindowMetrics" >> ComputeWindowMetrics(config)
    kinds = {m.name: m.kind for m in config.metrics}
    step = config.window.period_seconds or config.window.size_seconds
    scores = metrics | "Score" >> ScoreSeries(config.dataset, config.detector, step, kinds)
    flagged = scores | "KeepAnomalies" >> beam.Filter(lambda s: s["is_anomaly"])
    flagged | "WriteFlagged" >> WriteJsonLines(FileSystems.join(out, "flagged_windows", "part"), batched=False)
    if config.sinks.write_all_scores:
        scores | "WriteScores" >> WriteJsonLines(FileSystems.join(out, "scores", "part"), batched=False)

    window_counts = scores | "CountWindows" >> beam.Map(
        lambda s: {"windows_scored": 1, "windows_flagged": int(s["is_anomaly"])}
    )
    summary = (
        (anon.stats, window_counts)
        | "AllCounts" >> beam.Flatten()
        | "Summary" >> WriteRunSummary(out, config.dataset)
    )
    return PipelineOutputs(anon.anonymized, anon.dead_letters, anon.findings, metrics, scores, flagged, summary)
