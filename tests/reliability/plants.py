"""Planted PII values for the reliability fuzz, and the forms in which a leak of one is searched.

Every value is valid for its kind (Luhn-valid card numbers, IBANs with correct check
digits, US SSNs outside the never-issued ranges, phone numbers ``phonenumbers`` accepts,
public IP addresses, capitalised "Firstname Lastname" names), so a detector that misses
one has missed real PII, not a malformed lookalike. Values are built from a seed
(drawn by hypothesis), so a run is reproducible.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass

import phonenumbers
from faker import Faker
from stdnum import iban as stdnum_iban
from stdnum.us import ssn as stdnum_ssn

KINDS = ("email", "card", "iban", "ssn", "phone", "ip", "name")
# kinds whose digits, with any separators removed, identify the value
NUMERIC_KINDS = {"card", "iban", "ssn", "phone"}
MIN_DIGITS_FORM = 8  # shorter digit runs occur by chance in any output

_FAKER = Faker(["en_US", "en_GB", "de_DE", "fr_FR"])
_DOMAINS = ("LeakMail.com", "postbox.net", "Corp-Mail.de", "example-shop.co.uk", "uni.edu")
_FULL_WIDTH = {c: chr(ord(c) + 0xFEE0) for c in "0123456789@."}


@dataclass(frozen=True)
class Plant:
    """A PII value written into the input, where it was put, and whether anonymized/ may keep it."""

    kind: str
    value: str
    position: str
    may_pass_anonymized: bool = (
        False  # in a declared field that is not PII (group_by): records keep it by design
    )

    def forms(self) -> set[str]:
        """Lower-cased forms searched for in lower-cased output: exact, NFKC, and an email's
        ``local@domainlabel`` stem (what is left when a key is split at its dots)."""
        found = {self.value.lower(), unicodedata.normalize("NFKC", self.value).lower()}
        plain = unicodedata.normalize("NFKC", self.value).lower()
        if self.kind == "email":
            local, _, domain = plain.partition("@")
            found.add(f"{local}@{domain.split('.')[0]}")
        return found

    def digit_form(self) -> str | None:
        """The digits only (card, IBAN, SSN, phone), when long enough not to occur by chance."""
        if self.kind not in NUMERIC_KINDS:
            return None
        digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", self.value))
        return digits if len(digits) >= MIN_DIGITS_FORM else None


def _luhn_complete(partial: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(partial)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return partial + str((10 - total % 10) % 10)


def card(rng: random.Random) -> str:
    prefix, length = rng.choice([("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("37", 15), ("6011", 16)])
    digits = _luhn_complete(
        prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    )
    style = rng.random()
    if style < 0.5 or length != 16:
        return digits
    sep = " " if style < 0.75 else "-"
    return sep.join(digits[i : i + 4] for i in range(0, 16, 4))


def _iban_check(country: str, bban: str) -> str:
    moved = bban + country + "00"
    number = int("".join(str(int(ch, 36)) for ch in moved))
    return f"{98 - number % 97:02d}"


def iban(rng: random.Random) -> str:
    while True:
        value = _iban(rng)
        if stdnum_iban.is_valid(value):  # national check digits too (NL's account number test)
            return value


def _iban(rng: random.Random) -> str:
    country = rng.choice(["DE", "NL", "GB", "AT"])
    if country == "DE":
        bban = "".join(rng.choice("0123456789") for _ in range(18))
    elif country == "NL":
        bban = rng.choice(["ABNA", "RABO", "INGB"]) + "".join(rng.choice("0123456789") for _ in range(10))
    elif country == "GB":
        bban = rng.choice(["NWBK", "BARC", "HBUK"]) + "".join(rng.choice("0123456789") for _ in range(14))
    else:
        bban = "".join(rng.choice("0123456789") for _ in range(16))
    compact = country + _iban_check(country, bban) + bban
    if rng.random() < 0.3:
        return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
    return compact


def ssn(rng: random.Random) -> str:
    while True:
        area = rng.choice([a for a in range(1, 900) if a != 666])
        value = f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"
        if stdnum_ssn.is_valid(value):
            return value


def phone(rng: random.Random) -> str:
    formats = [phonenumbers.PhoneNumberFormat.INTERNATIONAL, phonenumbers.PhoneNumberFormat.E164]
    while True:
        region, prefix, rest = rng.choice(
            [
                ("US", "+1", ["212", "415", "617", "312", "206"]),
                ("GB", "+44", ["20", "161", "131"]),
                ("DE", "+49", ["30", "89", "40"]),
            ]
        )
        body = rng.choice(rest) + "".join(rng.choice("23456789") for _ in range(10 - len(rng.choice(rest))))
        number = phonenumbers.parse(prefix + body, region)
        if phonenumbers.is_valid_number(number):
            if region == "US" and rng.random() < 0.4:
                return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
            return phonenumbers.format_number(number, rng.choice(formats))


def ip(rng: random.Random) -> str:
    if rng.random() < 0.25:
        return "2a02:" + ":".join(f"{rng.randint(1, 0xFFFF):x}" for _ in range(7))
    return f"{rng.choice([23, 45, 81, 91, 142, 185, 203])}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def name(rng: random.Random) -> str:
    _FAKER.seed_instance(rng.randint(0, 2**31))
    while True:
        first, last = _FAKER.first_name(), _FAKER.last_name()
        if " " not in first + last and "-" not in first + last and len(first) > 2 and len(last) > 2:
            return f"{first} {last}"


def email(rng: random.Random) -> str:
    _FAKER.seed_instance(rng.randint(0, 2**31))
    local = (
        unicodedata.normalize("NFKD", f"{_FAKER.first_name()}.{_FAKER.last_name()}")
        .encode("ascii", "ignore")
        .decode()
    )
    local = re.sub(r"[^A-Za-z.]", "", local).strip(".") or "someone"
    return f"{local}{rng.randint(1, 9999)}@{rng.choice(_DOMAINS)}"


def full_width(value: str) -> str:
    """The value in Unicode full-width forms (``＠``, full-width digits), as pasted from CJK text."""
    return "".join(_FULL_WIDTH.get(c, c) for c in value)


MAKERS = {"email": email, "card": card, "iban": iban, "ssn": ssn, "phone": phone, "ip": ip, "name": name}


def make(kind: str, seed: int, position: str, *, may_pass_anonymized: bool = False) -> Plant:
    value = MAKERS[kind](random.Random(seed))
    if kind in ("email", "card") and seed % 11 == 0:
        value = full_width(value)
    return Plant(kind, value, position, may_pass_anonymized)
