"""The anonymizing step with ``pii.engine: dlp``: records processed a bundle at a time.

Parsing, schema validation and event time stay local, per record, exactly as
with the local engine. Then, for the bundle's records:

* ``mode: deidentify``: the scanned texts go to ``content.inspect`` (for the
  findings veilwatch reports: DLP's de-identify answer carries none), then the
  records go to ``content.deidentify`` as table rows and come back de-identified.
* ``mode: detect`` (mixed): the scanned texts go to ``content.inspect`` only; the
  local RecordDeidentifier then transforms, reading DLP's findings instead of the
  local scanner's, so tokens are those of a local run (same keys, reversible).
* ``pii.dlp.fields`` (mode deidentify): only those fields' items go to DLP, as
  above, on a copy of the record as it came in; a local RecordDeidentifier does
  the others (and ``record_suppressions``), then DLP's cells are put into the
  locally de-identified record: one record, the findings of both.

A record whose rows DLP does not process goes to the dead letter (stage
``deidentify``, its PII redacted); a row DLP's recordSuppressions leave out is
suppressed: ``records_read == anonymized + dead_lettered + suppressed``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from google.cloud.dlp_v2 import types as dlp

from veilwatch.transforms.config.model import DatasetConfig, DlpMode, PiiEngine, PiiSpec
from veilwatch.transforms.deadletter import DeadLetterRedactor, make_dead_letter
from veilwatch.transforms.deid.base import KeyProvider
from veilwatch.transforms.deid.record_deidentifier import FieldFinding, RecordDeidentifier, RecordSuppressed
from veilwatch.transforms.dlp.caller import BatchCaller, RowFailure
from veilwatch.transforms.dlp.client import build_client
from veilwatch.transforms.dlp.engine import SUPPRESSED, DlpFinding, DlpTableEngine, context_fields
from veilwatch.transforms.dlp.rate_limit import shared_limiter
from veilwatch.transforms.elements import RawItem
from veilwatch.transforms.processing.record_processor import (
    Anonymized,
    RecordProcessor,
    Rejected,
    Suppressed,
    build_scanner,
)
from veilwatch.transforms.records.errors import RecordError
from veilwatch.transforms.records.parse import parse_payload
from veilwatch.transforms.records.paths import get_simple

STAGE = "deidentify"


class BatchFindingsScanner:
    """A Scanner (see RecordDeidentifier) answering with the findings DLP made for this bundle's texts."""

    uses_ner = False

    def __init__(self) -> None:
        self._found: dict[str, list[DlpFinding]] = {}
        self._failed: dict[str, str] = {}

    def load(self, texts: Sequence[str], results: Sequence[Any]) -> None:
        self._found = {}
        self._failed = {}
        for text, result in zip(texts, results, strict=True):
            if isinstance(result, RowFailure):
                self._failed[text] = result.reason
            else:
                self._found[text] = result

    def scan(self, text: str) -> list[DlpFinding]:
        found = self._found.get(text)
        if found is None:
            raise RecordError(STAGE, self._failed.get(text, "the text was not inspected by DLP"))
        return found

    def text_too_long(self, text: str) -> bool:  # DLP's own size limit applies (the row is split off)
        return False


def dlp_configs(config: DatasetConfig) -> tuple[dlp.DeidentifyConfig | None, dlp.InspectConfig | None]:
    """The DeidentifyConfig and InspectConfig the dataset config means (veilwatch.transforms.dlp.convert);
    None for a part a named template replaces (and for the DeidentifyConfig in mode detect)."""
    from veilwatch.transforms.dlp.convert import deidentify_config_for, inspect_config_for

    spec = config.pii.dlp
    assert spec is not None, "config validation requires pii.dlp with the DLP engine"
    deidentify = None
    if spec.mode is DlpMode.DEIDENTIFY and not spec.deidentify_template_name:
        deidentify = _message(dlp.DeidentifyConfig, deidentify_config_for(config))
    inspect = None if spec.inspect_template_name else _message(dlp.InspectConfig, inspect_config_for(config))
    return deidentify, inspect


def split_pii(pii: PiiSpec, to_dlp: Sequence[str] | None) -> tuple[PiiSpec, PiiSpec | None]:
    """(what DLP de-identifies, what the local engine does) for ``pii.dlp.fields``: the pii.fields
    items and scan_fields of those paths go to DLP, the others (and record_suppressions, which
    then drop a record before either engine works on it) stay local. None: all to DLP."""
    if to_dlp is None:
        return pii, None
    chosen = set(to_dlp)
    remote = replace(
        pii,
        fields=tuple(p for p in pii.fields if p.path in chosen),
        scan_fields=tuple(s for s in pii.scan_fields if s in chosen),
        record_suppressions=(),
    )
    local = replace(
        pii,
        fields=tuple(p for p in pii.fields if p.path not in chosen),
        scan_fields=tuple(s for s in pii.scan_fields if s not in chosen),
        engine=PiiEngine.LOCAL,
        dlp=None,
    )
    return remote, local


class _BothErrors:
    """The transformation errors of DLP's answers and of the local engine, drained as one."""

    def __init__(self, *parts: Any):
        self.parts = parts

    def drain(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for part in self.parts:
            for key, count in part.drain().items():
                out[key] = out.get(key, 0) + count
        return out


def condition_fields(pii: PiiSpec) -> list[str]:
    """Fields the conditions of pii.fields items and pii.record_suppressions compare, in order."""
    conditions = [p.condition for p in pii.fields if p.condition is not None] + list(pii.record_suppressions)
    return list(dict.fromkeys(name for c in conditions for name in c.fields))


def _message(kind: Any, value: Any) -> Any:
    if value is None or isinstance(value, kind):
        return value
    if isinstance(value, dict):
        return kind.from_json(json.dumps(value))
    return kind.wrap(value) if hasattr(value, "DESCRIPTOR") else value


class DlpRecordProcessor:
    """Built once per worker (in the DoFn's ``setup()``); ``process_batch`` per bundle."""

    def __init__(
        self,
        config: DatasetConfig,
        keys: KeyProvider | None,
        client: Any = None,
        caller: BatchCaller | None = None,
        deidentify_config: dlp.DeidentifyConfig | None = None,
        inspect_config: dlp.InspectConfig | None = None,
    ):
        spec = config.pii.dlp
        assert spec is not None, "config validation requires pii.dlp with the DLP engine"
        self.mode = spec.mode
        full_config = config
        # pii.dlp.fields: DLP gets those fields' items only, the local engine the others.
        dlp_pii, local_pii = split_pii(config.pii, spec.fields)
        config = replace(config, pii=dlp_pii)
        if deidentify_config is None and inspect_config is None:
            deidentify_config, inspect_config = dlp_configs(config)
        client = client if client is not None else build_client(spec)
        caller = caller or BatchCaller(
            shared_limiter((spec.project, spec.location), spec.requests_per_minute), spec.max_attempts
        )
        extra = (
            context_fields(json.loads(dlp.DeidentifyConfig.to_json(deidentify_config)))
            if deidentify_config is not None
            else []
        )
        # Columns DLP reads but does not change: context fields, and the fields conditions compare
        # (DLP evaluates a RecordCondition on the row, so a field it names must be a column).
        extra = [c for c in extra if config.field(c) is not None] + condition_fields(config.pii)
        self.engine = DlpTableEngine(
            config.pii, spec, client, caller, deidentify_config, inspect_config, extra_columns=extra
        )
        self.caller = caller
        # Texts DLP inspects: the scanned fields, and declared fields scanned with their own
        # infoTypeTransformations (a pii.fields item without a whole-value transformation), where
        # that item is the one that applies to the record (see _field_scan_paths).
        self.scan_fields = tuple((path, tuple(path.split("."))) for path in config.pii.scan_fields)
        self.scan_field_names = frozenset(config.pii.scan_fields)
        self.field_items = tuple((p.path, p.condition, p.transformation is None) for p in config.pii.fields)
        scanned = list(config.pii.scan_fields) + [
            p.path for p in config.pii.fields if p.transformation is None
        ]
        self.scan_paths = tuple((path, tuple(path.split("."))) for path in dict.fromkeys(scanned))
        self.max_depth = config.source.max_depth
        self.transformation_errors: Any  # a TransformationErrors, or DLP's and the local engine's as one
        if self.mode is DlpMode.DETECT:
            self.scanner = BatchFindingsScanner()
            self.local = RecordProcessor(config, keys, self.scanner if self.scan_paths else None)
            self.deidentifier = self.local.deidentifier
            self.transformation_errors = self.deidentifier.transformation_errors  # counted per batch
        else:
            # Parse, validate and event time only; DLP de-identifies. Dead letters are redacted
            # as the real config says (its PII fields and scanned texts).
            self.local = RecordProcessor(replace(config, pii=PiiSpec()), None)
            self.local.redactor = DeadLetterRedactor(full_config)
            # what DLP's answers report (their overview), in the local engine's shape
            self.transformation_errors = self.engine.transformation_errors
            # pii.dlp.fields: the other fields de-identified here, on the record as it came in
            self.local_fields = None
            if local_pii is not None:
                self.local_fields = RecordDeidentifier(
                    local_pii, keys, build_scanner(replace(config, pii=local_pii))
                )
                self.transformation_errors = _BothErrors(
                    self.engine.transformation_errors, self.local_fields.transformation_errors
                )
        self.primary_key_id = self.local.primary_key_id

    def process_batch(self, items: Sequence[RawItem]) -> list[Anonymized | Rejected | Suppressed]:
        if self.mode is DlpMode.DETECT:
            if self.scan_paths:
                texts = self._parsed_texts(items)
                self.scanner.load(texts, self.engine.inspect_texts(texts))
            return [self.local.process(item) for item in items]
        return self._deidentify(items)

    def _texts(self, record: Any) -> list[tuple[str, str]]:
        """(path, text) of the record's texts DLP scans: its scanned fields, and its declared fields
        whose applying pii.fields item scans them."""
        out = []
        if isinstance(record, dict):
            for path, names in self.scan_fields + self._field_scan_paths(record):
                value = get_simple(record, names)
                if isinstance(value, str) and value:
                    out.append((path, value))
        return out

    def _field_scan_paths(self, record: dict) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Declared fields scanned in this record: per path, the first pii.fields item whose condition
        holds on the record as it came in applies (as locally and in DLP); only a scanning item's
        path is inspected, so findings are those of the texts actually scanned."""
        chosen: dict[str, bool] = {}
        for path, condition, scans in self.field_items:
            if path not in chosen and (condition is None or condition.matches(record)):
                chosen[path] = scans
        return tuple(
            (path, tuple(path.split(".")))
            for path, scans in chosen.items()
            if scans and path not in self.scan_field_names
        )

    def _parsed_texts(self, items: Sequence[RawItem]) -> list[str]:
        """The distinct scanned texts of the bundle's records (a record that does not parse is
        dead-lettered later by ``process``)."""
        texts: dict[str, None] = {}
        for item in items:
            try:
                record = parse_payload(item.payload, item.error, self.max_depth)
            except Exception:  # noqa: BLE001
                continue
            for _, text in self._texts(record):
                texts[text] = None
        return list(texts)

    def _deidentify(self, items: Sequence[RawItem]) -> list[Anonymized | Rejected | Suppressed]:
        outcomes: list[Anonymized | Rejected | Suppressed] = [self.local.process(item) for item in items]
        # The records still on their way (index -> outcome), in order.
        admitted = {i: o for i, o in enumerate(outcomes) if isinstance(o, Anonymized)}
        # The records DLP gets: with pii.dlp.fields, copies taken before the local engine works on
        # the other fields (conditions and contexts read every field as it came in, on both sides).
        sent = {i: o.record for i, o in admitted.items()}
        local_findings: dict[int, list[FieldFinding]] = {}
        if self.local_fields is not None:
            sent = {i: copy.deepcopy(record) for i, record in sent.items()}
            for i, outcome in admitted.items():
                outcomes[i], local_findings[i] = self._deidentify_locally(items[i], outcome)
            admitted = {i: o for i, o in admitted.items() if isinstance(outcomes[i], Anonymized)}
        # Findings first (DLP's de-identify answer carries none), on the original texts.
        per_record = {i: self._texts(sent[i]) for i in admitted}
        distinct = list(dict.fromkeys(text for pairs in per_record.values() for _, text in pairs))
        inspected = dict(zip(distinct, self.engine.inspect_texts(distinct), strict=True))
        findings: dict[int, list[FieldFinding]] = {}
        to_send: list[int] = []
        for i in admitted:
            found: list[FieldFinding] = []
            failure = None
            for path, text in per_record[i]:
                result = inspected[text]
                if isinstance(result, RowFailure):
                    failure = result
                    break
                found.extend(FieldFinding(path, f.start, f.end, f.info_type, f.likelihood) for f in result)
            if failure is not None:
                outcomes[i] = self._reject(items[i], admitted[i], failure)
                continue
            findings[i] = found
            to_send.append(i)
        results = self.engine.deidentify_records([sent[i] for i in to_send])
        for i, answer in zip(to_send, results, strict=True):
            if answer is SUPPRESSED:
                outcomes[i] = Suppressed(items[i].ref)
            elif answer is not None:
                assert isinstance(answer, RowFailure), "SUPPRESSED is the only other answer"
                outcomes[i] = self._reject(items[i], admitted[i], answer)
            else:
                outcome = admitted[i]
                if sent[i] is not outcome.record:  # DLP's cells into the locally de-identified record
                    self.engine.copy_transformed(sent[i], outcome.record)
                outcomes[i] = outcome._replace(findings=tuple(local_findings.get(i, ())) + tuple(findings[i]))
        return outcomes

    def _deidentify_locally(self, item: RawItem, outcome: Anonymized) -> tuple[Any, list[FieldFinding]]:
        """The fields pii.dlp.fields leaves to the local engine, de-identified in place: the
        outcome (Suppressed or Rejected when the local engine says so) and its findings."""
        assert self.local_fields is not None, "called only with pii.dlp.fields (see _deidentify)"
        try:
            return outcome, self.local_fields.deidentify(outcome.record)
        except RecordSuppressed:
            return Suppressed(item.ref), []
        except RecordError as exc:
            reason, stage = exc.message, exc.stage
        except Exception as exc:  # noqa: BLE001 - a bad record must never fail the bundle
            reason, stage = f"unexpected {type(exc).__name__} while processing the record", STAGE
        return Rejected(
            make_dead_letter(stage, reason, item.ref, self.local.redactor.redact(outcome.record)),
            outcome.event_time,
        ), []

    def _reject(self, item: RawItem, outcome: Anonymized, failure: RowFailure) -> Rejected:
        return Rejected(
            make_dead_letter(STAGE, failure.reason, item.ref, self.local.redactor.redact(outcome.record)),
            outcome.event_time,
        )
