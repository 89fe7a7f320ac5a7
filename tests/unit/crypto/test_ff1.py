"""FF1 parameter checks, error hygiene and implementation details."""

from __future__ import annotations

import pickle
import threading

import pytest

from veilwatch.transforms.deid.crypto.errors import (
    CryptoError,
    DomainTooSmallError,
    InvalidInputError,
    InvalidKeyError,
    InvalidParameterError,
)
from veilwatch.transforms.deid.crypto.ff1 import FF1, MIN_DOMAIN_SIZE

KEY = bytes.fromhex("2B7E151628AED2A6ABF7158809CF4F3C")
DIGITS = "0123456789"
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@pytest.mark.parametrize("size", [0, 1, 8, 15, 17, 20, 31, 33, 40, 64])
def test_rejects_key_sizes_other_than_aes(size):
    with pytest.raises(InvalidKeyError, match="16, 24 or 32 bytes"):
        FF1(bytes(size), 10, DIGITS)


def test_rejects_non_bytes_key():
    with pytest.raises(InvalidKeyError, match=r"FF1 key must be bytes"):
        FF1(KEY.hex(), 10, DIGITS)  # type: ignore[arg-type]


@pytest.mark.parametrize("radix", [0, 1, 65537, -10, True, 10.0])
def test_rejects_bad_radix(radix):
    with pytest.raises(InvalidParameterError, match=r"FF1 radix must be an integer in \[2, 65536\]"):
        FF1(KEY, radix)


def test_alphabet_checks():
    with pytest.raises(InvalidParameterError, match="distinct"):
        FF1(KEY, alphabet="0123456780")
    with pytest.raises(InvalidParameterError, match="radix"):
        FF1(KEY, 11, DIGITS)
    assert FF1(KEY, alphabet=DIGITS).radix == 10
    with pytest.raises(InvalidParameterError, match="no alphabet"):
        FF1(KEY, 10).encrypt("123456")


@pytest.mark.parametrize(
    "radix,min_len",
    [(2, 20), (10, 6), (16, 5), (26, 5), (36, 4), (62, 4), (95, 4), (256, 3), (1000, 2), (65536, 2)],
)
def test_minimum_length_is_the_rev1_domain(radix, min_len):
    ff1 = FF1(KEY, radix)
    assert ff1.min_length == min_len
    assert radix**min_len >= MIN_DOMAIN_SIZE > radix ** (min_len - 1) or min_len == 2


def test_rejects_short_inputs_and_small_domains():
    ff1 = FF1(KEY, 10, DIGITS)
    for short in ("", "7"):
        with pytest.raises(InvalidInputError, match="at least 2"):
            ff1.encrypt(short)
    with pytest.raises(DomainTooSmallError, match="Rev. 1"):
        ff1.encrypt("12345")  # 10^5 < 10^6
    with pytest.raises(DomainTooSmallError, match=r"FF1 ciphertext of length 5 in radix 10 is below"):
        ff1.decrypt("12345")
    with pytest.raises(DomainTooSmallError, match=r"FF1 plaintext of length 5 in radix 10 is below"):
        ff1.encrypt_digits([1, 2, 3, 4, 5])
    assert len(ff1.encrypt("123456")) == 6


def test_rejects_inputs_longer_than_max_length():
    ff1 = FF1(KEY, 10, DIGITS, max_length=20)
    assert len(ff1.encrypt("1" * 20)) == 20
    with pytest.raises(InvalidInputError, match="maximum of 20"):
        ff1.encrypt("1" * 21)
    with pytest.raises(InvalidParameterError, match=r"FF1 max_length must be in \[6, 8192\]"):
        FF1(KEY, 10, DIGITS, max_length=5)  # below the minimum length


def test_rejects_characters_and_digits_outside_the_alphabet():
    ff1 = FF1(KEY, 10, DIGITS)
    for bad in (
        "12345a",
        "123 456",
        "+123456",
        "123_456",
        "١٢٣٤٥٦",
    ):  # incl. Arabic-Indic digits int() accepts
        with pytest.raises(InvalidInputError, match="outside the radix-10 alphabet"):
            ff1.encrypt(bad)
    for bad_digits in (
        [1, 2, 3, 4, 5, 10],
        [-1, 2, 3, 4, 5, 6],
        [1, 2, 3, 4, 5, "6"],
        [1, 2, 3, 4, 5, 6.0],
        [True] * 6,
    ):
        with pytest.raises(InvalidInputError, match="digit"):
            ff1.encrypt_digits(bad_digits)


def test_tweak_checks():
    ff1 = FF1(KEY, 10, DIGITS, max_tweak_len=8)
    assert ff1.encrypt("123456", bytearray(b"12345678")) == ff1.encrypt("123456", b"12345678")
    with pytest.raises(InvalidInputError, match="tweak longer than 8"):
        ff1.encrypt("123456", b"123456789")
    with pytest.raises(InvalidInputError, match="tweak must be bytes"):
        ff1.encrypt("123456", "abc")  # type: ignore[arg-type]


def test_errors_never_contain_the_value_key_or_tweak():
    secret_value = "4111111111111111X"
    tweak = b"patient-42-tweak"
    ff1 = FF1(KEY, 10, DIGITS, max_tweak_len=4)
    messages = []
    for call in (
        lambda: ff1.encrypt(secret_value),
        lambda: ff1.encrypt("4111111111111111", tweak),
        lambda: ff1.encrypt("41111"),
        lambda: FF1(KEY[:15], 10, DIGITS),
        lambda: ff1.decrypt(secret_value),
    ):
        with pytest.raises(CryptoError) as info:
            call()
        messages.append(str(info.value))
    for msg in messages:
        assert "4111" not in msg
        assert "41111" not in msg
        assert KEY.hex().lower() not in msg.lower()
        assert KEY[:15].hex() not in msg.lower()
        assert "patient" not in msg
    assert "2B7E" not in repr(ff1)
    assert "2b7e" not in repr(ff1)


def test_refuses_to_be_pickled():
    with pytest.raises(TypeError, match="key material"):
        pickle.dumps(FF1(KEY, 10, DIGITS))


def test_b_is_exact_for_power_of_two_radix():
    # Wycheproof doc/ff1.md: v = 29, radix 256 gives b = 30 with floating-point
    # logarithms; the correct value is 29.
    ff1 = FF1(KEY, 256)
    assert ff1._length_params(58).b == 29
    assert FF1(KEY, 65536)._length_params(16).b == 16
    assert FF1(KEY, 10)._length_params(16).b == 4  # ceil(8*log2(10)/8) = ceil(26.6/8)


def test_string_and_digit_apis_agree():
    ff1 = FF1(KEY, 62, ALNUM)
    pt = "Alice0Bob1Carol2"
    digits = [ALNUM.index(c) for c in pt]
    ct = ff1.encrypt(pt, b"t")
    assert [ALNUM.index(c) for c in ct] == ff1.encrypt_digits(digits, b"t")


def test_long_tweaks_and_multi_block_q():
    # b > 15 (radix 10, v >= 37) and tweaks over a block exercise the general
    # CBC-MAC path and the extra S blocks (d > 16).
    ff1 = FF1(KEY, 10, DIGITS)
    pt = "0123456789" * 9
    for tweak in (b"", b"x" * 15, b"y" * 40):
        ct = ff1.encrypt(pt, tweak)
        assert len(ct) == len(pt)
        assert ff1.decrypt(ct, tweak) == pt


def test_tweak_cache_is_bounded():
    ff1 = FF1(KEY, 10, DIGITS)
    for i in range(1500):
        ff1.encrypt("123456", str(i).encode())
    assert len(ff1._tweaks) <= 1024
    assert ff1.decrypt(ff1.encrypt("123456", b"7"), b"7") == "123456"


def test_shared_between_threads():
    ff1 = FF1(KEY, 10, DIGITS)
    values = [f"{i:016d}" for i in range(300)]
    expected = [ff1.encrypt(v) for v in values]
    results: dict[int, list[str]] = {}

    def work(k: int) -> None:
        results[k] = [ff1.encrypt(v) for v in values]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == expected for r in results.values())
