"""Named validators (validators.py): the in-house Luhn sum agrees with python-stdnum's."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn

from veilwatch.transforms.detection.findings import Likelihood
from veilwatch.transforms.detection.validators import digits_of, luhn_valid


def _stdnum_luhn(text: str) -> bool:
    digits = digits_of(text)
    return len(digits) > 1 and luhn.is_valid(digits)


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="0123456789 -.", max_size=24))
def test_luhn_valid_is_stdnum_luhn_on_ascii_digits(text):
    assert luhn_valid(text) == _stdnum_luhn(text)


def test_luhn_valid_known_numbers_and_other_digits():
    assert luhn_valid("4111 1111 1111 1111") and luhn_valid("79927398713")
    assert not luhn_valid("79927398710") and not luhn_valid("0") and not luhn_valid("")
    # non-ASCII decimal digits go to stdnum, which rejects them (not its alphabet)
    assert luhn_valid("٧٩٩٢٧٣٩٨٧١٣") == _stdnum_luhn("٧٩٩٢٧٣٩٨٧١٣") is False


def test_raised_is_the_clamped_level():
    for level in Likelihood:
        for steps in range(-6, 7):
            assert level.raised(steps) is Likelihood(min(max(int(level) + steps, 1), 5))
