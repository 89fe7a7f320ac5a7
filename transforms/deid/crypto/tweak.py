"""DLP's encoding of a context field value into an FF1 / AES-SIV tweak.

``cryptoReplaceFfxFpeConfig`` and ``cryptoDeterministicConfig`` take an
optional ``context`` field whose value makes the token depend on it (the same
card number gets different tokens for different merchants). DLP documents the
bytes it derives from that value: "The tweak is constructed as a sequence of
bytes in big endian byte order such that: a 64 bit integer is encoded followed
by a single byte of value 1; a string is encoded in UTF-8 format followed by a
single byte of value 2". The type byte keeps the integer 7 and the string "7"
apart. Source: google-cloud-dlp 3.38.0, ``CryptoReplaceFfxFpeConfig.context``.

When the context is not configured, or the record has no such field, DLP
uses "a default tweak" it does not document; veilwatch uses the empty tweak
(:data:`DEFAULT_TWEAK`).

Example::

    >>> context_tweak(7).hex()
    '000000000000000701'
    >>> context_tweak("7")
    b'7\\x02'
"""

from __future__ import annotations

from veilwatch.transforms.deid.crypto.errors import InvalidInputError

DEFAULT_TWEAK = b""
_INT_TAG = b"\x01"
_STR_TAG = b"\x02"


def context_tweak(value: int | str | None) -> bytes:
    """Tweak bytes for a context field value (None: the default tweak)."""
    if value is None:
        return DEFAULT_TWEAK
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        # DLP: "the referenced field may be of value type integer or string".
        raise InvalidInputError(f"context field must be an integer or a string, got {type(value).__name__}")
    if isinstance(value, int):
        try:
            return value.to_bytes(8, "big", signed=True) + _INT_TAG
        except OverflowError:
            raise InvalidInputError("integer context field does not fit in 64 bits") from None
    try:
        return value.encode("utf-8") + _STR_TAG
    except UnicodeEncodeError:  # a lone surrogate (JSON can carry "\ud800") has no UTF-8
        raise InvalidInputError(
            "string context field is not valid Unicode (it holds a lone surrogate)"
        ) from None
