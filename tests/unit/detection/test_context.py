"""Hotwords (context.py): the whole-text precheck finds the same hotword words as the word set."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veilwatch.transforms.detection import catalog
from veilwatch.transforms.detection.context import HotwordIndex, text_tokens
from veilwatch.transforms.detection.settings import HotwordRule

INDEX = HotwordIndex(catalog.DEFAULT_HOTWORDS)
FIRST_WORDS = frozenset().union(*(INDEX.keys(r.info_type) for r in catalog.DEFAULT_HOTWORDS))
_WORDS = sorted(FIRST_WORDS) + ["telephones", "xtel", "ssn", "d", "o", "b", "né", "ne"]


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(_WORDS),
            st.sampled_from(_WORDS).map(str.upper),
            st.sampled_from([" ", ", ", ".", "#", ":", "-", "_", "\n", "'", "ſ", "İ", "K", "٣", "1"]),
        ),
        max_size=12,
    ).map("".join)
)
def test_words_in_is_the_word_set_restricted_to_hotword_first_words(text):
    assert INDEX.words_in(text) == text_tokens(text) & FIRST_WORDS


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Call me on 555", {"call"}),
        ("CALLS me", set()),  # a longer word is not the hotword
        ("my tel: 1, TEL. 2, tel#3", {"tel"}),
        ("d.o.b 1990-01-01", {"d"}),  # the first word of "d.o.b"
        ("", set()),
    ],
)
def test_words_in_examples(text, expected):
    assert INDEX.words_in(text) == expected


def test_words_in_without_hotwords_and_with_custom_ones():
    assert HotwordIndex(()).words_in("phone 555") == frozenset()
    custom = HotwordIndex((HotwordRule("EMPLOYEE_ID", ("Staff No", "Personalnummer"), 30, 0, None, 1),))
    assert custom.words_in("STAFF no 12, personalnummer 7") == {"staff", "personalnummer"}
