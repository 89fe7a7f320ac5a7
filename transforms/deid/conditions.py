"""Cloud DLP's ``RecordCondition``, parsed from its JSON form and evaluated on a record.

    condition:
      expressions:
        logicalOperator: AND
        conditions:
          conditions:
            - {field: {name: amount}, operator: GREATER_THAN, value: {integerValue: "100"}}
            - {field: {name: customer.email}, operator: EXISTS}

A field transformation with a condition applies only to the records that match it, and a
record matching any ``record_suppressions`` condition is left out of the outputs. As in
DLP, conditions read the record as it was before de-identification (the conditions "are
allowed to reference fields that are not used in the actual transformation", and a field
transformed by an earlier item is still compared by its original value).

Comparisons follow DLP's rules (``RecordCondition.Condition`` in google/privacy/dlp/v2/dlp.proto):
the field's value and ``value`` need not have the same type. A ``stringValue`` compares
with any type (read as that type); a ``booleanValue`` only with booleans; an ``integerValue``
or ``floatValue`` with numbers and with strings that parse as numbers; a ``timestampValue``
with RFC 3339 strings; a ``timeValue`` with ``HH:mm:ss`` strings and timestamps; a
``dateValue`` with ``YYYY-MM-DD`` strings and timestamps; a ``dayOfWeekValue`` with day names
and dates (EQUAL_TO / NOT_EQUAL_TO only). When the two cannot be compared, EQUAL_TO is
false, NOT_EQUAL_TO true and every other operator false (DLP: "the condition will evaluate to
false"). A missing or null field: EXISTS is false, NOT_EQUAL_TO true, every other operator false.

Parse errors name the key path and never quote a value (a condition may compare with PII).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from veilwatch.transforms.config.errors import ConfigError, ConfigIssue
from veilwatch.transforms.deid.primitives.common import DAYS_OF_WEEK as DAYS
from veilwatch.transforms.deid.primitives.common import VALUE_KINDS
from veilwatch.transforms.records.paths import first_value_getter, parse_path

OPERATORS = (
    "EQUAL_TO",
    "NOT_EQUAL_TO",
    "GREATER_THAN",
    "LESS_THAN",
    "GREATER_THAN_OR_EQUALS",
    "LESS_THAN_OR_EQUALS",
    "EXISTS",
)

_INCOMPARABLE = object()


@dataclass(frozen=True)
class Condition:
    """One comparison: the record's ``field`` (a dotted path), ``operator``, a typed value."""

    field: str
    operator: str
    kind: str | None  # one of VALUE_KINDS; None for EXISTS
    value: Any = None  # int, float, str, bool, aware datetime, time, date, or a day index 0..6

    def matches(self, record: Mapping[str, Any]) -> bool:
        actual = _getter(self.field)(record)
        if actual is None:
            return self.operator == "NOT_EQUAL_TO"
        if self.operator == "EXISTS":
            return True
        assert self.kind is not None, "every operator but EXISTS has a typed value"
        if self.kind == "stringValue":  # a string compares with every type: read as the field's type
            left, right = actual, _string_as(self.value, actual)
        else:
            left, right = _coerce(actual, self.kind), self.value
        if left is _INCOMPARABLE or right is _INCOMPARABLE:
            return self.operator == "NOT_EQUAL_TO"
        if self.kind == "dayOfWeekValue" and self.operator not in ("EQUAL_TO", "NOT_EQUAL_TO"):
            return False
        try:
            if self.operator == "EQUAL_TO":
                return left == right
            if self.operator == "NOT_EQUAL_TO":
                return left != right
            if self.operator == "GREATER_THAN":
                return left > right
            if self.operator == "LESS_THAN":
                return left < right
            if self.operator == "GREATER_THAN_OR_EQUALS":
                return left >= right
            return left <= right
        except TypeError:
            return False


@dataclass(frozen=True)
class RecordCondition:
    """DLP's RecordCondition: every condition of the expression must hold (AND, DLP's only
    operator). ``source`` is the JSON mapping it came from (exported back to DLP as is)."""

    conditions: tuple[Condition, ...]
    source: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def matches(self, record: Mapping[str, Any]) -> bool:
        return all(c.matches(record) for c in self.conditions)

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.field for c in self.conditions))


def parse_record_condition(value: Any, path: str) -> RecordCondition:
    """Validate DLP's RecordCondition JSON at ``path``; raises ConfigError naming every bad key."""
    issues: list[ConfigIssue] = []
    conditions: list[Condition] = []
    expressions = _mapping(value, path, ("expressions",), issues, required=("expressions",))
    if expressions is not None and "expressions" in expressions:
        where = f"{path}.expressions"
        body = _mapping(
            expressions["expressions"],
            where,
            ("logicalOperator", "conditions"),
            issues,
            required=("conditions",),
        )
        if body is not None:
            operator = body.get("logicalOperator", "AND")
            if operator not in ("AND", "LOGICAL_OPERATOR_UNSPECIFIED"):
                issues.append(
                    ConfigIssue(f"{where}.logicalOperator", "must be AND (DLP's only logical operator)")
                )
            outer = (
                _mapping(
                    body.get("conditions"),
                    f"{where}.conditions",
                    ("conditions",),
                    issues,
                    required=("conditions",),
                )
                if "conditions" in body
                else None
            )
            items = outer.get("conditions") if outer is not None else None
            if outer is not None and "conditions" in outer and (not isinstance(items, list) or not items):
                issues.append(
                    ConfigIssue(f"{where}.conditions.conditions", "must be a non-empty list of conditions")
                )
            elif isinstance(items, list):
                for i, item in enumerate(items):
                    parsed = _condition(item, f"{where}.conditions.conditions[{i}]", issues)
                    if parsed is not None:
                        conditions.append(parsed)
    if issues:
        raise ConfigError(issues)
    return RecordCondition(tuple(conditions), value)


def _mapping(
    value: Any, path: str, allowed: tuple[str, ...], issues: list[ConfigIssue], required: tuple[str, ...] = ()
) -> Mapping | None:
    if not isinstance(value, Mapping):
        issues.append(ConfigIssue(path, f"must be a mapping with {', '.join(allowed)}"))
        return None
    for key in value:
        if key not in allowed:
            issues.append(ConfigIssue(f"{path}.{key}", f"unknown key (allowed: {', '.join(allowed)})"))
    for key in required:
        if key not in value:
            issues.append(ConfigIssue(f"{path}.{key}", "is required but missing"))
    return value


def _condition(item: Any, path: str, issues: list[ConfigIssue]) -> Condition | None:
    body = _mapping(item, path, ("field", "operator", "value"), issues, required=("field", "operator"))
    if body is None:
        return None
    before = len(issues)
    name = None
    if "field" in body:
        ref = _mapping(body["field"], f"{path}.field", ("name",), issues, required=("name",))
        name = ref.get("name") if ref is not None else None
        if ref is not None and "name" in ref:
            if not isinstance(name, str) or not name:
                issues.append(ConfigIssue(f"{path}.field.name", "must be a field path such as customer.age"))
            else:
                try:
                    parse_path(name, f"{path}.field.name")
                except ConfigError as exc:
                    issues.extend(exc.issues)
    operator = body.get("operator")
    if "operator" in body and operator not in OPERATORS:
        issues.append(ConfigIssue(f"{path}.operator", f"must be one of {', '.join(OPERATORS)}"))
    kind = parsed = None
    if operator == "EXISTS":
        if "value" in body:
            issues.append(ConfigIssue(f"{path}.value", "does not apply to EXISTS"))
    elif "value" not in body:
        if operator in OPERATORS:
            issues.append(ConfigIssue(f"{path}.value", "is required for every operator but EXISTS"))
    else:
        kind, parsed = _value(body["value"], f"{path}.value", issues)
        if kind == "dayOfWeekValue" and operator not in ("EQUAL_TO", "NOT_EQUAL_TO"):
            issues.append(
                ConfigIssue(f"{path}.operator", "a dayOfWeekValue compares with EQUAL_TO or NOT_EQUAL_TO")
            )
    if len(issues) > before:
        return None
    assert isinstance(name, str) and isinstance(operator, str), "without issues, both were checked"
    return Condition(name, operator, kind, parsed)


def _value(value: Any, path: str, issues: list[ConfigIssue]) -> tuple[str | None, Any]:
    """DLP's ``Value`` JSON (exactly one of VALUE_KINDS) -> (kind, Python value)."""
    if not isinstance(value, Mapping) or len(value) != 1 or next(iter(value)) not in VALUE_KINDS:
        issues.append(ConfigIssue(path, f"must be a mapping with exactly one of {', '.join(VALUE_KINDS)}"))
        return None, None
    ((kind, raw),) = value.items()
    where = f"{path}.{kind}"
    parsed = _parse_value(kind, raw)
    if parsed is _INCOMPARABLE:
        issues.append(ConfigIssue(where, _VALUE_SHAPES[kind]))
        return None, None
    return kind, parsed


_VALUE_SHAPES = {
    "integerValue": "must be a whole number (or its decimal string, as DLP's JSON writes int64)",
    "floatValue": "must be a finite number",
    "stringValue": "must be a string",
    "booleanValue": "must be true or false",
    "timestampValue": "must be an RFC 3339 timestamp string such as 2024-01-31T12:00:00Z",
    "timeValue": "must be a mapping of hours, minutes, seconds, nanos (whole numbers in range)",
    "dateValue": "must be a mapping of year, month, day forming a valid date",
    "dayOfWeekValue": f"must be one of {', '.join(DAYS)}",
}


def _parse_value(kind: str, raw: Any) -> Any:
    if kind == "integerValue":
        if isinstance(raw, bool):
            return _INCOMPARABLE
        if isinstance(raw, int):
            return raw
        if isinstance(raw, str) and re.fullmatch(r"[+-]?\d{1,19}", raw.strip()):
            return int(raw)
        return _INCOMPARABLE
    if kind == "floatValue":
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw):
            return _INCOMPARABLE
        return float(raw)
    if kind == "stringValue":
        return raw if isinstance(raw, str) else _INCOMPARABLE
    if kind == "booleanValue":
        return raw if isinstance(raw, bool) else _INCOMPARABLE
    if kind == "timestampValue":
        return _timestamp(raw) if isinstance(raw, str) else _INCOMPARABLE
    if kind == "timeValue":
        if not isinstance(raw, Mapping) or set(raw) - {"hours", "minutes", "seconds", "nanos"}:
            return _INCOMPARABLE
        try:
            parts = [raw.get(k, 0) for k in ("hours", "minutes", "seconds", "nanos")]
            if any(isinstance(p, bool) or not isinstance(p, int) for p in parts):
                return _INCOMPARABLE
            return dt.time(parts[0], parts[1], parts[2], parts[3] // 1000)
        except (ValueError, OverflowError):  # out of range; beyond a C long (10**30 hours) overflows
            return _INCOMPARABLE
    if kind == "dateValue":
        if not isinstance(raw, Mapping) or set(raw) - {"year", "month", "day"}:
            return _INCOMPARABLE
        try:
            parts = [raw.get(k) for k in ("year", "month", "day")]
            if any(isinstance(p, bool) or not isinstance(p, int) for p in parts):
                return _INCOMPARABLE
            return dt.date(*parts)
        except (ValueError, OverflowError):  # out of range; beyond a C long overflows
            return _INCOMPARABLE
    return DAYS.index(raw) if raw in DAYS else _INCOMPARABLE  # dayOfWeekValue


def _timestamp(text: str) -> Any:
    """An RFC 3339 timestamp as an aware datetime (no zone: UTC), or _INCOMPARABLE."""
    text = text.strip()
    if not re.match(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}", text):
        return _INCOMPARABLE
    try:
        parsed = dt.datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        return _INCOMPARABLE
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _coerce(actual: Any, kind: str) -> Any:
    """The record's value in the comparison value's type, or _INCOMPARABLE (DLP's rules)."""
    if isinstance(actual, (dict, list)):
        return _INCOMPARABLE
    if kind == "booleanValue":
        return actual if isinstance(actual, bool) else _INCOMPARABLE
    if kind in ("integerValue", "floatValue"):
        if isinstance(actual, bool):
            return _INCOMPARABLE
        if isinstance(actual, (int, float)):
            return actual
        if isinstance(actual, str):
            text = actual.strip()
            if kind == "integerValue":
                return _integer_text(text)
            return _finite_float(text)
        return _INCOMPARABLE
    if not isinstance(actual, str):
        return _INCOMPARABLE
    if kind == "timestampValue":
        return _timestamp(actual)
    if kind == "timeValue":
        match = re.fullmatch(r"(\d{2}):(\d{2}):(\d{2})", actual.strip())
        if match:
            try:
                hour, minute, second = map(int, match.groups())
                return dt.time(hour, minute, second)
            except ValueError:
                return _INCOMPARABLE
        stamp = _timestamp(actual)
        return stamp.time().replace(microsecond=0) if stamp is not _INCOMPARABLE else _INCOMPARABLE
    if kind == "dateValue":
        try:
            return dt.date.fromisoformat(actual.strip())
        except ValueError:
            stamp = _timestamp(actual)
            return stamp.date() if stamp is not _INCOMPARABLE else _INCOMPARABLE
    # dayOfWeekValue: a day name, or a date / timestamp's weekday
    text = actual.strip().upper()
    if text in DAYS:
        return DAYS.index(text)
    date = _coerce(actual, "dateValue")
    return date.weekday() if date is not _INCOMPARABLE else _INCOMPARABLE


@functools.lru_cache(maxsize=1024)
def _getter(path: str) -> Callable[[Any], Any]:
    return first_value_getter(path)


def _string_as(value: str, actual: Any) -> Any:
    """A ``stringValue`` read as the type of the record's value, or _INCOMPARABLE."""
    if isinstance(actual, str):
        return value
    text = value.strip()
    if isinstance(actual, bool):
        return {"true": True, "false": False}.get(text.lower(), _INCOMPARABLE)
    if isinstance(actual, (int, float)):
        return _finite_float(text)
    return _INCOMPARABLE


def _integer_text(text: str) -> Any:
    """``text`` as an integer, or _INCOMPARABLE: not an integer, or more digits than Python reads
    from text (4,300 by default; far beyond DLP's int64), which would raise ValueError."""
    if not re.fullmatch(r"[+-]?\d+", text):
        return _INCOMPARABLE
    try:
        return int(text)
    except ValueError:
        return _INCOMPARABLE


def _finite_float(text: str) -> Any:
    """``text`` as a finite float, or _INCOMPARABLE (not a number, NaN or infinite)."""
    try:
        number = float(text)
    except ValueError:
        return _INCOMPARABLE
    return number if math.isfinite(number) else _INCOMPARABLE
