"""dateShiftConfig: shift dates by a keyed pseudo-random number of days, as Cloud DLP.

Parameters (DLP names): ``upperBoundDays`` and ``lowerBoundDays`` (required,
inclusive, at most 365250 days either way; ``lowerBoundDays: -5`` shifts up
to 5 days back) and ``context: {name: <field>}`` (e.g. a patient id): every
date with the same context value is shifted by the same number of days, so
intervals within one patient's records are kept. The shift is
``lower + HMAC(key, context) mod (upper - lower + 1)`` with a key derived
from the dataset keyset, so it is the same in every run and unknown without
the key. Without a context (or when the record has no such field) DLP picks
a random shift per value; veilwatch uses one keyed shift for all such
values, which keeps runs deterministic.

Values are ISO-8601 date or timestamp strings; only the date part changes
and the format is kept (``2026-11-02T10:15:00Z`` -> ``2026-10-30T10:15:00Z``).
One-way here, as in DLP's re-identification.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, Mapping

from transforms.config.errors import ConfigIssue
from transforms.deid.base import KeyProvider, PrimitiveSpec, Transformation, TransformationError, ValueContext
from transforms.deid.crypto.errors import CryptoError
from transforms.deid.crypto.tweak import context_tweak
from transforms.deid.primitives.common import (
    ContextReader,
    as_mapping,
    crypto_error,
    parse_field_id,
    raise_issues,
    reject_unknown,
)
from transforms.deid.primitives.dates import split_date

NAME = "dateShiftConfig"
MAX_BOUND_DAYS = 365_250  # DLP: "Must not be more than 365250 days (1000 years) each direction"
_KEYS = ("upperBoundDays", "lowerBoundDays", "context")
# Shifts per context value remembered; patients recur, so the HMAC is paid once each.
_SHIFT_CACHE_SIZE = 65_536


@dataclass(frozen=True)
class DateShiftParams:
    upper_bound_days: int
    lower_bound_days: int
    context_field: str | None = None


def parse_date_shift(params: Mapping[str, Any] | None, path: str) -> DateShiftParams:
    issues: list[ConfigIssue] = []
    params = as_mapping(params, path, NAME, issues)
    reject_unknown(params, _KEYS, path, issues)
    bounds = {}
    for key in ("upperBoundDays", "lowerBoundDays"):
        value = params.get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            issues.append(ConfigIssue(f"{path}.{key}", "is required and must be an integer number of days"))
        elif abs(value) > MAX_BOUND_DAYS:
            issues.append(ConfigIssue(f"{path}.{key}", f"must be within +/-{MAX_BOUND_DAYS} days"))
        else:
            bounds[key] = value
    if len(bounds) == 2 and bounds["lowerBoundDays"] > bounds["upperBoundDays"]:
        issues.append(ConfigIssue(f"{path}.lowerBoundDays", "must not be greater than upperBoundDays"))
    context = parse_field_id(params, "context", path, issues)
    raise_issues(issues)
    return DateShiftParams(bounds["upperBoundDays"], bounds["lowerBoundDays"], context)


class DateShift(Transformation):
    def __init__(self, params: DateShiftParams, keys: KeyProvider):
        self._key = keys.raw_key(None, NAME)
        self._lower = params.lower_bound_days
        self._span = params.upper_bound_days - params.lower_bound_days + 1
        self._context = ContextReader(params.context_field)
        self._shifts: dict[Any, int] = {}
        self.context_field = params.context_field
        self.context_free = params.context_field is None

    def shift_days(self, context_value: Any) -> int:
        key = (type(context_value), context_value)
        shift = self._shifts.get(key)
        if shift is None:
            try:
                data = b"" if context_value is None else context_tweak(context_value)
            except CryptoError as exc:
                raise crypto_error(exc, f"{NAME} context field '{self.context_field}'") from None
            digest = hmac.new(self._key, data, hashlib.sha256).digest()
            shift = self._lower + int.from_bytes(digest[:8], "big") % self._span
            if len(self._shifts) >= _SHIFT_CACHE_SIZE:
                self._shifts.clear()
            self._shifts[key] = shift
        return shift

    def transform(self, value: Any, ctx: ValueContext) -> Any:
        day, rest = split_date(value, NAME)
        try:
            shifted = day + dt.timedelta(days=self.shift_days(self._context(ctx)))
        except OverflowError:
            raise TransformationError(f"{NAME}: the shifted date is outside years 1..9999") from None
        return shifted.isoformat() + rest


DATE_SHIFT = PrimitiveSpec(NAME, parse_date_shift, lambda p, keys: DateShift(p, keys), needs_keys=True)
