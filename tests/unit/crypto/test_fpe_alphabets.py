"""DLP's FFX alphabets: common names, custom alphabets, radix."""

from __future__ import annotations

import string

import pytest

from veilwatch.transforms.deid.crypto.errors import InvalidParameterError
from veilwatch.transforms.deid.crypto.fpe_alphabets import (
    DLP_ALLOWED_CHARACTERS,
    NATIVE_ORDER,
    FfxCommonNativeAlphabet,
    alphabet_for_radix,
    common_alphabet_chars,
    min_length,
    resolve_alphabet,
    validate_custom_alphabet,
)


def test_common_alphabets_match_dlp_documentation():
    # DLP: NUMERIC [0-9] radix 10, HEXADECIMAL [0-9A-F] 16,
    # UPPER_CASE_ALPHA_NUMERIC [0-9A-Z] 36, ALPHA_NUMERIC [0-9A-Za-z] 62.
    assert common_alphabet_chars("NUMERIC") == "0123456789"
    assert common_alphabet_chars("HEXADECIMAL") == "0123456789ABCDEF"
    assert common_alphabet_chars("UPPER_CASE_ALPHA_NUMERIC") == string.digits + string.ascii_uppercase
    assert common_alphabet_chars(FfxCommonNativeAlphabet.ALPHA_NUMERIC) == (
        string.digits + string.ascii_uppercase + string.ascii_lowercase
    )
    assert [a.radix for a in FfxCommonNativeAlphabet] == [10, 16, 36, 62]
    assert [a.value for a in FfxCommonNativeAlphabet] == [1, 2, 3, 4]  # proto enum numbers
    with pytest.raises(InvalidParameterError, match="NUMERIC, HEXADECIMAL"):
        common_alphabet_chars("DECIMAL")


def test_common_alphabets_are_prefixes_of_the_native_order():
    for a in FfxCommonNativeAlphabet:
        assert alphabet_for_radix(a.radix) == a.alphabet


def test_allowed_characters_are_printable_ascii():
    assert len(NATIVE_ORDER) == 95 == len(set(NATIVE_ORDER))
    assert DLP_ALLOWED_CHARACTERS == {chr(c) for c in range(0x20, 0x7F)}


def test_custom_alphabet_rules():
    assert validate_custom_alphabet("AB") == "AB"
    assert validate_custom_alphabet(NATIVE_ORDER) == NATIVE_ORDER
    for bad, why in (
        ("A", "2 to 95"),
        ("AAB", "only once"),
        ("ab\t", "printable ASCII"),
        ("abé", "printable ASCII"),
    ):
        with pytest.raises(InvalidParameterError, match=why):
            validate_custom_alphabet(bad)


def test_radix_range():
    assert alphabet_for_radix(2) == "01"
    assert len(alphabet_for_radix(95)) == 95
    for bad in (1, 96, True):
        with pytest.raises(InvalidParameterError, match=r"\[2, 95\]"):
            alphabet_for_radix(bad)


def test_resolve_needs_exactly_one_option():
    assert resolve_alphabet(common_alphabet="NUMERIC") == "0123456789"
    assert resolve_alphabet(custom_alphabet="xyz") == "xyz"
    assert resolve_alphabet(radix=16) == "0123456789ABCDEF"
    with pytest.raises(InvalidParameterError, match="exactly one"):
        resolve_alphabet()
    with pytest.raises(InvalidParameterError, match="commonAlphabet, radix"):
        resolve_alphabet(common_alphabet="NUMERIC", radix=10)


def test_min_length_per_common_alphabet():
    assert [min_length(a.radix) for a in FfxCommonNativeAlphabet] == [6, 5, 4, 4]
    assert min_length(2) == 20
