"""DATE, DATE_OF_BIRTH and AGE.

DATE covers numeric layouts (ISO ``2024-03-01``, with an ISO time of day
``2024-03-01T14:30:00Z`` as one span, ``01/03/2024``, ``1.3.2024``) validated
as calendar dates, and written ones (``March 1, 2024``, ``1 March 2024``,
``Mar 2024``, ``05-MAY-2021``, ``May-2021``). DATE_OF_BIRTH is the same span when birth
context is near ("born", "DOB", ...): its recognizer emits every date as an
UNLIKELY DATE_OF_BIRTH and the catalog hotwords lift it above DATE, so the
overlap resolver keeps the more specific type. AGE needs its context inside
the pattern ("aged 42", "42 years old", "age: 42").
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator

from veilwatch.transforms.detection.findings import Finding, Likelihood
from veilwatch.transforms.detection.recognizer import Recognizer, RegexRecognizer

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"

# ISO 8601 time of day after a year-first date (``2024-03-15T14:30:00.123+02:00``): part of
# the DATE span, so that a timestamp in a log line is one finding, not a date and a leftover.
_ISO_TIME = r"(?:T(?:[01]\d|2[0-3]):[0-5]\d(?::(?:[0-5]\d|60)(?:[.,]\d{1,9})?)?(?:Z|[+\-](?:[01]\d|2[0-3]):?[0-5]\d)?)?"

_NUMERIC = re.compile(
    r"(?:(?P<y1>\d{4})(?P<s1>[\-/.])(?P<m1>\d{1,2})(?P=s1)(?P<d1>\d{1,2})"
    + _ISO_TIME
    + r"|(?P<a2>\d{1,2})(?P<s2>[\-/.])(?P<b2>\d{1,2})(?P=s2)(?P<y2>\d{4}|\d{2}))(?![\w]|[\-/.:]\d)"
)
_WRITTEN = re.compile(
    r"(?i)(?:(?P<d1>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?"
    + _MONTH.replace("month", "m1")
    + r",?\s+(?P<y1>\d{4})|"
    + _MONTH.replace("month", "m2")
    + r"\s+(?P<d2>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{4})"
    + r"|"
    + _MONTH.replace("month", "m3")
    + r",?\s+(?P<y3>\d{4})"
    # dashed layouts of logs and databases: 05-MAY-2021, May-2021
    + r"|(?P<d4>\d{1,2})-"
    + _MONTH.replace("month", "m4")
    + r"-(?P<y4>\d{4})"
    + r"|"
    + _MONTH.replace("month", "m5")
    + r"-(?P<y5>\d{4}))(?!\w)"
)


def _real(year: int, month: int, day: int) -> bool:
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return 1800 <= year <= 2200


def _numeric_ok(m: re.Match) -> bool:
    if m.group("y1"):
        return _real(int(m.group("y1")), int(m.group("m1")), int(m.group("d1")))
    a, b, y = int(m.group("a2")), int(m.group("b2")), m.group("y2")
    year = int(y) if len(y) == 4 else 2000 + int(y)
    return _real(year, b, a) or _real(year, a, b)  # day-first or month-first


def _written_ok(m: re.Match) -> bool:
    for d, mo, y in (("d1", "m1", "y1"), ("d2", "m2", "y2"), ("d4", "m4", "y4")):
        if m.group(y) and m.group(mo) and m.group(d):
            return _real(int(m.group(y)), _MONTHS[m.group(mo).lower().rstrip(".")], int(m.group(d)))
    return 1800 <= int(m.group("y3") or m.group("y5")) <= 2200


# Compact necessary conditions for the Hyperscan prefilter (``Recognizer.prefilter_patterns``;
# the full patterns are too long to compile there): every _NUMERIC match holds a year-first
# or a year-last layout with the same separator twice, and every _WRITTEN match holds a
# month name (all start with their three-letter abbreviation) followed by ``\.?,?\s+`` or ``\.?-``
# and a digit.
_NUMERIC_PREFILTER = r"\d{4}(?:-\d\d?-|/\d\d?/|\.\d\d?\.)\d|\d(?:-\d\d?-|/\d\d?/|\.\d\d?\.)\d\d"
_WRITTEN_PREFILTER = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?(?:,?\s+|-)\d"

_NUMERIC_GATE = re.compile(r"\d[\-/.]\d{1,2}[\-/.]\d").search
_YEAR_GATE = re.compile(r"\d{4}").search
_MONTHS_LOWER = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _has_month(text: str) -> bool:
    lowered = text.lower()
    return any(map(lowered.__contains__, _MONTHS_LOWER))


def find_dates(text: str) -> Iterator[tuple[int, int]]:
    """Spans of every valid date in ``text``."""
    if _NUMERIC_GATE(text):
        for m in _NUMERIC.finditer(text):
            start = m.start()
            if start and (text[start - 1].isalnum() or text[start - 1] in "_-./:"):
                continue
            if _numeric_ok(m):
                yield start, m.end()
    if _YEAR_GATE(text) and _has_month(text):  # written dates carry a month name and a year
        for m in _WRITTEN.finditer(text):
            start = m.start()
            if start and (text[start - 1].isalnum() or text[start - 1] == "_"):
                continue
            if _written_ok(m):
                yield start, m.end()


class DateRecognizer(Recognizer):
    """Valid calendar dates as DATE (POSSIBLE) and as DATE_OF_BIRTH candidates (UNLIKELY)."""

    info_types = ("DATE", "DATE_OF_BIRTH")
    min_digit_run = 1
    min_digits = 4
    prefilter_patterns = ((_NUMERIC_PREFILTER, 0), (_WRITTEN_PREFILTER, re.IGNORECASE))

    def __init__(self, info_types: frozenset[str]) -> None:
        self.emit_date = "DATE" in info_types
        self.emit_dob = "DATE_OF_BIRTH" in info_types

    def find(self, text: str) -> Iterator[Finding]:
        for start, end in find_dates(text):
            if self.emit_date:
                yield Finding(start, end, "DATE", Likelihood.POSSIBLE)
            if self.emit_dob:
                yield Finding(start, end, "DATE_OF_BIRTH", Likelihood.UNLIKELY)


AGE = RegexRecognizer(
    "AGE",
    r"(?i)(?:\bage[d:]?\s*(?:of\s+|is\s+|was\s+)?(?P<a>\d{1,3})\b|\b(?P<b>\d{1,3})[\s\-]*(?:years?|yrs?)[\s\-]*old\b)",
    likelihood=Likelihood.LIKELY,
    gate=("age", "Age", "AGE", "old", "OLD"),
)


class AgeRecognizer(Recognizer):
    """Ages stated as such; the number alone is the finding."""

    info_types = ("AGE",)
    gate = AGE.gate
    min_digit_run = 1
    prefilter_patterns = AGE.prefilter_patterns

    def find(self, text: str) -> Iterator[Finding]:
        for m in AGE.pattern.finditer(text):
            group = "a" if m.group("a") else "b"
            if int(m.group(group)) <= 130:
                yield Finding(m.start(group), m.end(group), "AGE", Likelihood.LIKELY)
