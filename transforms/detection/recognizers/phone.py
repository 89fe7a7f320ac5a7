"""PHONE_NUMBER: phone-shaped digit runs that ``phonenumbers`` parses as a valid number.

A cheap regex finds phone-shaped candidates (optional ``+country``, an area
code in brackets, 8 to 15 digits with separators, an optional extension).
Each is then parsed and must be a *valid* number (assigned range, right
length) for its own ``+country`` code or for one of the configured regions.
Parsing is the expensive part, so two prefilters come first: a candidate
already covered by a stronger finding (a card, an IBAN, a formatted SSN) is
not parsed at all, and a region is only tried when the candidate's digit count
is a possible length there (phonenumbers' metadata). Results are cached per
candidate string: feeds repeat the same numbers a lot.
"""
from __future__ import annotations

import functools
import re
from typing import Iterable, Iterator, Sequence

import phonenumbers

from transforms.detection.findings import Finding, Likelihood
from transforms.detection.recognizer import Recognizer

_CANDIDATE = re.compile(
    r"(?:\+\d{1,3}[ .\-]{0,2}(?:\(\d{1,4}\)[ .\-]?)?|\(\d{1,5}\)[ .\-]?)?"
    r"\d(?:[ .\-]?\d){5,14}"
    r"(?:[ ]?(?:x|ext\.?|#)[ ]?\d{1,6})?"
    r"(?![\w]|[.\-:/]\d)"
)
_BAD_BEFORE = re.compile(r"[\w+\-.]")
# ISO dates and d.m.Y dates have phone-like shapes; they are DATE's business.
_DATE_SHAPE = re.compile(r"\d{4}[\-./]\d{1,2}[\-./]\d{1,2}|\d{1,2}[\-./]\d{1,2}[\-./]\d{2,4}")
_EXTENSION = re.compile(r"[ ]?(?:x|ext\.?|#)[ ]?\d{1,6}$")
_NON_DIGIT = re.compile(r"\D")
# Without a country code, fewer digits than this is a local number, or a house
# number next to a street number: not something to flag.
_MIN_NATIONAL_DIGITS = 8
_CACHE_SIZE = 8192  # distinct candidate strings remembered per engine


_NUMBER_TYPES = (
    "fixed_line", "mobile", "toll_free", "premium_rate", "shared_cost", "personal_number", "voip", "pager",
    "uan", "voicemail",
)


def _region_shape(region: str) -> tuple[re.Pattern | None, re.Pattern | None]:
    """The region's national-prefix pattern, and a pattern every valid national number of it
    matches: phonenumbers' general pattern and one of its number-type patterns (None: no quick check)."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.general_desc is None or not metadata.general_desc.national_number_pattern:
        return None, None
    if metadata.national_prefix_transform_rule:
        return None, None  # prefixes rewritten while parsing: let phonenumbers decide
    source = metadata.national_prefix_for_parsing or metadata.national_prefix
    prefix = re.compile(source) if source else None
    types = [getattr(metadata, name, None) for name in _NUMBER_TYPES]
    alternatives = "|".join(f"(?:{d.national_number_pattern})" for d in types if d is not None and d.national_number_pattern)
    if not alternatives:
        return prefix, None
    general = metadata.general_desc.national_number_pattern
    return prefix, re.compile(f"(?=(?:{general})$)(?:{alternatives})")


def _fits(digits: str, prefix: re.Pattern | None, pattern: re.Pattern | None) -> bool:
    """Whether ``digits``, with or without the national prefix, fit the region's number patterns."""
    if pattern is None or pattern.fullmatch(digits):
        return True
    if prefix is not None:
        stripped = prefix.match(digits)
        if stripped and stripped.end() and pattern.fullmatch(digits[stripped.end():]):
            return True
    return False


class PhoneRecognizer(Recognizer):
    """Valid phone numbers: ``+`` notation LIKELY, grouped national POSSIBLE, bare digits UNLIKELY."""

    info_types = ("PHONE_NUMBER",)
    min_digit_run = 2
    min_digits = 7
    prefilter_patterns = ((_CANDIDATE.pattern, 0),)
    #: the engine hands this recognizer the spans already found at LIKELY or above
    wants_claimed = True
    #: and the lowest likelihood worth finding: bare digit runs (UNLIKELY) are not parsed
    #: in a text where no phone hotword could lift them to ``min_likelihood``
    wants_floor = True

    def __init__(self, regions: Sequence[str]) -> None:
        # Regions sharing a calling code (US and CA: +1) validate identically, since
        # is_valid_number checks every region of the code: keep the first of each.
        seen: set[int] = set()
        distinct = []
        for region in regions:
            code = phonenumbers.country_code_for_region(region)
            if code not in seen:
                seen.add(code)
                distinct.append(region)
        self.regions = tuple(distinct)
        self._shapes = tuple((region, *_region_shape(region)) for region in self.regions)
        self._valid = functools.lru_cache(maxsize=_CACHE_SIZE)(self._valid_uncached)
        for region in self.regions:  # load phonenumbers' lazy metadata now, not on the first text
            phonenumbers.is_valid_number(phonenumbers.parse("1234567", region))

    def _regions_for(self, digits: str) -> Iterator[str]:
        """The configured regions whose general number pattern these digits (with or without the
        national prefix) fit: phonenumbers' own metadata, used as a cheap filter before parsing.
        Lazily, in order: most numbers are valid for the first region that fits."""
        return (region for region, prefix, pattern in self._shapes if _fits(digits, prefix, pattern))

    def _valid_uncached(self, candidate: str) -> bool:
        number = _EXTENSION.sub("", candidate)
        digits = _NON_DIGIT.sub("", number)
        if not number.startswith("+") and (digits.startswith("00") or digits.startswith("011")):
            # an international call prefix (00 in most of the world, 011 from North America)
            # stands for "+": parse the rest as an international number, once
            number = "+" + digits[3:] if digits.startswith("011") else "+" + digits[2:]
        regions: Iterable[str | None]
        if number.startswith("+"):
            if number[1:2] == "0":
                # no country calling code starts with 0: phonenumbers rejects "+0..." when parsing
                return False
            regions = (None,)
        else:
            regions = self._regions_for(digits)
        for region in regions:
            try:
                parsed = phonenumbers.parse(number, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(parsed):
                return True
        return False

    def find(self, text: str, claimed: Sequence[tuple[int, int]] = (),
             floor: Likelihood = Likelihood.VERY_UNLIKELY) -> Iterator[Finding]:
        """Valid phone numbers outside ``claimed``, of at least likelihood ``floor``."""
        for match in _CANDIDATE.finditer(text):
            start, end = match.span()
            if start and _BAD_BEFORE.match(text, start - 1):
                continue
            if any(start < c_end and c_start < end for c_start, c_end in claimed):
                continue
            candidate = match.group()
            if _DATE_SHAPE.fullmatch(candidate):
                continue
            international = candidate.startswith("+")
            if not international and sum(c.isdigit() for c in candidate) < _MIN_NATIONAL_DIGITS:
                continue
            if international:
                level = Likelihood.LIKELY
            elif candidate.isdigit():  # a bare digit run is many things; context decides
                level = Likelihood.UNLIKELY
            else:
                level = Likelihood.POSSIBLE
            if level < floor or not self._valid(candidate):  # (parsing is the expensive part)
                continue
            yield Finding(start, end, "PHONE_NUMBER", level)
