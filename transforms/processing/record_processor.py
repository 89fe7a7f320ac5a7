"""Per-record work of the anonymizing path, as plain Python (no Beam).

    raw item -> parse -> validate against the schema -> event time -> de-identify

:class:`RecordProcessor` is built once per worker and returns, for each raw
item, either an :class:`Anonymized` record or a dead letter. Any exception
inside a stage becomes a dead letter naming the stage and, for unexpected
errors, only the exception's type (its message could quote the value).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
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

    @property
    def _prepares(self) -> bool:
        """Whether the scanner wants a batch's texts first (the NER model is loaded)."""
        scanner = self.deidentifier.scanner
        return getattr(scanner, "prepare", None) is not None and getattr(scanner, "uses_ner", False)

    def _prepare_parsed(self, parsed: Sequence[object]) -> None:
        """The scanner's ``prepare`` over the free text of the records among ``parsed`` (each text once):
        the NER model reads texts far faster in batches (``nlp.pipe``) than one by one."""
        texts: list[str] = []
        scan_texts = self.deidentifier.scan_texts
        for record in parsed:
            if isinstance(record, dict):
                texts.extend(scan_texts(record))
        # The NER's prepare reads each text once (it drops repeats and texts it has seen).
        self.deidentifier.scanner.prepare(texts)  # type: ignore[union-attr]

    def process_batch(self, items: Sequence[RawItem]) -> Iterator[Anonymized | Rejected | Suppressed]:
        """``process`` over a batch, in order, each record parsed once: the batch is parsed first,
        the scanner handed its free texts at once (:meth:`_prepare_parsed`), then each record finished."""
        max_depth = self.max_depth
        parsed: list[dict | _ParseFailure] = []
        for item in items:
            try:
                parsed.append(parse_payload(item.payload, item.error, max_depth))
            except Exception as exc:  # noqa: BLE001 - reported by _finish, as process() would
                parsed.append(_ParseFailure(exc))
        if self._prepares:
            self._prepare_parsed(parsed)
        finish = self._finish
        for item, record in zip(items, parsed, strict=True):
            yield finish(item, record)

    def process(self, item: RawItem) -> Anonymized | Rejected | Suppressed:
        try:
            record: dict | _ParseFailure = parse_payload(item.payload, item.error, self.max_depth)
        except Exception as exc:  # noqa: BLE001 - reported by _finish
            record = _ParseFailure(exc)
        return self._finish(item, record)

    def _finish(self, item: RawItem, parsed: dict | _ParseFailure) -> Anonymized | Rejected | Suppressed:
        """Validate, read the event time and de-identify a parsed record (or report why its
        parse failed): the outcome ``process`` gives for ``item``."""
        record: dict | None = None
        stage = "parse"
        try:
            if isinstance(parsed, _ParseFailure):
                raise parsed.error
            record = parsed
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


class _ParseFailure(NamedTuple):
    """Why a raw item did not parse, kept until its turn in the batch comes (never a record)."""

    error: Exception


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
