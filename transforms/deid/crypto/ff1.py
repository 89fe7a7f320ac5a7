"""FF1 format-preserving encryption (NIST SP 800-38G Rev. 1), on AES.

FF1 enciphers a string of ``n`` digits in base ``radix`` into another string
of ``n`` digits in the same base: a 16-digit card number stays a 16-digit
number, a 12-character alphanumeric id stays one. It is what Cloud DLP's
``cryptoReplaceFfxFpeConfig`` uses, and it is reversible for whoever holds the
key, which is why veilwatch uses it for re-identifiable tokens.

Why this module exists rather than a dependency: no maintained pure-Python
FF1 fits the pinned stack, and the algorithm is short. It is checked against
the NIST SP 800-38G samples and the Wycheproof ``aes_ff1`` suites (radixes 10
to 65536, messages up to 260 digits, edge cases of the integer arithmetic).

Domain rules enforced (each violation raises a subclass of
:class:`~veilwatch.transforms.deid.crypto.errors.CryptoError`, whose message never
contains the key, the value or the tweak):

* key: 16, 24 or 32 bytes (AES-128/192/256);
* radix in ``[2, 65536]``;
* length ``n`` in ``[2, max_length]`` and ``radix ** n >= 1_000_000`` (the
  Rev. 1 minimum domain size; the original FF1 only asked for 100);
* every character in the alphabet / every digit in ``[0, radix)``;
* tweak at most ``max_tweak_len`` bytes.

Implementation notes (SP 800-38G section 6 allows any equivalent steps):
the two Feistel halves are kept as integers for all ten rounds (Wycheproof's
``doc/ff1.md`` formulation) and converted to digits only at the ends; ``b``
is computed with exact integer arithmetic (``(radix**v - 1).bit_length()``),
not floating point logarithms; the CBC-MAC state after ``P`` and the constant
part of ``Q`` (tweak and padding) is computed once per (length, tweak), so a
round usually costs one AES block.

Example::

    >>> key = bytes.fromhex("2B7E151628AED2A6ABF7158809CF4F3C")
    >>> ff1 = FF1(key, radix=10, alphabet="0123456789")
    >>> ff1.encrypt("0123456789")
    '2433477484'
    >>> ff1.decrypt("2433477484")
    '0123456789'
    >>> ff1.encrypt_digits([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    [2, 4, 3, 3, 4, 7, 7, 4, 8, 4]

An :class:`FF1` holds key material: build it once per worker (a DoFn's
``setup()``), never pickle it. It is safe to share between threads.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes

from veilwatch.transforms.deid.crypto.errors import (
    DomainTooSmallError,
    InvalidInputError,
    InvalidKeyError,
    InvalidParameterError,
)

AES_KEY_SIZES = (16, 24, 32)
MIN_RADIX = 2
MAX_RADIX = 1 << 16  # SP 800-38G: radix in [2, 2^16] for FF1.
MIN_LENGTH = 2  # SP 800-38G: minlen >= 2.
# SP 800-38G Rev. 1 (2019): radix ** minlen >= 1,000,000. Smaller domains can
# be enumerated; the original 2016 text only required 100.
MIN_DOMAIN_SIZE = 1_000_000
# FF1 allows up to 2^32 digits; identifiers are short, and a bound keeps a
# hostile input from costing quadratic time. 8192 also keeps every half below
# Python's 4300-digit int<->str conversion limit.
DEFAULT_MAX_LENGTH = 4096
MAX_LENGTH_LIMIT = 8192
# DLP context tweaks are short (a 64-bit integer or a field value + 1 byte);
# Wycheproof uses 7..22 bytes.
DEFAULT_MAX_TWEAK_LEN = 256
MAX_TWEAK_LEN_LIMIT = 1 << 20

_ROUNDS = 10
_BLOCK = 16
# Digits int(..., radix) understands; used to parse radix <= 36 at C speed.
_INT_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
# Bound on cached per-(length, tweak) CBC-MAC prefixes. Tweaks derived from a
# context field (a patient id ...) take many values; beyond this the cache is
# simply emptied, costing one extra AES block per value until it refills.
_TWEAK_CACHE_SIZE = 1024


@dataclass(frozen=True)
class _LengthParams:
    """Everything FF1 derives from the message length ``n`` (and the radix)."""

    n: int
    u: int  # length of the left half A
    v: int  # length of the right half B (v >= u)
    b: int  # bytes needed for NUM(B): ceil(ceil(v*log2(radix))/8)
    d: int  # bytes of PRF output kept: 4*ceil(b/4) + 4
    mod_u: int  # radix ** u
    mod_v: int  # radix ** v
    extra_blocks: int  # ceil(d/16) - 1 additional AES blocks for S
    y_shift: int  # for d <= 16: bits to drop from R to keep d bytes


@dataclass(frozen=True)
class _TweakState:
    """CBC-MAC state after P || (tweak || padding), for one (length, tweak).

    When the remainder ``tail || [i] || NUM(B)`` fits one block (b <= 15, the
    usual case), ``masks[i]`` is the chaining value XOR that block without
    NUM(B), so round i is ``E(masks[i] ^ NUM(B))``.
    """

    state: int
    tail: bytes
    masks: tuple[int, ...] | None


class FF1:
    """FF1 over AES for one key, radix and (optional) alphabet.

    Args:
        key: the AES key, 16, 24 or 32 bytes.
        radix: the base, 2..65536. May be omitted when ``alphabet`` is given.
        alphabet: a string of ``radix`` distinct characters; digit ``i`` is
            ``alphabet[i]``. Needed for :meth:`encrypt`/:meth:`decrypt`; the
            ``*_digits`` methods work on lists of ints and need none.
        max_length: longest accepted input, in digits.
        max_tweak_len: longest accepted tweak, in bytes.
    """

    # The minimum domain size; a class attribute so that a test can check
    # the legacy (radix**n >= 100) Wycheproof vectors on a subclass. Not a
    # constructor argument on purpose: configs must not be able to lower it.
    _min_domain_size: int = MIN_DOMAIN_SIZE

    def __init__(
        self,
        key: bytes,
        radix: int | None = None,
        alphabet: str | None = None,
        *,
        max_length: int = DEFAULT_MAX_LENGTH,
        max_tweak_len: int = DEFAULT_MAX_TWEAK_LEN,
    ) -> None:
        if not isinstance(key, (bytes, bytearray, memoryview)):
            raise InvalidKeyError("FF1 key must be bytes")
        key = bytes(key)
        if len(key) not in AES_KEY_SIZES:
            raise InvalidKeyError(
                f"FF1 key must be 16, 24 or 32 bytes (AES-128/192/256), got {len(key)} bytes"
            )
        if alphabet is not None:
            if not isinstance(alphabet, str):
                raise InvalidParameterError("FF1 alphabet must be a string")
            if radix is None:
                radix = len(alphabet)
            if len(alphabet) != radix:
                raise InvalidParameterError(
                    f"FF1 alphabet has {len(alphabet)} characters but radix is {radix}"
                )
            if len(set(alphabet)) != len(alphabet):
                raise InvalidParameterError("FF1 alphabet characters must be distinct")
        if radix is None:
            raise InvalidParameterError("FF1 needs a radix or an alphabet")
        if isinstance(radix, bool) or not isinstance(radix, int) or not MIN_RADIX <= radix <= MAX_RADIX:
            raise InvalidParameterError(f"FF1 radix must be an integer in [{MIN_RADIX}, {MAX_RADIX}]")
        min_len = self._min_length_for(radix)
        if not isinstance(max_length, int) or not min_len <= max_length <= MAX_LENGTH_LIMIT:
            raise InvalidParameterError(
                f"FF1 max_length must be in [{min_len}, {MAX_LENGTH_LIMIT}] for radix {radix}"
            )
        if not isinstance(max_tweak_len, int) or not 0 <= max_tweak_len <= MAX_TWEAK_LEN_LIMIT:
            raise InvalidParameterError(f"FF1 max_tweak_len must be in [0, {MAX_TWEAK_LEN_LIMIT}]")

        self._radix = radix
        self._alphabet = alphabet
        self._min_len = min_len
        self._max_len = max_length
        self._max_tweak_len = max_tweak_len
        self._cipher = Cipher(algorithms.AES(key), modes.ECB())
        self._local = threading.local()
        self._lengths: dict[int, _LengthParams] = {}
        self._tweaks: dict[tuple[int, bytes], _TweakState] = {}
        self._pow2_bits = radix.bit_length() - 1 if radix & (radix - 1) == 0 else 0

        if alphabet is not None:
            self._charset = frozenset(alphabet)
            self._index = {c: i for i, c in enumerate(alphabet)}
            self._decimal = alphabet == "0123456789"
            # For radix <= 36 map the alphabet onto int()'s digits and let
            # int(s, radix) parse; the charset check runs first, so int()
            # never sees a sign, whitespace or underscore.
            self._to_int_digits = (
                str.maketrans(alphabet, _INT_DIGITS[:radix]) if radix <= 36 and not self._decimal else None
            )

    @classmethod
    def _min_length_for(cls, radix: int) -> int:
        n = MIN_LENGTH
        while radix**n < cls._min_domain_size:
            n += 1
        return n

    # -- public API ---------------------------------------------------------

    @property
    def radix(self) -> int:
        return self._radix

    @property
    def alphabet(self) -> str | None:
        return self._alphabet

    @property
    def min_length(self) -> int:
        """Shortest input accepted: radix ** min_length >= 10^6 and >= 2."""
        return self._min_len

    @property
    def max_length(self) -> int:
        return self._max_len

    def encrypt(self, plaintext: str, tweak: bytes = b"") -> str:
        """Encrypt a string over the alphabet into one of the same length."""
        return self._crypt_str(plaintext, tweak, encrypt=True)

    def decrypt(self, ciphertext: str, tweak: bytes = b"") -> str:
        """Invert :meth:`encrypt` (same key, alphabet and tweak)."""
        return self._crypt_str(ciphertext, tweak, encrypt=False)

    def encrypt_digits(self, digits: Sequence[int], tweak: bytes = b"") -> list[int]:
        """Encrypt a list of integer digits in ``[0, radix)``."""
        return self._crypt_digits(digits, tweak, encrypt=True)

    def decrypt_digits(self, digits: Sequence[int], tweak: bytes = b"") -> list[int]:
        """Invert :meth:`encrypt_digits`."""
        return self._crypt_digits(digits, tweak, encrypt=False)

    def __repr__(self) -> str:  # never shows the key
        return f"FF1(radix={self._radix}, alphabet={'set' if self._alphabet else 'none'})"

    def __reduce__(self) -> tuple:  # refuse to serialize key material
        raise TypeError("FF1 holds key material and cannot be pickled; build it in DoFn.setup()")

    # -- validation and conversion -----------------------------------------

    def _check_length(self, n: int, what: str) -> None:
        if n < MIN_LENGTH:
            raise InvalidInputError(f"FF1 {what} must be at least {MIN_LENGTH} characters, got {n}")
        if n < self._min_len:
            raise DomainTooSmallError(
                f"FF1 {what} of length {n} in radix {self._radix} is below the NIST SP 800-38G "
                f"Rev. 1 minimum domain (radix**length >= {self._min_domain_size:,}); "
                f"use at least {self._min_len} characters"
            )
        if n > self._max_len:
            raise InvalidInputError(f"FF1 {what} longer than the maximum of {self._max_len} characters")

    def _check_tweak(self, tweak: bytes) -> bytes:
        if not isinstance(tweak, bytes):
            if not isinstance(tweak, (bytearray, memoryview)):
                raise InvalidInputError("FF1 tweak must be bytes")
            tweak = bytes(tweak)
        if len(tweak) > self._max_tweak_len:
            raise InvalidInputError(f"FF1 tweak longer than {self._max_tweak_len} bytes")
        return tweak

    def _str_to_int(self, s: str) -> int:
        if self._decimal:
            return int(s)
        if self._to_int_digits is not None:
            return int(s.translate(self._to_int_digits), self._radix)
        radix, index, x = self._radix, self._index, 0
        for c in s:
            x = x * radix + index[c]
        return x

    def _int_to_str(self, x: int, m: int) -> str:
        if self._decimal:
            return str(x).zfill(m)
        radix, alphabet = self._radix, self._alphabet
        out = []
        for _ in range(m):
            x, r = divmod(x, radix)
            out.append(alphabet[r])  # type: ignore[index]
        return "".join(reversed(out))

    def _digits_to_int(self, digits: Sequence[int]) -> int:
        x = 0
        k = self._pow2_bits
        if k:
            for dg in digits:
                x = (x << k) | dg
        else:
            radix = self._radix
            for dg in digits:
                x = x * radix + dg
        return x

    def _int_to_digits(self, x: int, m: int) -> list[int]:
        out = [0] * m
        radix = self._radix
        for i in range(m - 1, -1, -1):
            x, out[i] = divmod(x, radix)
        return out

    def _crypt_str(self, text: str, tweak: bytes, *, encrypt: bool) -> str:
        what = "plaintext" if encrypt else "ciphertext"
        if self._alphabet is None:
            raise InvalidParameterError("this FF1 has no alphabet; use encrypt_digits/decrypt_digits")
        if not isinstance(text, str):
            raise InvalidInputError(f"FF1 {what} must be a string")
        n = len(text)
        self._check_length(n, what)
        if not self._charset.issuperset(text):
            bad = sum(1 for c in text if c not in self._charset)
            raise InvalidInputError(
                f"FF1 {what} has {bad} character(s) outside the radix-{self._radix} alphabet"
            )
        tweak = self._check_tweak(tweak)
        lp = self._length_params(n)
        a = self._str_to_int(text[: lp.u])
        b = self._str_to_int(text[lp.u :])
        a, b = (self._encrypt_ints if encrypt else self._decrypt_ints)(lp, tweak, a, b)
        return self._int_to_str(a, lp.u) + self._int_to_str(b, lp.v)

    def _crypt_digits(self, digits: Sequence[int], tweak: bytes, *, encrypt: bool) -> list[int]:
        what = "plaintext" if encrypt else "ciphertext"
        try:
            n = len(digits)
        except TypeError:
            raise InvalidInputError(f"FF1 {what} must be a sequence of integer digits") from None
        self._check_length(n, what)
        radix = self._radix
        try:
            ok = all(0 <= dg < radix for dg in digits) and all(
                isinstance(dg, int) and not isinstance(dg, bool) for dg in digits
            )
        except TypeError:
            ok = False
        if not ok:
            raise InvalidInputError(f"FF1 {what} has digit(s) that are not integers in [0, {radix})")
        tweak = self._check_tweak(tweak)
        lp = self._length_params(n)
        a = self._digits_to_int(digits[: lp.u])
        b = self._digits_to_int(digits[lp.u :])
        a, b = (self._encrypt_ints if encrypt else self._decrypt_ints)(lp, tweak, a, b)
        return self._int_to_digits(a, lp.u) + self._int_to_digits(b, lp.v)

    # -- the cipher -----------------------------------------------------------

    def _encryptor(self) -> CipherContext:
        """This thread's AES-ECB context (contexts are not shareable)."""
        try:
            return self._local.enc
        except AttributeError:
            enc = self._local.enc = self._cipher.encryptor()
            return enc

    def _length_params(self, n: int) -> _LengthParams:
        lp = self._lengths.get(n)
        if lp is None:
            radix = self._radix
            u = n // 2
            v = n - u
            mod_u, mod_v = radix**u, radix**v
            # b = ceil(ceil(v * log2(radix)) / 8), exactly: ceil(log2(R)) is
            # (R - 1).bit_length() for an integer R >= 2.
            b = ((mod_v - 1).bit_length() + 7) // 8
            d = 4 * ((b + 3) // 4) + 4
            lp = _LengthParams(
                n=n,
                u=u,
                v=v,
                b=b,
                d=d,
                mod_u=mod_u,
                mod_v=mod_v,
                extra_blocks=(d + _BLOCK - 1) // _BLOCK - 1,
                y_shift=8 * (_BLOCK - d) if d <= _BLOCK else 0,
            )
            self._lengths[n] = lp
        return lp

    def _tweak_state(self, lp: _LengthParams, tweak: bytes) -> _TweakState:
        key = (lp.n, tweak)
        ts = self._tweaks.get(key)
        if ts is not None:
            return ts
        enc = self._encryptor()
        t = len(tweak)
        p = (
            bytes((1, 2, 1))
            + self._radix.to_bytes(3, "big")
            + bytes((10, lp.u % 256))
            + lp.n.to_bytes(4, "big")
            + t.to_bytes(4, "big")
        )
        state = int.from_bytes(enc.update(p), "big")
        const = tweak + bytes((-t - lp.b - 1) % _BLOCK)
        full = len(const) // _BLOCK * _BLOCK
        for off in range(0, full, _BLOCK):
            block = int.from_bytes(const[off : off + _BLOCK], "big")
            state = int.from_bytes(enc.update((state ^ block).to_bytes(_BLOCK, "big")), "big")
        tail = const[full:]
        masks = None
        if len(tail) + 1 + lp.b == _BLOCK:
            head = state ^ (int.from_bytes(tail, "big") << (8 * (lp.b + 1)))
            masks = tuple(head ^ (i << (8 * lp.b)) for i in range(_ROUNDS))
        ts = _TweakState(state=state, tail=tail, masks=masks)
        if len(self._tweaks) >= _TWEAK_CACHE_SIZE:
            self._tweaks.clear()
        self._tweaks[key] = ts
        return ts

    def _round_value(self, enc: CipherContext, lp: _LengthParams, ts: _TweakState, i: int, x: int) -> int:
        """y = NUM(S) for round i, where x = NUM of the half fed to the PRF."""
        if ts.masks is not None:
            r = enc.update((ts.masks[i] ^ x).to_bytes(_BLOCK, "big"))
        else:
            rest = ts.tail + bytes((i,)) + x.to_bytes(lp.b, "big")
            state = ts.state
            for off in range(0, len(rest), _BLOCK):
                block = int.from_bytes(rest[off : off + _BLOCK], "big")
                state = int.from_bytes(enc.update((state ^ block).to_bytes(_BLOCK, "big")), "big")
            r = state.to_bytes(_BLOCK, "big")
        if not lp.extra_blocks:
            return int.from_bytes(r, "big") >> lp.y_shift
        # S = R || E(R xor [1]^16) || E(R xor [2]^16) ..., first d bytes.
        r_int = int.from_bytes(r, "big")
        more = enc.update(
            b"".join((r_int ^ j).to_bytes(_BLOCK, "big") for j in range(1, lp.extra_blocks + 1))
        )
        return int.from_bytes((r + more)[: lp.d], "big")

    def _encrypt_ints(self, lp: _LengthParams, tweak: bytes, a: int, b: int) -> tuple[int, int]:
        # Rounds in pairs: A (u digits) absorbs PRF(B), then B (v digits)
        # absorbs PRF(new A); after an even number of rounds A, B are back
        # in their places, so no swaps are needed.
        ts = self._tweak_state(lp, tweak)
        enc = self._encryptor()
        rv = self._round_value
        mod_u, mod_v = lp.mod_u, lp.mod_v
        for i in range(0, _ROUNDS, 2):
            a = (a + rv(enc, lp, ts, i, b)) % mod_u
            b = (b + rv(enc, lp, ts, i + 1, a)) % mod_v
        return a, b

    def _decrypt_ints(self, lp: _LengthParams, tweak: bytes, a: int, b: int) -> tuple[int, int]:
        ts = self._tweak_state(lp, tweak)
        enc = self._encryptor()
        rv = self._round_value
        mod_u, mod_v = lp.mod_u, lp.mod_v
        for i in range(_ROUNDS - 1, 0, -2):
            b = (b - rv(enc, lp, ts, i, a)) % mod_v
            a = (a - rv(enc, lp, ts, i - 1, b)) % mod_u
        return a, b
