"""Load and validate a dataset config (YAML) into a :class:`DatasetConfig`.

    config = load_config("templates/datasets/payments.yaml",
                         overrides=ConfigOverrides(output_dir="out/run1"))

Every problem is collected and raised together as one
:class:`~transforms.config.errors.ConfigError` whose lines name the key path
and what is wrong, before any pipeline object exists. Relative paths inside
the file are relative to the file's own folder; override values (from the
command line) are taken as given.
"""
from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass, replace
from typing import Any

import yaml

from transforms.anomaly.registry import parse_detector
from transforms.config.errors import ConfigError, ConfigIssue
from transforms.config.info_types import BUILT_IN_INFO_TYPES
from transforms.config.model import (
    DatasetConfig,
    EventTimeSpec,
    FieldPolicy,
    FieldSpec,
    FieldType,
    KeysSpec,
    MetricKind,
    MetricSpec,
    PiiSpec,
    SinksSpec,
    SourceFormat,
    SourceSpec,
    TransformationSpec,
    UnknownFieldPolicy,
    WindowKind,
    WindowSpec,
)
from transforms.config.reader import Node
from transforms.deid.registry import needs_keys, parse_transformation
from transforms.detection.settings import parse_detection_settings
from transforms.records.paths import parse_path

TOP_LEVEL_KEYS = ("dataset", "source", "schema", "event_time", "pii", "windowing", "metrics", "detector", "keys", "sinks")
EVENT_TIME_FORMATS = ("iso8601", "epoch_seconds", "epoch_millis")
DEFAULT_DETECTOR = {"type": "robust_zscore"}
DEFAULT_WINDOW_SECONDS = 3600.0


@dataclass(frozen=True)
class ConfigOverrides:
    """Run-time values that replace the file's (one config, many runs)."""

    input: str | None = None
    output_dir: str | None = None
    keyset: str | None = None
    kms_key_uri: str | None = None


def load_config(path: str, overrides: ConfigOverrides = ConfigOverrides()) -> DatasetConfig:
    """Read ``path`` (local or any Beam FileSystems URI) and validate it."""
    text = _read_text(path)
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(ConfigIssue("", f"is not valid YAML{where}")) from None
    return parse_config(document, base_dir=_dirname(path), overrides=overrides, config_path=path)


def parse_config(
    document: Any, base_dir: str = "", overrides: ConfigOverrides = ConfigOverrides(), config_path: str = ""
) -> DatasetConfig:
    issues: list[ConfigIssue] = []
    root = Node(document, "", issues)
    if not root.is_mapping():
        raise ConfigError(issues)
    root.reject_unknown(TOP_LEVEL_KEYS)

    dataset = root.required("dataset", str, "")
    source = _parse_source(root.child("source"), base_dir, overrides)
    fields, unknown = _parse_schema(root.child("schema"))
    known_paths = {f.path: f for f in fields}
    event_time = _parse_event_time(root.child("event_time"), known_paths)
    pii = _parse_pii(root.child("pii"), known_paths)
    window = _parse_window(root.child("windowing"))
    metrics = _parse_metrics(root, known_paths)
    detector = _guard(issues, lambda: parse_detector(root.child("detector").value or DEFAULT_DETECTOR, "detector"))
    keys = _parse_keys(root.child("keys"), base_dir, overrides, pii)
    sinks = _parse_sinks(root.child("sinks"), base_dir, overrides)

    if sinks.anonymized_format is not SourceFormat.JSONL and unknown in (UnknownFieldPolicy.KEEP, UnknownFieldPolicy.SCAN):
        issues.append(ConfigIssue(
            "sinks.anonymized_format",
            f"{sinks.anonymized_format.value} has a fixed schema and cannot carry fields outside it; "
            "use jsonl or set schema.unknown_fields to drop or reject",
        ))
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
        keys=keys,
        sinks=sinks,
        config_path=config_path,
    )


def _guard(issues: list[ConfigIssue], parse):
    """Run a sub-parser that raises ConfigError; collect its issues instead."""
    try:
        return parse()
    except ConfigError as exc:
        issues.extend(exc.issues)
        return None


def _parse_source(node: Node, base_dir: str, overrides: ConfigOverrides) -> SourceSpec:
    if not node.is_mapping():
        return SourceSpec(SourceFormat.JSONL, "")
    node.reject_unknown(("format", "path", "csv", "max_record_bytes"))
    fmt = node.choice("format", [f.value for f in SourceFormat], "jsonl", required=True)
    path = overrides.input or _resolve(node.required("path", str, ""), base_dir)
    delimiter = ","
    if node.has("csv"):
        csv = node.child("csv")
        if csv.is_mapping():
            csv.reject_unknown(("delimiter",))
            delimiter = csv.optional("delimiter", str, ",")
            if len(delimiter) != 1:
                csv.error("must be exactly one character", "delimiter")
    max_bytes = node.optional("max_record_bytes", int, 1_048_576)
    if max_bytes <= 0:
        node.error("must be a positive number of bytes", "max_record_bytes")
    return SourceSpec(SourceFormat(fmt or "jsonl"), path, delimiter, max_bytes)


def _parse_schema(node: Node) -> tuple[tuple[FieldSpec, ...], UnknownFieldPolicy]:
    if not node.is_mapping():
        return (), UnknownFieldPolicy.DROP
    node.reject_unknown(("fields", "unknown_fields"))
    fields: list[FieldSpec] = []
    seen: set[str] = set()
    for item in node.items("fields", required=True):
        if not item.is_mapping():
            continue
        item.reject_unknown(("name", "type", "required"))
        name = item.required("name", str, "")
        if name:
            if _guard(item.issues, lambda: parse_path(name, item.child_path("name"))) is None:
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
    node.reject_unknown(("field", "format"))
    field = node.required("field", str, "")
    if field and field not in known:
        node.error("names a field that is not in schema.fields", "field")
    elif field and known[field].type not in (FieldType.TIMESTAMP, FieldType.STRING, FieldType.INTEGER, FieldType.FLOAT):
        node.error("must name a timestamp, string or numeric field", "field")
    fmt = node.optional("format", str, "iso8601")
    if fmt not in EVENT_TIME_FORMATS and "%" not in fmt:
        node.error(f"must be one of {', '.join(EVENT_TIME_FORMATS)} or a strptime pattern such as '%Y-%m-%d %H:%M:%S'", "format")
    return EventTimeSpec(field, fmt)


def _parse_pii(node: Node, known: dict[str, FieldSpec]) -> PiiSpec:
    if node.value is None:
        return PiiSpec()
    if not node.is_mapping():
        return PiiSpec()
    node.reject_unknown(("fields", "scan_fields", "info_type_transformations", "default_scan_transformation",
                         "detection"))
    policies: list[FieldPolicy] = []
    for item in node.items("fields"):
        if not item.is_mapping():
            continue
        item.reject_unknown(("path", "info_type", "transformation"))
        path = item.required("path", str, "")
        if path and path not in known:
            item.error("names a field that is not in schema.fields", "path")
        info_type = item.required("info_type", str, "")
        if info_type and info_type not in BUILT_IN_INFO_TYPES:
            item.error("is not a Cloud DLP built-in infoType name", "info_type")
        spec = _transformation(item, "transformation", required=True)
        if path and spec is not None:
            policies.append(FieldPolicy(path, info_type, spec))
    scan_fields = node.string_list("scan_fields")
    scan_node = node.child("scan_fields")
    for i, path in enumerate(scan_fields):
        spec = known.get(path)
        if spec is None:
            scan_node.error("names a field that is not in schema.fields", i)
        elif spec.type not in (FieldType.STRING, FieldType.JSON):
            scan_node.error("must name a string field (free text)", i)
    per_type: dict[str, TransformationSpec] = {}
    mapping = node.child("info_type_transformations")
    if mapping.value is not None and mapping.is_mapping():
        for info_type in mapping.value:
            if info_type not in BUILT_IN_INFO_TYPES:
                mapping.error("is not a Cloud DLP built-in infoType name", str(info_type))
                continue
            spec = _transformation(mapping, str(info_type), required=True)
            if spec is not None:
                per_type[info_type] = spec
    default = _transformation(node, "default_scan_transformation", required=False) or TransformationSpec(
        "replaceWithInfoTypeConfig", None
    )
    detection = _guard(node.issues, lambda: parse_detection_settings(node.child("detection").value,
                                                                     node.child_path("detection")))
    return PiiSpec(tuple(policies), scan_fields, per_type, default, detection)


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
    node.reject_unknown(("type", "size", "period", "allowed_lateness"))
    kind = WindowKind(node.choice("type", [k.value for k in WindowKind], "fixed") or "fixed")
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
    lateness = node.duration("allowed_lateness", 0.0) or 0.0
    return WindowSpec(kind, size, period, lateness)


def _parse_metrics(root: Node, known: dict[str, FieldSpec]) -> tuple[MetricSpec, ...]:
    metrics: list[MetricSpec] = []
    names: set[str] = set()
    for item in root.items("metrics"):
        if not item.is_mapping():
            continue
        item.reject_unknown(("name", "type", "group_by"))
        name = item.required("name", str, "")
        if name in names:
            item.error("is used by another metric", "name")
        names.add(name)
        kind = item.choice("type", [k.value for k in MetricKind], "count", required=True) or "count"
        group_by = item.optional("group_by", str, None)
        if group_by and group_by not in known:
            item.error("names a field that is not in schema.fields", "group_by")
        metrics.append(MetricSpec(name, MetricKind(kind), group_by))
    if not metrics and not root.has("metrics"):
        metrics.append(MetricSpec("record_count", MetricKind.COUNT))
    return tuple(metrics)


def _parse_keys(node: Node, base_dir: str, overrides: ConfigOverrides, pii: PiiSpec) -> KeysSpec:
    keyset = kms = None
    if node.value is not None and node.is_mapping():
        node.reject_unknown(("keyset", "kms_key_uri"))
        keyset = node.optional("keyset", str, None)
        kms = node.optional("kms_key_uri", str, None)
    keyset = overrides.keyset or (_resolve(keyset, base_dir) if keyset else None)
    kms = overrides.kms_key_uri or kms
    users = [p.path for p in pii.fields if needs_keys(p.transformation)]
    users += [t for t, spec in pii.info_type_transformations.items() if needs_keys(spec)]
    if users and not keyset:
        node.issues.append(ConfigIssue(
            "keys.keyset",
            f"is required because {', '.join(users[:3])} use a keyed transformation "
            "(set it in the config or pass --keyset)",
        ))
    return KeysSpec(keyset, kms)


def _parse_sinks(node: Node, base_dir: str, overrides: ConfigOverrides) -> SinksSpec:
    output_dir = fmt = None
    write_all = False
    if node.value is not None and node.is_mapping():
        node.reject_unknown(("output_dir", "anonymized_format", "write_all_scores"))
        output_dir = node.optional("output_dir", str, None)
        fmt = node.choice("anonymized_format", [f.value for f in SourceFormat], "jsonl")
        write_all = node.optional("write_all_scores", bool, False)
    output_dir = overrides.output_dir or (_resolve(output_dir, base_dir) if output_dir else None)
    if not output_dir:
        node.issues.append(ConfigIssue("sinks.output_dir", "is required (set it in the config or pass --output_dir)"))
    return SinksSpec(output_dir, SourceFormat(fmt or "jsonl"), write_all)


def _is_uri(path: str) -> bool:
    return "://" in path


def _resolve(path: str, base_dir: str) -> str:
    if not path or _is_uri(path) or os.path.isabs(path) or not base_dir:
        return path
    if _is_uri(base_dir):
        return posixpath.join(base_dir, path)
    return os.path.normpath(os.path.join(base_dir, path))


def _dirname(path: str) -> str:
    return posixpath.dirname(path) if _is_uri(path) else os.path.dirname(os.path.abspath(path))


def _read_text(path: str) -> str:
    from apache_beam.io.filesystems import FileSystems

    try:
        with FileSystems.open(path) as handle:
            raw = handle.read()
    except Exception as exc:  # noqa: BLE001 - any IO failure is "cannot read"
        raise ConfigError(ConfigIssue("", f"cannot read config file {path}: {type(exc).__name__}")) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(ConfigIssue("", f"config file {path} is not UTF-8 text")) from None


def with_overrides(config: DatasetConfig, overrides: ConfigOverrides) -> DatasetConfig:
    """Apply run-time overrides to an already loaded config."""
    source = replace(config.source, path=overrides.input) if overrides.input else config.source
    sinks = replace(config.sinks, output_dir=overrides.output_dir) if overrides.output_dir else config.sinks
    keys = replace(config.keys, keyset=overrides.keyset or config.keys.keyset,
                   kms_key_uri=overrides.kms_key_uri or config.keys.kms_key_uri)
    return replace(config, source=source, sinks=sinks, keys=keys)
