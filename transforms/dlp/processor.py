"""The anonymizing step with ``pii.engine: dlp``: records processed a bundle at a time.

Parsing, schema validation and event time stay local, per record, exactly as
with the local engine. Then, for the bundle's records:

* ``mode: deidentify``: the scanned texts go to ``content.inspect`` (for the
  findings veilwatch reports: DLP's de-identify answer carries none), then the
  records go to ``content.deidentify`` as table rows and come back de-identified.
* ``mode: detect`` (mixed): the scanned texts go to ``content.inspect`` only; the
  local RecordDeidentifier then transforms, reading DLP's findings instead of the
  local scanner's, so tokens are those of a local run (same keys, reversible).

A record whose rows DLP does not process goes to the dead letter (stage
``deidentify``, its PII redacted), so ``records_read == anonymized + dead_lettered``.
"""
from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Sequence

from google.cloud.dlp_v2 import types as dlp

from transforms.config.model import DatasetConfig, DlpMode, PiiSpec
from transforms.deadletter import DeadLetterRedactor, make_dead_letter
from transforms.deid.base import KeyProvider
from transforms.deid.record_deidentifier import FieldFinding
from transforms.dlp.caller import BatchCaller, RowFailure
from transforms.dlp.client import build_client
from transforms.dlp.engine import SUPPRESSED, DlpFinding, DlpTableEngine, context_fields
from transforms.dlp.rate_limit import shared_limiter
from transforms.io.sources import RawItem
from transforms.records.errors import RecordError
from transforms.records.parse import parse_payload
from transforms.records.paths import get_simple
from transforms.records.processor import Anonymized, RecordProcessor, Rejected, Suppressed

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
        for text, result in zip(texts, results):
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
    """The DeidentifyConfig and InspectConfig the dataset config means (transforms.dlp.convert);
    None for a part a named template replaces (and for the DeidentifyConfig in mode detect)."""
    from transforms.dlp.convert import deidentify_config_for, inspect_config_for

    spec = config.pii.dlp
    deidentify = None
    if spec.mode is DlpMode.DEIDENTIFY and not spec.deidentify_template_name:
        deidentify = _message(dlp.DeidentifyConfig, deidentify_config_for(config))
    inspect = None if spec.inspect_template_name else _message(dlp.InspectConfig, inspect_config_for(config))
    return deidentify, inspect


def _message(kind: Any, value: Any) -> Any:
    if value is None or isinstance(value, kind):
        return value
    if isinstance(value, dict):
        return kind.from_json(json.dumps(value))
    return kind.wrap(value) if hasattr(value, "DESCRIPTOR") else value


class DlpRecordProcessor:
    """Built once per worker (in the DoFn's ``setup()``); ``process_batch`` per bundle."""

    def __init__(self, config: DatasetConfig, keys: KeyProvider | None, client: Any = None,
                 caller: BatchCaller | None = None, deidentify_config: dlp.DeidentifyConfig | None = None,
                 inspect_config: dlp.InspectConfig | None = None):
        spec = config.pii.dlp
        self.mode = spec.mode
        if deidentify_config is None and inspect_config is None:
            deidentify_config, inspect_config = dlp_configs(config)
        client = client if client is not None else build_client(spec)
        caller = caller or BatchCaller(shared_limiter((spec.project, spec.location), spec.requests_per_minute),
                                       spec.max_attempts)
        extra = context_fields(json.loads(dlp.DeidentifyConfig.to_json(deidentify_config))) \
            if deidentify_config is not None else []
        self.engine = DlpTableEngine(config.pii, spec, client, caller, deidentify_config, inspect_config,
                                     extra_columns=[c for c in extra if config.field(c) is not None])
        self.caller = caller
        # Texts DLP inspects: the scanned fields, and declared fields scanned with their own
        # infoTypeTransformations (a pii.fields item without a whole-value transformation).
        scanned = list(config.pii.scan_fields) + [p.path for p in config.pii.fields if p.transformation is None]
        self.scan_paths = tuple((path, tuple(path.split("."))) for path in dict.fromkeys(scanned))
        self.max_depth = config.source.max_depth
        if self.mode is DlpMode.DETECT:
            self.scanner = BatchFindingsScanner()
            self.local = RecordProcessor(config, keys, self.scanner if self.scan_paths else None)
            self.deidentifier = self.local.deidentifier  # its transformation errors are counted per batch
        else:
            # Parse, validate and event time only; DLP de-identifies. Dead letters are redacted
            # as the real config says (its PII fields and scanned texts).
            self.local = RecordProcessor(replace(config, pii=PiiSpec()), None)
            self.local.redactor = DeadLetterRedactor(config)
        self.primary_key_id = self.local.primary_key_id

    def prepare(self, items: list[RawItem]) -> None:  # process_batch does the batch work
        return None

    def process_batch(self, items: Sequence[RawItem]) -> list[Anonymized | Rejected]:
        if self.mode is DlpMode.DETECT:
            if self.scan_paths:
                texts = self._parsed_texts(items)
                self.scanner.load(texts, self.engine.inspect_texts(texts))
            return [self.local.process(item) for item in items]
        return self._deidentify(items)

    def _texts(self, record: Any) -> list[tuple[str, str]]:
        out = []
        if isinstance(record, dict):
            for path, names in self.scan_paths:
                value = get_simple(record, names)
                if isinstance(value, str) and value:
                    out.append((path, value))
        return out

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

    def _deidentify(self, items: Sequence[RawItem]) -> list[Anonymized | Rejected]:
        outcomes: list[Anonymized | Rejected] = [self.local.process(item) for item in items]
        admitted = [i for i, o in enumerate(outcomes) if isinstance(o, Anonymized)]
        # Findings first (DLP's de-identify answer carries none), on the original texts.
        per_record = {i: self._texts(outcomes[i].record) for i in admitted}
        distinct = list(dict.fromkeys(text for pairs in per_record.values() for _, text in pairs))
        inspected = dict(zip(distinct, self.engine.inspect_texts(distinct)))
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
                outcomes[i] = self._reject(items[i], outcomes[i], failure)
                continue
            findings[i] = found
            to_send.append(i)
        results = self.engine.deidentify_records([outcomes[i].record for i in to_send])
        for i, failure in zip(to_send, results):
            if failure is SUPPRESSED:
                outcomes[i] = Suppressed(items[i].ref)
            elif failure is not None:
                outcomes[i] = self._reject(items[i], outcomes[i], failure)
            else:
                outcomes[i] = outcomes[i]._replace(findings=tuple(findings[i]))
        return outcomes

    def _reject(self, item: RawItem, outcome: Anonymized, failure: RowFailure) -> Rejected:
        return Rejected(make_dead_letter(STAGE, failure.reason, item.ref, self.local.redactor.redact(outcome.record)),
                        outcome.event_time)
