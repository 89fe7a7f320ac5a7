"""Reading and rewriting the dates that dateShiftConfig and timePartConfig work on.

A value is a string in one of the layouts Cloud DLP and veilwatch's own DATE
detector (``transforms/detection/recognizers/temporal.py``) find, so that a
date found in free text can be shifted where it stands:

* year first: ``2016-01-15``, ``2016/01/15``, ``2016.01.15``, optionally with a
  time of day (``2016-01-15T10:20:30Z``, ``2016-01-15T10:20:30.123+02:00``,
  ``2016-01-15 10:20:30``), i.e. RFC 3339 / ISO 8601 timestamps;
* year last: ``01/15/2016``, ``01-15-2016``, ``15.01.2016``, ``1/5/16``. With
  ``/`` or ``-`` the month comes first (US order, as in Google's samples)
  unless the first number is above 12; with ``.`` the day comes first;
* written: ``January 15, 2016``, ``Jan 15 2016``, ``Jan. 15th, 2016``,
  ``15 January 2016``, ``15th of January 2016``, ``15-JAN-2016``;
* a time of day alone (``10:20``, ``10:20:30``, ``10:20:30.5``): only
  timePartConfig's ``HOUR_OF_DAY`` reads it.

:func:`parse_date` returns a :class:`ParsedDate` whose :meth:`~ParsedDate.with_date`
writes another date in exactly the input's layout: the same separators and
zero padding, a month name in the same case and abbreviation, an ordinal
suffix recomputed (``January 1st`` -> ``January 3rd``), and everything after
the date (a time of day, a zone) kept character for character. A value in no
layout, or not a real calendar date, is a :class:`TransformationError` whose
message never holds the value.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from veilwatch.transforms.deid.base import TransformationError

_MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
# Every spelling a month may have, longest first so that "sept" wins over "sep".
_MONTH_SPELLINGS = {name: i for i, name in enumerate(_MONTH_NAMES, start=1)}
_MONTH_SPELLINGS.update({name[:3]: i for i, name in enumerate(_MONTH_NAMES, start=1)})
_MONTH_SPELLINGS["sept"] = 9
_MONTH = r"(?P<mname>" + "|".join(sorted(_MONTH_SPELLINGS, key=len, reverse=True)) + r")"
_SUFFIX = r"(?P<suffix>st|nd|rd|th)?"

# A time of day after a date: ``T`` or one space, hh:mm[:ss[.fraction]], then an optional zone.
_TIME = (
    r"(?P<time>[T ](?P<hh>\d{2}):(?P<mi>\d{2})(?::(?P<ss>\d{2})(?:[.,](?P<frac>\d{1,9}))?)?"
    r"(?P<zone>Z|[+\-]\d{2}(?::?\d{2})?)?)?"
)

_LAYOUTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "year_first",
        re.compile(r"(?P<year>\d{4})(?P<sep>[\-/.])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})" + _TIME),
    ),
    (
        "year_last",
        re.compile(r"(?P<a>\d{1,2})(?P<sep>[\-/.])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4}|\d{2})" + _TIME),
    ),
    (
        "day_month",
        re.compile(
            r"(?i)(?P<day>\d{1,2})" + _SUFFIX + r"(?:\s+of)?\s+" + _MONTH + r"\.?,?\s+(?P<year>\d{4})"
        ),
    ),
    (
        "month_day",
        re.compile(r"(?i)" + _MONTH + r"\.?\s+(?P<day>\d{1,2})" + _SUFFIX + r",?\s+(?P<year>\d{4})"),
    ),
    ("dashed", re.compile(r"(?i)(?P<day>\d{1,2})-" + _MONTH + r"-(?P<year>\d{4})")),
)
_TIME_OF_DAY = re.compile(r"(?P<hh>\d{2}):(?P<mi>\d{2})(?::(?P<ss>\d{2})(?:[.,](?P<frac>\d{1,9}))?)?")


@dataclass(frozen=True)
class ParsedDate:
    """A date read from a string, with what is needed to write another date the same way."""

    date: dt.date
    # The time of day (with its zone when the value has one), or None for a bare date.
    time: dt.time | None
    _text: str
    # (start, end, kind) of each piece of the date to rewrite: year, month, day, mname, written_day, suffix.
    _spans: tuple[tuple[int, int, str], ...]

    def moment(self) -> dt.date | dt.datetime:
        """The date, or the date-time (in UTC when the value names a zone)."""
        if self.time is None:
            return self.date
        moment = dt.datetime.combine(self.date, self.time)
        return moment.astimezone(dt.UTC) if moment.tzinfo is not None else moment

    def with_date(self, new: dt.date) -> str:
        """``new`` written in this value's layout (the time of day and zone kept as they were)."""
        pieces, cursor = [], 0
        for start, end, kind in self._spans:
            pieces.append(self._text[cursor:start])
            pieces.append(_render(kind, self._text[start:end], new))
            cursor = end
        pieces.append(self._text[cursor:])
        return "".join(pieces)


@dataclass(frozen=True)
class TimeOfDay:
    """A time of day read from a string (``10:20``, ``10:20:30``)."""

    time: dt.time


def parse_date(value: Any, what: str) -> ParsedDate:
    """A date or timestamp string in one of the layouts above -> :class:`ParsedDate`."""
    if not isinstance(value, str):
        raise TransformationError(f"{what} needs a date or timestamp string, got {type(value).__name__}")
    for layout, pattern in _LAYOUTS:
        m = pattern.fullmatch(value)
        if m is not None:
            return _parsed(layout, m, value, what)
    raise TransformationError(
        f"{what}: not a date in a known layout "
        "(e.g. 2016-01-15, 01/15/2016, January 15, 2016, 2016-01-15T08:30:00Z)"
    )


def parse_moment(value: Any, what: str) -> ParsedDate | TimeOfDay:
    """A date, a timestamp or a time of day alone (for timePartConfig)."""
    if isinstance(value, str):
        m = _TIME_OF_DAY.fullmatch(value)
        if m is not None:
            return TimeOfDay(_time(m, what))
    return parse_date(value, what)


def _parsed(layout: str, m: re.Match[str], value: str, what: str) -> ParsedDate:
    spans: list[tuple[int, int, str]] = [(m.start("year"), m.end("year"), "year")]
    if layout == "year_first":
        month, day = int(m.group("month")), int(m.group("day"))
        spans += [(m.start("month"), m.end("month"), "month"), (m.start("day"), m.end("day"), "day")]
    elif layout == "year_last":
        a, b = int(m.group("a")), int(m.group("b"))
        day_first = m.group("sep") == "." or (a > 12 >= b)
        month_group, day_group = ("b", "a") if day_first else ("a", "b")
        month, day = int(m.group(month_group)), int(m.group(day_group))
        spans += [
            (m.start(month_group), m.end(month_group), "month"),
            (m.start(day_group), m.end(day_group), "day"),
        ]
    else:
        month, day = _MONTH_SPELLINGS[m.group("mname").lower()], int(m.group("day"))
        day_kind = "day" if layout == "dashed" else "written_day"  # 05-MAY-2021 keeps two digits
        spans += [(m.start("mname"), m.end("mname"), "mname"), (m.start("day"), m.end("day"), day_kind)]
        if "suffix" in m.re.groupindex and m.group("suffix"):
            spans.append((m.start("suffix"), m.end("suffix"), "suffix"))
    year_text = m.group("year")
    year = int(year_text) + (2000 if len(year_text) == 2 else 0)
    try:
        date = dt.date(year, month, day)
    except ValueError:
        raise TransformationError(f"{what}: not a valid calendar date") from None
    time = _time(m, what) if "time" in m.re.groupindex and m.group("time") else None
    return ParsedDate(date, time, value, tuple(sorted(spans)))


def _time(m: re.Match[str], what: str) -> dt.time:
    frac = m.group("frac") or ""
    zone = None
    if "zone" in m.re.groupindex and m.group("zone"):
        z = m.group("zone")
        if z == "Z":
            zone = dt.UTC
        else:
            digits = z[1:].replace(":", "")
            minutes = int(digits[:2]) * 60 + int(digits[2:4] or 0)
            if minutes >= 24 * 60:
                raise TransformationError(f"{what}: not a valid time zone offset")
            zone = dt.timezone(dt.timedelta(minutes=minutes if z[0] == "+" else -minutes))
    try:
        return dt.time(
            int(m.group("hh")),
            int(m.group("mi")),
            int(m.group("ss") or 0),
            int((frac + "000000")[:6]),
            tzinfo=zone,
        )
    except ValueError:
        raise TransformationError(f"{what}: not a valid time of day") from None


def _render(kind: str, old: str, new: dt.date) -> str:
    if kind == "year":
        if len(old) == 2:
            if not 2000 <= new.year <= 2099:
                raise TransformationError("the shifted date's year cannot be written with two digits")
            return f"{new.year - 2000:02d}"
        if new.year > 9999:
            raise TransformationError("the shifted date is outside years 1..9999")
        return f"{new.year:04d}"
    if kind in ("month", "day"):  # numeric layouts: two digits stay two digits (12/31 -> 01/01)
        number = new.month if kind == "month" else new.day
        return f"{number:02d}" if len(old) == 2 else str(number)
    if kind == "written_day":  # "January 31" -> "February 1", "January 05" -> "January 06"
        return f"{new.day:02d}" if old.startswith("0") else str(new.day)
    if kind == "suffix":
        return _same_case(_ordinal_suffix(new.day), old)
    # A month name: the same length class (full, three letters, "Sept") and the same case.
    full = _MONTH_NAMES[new.month - 1]
    name = (
        full
        if len(old) > 4 or old.lower() in _MONTH_NAMES
        else (full[:4] if old.lower() == "sept" and new.month == 9 else full[:3])
    )
    return _same_case(name, old)


def _ordinal_suffix(day: int) -> str:
    if 11 <= day % 100 <= 13:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _same_case(word: str, like: str) -> str:
    if like.isupper():
        return word.upper()
    if like[:1].isupper():
        return word.capitalize()
    return word.lower()
