"""A name right after an invisible format character is still found (found by tests/reliability).

Before the fix ``"hello \\u200fJane Roe"`` gave no finding: spaCy read ``\\u200fJane`` as one
token. The model now reads such characters (bidi marks, zero-width space, soft hyphen, BOM)
as spaces, one for one, so findings still point into the original text.
"""

from __future__ import annotations

import pytest

from veilwatch.transforms.detection import DetectionEngine, parse_detection_settings


@pytest.fixture(scope="module")
def ner_engine() -> DetectionEngine:
    return DetectionEngine(parse_detection_settings({"use_ner": True}, "pii.detection"))


@pytest.mark.parametrize("mark", ["\u200f", "\u200e", "\u200b", "\u00ad", "\ufeff", "\u202e", "\u2066"])
def test_a_name_after_an_invisible_character_is_found(ner_engine, mark):
    text = f"hello {mark}Jane Roe, see you"
    spans = [(text[f.start : f.end], f.info_type) for f in ner_engine.scan(text)]
    assert ("Jane Roe", "PERSON_NAME") in spans
