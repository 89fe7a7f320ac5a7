"""bucketingConfig: replace a value by the replacement of the range it falls in, as Cloud DLP.

Parameters (DLP names): ``buckets: [{min, max, replacementValue}, ...]``,
each bound a DLP ``Value`` or a bare scalar, ``min`` inclusive, ``max``
exclusive, either one may be left out for an open range; ranges must not
overlap. Bounds are numbers or strings; when every bound is a date or a
timestamp (``{dateValue: {year: 2000, month: 1, day: 1}}``, ``{timestampValue:
"2000-01-01T00:00:00Z"}``) values are read as dates in any layout of
:mod:`veilwatch.transforms.deid.primitives.dates` (``01/15/2016``, ``January 15, 2016`` ...)
and compared as moments in UTC (a date is its midnight). A value is converted
to the bounds' type before comparing, as DLP does. Replacements are DLP
``Value``s of any kind (see ``common.parse_value``). A value in no bucket is
left as it is.

    bucketingConfig:
      buckets:
        - {max: {integerValue: 31}, replacementValue: {stringValue: LOW}}
        - {min: {integerValue: 31}, max: {integerValue: 66}, replacementValue: {stringValue: MEDIUM}}
        - {min: {integerValue: 66}, replacementValue: {stringValue: HIGH}}
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from veilwatch.transforms.config.errors import ConfigIssue
from veilwatch.transforms.deid.base import PrimitiveSpec, Transformation, TransformationError, ValueContext
from veilwatch.transforms.deid.primitives.common import as_mapping, parse_value, raise_issues, reject_unknown
from veilwatch.transforms.deid.primitives.dates import parse_date
from veilwatch.transforms.deid.primitives.fixed_size_bucketing import to_number

NAME = "bucketingConfig"
_ISO_BOUND = re.compile(r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+\-]\d{2}:\d{2}))?")


@dataclass(frozen=True)
class Bucket:
    min: Any  # None: open below
    max: Any  # None: open above
    replacement: Any


@dataclass(frozen=True)
class BucketingParams:
    buckets: tuple[Bucket, ...]
    numeric: bool
    # Every bound a date or an RFC 3339 timestamp (dateValue, timestampValue): values are read
    # as dates in any layout of veilwatch.transforms.deid.primitives.dates and compared as moments in UTC.
    dates: bool = False


def _as_moment(value: Any) -> dt.datetime | None:
    """A date or timestamp bound -> an aware UTC datetime (a date is its midnight UTC), else None."""
    if not isinstance(value, str) or not _ISO_BOUND.fullmatch(value):
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _kind(value: Any) -> str:
    return (
        "number" if isinstance(value, (int, float)) and not isinstance(value, bool) else type(value).__name__
    )


def parse_bucketing(params: Mapping[str, Any] | None, path: str) -> BucketingParams:
    issues: list[ConfigIssue] = []
    params = as_mapping(params, path, NAME, issues)
    reject_unknown(params, ("buckets",), path, issues)
    raw = params.get("buckets")
    if not isinstance(raw, list) or not raw:
        issues.append(ConfigIssue(f"{path}.buckets", "is required: a list of {min, max, replacementValue}"))
        raw = []
    buckets: list[Bucket] = []
    kinds: set[str] = set()
    for i, item in enumerate(raw):
        where = f"{path}.buckets[{i}]"
        if not isinstance(item, Mapping):
            issues.append(ConfigIssue(where, "must be a mapping {min, max, replacementValue}"))
            continue
        reject_unknown(item, ("min", "max", "replacementValue"), where, issues)
        low = parse_value(item["min"], f"{where}.min", issues) if item.get("min") is not None else None
        high = parse_value(item["max"], f"{where}.max", issues) if item.get("max") is not None else None
        if "replacementValue" not in item:
            issues.append(ConfigIssue(f"{where}.replacementValue", "is required"))
            continue
        replacement = parse_value(item["replacementValue"], f"{where}.replacementValue", issues)
        if low is None and high is None:
            issues.append(ConfigIssue(where, "needs min, max or both"))
            continue
        bounds = [b for b in (low, high) if b is not None]
        kinds.update(_kind(b) for b in bounds)
        if any(_kind(b) not in ("number", "str") for b in bounds):
            issues.append(ConfigIssue(where, "bounds must be numbers or strings"))
            continue
        if low is not None and high is not None and (_kind(low) != _kind(high) or not low < high):
            issues.append(ConfigIssue(where, "min must be below max and of the same type"))
            continue
        buckets.append(Bucket(low, high, replacement))
    if len(kinds) > 1:
        issues.append(ConfigIssue(f"{path}.buckets", "all bounds must be of one type (numbers or strings)"))
    elif not issues:
        ordered = sorted(buckets, key=lambda b: (b.min is not None, b.min))
        for a, b in itertools.pairwise(ordered):
            if a.max is None or (b.min is not None and b.min < a.max):
                issues.append(ConfigIssue(f"{path}.buckets", "ranges must not overlap"))
                break
    raise_issues(issues)
    bounds = [b for bucket in buckets for b in (bucket.min, bucket.max) if b is not None]
    if kinds == {"str"} and all(_as_moment(b) is not None for b in bounds):
        buckets = [
            Bucket(
                _as_moment(b.min) if b.min is not None else None,
                _as_moment(b.max) if b.max is not None else None,
                b.replacement,
            )
            for b in buckets
        ]
        return BucketingParams(tuple(buckets), False, dates=True)
    return BucketingParams(tuple(buckets), kinds == {"number"})


class Bucketing(Transformation):
    def __init__(self, params: BucketingParams):
        self.p = params

    def transform(self, value: Any, ctx: ValueContext) -> Any:
        if self.p.numeric:
            x: Any = to_number(value, NAME)
        elif self.p.dates:
            moment = parse_date(value, NAME).moment()
            if not isinstance(moment, dt.datetime):
                moment = dt.datetime.combine(moment, dt.time())
            x = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment
        elif isinstance(value, str):
            x = value
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            x = str(value)
        else:
            raise TransformationError(f"{NAME} needs a string or a number, got {type(value).__name__}")
        for bucket in self.p.buckets:
            if (bucket.min is None or x >= bucket.min) and (bucket.max is None or x < bucket.max):
                return bucket.replacement
        return value


BUCKETING = PrimitiveSpec(NAME, parse_bucketing, lambda p, keys: Bucketing(p))
