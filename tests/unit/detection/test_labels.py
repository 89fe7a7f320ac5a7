"""The label scanner (group values, heavy hitters, TFDV top values): the engine's findings without
places and organisations, and a batch read of the NER model ahead of the scans."""

from __future__ import annotations

import pytest

from veilwatch.transforms.detection.labels import LabelScanner
from veilwatch.transforms.detection.settings import DetectionSettings

LABELS = [
    "Refund for Oskar Lindqvist at ACME Corp in Germany",
    "jane@example.org via web",
    "Escalated by Ingrid to the night shift",
    "Dear Ms. Okonkwo, your refund was approved",
]


@pytest.fixture(scope="module")
def scanner() -> LabelScanner:
    return LabelScanner(DetectionSettings(use_ner=True))


def test_places_and_organisations_stay_people_and_identifiers_go(scanner):
    found = {(text[f.start : f.end], f.info_type) for text in LABELS[:2] for f in scanner.scan(text)}
    assert ("Oskar Lindqvist", "PERSON_NAME") in found
    assert ("jane@example.org", "EMAIL_ADDRESS") in found
    assert not {t for _, t in found} & {"LOCATION", "ORGANIZATION_NAME"}


def test_prepared_labels_are_scanned_without_another_model_call(scanner, monkeypatch):
    fresh = LabelScanner(DetectionSettings(use_ner=True))
    expected = [fresh.scan(text) for text in LABELS]
    assert any(expected)  # the comparison below must not pass by finding nothing
    scanner.prepare(LABELS)
    ner = scanner.engine._ner
    monkeypatch.setattr(ner, "_read", lambda texts: pytest.fail(f"the model read {len(texts)} text(s) again"))
    assert [scanner.scan(text) for text in LABELS] == expected


def test_prepare_without_the_model_does_nothing():
    scanner = LabelScanner(DetectionSettings(use_ner=False))
    scanner.prepare(LABELS)
    assert [f.info_type for f in scanner.scan(LABELS[1])] == ["EMAIL_ADDRESS"]
