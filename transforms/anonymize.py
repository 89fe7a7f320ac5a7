"""AnonymizeRecords: raw batches -> anonymized batches, dead letters, findings, stats.

The per-record work is :class:`~veilwatch.transforms.processing.record_processor.RecordProcessor`;
this module only runs it over batches inside one DoFn that builds the
processor (keys, primitives, scanner) once in ``setup()``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.metrics import Metrics

from veilwatch.transforms.config.model import DatasetConfig, PiiEngine
from veilwatch.transforms.deadletter import UNREADABLE_FILE_PREFIX, file_dead_letter
from veilwatch.transforms.element_coders import AnonymizedBatchCoder  # noqa: F401  (registers the coder)
from veilwatch.transforms.elements import AnonymizedBatch, DeadLetter, RawBatch
from veilwatch.transforms.keys.keyring import KeyRing, NoKeyset
from veilwatch.transforms.processing.record_processor import (
    Anonymized,
    RecordProcessor,
    Suppressed,
    build_scanner,
)
from veilwatch.transforms.processing.worker_gc import tune_garbage_collector_once
from veilwatch.transforms.report.bundle_counts import BundleCounts

if TYPE_CHECKING:  # imported where it is built: only DLP runs need it
    from veilwatch.transforms.processing.dlp_processor import DlpRecordProcessor

DEAD_LETTERS = "dead_letters"
FINDINGS = "findings"
STATS = "stats"
# Shared by every record without findings (most of them): one object, not one per record.
_NO_FINDINGS: frozenset = frozenset()


class AnonymizeOutputs(NamedTuple):
    anonymized: beam.PCollection  # AnonymizedBatch
    dead_letters: beam.PCollection  # list[dict] per batch
    findings: beam.PCollection  # list[dict] per batch
    stats: beam.PCollection  # dict[str, int] per batch (per bundle with ``stats_per_bundle``)


class ProcessorFactory:
    """Picklable recipe for a RecordProcessor: loads keys and the scanner on the worker."""

    def __init__(self, config: DatasetConfig, allow_plaintext_keys: bool):
        self.config = config
        self.allow_plaintext_keys = allow_plaintext_keys

    def __call__(self) -> RecordProcessor | DlpRecordProcessor:
        if self.config.pii.engine is PiiEngine.DLP:
            from veilwatch.transforms.processing.dlp_processor import DlpRecordProcessor

            return DlpRecordProcessor(self.config, load_keys(self.config, self.allow_plaintext_keys))
        return RecordProcessor(
            self.config, load_keys(self.config, self.allow_plaintext_keys), build_scanner(self.config)
        )


def load_keys(config: DatasetConfig, allow_plaintext_keys: bool) -> KeyRing | NoKeyset:
    """The dataset's KeyRing, or a NoKeyset when it has no keyset (no transformation needs
    one; DLP cryptoKeys still see the run's ``--allow_plaintext_keys`` through it)."""
    if not config.keys.keyset:
        return NoKeyset(allow_plaintext_keys)
    return KeyRing.load(config.keys, allow_plaintext_keys)


class AnonymizeBatchFn(beam.DoFn):
    """Runs the RecordProcessor over each RawBatch.

    ``processor_factory`` is called in ``setup()`` on the worker, so keys are
    loaded there and never pickled into the pipeline graph. The first ``setup()`` of a process
    then tunes the garbage collector for batches (:mod:`~veilwatch.transforms.processing.worker_gc`:
    ``gc.freeze()`` of the model, tables and modules, and a young generation wider than a batch).

    The ``STATS`` output holds each batch's counts; with ``stats_per_bundle`` (bounded runs with a run
    summary), their sum per bundle instead, emitted when the bundle ends in the global window
    (:class:`~veilwatch.transforms.report.bundle_counts.BundleCounts`): the summary reads one dict per
    bundle, and no step of its own sums them.
    """

    def __init__(
        self,
        processor_factory: Callable[[], RecordProcessor | DlpRecordProcessor],
        stats_per_bundle: bool = False,
    ):
        self.processor_factory = processor_factory
        self.stats_per_bundle = stats_per_bundle
        self.anonymized_counter = Metrics.counter("veilwatch", "records_anonymized")
        self.dead_letter_counter = Metrics.counter("veilwatch", "records_dead_lettered")
        self.suppressed_counter = Metrics.counter(
            "veilwatch", "records_suppressed"
        )  # pii.record_suppressions
        self.findings_counter = Metrics.counter("veilwatch", "findings")

    def setup(self) -> None:
        self.processor = self.processor_factory()
        tune_garbage_collector_once()  # once per process: see processing.worker_gc

    def start_bundle(self) -> None:
        self._bundle_stats = BundleCounts()

    def finish_bundle(self) -> list[Any]:
        return self._bundle_stats.flush(STATS)

    def process(self, batch: RawBatch) -> Iterator[Any]:
        records: list[dict] = []
        times: list[float] = []
        record_findings: list[frozenset] = []
        dead: list[DeadLetter] = []
        dead_times: list[float] = []
        findings: list[dict] = []
        stats: Counter = Counter(records_read=len(batch.items))
        for failure in batch.file_errors:
            dead.append(file_dead_letter(failure.path, failure.reason, failure.records_before))
            stats[f"{UNREADABLE_FILE_PREFIX}{failure.path}"] = 1
        for outcome in self.processor.process_batch(batch.items):  # the batch parsed once
            if isinstance(outcome, Anonymized):
                records.append(outcome.record)
                times.append(outcome.event_time)
                if not outcome.findings:
                    record_findings.append(_NO_FINDINGS)
                    continue
                record_findings.append(frozenset((f.field, f.info_type) for f in outcome.findings))
                for f in outcome.findings:
                    findings.append(
                        {
                            "source": outcome.ref,
                            "field": f.field,
                            "start": f.start,
                            "end": f.end,
                            "info_type": f.info_type,
                            "likelihood": f.likelihood,
                        }
                    )
                    stats[f"findings.{f.info_type}"] += 1
                    stats[f"findings_by_field|{f.field}|{f.info_type}"] += 1
            elif isinstance(outcome, Suppressed):  # pii.record_suppressions: no output, counted
                stats["records_suppressed"] += 1
            else:
                dead.append(outcome.dead_letter)
                if outcome.event_time is not None:
                    dead_times.append(outcome.event_time)
                stats[f"dead_letter_stage.{outcome.dead_letter['stage']}"] += 1
        self._count_transformation_errors(stats)
        stats["records_anonymized"] = len(records)
        if self.processor.primary_key_id is not None:
            stats[f"primary_key_id|{self.processor.primary_key_id}"] = len(records)
        records_dead = len(dead) - len(batch.file_errors)
        stats["records_dead_lettered"] = records_dead
        self.anonymized_counter.inc(len(records))
        self.dead_letter_counter.inc(records_dead)
        if stats["records_suppressed"]:
            self.suppressed_counter.inc(stats["records_suppressed"])
        self.findings_counter.inc(len(findings))
        self._count_per_name(stats)
        if records or dead_times:
            yield AnonymizedBatch(tuple(records), tuple(times), tuple(record_findings), tuple(dead_times))
        if dead:
            yield pvalue.TaggedOutput(DEAD_LETTERS, dead)
        if findings:
            yield pvalue.TaggedOutput(FINDINGS, findings)
        if self.stats_per_bundle:
            self._bundle_stats.add(stats)
        else:
            yield pvalue.TaggedOutput(STATS, dict(stats))

    def _count_per_name(self, stats: Counter) -> None:
        """Beam counters for dashboards (Cloud Monitoring): findings per infoType
        (``findings_<INFO_TYPE>``) and dead letters per stage (``dead_letters_<stage>``, a file
        that could not be read is ``dead_letters_file``). The names hold an infoType or a
        stage name only, never a value, a field outside the schema or a path."""
        for key, count in stats.items():
            if key.startswith("findings.") and count:
                Metrics.counter("veilwatch", f"findings_{key[len('findings.') :]}").inc(count)
            elif key.startswith("dead_letter_stage.") and count:
                Metrics.counter("veilwatch", f"dead_letters_{key[len('dead_letter_stage.') :]}").inc(count)
        files = sum(1 for key in stats if key.startswith(UNREADABLE_FILE_PREFIX))
        if files:
            Metrics.counter("veilwatch", "dead_letters_file").inc(files)

    def _count_transformation_errors(self, stats: Counter) -> None:
        """Transformation errors of this batch per field, outcome and reason (DLP's
        TransformationOverview): into the stats and a Beam counter each (names hold no value)."""
        errors = getattr(self.processor, "transformation_errors", None)  # the DLP engine's processor
        if errors is None:
            errors = getattr(getattr(self.processor, "deidentifier", None), "transformation_errors", None)
        if errors is None:
            return
        for key, count in errors.drain().items():
            stats[key] += count
            Metrics.counter("veilwatch", key).inc(count)


class AnonymizeRecords(beam.PTransform[beam.PCollection[RawBatch], AnonymizeOutputs]):
    """PCollection[RawBatch] -> AnonymizeOutputs (see module docstring)."""

    def __init__(
        self,
        config: DatasetConfig,
        processor_factory: Callable[[], RecordProcessor | DlpRecordProcessor],
        stats_per_bundle: bool = False,
    ):
        """``stats_per_bundle``: see ``AnonymizeBatchFn`` (bounded input only)."""
        super().__init__()
        self.config = config
        self.processor_factory = processor_factory
        self.stats_per_bundle = stats_per_bundle

    def expand(self, batches: beam.PCollection[RawBatch]) -> AnonymizeOutputs:
        # Declared, so that the batches take AnonymizedBatchCoder (element_coders: sized without pickling)
        anonymize = beam.ParDo(
            AnonymizeBatchFn(self.processor_factory, self.stats_per_bundle)
        ).with_output_types(AnonymizedBatch)
        outputs = batches | "ParseValidateDeidentify" >> anonymize.with_outputs(
            DEAD_LETTERS, FINDINGS, STATS, main="anonymized"
        )
        return AnonymizeOutputs(outputs.anonymized, outputs[DEAD_LETTERS], outputs[FINDINGS], outputs[STATS])
