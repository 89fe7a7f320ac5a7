"""US_SOCIAL_SECURITY_NUMBER, US_INDIVIDUAL_TAXPAYER_IDENTIFICATION_NUMBER,
US_DRIVERS_LICENSE_NUMBER and PASSPORT.

SSN and ITIN rules (area/group/serial, the 9xx ITIN ranges, retired sample
numbers) are python-stdnum's. Driver's licence and passport numbers have no
checksum and look like any other reference number, so their recognizers emit
VERY_UNLIKELY candidates and only context hotwords ("driver's license",
"passport") lift them above ``min_likelihood`` (see ``catalog.DEFAULT_HOTWORDS``).
"""
from __future__ import annotations

import re
from typing import Iterator

from transforms.detection.findings import Finding, Likelihood
from transforms.detection.recognizer import Recognizer, RegexRecognizer
from transforms.detection.validators import digits_of, stdnum_validator

_ssn_ok = stdnum_validator("us.ssn")
_itin_ok = stdnum_validator("us.itin")


class SsnRecognizer(Recognizer):
    """SSNs have the 3-2-4 shape: ``ddd-dd-dddd`` (or space/dot) is LIKELY, nine bare
    digits UNLIKELY (reportable only with an SSN hotword near them).

    Any other grouping is not an SSN layout: two different separators (``693-09.4444``),
    and one separator, which makes 5 + 4 (a ZIP+4 code ``90210-1234``, a postcode and a
    house number ``62704 4521``) or 3 + 6 digits.
    """

    info_types = ("US_SOCIAL_SECURITY_NUMBER",)
    gate = r"\d{3}[ \-.]?\d{2}[ \-.]?\d{4}"
    min_digit_run = 4
    min_digits = 9
    _pattern = re.compile(r"\d{3}([ \-.]?)\d{2}([ \-.]?)\d{4}(?![\w]|[\-.]\d| \d)")
    prefilter_patterns = ((_pattern.pattern, 0),)
    #: bare nine digits (UNLIKELY) are not validated where no SSN hotword could lift them
    wants_floor = True

    def find(self, text: str, floor: Likelihood = Likelihood.VERY_UNLIKELY) -> Iterator[Finding]:
        """Valid SSNs of at least likelihood ``floor``."""
        for match in self._pattern.finditer(text):
            start = match.start()
            if start and (text[start - 1].isalnum() or text[start - 1] in "_-."):
                continue
            if start >= 2 and text[start - 1] == " " and text[start - 2].isdigit():
                continue  # the tail of a longer space-grouped number
            first, second = match.group(1), match.group(2)
            if first and second and first != second:
                continue
            if first and second:
                level = Likelihood.LIKELY
            elif first or second:
                continue  # 5 + 4 or 3 + 6: not the 3-2-4 shape
            else:
                level = Likelihood.UNLIKELY
            if level < floor:
                continue
            digits = digits_of(match.group())
            if digits[0] == "9" or not _ssn_ok(f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"):
                continue
            yield Finding(match.start(), match.end(), "US_SOCIAL_SECURITY_NUMBER", level)


# The IRS added groups 50-65 in 2011 (now 50-65, 70-88, 90-92, 94-99); python-stdnum
# 2.2 still knows only the older 70-99 ranges, so the newer groups are accepted here.
_ITIN_GROUPS_SINCE_2011 = frozenset(f"{g:02d}" for g in range(50, 66))


def _itin_valid(text: str) -> bool:
    digits = digits_of(text)
    if len(digits) == 9 and digits[0] == "9" and digits[3:5] in _ITIN_GROUPS_SINCE_2011:
        return True
    return _itin_ok(f"{digits[:3]}-{digits[3:5]}-{digits[5:]}")


ITIN = RegexRecognizer(
    "US_INDIVIDUAL_TAXPAYER_IDENTIFICATION_NUMBER",
    r"9\d{2}([ \-]?)[5-9]\d\1\d{4}(?![\w]|[\-.]\d)",
    not_after="-.",
    likelihood=Likelihood.POSSIBLE,
    validator=_itin_valid,
    gate=r"9\d{2}[ \-]?[5-9]\d",
    min_digit_run=4,
    min_digits=9,
)

# US state formats: 1-2 letters + 4-14 digits, 6-14 digits, or a letter and
# digit groups (e.g. Florida's L123-456-789-012).
DRIVERS_LICENSE = RegexRecognizer(
    "US_DRIVERS_LICENSE_NUMBER",
    r"(?:[A-Za-z]{1,2}\d{4,14}[A-Za-z]?|\d{6,14}|[A-Za-z]\d{3}[ \-]\d{3}[ \-]\d{3,6})(?![\w\-])",
    likelihood=Likelihood.VERY_UNLIKELY,
    min_digit_run=4,
    not_after="-",
    needs_context=True,  # only reportable next to its hotwords (catalog.DEFAULT_HOTWORDS)
)

PASSPORT = RegexRecognizer(
    "PASSPORT",
    r"(?:[A-Za-z]{1,2}\d{6,9}|\d{8,9}|[A-Za-z]\d{2}[A-Za-z]\d{5})(?![\w\-])",
    likelihood=Likelihood.VERY_UNLIKELY,
    min_digit_run=5,
    not_after="-",
    needs_context=True,
)


def recognizers() -> list[Recognizer]:
    """The US identifier family plus the context-only passport recognizer."""
    return [SsnRecognizer(), ITIN, DRIVERS_LICENSE, PASSPORT]
