"""Property tests (hypothesis) for FF1: bijection, format preservation, keying."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from veilwatch.transforms.deid.crypto.ff1 import FF1
from veilwatch.transforms.deid.crypto.fpe_alphabets import FfxCommonNativeAlphabet, min_length

ALPHABETS = [a.alphabet for a in FfxCommonNativeAlphabet] + ["!#$%&()*+,-./:;<=>?@[]^_{|}~ ", "01"]
keys = (
    st.binary(min_size=16, max_size=16)
    | st.binary(min_size=24, max_size=24)
    | st.binary(min_size=32, max_size=32)
)
tweaks = st.binary(max_size=40)
SETTINGS = settings(max_examples=120, deadline=None)


@st.composite
def alphabet_and_text(draw, min_extra: int = 0):
    alphabet = draw(st.sampled_from(ALPHABETS))
    lo = min_length(len(alphabet)) + min_extra
    text = draw(st.text(alphabet=alphabet, min_size=lo, max_size=lo + 40))
    return alphabet, text


@SETTINGS
@given(keys, alphabet_and_text(), tweaks)
def test_round_trip_preserves_length_and_alphabet(key, at, tweak):
    alphabet, text = at
    ff1 = FF1(key, alphabet=alphabet)
    ct = ff1.encrypt(text, tweak)
    assert len(ct) == len(text)
    assert set(ct) <= set(alphabet)
    assert ff1.decrypt(ct, tweak) == text


@SETTINGS
@given(keys, alphabet_and_text(), tweaks)
def test_deterministic_for_same_key_and_tweak(key, at, tweak):
    alphabet, text = at
    assert FF1(key, alphabet=alphabet).encrypt(text, tweak) == FF1(key, alphabet=alphabet).encrypt(
        text, tweak
    )


@SETTINGS
@given(keys, keys, st.text(alphabet="0123456789", min_size=16, max_size=40), tweaks)
def test_different_keys_give_different_outputs(k1, k2, text, tweak):
    # With >= 10^16 possible outputs, a collision between two keys has
    # probability about 1e-16: a failure here is a bug, not bad luck.
    if k1 == k2:
        return
    assert FF1(k1, 10, "0123456789").encrypt(text, tweak) != FF1(k2, 10, "0123456789").encrypt(text, tweak)


@SETTINGS
@given(keys, st.text(alphabet="0123456789", min_size=16, max_size=40), tweaks, tweaks)
def test_different_tweaks_give_different_outputs(key, text, t1, t2):
    if t1 == t2:
        return
    ff1 = FF1(key, 10, "0123456789")
    assert ff1.encrypt(text, t1) != ff1.encrypt(text, t2)


@SETTINGS
@given(keys, st.sampled_from([2, 7, 255, 256, 1000, 65535, 65536]), st.data())
def test_digit_lists_round_trip_for_any_radix(key, radix, data):
    ff1 = FF1(key, radix)
    digits = data.draw(
        st.lists(st.integers(0, radix - 1), min_size=ff1.min_length, max_size=ff1.min_length + 30)
    )
    ct = ff1.encrypt_digits(digits)
    assert len(ct) == len(digits)
    assert all(0 <= d < radix for d in ct)
    assert ff1.decrypt_digits(ct) == digits
