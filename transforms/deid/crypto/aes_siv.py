"""Deterministic authenticated encryption with AES-SIV (RFC 5297).

AES-SIV is what Cloud DLP's ``cryptoDeterministicConfig`` uses: the same
plaintext, key and associated data always give the same ciphertext, so tokens
stay joinable across runs, and the 16-byte synthetic IV doubles as an
authentication tag, so a modified or foreign token is rejected on decryption
instead of decrypting to garbage.

This is a thin wrapper over ``cryptography``'s ``AESSIV`` (OpenSSL), which
passes the RFC 5297 appendix vectors and Wycheproof ``aes_siv_cmac``. It adds
what the primitives need: key-size and type checks with messages that never
show key bytes, one error type for failed authentication, and a refusal to be
pickled.

Output layout is RFC 5297's ``SIV || C`` (16 + len(plaintext) bytes). The key
is 32, 48 or 64 bytes: K1 (S2V/CMAC) followed by K2 (CTR), so AES-SIV-256
uses two AES-128 keys.

Example::

    >>> siv = AesSiv(bytes(range(32)))
    >>> token = siv.encrypt(b"alice@example.com", [b"email"])
    >>> token == siv.encrypt(b"alice@example.com", [b"email"])
    True
    >>> siv.decrypt(token, [b"email"])
    b'alice@example.com'
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESSIV

from veilwatch.transforms.deid.crypto.errors import AuthenticationError, InvalidInputError, InvalidKeyError

AES_SIV_KEY_SIZES = (32, 48, 64)
SIV_SIZE = 16
# RFC 5297 section 7: S2V takes at most 126 associated-data components
# (the plaintext is the 127th); OpenSSL enforces the same bound.
MAX_ASSOCIATED_DATA = 126


class AesSiv:
    """AES-SIV for one key. Stateless between calls and safe across threads."""

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, (bytes, bytearray, memoryview)):
            raise InvalidKeyError("AES-SIV key must be bytes")
        key = bytes(key)
        if len(key) not in AES_SIV_KEY_SIZES:
            raise InvalidKeyError(
                f"AES-SIV key must be 32, 48 or 64 bytes (two AES keys), got {len(key)} bytes"
            )
        self._aead = AESSIV(key)

    def encrypt(self, plaintext: bytes, associated_data: Sequence[bytes] = ()) -> bytes:
        """Return ``SIV || ciphertext`` for ``plaintext`` bound to ``associated_data``.

        Each associated-data string is a separate S2V component: ``[a, b]``
        and ``[a + b]`` give different tokens. For RFC 5297's nonce-based use
        pass the nonce as the last component.
        """
        ad = _check_associated_data(associated_data)
        if not isinstance(plaintext, (bytes, bytearray, memoryview)):
            raise InvalidInputError("AES-SIV plaintext must be bytes")
        return self._aead.encrypt(bytes(plaintext), ad)

    def decrypt(self, ciphertext: bytes, associated_data: Sequence[bytes] = ()) -> bytes:
        """Verify and decrypt ``SIV || ciphertext``.

        Raises :class:`AuthenticationError` if the token was not made by this
        key with this associated data (or was modified).
        """
        ad = _check_associated_data(associated_data)
        if not isinstance(ciphertext, (bytes, bytearray, memoryview)):
            raise InvalidInputError("AES-SIV ciphertext must be bytes")
        if len(ciphertext) < SIV_SIZE:
            raise AuthenticationError(f"AES-SIV ciphertext shorter than the {SIV_SIZE}-byte SIV")
        try:
            return self._aead.decrypt(bytes(ciphertext), ad)
        except InvalidTag:
            raise AuthenticationError(
                "AES-SIV authentication failed: wrong key or associated data, or a modified token"
            ) from None

    def __repr__(self) -> str:  # never shows the key
        return "AesSiv()"

    def __reduce__(self) -> tuple:  # refuse to serialize key material
        raise TypeError("AesSiv holds key material and cannot be pickled; build it in DoFn.setup()")


def _check_associated_data(associated_data: Sequence[bytes]) -> list[bytes] | None:
    if isinstance(associated_data, (bytes, bytearray, str)):
        # A bare bytes value would be iterated as ints: almost surely a bug.
        raise InvalidInputError("AES-SIV associated_data must be a list of bytes strings")
    ad = list(associated_data)
    if len(ad) > MAX_ASSOCIATED_DATA:
        raise InvalidInputError(f"AES-SIV accepts at most {MAX_ASSOCIATED_DATA} associated-data strings")
    for item in ad:
        if not isinstance(item, (bytes, bytearray, memoryview)):
            raise InvalidInputError("AES-SIV associated_data items must be bytes")
    return [bytes(item) for item in ad] or None
