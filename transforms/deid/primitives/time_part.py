"""timePartConfig: keep only one part of a date, a timestamp or a time of day, as Cloud DLP.

Parameter (DLP name): ``partToExtract``, with DLP's ranges: ``YEAR``
[0-9999], ``MONTH`` [1-12], ``DAY_OF_MONTH`` [1-31], ``DAY_OF_WEEK`` [1-7,
Monday = 1 as ``google.type.DayOfWeek`` numbers the days], ``WEEK_OF_YEAR``
[1-53, the ISO 8601 week] or ``HOUR_OF_DAY`` [0-23; in UTC for a timestamp
with a zone]. Values are strings in the layouts of
:mod:`veilwatch.transforms.deid.primitives.dates`; a time of day alone (``10:20:30``)
has only an ``HOUR_OF_DAY``, a bare date has none.

DLP answers an integer ``Value`` for a typed date. Record values here are
JSON strings, and the part is answered as a string (``"1984-07-21"`` ->
``"1984"``) so that a field keeps one type in every record and in every
output format (a CSV or Avro string column stays a string column).

    timePartConfig: {partToExtract: YEAR}
    "July 21, 1984" -> "1984"
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from veilwatch.transforms.config.errors import ConfigIssue
from veilwatch.transforms.deid.base import PrimitiveSpec, Transformation, TransformationError, ValueContext
from veilwatch.transforms.deid.primitives.common import as_mapping, raise_issues, reject_unknown
from veilwatch.transforms.deid.primitives.dates import TimeOfDay, parse_moment

NAME = "timePartConfig"

PARTS: dict[str, Callable[[Any], int]] = {
    "YEAR": lambda d: d.year,
    "MONTH": lambda d: d.month,
    "DAY_OF_MONTH": lambda d: d.day,
    "DAY_OF_WEEK": lambda d: d.isoweekday(),
    "WEEK_OF_YEAR": lambda d: d.isocalendar()[1],
    "HOUR_OF_DAY": lambda d: d.hour,  # only for date-times and times of day; checked in transform
}


@dataclass(frozen=True)
class TimePartParams:
    part: str


def parse_time_part(params: Mapping[str, Any] | None, path: str) -> TimePartParams:
    issues: list[ConfigIssue] = []
    params = as_mapping(params, path, NAME, issues)
    reject_unknown(params, ("partToExtract",), path, issues)
    part = params.get("partToExtract")
    if not isinstance(part, str) or part not in PARTS:
        issues.append(ConfigIssue(f"{path}.partToExtract", f"is required, one of: {', '.join(PARTS)}"))
    raise_issues(issues)
    assert isinstance(part, str), "checked above: an issue otherwise"
    return TimePartParams(part)


class TimePart(Transformation):
    def __init__(self, params: TimePartParams):
        self.part = params.part
        self._extract = PARTS[params.part]

    def transform(self, value: Any, ctx: ValueContext) -> Any:
        parsed = parse_moment(value, NAME)
        if isinstance(parsed, TimeOfDay):
            if self.part != "HOUR_OF_DAY":
                raise TransformationError(f"{NAME}: {self.part} needs a date, got a time of day")
            return str(parsed.time.hour)
        moment = parsed.moment()
        if self.part == "HOUR_OF_DAY" and not isinstance(moment, dt.datetime):
            raise TransformationError(f"{NAME}: HOUR_OF_DAY needs a timestamp or a time of day, got a date")
        return str(self._extract(moment))


TIME_PART = PrimitiveSpec(NAME, parse_time_part, lambda p, keys: TimePart(p))
