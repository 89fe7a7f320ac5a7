"""Typed, immutable configuration of one dataset.

A :class:`DatasetConfig` is what ``transforms.config.loader.load_config``
makes of a YAML file (see ``templates/datasets/*.yaml``). Every part is a
frozen dataclass, so the config pickles to Dataflow workers as plain data and
no step can change it under another.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Mapping


class FieldType(str, enum.Enum):
    """Types a schema field may declare. JSON accepts any JSON value."""

    STRING = "string"
    INTEGER = "integer"
    FLOAT = "float"
    BOOLEAN = "boolean"
    TIMESTAMP = "timestamp"
    JSON = "json"


class UnknownFieldPolicy(str, enum.Enum):
    """What happens to fields a record carries that the schema does not name."""

    DROP = "drop"  # removed from the anonymized record
    KEEP = "keep"  # passed through unchanged (only for feeds known to be clean)
    SCAN = "scan"  # scanned for PII like free text, findings de-identified
    REJECT = "reject"  # the whole record goes to the dead letters


class SourceFormat(str, enum.Enum):
    JSONL = "jsonl"
    CSV = "csv"
    AVRO = "avro"
    PARQUET = "parquet"


@dataclass(frozen=True)
class FieldSpec:
    """One schema field. ``path`` is dotted for nested objects (``customer.email``);
    ``[]`` marks every element of a list (``items[].sku``)."""

    path: str
    type: FieldType
    required: bool = False


@dataclass(frozen=True)
class SourceSpec:
    format: SourceFormat
    path: str
    csv_delimiter: str = ","
    # Records (lines, rows) larger than this go to the dead letters instead of
    # being parsed: one 100 MB line must not take a worker down.
    max_record_bytes: int = 1_048_576


@dataclass(frozen=True)
class EventTimeSpec:
    """Where a record's event time is and how it is written: ``iso8601``,
    ``epoch_seconds``, ``epoch_millis`` or a ``strptime`` pattern (read as UTC
    when it carries no zone)."""

    field: str
    format: str = "iso8601"


@dataclass(frozen=True)
class TransformationSpec:
    """A DLP primitive transformation by its DLP name, with parsed parameters."""

    dlp_name: str
    params: Any


@dataclass(frozen=True)
class FieldPolicy:
    """A declared PII field: which infoType it holds and how to de-identify it."""

    path: str
    info_type: str
    transformation: TransformationSpec


@dataclass(frozen=True)
class PiiSpec:
    fields: tuple[FieldPolicy, ...] = ()
    scan_fields: tuple[str, ...] = ()
    # Transformation per infoType for findings in scanned text; others use the default.
    info_type_transformations: Mapping[str, TransformationSpec] = field(default_factory=dict)
    default_scan_transformation: TransformationSpec = TransformationSpec("replaceWithInfoTypeConfig", None)
    detection: Any = None  # transforms.detection settings, when the detection engine is configured

    def policy_for(self, path: str) -> FieldPolicy | None:
        for policy in self.fields:
            if policy.path == path:
                return policy
        return None


class WindowKind(str, enum.Enum):
    FIXED = "fixed"
    SLIDING = "sliding"


@dataclass(frozen=True)
class WindowSpec:
    kind: WindowKind
    size_seconds: float
    period_seconds: float | None = None  # sliding only
    allowed_lateness_seconds: float = 0.0


class MetricKind(str, enum.Enum):
    COUNT = "count"  # records per window (per group key when group_by is set)


@dataclass(frozen=True)
class MetricSpec:
    """A per-window metric. ``group_by`` makes one series per value of a field
    (after de-identification: a tokenized field groups by token)."""

    name: str
    kind: MetricKind
    group_by: str | None = None


@dataclass(frozen=True)
class KeysSpec:
    """Where the dataset's key material lives: a tink keyset (JSON) by path or
    URI, optionally wrapped with a KMS key. None when no transformation needs keys."""

    keyset: str | None = None
    kms_key_uri: str | None = None


@dataclass(frozen=True)
class SinksSpec:
    output_dir: str | None = None
    anonymized_format: SourceFormat = SourceFormat.JSONL
    write_all_scores: bool = False


@dataclass(frozen=True)
class DatasetConfig:
    dataset: str
    source: SourceSpec
    fields: tuple[FieldSpec, ...]
    unknown_fields: UnknownFieldPolicy
    event_time: EventTimeSpec
    pii: PiiSpec
    window: WindowSpec
    metrics: tuple[MetricSpec, ...]
    detector: Any  # a detector spec from transforms.anomaly.registry
    keys: KeysSpec
    sinks: SinksSpec
    config_path: str = ""

    def field(self, path: str) -> FieldSpec | None:
        for spec in self.fields:
            if spec.path == path:
                return spec
        return None
