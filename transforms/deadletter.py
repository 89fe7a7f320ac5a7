"""One dead-letter shape for every stage, carrying no PII.

    {"stage": "validate", "error": "required field 'amount' is missing or null",
     "source": "gs://bucket/payments-00001.jsonl@18234",
     "record": {"transaction_id": "t-0001", "customer": {"email": "[REDACTED]"}, ...}}

``record`` keeps only what is known not to be personal data: values of schema
fields that the config neither declares as PII nor scans, and that have a
plain scalar of the declared type. Everything else (declared PII, free text,
fields outside the schema, values of the wrong type) reads ``[REDACTED]``.
A line that could not be parsed has ``record: null``.
"""
from __future__ import annotations

from typing import Any

from transforms.config.model import DatasetConfig, FieldType
from transforms.records.paths import parse_path
from transforms.records.schema import _has_type

REDACTED = "[REDACTED]"
# Longer strings are redacted even in non-PII fields: free text hides in them,
# and a dead letter must stay small.
MAX_KEPT_STRING = 256


def make_dead_letter(stage: str, error: str, ref: str, record: dict | None) -> dict:
    return {"stage": stage, "error": error, "source": ref, "record": record}


class DeadLetterRedactor:
    """Builds the PII-free copy of a record that a dead letter may carry."""

    def __init__(self, config: DatasetConfig):
        sensitive = {p.path for p in config.pii.fields} | set(config.pii.scan_fields)
        # Dotted names (without []) of schema leaves whose plain values may be kept.
        self._safe: dict[str, FieldType] = {
            ".".join(s.name for s in parse_path(f.path)): f.type
            for f in config.fields
            if f.path not in sensitive and f.type not in (FieldType.JSON,)
        }

    def redact(self, record: Any) -> Any:
        if not isinstance(record, dict):
            return None
        return self._copy(record, "")

    def _copy(self, node: Any, prefix: str) -> Any:
        if isinstance(node, dict):
            return {k: self._copy(v, f"{prefix}{k}.") for k, v in node.items()}
        if isinstance(node, list):
            return [self._copy(v, prefix) for v in node]
        if node is None:
            return None
        ftype = self._safe.get(prefix[:-1])
        if ftype is not None and isinstance(node, (str, int, float, bool)) and _has_type(node, ftype):
            if not (isinstance(node, str) and len(node) > MAX_KEPT_STRING):
                return node
        return REDACTED
