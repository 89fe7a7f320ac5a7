"""Typed, immutable configuration of one dataset.

A :class:`DatasetConfig` is what ``veilwatch.transforms.config_loading.loader.load_config``
makes of a YAML file (see ``templates/datasets/*.yaml``). Every part is a
frozen dataclass, so the config pickles to Dataflow workers as plain data and
no step can change it under another.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class FieldType(str, enum.Enum):  # noqa: UP042 - StrEnum would change str() and f-strings of members
    """Types a schema field may declare. JSON accepts any JSON value."""

    STRING = "string"
    INTEGER = "integer"
    FLOAT = "float"
    BOOLEAN = "boolean"
    TIMESTAMP = "timestamp"
    JSON = "json"


class UnknownFieldPolicy(str, enum.Enum):  # noqa: UP042 - StrEnum would change str() and f-strings of members
    """What happens to fields a record carries that the schema does not name."""

    DROP = "drop"  # removed from the anonymized record
    KEEP = "keep"  # passed through unchanged (only for feeds known to be clean)
    SCAN = "scan"  # scanned for PII like free text, findings de-identified
    REJECT = "reject"  # the whole record goes to the dead letters


class SourceFormat(str, enum.Enum):  # noqa: UP042 - StrEnum would change str() and f-strings of members
    JSONL = "jsonl"
    CSV = "csv"
    AVRO = "avro"
    PARQUET = "parquet"
    PUBSUB = "pubsub"  # source only: JSON messages from a subscription or topic (streaming)
    BIGQUERY = "bigquery"  # source only: rows of a table or query (batch)


# Formats that are files (sources with a path; anonymized_format of the file sink).
FILE_FORMATS = (SourceFormat.JSONL, SourceFormat.CSV, SourceFormat.AVRO, SourceFormat.PARQUET)

# source.max_depth: how deeply a record may nest objects and lists (the record is level 1).
# The ceiling keeps every later step within its own limit (orjson writes at most 254 levels,
# and a dead letter or an output row wraps a record in one more).
DEFAULT_MAX_DEPTH = 64
MAX_DEPTH_LIMIT = 200


@dataclass(frozen=True)
class FieldSpec:
    """One schema field. ``path`` is dotted for nested objects (``customer.email``);
    ``[]`` marks every element of a list (``items[].sku``)."""

    path: str
    type: FieldType
    required: bool = False


@dataclass(frozen=True)
class PubSubSourceSpec:
    """Where JSON messages come from: a subscription, or a topic (Beam then makes
    a subscription of its own). With ``event_time_attribute`` the message
    attribute of that name carries the event time (RFC 3339 or epoch
    milliseconds) and drives the watermark; it fills ``event_time.field`` when
    the payload lacks it."""

    subscription: str | None = None
    topic: str | None = None
    event_time_attribute: str | None = None


@dataclass(frozen=True)
class BigQuerySourceSpec:
    """A table (``project:dataset.table`` or ``project.dataset.table``) or a
    standard-SQL query, read once (batch)."""

    table: str | None = None
    query: str | None = None


@dataclass(frozen=True)
class SourceSpec:
    format: SourceFormat
    path: str
    csv_delimiter: str = ","
    # Records (lines, rows) larger than this go to the dead letters instead of
    # being parsed: one 100 MB line must not take a worker down.
    max_record_bytes: int = 1_048_576
    pubsub: PubSubSourceSpec | None = None  # format pubsub only
    bigquery: BigQuerySourceSpec | None = None  # format bigquery only
    # Records nested deeper than this (objects and lists) go to the dead letters
    # (stage parse): no step may recurse on the depth of its input.
    max_depth: int = DEFAULT_MAX_DEPTH

    @property
    def is_file(self) -> bool:
        return self.format in FILE_FORMATS


@dataclass(frozen=True)
class EventTimeSpec:
    """Where a record's event time is and how it is written: ``iso8601``,
    ``epoch_seconds``, ``epoch_millis`` or a ``strptime`` pattern (read as UTC
    when it carries no zone)."""

    field: str
    format: str = "iso8601"


@dataclass(frozen=True)
class TransformationSpec:
    """A DLP primitive transformation by its DLP name, with parsed parameters.

    ``source`` keeps the YAML mapping it was parsed from (``{dlpName: {...}}``), which
    is DLP's JSON form: ``veilwatch.transforms.dlp.convert`` turns it back into DLP's message.
    It takes no part in equality (two specs with the same params are the same), nor in the
    repr: it may hold an ``unwrapped`` cryptoKey in clear."""

    dlp_name: str
    params: Any
    source: Mapping | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class FieldPolicy:
    """A declared PII field: which infoType it holds and how to de-identify it.

    One ``pii.fields`` item is one of DLP's record ``fieldTransformations``; an item
    naming several ``paths`` gives one policy per path, sharing ``group`` (the item's
    index). The field gets ``transformation`` (a primitive) or, when that is None, is
    scanned like free text with ``info_type_transformations`` (infoType -> primitive;
    other findings get ``default_scan_transformation``, else the pii-level default).
    ``condition`` (a ``veilwatch.transforms.deid.conditions.RecordCondition``): the policy applies
    only to records that match it, as they were before de-identification."""

    path: str
    info_type: str
    transformation: TransformationSpec | None
    condition: Any = None
    info_type_transformations: Mapping[str, TransformationSpec] = field(default_factory=dict)
    default_scan_transformation: TransformationSpec | None = None
    group: int = -1

    @property
    def scans(self) -> bool:
        """True when the field is scanned (infoTypeTransformations) rather than transformed whole."""
        return self.transformation is None


class PiiEngine(str, enum.Enum):  # noqa: UP042 - StrEnum would change str() and f-strings of members
    """Who de-identifies: veilwatch itself, or the Cloud DLP API (``pii.engine``)."""

    LOCAL = "local"
    DLP = "dlp"


class DlpMode(str, enum.Enum):  # noqa: UP042 - StrEnum would change str() and f-strings of members
    """What the DLP engine asks of the API (``pii.dlp.mode``)."""

    DEIDENTIFY = "deidentify"  # content.deidentify: DLP detects and transforms
    DETECT = "detect"  # content.inspect: DLP detects, veilwatch transforms (tokens as local runs)


# Cloud DLP's default quota for content methods: 600 requests per minute per project.
DLP_DEFAULT_REQUESTS_PER_MINUTE = 600


@dataclass(frozen=True)
class DlpEngineSpec:
    """``pii.dlp``: where and how the DLP engine calls the API. ``endpoint`` overrides the
    host that ``location`` picks (``dlp.googleapis.com`` for global, else
    ``dlp.<location>.rep.googleapis.com``); template names replace the configs veilwatch
    derives from ``pii``. ``requests_per_minute`` is per worker."""

    project: str
    location: str = "global"
    endpoint: str | None = None
    inspect_template_name: str | None = None
    deidentify_template_name: str | None = None
    reidentify_template_name: str | None = None
    requests_per_minute: int = DLP_DEFAULT_REQUESTS_PER_MINUTE
    mode: DlpMode = DlpMode.DEIDENTIFY
    max_attempts: int = 5  # per request, on RESOURCE_EXHAUSTED / UNAVAILABLE / DEADLINE_EXCEEDED
    # pii.dlp.fields: the pii.fields paths and pii.scan_fields DLP de-identifies; the others stay with
    # the local engine (None: every field goes to DLP). Mode deidentify only.
    fields: tuple[str, ...] | None = None


class TransformationErrorHandling(str, enum.Enum):  # noqa: UP042 - StrEnum would change str() and f-strings of members
    """What happens when a value cannot be transformed (a date shift of a non-date ...), DLP's
    ``transformationErrorHandling``. A streaming job cannot fail a request as DLP's ``throwError``
    does, so it dead-letters the record, as veilwatch's default (no key) does; ``leaveUntransformed``
    keeps the value as it was. Each error is counted per field and reason in run_summary.json."""

    DEAD_LETTER = "dead_letter"  # no pii.transformation_error_handling: veilwatch's safe default
    THROW_ERROR = "throwError"  # DLP's throwError: the record goes to the dead letter
    LEAVE_UNTRANSFORMED = "leaveUntransformed"  # DLP's leaveUntransformed: the value is kept


@dataclass(frozen=True)
class PiiSpec:
    fields: tuple[FieldPolicy, ...] = ()
    scan_fields: tuple[str, ...] = ()
    # Transformation per infoType for findings in scanned text; others use the default.
    info_type_transformations: Mapping[str, TransformationSpec] = field(default_factory=dict)
    default_scan_transformation: TransformationSpec = TransformationSpec("replaceWithInfoTypeConfig", None)
    detection: Any = None  # veilwatch.transforms.detection settings, when the detection engine is configured
    # DLP recordSuppressions: records matching any of these conditions (RecordCondition) are dropped
    # whole (counted as suppressed in run_summary.json, neither anonymized nor dead-lettered)
    record_suppressions: tuple[Any, ...] = ()
    engine: PiiEngine = PiiEngine.LOCAL
    dlp: DlpEngineSpec | None = None  # engine dlp only
    # DLP's transformationErrorHandling (pii.transformation_error_handling), see TransformationErrorHandling
    transformation_error_handling: TransformationErrorHandling = TransformationErrorHandling.DEAD_LETTER

    def policy_for(self, path: str) -> FieldPolicy | None:
        for policy in self.fields:
            if policy.path == path:
                return policy
        return None


class WindowKind(str, enum.Enum):  # noqa: UP042 - StrEnum would change str() and f-strings of members
    FIXED = "fixed"
    SLIDING = "sliding"
    SESSIONS = "sessions"  # per series: activity separated by at least ``gap`` of silence


@dataclass(frozen=True)
class WindowSpec:
    kind: WindowKind
    size_seconds: float
    period_seconds: float | None = None  # sliding only
    allowed_lateness_seconds: float = 0.0
    gap_seconds: float | None = None  # sessions only (size is unused)


class MetricKind(str, enum.Enum):  # noqa: UP042 - StrEnum would change str() and f-strings of members
    """What a metric measures in each window (per group key when ``group_by`` is set)."""

    COUNT = "count"  # records
    NULL_RATE = "null_rate"  # share of records whose ``field`` is missing or null
    FINDINGS_RATE = "findings_rate"  # share of records with a PII finding in ``field`` (of ``info_type``)
    MEAN = "mean"  # of the numeric ``field``
    STDDEV = "stddev"
    MIN = "min"
    MAX = "max"
    SUM = "sum"
    QUANTILE = "quantile"  # approximate ``quantile`` of ``field`` (DDSketch, 1 % relative error)
    DISTINCT_COUNT = "distinct_count"  # approximate distinct values of ``field`` (HyperLogLog)
    TOP_SHARE = "top_share"  # share of records whose ``field`` is one of its ``k`` most frequent values
    HEAVY_HITTER = "heavy_hitter"  # records of the most frequent ``field`` value (e.g. one customer token)
    DEAD_LETTER_RATE = "dead_letter_rate"  # share of records (with a readable event time) dead-lettered


# Kinds that read a field, and those that need it numeric.
FIELD_METRICS = frozenset(MetricKind) - {MetricKind.COUNT, MetricKind.DEAD_LETTER_RATE}
NUMERIC_METRICS = frozenset(
    {MetricKind.MEAN, MetricKind.STDDEV, MetricKind.MIN, MetricKind.MAX, MetricKind.SUM, MetricKind.QUANTILE}
)


@dataclass(frozen=True)
class MetricSpec:
    """A per-window metric. ``group_by`` makes one series per value of a field
    (after de-identification: a tokenized field groups by token)."""

    name: str
    kind: MetricKind
    group_by: str | None = None
    field: str | None = None
    info_type: str | None = None  # findings_rate: only findings of this infoType
    quantile: float | None = None  # quantile: which one (0..1)
    k: int = 1  # top_share: how many top values
    detector: Any = None  # this metric's own detector spec; None: the dataset's ``detector``


@dataclass(frozen=True)
class KeysSpec:
    """Where the dataset's key material lives: a tink keyset (JSON) by path or
    URI, optionally wrapped with a KMS key. None when no transformation needs keys."""

    keyset: str | None = None
    kms_key_uri: str | None = None


# The columns of the flagged windows and scores tables (veilwatch.transforms.io.bigquery.WINDOW_SCHEMA;
# a test keeps the two equal): what sinks.bigquery.clustering may name.
WINDOW_TABLE_COLUMNS = (
    "dataset",
    "series_key",
    "metric",
    "group_by",
    "group",
    "window_start",
    "window_end",
    "observed",
    "detail",
    "expected",
    "spread",
    "score",
    "direction",
    "threshold",
    "is_anomaly",
    "alert",
    "detector",
    "explanation",
)


@dataclass(frozen=True)
class BigQuerySinksSpec:
    """BigQuery tables (``project:dataset.table``) per output; None keeps that
    output elsewhere. Tables are created when missing, rows appended."""

    anonymized_table: str | None = None  # schema derived from schema.fields after de-identification
    flagged_windows_table: str | None = None
    scores_table: str | None = None
    dead_letter_table: str | None = None
    findings_table: str | None = None
    # How the tables are created (BigQuery's timePartitioning and clustering): partitioned by
    # day (HOUR, DAY, MONTH, YEAR; None: not partitioned) on the event time (window_start) of
    # the flagged windows and scores tables, on ingestion time for the others; the windows
    # tables clustered by these columns (at most 4; none: not clustered).
    time_partitioning: str | None = "DAY"
    clustering: tuple[str, ...] = ("dataset", "series_key")


@dataclass(frozen=True)
class PubSubSinksSpec:
    """Pub/Sub topics (``projects/P/topics/T``) per output: one JSON message per record or window."""

    anonymized_topic: str | None = None
    alerts_topic: str | None = None  # flagged windows


@dataclass(frozen=True)
class SinksSpec:
    """Where outputs go. An output with a table or topic goes there; one with
    neither goes to files under ``output_dir`` (required when any output does)."""

    output_dir: str | None = None
    anonymized_format: SourceFormat = SourceFormat.JSONL
    write_all_scores: bool = False
    bigquery: BigQuerySinksSpec = BigQuerySinksSpec()
    pubsub: PubSubSinksSpec = PubSubSinksSpec()
    # CSV output: prefix text cells starting with = + - @ tab or CR with ' (OWASP CSV injection rule)
    csv_neutralize_formulas: bool = True

    @property
    def anonymized_to_files(self) -> bool:
        return not (self.bigquery.anonymized_table or self.pubsub.anonymized_topic)

    @property
    def flagged_to_files(self) -> bool:
        return not (self.bigquery.flagged_windows_table or self.pubsub.alerts_topic)

    @property
    def scores_to_files(self) -> bool:
        return self.write_all_scores and not self.bigquery.scores_table

    @property
    def dead_letters_to_files(self) -> bool:
        return not self.bigquery.dead_letter_table

    @property
    def findings_to_files(self) -> bool:
        return not self.bigquery.findings_table

    @property
    def any_to_files(self) -> bool:
        return (
            self.anonymized_to_files
            or self.flagged_to_files
            or self.scores_to_files
            or self.dead_letters_to_files
            or self.findings_to_files
        )


class DriftComparator(str, enum.Enum):  # noqa: UP042 - StrEnum would change str() and f-strings of members
    """TFDV's drift comparators: how far a feature's distribution in one window may move
    from the previous window's (TFDV ``drift_comparator``)."""

    INFINITY_NORM = "infinity_norm"  # largest change in any value's share: categorical fields
    JENSEN_SHANNON_DIVERGENCE = "jensen_shannon_divergence"  # numeric histograms (and categorical)


@dataclass(frozen=True)
class DataValidationSpec:
    """TFDV statistics per window, checked against a schema and the previous window (opt-in).

    The schema is ``schema_path`` (a TFDV text-format schema) or, without it, inferred from
    the statistics of the first ``baseline_windows`` windows; every later window is validated.
    ``fields``: the schema fields profiled (never scanned free text). ``drift``: per field,
    a comparator and its threshold."""

    fields: tuple[str, ...]
    baseline_windows: int = 24
    schema_path: str | None = None
    drift: Mapping[str, tuple[DriftComparator, float]] = field(default_factory=dict)


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
    detector: Any  # a detector spec from veilwatch.transforms.anomaly.registry
    cooldown: (
        Any  # veilwatch.transforms.anomaly.cooldown.Cooldown: after an alert, a series stays quiet this long
    )
    keys: KeysSpec
    sinks: SinksSpec
    config_path: str = ""
    data_validation: DataValidationSpec | None = None  # TFDV checks per window; None: off

    def field(self, path: str) -> FieldSpec | None:
        for spec in self.fields:
            if spec.path == path:
                return spec
        return None
