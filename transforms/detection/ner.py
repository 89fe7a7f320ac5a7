"""Optional named-entity recognizer: PERSON_NAME, LOCATION, ORGANIZATION_NAME from a spaCy model.

Names and addresses have no pattern; they need a statistical model, which is
not part of the default install. Install the extra and a model:

    pip install 'veilwatch[ner]'
    python -m spacy download en_core_web_sm      # or a path to a packaged model

then the engine picks it up (settings ``use_ner``, ``ner_model``). Without
spaCy or the model, the engine logs one line saying so and scans without it;
there is no word-list fallback (a list of names is not a name detector).
"""
from __future__ import annotations

import logging
from typing import Any, Iterator

from transforms.detection.findings import Finding, Likelihood
from transforms.detection.recognizer import Recognizer

LOG = logging.getLogger(__name__)

NER_INFO_TYPES = ("PERSON_NAME", "LOCATION", "ORGANIZATION_NAME")
# spaCy (OntoNotes) labels -> Cloud DLP infoTypes
_LABELS = {"PERSON": "PERSON_NAME", "GPE": "LOCATION", "LOC": "LOCATION", "FAC": "LOCATION", "ORG": "ORGANIZATION_NAME"}
_reported: set[str] = set()  # one log line per process and reason, not one per engine


class SpacyNerRecognizer(Recognizer):
    """Entities from a loaded spaCy pipeline, at LIKELY (a model's guess, not a checksum)."""

    info_types = NER_INFO_TYPES

    def __init__(self, nlp: Any) -> None:
        self.nlp = nlp

    def find(self, text: str) -> Iterator[Finding]:
        for ent in self.nlp(text).ents:
            info_type = _LABELS.get(ent.label_)
            if info_type is not None:
                yield Finding(ent.start_char, ent.end_char, info_type, Likelihood.LIKELY)


def _skip(reason: str) -> None:
    if reason not in _reported:
        _reported.add(reason)
        LOG.info("Named-entity detection (PERSON_NAME, LOCATION, ORGANIZATION_NAME) is off: %s", reason)


def load_ner_recognizer(model: str) -> SpacyNerRecognizer | None:
    """The spaCy recognizer for ``model``, or None (logged once) when spaCy or the model is missing."""
    try:
        import spacy  # optional dependency: the 'ner' extra
    except ImportError:
        _skip("spaCy is not installed (pip install 'veilwatch[ner]' and a spaCy model)")
        return None
    try:
        nlp = spacy.load(model, exclude=["lemmatizer", "textcat"])
    except (OSError, ImportError, ValueError):
        _skip(f"spaCy model {model!r} is not installed")
        return None
    if "ner" not in nlp.pipe_names:
        _skip(f"spaCy model {model!r} has no 'ner' component")
        return None
    return SpacyNerRecognizer(nlp)
