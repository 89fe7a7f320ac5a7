"""One dead-letter shape for every stage, carrying no PII.

    {"stage": "validate", "error": "required field 'amount' is missing or null",
     "source": "gs://bucket/payments-00001.jsonl@18234",
     "record": {"transaction_id": "t-0001", "customer": {"email": "[REDACTED]"}, ...}}

``record`` keeps only what is known not to be personal data: values of schema
fields that the config neither declares as PII nor scans, and that have a
plain scalar of the declared type (an event time only when it reads as one).
Everything else (declared PII, free text, fields outside the schema, values of
the wrong type, an unreadable event time) reads ``[REDACTED]``. Key names are
data too: a key the schema does not name reads ``[KEY 1]``, ``[KEY 2]`` ... (per
object), and whatever nests deeper than ``source.max_depth`` is one
``[REDACTED]``. A line that could not be parsed, or nests too deeply, has
``record: null``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from veilwatch.transforms.config.model import DatasetConfig, EventTimeSpec, FieldType
from veilwatch.transforms.elements import DeadLetter
from veilwatch.transforms.records.event_time import EventTimeParser
from veilwatch.transforms.records.paths import parse_path
from veilwatch.transforms.records.schema import _has_type

REDACTED = "[REDACTED]"
# Longer strings are redacted even in non-PII fields: free text hides in them,
# and a dead letter must stay small.
MAX_KEPT_STRING = 256


def make_dead_letter(stage: str, error: str, ref: str | None, record: dict | None) -> DeadLetter:
    return {"stage": stage, "error": error, "source": ref, "record": record}


def key_placeholder(n: int) -> str:
    """What the n-th (from 1) unknown key of an object is called in a dead letter."""
    return f"[KEY {n}]"


class DeadLetterRedactor:
    """Builds the PII-free copy of a record that a dead letter may carry (without recursion)."""

    def __init__(self, config: DatasetConfig):
        sensitive = {p.path for p in config.pii.fields} | set(config.pii.scan_fields)
        names = {f.path: tuple(s.name for s in parse_path(f.path)) for f in config.fields}
        # Schema leaves (names without []) whose plain values may be kept, and their types.
        self._safe: dict[tuple[str, ...], FieldType] = {
            names[f.path]: f.type
            for f in config.fields
            if f.path not in sensitive and f.type is not FieldType.JSON
        }
        # Every key path the schema names (its leaves and their parents): other keys are data.
        self._known = {path[:i] for path in names.values() for i in range(1, len(path) + 1)}
        self._event_time = tuple(s.name for s in parse_path(config.event_time.field))
        self._event_time_parser = EventTimeParser(config.event_time)
        self._iso_parser = EventTimeParser(EventTimeSpec(config.event_time.field, "iso8601"))
        self._max_depth = config.source.max_depth

    def redact(self, record: Any) -> Any:
        if not isinstance(record, dict):
            return None
        out: dict = {}
        # (source object or list, its copy, its key path or None below an unknown key, its level)
        stack: list[tuple[Any, Any, tuple[str, ...] | None, int]] = [(record, out, (), 1)]
        while stack:
            node, copy, path, level = stack.pop()
            entries: Iterable[tuple[Any, Any, tuple[str, ...] | None]]
            if isinstance(node, dict):
                entries = self._dict_entries(node, path)
            else:
                entries = ((i, item, path) for i, item in enumerate(node))
                copy.extend([None] * len(node))
            for key, value, child_path in entries:
                if isinstance(value, (dict, list)):
                    if level >= self._max_depth:
                        copy[key] = REDACTED
                        continue
                    child: dict | list = {} if isinstance(value, dict) else []
                    copy[key] = child
                    stack.append((value, child, child_path, level + 1))
                else:
                    copy[key] = self._leaf(value, child_path)
        return out

    def _dict_entries(
        self, node: dict, path: tuple[str, ...] | None
    ) -> list[tuple[str, Any, tuple[str, ...] | None]]:
        """(key in the copy, value, key path or None) per key: unknown keys become placeholders."""
        entries: list[tuple[str, Any, tuple[str, ...] | None]] = []
        unknown = 0
        for key, value in node.items():
            child_path = path + (key,) if path is not None and isinstance(key, str) else None
            if child_path is not None and child_path in self._known:
                entries.append((key, value, child_path))
            else:
                unknown += 1
                entries.append((key_placeholder(unknown), value, None))
        return entries

    def _leaf(self, value: Any, path: tuple[str, ...] | None) -> Any:
        if value is None:
            return None
        ftype = self._safe.get(path) if path is not None else None
        if path is None or ftype is None or not isinstance(value, (str, int, float, bool)):
            return REDACTED
        if not _has_type(value, ftype):
            return REDACTED
        if isinstance(value, str) and len(value) > MAX_KEPT_STRING:
            return REDACTED
        if ftype is FieldType.TIMESTAMP and not self._reads_as_time(value, path):
            return REDACTED  # a time that cannot be read may hold anything
        return value

    def _reads_as_time(self, value: Any, path: tuple[str, ...]) -> bool:
        """The event time in its configured format; other timestamps when numbers or ISO-8601 text."""
        if path == self._event_time:
            return self._event_time_parser.read(value) is not None
        return not isinstance(value, str) or self._iso_parser.read(value) is not None


# The dead-letter stage of a file that could not be read, or not to its end: a file, not a
# record, so it is not in records_dead_lettered but in files_unreadable.
FILE_STAGE = "file"
# Stats key (followed by the path) of such a file: the run summary counts each path once.
UNREADABLE_FILE_PREFIX = "unreadable_file|"


def file_dead_letter(path: str, reason: str, records_before: int) -> DeadLetter:
    """The file-level dead letter: ``reason`` is veilwatch's wording (no content); the records
    read before the failure were processed and are accounted for as records."""
    if records_before:
        error = (
            f"{reason}; its first {records_before:,} records were read and are "
            "accounted for, the rest of the file was not read"
        )
    else:
        error = f"{reason}; no record of it was read"
    return make_dead_letter(FILE_STAGE, error, path, None)
