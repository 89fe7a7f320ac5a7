"""The re-identification graph: read anonymized records -> restore fields -> write.

    with beam.Pipeline(options=options) as p:
        build_reidentify_pipeline(p, config, plan, "out/run1/anonymized/*", "out/reid",
                                  allow_plaintext_keys=True)

Writes under ``output_dir``: ``reidentified/part-*.jsonl`` (the records with
the requested fields restored), ``dead_letter/part-*.jsonl`` (records whose
tokens did not decrypt: wrong key, context or a modified token; PII redacted)
and ``reidentify_summary.json``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, NamedTuple

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from veilwatch.transforms.anonymize import load_keys
from veilwatch.transforms.config.model import DatasetConfig, DlpMode, PiiEngine, SourceSpec
from veilwatch.transforms.deadletter import UNREADABLE_FILE_PREFIX, DeadLetterRedactor
from veilwatch.transforms.deid.reidentifier import RecordReidentifier, ReidentifyPlan
from veilwatch.transforms.deid.reidentify import ReidentifyRecords
from veilwatch.transforms.io.sinks import WriteJsonLines, merge_counts
from veilwatch.transforms.io.sources import DEFAULT_BATCH_SIZE, ReadRawBatches

if TYPE_CHECKING:  # imported where it is built: only DLP runs need it
    from veilwatch.transforms.dlp.reidentify import DlpRecordReidentifier

OUTPUT_PARTS = ("reidentified", "dead_letter", "reidentify_summary.json")


class ReidentifierFactory:
    """Picklable recipe for a RecordReidentifier: loads the keys on the worker."""

    def __init__(
        self,
        config: DatasetConfig,
        plan: ReidentifyPlan,
        allow_plaintext_keys: bool,
        key_id: int | None = None,
    ):
        self.config = config
        self.plan = plan
        self.allow_plaintext_keys = allow_plaintext_keys
        self.key_id = key_id

    def __call__(self) -> RecordReidentifier | DlpRecordReidentifier:
        dlp_spec = self.config.pii.dlp  # set whenever the engine is DLP (config validation)
        if (
            self.config.pii.engine is PiiEngine.DLP
            and dlp_spec is not None
            and dlp_spec.mode is DlpMode.DEIDENTIFY
        ):
            from veilwatch.transforms.dlp.reidentify import DlpRecordReidentifier, restored_by_dlp

            if restored_by_dlp(self.config, self.plan):  # DLP made the tokens: content.reidentify
                return DlpRecordReidentifier(self.config, self.plan)
        keys = load_keys(self.config, self.allow_plaintext_keys)  # NoKeyset: DLP cryptoKeys only
        if self.key_id is not None:
            keys = keys.pinned(self.key_id)
        return RecordReidentifier(self.plan, keys)


class ReidentifyPipelineOutputs(NamedTuple):
    records: beam.PCollection
    dead_letters: beam.PCollection
    summary: beam.PCollection


def _write_summary(counts: dict, path: str, dataset: str) -> dict:
    document = {
        "dataset": dataset,
        "records_read": counts.get("records_read", 0),
        "records_reidentified": counts.get("records_reidentified", 0),
        "records_dead_lettered": counts.get("records_dead_lettered", 0),
        # files that could not be read (to their end): one file-level dead letter each
        "files_unreadable": sum(1 for key in counts if key.startswith(UNREADABLE_FILE_PREFIX)),
    }
    with FileSystems.create(path) as handle:
        handle.write(json.dumps(document, indent=2).encode("utf-8"))
    return document


def build_reidentify_pipeline(
    pipeline: beam.Pipeline,
    config: DatasetConfig,
    plan: ReidentifyPlan,
    input_pattern: str,
    output_dir: str,
    allow_plaintext_keys: bool = False,
    key_id: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> ReidentifyPipelineOutputs:
    source = SourceSpec(
        config.sinks.anonymized_format,
        input_pattern,
        config.source.csv_delimiter,
        config.source.max_record_bytes,
    )
    raw = pipeline | "ReadAnonymized" >> ReadRawBatches(source, batch_size)
    out = raw | "Reidentify" >> ReidentifyRecords(
        ReidentifierFactory(config, plan, allow_plaintext_keys, key_id), DeadLetterRedactor(config)
    )
    out.records | "WriteRecords" >> WriteJsonLines(FileSystems.join(output_dir, "reidentified", "part"))
    out.dead_letters | "WriteDeadLetters" >> WriteJsonLines(
        FileSystems.join(output_dir, "dead_letter", "part")
    )
    summary = (
        out.stats
        | "MergeCounts" >> beam.CombineGlobally(merge_counts)
        | "WriteSummary"
        >> beam.Map(_write_summary, FileSystems.join(output_dir, "reidentify_summary.json"), config.dataset)
    )
    return ReidentifyPipelineOutputs(out.records, out.dead_letters, summary)
