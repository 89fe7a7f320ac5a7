"""PHONE_NUMBER: phone-shaped digit runs that ``phonenumbers`` parses as a valid number.

A cheap regex finds phone-shaped candidates (optional ``+country``, an area
code in brackets, 8 to 15 digits with separators, an optional extension).
Each is then parsed and must be a *valid* number (assigned range, right
length) for its own ``+country`` code or for one of the configured regions.
A candidate right after a phone label (``Phone:``, ``Mobile``, ``Desk:``,
``Fax:``, ``Tel.``; see ``PHONE_LABELS``) is judged by phonenumbers'
*possible*-number rules instead (length for the region, local-only 7-digit
numbers included): the label already says what it is. Extensions (``x769``,
``ext. 12``) are part of the span. An unlabelled national candidate shaped
like a postcode next to another number (two groups, one of five digits: a
ZIP+4 code, a house number and a postcode, a 5 + 4 reference) must be grouped
as its region writes numbers (phonenumbers' EXACT_GROUPING: "83972 1976" is a
valid Spanish number, but Spain writes it "839 72 19 76", nobody 5 + 4). An unlabelled national
candidate right before or after a street name is a house number or postcode
(``context.beside_street_name``).
Parsing is the expensive part, so two prefilters come first: a candidate
already covered by a stronger finding (a card, an IBAN, a formatted SSN) is
not parsed at all, and a region is only tried when the candidate's digit count
is a possible length there (phonenumbers' metadata). Results are cached per
candidate string: feeds repeat the same numbers a lot.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Sequence

import phonenumbers

from veilwatch.transforms.detection.context import beside_street_name
from veilwatch.transforms.detection.findings import Finding, Likelihood
from veilwatch.transforms.detection.recognizer import Recognizer

_CANDIDATE = re.compile(
    r"(?:(?:\+\d{1,3}[ .\-]{0,2}(?:\(\d{1,4}\)[ .\-]?)?)?\d(?:[ .\-]?\d){5,14}"
    r"|\(\d{1,5}\)[ .\-]?\d(?:[ .\-]?\d){3,14})"  # an area code in brackets: "(08264) 32797"
    r"(?:,?[ ]?(?:[xX]|[eE][xX][tT]\.?|#)[ ]?\d{1,6})?"
    r"(?![\w]|[.\-:/]\d)"
)
_BAD_BEFORE = re.compile(r"[\w+\-.]")
# The start of a candidate that ``find`` looks at, for the Hyperscan prefilter (``_CANDIDATE`` itself
# is too long for it): at the start or after a character ``_BAD_BEFORE`` does not match, a ``+``
# country code or a bracketed area code or a digit, then the least of digits every branch holds.
_CANDIDATE_START = (
    r"(?:^|[^\w+\-.])(?:\+\d{1,3}[ .\-]{0,2}(?:\(\d{1,4}\)[ .\-]?)?\d(?:[ .\-]?\d){5}"
    r"|\(\d{1,5}\)[ .\-]?\d(?:[ .\-]?\d){3}|\d(?:[ .\-]?\d){5})",
    0,
)
# ISO dates and d.m.Y dates have phone-like shapes; they are DATE's business.
_DATE_SHAPE = re.compile(r"\d{4}[\-./]\d{1,2}[\-./]\d{1,2}|\d{1,2}[\-./]\d{1,2}[\-./]\d{2,4}")
_EXTENSION = re.compile(r",?[ ]?(?:x|ext\.?|#)[ ]?\d{1,6}$", re.IGNORECASE)
# A label right before a number says it is a phone number ("Phone:", "Mobile", "Desk:",
# "Fax:", "Tel.", "Cell #", "Work phone:"): such a number is judged by phonenumbers'
# possible-number rules (length for the region, local-only numbers included), not by
# whether its range is assigned. Only the words right before the candidate count.
PHONE_LABELS = (
    "phone",
    "telephone",
    "tel",
    "tele",
    "telefon",
    "téléphone",
    "teléfono",
    "telefone",
    "telefono",
    "mobile",
    "mobil",
    "mob",
    "cell",
    "cellphone",
    "cell phone",
    "mobile phone",
    "desk",
    "desk phone",
    "fax",
    "ph",
    "direct line",
    "direct dial",
    "landline",
    "handy",
    "portable",
    "gsm",
    "whatsapp",
    "sms",
    "contact number",
    "work phone",
    "home phone",
    "office phone",
    "tlf",
    "puh",
)
_LABELS = frozenset(PHONE_LABELS)
_LABEL_SUFFIXES = frozenset(("no", "nr", "number", "num", "#"))  # "Phone no.", "Tel nr", "Phone #"
_LABEL_PUNCTUATION = ":.#-"
_LABEL_WINDOW = 40  # characters before a candidate searched for its label
_NON_DIGIT = re.compile(r"\D")
# Without a country code, fewer digits than this is a local number, or a house
# number next to a street number: not something to flag (unless a label says phone).
_MIN_NATIONAL_DIGITS = 8
_MIN_LABELLED_DIGITS = 7  # a local number (555-0199) after "Phone:"
_POSSIBLE = (phonenumbers.ValidationResult.IS_POSSIBLE, phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY)
_CACHE_SIZE = 8192  # distinct candidate strings remembered per engine


_NUMBER_TYPES = (
    "fixed_line",
    "mobile",
    "toll_free",
    "premium_rate",
    "shared_cost",
    "personal_number",
    "voip",
    "pager",
    "uan",
    "voicemail",
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
    alternatives = "|".join(
        f"(?:{d.national_number_pattern})" for d in types if d is not None and d.national_number_pattern
    )
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
        if stripped and stripped.end() and pattern.fullmatch(digits[stripped.end() :]):
            return True
    return False


def _number_to_parse(candidate: str) -> tuple[str, str]:
    """The candidate without its extension, with an international call prefix (00 in most
    of the world, 011 from North America) written as "+", and its digits."""
    number = _EXTENSION.sub("", candidate)
    digits = _NON_DIGIT.sub("", number)
    if not number.startswith("+") and (digits.startswith("00") or digits.startswith("011")):
        number = "+" + digits[3:] if digits.startswith("011") else "+" + digits[2:]
    return number, digits


_GROUPS = re.compile(r"\d+")


def postcode_shaped(number: str) -> bool:
    """Whether a national candidate is two digit groups, one of five digits, not starting
    with 0: the shape of a ZIP+4 code ("90210-1234"), a postcode next to a house number
    ("4521 90210", "90210 4521") or a 5 + 4 reference."""
    groups = _GROUPS.findall(number)
    return len(groups) == 2 and groups[0][0] != "0" and any(len(g) == 5 for g in groups)


def _grouped_as_in(number: str, region: str) -> bool:
    """Whether ``number`` (national, with separators) is a valid number of ``region`` whose
    digit groups are the ones that region writes (phonenumbers' EXACT_GROUPING leniency,
    which knows the alternate formats: "0207 946 0958" as well as "020 7946 0958").

    A 5 + 4 digit run ("83972 1976": an order number, a ZIP+4 code, a postcode and a
    house number) can be a valid national number of some region, but nobody there
    groups it that way."""
    matches = phonenumbers.PhoneNumberMatcher(number, region, leniency=phonenumbers.Leniency.EXACT_GROUPING)
    return any(match.start == 0 and match.end == len(number) for match in matches)


def labelled(text: str, start: int) -> bool:
    """Whether a phone label ("Phone:", "Mobile", "Fax:", "Tel.", "Phone no.", "Cell (work):")
    ends right before ``start``: the last one or two words before it, punctuation stripped,
    are one of ``PHONE_LABELS``. (Word lists, not a regex search: this runs per candidate.)"""
    before = text[max(0, start - _LABEL_WINDOW) : start].rstrip().rstrip(_LABEL_PUNCTUATION).rstrip()
    if before.endswith(")"):  # "Phone (work):"
        before = before[: before.rfind("(")].rstrip()
    words = before.lower().rsplit(None, 3)[-3:]
    if words and words[-1].rstrip(_LABEL_PUNCTUATION) in _LABEL_SUFFIXES:
        words.pop()
    if not words:
        return False
    last = words[-1].rstrip(_LABEL_PUNCTUATION)
    if last in _LABELS:
        return True
    return len(words) > 1 and f"{words[-2]} {last}" in _LABELS


class PhoneRecognizer(Recognizer):
    """Valid phone numbers: ``+`` notation LIKELY, grouped national POSSIBLE, bare digits UNLIKELY;
    any possible number right after a phone label LIKELY."""

    info_types = ("PHONE_NUMBER",)
    min_digit_run = 2
    min_digits = 7
    # The same seven-digit cluster as ``min_digits``, as a gate: the Hyperscan prefilter then
    # keeps it beside the candidate pattern below (it drops ``min_digits`` when a recognizer
    # gives patterns); the pure-Python path tests it twice, to the same effect.
    gate = r"\d(?:[ \-./()]{0,2}\d){6}"
    prefilter_patterns = (_CANDIDATE_START,)
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
        self._possible = functools.lru_cache(maxsize=_CACHE_SIZE)(self._possible_uncached)
        for region in self.regions:  # load phonenumbers' lazy metadata now, not on the first text
            phonenumbers.is_valid_number(phonenumbers.parse("1234567", region))

    def _regions_for(self, digits: str) -> Iterator[str]:
        """The configured regions whose general number pattern these digits (with or without the
        national prefix) fit: phonenumbers' own metadata, used as a cheap filter before parsing.
        Lazily, in order: most numbers are valid for the first region that fits."""
        return (region for region, prefix, pattern in self._shapes if _fits(digits, prefix, pattern))

    def _valid_uncached(self, candidate: str) -> bool:
        number, digits = _number_to_parse(candidate)
        regions: Iterable[str | None]
        if number.startswith("+"):
            if number[1:2] == "0":
                # no country calling code starts with 0: phonenumbers rejects "+0..." when parsing
                return False
            regions = (None,)
        else:
            regions = self._regions_for(digits)
            if postcode_shaped(number):  # the groups must be the region's own
                return any(_grouped_as_in(number, region) for region in regions)
        for region in regions:
            try:
                parsed = phonenumbers.parse(number, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(parsed):
                return True
        return False

    def _possible_uncached(self, candidate: str) -> bool:
        """A labelled number: a possible number (length rules, local-only numbers included)
        for its own +country code or for one of the configured regions."""
        number, _ = _number_to_parse(candidate)
        if number.startswith("+"):
            regions: Iterable[str | None] = () if number[1:2] == "0" else (None,)
        else:
            regions = self.regions
        for region in regions:
            try:
                parsed = phonenumbers.parse(number, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_possible_number_with_reason(parsed) in _POSSIBLE:
                return True
        return False

    def find(
        self, text: str, claimed: Sequence[tuple[int, int]] = (), floor: Likelihood = Likelihood.VERY_UNLIKELY
    ) -> Iterator[Finding]:
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
            if labelled(text, start):
                # the label says phone: judged by the possible-number rules
                if len(_NON_DIGIT.sub("", candidate)) >= _MIN_LABELLED_DIGITS and self._possible(candidate):
                    yield Finding(start, end, "PHONE_NUMBER", Likelihood.LIKELY)
                continue
            if not international and sum(c.isdigit() for c in candidate) < _MIN_NATIONAL_DIGITS:
                continue
            if international:
                level = Likelihood.LIKELY
            elif candidate.isdigit():  # a bare digit run is many things; context decides
                level = Likelihood.UNLIKELY
            else:
                level = Likelihood.POSSIBLE
            if level < floor:
                continue
            if not international and beside_street_name(text, start, end):
                continue  # a house number or postcode ("4521 90210 Oak Street")
            if not self._valid(candidate):  # (parsing is the expensive part)
                continue
            yield Finding(start, end, "PHONE_NUMBER", level)
