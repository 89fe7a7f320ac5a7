"""DLP surrogate annotations and context tweaks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veilwatch.transforms.deid.crypto.errors import InvalidInputError, InvalidParameterError
from veilwatch.transforms.deid.crypto.surrogate import (
    SurrogateParseError,
    SurrogateScanner,
    annotate,
    find_surrogates,
    parse_annotated,
)
from veilwatch.transforms.deid.crypto.tweak import DEFAULT_TWEAK, context_tweak


def test_annotation_matches_dlp_example():
    assert annotate("MY_TOKEN_INFO_TYPE", "abc") == "MY_TOKEN_INFO_TYPE(3):abc"
    assert annotate("⧝MY_TOKEN_TYPE", "") == "⧝MY_TOKEN_TYPE(0):"


@pytest.mark.parametrize("name", ["", "MY TOKEN", "A(B", "A:B", "A)"])
def test_rejects_names_with_delimiters(name):
    with pytest.raises(InvalidParameterError, match=r"surrogate infoType name must"):
        annotate(name, "x")


def test_finds_tokens_in_free_text_by_declared_length():
    text = "call TOK(5):a(1):  then EMAIL_TOK(3):xyz, TOK(2):q"
    found = find_surrogates(text, ["TOK", "EMAIL_TOK"])
    assert [(t.info_type, t.surrogate) for t in found] == [("TOK", "a(1):"), ("EMAIL_TOK", "xyz")]
    assert text[found[0].start : found[0].end] == "TOK(5):a(1):"
    # The trailing TOK(2) is truncated: skipped, or an error when strict.
    with pytest.raises(SurrogateParseError, match=r"declares more characters than the text has left"):
        find_surrogates(text, ["TOK"], strict=True)


def test_surrogate_containing_a_name_is_not_rescanned():
    inner = annotate("TOK", "zz")
    text = annotate("TOK", inner) + " end"
    [tok] = find_surrogates(text, ["TOK"])
    assert tok.surrogate == inner


def test_replace_restores_free_text():
    scanner = SurrogateScanner(["SSN_TOKEN"])
    text = f"ssn {annotate('SSN_TOKEN', '8X2')} and {annotate('SSN_TOKEN', 'Q9')}."
    assert scanner.replace(text, lambda t: t.surrogate.lower()) == "ssn 8x2 and q9."


def test_parse_whole_values():
    tok = parse_annotated("TOK(4):AB12")
    assert (tok.info_type, tok.surrogate) == ("TOK", "AB12")
    assert parse_annotated("TOK(4):AB12", "TOK").surrogate == "AB12"
    for bad in ("TOK(5):AB12", "TOK(3):AB12", "AB12", "TOK(x):AB12"):
        with pytest.raises(SurrogateParseError) as info:
            parse_annotated(bad)
        assert "AB12" not in str(info.value)
    with pytest.raises(SurrogateParseError, match=r"is not a surrogate annotation"):
        parse_annotated("OTHER(4):AB12", "TOK")


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.text(alphabet="abc (:)TOK", max_size=12), min_size=1, max_size=5),
    st.text(alphabet="xyz .", max_size=8),
)
def test_annotate_then_find_round_trips(surrogates, sep):
    text = sep.join(annotate("⧝TOK", s) for s in surrogates)
    assert [t.surrogate for t in find_surrogates(text, ["⧝TOK"])] == surrogates


def test_context_tweak_follows_dlp_encoding():
    # DLP: 64-bit big-endian integer + byte 1; UTF-8 string + byte 2.
    assert context_tweak(7) == bytes(7) + b"\x07\x01"
    assert context_tweak(-1) == b"\xff" * 8 + b"\x01"
    assert context_tweak("7") == b"7\x02"
    assert context_tweak("é") == "é".encode() + b"\x02"
    assert context_tweak(None) == DEFAULT_TWEAK
    assert context_tweak(7) != context_tweak("7")
    for bad in (True, 1.5, b"x", 2**63):
        with pytest.raises(
            InvalidInputError, match=r"context field (must be an integer or a string|does not fit in 64 bits)"
        ):
            context_tweak(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bad", [{"PLANTED": 1}, ["PLANTED"], "PLANTED\ud800"], ids=["dict", "list", "lone-surrogate"]
)
def test_context_tweak_refuses_what_has_no_dlp_encoding_without_quoting_it(bad):
    # a lone surrogate has no UTF-8 (JSON can carry one): an InvalidInputError (a transformation
    # error naming the context field), not a UnicodeEncodeError quoting the character
    with pytest.raises(InvalidInputError) as info:
        context_tweak(bad)  # type: ignore[arg-type]
    assert "PLANTED" not in str(info.value)
    assert "\ud800" not in str(info.value)
