"""A veilwatch dataset config <-> Cloud DLP's ``DeidentifyConfig`` and ``InspectConfig``.

veilwatch's transformation config *is* DLP's JSON form (``{cryptoReplaceFfxFpeConfig:
{commonAlphabet: NUMERIC}}``), so the translation is mostly structure:

* ``deidentify_config_for(config)``: what the config means for table items whose headers
  are the record's dotted field paths. Each ``pii.fields`` item becomes one
  ``recordTransformations.fieldTransformations`` entry (its fields, its ``condition``, a
  ``primitiveTransformation`` or per-field ``infoTypeTransformations``); the scanned fields
  (``pii.scan_fields``) one more with ``infoTypeTransformations`` (a transformation per
  infoType, and the default for every other finding); ``pii.record_suppressions`` become
  ``recordSuppressions``.
* ``inspect_config_for(config)``: ``pii.detection`` as an ``InspectConfig`` (infoTypes,
  minLikelihood, customInfoTypes, a ruleSet of hotword and exclusion rules).
* ``config_sections_from_templates(deidentify, inspect)``: the other way, DLP templates
  to dataset-config sections (plain dicts for YAML) and notes naming what the user must
  fill in or check (every key section is flagged).

Keys: a veilwatch primitive without ``cryptoKey`` uses the dataset's tink keyset, which
DLP cannot use; the exported primitive gets a placeholder KMS-wrapped key and a warning
naming its path. Keys veilwatch knows that DLP does not (veilwatch extensions) are left
out of the DLP message and listed as warnings. Warnings and notes name key paths and
field paths, never a configured value.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from typing import Any

import proto
from google.cloud import dlp_v2
from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from veilwatch.transforms.config.info_types import BUILT_IN_INFO_TYPES, is_well_formed
from veilwatch.transforms.config.model import (
    DatasetConfig,
    FieldPolicy,
    TransformationSpec,
    UnknownFieldPolicy,
)

# The placeholder key of an exported keyed primitive that had none (it used the tink keyset).
# "FILL+ME+" is canonical base64, so it survives DLP's bytes field unchanged.
PLACEHOLDER_WRAPPED_KEY = "FILL+ME+"
PLACEHOLDER_KEY_NAME = "projects/FILL_ME/locations/global/keyRings/FILL_ME/cryptoKeys/FILL_ME"

# Primitives that need a key in DLP (dateShiftConfig only with a context).
_KEYED = ("cryptoReplaceFfxFpeConfig", "cryptoDeterministicConfig", "cryptoHashConfig")

# The schema field an imported free-text template (top-level infoTypeTransformations) scans,
# and the event-time field an imported skeleton declares: both for the user to rename.
IMPORTED_TEXT_FIELD = "text"
IMPORTED_EVENT_TIME_FIELD = "ts"
# The infoType an imported pii.fields item declares (DLP's record transformations name none).
IMPORTED_INFO_TYPE = "GENERIC_ID"


class TemplateError(ValueError):
    """A DLP template that cannot become a dataset config; the message names the key.
    ``flag``: the command-line flag of the file at fault, when it is not the deidentify template."""

    def __init__(self, message: str, flag: str = "--deidentify-template"):
        super().__init__(message)
        self.flag = flag


# --------------------------------------------------------------------------- export


def deidentify_config_for(
    config: DatasetConfig, warnings: list[str] | None = None
) -> dlp_v2.DeidentifyConfig:
    """The ``DeidentifyConfig`` that ``config`` means, for table items whose headers are the
    record's dotted field paths. Problems DLP cannot express are appended to ``warnings``."""
    warnings = [] if warnings is None else warnings
    pii = config.pii
    transformations: list[dict] = []
    for index, group in enumerate(_policy_groups(pii.fields)):
        first = group[0]
        where = f"pii.fields[{index}]"
        item: dict[str, Any] = {"fields": [{"name": _header(p.path, where, warnings)} for p in group]}
        if first.condition is not None:
            item["condition"] = copy.deepcopy(dict(first.condition.source))
        if first.transformation is not None:
            item["primitiveTransformation"] = _whole_value_primitive(
                first, f"{where}.transformation", warnings
            )
        else:
            item["infoTypeTransformations"] = _info_type_transformations(
                first.info_type_transformations,
                first.default_scan_transformation or pii.default_scan_transformation,
                f"{where}.info_type_transformations",
                f"{where}.default_scan_transformation",
                warnings,
            )
        transformations.append(item)
    if pii.scan_fields:
        transformations.append(
            {
                "fields": [{"name": _header(path, "pii.scan_fields", warnings)} for path in pii.scan_fields],
                "infoTypeTransformations": _info_type_transformations(
                    pii.info_type_transformations,
                    pii.default_scan_transformation,
                    "pii.info_type_transformations",
                    "pii.default_scan_transformation",
                    warnings,
                ),
            }
        )
    if config.unknown_fields in (UnknownFieldPolicy.SCAN, UnknownFieldPolicy.KEEP):
        warnings.append(
            f"schema.unknown_fields: {config.unknown_fields.value} (fields outside the schema, and their "
            "key names, are scanned locally) has no DLP record-transformation equivalent; the DLP config "
            "covers the declared and scanned fields only"
        )
    record: dict[str, Any] = {}
    if transformations:
        record["fieldTransformations"] = transformations
    if pii.record_suppressions:
        record["recordSuppressions"] = [
            {"condition": copy.deepcopy(dict(c.source))} for c in pii.record_suppressions
        ]
    document: dict[str, Any] = {"recordTransformations": record} if record else {}
    handling = _error_handling(pii)
    if handling is not None:
        document["transformationErrorHandling"] = handling
    message = dlp_v2.DeidentifyConfig()
    json_format.ParseDict(document, message._pb)
    return message


def inspect_config_for(config: DatasetConfig, warnings: list[str] | None = None) -> dlp_v2.InspectConfig:
    """The ``InspectConfig`` of ``pii.detection``: what DLP must find for the scanned fields."""
    from veilwatch.transforms.detection.catalog import DEFAULT_CATALOG
    from veilwatch.transforms.detection.settings import DetectionSettings

    warnings = [] if warnings is None else warnings
    settings = config.pii.detection or DetectionSettings()
    custom_names = {c.name for c in settings.custom_info_types}
    wanted = settings.info_types if settings.info_types is not None else DEFAULT_CATALOG
    names: list[str] = []
    for name in dict.fromkeys(list(wanted) + _transformed_info_types(config)):
        if name in custom_names:
            continue
        if name not in BUILT_IN_INFO_TYPES:
            warnings.append(
                f"pii.detection.info_types: {name} is not a Cloud DLP built-in infoType; left out"
            )
            continue
        names.append(name)
    document: dict[str, Any] = {
        "infoTypes": [{"name": n} for n in names],
        "minLikelihood": settings.min_likelihood.name,
    }
    custom = []
    for c in settings.custom_info_types:
        where = f"pii.detection.custom_info_types.{c.name}"
        entry: dict[str, Any] = {"infoType": {"name": c.name}, "likelihood": c.likelihood.name}
        if c.regex is not None:
            entry["regex"] = {"pattern": f"(?i){c.regex}" if c.ignore_case else c.regex}
        else:
            entry["dictionary"] = {"wordList": {"words": list(c.words)}}
            if not c.ignore_case:
                warnings.append(f"{where}.ignore_case: DLP dictionaries always match case-insensitively")
        if c.validator:
            warnings.append(
                f"{where}.validator: DLP custom infoTypes have no checksum validator; "
                "DLP reports every regex match"
            )
        custom.append(entry)
    if custom:
        document["customInfoTypes"] = custom
    rules = _rule_set(settings)
    if rules:
        document["ruleSet"] = rules
    message = dlp_v2.InspectConfig()
    json_format.ParseDict(document, message._pb)
    return message


def export_document(config: DatasetConfig) -> tuple[dict, list[str]]:
    """``{"deidentifyConfig": ..., "inspectConfig": ...}`` in DLP's JSON (camelCase), and the warnings."""
    warnings: list[str] = []
    deidentify = deidentify_config_for(config, warnings)
    inspect = inspect_config_for(config, warnings)
    return {
        "deidentifyConfig": json_format.MessageToDict(deidentify._pb),
        "inspectConfig": json_format.MessageToDict(inspect._pb),
    }, warnings


def _policy_groups(policies: Iterable[FieldPolicy]) -> list[list[FieldPolicy]]:
    """pii.fields items in order: the policies an item with ``paths`` gave, together."""
    groups: dict[Any, list[FieldPolicy]] = {}
    for i, policy in enumerate(policies):
        key = policy.group if policy.group >= 0 else ("single", i)
        groups.setdefault(key, []).append(policy)
    return list(groups.values())


def _header(path: str, where: str, warnings: list[str]) -> str:
    """A record path as DLP's FieldId name: the path itself. A FieldId name is free text, and
    keeping the list marker (``items[].sku``) lets ``dlp import`` map the header back to the
    same path (``items.sku`` would be another field)."""
    if "[]" in path:
        warnings.append(
            f"{where}: {path} steps into a list; the DLP header keeps veilwatch's [] so that "
            "dlp import reads it back, but DLP tables hold one cell per header (pii.engine dlp "
            "refuses such paths)"
        )
    return path


def _transformed_info_types(config: DatasetConfig) -> list[str]:
    """infoTypes the transformations name: DLP must look for them for those to apply."""
    names = list(config.pii.info_type_transformations) if config.pii.scan_fields else []
    for policy in config.pii.fields:
        names.extend(policy.info_type_transformations)
    return names


def _info_type_transformations(
    per_type: Mapping[str, TransformationSpec],
    default: TransformationSpec,
    where: str,
    default_where: str,
    warnings: list[str],
) -> dict:
    items = [
        {
            "infoTypes": [{"name": name}],
            "primitiveTransformation": _primitive_dict(spec, f"{where}.{name}", warnings),
        }
        for name, spec in per_type.items()
    ]
    # no infoTypes: every other finding (veilwatch's default, explicit so DLP behaves the same)
    items.append({"primitiveTransformation": _primitive_dict(default, default_where, warnings)})
    return {"transformations": items}


def _whole_value_primitive(policy: FieldPolicy, where: str, warnings: list[str]) -> dict:
    """The DLP JSON of a declared field's whole-value primitive. ``replaceWithInfoTypeConfig``
    becomes the ``replaceConfig`` of the field's declared infoType (``[IBAN_CODE]``): DLP defines it
    per finding, and a cell DLP finds nothing in would be left as it is, where veilwatch replaces
    every value of the declared field."""
    assert policy.transformation is not None, "called for whole-value policies only"
    if policy.transformation.dlp_name == "replaceWithInfoTypeConfig":
        return {"replaceConfig": {"newValue": {"stringValue": f"[{policy.info_type or 'REDACTED'}]"}}}
    return _primitive_dict(policy.transformation, where, warnings)


def _primitive_dict(spec: TransformationSpec, where: str, warnings: list[str]) -> dict:
    """The DLP JSON of one primitive: its YAML mapping, extension keys dropped, a key placeholder added."""
    source = spec.source if spec.source is not None else {spec.dlp_name: None}
    ((name, params),) = source.items()
    params = copy.deepcopy(dict(params)) if isinstance(params, Mapping) else {}
    descriptor = dlp_v2.PrimitiveTransformation()._pb.DESCRIPTOR.fields_by_camelcase_name[name].message_type
    dropped: list[str] = []
    params = _known_keys(params, descriptor, f"{where}.{name}", dropped)
    for path in dropped:
        warnings.append(f"{path}: a veilwatch extension DLP does not know; left out of the DLP config")
    if "cryptoKey" not in params and (name in _KEYED or (name == "dateShiftConfig" and "context" in params)):
        params["cryptoKey"] = {
            "kmsWrapped": {"wrappedKey": PLACEHOLDER_WRAPPED_KEY, "cryptoKeyName": PLACEHOLDER_KEY_NAME}
        }
        warnings.append(
            f"{where}.{name}.cryptoKey: uses veilwatch's tink keyset, which DLP cannot use; "
            "a placeholder kmsWrapped key was put in: fill in wrappedKey and cryptoKeyName"
        )
    return {name: params}


def _known_keys(value: dict, descriptor: Descriptor, where: str, dropped: list[str]) -> dict:
    """``value`` without the keys ``descriptor`` (a DLP message) has no field for, recursively."""
    out = {}
    for key, item in value.items():
        # fields_by_camelcase_name: real (every protobuf implementation), missing from types-protobuf
        field = descriptor.fields_by_camelcase_name.get(key) or descriptor.fields_by_name.get(key)  # type: ignore[attr-defined]
        if field is None:
            dropped.append(f"{where}.{key}")
            continue
        child = field.message_type
        if (
            child is not None
            and not child.full_name.startswith("google.protobuf.")
            and not field.message_type.GetOptions().map_entry
        ):
            if field.label == FieldDescriptor.LABEL_REPEATED and isinstance(item, list):
                item = [
                    _known_keys(v, child, f"{where}.{key}[{i}]", dropped) if isinstance(v, dict) else v
                    for i, v in enumerate(item)
                ]
            elif isinstance(item, dict):
                item = _known_keys(item, child, f"{where}.{key}", dropped)
        out[key] = item
    return out


def _error_handling(pii: Any) -> dict | None:
    """DLP's transformationErrorHandling from ``pii.transformation_error_handling``, when the config has one."""
    handling = getattr(pii, "transformation_error_handling", None)
    if handling is None:
        return None
    mode = getattr(handling, "mode", handling)
    mode = getattr(mode, "value", mode)
    if mode in ("throwError", "throw_error"):
        return {"throwError": {}}
    if mode in ("leaveUntransformed", "leave_untransformed"):
        return {"leaveUntransformed": {}}
    return None


def _words_pattern(words: Iterable[str]) -> str:
    """A case-insensitive RE2 pattern matching any of ``words`` literally."""
    return "(?i)(" + "|".join(_re2_escape(w) for w in words) + ")"


def _re2_escape(word: str) -> str:
    return "".join(ch if ch.isalnum() or ch in " _'-" else "\\" + ch for ch in word)


def _rule_set(settings: Any) -> list[dict]:
    rules: list[dict] = []
    for rule in settings.hotwords:
        adjustment = (
            {"fixedLikelihood": rule.likelihood.name}
            if rule.likelihood is not None
            else {"relativeLikelihood": rule.boost}
        )
        rules.append(
            {
                "infoTypes": [{"name": rule.info_type}],
                "rules": [
                    {
                        "hotwordRule": {
                            "hotwordRegex": {"pattern": _words_pattern(rule.words)},
                            "proximity": {
                                "windowBefore": rule.window_before,
                                "windowAfter": rule.window_after,
                            },
                            "likelihoodAdjustment": adjustment,
                        }
                    }
                ],
            }
        )
    for rule in settings.exclusions:
        items = []
        if rule.dictionary:
            items.append(
                {
                    "exclusionRule": {
                        "dictionary": {"wordList": {"words": list(rule.dictionary)}},
                        "matchingType": "MATCHING_TYPE_FULL_MATCH",
                    }
                }
            )
        for pattern in rule.regexes:
            items.append(
                {"exclusionRule": {"regex": {"pattern": pattern}, "matchingType": "MATCHING_TYPE_FULL_MATCH"}}
            )
        rules.append({"infoTypes": [{"name": rule.info_type}], "rules": items})
    return rules


# --------------------------------------------------------------------------- import


def config_sections_from_templates(
    deidentify: dlp_v2.DeidentifyTemplate | dlp_v2.DeidentifyConfig,
    inspect: dlp_v2.InspectTemplate | dlp_v2.InspectConfig | None = None,
) -> tuple[dict, list[str]]:
    """Dataset-config sections (``pii`` and a ``schema.fields`` skeleton for the named fields)
    as plain dicts ready for YAML, and notes: every key section and every placeholder to fill in.

    Raises :class:`TemplateError` for what a dataset config cannot express (image transformations)."""
    notes: list[str] = []
    config = deidentify.deidentify_config if isinstance(deidentify, dlp_v2.DeidentifyTemplate) else deidentify
    document = json_format.MessageToDict(config._pb)
    if "imageTransformations" in document:
        raise TemplateError(
            "deidentifyConfig.imageTransformations: image redaction has no dataset-config form"
        )
    schema: dict[str, str] = {}
    pii: dict[str, Any] = {}
    fields: list[dict] = []
    record = document.get("recordTransformations", {})
    for i, item in enumerate(record.get("fieldTransformations", [])):
        where = f"pii.fields[{i}]"
        names = [f.get("name", "") for f in item.get("fields", [])]
        if not names or not all(names):
            raise TemplateError(
                f"deidentifyConfig.recordTransformations.fieldTransformations[{i}].fields: "
                "every field needs a name"
            )
        out: dict[str, Any] = {"path": names[0]} if len(names) == 1 else {"paths": names}
        if "condition" in item:
            out["condition"] = item["condition"]
            _schema_for_condition(item["condition"], schema)
        if "primitiveTransformation" in item:
            primitive = item["primitiveTransformation"]
            out["info_type"] = IMPORTED_INFO_TYPE
            out["transformation"] = primitive
            notes.append(
                f"{where}.info_type: DLP record transformations name no infoType; {IMPORTED_INFO_TYPE} "
                "was put in: set the infoType the field holds"
            )
            _key_notes(primitive, f"{where}.transformation", notes)
            for name in names:
                schema.setdefault(name, _field_type(primitive))
        else:
            per_type, default = _split_info_type_transformations(
                item.get("infoTypeTransformations", {}), f"{where}.info_type_transformations", notes
            )
            if per_type:
                out["info_type_transformations"] = per_type
            if default is not None:
                out["default_scan_transformation"] = default
                _key_notes(default, f"{where}.default_scan_transformation", notes)
            for name in names:
                schema.setdefault(name, "string")
        if not {"transformation", "info_type_transformations", "default_scan_transformation"} & set(out):
            raise TemplateError(
                f"deidentifyConfig.recordTransformations.fieldTransformations[{i}]: needs a "
                "primitiveTransformation or infoTypeTransformations with transformations"
            )
        if "condition" in out:  # last: path, what is done, then when
            out["condition"] = out.pop("condition")
        fields.append(out)
    if fields:
        pii["fields"] = fields
    suppressions = record.get("recordSuppressions", [])
    if suppressions:
        pii["record_suppressions"] = [{"condition": s.get("condition", {})} for s in suppressions]
        for s in suppressions:
            _schema_for_condition(s.get("condition", {}), schema)
    if "infoTypeTransformations" in document:  # a template for free text: scan one text field
        per_type, default = _split_info_type_transformations(
            document["infoTypeTransformations"], "pii.info_type_transformations", notes
        )
        pii["scan_fields"] = [IMPORTED_TEXT_FIELD]
        schema.setdefault(IMPORTED_TEXT_FIELD, "string")
        if per_type:
            pii["info_type_transformations"] = per_type
        if default is not None:
            pii["default_scan_transformation"] = default
            _key_notes(default, "pii.default_scan_transformation", notes)
        notes.append(
            f"pii.scan_fields: the template de-identifies free text; the field '{IMPORTED_TEXT_FIELD}' "
            "was put in: name the record fields that hold it (and declare them in schema.fields)"
        )
    handling = document.get("transformationErrorHandling")
    if handling:
        pii["transformation_error_handling"] = handling
        if "throwError" in handling:
            notes.append(
                "pii.transformation_error_handling: throwError; a streaming run cannot fail a request, "
                "so the local engine dead-letters the record"
            )
    _check_imported(pii)
    if inspect is not None:
        inspect_config = inspect.inspect_config if isinstance(inspect, dlp_v2.InspectTemplate) else inspect
        pii["detection"] = _detection_from(json_format.MessageToDict(inspect_config._pb), notes)
        _check_imported_detection(pii["detection"])
    sections = {
        "schema": {"fields": [{"name": name, "type": kind} for name, kind in schema.items()]},
        "pii": pii,
    }
    return sections, notes


def _check_imported(pii: Mapping[str, Any]) -> None:
    """Refuse what ``validate-config`` would refuse in the imported transformations and conditions
    (a key of a size the primitive does not take, parameters out of range ...), with the same
    messages (key paths of the dataset config, never a value). Keys left out (the dataset keyset)
    and placeholder keys pass: they are the notes' business."""
    from veilwatch.transforms.config.errors import ConfigError
    from veilwatch.transforms.deid.conditions import parse_record_condition
    from veilwatch.transforms.deid.registry import parse_transformation

    issues: list[Any] = []

    def check(parse: Any, value: Any, where: str) -> None:
        try:
            parse(value, where)
        except ConfigError as exc:
            issues.extend(exc.issues)

    def check_scan(item: Mapping[str, Any], per_type_key: str, default_key: str, prefix: str) -> None:
        for name, primitive in (item.get(per_type_key) or {}).items():
            check(parse_transformation, primitive, f"{prefix}{per_type_key}.{name}")
        if item.get(default_key) is not None:
            check(parse_transformation, item[default_key], f"{prefix}{default_key}")

    for i, item in enumerate(pii.get("fields", [])):
        where = f"pii.fields[{i}]."
        if "transformation" in item:
            check(parse_transformation, item["transformation"], f"{where}transformation")
        check_scan(item, "info_type_transformations", "default_scan_transformation", where)
        if "condition" in item:
            check(parse_record_condition, item["condition"], f"{where}condition")
    check_scan(pii, "info_type_transformations", "default_scan_transformation", "pii.")
    for i, item in enumerate(pii.get("record_suppressions", [])):
        check(parse_record_condition, item.get("condition"), f"pii.record_suppressions[{i}].condition")
    if issues:
        raise TemplateError("the imported config would be invalid: " + "; ".join(str(i) for i in issues))


def _check_imported_detection(detection: Mapping[str, Any]) -> None:
    """Refuse an inspect template whose detection settings ``validate-config`` would refuse: a
    custom infoType regex RE2 does not accept (back-references, look-arounds: DLP, which compiles
    them with RE2, refuses them too), one matching the empty string, an infoType without a name."""
    from veilwatch.transforms.config.errors import ConfigError
    from veilwatch.transforms.detection.settings import parse_detection_settings

    try:
        parse_detection_settings(detection, "pii.detection")
    except ConfigError as exc:
        raise TemplateError(
            "the imported config would be invalid: " + "; ".join(str(i) for i in exc.issues),
            flag="--inspect-template",
        ) from None


def dataset_config_from_templates(
    deidentify: dlp_v2.DeidentifyTemplate | dlp_v2.DeidentifyConfig,
    inspect: dlp_v2.InspectTemplate | dlp_v2.InspectConfig | None = None,
    dataset: str = "imported",
) -> tuple[dict, list[str]]:
    """A whole dataset config (the imported sections plus placeholders for the rest: source,
    event time, sinks), so that ``validate-config`` can check it once the notes are dealt with."""
    sections, notes = config_sections_from_templates(deidentify, inspect)
    pii = sections["pii"]
    if not (pii.get("fields") or pii.get("scan_fields") or pii.get("record_suppressions")):
        raise TemplateError(
            "deidentifyConfig: has no recordTransformations or infoTypeTransformations; "
            "an empty template de-identifies nothing"
        )
    fields = sections["schema"]["fields"]
    if not any(f["name"] == IMPORTED_EVENT_TIME_FIELD for f in fields):
        fields.insert(0, {"name": IMPORTED_EVENT_TIME_FIELD, "type": "timestamp", "required": True})
        notes.append(
            f"event_time.field: '{IMPORTED_EVENT_TIME_FIELD}' was put in: name the record's event-time field"
        )
    notes.append(
        "source.path, sinks.output_dir: placeholders; set where records come from and where outputs go"
    )
    document = {
        "dataset": dataset,
        "source": {"format": "jsonl", "path": "FILL_ME.jsonl"},
        "schema": {"unknown_fields": "drop", "fields": fields},
        "event_time": {"field": IMPORTED_EVENT_TIME_FIELD, "format": "iso8601"},
        "pii": sections["pii"],
        "sinks": {"output_dir": "FILL_ME_output"},
    }
    return document, notes


def _split_info_type_transformations(
    value: Mapping, where: str, notes: list[str]
) -> tuple[dict, dict | None]:
    per_type: dict[str, dict] = {}
    default = None
    for i, item in enumerate(value.get("transformations", [])):
        primitive = item.get("primitiveTransformation", {})
        names = [t.get("name", "") for t in item.get("infoTypes", [])]
        if not all(is_well_formed(name) for name in names):
            # names become config keys and notes (YAML comments): a newline would write config lines
            raise TemplateError(
                f"{where}: transformations[{i}].infoTypes: every name must match DLP's pattern "
                "[A-Za-z0-9$_-]{1,64}"
            )
        if not names:
            default = primitive
            continue
        for name in names:
            per_type[name] = primitive
            _key_notes(primitive, f"{where}.{name}", notes)
            if name not in BUILT_IN_INFO_TYPES:
                notes.append(
                    f"{where}.{name}: not an infoType the local catalog knows (declare it under "
                    "pii.detection.custom_info_types, or run with the DLP engine)"
                )
    return per_type, default


def _key_notes(primitive: Mapping, where: str, notes: list[str]) -> None:
    """A note for every key section of ``primitive``: placeholders to fill in, real keys to check."""
    for name, params in primitive.items():
        if not isinstance(params, Mapping):
            continue
        key = params.get("cryptoKey")
        path = f"{where}.{name}.cryptoKey"
        if key is None:
            if name in _KEYED or (name == "dateShiftConfig" and "context" in params):
                notes.append(
                    f"FILL IN {path}: the template has no key; add cryptoKey (kmsWrapped or unwrapped)"
                )
            continue
        if _is_placeholder(key):
            notes.append(f"FILL IN {path}: a placeholder; put in the wrapped key and the KMS key name")
        elif "kmsWrapped" in key:
            notes.append(
                f"CHECK {path}: a KMS-wrapped key; the runner needs cloudkms.cryptoKeyVersions."
                "useToDecrypt on its cryptoKeyName"
            )
        elif "unwrapped" in key:
            notes.append(
                f"CHECK {path}: an unwrapped key in the config file; prefer kmsWrapped outside tests"
            )
        elif "transient" in key:
            notes.append(
                f"CHECK {path}: a transient key exists only for one DLP request; tokens made with it "
                "cannot be restored, and the local engine cannot make the same ones"
            )


def _is_placeholder(key: Mapping) -> bool:
    wrapped = key.get("kmsWrapped", {})
    text = f"{wrapped.get('wrappedKey', '')} {wrapped.get('cryptoKeyName', '')}"
    return "FILL" in text.upper() or "YOUR" in text.upper()


def _field_type(primitive: Mapping) -> str:
    """The schema type an imported field most likely has, from the primitive applied to it."""
    name = next(iter(primitive), "")
    params = primitive.get(name) or {}
    if name == "fixedSizeBucketingConfig":
        return "float"
    if name == "bucketingConfig":
        bounds = [b.get(k, {}) for b in params.get("buckets", []) for k in ("min", "max")]
        if bounds and all(set(v) <= {"integerValue", "floatValue"} for v in bounds if v):
            return "float"
    return "string"


_VALUE_TYPES = {"integerValue": "float", "floatValue": "float", "booleanValue": "boolean"}


def _schema_for_condition(condition: Mapping, schema: dict[str, str]) -> None:
    """Fields a condition names, typed by the value they are compared with."""
    for item in condition.get("expressions", {}).get("conditions", {}).get("conditions", []):
        name = item.get("field", {}).get("name")
        if name:
            kinds = list(item.get("value", {}))
            schema.setdefault(name, _VALUE_TYPES.get(kinds[0], "string") if kinds else "string")


_HOTWORDS = re.compile(r"^(?:\(\?i\))?\((?:\?:)?(?P<body>[^()\[\]]*)\)$")


def _detection_from(document: Mapping, notes: list[str]) -> dict:
    detection: dict[str, Any] = {}
    names = [t.get("name", "") for t in document.get("infoTypes", [])]
    if names:
        detection["info_types"] = names
        for name in names:
            if name not in BUILT_IN_INFO_TYPES:
                notes.append(
                    f"pii.detection.info_types: {name} is not an infoType the local catalog knows "
                    "(a warning for the local engine; DLP knows it)"
                )
    likelihood = document.get("minLikelihood")
    if likelihood and likelihood != "LIKELIHOOD_UNSPECIFIED":
        detection["min_likelihood"] = likelihood
    custom: dict[str, dict] = {}
    for i, item in enumerate(document.get("customInfoTypes", [])):
        name = item.get("infoType", {}).get("name", "")
        entry: dict[str, Any] = {}
        if "regex" in item:
            pattern = item["regex"].get("pattern", "")
            if pattern.startswith("(?i)"):
                entry = {"regex": pattern[4:], "ignore_case": True}
            else:
                entry = {"regex": pattern}
        elif "wordList" in item.get("dictionary", {}):
            entry = {"words": list(item["dictionary"]["wordList"].get("words", []))}
        else:
            notes.append(
                f"inspectConfig.customInfoTypes[{i}]: only regex and word-list dictionary infoTypes have a "
                "local form (stored types, Cloud Storage dictionaries and surrogate types do not); left out"
            )
            continue
        if item.get("likelihood") and item["likelihood"] != "LIKELIHOOD_UNSPECIFIED":
            entry["likelihood"] = item["likelihood"]
        if item.get("detectionRules"):
            notes.append(
                f"inspectConfig.customInfoTypes[{i}].detectionRules: not imported; express them "
                "as pii.detection.hotwords"
            )
        custom[name] = entry
    if custom:
        detection["custom_info_types"] = custom
    hotwords: dict[str, dict] = {}
    exclusions: dict[str, dict] = {}
    for i, rule_set in enumerate(document.get("ruleSet", [])):
        types = [t.get("name", "") for t in rule_set.get("infoTypes", [])]
        for j, rule in enumerate(rule_set.get("rules", [])):
            where = f"inspectConfig.ruleSet[{i}].rules[{j}]"
            if "hotwordRule" in rule:
                hotword = _hotword_from(rule["hotwordRule"], where, notes)
                if hotword is not None:
                    for name in types:
                        hotwords[name] = hotword
            elif "exclusionRule" in rule:
                _exclusion_from(rule["exclusionRule"], types, exclusions, where, notes)
    if hotwords:
        detection["hotwords"] = hotwords
    if exclusions:
        detection["exclusions"] = exclusions
    for key in ("limits", "excludeInfoTypes", "contentOptions", "includeQuote", "excludeByHotword"):
        if key in document:
            notes.append(f"inspectConfig.{key}: no local form; left out")
    return detection


def _hotword_from(rule: Mapping, where: str, notes: list[str]) -> dict | None:
    match = _HOTWORDS.match(rule.get("hotwordRegex", {}).get("pattern", ""))
    if match is None or any(ch in re.sub(r"\\.", "", match.group("body")) for ch in ".*+?^${}"):
        notes.append(
            f"{where}.hotwordRule: only a list of words, (?i)(word|word), has a local form; left out"
        )
        return None
    words = [re.sub(r"\\(.)", r"\1", w) for w in match.group("body").split("|") if w]
    proximity = rule.get("proximity", {})
    entry: dict[str, Any] = {
        "words": words,
        "window_before": proximity.get("windowBefore", 0),
        "window_after": proximity.get("windowAfter", 0),
    }
    adjustment = rule.get("likelihoodAdjustment", {})
    if "fixedLikelihood" in adjustment:
        entry["likelihood"] = adjustment["fixedLikelihood"]
    else:
        entry["boost"] = adjustment.get("relativeLikelihood", 0)
    return entry


def _exclusion_from(rule: Mapping, types: list[str], out: dict, where: str, notes: list[str]) -> None:
    if rule.get("matchingType", "MATCHING_TYPE_FULL_MATCH") != "MATCHING_TYPE_FULL_MATCH":
        notes.append(
            f"{where}.exclusionRule.matchingType: the local engine excludes full matches only; "
            "imported as a full match"
        )
    for name in types:
        entry = out.setdefault(name, {})
        if "wordList" in rule.get("dictionary", {}):
            entry.setdefault("dictionary", []).extend(rule["dictionary"]["wordList"].get("words", []))
        elif "regex" in rule:
            entry.setdefault("regex", []).append(rule["regex"].get("pattern", ""))
        else:
            notes.append(
                f"{where}.exclusionRule: only dictionary and regex exclusions have a local form; left out"
            )


# --------------------------------------------------------------------------- reading template JSON

_TEMPLATE_KEYS = ("name", "displayName", "description", "createTime", "updateTime")
# Refused before anything else reads them: DLP's messages nest about a dozen levels (a hostile or
# broken file nests thousands, which Python's and protobuf's readers meet with RecursionError), and
# a template is a few kilobytes (a file of hundreds of megabytes is some other file).
MAX_TEMPLATE_DEPTH = 64
MAX_TEMPLATE_CHARS = 8 * 1024 * 1024


def parse_deidentify_template(text: str) -> dlp_v2.DeidentifyTemplate | dlp_v2.DeidentifyConfig:
    """A ``DeidentifyTemplate`` (``{name, displayName, deidentifyConfig}``, as the API and console
    write it) or a bare ``DeidentifyConfig``, validated with DLP's own message types."""
    return _parse_template(text, dlp_v2.DeidentifyTemplate, dlp_v2.DeidentifyConfig, "deidentifyConfig")


def parse_inspect_template(text: str) -> dlp_v2.InspectTemplate | dlp_v2.InspectConfig:
    """An ``InspectTemplate`` (``{name, displayName, inspectConfig}``) or a bare ``InspectConfig``."""
    return _parse_template(text, dlp_v2.InspectTemplate, dlp_v2.InspectConfig, "inspectConfig")


def _parse_template(
    text: str, template_type: type[proto.Message], config_type: type[proto.Message], config_key: str
) -> Any:
    import json

    if len(text) > MAX_TEMPLATE_CHARS:
        raise TemplateError(
            f"is larger than {MAX_TEMPLATE_CHARS // (1024 * 1024)} MB; a DLP template is a few "
            "kilobytes (is it the right file?)"
        )
    try:
        document = json.loads(text)
    except RecursionError:  # thousands of nested [ or {: Python's reader gives up before reading it all
        raise TemplateError(
            f"is nested more than {MAX_TEMPLATE_DEPTH} levels deep (DLP's messages nest far less)"
        ) from None
    except ValueError as exc:
        line, column = getattr(exc, "lineno", 0), getattr(exc, "colno", 0)
        raise TemplateError(f"is not valid JSON (line {line}, column {column})") from None
    if not isinstance(document, dict):
        raise TemplateError(f"must be a JSON object (a {template_type.__name__} or a {config_type.__name__})")
    message_type = (
        template_type if (config_key in document or set(_TEMPLATE_KEYS) & set(document)) else config_type
    )
    root = message_type.__name__
    too_deep = _deeper_than(document, MAX_TEMPLATE_DEPTH, root)
    if too_deep is not None:
        raise TemplateError(
            f"{too_deep}: nested more than {MAX_TEMPLATE_DEPTH} levels deep (DLP's messages nest far less)"
        )
    unknown: list[str] = []
    _known_keys(document, message_type()._pb.DESCRIPTOR, root, unknown)
    if unknown:
        raise TemplateError("; ".join(f"{path}: unknown field" for path in unknown))
    # protobuf's JSON reader skips characters outside the base64 alphabet: a mistyped key would
    # silently become other key bytes. Keys are read here as veilwatch reads them, strictly.
    bad_keys = _bad_key_encodings(document, root)
    if bad_keys:
        raise TemplateError("; ".join(bad_keys))
    try:
        return message_type.from_json(text)
    except json_format.ParseError:
        # protobuf's message may quote the value: only the key path it is about is reported
        where = _bad_value_path(document, message_type()._pb.DESCRIPTOR, root)
        raise TemplateError(f"{where}: not a valid value in DLP's JSON form") from None


def _deeper_than(value: Any, limit: int, root: str) -> str | None:
    """The path of the first container nested more than ``limit`` levels below ``value``, or None
    (walked without recursion: protobuf and the converters below recurse per level)."""
    stack = [(value, root, 0)]
    while stack:
        item, where, depth = stack.pop()
        if depth > limit:
            return where
        if isinstance(item, dict):
            stack.extend(
                (v, f"{where}.{k}", depth + 1) for k, v in item.items() if isinstance(v, (dict, list))
            )
        elif isinstance(item, list):
            stack.extend(
                (v, f"{where}[{i}]", depth + 1) for i, v in enumerate(item) if isinstance(v, (dict, list))
            )
    return None


def _bad_key_encodings(value: Any, where: str) -> list[str]:
    """Problems with the base64 of every ``cryptoKey`` below ``value`` (key paths only, never a key)."""
    from veilwatch.transforms.deid.crypto_key import decode_base64

    problems: list[str] = []
    if isinstance(value, list):
        for i, item in enumerate(value):
            problems.extend(_bad_key_encodings(item, f"{where}[{i}]"))
        return problems
    if not isinstance(value, dict):
        return problems
    for key, item in value.items():
        path = f"{where}.{key}"
        if key == "cryptoKey" and isinstance(item, dict):
            for source, field in (("unwrapped", "key"), ("kmsWrapped", "wrappedKey")):
                inner = item.get(source)
                if isinstance(inner, dict) and field in inner:
                    try:
                        decode_base64(inner[field])
                    except ValueError:
                        problems.append(
                            f"{path}.{source}.{field}: is not valid base64 (standard or URL-safe alphabet)"
                        )
        else:
            problems.extend(_bad_key_encodings(item, path))
    return problems


def _bad_value_path(value: Any, descriptor: Descriptor, where: str) -> str:
    """The deepest key path below ``where`` whose value protobuf refuses (found by parsing parts)."""
    from google.protobuf import message_factory

    message_class = message_factory.GetMessageClass(descriptor)
    if not isinstance(value, dict):
        return where
    for key, item in value.items():
        try:
            json_format.ParseDict({key: item}, message_class())
            continue
        except json_format.ParseError:
            pass
        # fields_by_camelcase_name: real (every protobuf implementation), missing from types-protobuf
        field = descriptor.fields_by_camelcase_name.get(key) or descriptor.fields_by_name.get(key)  # type: ignore[attr-defined]
        child = field.message_type if field is not None else None
        path = f"{where}.{key}"
        if child is None or child.full_name.startswith("google.protobuf.") or child.GetOptions().map_entry:
            return path
        if field.label == FieldDescriptor.LABEL_REPEATED and isinstance(item, list):
            for i, element in enumerate(item):
                try:
                    json_format.ParseDict(element, message_factory.GetMessageClass(child)())
                except (json_format.ParseError, TypeError, AttributeError):
                    return _bad_value_path(element, child, f"{path}[{i}]")
            return path
        return _bad_value_path(item, child, path)
    return where
