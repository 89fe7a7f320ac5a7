"""fixedSizeBucketingConfig: replace a number by its fixed-size range, as Cloud DLP.

Parameters (DLP names): ``lowerBound``, ``upperBound`` (DLP ``Value``s,
e.g. ``{integerValue: 10}``, or bare numbers) and ``bucketSize`` (a double:
``2.5`` is allowed; DLP: "Precision up to 2 decimals works").

Labels are what the API returns: a bucket is ``"{low}:{high}"`` (low
inclusive, high exclusive). Google's sample tests (python-docs-samples
``dlp/snippets/Deidentify/deidentify_table_bucketing_test.py``, and the Java,
Go and PHP ones) expect ``"90:100"``, ``"20:30"``, ``"70:80"`` for 95, 21 and
75 with bounds 0 and 100 and size 10, although the proto's comment writes
"10-20". Values below the lower bound become ``"-{lower}"`` and values at or
above the upper bound ``"{upper}+"``, as DLP's documentation describes
(``-10`` and ``89+`` for bounds 10 and 89; no published sample shows these two
labels from the API). The last bucket ends at the upper bound (``80:89``).
Bounds print as integers when whole (``90``, not ``90.0``), else with at most
two decimals (``0.25``). Numeric strings are converted first, as DLP converts
the value to the bounds' type.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from veilwatch.transforms.config.errors import ConfigIssue
from veilwatch.transforms.deid.base import PrimitiveSpec, Transformation, TransformationError, ValueContext
from veilwatch.transforms.deid.primitives.common import as_mapping, parse_value, raise_issues, reject_unknown

NAME = "fixedSizeBucketingConfig"
_KEYS = ("lowerBound", "upperBound", "bucketSize")
# DLP: "Precision up to 2 decimals works"; bounds print with at most that.
_DECIMALS = 2


@dataclass(frozen=True)
class FixedSizeBucketingParams:
    lower: float
    upper: float
    size: float


def _number(value: Any, where: str, issues: list[ConfigIssue]) -> float | None:
    parsed = parse_value(value, where, issues)
    if parsed is None:
        return None
    if isinstance(parsed, bool) or not isinstance(parsed, (int, float)) or not _finite(parsed):
        issues.append(ConfigIssue(where, "must be a finite number"))
        return None
    return float(parsed)


def _finite(number: int | float) -> bool:
    """Whether ``number`` is a finite float (an integer beyond float's range is not one)."""
    try:
        return math.isfinite(number)
    except OverflowError:
        return False


def parse_fixed_size_bucketing(params: Mapping[str, Any] | None, path: str) -> FixedSizeBucketingParams:
    issues: list[ConfigIssue] = []
    params = as_mapping(params, path, NAME, issues)
    reject_unknown(params, _KEYS, path, issues)
    values = {}
    for key in _KEYS:
        if key not in params:
            issues.append(ConfigIssue(f"{path}.{key}", "is required"))
        else:
            values[key] = _number(params[key], f"{path}.{key}", issues)
    lower, upper, size = values.get("lowerBound"), values.get("upperBound"), values.get("bucketSize")
    if lower is not None and upper is not None and lower >= upper:
        issues.append(ConfigIssue(f"{path}.upperBound", "must be greater than lowerBound"))
    if size is not None and size <= 0:
        issues.append(ConfigIssue(f"{path}.bucketSize", "must be positive"))
    raise_issues(issues)
    assert lower is not None and upper is not None and size is not None, "each missing one is an issue"
    return FixedSizeBucketingParams(lower, upper, size)


def format_bound(x: float) -> str:
    rounded = round(x, _DECIMALS)
    return str(int(rounded)) if rounded.is_integer() else f"{rounded:.{_DECIMALS}f}".rstrip("0")


def to_number(value: Any, what: str) -> float:
    if isinstance(value, bool):
        raise TransformationError(f"{what} needs a number, got bool")
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:  # an integer beyond float's range (JSON integers have no bound)
            raise TransformationError(f"{what} needs a finite number") from None
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            raise TransformationError(f"{what} needs a number, got a non-numeric string") from None
    else:
        raise TransformationError(f"{what} needs a number, got {type(value).__name__}")
    if not math.isfinite(number):
        raise TransformationError(f"{what} needs a finite number")
    return number


class FixedSizeBucketing(Transformation):
    def __init__(self, params: FixedSizeBucketingParams):
        self.p = params
        self._below = f"-{format_bound(params.lower)}"
        self._above = f"{format_bound(params.upper)}+"

    def transform(self, value: Any, ctx: ValueContext) -> Any:
        x = to_number(value, NAME)
        p = self.p
        if x < p.lower:
            return self._below
        if x >= p.upper:
            return self._above
        # A tolerance so that 30.0 with size 0.1 lands in 30-30.1, not 29.9-30.
        k = math.floor((x - p.lower) / p.size + 1e-9)
        low = p.lower + k * p.size
        high = min(low + p.size, p.upper)
        return f"{format_bound(low)}:{format_bound(high)}"


FIXED_SIZE_BUCKETING = PrimitiveSpec(NAME, parse_fixed_size_bucketing, lambda p, keys: FixedSizeBucketing(p))
