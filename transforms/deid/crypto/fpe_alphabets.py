"""Cloud DLP's vocabulary for the FFX/FF1 alphabet of ``cryptoReplaceFfxFpeConfig``.

A DLP config picks the alphabet in exactly one of three ways (a proto
``oneof``):

* ``commonAlphabet``: one of :class:`FfxCommonNativeAlphabet`. DLP documents
  them as ``NUMERIC`` = ``[0-9]`` (radix 10), ``HEXADECIMAL`` = ``[0-9A-F]``
  (16), ``UPPER_CASE_ALPHA_NUMERIC`` = ``[0-9A-Z]`` (36) and
  ``ALPHA_NUMERIC`` = ``[0-9A-Za-z]`` (62), "commonly used subsets of the
  alphabet that the FFX mode natively supports ... each corresponds to a
  particular radix";
* ``customAlphabet``: 2..95 distinct ASCII characters drawn from
  ``0-9A-Za-z``, the space and ``~`!@#$%^&*()_-+={[}]|\\:;"'<,>.?/`` (that is,
  the 95 printable ASCII characters);
* ``radix``: 2..95, "the native way to select the alphabet".

Sources: google-cloud-dlp 3.38.0 (pinned), ``google/cloud/dlp_v2/types/dlp.py``
(``CryptoReplaceFfxFpeConfig`` and its ``FfxCommonNativeAlphabet`` enum), the
same text as the public reference pages, e.g.
https://cloud.google.com/python/docs/reference/dlp/latest/google.cloud.dlp_v2.types.CryptoReplaceFfxFpeConfig.FfxCommonNativeAlphabet

The common alphabets are prefixes of one "native" ordering, ``0-9A-Za-z``, so
``radix: r`` is read here as the first ``r`` characters of that ordering.
DLP does not document the order of characters 63..95 for a bare radix;
veilwatch continues with the punctuation in the order DLP lists the allowed
characters. Digit ``i`` of a custom alphabet is its ``i``-th character (DLP
says "the order of characters does not matter": any order is accepted).

Example::

    >>> resolve_alphabet(common_alphabet="HEXADECIMAL")
    '0123456789ABCDEF'
    >>> resolve_alphabet(radix=12)
    '0123456789AB'
    >>> min_length(len(FfxCommonNativeAlphabet.NUMERIC.alphabet))
    6
"""

from __future__ import annotations

import enum

from veilwatch.transforms.deid.crypto.errors import InvalidParameterError

_DIGITS = "0123456789"
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LOWER = "abcdefghijklmnopqrstuvwxyz"

# Characters DLP allows in a custom alphabet, in the order it lists them
# (space first after the alphanumerics, as in the published list).
DLP_PUNCTUATION = " ~`!@#$%^&*()_-+={[}]|\\:;\"'<,>.?/"
NATIVE_ORDER = _DIGITS + _UPPER + _LOWER + DLP_PUNCTUATION
DLP_ALLOWED_CHARACTERS = frozenset(NATIVE_ORDER)

MIN_DLP_RADIX = 2
MAX_DLP_RADIX = 95  # DLP: custom alphabet / radix "must be in the range [2, 95]"

# The Rev. 1 FF1 minimum domain, repeated here so config validation can tell
# a user the shortest value a radix can encrypt without building a cipher.
_MIN_DOMAIN_SIZE = 1_000_000


class FfxCommonNativeAlphabet(enum.Enum):
    """DLP's ``CryptoReplaceFfxFpeConfig.FfxCommonNativeAlphabet`` (proto numbers as values)."""

    NUMERIC = 1
    HEXADECIMAL = 2
    UPPER_CASE_ALPHA_NUMERIC = 3
    ALPHA_NUMERIC = 4

    @property
    def alphabet(self) -> str:
        return _COMMON[self]

    @property
    def radix(self) -> int:
        return len(_COMMON[self])


_COMMON = {
    FfxCommonNativeAlphabet.NUMERIC: _DIGITS,  # [0-9], radix 10
    FfxCommonNativeAlphabet.HEXADECIMAL: _DIGITS + "ABCDEF",  # [0-9A-F], radix 16
    FfxCommonNativeAlphabet.UPPER_CASE_ALPHA_NUMERIC: _DIGITS + _UPPER,  # [0-9A-Z], radix 36
    FfxCommonNativeAlphabet.ALPHA_NUMERIC: _DIGITS + _UPPER + _LOWER,  # [0-9A-Za-z], radix 62
}


def common_alphabet_chars(name: str | FfxCommonNativeAlphabet) -> str:
    """The characters of a DLP common alphabet, by enum or DLP name."""
    if isinstance(name, FfxCommonNativeAlphabet):
        return name.alphabet
    try:
        return FfxCommonNativeAlphabet[name].alphabet
    except (KeyError, TypeError):
        choices = ", ".join(m.name for m in FfxCommonNativeAlphabet)
        raise InvalidParameterError(f"unknown commonAlphabet; expected one of {choices}") from None


def alphabet_for_radix(radix: int) -> str:
    """The native alphabet DLP's ``radix`` option selects: its first ``radix`` characters."""
    if isinstance(radix, bool) or not isinstance(radix, int) or not MIN_DLP_RADIX <= radix <= MAX_DLP_RADIX:
        raise InvalidParameterError(f"radix must be an integer in [{MIN_DLP_RADIX}, {MAX_DLP_RADIX}]")
    return NATIVE_ORDER[:radix]


def validate_custom_alphabet(alphabet: str) -> str:
    """Check a DLP ``customAlphabet`` and return it unchanged.

    Rules (DLP's): 2..95 characters, each at most once, all printable ASCII.
    Error messages name the rule and never echo characters (the alphabet is
    config, but keeping messages value-free keeps one rule for the package).
    """
    if not isinstance(alphabet, str):
        raise InvalidParameterError("customAlphabet must be a string")
    if not MIN_DLP_RADIX <= len(alphabet) <= MAX_DLP_RADIX:
        raise InvalidParameterError(
            f"customAlphabet must have {MIN_DLP_RADIX} to {MAX_DLP_RADIX} characters, got {len(alphabet)}"
        )
    if len(set(alphabet)) != len(alphabet):
        raise InvalidParameterError("customAlphabet characters must each appear only once")
    if not DLP_ALLOWED_CHARACTERS.issuperset(alphabet):
        raise InvalidParameterError(
            "customAlphabet may only use printable ASCII: 0-9, A-Z, a-z, space and the punctuation "
            + DLP_PUNCTUATION.strip()
        )
    return alphabet


def resolve_alphabet(
    *,
    common_alphabet: str | FfxCommonNativeAlphabet | None = None,
    custom_alphabet: str | None = None,
    radix: int | None = None,
) -> str:
    """The alphabet string for a ``cryptoReplaceFfxFpeConfig``: exactly one option must be set."""
    given = [
        n
        for n, v in (
            ("commonAlphabet", common_alphabet),
            ("customAlphabet", custom_alphabet),
            ("radix", radix),
        )
        if v is not None
    ]
    if len(given) != 1:
        raise InvalidParameterError(
            "set exactly one of commonAlphabet, customAlphabet, radix"
            + (f" (got {', '.join(given)})" if given else "")
        )
    if common_alphabet is not None:
        return common_alphabet_chars(common_alphabet)
    if custom_alphabet is not None:
        return validate_custom_alphabet(custom_alphabet)
    return alphabet_for_radix(radix)  # type: ignore[arg-type]


def min_length(radix: int) -> int:
    """Shortest value FF1 accepts in this radix: >= 2 and radix**n >= 10^6 (SP 800-38G Rev. 1).

    NUMERIC: 6, HEXADECIMAL: 5, UPPER_CASE_ALPHA_NUMERIC: 4, ALPHA_NUMERIC: 4.
    """
    if isinstance(radix, bool) or not isinstance(radix, int) or radix < 2:
        raise InvalidParameterError("radix must be an integer >= 2")
    n = 2
    while radix**n < _MIN_DOMAIN_SIZE:
        n += 1
    return n
