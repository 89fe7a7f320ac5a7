"""dateShiftConfig: shift dates by a number of days within bounds, as Cloud DLP.

Parameters (DLP names): ``upperBoundDays`` and ``lowerBoundDays`` (required,
inclusive, at most 365250 days either way; ``lowerBoundDays: -5`` shifts up
to 5 days back), ``context: {name: <field>}`` (e.g. a patient id) and
``cryptoKey`` (DLP's ``CryptoKey``: ``unwrapped``, ``kmsWrapped``,
``transient``; DLP: "If set, must also set context").

* With a context value: every date with the same context value is shifted by
  the same number of days, so intervals within one patient's records are kept.
  The shift is ``lower + HMAC-SHA256(key, context) mod (upper - lower + 1)``,
  the context encoded as DLP encodes a context (see
  :mod:`veilwatch.transforms.deid.crypto.tweak`), with ``cryptoKey`` when given, else a
  key derived from the dataset keyset: the same in every run, unknown without
  the key.
* Without a context (none configured, or the record has no such field): as
  DLP, "the actual shift will be selected at random within this range" for
  each value, drawn from the operating system's CSPRNG (:mod:`secrets`). So the
  same date in two records (or twice in one) may shift differently, and one
  known date reveals nothing about the others. Such a primitive is not
  ``context_free``: its outputs are never cached by value.

Values are date or timestamp strings in the layouts of
:mod:`veilwatch.transforms.deid.primitives.dates` (``2016-01-15``, ``01/15/2016``,
``January 15, 2016``, ``2016-01-15T10:20:30Z`` ...); only the date changes and
the layout is kept (``Jan 15 2016`` -> ``Jan 18 2016``). One-way, as in DLP's
re-identification.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from veilwatch.transforms.config.errors import ConfigIssue
from veilwatch.transforms.deid.base import (
    KeyProvider,
    PrimitiveSpec,
    Transformation,
    TransformationError,
    ValueContext,
    require_keys,
)
from veilwatch.transforms.deid.crypto.errors import CryptoError
from veilwatch.transforms.deid.crypto.tweak import context_tweak
from veilwatch.transforms.deid.crypto_key import (
    AES_KEY_SIZES,
    CryptoKeySpec,
    parse_crypto_key,
    plaintext_allowed,
    resolve_crypto_key,
)
from veilwatch.transforms.deid.primitives.common import (
    ContextReader,
    as_mapping,
    crypto_error,
    parse_field_id,
    raise_issues,
    reject_unknown,
)
from veilwatch.transforms.deid.primitives.dates import parse_date

NAME = "dateShiftConfig"
MAX_BOUND_DAYS = 365_250  # DLP: "Must not be more than 365250 days (1000 years) each direction"
_KEYS = ("upperBoundDays", "lowerBoundDays", "context", "cryptoKey")
# Shifts per context value remembered; patients recur, so the HMAC is paid once each.
_SHIFT_CACHE_SIZE = 65_536


@dataclass(frozen=True)
class DateShiftParams:
    upper_bound_days: int
    lower_bound_days: int
    context_field: str | None = None
    crypto_key: CryptoKeySpec | None = None  # DLP's cryptoKey, or None: a key derived from the keyset


def parse_date_shift(params: Mapping[str, Any] | None, path: str) -> DateShiftParams:
    issues: list[ConfigIssue] = []
    params = as_mapping(params, path, NAME, issues)
    reject_unknown({k: v for k, v in params.items() if k != "cryptoKey"}, _KEYS, path, issues)
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
    # DLP's CryptoKey ("a 128/192/256 bit key"); None: the key derived from the dataset keyset
    crypto_key = parse_crypto_key(params, path, issues, allowed_sizes=AES_KEY_SIZES)
    if params.get("cryptoKey") is not None and context is None:
        issues.append(
            ConfigIssue(
                f"{path}.cryptoKey",
                "needs a context (DLP: 'If set, must also set context'); "
                "without a context every date gets a random shift",
            )
        )
    raise_issues(issues)
    return DateShiftParams(bounds["upperBoundDays"], bounds["lowerBoundDays"], context, crypto_key)


class DateShift(Transformation):
    def __init__(self, params: DateShiftParams, keys: KeyProvider | None):
        self._lower = params.lower_bound_days
        self._span = params.upper_bound_days - params.lower_bound_days + 1
        self._context = ContextReader(params.context_field)
        self._shifts: dict[Any, int] = {}
        self.context_field = params.context_field
        # Random shifts are never cached by value (see the module docstring).
        self.context_free = False
        self._key: bytes | None = None
        if params.context_field is not None:
            if params.crypto_key is not None:
                self._key = resolve_crypto_key(params.crypto_key, allow_plaintext=plaintext_allowed(keys))
            else:
                self._key = require_keys(keys, NAME).raw_key(None, NAME)

    def random_shift(self) -> int:
        """A fresh shift for a value without context, uniform within the bounds."""
        return self._lower + secrets.randbelow(self._span)

    def shift_days(self, context_value: Any) -> int:
        """The shift for a context value: the same for the same value and key."""
        if context_value is None or self._key is None:
            return self.random_shift()
        # Only integers and strings are context values (and hashable); anything else, a dict or a
        # list included, is refused by context_tweak below as a transformation error.
        key = (type(context_value), context_value) if isinstance(context_value, (str, int)) else None
        shift = self._shifts.get(key) if key is not None else None
        if shift is None:
            try:
                data = context_tweak(context_value)
            except CryptoError as exc:
                raise crypto_error(exc, f"{NAME} context field '{self.context_field}'") from None
            digest = hmac.new(self._key, data, hashlib.sha256).digest()
            shift = self._lower + int.from_bytes(digest[:8], "big") % self._span
            if len(self._shifts) >= _SHIFT_CACHE_SIZE:
                self._shifts.clear()
            self._shifts[key] = shift
        return shift

    def transform(self, value: Any, ctx: ValueContext) -> Any:
        parsed = parse_date(value, NAME)
        try:
            shifted = parsed.date + dt.timedelta(days=self.shift_days(self._context(ctx)))
        except OverflowError:
            raise TransformationError(f"{NAME}: the shifted date is outside years 1..9999") from None
        return parsed.with_date(shifted)


DATE_SHIFT = PrimitiveSpec(
    NAME,
    parse_date_shift,
    lambda p, keys: DateShift(p, keys),
    # only a context's shift is keyed; without one each value's shift is random
    needs_keys=lambda p: p.context_field is not None,
)
