"""PERSON_NAME, LOCATION, ORGANIZATION_NAME: the real spaCy model (the 'ner' extra) and the rule layer.

Every sentence here was written for these tests; none comes from the dev set.
"""

from __future__ import annotations

import pytest

from tests.unit.detection.conftest import spans
from veilwatch.transforms.detection import DetectionEngine, DetectionSettings
from veilwatch.transforms.detection.names import Entity, refine
from veilwatch.transforms.detection.ner import NerUnavailable, load_ner_recognizer


def names(engine: DetectionEngine, text: str, info_type: str = "PERSON_NAME") -> list[str]:
    return [value for value, found in spans(engine, text) if found == info_type]


def test_the_installed_model_is_the_pinned_one():
    recognizer = load_ner_recognizer()
    assert "ner" in recognizer.nlp.pipe_names
    assert "parser" not in recognizer.nlp.pipe_names
    assert "tagger" not in recognizer.nlp.pipe_names
    assert recognizer.nlp.meta["version"] == "3.8.0"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Ticket from Oskar Lindqvist: the export hangs.", ["Oskar Lindqvist"]),
        ("Dear Ms. Okonkwo, your refund was approved.", ["Okonkwo"]),
        ("Name: Priya Raman\nPlan: premium", ["Priya Raman"]),
        ("please add henrike delacroix-weber as second driver", ["henrike delacroix-weber"]),
        ("Kind regards,\nTobias Brenner", ["Tobias Brenner"]),
        ("Escalated by Ingrid to the night shift.", ["Ingrid"]),
        ("I spoke with Dr. Wojciech Zieliński yesterday.", ["Wojciech Zieliński"]),
    ],
)
def test_people_in_context(engine, text, expected):
    assert names(engine, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Capitalized Words Like Quarterly Report Are Not People.",
        "Release 4.2 of Data Loader fixed the Export Wizard.",
        "signed March 5, 2021",
        "Can I withdraw cash at the ATM?",
        "The SSN field and the IBAN field were empty.",
        "mail from grace.hopper@navy.example.org bounced",
    ],
)
def test_no_person_where_there_is_none(engine, text):
    assert names(engine, text) == []


def test_a_name_inside_an_email_or_url_is_not_a_name(engine):
    text = "Contact sarah.connor@skynet.example or https://example.org/users/JohnSmith today."
    assert names(engine, text) == []
    assert ("sarah.connor@skynet.example", "EMAIL_ADDRESS") in spans(engine, text)


def test_places_and_organisations(engine):
    text = "Ferrovia Analytics GmbH moved its team from Lisbon to Costa Rica."
    found = spans(engine, text)
    assert ("Ferrovia Analytics GmbH", "ORGANIZATION_NAME") in found
    assert ("Lisbon", "LOCATION") in found
    assert ("Costa Rica", "LOCATION") in found


def test_lower_case_chat_names_need_a_name_that_is_no_english_word(engine):
    assert names(engine, "ok so leonie brandstetter will call back") == ["leonie brandstetter"]
    assert names(engine, "i will mark the grace period as done") == []


def test_rules_turn_a_given_name_the_model_calls_an_organisation_into_a_person():
    """The rule layer alone, with the model's (wrong) label given: no model needed to see the rule."""
    text = "Margarethe is from Quellbach"
    found = refine(text, [Entity(0, 10, "ORG")])
    assert [(text[f.start : f.end], f.info_type) for f in found][:1] == [("Margarethe", "PERSON_NAME")]


def test_batches_and_single_texts_agree():
    texts = ["Anneliese Vogt lives in Graz.", "no capitals here at all", "Mr. Bakshi called from Pune."]
    batched = DetectionEngine(DetectionSettings(result_cache_size=0))
    batched.prepare(texts)
    single = DetectionEngine(DetectionSettings(result_cache_size=0))
    assert [batched.scan(t) for t in texts] == [single.scan(t) for t in texts]
    assert any(f.info_type == "PERSON_NAME" for f in batched.scan(texts[0]))


def test_a_missing_model_is_an_error_when_names_are_asked_for():
    with pytest.raises(NerUnavailable, match="pip install"):
        DetectionEngine(DetectionSettings(ner_model="no_such_spacy_model"))


def test_a_missing_model_only_warns_when_names_are_optional(capsys):
    engine = DetectionEngine(DetectionSettings(ner_model="no_such_spacy_model_either", use_ner=None))
    assert not engine.uses_ner
    assert "PERSON_NAME" not in engine.info_types
    assert "not detected" in capsys.readouterr().err


def test_use_ner_false_or_a_scope_without_names_never_loads_the_model():
    assert not DetectionEngine(DetectionSettings(ner_model="nope", use_ner=False)).uses_ner
    assert not DetectionEngine(DetectionSettings(ner_model="nope", info_types=("EMAIL_ADDRESS",))).uses_ner


@pytest.mark.parametrize(
    "text",
    [
        "x" * 200_000,  # one 200,000-character word (it hung the rule layer's regexes)
        "ab, " * 50_000,  # a list that never ends in "and"
        "a@" * 100_000,  # e-mail-like runs
        "Anna\n" * 40_000,  # 40,000 names: overlap tests against every earlier finding took 80 s
    ],
    ids=["one-word", "commas", "at-signs", "names-per-line"],
)
def test_long_texts_scan_in_linear_time(text):
    import time

    engine = DetectionEngine(DetectionSettings(result_cache_size=0))
    started = time.process_time()
    engine.scan(text)
    assert time.process_time() - started < 30  # seconds; quadratic behaviour took minutes to hours
