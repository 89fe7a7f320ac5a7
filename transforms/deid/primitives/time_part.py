"""timePartConfig: keep only one part of a date or timestamp, as Cloud DLP.

Parameter (DLP name): ``partToExtract``: ``YEAR`` [0-9999], ``MONTH``
[1-12], ``DAY_OF_MONTH`` [1-31], ``DAY_OF_WEEK`` [1-7, Monday = 1, as
``google.type.DayOfWeek``], ``WEEK_OF_YEAR`` [1-53, ISO week] or
``HOUR_OF_DAY`` [0-23, UTC for a timestamp with a zone]. The output is an
integer. Values are ISO-8601 date or timestamp strings.

    timePartConfig: {partToExtract: YEAR}
    "1984-07-21" -> 1984
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from transforms.config.errors import ConfigIssue
from transforms.deid.base import PrimitiveSpec, Transformation, TransformationError, ValueContext
from transforms.deid.primitives.common import as_mapping, raise_issues, reject_unknown
from transforms.deid.primitives.dates import parse_timestamp

NAME = "timePartConfig"

PARTS: dict[str, Callable[[dt.date], int]] = {
    "YEAR": lambda d: d.year,
    "MONTH": lambda d: d.month,
    "DAY_OF_MONTH": lambda d: d.day,
    "DAY_OF_WEEK": lambda d: d.isoweekday(),
    "WEEK_OF_YEAR": lambda d: d.isocalendar()[1],
    "HOUR_OF_DAY": lambda d: d.hour,  # only for date-times; checked in transform
}


@dataclass(frozen=True)
class TimePartParams:
    part: str


def parse_time_part(params: Mapping[str, Any] | None, path: str) -> TimePartParams:
    issues: list[ConfigIssue] = []
    params = as_mapping(params, path, NAME, issues)
    reject_unknown(params, ("partToExtract",), path, issues)
    part = params.get("partToExtract")
    if part not in PARTS:
        issues.append(ConfigIssue(f"{path}.partToExtract", f"is required, one of: {', '.join(PARTS)}"))
    raise_issues(issues)
    return TimePartParams(part)


class TimePart(Transformation):
    def __init__(self, params: TimePartParams):
        self.part = params.part
        self._extract = PARTS[params.part]

    def transform(self, value: Any, ctx: ValueContext) -> Any:
        moment = parse_timestamp(value, NAME)
        if self.part == "HOUR_OF_DAY" and not isinstance(moment, dt.datetime):
            raise TransformationError(f"{NAME}: HOUR_OF_DAY needs a timestamp, got a date")
        return self._extract(moment)


TIME_PART = PrimitiveSpec(NAME, parse_time_part, lambda p, keys: TimePart(p))
