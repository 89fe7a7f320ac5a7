"""CREDIT_CARD_NUMBER, IBAN_CODE, SWIFT_CODE, US_BANK_ROUTING_MICR and FINANCIAL_ACCOUNT_NUMBER.

Card numbers must pass Luhn *and* fall in an issuer's prefix range with that
issuer's length (a Luhn-valid 16-digit order number starting with 9 is not a
card), unless a card word stands next to them: then any Luhn-valid 12 to 19
digit number is a card (issuer tables age; ``CardRecognizer``). IBANs are
checked by ``stdnum.iban`` (mod 97, country length and BBAN structure);
because IBANs are written in groups, the candidate is cut back at group
boundaries until a valid IBAN remains, so words after it never stick.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from stdnum import bic as _bic
from stdnum import iban as _iban
from stdnum.us import rtn as _rtn

from veilwatch.transforms.detection.findings import Finding, Likelihood
from veilwatch.transforms.detection.recognizer import Recognizer, RegexRecognizer, Validator
from veilwatch.transforms.detection.validators import digits_of, luhn_valid

# (prefix range low, high, allowed lengths) per issuer; prefixes compared on
# the first len(str(low)) digits. Sources: ISO/IEC 7812 issuer ranges as
# published by the networks (Visa, Mastercard incl. 2-series, Amex, Discover,
# Diners, JCB, UnionPay, Maestro, Mir, RuPay, UATP).
_ISSUER_RANGES: tuple[tuple[int, int, frozenset[int]], ...] = (
    (4, 4, frozenset({13, 16, 19})),  # Visa
    (51, 55, frozenset({16})),  # Mastercard
    (2221, 2720, frozenset({16})),  # Mastercard 2-series
    (34, 34, frozenset({15})),  # American Express
    (37, 37, frozenset({15})),
    (6011, 6011, frozenset({16, 17, 18, 19})),  # Discover
    (644, 649, frozenset({16, 17, 18, 19})),
    (65, 65, frozenset({16, 17, 18, 19})),
    (300, 305, frozenset({14, 15, 16, 17, 18, 19})),  # Diners Club
    (36, 36, frozenset({14, 15, 16, 17, 18, 19})),
    (38, 39, frozenset({14, 15, 16, 17, 18, 19})),
    (3528, 3589, frozenset({16, 17, 18, 19})),  # JCB
    (62, 62, frozenset({16, 17, 18, 19})),  # UnionPay
    (50, 50, frozenset(range(12, 20))),  # Maestro
    (56, 69, frozenset(range(12, 20))),
    (2200, 2204, frozenset({16, 17, 18, 19})),  # Mir
    (60, 60, frozenset({16})),  # RuPay
    (81, 82, frozenset({16})),
    (1, 1, frozenset({15})),  # UATP
)


# (prefix digits, low, high, lengths): the ranges with their prefix length worked out once
_ISSUER_CHECKS = tuple((len(str(low)), low, high, lengths) for low, high, lengths in _ISSUER_RANGES)


def issuer_known(digits: str) -> bool:
    """Whether ``digits`` starts with a card issuer's prefix and has that issuer's length."""
    length = len(digits)
    for size, low, high, lengths in _ISSUER_CHECKS:
        if length in lengths and low <= int(digits[:size]) <= high:
            return True
    return False


def credit_card_valid(text: str) -> bool:
    """Luhn checksum and a known issuer range/length."""
    digits = digits_of(text)
    return 12 <= len(digits) <= 19 and issuer_known(digits) and luhn_valid(digits)


# 12-19 digits, compact or in groups separated by one space, dash or dot (the same
# all along); the separator is not optional inside the grouped branch so a
# long digit run cannot be split many ways (no catastrophic backtracking)
_CARD_PATTERN = r"(?:\d{12,19}|\d{4}([ \-.])\d{2,7}(?:\1\d{1,7}){1,4})(?![\w]|[\-.]\d)"
_CARD_GATE = r"\d{4}[ \-.]?\d{4}"

#: words that say "payment card" next to a number (lower case, whole words)
CARD_CONTEXT_WORDS = (
    "card",
    "cards",
    "credit",
    "debit",
    "cc",
    "visa",
    "mastercard",
    "amex",
    "jcb",
    "discover",
    "diners",
    "maestro",
    "unionpay",
    "rupay",
    "cvv",
    "cvc",
    "karte",
    "kreditkarte",
    "carte",
    "tarjeta",
    "cartão",
    "carta",
    "kaart",
    "creditcard",
    "kort",
    "kortti",
    "karta",
)
_CARD_CONTEXT = re.compile(r"(?<!\w)(?:" + "|".join(CARD_CONTEXT_WORDS) + r")(?!\w)", re.IGNORECASE)
# how far before and after a number a card word counts (the hotword window of CREDIT_CARD_NUMBER)
_CARD_CONTEXT_BEFORE = 40
_CARD_CONTEXT_AFTER = 15


_OTHER_NUMBER = re.compile(r"\d{3}|\n")
_DIGIT = re.compile(r"\d")


def card_context_near(text: str, start: int, end: int) -> bool:
    """Whether a card word stands within the window before ``start`` or after ``end``, on the
    same line, with no other number between it and this one (the card word of "card 4111...
    invoice 7436676402067" belongs to the first number, not to the invoice number), and a
    word after the number followed by no number of its own."""
    words = list(_CARD_CONTEXT.finditer(text, max(0, start - _CARD_CONTEXT_BEFORE), start))
    if words and not _OTHER_NUMBER.search(text, words[-1].end(), start):
        return True
    # after the number, the word must not be the label of the next number ("... credit card 4788 ...")
    word = _CARD_CONTEXT.search(text, end, min(len(text), end + _CARD_CONTEXT_AFTER))
    return (
        word is not None
        and not _OTHER_NUMBER.search(text, end, word.start())
        and not _DIGIT.search(text, word.end(), word.end() + _CARD_CONTEXT_AFTER)
    )


class CardRecognizer(Recognizer):
    """Card numbers: Luhn-valid, and either in an issuer's range with its length, or
    (any prefix, 12 to 19 digits) with a card word near them.

    Issuer tables age (JCB's 15-digit 2131 range, new co-brands, private-label and
    regional networks), so a Luhn-valid number with a card word next to it
    (``CARD_CONTEXT_WORDS``, see :func:`card_context_near`) is a card whatever its
    prefix; without a card word the issuer rule alone decides (a Luhn-valid order
    number is not a card). Both are LIKELY; the CREDIT_CARD_NUMBER hotwords raise them."""

    info_types = ("CREDIT_CARD_NUMBER",)
    likelihood = Likelihood.LIKELY
    gate = _CARD_GATE
    min_digit_run = 4
    min_digits = 12
    _pattern = re.compile(_CARD_PATTERN)
    prefilter_patterns = ((_CARD_PATTERN, 0),)

    def find(self, text: str) -> Iterator[Finding]:
        for match in self._pattern.finditer(text):
            start, end = match.span()
            if start and (text[start - 1].isalnum() or text[start - 1] in "_-."):
                continue
            digits = digits_of(match.group())
            if not 12 <= len(digits) <= 19 or not luhn_valid(digits):
                continue
            if issuer_known(digits) or card_context_near(text, start, end):
                yield Finding(start, end, "CREDIT_CARD_NUMBER", Likelihood.LIKELY)


# Anchored on the two check digits (digits are rarer than letters, so the regex
# engine skips ahead faster); the country code is checked by the look-behind and
# the match is widened by two characters in Python.
_IBAN_CANDIDATE = re.compile(
    r"\d\d(?:(?<=[A-Z]{2}\d\d)|(?<=[a-z]{2}\d\d)|(?<=[A-Z]{2} \d\d)|(?<=[a-z]{2} \d\d))"
    r"(?:[ \-.]?[A-Za-z0-9]){10,32}"
)
_SEPARATORS = re.compile(r"[ \-.]")
_GROUP_END = re.compile(r"(?=[ \-.])|$")


def _iban_lengths() -> dict[str, int]:
    """Country code -> IBAN length, from python-stdnum's IBAN registry (``4!a6!n8!n`` -> 4 + 18)."""
    lengths = {}
    for _, code, _, info, _ in _iban._ibandb.prefixes:
        bban = info.get("bban")
        if bban:
            lengths[code] = 4 + sum(int(n) for n in re.findall(r"(\d+)!", bban))
    return lengths


_IBAN_LENGTHS = _iban_lengths()


def _iban_prefilter_patterns() -> tuple[tuple[str, int], ...]:
    """The candidate as ``IbanRecognizer.find`` accepts it, for the Hyperscan prefilter: a
    known country code (any case: a superset) not right after a letter, digit or ``_-.``,
    then the check digits and the BBAN. The codes are written by first letter
    (``A[DELTZ]``) and split over two patterns, each short enough for the prefilter."""
    by_letter: dict[str, str] = {}
    for code in sorted(_IBAN_LENGTHS):
        by_letter[code[0]] = by_letter.get(code[0], "") + code[1]
    codes = [letter + (f"[{rest}]" if len(rest) > 1 else rest) for letter, rest in by_letter.items()]
    half = len(codes) // 2
    return tuple(
        (r"(?:^|[^\w\-.])(?:" + "|".join(part) + r") ?\d\d(?:[ \-.]?[A-Za-z0-9]){10,32}", re.IGNORECASE)
        for part in (codes[:half], codes[half:])
    )


class IbanRecognizer(Recognizer):
    """IBANs, compact or grouped; the longest valid prefix ending at a group boundary wins."""

    info_types = ("IBAN_CODE",)
    min_digit_run = 2
    prefilter_patterns = _iban_prefilter_patterns()

    def find(self, text: str) -> Iterator[Finding]:
        # The candidate regex is greedy across single separators, so one candidate can run
        # over the words after it and swallow the next IBAN ("ssn 201-41-7101 DE02...":
        # the candidate starts at "sn 20" and ends at the IBAN's end). The search therefore
        # resumes right after a rejected candidate's start, and after a found IBAN's end,
        # instead of after the whole candidate.
        search = _IBAN_CANDIDATE.search
        position = 0
        while True:
            match = search(text, position)
            if match is None:
                return
            found = self._validated(text, match)
            if found is None:
                position = match.start() + 1
            else:
                yield found
                position = found.end

    @staticmethod
    def _validated(text: str, match: re.Match) -> Finding | None:
        """The valid IBAN that starts with ``match`` (cut back to its country's length), or None."""
        start = match.start() - (3 if text[match.start() - 1] == " " else 2)
        if start and (text[start - 1].isalnum() or text[start - 1] in "_-."):
            return None
        head = match.start() - start  # country code, and the space after it if any
        candidate = text[start : match.end()]
        expected = _IBAN_LENGTHS.get(candidate[:2].upper())
        if expected is None:
            return None
        # upper or lower case throughout: "LV80 bANK ..." is not how an IBAN is written;
        # a separator left at the end by that cut is not part of the IBAN
        lower = candidate[0].islower()
        candidate = (candidate[:head] + _cut_at_case_change(candidate[head:], lower)).rstrip(" -.")
        # cut back at group boundaries to the country's IBAN length, then validate once
        for end in sorted({m.start() for m in _GROUP_END.finditer(candidate)}, reverse=True):
            piece = candidate[:end]
            size = len(_SEPARATORS.sub("", piece))
            if size < expected:
                return None
            if size == expected and _mod97_ok(piece) and _iban_valid(piece):
                return Finding(start, start + end, "IBAN_CODE", Likelihood.LIKELY)
        return None


def _cut_at_case_change(rest: str, lower: bool) -> str:
    """``rest`` up to the first letter in the other case than the country code."""
    for i, char in enumerate(rest):
        if char.isalpha() and char.islower() != lower:
            return rest[:i]
    return rest


# each ASCII letter or digit as the number ISO 13616 reads it (A = 10 ... Z = 35, either case)
_BASE36 = {ord(c): str(int(c, 36)) for c in "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"}


def _mod97_ok(text: str) -> bool:
    """ISO 7064 mod 97-10 over the rearranged IBAN: a cheap prefilter before stdnum's
    full check (country length, BBAN structure, national check digits)."""
    compact = _SEPARATORS.sub("", text)
    rearranged = compact[4:] + compact[:4]
    if rearranged.isascii() and rearranged.isalnum():  # one translate instead of int() per character
        return int(rearranged.translate(_BASE36)) % 97 == 1
    try:
        return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1
    except ValueError:
        return False


def _iban_valid(text: str) -> bool:
    try:
        return _iban.is_valid(text)
    except Exception:
        return False


def _swift_valid(text: str) -> bool:
    try:
        return _bic.is_valid(text)
    except Exception:
        return False


class SwiftRecognizer(Recognizer):
    """BIC/SWIFT codes: valid layout and country. Letters-only 8/11-letter words are
    everywhere in upper-case text, so those are UNLIKELY unless context says "SWIFT"/"BIC";
    a digit in the location/branch code or the ``XXX`` branch makes it POSSIBLE."""

    info_types = ("SWIFT_CODE",)
    gate = r"[A-Z]{6}[A-Z0-9]{2}"
    _pattern = re.compile(r"[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?(?![\w])")
    prefilter_patterns = ((_pattern.pattern, 0),)

    def find(self, text: str) -> Iterator[Finding]:
        for match in self._pattern.finditer(text):
            if match.start() and (text[match.start() - 1].isalnum() or text[match.start() - 1] == "_"):
                continue
            code = match.group()
            if not _swift_valid(code):
                continue
            distinctive = any(c.isdigit() for c in code[6:]) or code.endswith("XXX")
            yield Finding(
                match.start(),
                match.end(),
                "SWIFT_CODE",
                Likelihood.POSSIBLE if distinctive else Likelihood.UNLIKELY,
            )


# First two digits of a routing number: Federal Reserve districts 00-12,
# thrift institutions 21-32, electronic 61-72, traveler's cheques 80.
_RTN_PREFIX = frozenset([f"{i:02d}" for i in (*range(0, 13), *range(21, 33), *range(61, 73), 80)])


def routing_valid(text: str) -> bool:
    """ABA routing number: Fed prefix range and the 3-7-1 weighted check digit (stdnum.us.rtn)."""
    digits = digits_of(text)
    try:
        return digits[:2] in _RTN_PREFIX and _rtn.is_valid(digits)
    except Exception:
        return False


ROUTING = [
    # MICR-style grouping (0711-0130-7) is distinctive on its own
    RegexRecognizer(
        "US_BANK_ROUTING_MICR",
        r"\d{4}-\d{4}-\d(?![\w\-])",
        likelihood=Likelihood.POSSIBLE,
        validator=routing_valid,
        gate=r"\d{4}-\d{4}-\d",
        min_digit_run=4,
        min_digits=9,
        not_after="-",
    ),
    # (nine bare digits are many things: see BARE_ROWS, context decides)
]

#: bare nine-digit routing numbers, for the shared BareNumberRecognizer
BARE_ROWS: list[tuple[str, frozenset[int], Validator, Likelihood]] = [
    ("US_BANK_ROUTING_MICR", frozenset({9}), routing_valid, Likelihood.UNLIKELY)
]


#: words that label a number as a bank account number (lower case, whole words)
ACCOUNT_CONTEXT_WORDS = (
    "account",
    "accounts",
    "acct",
    "acc",
    "a/c",
    "account no",
    "account number",
    "acct#",
    "acct no",
    "bank account",
    "checking",
    "chequing",
    "savings",
    "kontonummer",
    "konto",
    "compte",
    "cuenta",
    "conto",
    "rekeningnummer",
    "rekening",
)
_ACCOUNT_CONTEXT = re.compile(
    r"(?<!\w)(?:"
    + "|".join(
        sorted((re.escape(w).replace(r"\ ", r"\s+") for w in ACCOUNT_CONTEXT_WORDS), key=len, reverse=True)
    )
    + r")(?![\w/])",
    re.IGNORECASE,
)
_ACCOUNT_GATE = r"(?i:acc|a/c|checking|chequing|savings|konto|compte|cuenta|conto|rekening)"
assert all(re.search(_ACCOUNT_GATE, w) for w in ACCOUNT_CONTEXT_WORDS), "an account word the gate misses"
_ACCOUNT_CONTEXT_BEFORE = 30
_ACCOUNT_NUMBER = re.compile(r"\d{8,17}(?![\w]|[\-./]\d)")


class AccountNumberRecognizer(Recognizer):
    """FINANCIAL_ACCOUNT_NUMBER: 8 to 17 bare digits (the range of US bank account
    numbers) right after an account word (``ACCOUNT_CONTEXT_WORDS``: "account",
    "acct", "a/c", "checking", "savings" ...), within 30 characters, on the same line
    and with no other number in between (``"account 12345678"``, ``"Acct #: 000123456789"``).

    An account number has no checksum and no layout of its own, so the word is
    what makes it one: without it nothing is reported (Presidio's US_BANK_NUMBER
    reports every 8 to 17 digit run, which is most order, invoice and phone
    numbers). POSSIBLE, so a card, routing or phone layout on the same digits wins."""

    info_types = ("FINANCIAL_ACCOUNT_NUMBER",)
    likelihood = Likelihood.POSSIBLE
    # every ACCOUNT_CONTEXT_WORDS entry holds one of these: without one, ``find`` yields nothing
    gate = _ACCOUNT_GATE
    min_digit_run = 8
    min_digits = 8
    prefilter_patterns = ((_ACCOUNT_NUMBER.pattern, 0),)

    def find(self, text: str) -> Iterator[Finding]:
        for match in _ACCOUNT_NUMBER.finditer(text):
            start, end = match.span()
            if start and (text[start - 1].isalnum() or text[start - 1] in "_-./"):
                continue
            words = list(_ACCOUNT_CONTEXT.finditer(text, max(0, start - _ACCOUNT_CONTEXT_BEFORE), start))
            if words and not _OTHER_NUMBER.search(text, words[-1].end(), start):
                yield Finding(start, end, "FINANCIAL_ACCOUNT_NUMBER", Likelihood.POSSIBLE)


def recognizers() -> list[Recognizer]:
    """The financial family, in catalog order."""
    return [CardRecognizer(), IbanRecognizer(), SwiftRecognizer(), *ROUTING, AccountNumberRecognizer()]
