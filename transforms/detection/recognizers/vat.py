"""VAT_NUMBER: country-prefixed VAT numbers validated by python-stdnum.

``stdnum.eu.vat`` covers the EU member states (and XI, Northern Ireland);
Switzerland (CHE ... MWST/TVA/IVA), the UK and Norway (... MVA) have their own
modules. Like IBANs, VAT numbers are written in groups, so the candidate is
cut back at group boundaries until a valid number remains.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from veilwatch.transforms.detection.findings import Finding, Likelihood
from veilwatch.transforms.detection.recognizer import Recognizer
from veilwatch.transforms.detection.validators import stdnum_validator

_EU = stdnum_validator("eu.vat")
_BY_PREFIX = {
    "CHE": stdnum_validator("ch.vat"),
    "GB": stdnum_validator("gb.vat"),
    "NO": stdnum_validator("no.mva"),
}
_NO_MVA = _BY_PREFIX["NO"]

_PREFIXES = "CHE|AT|BE|BG|CY|CZ|DE|DK|EE|EL|ES|FI|FR|GB|GR|HR|HU|IE|IT|LT|LU|LV|MT|NL|NO|PL|PT|RO|SE|SI|SK|XI"
_PREFIX_SET = frozenset(_PREFIXES.split("|"))
# Upper-case letters, then a digit within the next few characters: VAT numbers
# are digit-heavy, and requiring one keeps ordinary words out cheaply. The
# pattern starts with a plain character class so the regex engine can skip to
# upper-case letters; whether the letters are a VAT prefix is checked in Python.
_CANDIDATE = re.compile(
    r"[A-Z][A-Z]{1,3}[ \-.]{0,3}\d(?:[ \-.,/]?[0-9A-Z]){5,15}"
    r"(?:[ ](?:MVA|MWST|TVA|IVA))?"
)
_LETTERS = re.compile(r"[A-Z]+")
_MVA_ONLY = re.compile(r"\d{3} ?\d{3} ?\d{3} ?MVA(?!\w)")
_BOUNDARY = re.compile(r"(?=[ \-.,/])|$")


def _validator(candidate: str):
    prefix = candidate[:3].upper()
    if prefix == "CHE":
        return _BY_PREFIX["CHE"]
    return _BY_PREFIX.get(prefix[:2], _EU)


def _valid(piece: str) -> bool:
    """Whether ``piece`` is a valid VAT number for its prefix (python-stdnum)."""
    return _validator(piece)(piece)


_CACHE_SIZE = 4096  # distinct pieces remembered per engine: IBAN-like groups are cut and tried repeatedly


class VatRecognizer(Recognizer):
    """VAT numbers with their country prefix (and Norwegian ``... MVA``)."""

    info_types = ("VAT_NUMBER",)
    min_digit_run = 1
    # the candidate starting with a known prefix (a superset: the Python checks are stricter)
    prefilter_patterns = (
        (f"(?:{_PREFIXES})[A-Z]{{0,2}}[ \\-.]{{0,3}}\\d", 0),
        (_MVA_ONLY.pattern, 0),
    )
    min_digits = 5  # the shortest bodies (old Irish layout 1S23456L) still hold five digits in a row

    def __init__(self) -> None:
        self._valid = functools.lru_cache(maxsize=_CACHE_SIZE)(_valid)

    def find(self, text: str) -> Iterator[Finding]:
        for match in _CANDIDATE.finditer(text):
            candidate, start = match.group(), match.start()
            if start and (text[start - 1].isalnum() or text[start - 1] in "_-."):
                continue
            prefix = _LETTERS.match(candidate)
            assert prefix is not None, "every candidate starts with letters (_CANDIDATE)"
            letters = prefix.group()
            if not (letters[:3] == "CHE" or (letters[:2] in _PREFIX_SET and len(letters) <= 3)):
                continue
            valid = self._valid
            for end in sorted({m.start() for m in _BOUNDARY.finditer(candidate)}, reverse=True):
                if end < 8:
                    break
                if valid(candidate[:end]):
                    yield Finding(start, start + end, "VAT_NUMBER", Likelihood.LIKELY)
                    break
        for match in _MVA_ONLY.finditer(text):
            start = match.start()
            if start and (text[start - 1].isalnum() or text[start - 1] in "_-."):
                continue
            if _NO_MVA(match.group()):
                yield Finding(match.start(), match.end(), "VAT_NUMBER", Likelihood.LIKELY)


def recognizers() -> list[Recognizer]:
    """The VAT family."""
    return [VatRecognizer()]
