"""Named validators: checksums and format rules, delegated to python-stdnum and the stdlib.

Validators take the matched text (separators included) and return a bool. They
never raise: a scanner sees arbitrary input. Custom infoTypes in a dataset
config name a validator by string:

* ``luhn``, ``iban``, ``credit_card``, ``ip_address``, ``date`` (built-ins below);
* ``stdnum:<module>``: any python-stdnum module with ``is_valid``, e.g.
  ``stdnum:fr.nir`` or ``stdnum:es.nif``.
"""

from __future__ import annotations

import datetime
import importlib
import ipaddress
import re
from collections.abc import Callable

from stdnum import luhn as _luhn

from veilwatch.transforms.detection.recognizer import Validator

_NON_DIGITS = re.compile(r"\D+")


def digits_of(text: str) -> str:
    """The decimal digits (of any script) of ``text``, separators dropped."""
    return _NON_DIGITS.sub("", text)


def stdnum_validator(module_name: str, **options: object) -> Validator:
    """``is_valid`` of ``stdnum.<module_name>``, made total (never raises).

    ``options`` go to the module's ``validate`` (e.g. ``allow_temporary=True``
    for Finnish HETUs). Raises ImportError/AttributeError at build time for an
    unknown module, so a bad config fails before any data is read.
    """
    module = importlib.import_module(f"stdnum.{module_name}")
    if options:
        check = module.validate

        def is_valid(text: str) -> bool:
            check(text, **options)
            return True
    else:
        is_valid = module.is_valid

    def validate(text: str) -> bool:
        try:
            return bool(is_valid(text))
        except Exception:  # stdnum is strict about its input; a scanner must not be
            return False

    validate.__name__ = f"stdnum_{module_name.replace('.', '_')}"
    return validate


# 2 x d with its digits summed, for d = 0..9: what Luhn adds for every second digit from the right
_LUHN_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def luhn_valid(text: str) -> bool:
    """Luhn (mod 10) checksum over the digits of ``text``.

    ASCII digits (what a card candidate holds after the engine's NFKC view) are summed here,
    the same sum as ``stdnum.luhn`` without its generic-alphabet lookups (a third of the time);
    anything else goes to ``stdnum.luhn``, which rejects digits outside its alphabet."""
    digits = digits_of(text)
    if len(digits) < 2:
        return False
    if not digits.isascii():
        return _luhn.is_valid(digits)
    doubled = _LUHN_DOUBLED
    total = sum(map(int, digits[-1::-2])) + sum([doubled[int(d)] for d in digits[-2::-2]])
    return total % 10 == 0


def ip_address_valid(text: str) -> bool:
    """A syntactically valid IPv4 or IPv6 address (IPv6 zone id allowed)."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y", "%m-%d-%Y")


def date_valid(text: str) -> bool:
    """A calendar date in one of the numeric layouts DATE recognises."""
    for fmt in _DATE_FORMATS:
        try:
            datetime.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return True
    return False


def _credit_card(text: str) -> bool:
    from veilwatch.transforms.detection.recognizers.financial import credit_card_valid

    return credit_card_valid(text)


_BUILTIN: dict[str, Callable[[], Validator]] = {
    "luhn": lambda: luhn_valid,
    "iban": lambda: stdnum_validator("iban"),
    "credit_card": lambda: _credit_card,
    "ip_address": lambda: ip_address_valid,
    "date": lambda: date_valid,
}

VALIDATOR_NAMES = tuple(sorted(_BUILTIN)) + ("stdnum:<module>",)


def named_validator(name: str) -> Validator:
    """The validator called ``name``; KeyError when there is none of that name."""
    if name in _BUILTIN:
        return _BUILTIN[name]()
    if name.startswith("stdnum:"):
        module = name.split(":", 1)[1]
        if not re.fullmatch(r"[a-z_]+(\.[a-z_]+)?", module):
            raise KeyError(name)
        try:
            return stdnum_validator(module)
        except (ImportError, AttributeError) as exc:
            raise KeyError(name) from exc
    raise KeyError(name)
