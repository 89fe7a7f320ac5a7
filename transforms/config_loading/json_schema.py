"""A JSON Schema of the dataset config, for editors (completion, hover help, red squiggles).

    veilwatch config-schema > dataset-config.schema.json
    # or, first line of a config, for editors with the YAML language server:
    # yaml-language-server: $schema=../dataset-config.schema.json

Built from the validator's own tables, so the two cannot drift: the keys each mapping may hold
(``loader.SECTION_KEYS``, the same tuple ``reject_unknown`` is given), the enums of
``model.py``, the resource-name patterns, the detector parameter dataclasses (through
``anomaly.registry``), the de-identification primitives and the detection settings' keys.
``templates/dataset-config.schema.json`` is this schema, checked in (a test keeps it equal).

The schema checks the shape of each value. The validator stays the authority: what involves
more than one key (a field reference that must name a schema field, a keyset a keyed
transformation needs, windowing rules) and the inside of DLP primitives and record conditions
is checked by ``veilwatch validate-config`` only.
"""

from __future__ import annotations

import json
from typing import Any

from veilwatch.transforms.anomaly.cooldown import Cooldown
from veilwatch.transforms.anomaly.registry import detector_json_schema, params_json_schema
from veilwatch.transforms.config.info_types import INFO_TYPE_NAME
from veilwatch.transforms.config.model import (
    FILE_FORMATS,
    MAX_DEPTH_LIMIT,
    WINDOW_TABLE_COLUMNS,
    DlpMode,
    DriftComparator,
    FieldType,
    MetricKind,
    PiiEngine,
    SourceFormat,
    TransformationErrorHandling,
    UnknownFieldPolicy,
    WindowKind,
)
from veilwatch.transforms.config.reader import DURATION_PATTERN
from veilwatch.transforms.config_loading.loader import (
    ATTRIBUTE_TIME_FORMATS,
    EVENT_TIME_FORMATS,
    KMS_KEY_PATTERN,
    MAX_CLUSTERING_COLUMNS,
    PARTITIONINGS,
    SECTION_KEYS,
    SUBSCRIPTION_PATTERN,
    TABLE_PATTERN,
    TOPIC_PATTERN,
)
from veilwatch.transforms.deid.registry import PRIMITIVES
from veilwatch.transforms.detection.settings import SETTINGS_KEYS

_DETECTOR_REF = "#/$defs/detector"
_TRANSFORMATION_REF = "#/$defs/transformation"

_STRING = {"type": "string"}
_STRINGS = {"type": "array", "items": {"type": "string", "minLength": 1}}
_INFO_TYPE = {"type": "string", "pattern": f"^{INFO_TYPE_NAME.pattern}$"}
_DURATION = {
    "anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": DURATION_PATTERN}],
    "description": "a duration such as 1h, 15m, 90s, 2d or a number of seconds",
}
_OBJECT = {"type": "object"}


def _enum(values: Any) -> dict[str, Any]:
    return {"enum": [getattr(v, "value", v) for v in values]}


def _resource(pattern: str, shape: str) -> dict[str, Any]:
    return {"type": "string", "pattern": pattern, "description": f"looks like {shape}"}


def _any_case(words: tuple[str, ...]) -> str:
    """A pattern matching any of ``words`` in any letter case (the validator lower-cases them)."""
    return "^(" + "|".join("".join(f"[{c.lower()}{c.upper()}]" for c in w) for w in words) + ")$"


_TABLE = _resource(TABLE_PATTERN, "PROJECT:DATASET.TABLE")
_TOPIC = _resource(TOPIC_PATTERN, "projects/PROJECT/topics/NAME")
_INFO_TYPE_TRANSFORMATIONS = {
    "type": "object",
    "propertyNames": _INFO_TYPE,
    "additionalProperties": {"$ref": _TRANSFORMATION_REF},
}

# The value of each key that is not itself a mapping of SECTION_KEYS, by its key path.
VALUES: dict[str, dict[str, Any]] = {
    "dataset": {"type": "string", "minLength": 1, "description": "name, used in outputs"},
    "detector": {"$ref": _DETECTOR_REF},
    "cooldown": {
        "type": "object",
        "properties": params_json_schema(Cooldown),
        "additionalProperties": False,
    },
    "metrics": {"type": "array", "items": {"$ref": "#/$defs/metrics[]"}},
    "source.format": _enum(SourceFormat),
    "source.path": {"type": "string", "description": "a path or glob, local or gs://; relative to this file"},
    "source.max_record_bytes": {"type": "integer", "minimum": 1},
    "source.max_depth": {"type": "integer", "minimum": 1, "maximum": MAX_DEPTH_LIMIT},
    "source.csv.delimiter": {"type": "string", "minLength": 1, "maxLength": 1},
    "source.pubsub.subscription": _resource(SUBSCRIPTION_PATTERN, "projects/PROJECT/subscriptions/NAME"),
    "source.pubsub.topic": _TOPIC,
    "source.pubsub.event_time_attribute": {
        "type": "string",
        "description": f"event time from this message attribute (event_time.format: "
        f"{' or '.join(ATTRIBUTE_TIME_FORMATS)})",
    },
    "source.bigquery.table": _TABLE,
    "source.bigquery.query": _STRING,
    "schema.fields": {"type": "array", "items": {"$ref": "#/$defs/schema.fields[]"}},
    "schema.unknown_fields": _enum(UnknownFieldPolicy),
    "schema.fields[].name": {"type": "string", "description": "a field path: customer.email, items[].sku"},
    "schema.fields[].type": _enum(FieldType),
    "schema.fields[].required": {"type": "boolean"},
    "event_time.field": _STRING,
    "event_time.format": {
        "type": "string",
        "examples": list(EVENT_TIME_FORMATS),
        "description": f"{', '.join(EVENT_TIME_FORMATS)} or a strptime pattern such as '%Y-%m-%d %H:%M:%S'",
    },
    "pii.fields": {"type": "array", "items": {"$ref": "#/$defs/pii.fields[]"}},
    "pii.scan_fields": _STRINGS,
    "pii.info_type_transformations": _INFO_TYPE_TRANSFORMATIONS,
    "pii.default_scan_transformation": {"$ref": _TRANSFORMATION_REF},
    "pii.detection": {
        "type": "object",
        "propertyNames": {"enum": sorted(SETTINGS_KEYS)},
        "description": "the local detection engine's settings (see the README's Detection section)",
    },
    "pii.engine": _enum(PiiEngine),
    "pii.transformation_error_handling": {
        "type": "object",
        "propertyNames": _enum(
            (TransformationErrorHandling.THROW_ERROR, TransformationErrorHandling.LEAVE_UNTRANSFORMED)
        ),
        "additionalProperties": {"anyOf": [{"type": "null"}, {"type": "object", "maxProperties": 0}]},
        "minProperties": 1,
        "maxProperties": 1,
    },
    "pii.record_suppressions": {"type": "array", "items": {"$ref": "#/$defs/pii.record_suppressions[]"}},
    "pii.fields[].path": _STRING,
    "pii.fields[].paths": {**_STRINGS, "minItems": 1},
    "pii.fields[].info_type": _INFO_TYPE,
    "pii.fields[].condition": {**_OBJECT, "description": "a DLP RecordCondition"},
    "pii.fields[].transformation": {"$ref": _TRANSFORMATION_REF},
    "pii.fields[].info_type_transformations": _INFO_TYPE_TRANSFORMATIONS,
    "pii.fields[].default_scan_transformation": {"$ref": _TRANSFORMATION_REF},
    "pii.dlp.project": _STRING,
    "pii.dlp.location": _STRING,
    "pii.dlp.endpoint": _STRING,
    "pii.dlp.inspect_template_name": _STRING,
    "pii.dlp.deidentify_template_name": _STRING,
    "pii.dlp.reidentify_template_name": _STRING,
    "pii.dlp.requests_per_minute": {"type": "integer", "minimum": 1},
    "pii.dlp.mode": _enum(DlpMode),
    "pii.dlp.max_attempts": {"type": "integer", "minimum": 1, "maximum": 20},
    "pii.dlp.fields": {**_STRINGS, "minItems": 1},
    "pii.record_suppressions[].condition": {**_OBJECT, "description": "a DLP RecordCondition"},
    "windowing.type": _enum(WindowKind),
    "windowing.size": _DURATION,
    "windowing.period": _DURATION,
    "windowing.gap": _DURATION,
    "windowing.allowed_lateness": _DURATION,
    "metrics[].name": _STRING,
    "metrics[].type": _enum(MetricKind),
    "metrics[].group_by": _STRING,
    "metrics[].field": _STRING,
    "metrics[].info_type": _INFO_TYPE,
    "metrics[].quantile": {"type": "number", "minimum": 0, "maximum": 1},
    "metrics[].k": {"type": "integer", "minimum": 1},
    "metrics[].detector": {"$ref": _DETECTOR_REF},
    "data_validation.fields": _STRINGS,
    "data_validation.baseline_windows": {"type": "integer", "minimum": 1},
    "data_validation.schema": {
        "type": "string",
        "description": "a TFDV text-format schema; relative to this file",
    },
    "data_validation.drift": {
        "type": "object",
        "additionalProperties": {
            "type": "object",
            "propertyNames": _enum(DriftComparator),
            "additionalProperties": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
            "minProperties": 1,
            "maxProperties": 1,
        },
    },
    "keys.keyset": {"type": "string", "description": "a tink keyset, path or URI; relative to this file"},
    "keys.kms_key_uri": _resource(
        KMS_KEY_PATTERN, "gcp-kms://projects/P/locations/L/keyRings/R/cryptoKeys/K"
    ),
    "sinks.output_dir": {"type": "string", "description": "local or gs://; relative to this file"},
    "sinks.anonymized_format": _enum(FILE_FORMATS),
    "sinks.write_all_scores": {"type": "boolean"},
    "sinks.csv_neutralize_formulas": {"type": "boolean"},
    "sinks.bigquery.anonymized_table": _TABLE,
    "sinks.bigquery.flagged_windows_table": _TABLE,
    "sinks.bigquery.scores_table": _TABLE,
    "sinks.bigquery.dead_letter_table": _TABLE,
    "sinks.bigquery.findings_table": _TABLE,
    "sinks.bigquery.time_partitioning": {"type": "string", "pattern": _any_case(PARTITIONINGS)},
    "sinks.bigquery.clustering": {
        "type": "array",
        "items": _enum(WINDOW_TABLE_COLUMNS),
        "maxItems": MAX_CLUSTERING_COLUMNS,
        "uniqueItems": True,
    },
    "sinks.pubsub.anonymized_topic": _TOPIC,
    "sinks.pubsub.alerts_topic": _TOPIC,
}

# Keys the validator reports as "is required" when absent, by the mapping that holds them.
REQUIRED: dict[str, tuple[str, ...]] = {
    "": ("dataset", "source", "schema", "event_time"),
    "source": ("format",),
    "schema": ("fields",),
    "schema.fields[]": ("name", "type"),
    "event_time": ("field",),
    "metrics[]": ("name", "type"),
    "pii.dlp": ("project",),
    "pii.record_suppressions[]": ("condition",),
}

# Keys whose empty value (YAML null) the validator refuses; any other key may be left empty,
# which reads as its default. Choices and durations, for one, must hold a value.
_NOT_NULLABLE = {
    "dataset",
    "source",
    "source.format",
    "source.csv",
    "source.pubsub",
    "source.bigquery",
    "schema",
    "schema.fields",
    "schema.unknown_fields",
    "schema.fields[].type",
    "event_time",
    "pii.engine",
    "pii.default_scan_transformation",
    "pii.fields[].transformation",
    "pii.fields[].default_scan_transformation",
    "pii.fields[].condition",
    "pii.record_suppressions[].condition",
    "pii.dlp.mode",
    "pii.dlp.fields",
    "windowing.type",
    "windowing.size",
    "windowing.period",
    "windowing.gap",
    "windowing.allowed_lateness",
    "metrics[].type",
    "metrics[].detector",
    "sinks.anonymized_format",
}


def dataset_config_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a dataset config."""
    defs: dict[str, Any] = {
        "detector": detector_json_schema(_DETECTOR_REF),
        "transformation": _transformation(),
    }
    for section in SECTION_KEYS:
        if section.endswith("[]"):
            defs[section] = _mapping(section)
    root = _mapping("")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "veilwatch dataset config",
        "description": "One dataset: its source, schema, PII policy, windows, metrics, detector and sinks. "
        "`veilwatch validate-config FILE` checks what the schema cannot (references between keys).",
        **root,
        "$defs": defs,
    }


def _mapping(section: str) -> dict[str, Any]:
    properties = {}
    for key in SECTION_KEYS[section]:
        path = f"{section}.{key}" if section else key
        if path in SECTION_KEYS:
            value = _mapping(path)
        elif path in VALUES:
            value = VALUES[path]
        else:
            raise KeyError(f"json_schema.VALUES has no schema for the config key {path}")
        properties[key] = value if path in _NOT_NULLABLE else _or_null(value)
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if section in REQUIRED:
        schema["required"] = list(REQUIRED[section])
    return schema


def _or_null(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or YAML's null (an empty key: the validator's default); a type or an enum
    gains null, so editors keep showing the value's own problems and choices."""
    if isinstance(schema.get("type"), str):
        return {**schema, "type": [schema["type"], "null"]}
    if "enum" in schema:
        return {**schema, "enum": [*schema["enum"], None]}
    return {"anyOf": [schema, {"type": "null"}]}


def _transformation() -> dict[str, Any]:
    """A DLP primitive transformation: its name, or ``{name: {params}}`` (params checked by validate-config)."""
    names = sorted(PRIMITIVES)
    return {
        "description": "a DLP primitive transformation, e.g. redactConfig or {characterMaskConfig: {numberToMask: 4}}",
        "anyOf": [
            {"enum": names},
            {
                "type": "object",
                "propertyNames": {"enum": names},
                "minProperties": 1,
                "maxProperties": 1,
            },
        ],
    }


def schema_text() -> str:
    """The schema as the checked-in file holds it (sorted keys are not used: the order reads as the config)."""
    return json.dumps(dataset_config_schema(), indent=2, ensure_ascii=False) + "\n"


if (
    __name__ == "__main__"
):  # python -m veilwatch.transforms.config_loading.json_schema > templates/dataset-config.schema.json
    print(schema_text(), end="")
