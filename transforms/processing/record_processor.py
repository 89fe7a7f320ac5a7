"""Per-record work of the anonymizing path, as plain Python (no Beam).

    raw item -> parse -> validate against the schema -> event time -> de-identify

:class:`RecordProcessor` is built once per worker and returns, for each raw
item, either an :class:`Anonymized` record or a dead letter. Any exception
inside a stage becomes a dead letter naming the stage and, for unexpected
errors, only the exception's type (its message could quote the value).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from veilwatch.transforms.config.model import DatasetConfig, SourceFormat, UnknownFieldPolicy
from veilwatch.transforms.deadletter import DeadLetterRedactor, make_dead_letter
from veilwatch.transforms.deid.base import KeyProvider
from veilwatch.transforms.deid.record_deidentifier import (
    FieldFinding,
    RecordDeidentifier,
    RecordSuppressed,
    Scanner,
)
from veilwatch.transforms.detection.engine import DetectionEngine
from veilwatch.transforms.elements import DeadLetter, RawItem
from veilwatch.transforms.records.errors import RecordError
from veilwatch.transforms.records.event_time import EventTimeParser
from veilwatch.transforms.records.parse import parse_payload
from veilwatch.transforms.records.schema import SchemaValidator


class Anonymized(NamedTuple):
    """A de-identified record (a named tuple: one is built per record, cheaply)."""

    ref: str
    record: dict
    event_time: float
    findings: tuple[FieldFinding, ...]


class Suppressed(NamedTuple):
    """A record a ``pii.record_suppressions`` condition matched: left out of every output, counted."""

    ref: str


@dataclass(frozen=True)
class Rejected:
    dead_letter: DeadLetter
    event_time: float | None = None  # when the record's event time could still be read


class RecordProcessor:
    def __init__(self, config: DatasetConfig, keys: KeyProvider | None, scanner: Scanner | None = None):
        self.max_depth = config.source.max_depth
        self.validator = SchemaValidator(
            config.fields,
            config.unknown_fields,
            coerce_text=config.source.format is SourceFormat.CSV,
            max_depth=self.max_depth,
        )
        self.event_time = EventTimeParser(config.event_time)
        # Fields outside the schema that reach the outputs have their key names scanned (and with scan, values).
        passed_on = config.unknown_fields in (UnknownFieldPolicy.KEEP, UnknownFieldPolicy.SCAN)
        self.deidentifier = RecordDeidentifier(
            config.pii,
            keys,
            scanner,
            self.validator.tree if passed_on else None,
            scan_unknown_values=config.unknown_fields is UnknownFieldPolicy.SCAN,
        )
        self.redactor = DeadLetterRedactor(config)
        # Which key made this worker's tokens: recorded in the run summary, so tokens that
        # cannot carry a key id themselves (FF1 without surrogate) stay restorable after rotation.
        primary = getattr(keys, "primary_key_id", None)
        self.primary_key_id: int | None = primary() if callable(primary) else primary

    def prepare(self, items: Sequence[RawItem]) -> None:
        """Hand the scanner the free text of a whole batch at once, before ``process`` takes the
        records one by one: the NER model reads texts far faster in batches (``nlp.pipe``). A
        record that does not parse is skipped here and dead-lettered by ``process``."""
        prepare = getattr(self.deidentifier.scanner, "prepare", None)
        if prepare is None or not getattr(self.deidentifier.scanner, "uses_ner", False):
            return
        texts: list[str] = []
        for item in items:
            try:
                record = parse_payload(item.payload, item.error)
            except Exception:  # noqa: BLE001 - process() reports it
                continue
            if isinstance(record, dict):
                texts.extend(self.deidentifier.scan_texts(record))
        prepare(texts)

    def process(self, item: RawItem) -> Anonymized | Rejected | Suppressed:
        record = None
        stage = "parse"
        try:
            record = parse_payload(item.payload, item.error, self.max_depth)
            stage = "validate"
            self.validator.validate(record)
            stage = "event_time"
            event_time = self.event_time(record)
            stage = "deidentify"
            findings = self.deidentifier.deidentify(record)
            return Anonymized(item.ref, record, event_time, tuple(findings))
        except RecordSuppressed:
            return Suppressed(item.ref)
        except RecordError as exc:
            return Rejected(
                make_dead_letter(exc.stage, exc.message, item.ref, self.redactor.redact(record)),
                self._event_time_if_readable(record),
            )
        except Exception as exc:  # noqa: BLE001 - a bad record must never fail the bundle
            error = f"unexpected {type(exc).__name__} while processing the record"
            return Rejected(
                make_dead_letter(stage, error, item.ref, self.redactor.redact(record)),
                self._event_time_if_readable(record),
            )

    def _event_time_if_readable(self, record: dict | None) -> float | None:
        if not isinstance(record, dict):
            return None
        try:
            return self.event_time(record)
        except Exception:  # noqa: BLE001 - best effort: the record is rejected anyway
            return None


def build_scanner(config: DatasetConfig):
    """The detection engine when the config scans text (or key names: fields outside the
    schema that reach the outputs, ``keep`` and ``scan``), else None."""
    if (
        not config.pii.scan_fields
        and not any(p.scans for p in config.pii.fields)
        and config.unknown_fields not in (UnknownFieldPolicy.SCAN, UnknownFieldPolicy.KEEP)
    ):
        return None
    return DetectionEngine(config.pii.detection) if config.pii.detection is not None else DetectionEngine()
