"""ReidentifyRecords: anonymized batches -> restored records, dead letters, counts.

A thin Beam layer over :class:`~veilwatch.transforms.deid.reidentifier.RecordReidentifier`:
one DoFn that loads the keys and builds the primitives in ``setup()``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import NamedTuple, Protocol

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.metrics import Metrics

from veilwatch.transforms.config.model import SourceFormat
from veilwatch.transforms.deadletter import (
    UNREADABLE_FILE_PREFIX,
    DeadLetterRedactor,
    file_dead_letter,
    make_dead_letter,
)
from veilwatch.transforms.elements import DeadLetter, RawBatch
from veilwatch.transforms.records.errors import RecordError
from veilwatch.transforms.records.nesting import nest_dotted
from veilwatch.transforms.records.parse import parse_payload

DEAD_LETTERS = "dead_letters"
STATS = "stats"


# The Avro and Parquet sinks write ``customer.email`` as a column ``customer__email``.
_FLAT_FORMATS = (SourceFormat.AVRO, SourceFormat.PARQUET)


def unflatten(row: dict) -> dict:
    """``{"customer__email": x}`` -> ``{"customer": {"email": x}}`` (the sinks' column naming undone)."""
    return nest_dotted((name.replace("__", "."), value) for name, value in row.items())


class Reidentifier(Protocol):
    """Restores one record in place (RecordReidentifier; the DLP engine's also has a
    ``reidentify_batch``, used for a whole bundle when present)."""

    def reidentify(self, record: dict) -> None: ...


class ReidentifyOutputs(NamedTuple):
    records: beam.PCollection  # list[dict] per batch
    dead_letters: beam.PCollection  # list[dict] per batch
    stats: beam.PCollection  # dict[str, int] per batch


class ReidentifyBatchFn(beam.DoFn):
    """``reidentifier_factory`` runs in ``setup()``: keys are loaded on the worker, never pickled."""

    def __init__(self, reidentifier_factory: Callable[[], Reidentifier], redactor: DeadLetterRedactor):
        self.reidentifier_factory = reidentifier_factory
        self.redactor = redactor
        self.restored_counter = Metrics.counter("veilwatch", "records_reidentified")
        self.dead_letter_counter = Metrics.counter("veilwatch", "records_dead_lettered")

    def setup(self) -> None:
        self.reidentifier = self.reidentifier_factory()

    def process(self, batch: RawBatch) -> Iterator:
        restored: list[dict] = []
        # Files that could not be read (to their end): one file-level dead letter each.
        dead: list[DeadLetter] = [
            file_dead_letter(f.path, f.reason, f.records_before) for f in batch.file_errors
        ]
        # A reidentifier working a bundle at a time (the DLP engine: content.reidentify) gets the
        # parsed records together after the loop.
        reidentify_batch = getattr(self.reidentifier, "reidentify_batch", None)
        pending: list[tuple] = []
        for item in batch.items:
            record = None
            try:
                record = parse_payload(item.payload, item.error)
                if batch.format in _FLAT_FORMATS:
                    record = unflatten(record)
                if reidentify_batch is not None:
                    pending.append((item, record))
                    continue
                self.reidentifier.reidentify(record)
                restored.append(record)
            except RecordError as exc:
                dead.append(make_dead_letter(exc.stage, exc.message, item.ref, self.redactor.redact(record)))
            except Exception as exc:  # noqa: BLE001 - one bad record must not fail the bundle
                dead.append(
                    make_dead_letter(
                        "reidentify",
                        f"unexpected {type(exc).__name__}",
                        item.ref,
                        self.redactor.redact(record),
                    )
                )
        if pending:
            assert reidentify_batch is not None, "records wait only for a batch reidentifier"
            for (item, record), reason in zip(
                pending, reidentify_batch([r for _, r in pending]), strict=True
            ):
                if reason is None:
                    restored.append(record)
                else:
                    dead.append(
                        make_dead_letter("reidentify", reason, item.ref, self.redactor.redact(record))
                    )
        self.restored_counter.inc(len(restored))
        records_dead = len(dead) - len(batch.file_errors)
        self.dead_letter_counter.inc(records_dead)
        if restored:
            yield restored
        if dead:
            yield pvalue.TaggedOutput(DEAD_LETTERS, dead)
        stats = Counter(
            records_read=len(batch.items),
            records_reidentified=len(restored),
            records_dead_lettered=records_dead,
        )
        stats.update({f"{UNREADABLE_FILE_PREFIX}{f.path}": 1 for f in batch.file_errors})
        yield pvalue.TaggedOutput(STATS, dict(stats))


class ReidentifyRecords(beam.PTransform[beam.PCollection[RawBatch], ReidentifyOutputs]):
    """PCollection[RawBatch] of anonymized records -> ReidentifyOutputs."""

    def __init__(self, reidentifier_factory: Callable[[], Reidentifier], redactor: DeadLetterRedactor):
        super().__init__()
        self.reidentifier_factory = reidentifier_factory
        self.redactor = redactor

    def expand(self, batches: beam.PCollection[RawBatch]) -> ReidentifyOutputs:
        out = batches | "RestoreFields" >> beam.ParDo(
            ReidentifyBatchFn(self.reidentifier_factory, self.redactor)
        ).with_outputs(DEAD_LETTERS, STATS, main="records")
        return ReidentifyOutputs(out.records, out[DEAD_LETTERS], out[STATS])
