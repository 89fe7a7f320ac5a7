"""Parameter parsing and context handling shared by the keyed primitives.

DLP writes a field reference as ``{name: "patient_id"}`` (a ``FieldId``), an
infoType as ``{name: "EMAIL_TOKEN"}`` and a literal as a ``Value``
(``{integerValue: 10}``, ``{stringValue: "LOW"}`` ...). These helpers parse
those shapes, collecting :class:`ConfigIssue` objects that name the key path.
"""
from __future__ import annotations

from typing import Any, Mapping

from transforms.config.errors import ConfigError, ConfigIssue
from transforms.deid.base import TransformationError, ValueContext
from transforms.deid.crypto.errors import CryptoError
from transforms.deid.crypto.surrogate import check_info_type_name
from transforms.records.paths import first_value_getter, parse_path

# DLP's Value message kinds usable as literals in a config (timestamps are
# written as ISO-8601 strings here; dates and times of day likewise).
VALUE_KINDS = {"integerValue": int, "floatValue": float, "stringValue": str, "booleanValue": bool,
               "timestampValue": str, "dateValue": str, "timeValue": str}


def as_mapping(params: Any, path: str, name: str, issues: list[ConfigIssue]) -> Mapping[str, Any]:
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        issues.append(ConfigIssue(path, f"expected a mapping of {name} parameters"))
        return {}
    return params


def reject_unknown(params: Mapping[str, Any], allowed: tuple[str, ...], path: str,
                   issues: list[ConfigIssue]) -> None:
    for key in params:
        if key == "cryptoKey":
            issues.append(ConfigIssue(
                f"{path}.cryptoKey",
                "inline DLP crypto keys are not supported by the local engine; remove it to use the "
                "dataset keyset named under keys.keyset",
            ))
        elif key not in allowed:
            issues.append(ConfigIssue(f"{path}.{key}", f"unknown key (allowed: {', '.join(allowed) or 'none'})"))


def parse_field_id(params: Mapping[str, Any], key: str, path: str, issues: list[ConfigIssue]) -> str | None:
    """``context: {name: customer.id}`` -> ``"customer.id"`` (a simple dotted path)."""
    if key not in params or params[key] is None:
        return None
    value = params[key]
    where = f"{path}.{key}"
    if not (isinstance(value, Mapping) and set(value) == {"name"} and isinstance(value["name"], str)):
        issues.append(ConfigIssue(where, "must be a DLP FieldId, e.g. {name: customer.id}"))
        return None
    try:
        parsed = parse_path(value["name"], f"{where}.name")
    except ConfigError as exc:
        issues.extend(exc.issues)
        return None
    if any(segment.each for segment in parsed):
        issues.append(ConfigIssue(f"{where}.name", "must name one field (no '[]' list step)"))
        return None
    return value["name"]


def parse_info_type_name(params: Mapping[str, Any], key: str, path: str, issues: list[ConfigIssue]) -> str | None:
    """``surrogateInfoType: {name: EMAIL_TOKEN}`` -> ``"EMAIL_TOKEN"``."""
    if key not in params or params[key] is None:
        return None
    value = params[key]
    where = f"{path}.{key}"
    if not (isinstance(value, Mapping) and isinstance(value.get("name"), str)
            and set(value) <= {"name", "version", "sensitivityScore"}):
        issues.append(ConfigIssue(where, "must be a DLP InfoType, e.g. {name: EMAIL_TOKEN}"))
        return None
    try:
        return check_info_type_name(value["name"])
    except CryptoError as exc:
        issues.append(ConfigIssue(f"{where}.name", str(exc)))
        return None


def parse_value(value: Any, where: str, issues: list[ConfigIssue]) -> Any:
    """A DLP ``Value`` (``{integerValue: 10}``) or a bare scalar -> the Python scalar."""
    if isinstance(value, Mapping):
        if len(value) != 1 or next(iter(value)) not in VALUE_KINDS:
            issues.append(ConfigIssue(where, f"must hold exactly one of: {', '.join(VALUE_KINDS)}"))
            return None
        kind, inner = next(iter(value.items()))
        expected = VALUE_KINDS[kind]
        ok = isinstance(inner, expected) and (kind == "booleanValue" or not isinstance(inner, bool))
        if kind == "floatValue" and isinstance(inner, int) and not isinstance(inner, bool):
            inner, ok = float(inner), True
        if kind == "integerValue" and isinstance(inner, str) and inner.lstrip("-").isdigit():
            inner, ok = int(inner), True  # DLP's JSON writes int64 as a string
        if not ok:
            issues.append(ConfigIssue(f"{where}.{kind}", f"must be a {expected.__name__}"))
            return None
        return inner
    if isinstance(value, (str, int, float, bool)):
        return value
    issues.append(ConfigIssue(where, "must be a scalar or a DLP Value mapping"))
    return None


def raise_issues(issues: list[ConfigIssue]) -> None:
    if issues:
        raise ConfigError(issues)


class ContextReader:
    """Reads a primitive's context field value for one transformed value.

    DLP: when the context is configured but there is no record, or the field
    is absent (or null), the primitive proceeds without context.
    """

    def __init__(self, field_path: str | None):
        self.field_path = field_path
        self._get = first_value_getter(field_path) if field_path else None

    def __call__(self, ctx: ValueContext) -> Any:
        if self._get is None:
            return None
        if ctx.context_values is not None and self.field_path in ctx.context_values:
            return ctx.context_values[self.field_path]
        return self._get(ctx.record) if ctx.record else None


def crypto_error(exc: Exception, what: str) -> TransformationError:
    """A TransformationError for a crypto failure (crypto messages never hold values)."""
    return TransformationError(f"{what}: {exc}")
