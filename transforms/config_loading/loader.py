"""Load and validate a dataset config (YAML) into a :class:`DatasetConfig`.

    config = load_config("templates/datasets/payments.yaml",
                         overrides=ConfigOverrides(output_dir="out/run1"))

Every problem is collected and raised together as one
:class:`~veilwatch.transforms.config.errors.ConfigError` whose lines name the key path
and what is wrong, before any pipeline object exists. Relative paths inside
the file are relative to the file's own folder; override values (from the
command line) are taken as given.

Overrides are written into the document at their key paths before it is validated
(:func:`~veilwatch.transforms.config.overrides.write_overrides`), so a value from the
command line is checked, and refused, exactly as the same value in the file.
"""

from __future__ import annotations

import logging
import os
import posixpath
import re
from typing import Any

import yaml

from veilwatch.transforms.anomaly.registry import parse_cooldown, parse_detector
from veilwatch.transforms.config.clear_values import fields_left_in_clear
from veilwatch.transforms.config.errors import ConfigError, ConfigIssue
from veilwatch.transforms.config.info_types import (
    BUILT_IN_INFO_TYPES,
    MALFORMED_INFO_TYPE,
    is_well_formed,
    unknown_info_type_warning,
)
from veilwatch.transforms.config.model import (
    DEFAULT_MAX_DEPTH,
    DLP_DEFAULT_REQUESTS_PER_MINUTE,
    FIELD_METRICS,
    FILE_FORMATS,
    MAX_DEPTH_LIMIT,
    NUMERIC_METRICS,
    WINDOW_TABLE_COLUMNS,
    BigQuerySinksSpec,
    BigQuerySourceSpec,
    DatasetConfig,
    DataValidationSpec,
    DlpEngineSpec,
    DlpMode,
    DriftComparator,
    EventTimeSpec,
    FieldPolicy,
    FieldSpec,
    FieldType,
    KeysSpec,
    MetricKind,
    MetricSpec,
    PiiEngine,
    PiiSpec,
    PubSubSinksSpec,
    PubSubSourceSpec,
    SinksSpec,
    SourceFormat,
    SourceSpec,
    TransformationErrorHandling,
    TransformationSpec,
    UnknownFieldPolicy,
    WindowKind,
    WindowSpec,
)
from veilwatch.transforms.config.overrides import ConfigOverrides, GivenPath, write_overrides
from veilwatch.transforms.config.reader import Node
from veilwatch.transforms.deid.conditions import parse_record_condition
from veilwatch.transforms.deid.registry import needs_keys, parse_transformation
from veilwatch.transforms.detection.settings import parse_detection_settings
from veilwatch.transforms.locations import is_uri
from veilwatch.transforms.records.paths import is_simple, parse_path

_log = logging.getLogger(__name__)

TOP_LEVEL_KEYS = (
    "dataset",
    "source",
    "schema",
    "event_time",
    "pii",
    "windowing",
    "metrics",
    "detector",
    "cooldown",
    "keys",
    "sinks",
    "data_validation",
)
_BIGQUERY_SINK_TABLES = (
    "anonymized_table",
    "flagged_windows_table",
    "scores_table",
    "dead_letter_table",
    "findings_table",
)
_PUBSUB_SINK_TOPICS = ("anonymized_topic", "alerts_topic")
# The keys each mapping of the config may hold, by its key path ("[]": each item of a list);
# any other key is refused as unknown. json_schema.py builds the editor's JSON Schema from it.
SECTION_KEYS: dict[str, tuple[str, ...]] = {
    "": TOP_LEVEL_KEYS,
    "source": ("format", "path", "csv", "max_record_bytes", "max_depth", "pubsub", "bigquery"),
    "source.csv": ("delimiter",),
    "source.pubsub": ("subscription", "topic", "event_time_attribute"),
    "source.bigquery": ("table", "query"),
    "schema": ("fields", "unknown_fields"),
    "schema.fields[]": ("name", "type", "required"),
    "event_time": ("field", "format"),
    "pii": (
        "fields",
        "scan_fields",
        "info_type_transformations",
        "default_scan_transformation",
        "detection",
        "engine",
        "dlp",
        "transformation_error_handling",
        "record_suppressions",
    ),
    "pii.fields[]": (
        "path",
        "paths",
        "info_type",
        "condition",
        "transformation",
        "info_type_transformations",
        "default_scan_transformation",
    ),
    "pii.dlp": (
        "project",
        "location",
        "endpoint",
        "inspect_template_name",
        "deidentify_template_name",
        "reidentify_template_name",
        "requests_per_minute",
        "mode",
        "max_attempts",
        "fields",
    ),
    "pii.record_suppressions[]": ("condition",),
    "windowing": ("type", "size", "period", "gap", "allowed_lateness"),
    "metrics[]": ("name", "type", "group_by", "field", "info_type", "quantile", "k", "detector"),
    "data_validation": ("fields", "baseline_windows", "schema", "drift"),
    "keys": ("keyset", "kms_key_uri"),
    "sinks": (
        "output_dir",
        "anonymized_format",
        "write_all_scores",
        "csv_neutralize_formulas",
        "bigquery",
        "pubsub",
    ),
    "sinks.bigquery": (*_BIGQUERY_SINK_TABLES, "time_partitioning", "clustering"),
    "sinks.pubsub": _PUBSUB_SINK_TOPICS,
}
EVENT_TIME_FORMATS = ("iso8601", "epoch_seconds", "epoch_millis")
DEFAULT_DETECTOR = {"type": "robust_zscore"}
DEFAULT_WINDOW_SECONDS = 3600.0

# Google Cloud resource names, checked before a job is launched (a typo would
# otherwise fail minutes later on the workers).
TOPIC_PATTERN = r"^projects/[a-z][-a-z0-9.:]{4,61}[a-z0-9]/topics/[A-Za-z][-A-Za-z0-9_.~+%]{2,254}$"
SUBSCRIPTION_PATTERN = (
    r"^projects/[a-z][-a-z0-9.:]{4,61}[a-z0-9]/subscriptions/[A-Za-z][-A-Za-z0-9_.~+%]{2,254}$"
)
TABLE_PATTERN = r"^([a-z][-a-z0-9.:]{4,61}[a-z0-9][:.])?[A-Za-z0-9_]{1,1024}\.[-A-Za-z0-9_ $]{1,1024}$"
# The Cloud KMS key that wraps the keyset (tink's key URI), as templates/metadata.json checks it.
KMS_KEY_PATTERN = r"^gcp-kms://projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$"
# Event-time attributes Beam can read as a timestamp (RFC 3339 or epoch milliseconds).
ATTRIBUTE_TIME_FORMATS = ("iso8601", "epoch_millis")


def load_config(path: str, overrides: ConfigOverrides | None = None) -> DatasetConfig:
    """Read ``path`` (local or any Beam FileSystems URI) and validate it."""
    text = _read_text(path)
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(ConfigIssue("", f"is not valid YAML{where}")) from None
    except RecursionError:  # thousands of nested [ or {: PyYAML builds them recursively
        raise ConfigError(
            ConfigIssue("", "is nested too deeply for a dataset config (thousands of levels)")
        ) from None
    return parse_config(document, base_dir=_dirname(path), overrides=overrides, config_path=path)


def parse_config(
    document: Any, base_dir: str = "", overrides: ConfigOverrides | None = None, config_path: str = ""
) -> DatasetConfig:
    """Validate a parsed config ``document`` (with ``overrides`` written into it) in one pass."""
    issues: list[ConfigIssue] = []
    root = Node(write_overrides(document, overrides or ConfigOverrides()), "", issues)
    if not root.is_mapping():
        raise ConfigError(issues)
    root.reject_unknown(SECTION_KEYS[""])

    dataset = root.required("dataset", str, "")
    source = _parse_source(root.child("source"), base_dir)
    fields, unknown = _parse_schema(root.child("schema"))
    known_paths = {f.path: f for f in fields}
    event_time = _parse_event_time(root.child("event_time"), known_paths)
    pii = _parse_pii(root.child("pii"), known_paths)
    window = _parse_window(root.child("windowing"))
    metrics = _parse_metrics(root, known_paths, pii, unknown)
    detector = _guard(
        issues, lambda: parse_detector(root.child("detector").value or DEFAULT_DETECTOR, "detector")
    )
    cooldown = _guard(issues, lambda: parse_cooldown(root.child("cooldown").value or {}, "cooldown"))
    keys = _parse_keys(root.child("keys"), base_dir, pii)
    sinks = _parse_sinks(root.child("sinks"), base_dir)
    data_validation = _parse_data_validation(
        root.child("data_validation"), known_paths, event_time.field, pii, window, base_dir
    )

    if (
        source.pubsub is not None
        and source.pubsub.event_time_attribute
        and event_time.format not in ATTRIBUTE_TIME_FORMATS
    ):
        issues.append(
            ConfigIssue(
                "event_time.format",
                f"must be one of {', '.join(ATTRIBUTE_TIME_FORMATS)} when source.pubsub.event_time_attribute is set "
                "(Pub/Sub timestamp attributes are RFC 3339 or epoch milliseconds)",
            )
        )
    if sinks.bigquery.anonymized_table and unknown in (UnknownFieldPolicy.KEEP, UnknownFieldPolicy.SCAN):
        issues.append(
            ConfigIssue(
                "sinks.bigquery.anonymized_table",
                "a table has a fixed schema and cannot carry fields outside it; set schema.unknown_fields to drop or reject",
            )
        )
    if (
        sinks.anonymized_to_files
        and sinks.anonymized_format is not SourceFormat.JSONL
        and unknown in (UnknownFieldPolicy.KEEP, UnknownFieldPolicy.SCAN)
    ):
        issues.append(
            ConfigIssue(
                "sinks.anonymized_format",
                f"{sinks.anonymized_format.value} has a fixed schema and cannot carry fields outside it; "
                "use jsonl or set schema.unknown_fields to drop or reject",
            )
        )
    if pii.engine is PiiEngine.DLP and unknown in (UnknownFieldPolicy.KEEP, UnknownFieldPolicy.SCAN):
        issues.append(
            ConfigIssue(
                "pii.engine",
                "dlp de-identifies the declared and scanned fields as a table; fields outside the schema "
                "cannot reach the outputs: set schema.unknown_fields to drop or reject",
            )
        )
    if issues:
        raise ConfigError(issues)
    return DatasetConfig(
        dataset=dataset,
        source=source,
        fields=fields,
        unknown_fields=unknown,
        event_time=event_time,
        pii=pii,
        window=window,
        metrics=metrics,
        detector=detector,
        cooldown=cooldown,
        keys=keys,
        sinks=sinks,
        config_path=config_path,
        data_validation=data_validation,
    )


def _guard(issues: list[ConfigIssue], parse):
    """Run a sub-parser that raises ConfigError; collect its issues instead."""
    try:
        return parse()
    except ConfigError as exc:
        issues.extend(exc.issues)
        return None


def _parse_source(node: Node, base_dir: str) -> SourceSpec:
    if not node.is_mapping():
        return SourceSpec(SourceFormat.JSONL, "")
    node.reject_unknown(SECTION_KEYS["source"])
    fmt = SourceFormat(
        node.choice("format", [f.value for f in SourceFormat], "jsonl", required=True) or "jsonl"
    )
    path = ""
    if fmt in FILE_FORMATS:
        path = _resolve(node.required("path", str, ""), base_dir)
    elif node.has("path"):
        node.error(
            f"applies to file sources only; a {fmt.value} source is named under source.{fmt.value}", "path"
        )
    for other in ("pubsub", "bigquery"):
        if node.has(other) and fmt.value != other:
            node.error(f"applies to source.format {other} only", other)
    delimiter = ","
    if node.has("csv"):
        csv = node.child("csv")
        if csv.is_mapping():
            csv.reject_unknown(SECTION_KEYS["source.csv"])
            delimiter = csv.optional("delimiter", str, ",")
            if len(delimiter) != 1:
                csv.error("must be exactly one character", "delimiter")
    max_bytes = node.optional("max_record_bytes", int, 1_048_576)
    if max_bytes <= 0:
        node.error("must be a positive number of bytes", "max_record_bytes")
    max_depth = node.optional("max_depth", int, DEFAULT_MAX_DEPTH)
    if not 1 <= max_depth <= MAX_DEPTH_LIMIT:
        node.error(f"must be a whole number from 1 to {MAX_DEPTH_LIMIT}", "max_depth")
    pubsub = _parse_pubsub_source(node) if fmt is SourceFormat.PUBSUB else None
    bigquery = _parse_bigquery_source(node) if fmt is SourceFormat.BIGQUERY else None
    return SourceSpec(fmt, path, delimiter, max_bytes, pubsub, bigquery, max_depth)


def _parse_pubsub_source(parent: Node) -> PubSubSourceSpec:
    node = parent.child("pubsub")
    subscription = topic = attribute = None
    if node.value is None:
        parent.error("is required for source.format pubsub (a subscription or a topic)", "pubsub")
    elif node.is_mapping():
        node.reject_unknown(SECTION_KEYS["source.pubsub"])
        subscription = _resource(
            node, "subscription", SUBSCRIPTION_PATTERN, "projects/PROJECT/subscriptions/NAME"
        )
        topic = _resource(node, "topic", TOPIC_PATTERN, "projects/PROJECT/topics/NAME")
        attribute = node.optional("event_time_attribute", str, None)
    if node.value is not None and subscription and topic:
        node.error("set either subscription or topic, not both")
    elif node.value is not None and not (
        subscription or topic or node.has("subscription") or node.has("topic")
    ):
        node.error("needs a subscription or a topic (or pass --input_subscription)")
    return PubSubSourceSpec(subscription, topic, attribute)


def _parse_bigquery_source(parent: Node) -> BigQuerySourceSpec:
    node = parent.child("bigquery")
    table = query = None
    if node.value is None:
        parent.error("is required for source.format bigquery (a table or a query)", "bigquery")
    elif node.is_mapping():
        node.reject_unknown(SECTION_KEYS["source.bigquery"])
        table = _resource(node, "table", TABLE_PATTERN, "PROJECT:DATASET.TABLE")
        query = node.optional("query", str, None)
    if node.value is not None and table and query:
        node.error("set either table or query, not both")
    elif node.value is not None and not (table or query or node.has("table") or node.has("query")):
        node.error("needs a table or a query (or pass --input_table)")
    return BigQuerySourceSpec(table, query)


def _resource(node: Node, key: str, pattern: str, shape: str) -> str | None:
    """An optional Google Cloud resource name; reports the expected shape, never the value."""
    value = node.optional(key, str, None)
    if value is not None and not re.match(pattern, value):
        node.error(f"must look like {shape}", key)
        return None
    return value


def _parse_schema(node: Node) -> tuple[tuple[FieldSpec, ...], UnknownFieldPolicy]:
    if not node.is_mapping():
        return (), UnknownFieldPolicy.DROP
    node.reject_unknown(SECTION_KEYS["schema"])
    fields: list[FieldSpec] = []
    seen: set[str] = set()
    for item in node.items("fields", required=True):
        if not item.is_mapping():
            continue
        item.reject_unknown(SECTION_KEYS["schema.fields[]"])
        name = item.required("name", str, "")
        if name:
            where = item.child_path("name")
            if _guard(item.issues, lambda name=name, where=where: parse_path(name, where)) is None:
                continue
            if name in seen:
                item.error("names a field already declared", "name")
        seen.add(name)
        ftype = item.choice("type", [t.value for t in FieldType], "string", required=True)
        required = item.optional("required", bool, False)
        fields.append(FieldSpec(name, FieldType(ftype or "string"), required))
    unknown = node.choice("unknown_fields", [p.value for p in UnknownFieldPolicy], "drop")
    return tuple(fields), UnknownFieldPolicy(unknown or "drop")


def _parse_event_time(node: Node, known: dict[str, FieldSpec]) -> EventTimeSpec:
    if not node.is_mapping():
        return EventTimeSpec("")
    node.reject_unknown(SECTION_KEYS["event_time"])
    field = node.required("field", str, "")
    if field and field not in known:
        node.error(_not_in_schema(field), "field")
    elif field and known[field].type not in (
        FieldType.TIMESTAMP,
        FieldType.STRING,
        FieldType.INTEGER,
        FieldType.FLOAT,
    ):
        node.error("must name a timestamp, string or numeric field", "field")
    fmt = node.optional("format", str, "iso8601")
    if fmt not in EVENT_TIME_FORMATS and "%" not in fmt:
        node.error(
            f"must be one of {', '.join(EVENT_TIME_FORMATS)} or a strptime pattern such as '%Y-%m-%d %H:%M:%S'",
            "format",
        )
    return EventTimeSpec(field, fmt)


def _parse_pii(node: Node, known: dict[str, FieldSpec]) -> PiiSpec:
    if node.value is None:
        return PiiSpec()
    if not node.is_mapping():
        return PiiSpec()
    node.reject_unknown(SECTION_KEYS["pii"])
    policies: list[FieldPolicy] = []
    for index, item in enumerate(node.items("fields")):
        if item.is_mapping():
            policies.extend(_parse_field_item(item, index, known))
    scan_fields = node.string_list("scan_fields")
    scan_node = node.child("scan_fields")
    for i, path in enumerate(scan_fields):
        spec = known.get(path)
        if spec is None:
            scan_node.error(_not_in_schema(path), i)
        elif spec.type not in (FieldType.STRING, FieldType.JSON):
            scan_node.error("must name a string field (free text)", i)
    per_type: dict[str, TransformationSpec] = {}
    mapping = node.child("info_type_transformations")
    if mapping.value is not None and mapping.is_mapping():
        for info_type in mapping.value:
            if not _check_info_type(mapping, str(info_type), str(info_type)):
                continue
            transformation = _transformation(mapping, str(info_type), required=True)
            if transformation is not None:
                per_type[info_type] = transformation
    default = _transformation(node, "default_scan_transformation", required=False) or TransformationSpec(
        "replaceWithInfoTypeConfig", None
    )
    detection = _guard(
        node.issues,
        lambda: parse_detection_settings(node.child("detection").value, node.child_path("detection")),
    )
    engine, dlp = _parse_pii_engine(node, policies, scan_fields, per_type, default)
    return PiiSpec(
        tuple(policies),
        scan_fields,
        per_type,
        default,
        detection,
        engine=engine,
        dlp=dlp,
        transformation_error_handling=_parse_error_handling(node),
        record_suppressions=tuple(_parse_conditions(node, known)),
    )


_DLP_TEMPLATE = re.compile(
    r"^(projects|organizations)/[^/]+/(locations/[a-z0-9-]+/)?(inspectTemplates|deidentifyTemplates)/[A-Za-z0-9_-]+$"
)
_DLP_LOCATION = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
_DLP_PROJECT = re.compile(r"^[a-z][a-z0-9.:-]{0,99}$")


def _parse_error_handling(node: Node) -> TransformationErrorHandling:
    """``pii.transformation_error_handling``: DLP's JSON, ``{throwError: {}}`` or ``{leaveUntransformed: {}}``."""
    value = node.child("transformation_error_handling").value
    if value is None:
        return TransformationErrorHandling.DEAD_LETTER
    modes = (TransformationErrorHandling.THROW_ERROR, TransformationErrorHandling.LEAVE_UNTRANSFORMED)
    if isinstance(value, dict) and len(value) == 1:
        ((name, body),) = value.items()
        for mode in modes:
            if name == mode.value and body in (None, {}):
                return mode
    node.error(
        "must be DLP's {throwError: {}} or {leaveUntransformed: {}} (leave it out to dead-letter "
        "the record, as throwError does)",
        "transformation_error_handling",
    )
    return TransformationErrorHandling.DEAD_LETTER


def _check_info_type(node: Node, key: str, name: str) -> bool:
    """A malformed infoType name is an error; a well-formed one the local catalog does not know
    (DLP keeps adding types) is a logged warning. False when the name is malformed."""
    if not is_well_formed(name):
        node.error(MALFORMED_INFO_TYPE, key)
        return False
    if name not in BUILT_IN_INFO_TYPES:
        _log.warning("%s", unknown_info_type_warning(node.child_path(key), name))
    return True


def _is_simple_path(path: str) -> bool:
    try:
        return is_simple(parse_path(path))
    except Exception:  # noqa: BLE001 - a bad path is reported where it is declared
        return True


def _parse_pii_engine(
    node: Node,
    policies: list[FieldPolicy],
    scan_fields: tuple[str, ...],
    per_type: dict[str, TransformationSpec],
    default: TransformationSpec,
) -> tuple[PiiEngine, DlpEngineSpec | None]:
    """``pii.engine`` (local | dlp) and, for dlp, ``pii.dlp`` (see DlpEngineSpec)."""
    engine = PiiEngine(node.choice("engine", [e.value for e in PiiEngine], "local") or "local")
    dlp_node = node.child("dlp")
    if engine is PiiEngine.LOCAL:
        if dlp_node.value is not None:
            node.error("applies to pii.engine dlp only", "dlp")
        return engine, None
    if dlp_node.value is None:
        node.error("is required with pii.engine dlp (at least {project: ...})", "dlp")
        return engine, None
    if not dlp_node.is_mapping():
        return engine, None
    dlp_node.reject_unknown(SECTION_KEYS["pii.dlp"])
    project = dlp_node.required("project", str, "")
    if project and not _DLP_PROJECT.match(project):
        dlp_node.error("must be a Google Cloud project id (lower-case letters, digits, hyphens)", "project")
    location = dlp_node.optional("location", str, "global")
    if not _DLP_LOCATION.match(location):
        dlp_node.error("must be a DLP location such as global, us-central1 or europe-west3", "location")
    endpoint = dlp_node.optional("endpoint", str, None)
    if endpoint is not None and (not endpoint or "/" in endpoint or " " in endpoint):
        dlp_node.error("must be a host[:port] such as dlp.europe-west3.rep.googleapis.com", "endpoint")
    templates: dict[str, str | None] = {}
    for key, kind in (
        ("inspect_template_name", "inspectTemplates"),
        ("deidentify_template_name", "deidentifyTemplates"),
        ("reidentify_template_name", "deidentifyTemplates"),
    ):
        name = dlp_node.optional(key, str, None)
        match = _DLP_TEMPLATE.match(name) if name is not None else None
        if name is not None and (match is None or match.group(3) != kind):
            dlp_node.error(f"must be a template resource name: projects/P/locations/L/{kind}/T", key)
        templates[key] = name
    rpm = dlp_node.optional("requests_per_minute", int, DLP_DEFAULT_REQUESTS_PER_MINUTE)
    if rpm <= 0:
        dlp_node.error("must be a positive number of requests per minute (per worker)", "requests_per_minute")
    attempts = dlp_node.optional("max_attempts", int, 5)
    if not 1 <= attempts <= 20:
        dlp_node.error("must be between 1 and 20", "max_attempts")
    mode = DlpMode(dlp_node.choice("mode", [m.value for m in DlpMode], "deidentify") or "deidentify")
    dlp_fields = _parse_dlp_fields(
        dlp_node, policies, scan_fields, mode, templates["deidentify_template_name"]
    )
    # Records go to DLP as table rows: one column per declared or scanned field, so each
    # path must name one value per record.
    for i, policy in enumerate(policies):
        if not _is_simple_path(policy.path):
            node.child("fields").error(
                "pii.engine dlp sends one table cell per field: lists ([]) are not supported", i
            )
    for i, path in enumerate(scan_fields):
        if not _is_simple_path(path):
            node.child("scan_fields").error(
                "pii.engine dlp sends one table cell per field: lists ([]) are not supported", i
            )
    if mode is DlpMode.DEIDENTIFY and templates["deidentify_template_name"] is None:
        # DLP transforms: it cannot use the dataset's tink keyset, only DLP's own cryptoKey
        # (with pii.dlp.fields, in the items that go to DLP; the others run locally).
        to_dlp = set(dlp_fields) if dlp_fields is not None else None
        keyed = [
            f"pii.fields[{i}]"
            for i, p in enumerate(policies)
            if to_dlp is None or p.path in to_dlp
            if any(
                needs_keys(s)
                for s in (
                    p.transformation,
                    getattr(p, "default_scan_transformation", None),
                    *getattr(p, "info_type_transformations", {}).values(),
                )
                if s is not None
            )
        ]
        scans_to_dlp = to_dlp is None or any(path in to_dlp for path in scan_fields)
        keyed += [
            f"pii.info_type_transformations.{t}"
            for t, s in per_type.items()
            if needs_keys(s) and scans_to_dlp
        ]
        keyed += ["pii.default_scan_transformation"] if needs_keys(default) and scans_to_dlp else []
        if keyed:
            node.error(
                f"dlp (mode deidentify) cannot use the dataset keyset: give {', '.join(keyed[:3])} DLP's "
                "cryptoKey (unwrapped, kmsWrapped or transient), or use mode detect",
                "engine",
            )
    return engine, DlpEngineSpec(
        project,
        location,
        endpoint,
        templates["inspect_template_name"],
        templates["deidentify_template_name"],
        templates["reidentify_template_name"],
        rpm if rpm > 0 else DLP_DEFAULT_REQUESTS_PER_MINUTE,
        mode,
        attempts,
        dlp_fields,
    )


def _parse_dlp_fields(
    dlp_node: Node,
    policies: list[FieldPolicy],
    scan_fields: tuple[str, ...],
    mode: DlpMode,
    deidentify_template: str | None,
) -> tuple[str, ...] | None:
    """``pii.dlp.fields``: the declared (pii.fields) and scanned (pii.scan_fields) paths DLP
    de-identifies; every other one stays with the local engine. None when absent (all go to DLP)."""
    if not dlp_node.has("fields"):
        return None
    raw = dlp_node.child("fields").value
    if not isinstance(raw, list) or not raw:
        dlp_node.error("must be a non-empty list of paths from pii.fields and pii.scan_fields", "fields")
        return None
    paths = dlp_node.string_list("fields")
    declared = {p.path for p in policies} | set(scan_fields)
    for i, path in enumerate(paths):
        if path not in declared:
            dlp_node.child("fields").error("is not a path of pii.fields or pii.scan_fields", i)
        elif path in paths[:i]:
            dlp_node.child("fields").error("names a field already in this list", i)
    if mode is not DlpMode.DEIDENTIFY:
        dlp_node.error(
            "applies to mode deidentify only (with mode detect DLP finds and veilwatch transforms "
            "every field)",
            "fields",
        )
    if deidentify_template is not None:
        dlp_node.error(
            "cannot be combined with deidentify_template_name (the template decides which fields "
            "DLP transforms)",
            "fields",
        )
    return paths


def _parse_field_item(item: Node, index: int, known: dict[str, FieldSpec]) -> list[FieldPolicy]:
    """One ``pii.fields`` item (one DLP record fieldTransformation) -> a policy per path it names."""
    item.reject_unknown(SECTION_KEYS["pii.fields[]"])
    paths: tuple[str, ...] = ()
    if item.has("path") == item.has("paths"):
        item.error(
            "needs exactly one of path (one field) or paths (a list of fields sharing the transformation)"
        )
    elif item.has("path"):
        path = item.required("path", str, "")
        paths = (path,) if path else ()
        if path and path not in known:
            item.error(_not_in_schema(path), "path")
    else:
        paths = item.string_list("paths")
        if not paths and isinstance(item.value.get("paths"), list):
            item.error("must name at least one field", "paths")
        for i, path in enumerate(paths):
            if path not in known:
                item.child("paths").error(_not_in_schema(path), i)
            elif path in paths[:i]:
                item.child("paths").error("names a field already in this list", i)
    condition = None
    if item.has("condition"):
        condition = _guard(
            item.issues, lambda: parse_record_condition(item.value["condition"], item.child_path("condition"))
        )
        _check_condition_fields(item.child("condition"), condition, known)
    scans = item.has("info_type_transformations") or item.has("default_scan_transformation")
    if scans == item.has("transformation"):
        item.error(
            "needs exactly one of transformation (a DLP primitive for the whole value) or "
            "info_type_transformations / default_scan_transformation (scan the field: a primitive "
            "per infoType found, and one for the others)"
        )
        return []
    per_type: dict[str, TransformationSpec] = {}
    default = None
    if scans:
        info_type = item.optional("info_type", str, "")
        if info_type:
            _check_info_type(item, "info_type", info_type)
        mapping = item.child("info_type_transformations")
        if mapping.value is not None and mapping.is_mapping():
            for name in mapping.value:
                if _check_info_type(mapping, str(name), str(name)):
                    spec = _transformation(mapping, str(name), required=True)
                    if spec is not None:
                        per_type[str(name)] = spec
        default = _transformation(item, "default_scan_transformation", required=False)
        for path in paths:
            if path in known and known[path].type not in (FieldType.STRING, FieldType.JSON):
                item.error(
                    "scans text: every field must be a string field", "paths" if item.has("paths") else "path"
                )
                break
        spec = None
    else:
        info_type = item.required("info_type", str, "")
        if info_type or item.child("info_type").value == "":
            _check_info_type(item, "info_type", info_type)
        spec = _transformation(item, "transformation", required=True)
        if spec is None:
            return []
    return [FieldPolicy(path, info_type, spec, condition, per_type, default, index) for path in paths]


def _parse_conditions(node: Node, known: dict[str, FieldSpec]) -> list:
    """``pii.record_suppressions``: ``[{condition: <DLP RecordCondition>}]``, records to leave out."""
    out = []
    for item in node.items("record_suppressions"):
        if not item.is_mapping():
            continue
        item.reject_unknown(SECTION_KEYS["pii.record_suppressions[]"])
        if not item.has("condition"):
            item.error("is required (a DLP RecordCondition)", "condition")
            continue
        raw, where = item.value["condition"], item.child_path("condition")
        condition = _guard(item.issues, lambda raw=raw, where=where: parse_record_condition(raw, where))
        _check_condition_fields(item.child("condition"), condition, known)
        if condition is not None:
            out.append(condition)
    return out


def _check_condition_fields(node: Node, condition, known: dict[str, FieldSpec]) -> None:
    """Every field a condition compares must be declared in schema.fields."""
    if condition is None:
        return
    for i, c in enumerate(condition.conditions):
        if c.field not in known:
            node.issues.append(
                ConfigIssue(
                    f"{node.path}.expressions.conditions.conditions[{i}].field.name", _not_in_schema(c.field)
                )
            )


def _transformation(node: Node, key: str, required: bool) -> TransformationSpec | None:
    if not node.has(key):
        if required:
            node.error("is required (a DLP primitive transformation such as {cryptoHashConfig: {}})", key)
        return None
    return _guard(node.issues, lambda: parse_transformation(node.value[key], node.child_path(key)))


def _parse_window(node: Node) -> WindowSpec:
    if node.value is None:
        return WindowSpec(WindowKind.FIXED, DEFAULT_WINDOW_SECONDS)
    if not node.is_mapping():
        return WindowSpec(WindowKind.FIXED, 3600)
    node.reject_unknown(SECTION_KEYS["windowing"])
    kind = WindowKind(node.choice("type", [k.value for k in WindowKind], "fixed") or "fixed")
    lateness = node.duration("allowed_lateness", 0.0) or 0.0
    if kind is WindowKind.SESSIONS:
        gap = node.duration("gap", None, required=True)
        if gap is not None and gap <= 0:
            node.error("must be longer than zero", "gap")
        for key in ("size", "period"):
            if node.has(key):
                node.error("does not apply to session windows (they end after a gap)", key)
        return WindowSpec(kind, gap or 1.0, None, lateness, gap)
    if node.has("gap"):
        node.error("applies to session windows only", "gap")
    size = node.duration("size", 3600.0, required=True) or 3600.0
    if size <= 0:
        node.error("must be longer than zero", "size")
    period = None
    if kind is WindowKind.SLIDING:
        period = node.duration("period", None, required=True)
        if period is not None and not 0 < period <= size:
            node.error("must be longer than zero and at most the window size", "period")
    elif node.has("period"):
        node.error("applies to sliding windows only", "period")
    return WindowSpec(kind, size, period, lateness)


# Series keys (group_by) and heavy-hitter details carry field values into flagged-window
# records. A scanned free-text field keeps everything the detectors did not recognise
# (names, addresses), so its values must not travel there.
_SCANNED_VALUE_OUT = (
    "names a field in pii.scan_fields: its de-identified text (where only detected PII is replaced) "
    "would be copied into flagged-window records; use a declared field"
)
# The same for a declared field whose anonymized values may be clear (see veilwatch.transforms.config.clear_values).
_CLEAR_VALUE_OUT = (
    "; its values would be copied into flagged-window records: use a field that is always "
    "de-identified (or not PII)"
)


def _parse_metrics(
    root: Node, known: dict[str, FieldSpec], pii: PiiSpec, unknown: UnknownFieldPolicy
) -> tuple[MetricSpec, ...]:
    metrics: list[MetricSpec] = []
    names: set[str] = set()
    scanned = set(pii.scan_fields)
    clear = fields_left_in_clear(pii)
    for item in root.items("metrics"):
        if not item.is_mapping():
            continue
        item.reject_unknown(SECTION_KEYS["metrics[]"])
        name = item.required("name", str, "")
        if name in names:
            item.error("is used by another metric", "name")
        names.add(name)
        kind = MetricKind(
            item.choice("type", [k.value for k in MetricKind], "count", required=True) or "count"
        )
        group_by = item.optional("group_by", str, None)
        if group_by and group_by not in known:
            item.error(_not_in_schema(group_by), "group_by")
        elif group_by and group_by in scanned:
            item.error(_SCANNED_VALUE_OUT, "group_by")
        elif group_by and group_by in clear:
            item.error(clear[group_by] + _CLEAR_VALUE_OUT, "group_by")
        field = item.optional("field", str, None)
        if kind in FIELD_METRICS:
            if not field:
                item.error(f"is required for a {kind.value} metric", "field")
            elif field not in known:
                item.error(_not_in_schema(field), "field")
            elif kind in NUMERIC_METRICS and known[field].type not in (FieldType.INTEGER, FieldType.FLOAT):
                item.error(f"must name an integer or float field for a {kind.value} metric", "field")
            elif (
                kind is MetricKind.FINDINGS_RATE
                and field not in scanned
                and unknown is not UnknownFieldPolicy.SCAN
            ):
                item.error("must name a field in pii.scan_fields: only scanned fields have findings", "field")
        elif field:
            item.error(f"does not apply to a {kind.value} metric", "field")
        if kind is MetricKind.HEAVY_HITTER and field in scanned:
            item.error(_SCANNED_VALUE_OUT, "field")
        elif kind is MetricKind.HEAVY_HITTER and field and field in clear:
            item.error(clear[field] + _CLEAR_VALUE_OUT, "field")
        info_type = item.optional("info_type", str, None)
        if info_type and kind is not MetricKind.FINDINGS_RATE:
            item.error("applies to findings_rate metrics only", "info_type")
        elif info_type:
            _check_info_type(item, "info_type", info_type)
        quantile = item.optional("quantile", float, None)
        if kind is MetricKind.QUANTILE and (quantile is None or not 0 <= quantile <= 1):
            item.error("is required for a quantile metric: a number from 0 to 1", "quantile")
        k = item.optional("k", int, 1)
        if k < 1:
            item.error("must be at least 1", "k")
        detector = None
        if item.has("detector"):
            raw, where = item.value["detector"], item.child_path("detector")
            detector = _guard(item.issues, lambda raw=raw, where=where: parse_detector(raw, where))
        metrics.append(MetricSpec(name, kind, group_by, field, info_type, quantile, k, detector))
    if not metrics and not root.has("metrics"):
        metrics.append(MetricSpec("record_count", MetricKind.COUNT))
    return tuple(metrics)


DEFAULT_BASELINE_WINDOWS = 24


def _parse_data_validation(
    node: Node,
    known: dict[str, FieldSpec],
    event_time_field: str,
    pii: PiiSpec,
    window: WindowSpec,
    base_dir: str,
) -> DataValidationSpec | None:
    """The optional TFDV stage: which fields, the schema's origin and the drift thresholds."""
    if node.value is None or not node.is_mapping():
        return None
    node.reject_unknown(SECTION_KEYS["data_validation"])
    scanned = set(pii.scan_fields)
    clear = fields_left_in_clear(pii)
    if node.has("fields"):
        fields = node.string_list("fields")
        for i, path in enumerate(fields):
            if path not in known:
                node.child("fields").error(_not_in_schema(path), i)
            elif path in scanned:
                node.child("fields").error(
                    "names a field in pii.scan_fields: statistics list top values, and scanned text keeps "
                    "what the detectors did not recognise",
                    i,
                )
            elif path in clear:
                node.child("fields").error(f"{clear[path]}; statistics list top values", i)
    else:  # every schema field but the event time (the window key), scanned free text and clear PII
        fields = tuple(p for p in known if p != event_time_field and p not in scanned and p not in clear)
    baseline = node.optional("baseline_windows", int, DEFAULT_BASELINE_WINDOWS)
    if baseline < 1:
        node.error("must be at least 1", "baseline_windows")
    schema = node.optional("schema", str, None)
    drift: dict[str, tuple[DriftComparator, float]] = {}
    drift_node = node.child("drift")
    if drift_node.value is not None and drift_node.is_mapping():
        comparators = [c.value for c in DriftComparator]
        for path, spec in drift_node.value.items():
            item = drift_node.child(str(path))
            if path not in fields:
                item.error("names a field that data_validation does not profile (see data_validation.fields)")
                continue
            if not isinstance(spec, dict) or len(spec) != 1:
                item.error(f"must be a mapping of one comparator ({', '.join(comparators)}) to a threshold")
                continue
            ((name, threshold),) = spec.items()
            if name not in comparators:
                item.error(f"unknown comparator (allowed: {', '.join(comparators)})", str(name))
            elif (
                isinstance(threshold, bool)
                or not isinstance(threshold, (int, float))
                or not 0 < threshold <= 1
            ):
                item.error("must be a number above 0 and at most 1", str(name))
            else:
                drift[path] = (DriftComparator(name), float(threshold))
    if window.kind is WindowKind.SESSIONS:
        node.error(
            "needs fixed or sliding windowing: statistics are computed per window step, "
            "and session windows have no fixed step"
        )
    return DataValidationSpec(fields, baseline, _resolve(schema, base_dir) if schema else None, drift)


def _parse_keys(node: Node, base_dir: str, pii: PiiSpec) -> KeysSpec:
    keyset = kms = None
    if node.value is not None and node.is_mapping():
        node.reject_unknown(SECTION_KEYS["keys"])
        keyset = node.optional("keyset", str, None)
        kms = _resource(
            node, "kms_key_uri", KMS_KEY_PATTERN, "gcp-kms://projects/P/locations/L/keyRings/R/cryptoKeys/K"
        )
    keyset = _resolve(keyset, base_dir) if keyset else None
    users = [
        p.path
        for p in pii.fields
        if any(
            needs_keys(s)
            for s in (p.transformation, p.default_scan_transformation, *p.info_type_transformations.values())
            if s is not None
        )
    ]
    users += [t for t, spec in pii.info_type_transformations.items() if needs_keys(spec)]
    if users and not keyset:
        node.issues.append(
            ConfigIssue(
                "keys.keyset",
                f"is required because {', '.join(users[:3])} use a keyed transformation "
                "(set it in the config or pass --keyset)",
            )
        )
    return KeysSpec(keyset, kms)


def _parse_sinks(node: Node, base_dir: str) -> SinksSpec:
    output_dir = fmt = None
    write_all = False
    neutralize = True
    bigquery, pubsub = BigQuerySinksSpec(), PubSubSinksSpec()
    if node.value is not None and node.is_mapping():
        node.reject_unknown(SECTION_KEYS["sinks"])
        output_dir = node.optional("output_dir", str, None)
        fmt = node.choice("anonymized_format", [f.value for f in FILE_FORMATS], "jsonl")
        write_all = node.optional("write_all_scores", bool, False)
        neutralize = node.optional("csv_neutralize_formulas", bool, True)
        bigquery = _parse_bigquery_sinks(node.child("bigquery"))
        pubsub = _parse_pubsub_sinks(node.child("pubsub"))
    output_dir = _resolve(output_dir, base_dir) if output_dir else None
    sinks = SinksSpec(output_dir, SourceFormat(fmt or "jsonl"), write_all, bigquery, pubsub, neutralize)
    if not output_dir and sinks.any_to_files:
        node.issues.append(
            ConfigIssue(
                "sinks.output_dir",
                "is required (set it in the config or pass --output_dir) unless every output has a "
                "sinks.bigquery table or sinks.pubsub topic",
            )
        )
    return sinks


def _parse_bigquery_sinks(node: Node) -> BigQuerySinksSpec:
    if node.value is None or not node.is_mapping():
        return BigQuerySinksSpec()
    node.reject_unknown(SECTION_KEYS["sinks.bigquery"])
    tables = {k: _resource(node, k, TABLE_PATTERN, "PROJECT:DATASET.TABLE") for k in _BIGQUERY_SINK_TABLES}
    return BigQuerySinksSpec(
        **tables, time_partitioning=_time_partitioning(node), clustering=_clustering(node)
    )


# BigQuery's time partitioning types, as the config spells them; none: no partitioning.
PARTITIONINGS = ("hour", "day", "month", "year", "none")
# BigQuery clusters a table by at most four columns.
MAX_CLUSTERING_COLUMNS = 4


def _time_partitioning(node: Node) -> str | None:
    value = node.value.get("time_partitioning", "day")
    if value is None:
        return None
    if not isinstance(value, str) or value.lower() not in PARTITIONINGS:
        # the value is not repeated: a config value may be anything
        node.error(f"must be one of: {', '.join(PARTITIONINGS)}", "time_partitioning")
        return "DAY"
    return None if value.lower() == "none" else value.upper()


def _clustering(node: Node) -> tuple[str, ...]:
    default = BigQuerySinksSpec().clustering
    if "clustering" not in node.value:
        return default
    value = node.value["clustering"]
    if value is None:
        return ()
    if not isinstance(value, list):
        node.error("expected a list of column names (dataset, series_key, metric, ...)", "clustering")
        return default
    child = node.child("clustering")
    if len(value) > MAX_CLUSTERING_COLUMNS:
        child.error(
            f"names {len(value)} columns; BigQuery clusters by at most {MAX_CLUSTERING_COLUMNS} columns"
        )
    for i, column in enumerate(value):
        if not isinstance(column, str) or column not in WINDOW_TABLE_COLUMNS:
            child.error(
                f"is not a column of the flagged windows and scores tables "
                f"(one of: {', '.join(WINDOW_TABLE_COLUMNS)})",
                i,
            )
        elif column in value[:i]:
            child.error("names a column twice", i)
    return tuple(c for c in value if isinstance(c, str))


def _parse_pubsub_sinks(node: Node) -> PubSubSinksSpec:
    if node.value is None or not node.is_mapping():
        return PubSubSinksSpec()
    node.reject_unknown(SECTION_KEYS["sinks.pubsub"])
    return PubSubSinksSpec(
        **{k: _resource(node, k, TOPIC_PATTERN, "projects/PROJECT/topics/NAME") for k in _PUBSUB_SINK_TOPICS}
    )


def _resolve(path: str, base_dir: str) -> str:
    """A path written in the file, relative to the file's folder; an override's as given."""
    if isinstance(path, GivenPath):
        return str(path)
    if not path or is_uri(path) or os.path.isabs(path) or not base_dir:
        return path
    if is_uri(base_dir):
        return posixpath.join(base_dir, path)
    return os.path.normpath(os.path.join(base_dir, path))


def _dirname(path: str) -> str:
    return posixpath.dirname(path) if is_uri(path) else os.path.dirname(os.path.abspath(path))


# A dataset config is a few KB; YAML parsing takes about 30 times a file's size in memory
# (a 71 MB file took 2.1 GB), so anything past this is refused before it is parsed.
MAX_CONFIG_BYTES = 1 << 20


def _not_in_schema(name: str) -> str:
    """The message for a field reference that schema.fields does not declare. The name is not
    repeated (the key path says which reference is wrong, and a value may be anything)."""
    return "names a field that is not in schema.fields"


def _read_text(path: str) -> str:
    from apache_beam.io.filesystems import FileSystems

    try:
        with FileSystems.open(path) as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)  # never more than the limit and one byte
    except Exception as exc:  # noqa: BLE001 - any IO failure is "cannot read"
        raise ConfigError(ConfigIssue("", f"cannot read config file {path}: {type(exc).__name__}")) from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(
            ConfigIssue(
                "",
                f"config file {path} is larger than {MAX_CONFIG_BYTES // (1 << 20)} MiB, "
                "far more than any dataset config needs; refused before parsing",
            )
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(ConfigIssue("", f"config file {path} is not UTF-8 text")) from None
