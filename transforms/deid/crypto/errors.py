"""Errors raised by the crypto core.

All of them are ``ValueError`` subclasses so that a primitive transformation
can treat "this value cannot be encrypted" uniformly. Messages describe *what*
is wrong (a length, a radix, a key size in bytes) and never contain key bytes,
plaintext, ciphertext or tweak values: they end up in dead letters and logs.
"""

from __future__ import annotations


class CryptoError(ValueError):
    """Base class for every error of ``veilwatch.transforms.deid.crypto``."""


class InvalidKeyError(CryptoError):
    """The key has an unsupported length or type (its bytes are never shown)."""


class InvalidParameterError(CryptoError):
    """A cipher parameter is unusable: radix, alphabet, maximum lengths."""


class InvalidInputError(CryptoError):
    """A plaintext/ciphertext or tweak is not in the cipher's domain.

    Raised for characters outside the alphabet, digits outside ``[0, radix)``,
    lengths outside ``[min, max]`` and tweaks that are too long.
    """


class DomainTooSmallError(InvalidInputError):
    """``radix ** length`` is below the NIST SP 800-38G Rev. 1 minimum (10^6).

    FF1 over such small domains is insecure (the whole codebook can be
    enumerated or recovered), so Rev. 1 forbids it.
    """


class AuthenticationError(CryptoError):
    """A deterministic-AEAD ciphertext failed authentication (wrong key,
    associated data or a modified token)."""
