"""The NER's two cheap text tests answer exactly what the character-by-character definitions answer.

``_needs_model`` (has an upper-case letter: the model reads the text) and ``_has_letter`` (has a
letter: the rules read it) take a C-level shortcut for ASCII text; whatever the text, their answers
must be those of ``any(ch.isupper() ...)`` and ``any(ch.isalpha() ...)``, or texts would silently
skip the model or the rules.
"""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from veilwatch.transforms.detection.ner import _has_letter, _needs_model

_ASCII = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=127), max_size=60)
# mixes ASCII with cased, titlecase (U+01C5), uncased and surrogate code points
_ANY = st.text(max_size=40)
_EDGES = [
    "",
    "gift",
    "call back on +44 20 7614 7176",
    "+44 20 7614 7176",
    "refund requested by Ezra",
    "Z",
    "z",
    "@[`{",  # the characters either side of A-Z and a-z
    "\u01c5ungla",  # titlecase letter: neither upper nor lower case
    "\u00c9milie",
    "\u00e9milie",
    "\u0130stanbul",
    "\u2160",  # ROMAN NUMERAL ONE: upper-case, not alphabetic
    "\u00aa",  # FEMININE ORDINAL INDICATOR: alphabetic, lower-case
    "\ud800x",
    string.punctuation + string.digits + string.whitespace,
]


def _needs_model_by_char(text: str) -> bool:
    return any(ch.isupper() for ch in text)


def _has_letter_by_char(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


def test_edge_texts():
    checked = 0
    for text in _EDGES + [chr(c) for c in range(0x300)]:
        assert _needs_model(text) == _needs_model_by_char(text), repr(text)
        assert _has_letter(text) == _has_letter_by_char(text), repr(text)
        checked += 1
    assert checked == len(_EDGES) + 0x300
    assert _needs_model("Anneliese") and not _needs_model("gift") and not _has_letter("+44 20")


@settings(max_examples=400, deadline=None)
@given(st.one_of(_ASCII, _ANY))
def test_same_answers_as_character_by_character(text):
    assert _needs_model(text) == _needs_model_by_char(text)
    assert _has_letter(text) == _has_letter_by_char(text)
