"""Reading and writing the dates that dateShiftConfig and timePartConfig work on.

Values are ISO-8601 strings: a date (``2026-11-02``) or a date-time
(``2026-11-02T10:15:00Z``, ``2026-11-02 10:15:00+01:00``). A date shift
rewrites only the ``YYYY-MM-DD`` part and keeps the rest character for
character, so the output has exactly the input's format (a shift by whole
days does not depend on the time of day or the zone).
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from transforms.deid.base import TransformationError

_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?=$|[T ])")


def split_date(value: Any, what: str) -> tuple[dt.date, str]:
    """``"2026-11-02T10:00Z"`` -> (date(2026, 11, 2), ``"T10:00Z"``)."""
    if not isinstance(value, str):
        raise TransformationError(f"{what} needs an ISO-8601 date or timestamp string, got {type(value).__name__}")
    m = _DATE.match(value)
    if m is None:
        raise TransformationError(f"{what} needs an ISO-8601 date or timestamp string (YYYY-MM-DD...)")
    try:
        day = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise TransformationError(f"{what}: not a valid calendar date") from None
    return day, value[m.end():]


def parse_timestamp(value: Any, what: str) -> dt.datetime | dt.date:
    """A date-time (converted to UTC when it has a zone) or a bare date."""
    day, rest = split_date(value, what)
    if not rest:
        return day
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise TransformationError(f"{what}: not a valid ISO-8601 timestamp") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.timezone.utc)
    return parsed
