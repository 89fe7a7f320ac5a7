"""Parameter parsing and context handling shared by the keyed primitives.

DLP writes a field reference as ``{name: "patient_id"}`` (a ``FieldId``), an
infoType as ``{name: "EMAIL_TOKEN"}`` and a literal as a ``Value``
(``{integerValue: 10}``, ``{stringValue: "LOW"}`` ...). These helpers parse
those shapes, collecting :class:`ConfigIssue` objects that name the key path.
They are thin wrappers over the dataset config's :class:`Node` walker, so a
primitive's parameters read (and report) like the rest of the config: an
unknown key gets the walker's "did you mean", and no message quotes a value.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from typing import Any

from veilwatch.transforms.config.errors import ConfigError, ConfigIssue
from veilwatch.transforms.config.reader import Node
from veilwatch.transforms.deid.base import TransformationError, ValueContext
from veilwatch.transforms.deid.crypto.errors import CryptoError
from veilwatch.transforms.deid.crypto.surrogate import check_info_type_name
from veilwatch.transforms.records.paths import first_value_getter, parse_path

# DLP's Value message kinds, as they are written in DLP's JSON (``MessageToDict``).
VALUE_KINDS = (
    "integerValue",
    "floatValue",
    "stringValue",
    "booleanValue",
    "timestampValue",
    "timeValue",
    "dateValue",
    "dayOfWeekValue",
)
DAYS_OF_WEEK = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
_INT64 = (-(2**63), 2**63 - 1)
_INTEGER_TEXT = re.compile(r"-?\d+")
# RFC 3339 as protobuf's JSON writes a Timestamp; a bare date is accepted too (veilwatch's extension).
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+\-]\d{2}:\d{2}))?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME_TEXT = re.compile(r"(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?")


def as_mapping(params: Any, path: str, name: str, issues: list[ConfigIssue]) -> Mapping[str, Any]:
    """A primitive's parameter mapping (``None``: no parameters), or ``{}`` after an issue at ``path``."""
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        Node(params, path, issues).error(f"expected a mapping of {name} parameters")
        return {}
    return params


def reject_unknown(
    params: Mapping[str, Any], allowed: tuple[str, ...], path: str, issues: list[ConfigIssue]
) -> None:
    """The config walker's unknown-key issue (with its "did you mean") for each key not in ``allowed``."""
    Node(dict(params), path, issues).reject_unknown(allowed)


def parse_field_id(params: Mapping[str, Any], key: str, path: str, issues: list[ConfigIssue]) -> str | None:
    """``context: {name: customer.id}`` -> ``"customer.id"`` (a simple dotted path)."""
    node = Node(dict(params), path, issues).child(key)
    value = node.value
    if value is None:
        return None
    if not (isinstance(value, Mapping) and set(value) == {"name"} and isinstance(value["name"], str)):
        node.error("must be a DLP FieldId, e.g. {name: customer.id}")
        return None
    try:
        parsed = parse_path(value["name"], node.child_path("name"))
    except ConfigError as exc:
        issues.extend(exc.issues)
        return None
    if any(segment.each for segment in parsed):
        node.error("must name one field (no '[]' list step)", "name")
        return None
    return value["name"]


def parse_info_type_name(
    params: Mapping[str, Any], key: str, path: str, issues: list[ConfigIssue]
) -> str | None:
    """``surrogateInfoType: {name: EMAIL_TOKEN}`` -> ``"EMAIL_TOKEN"``."""
    node = Node(dict(params), path, issues).child(key)
    value = node.value
    if value is None:
        return None
    if not (
        isinstance(value, Mapping)
        and isinstance(value.get("name"), str)
        and set(value) <= {"name", "version", "sensitivityScore"}
    ):
        node.error("must be a DLP InfoType, e.g. {name: EMAIL_TOKEN}")
        return None
    try:
        return check_info_type_name(value["name"])
    except CryptoError as exc:
        node.error(str(exc), "name")
        return None


def parse_value(value: Any, where: str, issues: list[ConfigIssue]) -> Any:
    """A DLP ``Value`` in DLP's JSON form, or a bare scalar -> the value as a record holds it.

    The mapping to a record's natural JSON form:

    * ``{integerValue: "10"}`` (int64 written as a string, or a number) -> ``10``
    * ``{floatValue: 1.5}`` -> ``1.5`` (finite only)
    * ``{stringValue: "LOW"}`` -> ``"LOW"``; ``{booleanValue: true}`` -> ``True``
    * ``{timestampValue: "2016-01-15T10:20:30Z"}`` (RFC 3339; a bare date too) -> the string as written
    * ``{timeValue: {hours: 10, minutes: 20, seconds: 30, nanos: 500000000}}`` -> ``"10:20:30.5"``
    * ``{dateValue: {year: 2016, month: 1, day: 15}}`` -> ``"2016-01-15"``
    * ``{dayOfWeekValue: MONDAY}`` -> ``"MONDAY"``

    ``timeValue`` and ``dateValue`` also accept that output form (``"10:20:30"``, ``"2016-01-15"``).
    """
    node = Node(value, where, issues)
    if isinstance(value, Mapping):
        if len(value) != 1 or next(iter(value)) not in VALUE_KINDS:
            node.error(f"must hold exactly one of: {', '.join(VALUE_KINDS)}")
            return None
        kind, inner = next(iter(value.items()))
        return _VALUE_PARSERS[kind](inner, node.child_path(kind), issues)
    if isinstance(value, (str, int, float, bool)):
        return value
    node.error("must be a scalar or a DLP Value mapping")
    return None


def _integer_value(inner: Any, where: str, issues: list[ConfigIssue]) -> int | None:
    if isinstance(inner, str) and _INTEGER_TEXT.fullmatch(inner):
        inner = int(inner)  # DLP's JSON writes int64 as a string
    if isinstance(inner, bool) or not isinstance(inner, int):
        issues.append(ConfigIssue(where, "must be an integer (a number or a string of digits)"))
        return None
    if not _INT64[0] <= inner <= _INT64[1]:
        issues.append(ConfigIssue(where, "must fit in a signed 64-bit integer"))
        return None
    return inner


def _float_value(inner: Any, where: str, issues: list[ConfigIssue]) -> float | None:
    if isinstance(inner, str):
        try:
            inner = float(inner)
        except ValueError:
            pass
    if isinstance(inner, bool) or not isinstance(inner, (int, float)) or not math.isfinite(inner):
        issues.append(ConfigIssue(where, "must be a finite number"))
        return None
    return float(inner)


def _string_value(inner: Any, where: str, issues: list[ConfigIssue]) -> str | None:
    if not isinstance(inner, str):
        issues.append(ConfigIssue(where, "must be a string"))
        return None
    return inner


def _boolean_value(inner: Any, where: str, issues: list[ConfigIssue]) -> bool | None:
    if not isinstance(inner, bool):
        issues.append(ConfigIssue(where, "must be true or false"))
        return None
    return inner


def _timestamp_value(inner: Any, where: str, issues: list[ConfigIssue]) -> str | None:
    if isinstance(inner, str) and _RFC3339.fullmatch(inner):
        try:
            dt.datetime.fromisoformat(inner.replace("Z", "+00:00"))
            return inner
        except ValueError:
            pass
    issues.append(ConfigIssue(where, "must be an RFC 3339 timestamp, e.g. 2016-01-15T10:20:30Z"))
    return None


def _time_value(inner: Any, where: str, issues: list[ConfigIssue]) -> str | None:
    if isinstance(inner, str):
        m = _TIME_TEXT.fullmatch(inner)
        parts = (
            None
            if m is None
            else {
                "hours": int(m[1]),
                "minutes": int(m[2]),
                "seconds": int(m[3] or 0),
                "nanos": int((m[4] or "").ljust(9, "0")),
            }
        )
    elif (
        isinstance(inner, Mapping)
        and set(inner) <= {"hours", "minutes", "seconds", "nanos"}
        and all(isinstance(v, int) and not isinstance(v, bool) for v in inner.values())
    ):
        parts = {"hours": 0, "minutes": 0, "seconds": 0, "nanos": 0, **inner}
    else:
        parts = None
    if parts is None or not (
        0 <= parts["hours"] <= 23
        and 0 <= parts["minutes"] <= 59
        and 0 <= parts["seconds"] <= 59
        and 0 <= parts["nanos"] <= 999_999_999
    ):
        issues.append(
            ConfigIssue(
                where,
                "must be a DLP TimeOfDay {hours, minutes, seconds, nanos} "
                "(hours 0-23, minutes and seconds 0-59) or hh:mm[:ss]",
            )
        )
        return None
    text = f"{parts['hours']:02d}:{parts['minutes']:02d}:{parts['seconds']:02d}"
    return text + (f".{parts['nanos']:09d}".rstrip("0") if parts["nanos"] else "")


def _date_value(inner: Any, where: str, issues: list[ConfigIssue]) -> str | None:
    if isinstance(inner, str) and _ISO_DATE.fullmatch(inner):
        inner = dict(zip(("year", "month", "day"), map(int, inner.split("-")), strict=True))
    if (
        isinstance(inner, Mapping)
        and set(inner) == {"year", "month", "day"}
        and all(isinstance(v, int) and not isinstance(v, bool) for v in inner.values())
    ):
        try:
            return dt.date(inner["year"], inner["month"], inner["day"]).isoformat()
        except (ValueError, OverflowError):  # out of range; beyond a C long overflows
            pass
    issues.append(
        ConfigIssue(where, "must be a full DLP Date {year, month, day} (a real calendar date) or YYYY-MM-DD")
    )
    return None


def _day_of_week_value(inner: Any, where: str, issues: list[ConfigIssue]) -> str | None:
    if isinstance(inner, int) and not isinstance(inner, bool) and 1 <= inner <= 7:
        return DAYS_OF_WEEK[inner - 1]  # google.type.DayOfWeek numbers: MONDAY = 1
    if inner in DAYS_OF_WEEK:
        return inner
    issues.append(ConfigIssue(where, f"must be one of: {', '.join(DAYS_OF_WEEK)}"))
    return None


_VALUE_PARSERS = {
    "integerValue": _integer_value,
    "floatValue": _float_value,
    "stringValue": _string_value,
    "booleanValue": _boolean_value,
    "timestampValue": _timestamp_value,
    "timeValue": _time_value,
    "dateValue": _date_value,
    "dayOfWeekValue": _day_of_week_value,
}


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
        if self._get is None or self.field_path is None:  # both are None without a field
            return None
        if ctx.context_values is not None and self.field_path in ctx.context_values:
            return ctx.context_values[self.field_path]
        return self._get(ctx.record) if ctx.record else None


def crypto_error(exc: Exception, what: str) -> TransformationError:
    """A TransformationError for a crypto failure (crypto messages never hold values)."""
    return TransformationError(f"{what}: {exc}")


def refuse_transient_restore(restorable: bool, what: str) -> None:
    """Refuse to restore a token made with a transient cryptoKey: DLP discards such keys."""
    if not restorable:
        raise TransformationError(
            f"{what} tokens made with a transient cryptoKey cannot be restored "
            "(the key is discarded, as DLP does)"
        )
