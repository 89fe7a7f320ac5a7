"""US_SOCIAL_SECURITY_NUMBER, US_INDIVIDUAL_TAXPAYER_IDENTIFICATION_NUMBER,
US_DRIVERS_LICENSE_NUMBER, US_PASSPORT and PASSPORT.

SSN and ITIN rules (area/group/serial, the 9xx ITIN ranges, retired sample
numbers) are python-stdnum's. Driver's licence and passport numbers have no
checksum and look like any other reference number, so their recognizers emit
VERY_UNLIKELY candidates and only context hotwords ("driver's license",
"passport") lift them above ``min_likelihood`` (see ``catalog.DEFAULT_HOTWORDS``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from veilwatch.transforms.detection.findings import Finding, Likelihood
from veilwatch.transforms.detection.recognizer import Recognizer, RegexRecognizer
from veilwatch.transforms.detection.validators import digits_of, stdnum_validator

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


# USPS state and territory codes: a 5 + 4 digit group right after one is a ZIP+4 code
# ("Pasadena, CA 91170-1234"), not an ITIN written with a misplaced dash.
_US_STATE_CODES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND "
    "OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP AA AE AP"
).split()
# (state codes in upper case only: "tax id 93390-4321" is not Idaho)
_ZIP_BEFORE = re.compile(
    r"(?:(?<![A-Za-z])(?:" + "|".join(_US_STATE_CODES) + r")\.?,?"
    r"|(?i:zip|zip code|zip\+4|postcode|postal code):?)[ ]*$"
)


class ItinRecognizer(Recognizer):
    """ITINs: nine digits, 9 first and a group (4th-5th digits) in the IRS ranges.

    The 3-2-4 layout (one separator used twice) and nine bare digits are the written
    forms; the same nine digits with a single separator in the wrong place (3 + 6:
    ``911-701234``, 5 + 4: ``91170-1234``) are a common mistyping and are reported too,
    since the 9 + group ranges already make a random number unlikely to pass. A 5 + 4
    group right after a US state code or a "zip" label is a ZIP+4 code and is skipped.
    All are POSSIBLE; "ITIN"/"taxpayer" context raises them (catalog.DEFAULT_HOTWORDS).
    """

    info_types = ("US_INDIVIDUAL_TAXPAYER_IDENTIFICATION_NUMBER",)
    likelihood = Likelihood.POSSIBLE
    gate = r"9\d{2}[ \-]?\d{2}"
    min_digit_run = 3
    min_digits = 9
    _pattern = re.compile(
        r"9\d{2}(?:([ \-]?)[5-9]\d\1\d{4}|[ \-][5-9]\d{5}|[5-9]\d[ \-]\d{4})(?![\w]|[\-.]\d)"
    )
    prefilter_patterns = ((_pattern.pattern, 0),)

    def find(self, text: str) -> Iterator[Finding]:
        for match in self._pattern.finditer(text):
            start = match.start()
            if start and (text[start - 1].isalnum() or text[start - 1] in "_-."):
                continue
            value = match.group()
            if (
                "-" not in value
                and (  # part of a longer space-grouped number (a dashed one stands alone)
                    (start >= 2 and text[start - 1] == " " and text[start - 2].isdigit())
                    or text[match.end() : match.end() + 2][1:].isdigit()
                    and text[match.end()] == " "
                )
            ):
                continue
            if len(value) == 10 and value[5] in " -" and _ZIP_BEFORE.search(text, max(0, start - 15), start):
                continue  # ZIP+4 after a state code
            if _itin_valid(value):
                yield Finding(start, match.end(), self.info_types[0], Likelihood.POSSIBLE)


ITIN = ItinRecognizer()

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


#: words that say a number is a passport number (the US_PASSPORT context)
PASSPORT_WORDS = ("passport", "passports", "passport#", "passport no", "passport number", "travel document")
_PASSPORT_GATE = r"(?i:passport|travel\s+document)"
assert all(re.search(_PASSPORT_GATE, w) for w in PASSPORT_WORDS), "a passport word the gate misses"
_PASSPORT_CONTEXT = re.compile(
    r"(?<!\w)(?:" + "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in PASSPORT_WORDS) + r")(?!\w)",
    re.IGNORECASE,
)
# another country named in the context: the passport is that country's, not a US one
_OTHER_COUNTRY = re.compile(
    r"(?<!\w)(?:uk|british|britain|england|english|scottish|welsh|irish|ireland|canadian|canada|german|germany|"
    r"deutsch|french|france|spanish|spain|italian|italy|indian|india|chinese|china|japanese|japan|korean|korea|"
    r"mexican|mexico|australian|australia|dutch|netherlands|swiss|swedish|norwegian|danish|finnish|polish|"
    r"brazilian|brazil|russian|russia|turkish|turkey|eu|european|foreign)(?!\w)",
    re.IGNORECASE,
)
_PASSPORT_BEFORE = 50
_PASSPORT_AFTER = 10


class UsPassportRecognizer(Recognizer):
    """US passport numbers: nine digits, or (next-generation books, since 2021) a letter and
    eight digits, with a passport word near them (``PASSPORT_WORDS``: 50 characters before,
    10 after) and no other country named in that window. Without the word the shape is any
    reference number, so nothing is reported; with another country's name (or another shape)
    the context-only PASSPORT recognizer reports it instead. LIKELY, and listed before PASSPORT
    so that on the same span the specific type wins the tie."""

    info_types = ("US_PASSPORT",)
    likelihood = Likelihood.LIKELY
    # every PASSPORT_WORDS entry holds one of these (checked below): without one, ``find`` yields nothing
    gate = _PASSPORT_GATE
    min_digit_run = 8
    min_digits = 8
    _pattern = re.compile(r"(?:[A-Za-z]\d{8}|\d{9})(?![\w\-])")
    prefilter_patterns = ((_pattern.pattern, 0),)

    def find(self, text: str) -> Iterator[Finding]:
        for match in self._pattern.finditer(text):
            start, end = match.span()
            if start and (text[start - 1].isalnum() or text[start - 1] in "_-"):
                continue
            before = max(0, start - _PASSPORT_BEFORE)
            if not (
                _PASSPORT_CONTEXT.search(text, before, start)
                or _PASSPORT_CONTEXT.search(text, end, min(len(text), end + _PASSPORT_AFTER))
            ):
                continue
            if _OTHER_COUNTRY.search(text, before, start):
                continue
            yield Finding(start, end, "US_PASSPORT", Likelihood.LIKELY)


def recognizers() -> list[Recognizer]:
    """The US identifier family plus the passport recognizers (the US one first: it wins ties)."""
    return [SsnRecognizer(), ITIN, DRIVERS_LICENSE, UsPassportRecognizer(), PASSPORT]
