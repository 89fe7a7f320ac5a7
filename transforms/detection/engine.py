"""The detection engine: recognizers + hotwords + exclusions + likelihood filter + overlap resolution.

    from veilwatch.transforms.detection import DetectionEngine
    engine = DetectionEngine()                      # default catalog, min_likelihood POSSIBLE
    engine.scan("Mail jane@example.org or call +44 20 7123 4567")
    # [Finding(start=5, end=21, info_type='EMAIL_ADDRESS', likelihood=VERY_LIKELY),
    #  Finding(start=30, end=46, info_type='PHONE_NUMBER', likelihood=VERY_LIKELY)]
    # (valid pattern = LIKELY; the hotwords "mail" and "call" next to them raise one level)

Everything is compiled once in ``__init__`` (one engine per worker, built in a
DoFn's ``setup()``). A text is only handed to the recognizers that could match
it; that is where the speed comes from. With the optional ``hyperscan``
package, one Hyperscan pass per (ASCII) text reports those recognizers
(``prefilter.py``; the same findings, about 1.5x the texts per second on the
PII benchmark). Without it, or for non-ASCII text, the engine measures the
largest digit cluster and evaluates each distinct recognizer gate at most once.
"""

from __future__ import annotations

import bisect
import functools
import logging
import re
import sys
from collections.abc import Callable, Iterable
from typing import NamedTuple

from veilwatch.transforms.detection import catalog
from veilwatch.transforms.detection.context import HotwordIndex
from veilwatch.transforms.detection.custom import build_custom
from veilwatch.transforms.detection.findings import Finding, Likelihood
from veilwatch.transforms.detection.ner import (
    NER_INFO_TYPES,
    NerUnavailable,
    SpacyNerRecognizer,
    load_ner_recognizer,
)
from veilwatch.transforms.detection.normalize import for_matching
from veilwatch.transforms.detection.overlap import resolve_overlaps
from veilwatch.transforms.detection.prefilter import Condition, build_prefilter
from veilwatch.transforms.detection.recognizer import Recognizer, fast_start
from veilwatch.transforms.detection.rules import ExclusionIndex
from veilwatch.transforms.detection.settings import DetectionSettings

_WARNED: set[str] = set()


def warn_once(message: str) -> None:
    """Print ``message`` to stderr once per process (and log it): a missing model must not pass unseen."""
    if message not in _WARNED:
        _WARNED.add(message)
        logging.getLogger(__name__).warning(message)
        print(f"veilwatch: warning: {message}", file=sys.stderr)


# a backslash escape written out as two characters: \n \t \r (and \" or \\ beside them)
_ESCAPE = re.compile(r"\\[ntr]")

# digit groups joined by at most two separators: what Recognizer.min_digits counts in
_DIGIT_CLUSTER = re.compile(r"\d+(?:[ \-./()]{1,2}\d+)*")
_DROP_SEPARATORS = str.maketrans("", "", " -./()")


class _Step(NamedTuple):
    """One recognizer as the engine runs it (unpacked per text in the hot loop: a tuple, named)."""

    min_digits: int  # digits a text's longest cluster must have for the recognizer to match
    gate: int  # index of its gate in ``_gates``, or -1: no gate
    find: Callable[..., Iterable[Finding]]  # recognizer.find
    keep: frozenset[str] | None  # the wanted types it finds, or None for all of them
    wants_claimed: bool  # deferring: runs in the second pass, told the spans already claimed
    context: frozenset[str] | None  # its types' hotword first words if it wants a likelihood floor


class _Prefiltered(NamedTuple):
    """A step and what the optional Hyperscan prefilter needs to know of it (see prefilter.py)."""

    step: _Step
    condition: Condition


# Texts up to this long have their findings cached (longer ones rarely repeat and cost memory).
_CACHED_TEXT_CHARS = 512
_CLAIM_LEVEL = Likelihood.LIKELY  # spans found at this level or above are "claimed" for deferring recognizers


def _gate_function(source: object) -> Callable[[str], object]:
    """A plain substring, or a tuple of them (any), is tested with ``in``: much cheaper than a regex."""
    if isinstance(source, frozenset):  # hotword first words: checked against the text's word set
        return source  # type: ignore[return-value]
    if isinstance(source, tuple):
        return lambda text: any(map(text.__contains__, source)) or None
    assert isinstance(source, str), "a gate is a substring, a tuple of them, a regex or hotwords"
    if re.escape(source) == source:
        return lambda text: source in text or None
    return re.compile(fast_start(source)).search


class DetectionEngine:
    """Scans texts (and classifies whole values) for the infoTypes of its settings."""

    def __init__(self, settings: DetectionSettings = DetectionSettings()) -> None:
        self.settings = settings
        recognizers: list[Recognizer] = catalog.all_recognizers(settings)
        custom_names = tuple(c.name for c in settings.custom_info_types)
        recognizers += [build_custom(spec) for spec in settings.custom_info_types]
        self._ner = self._load_ner(settings)
        if self._ner is not None:
            recognizers.append(self._ner)
        available = [t for r in recognizers for t in r.info_types]
        if settings.info_types is None:
            wanted = frozenset(available)
        else:
            wanted = frozenset(settings.info_types) | frozenset(custom_names)
        self.info_types: tuple[str, ...] = tuple(dict.fromkeys(t for t in available if t in wanted))
        self._rank = {name: i for i, name in enumerate(self.info_types)}

        self._hotwords = HotwordIndex((*catalog.DEFAULT_HOTWORDS, *settings.hotwords))
        gate_sources: list[object] = []
        planned: list[_Prefiltered] = []
        for recognizer in recognizers:
            types = set(recognizer.info_types) & wanted
            if not types:
                continue
            gate_source: object = recognizer.gate
            hotword_keys: frozenset[str] = frozenset()
            if recognizer.needs_context and settings.min_likelihood > recognizer.likelihood:
                # context-only candidates: run only on texts that hold a hotword of its types
                hotword_keys = frozenset().union(*(self._hotwords.keys(t) for t in types))
                if not hotword_keys:
                    continue
                gate_source = hotword_keys
            gate = -1
            if gate_source is not None:
                if gate_source not in gate_sources:
                    gate_sources.append(gate_source)
                gate = gate_sources.index(gate_source)
            keep = None if types == set(recognizer.info_types) else frozenset(types)
            wants_claimed = bool(getattr(recognizer, "wants_claimed", False))
            context: frozenset[str] | None = None
            if (
                getattr(recognizer, "wants_floor", False)
                and settings.min_likelihood > Likelihood.VERY_UNLIKELY
            ):
                context = frozenset().union(*(self._hotwords.keys(t) for t in types))
            # a run of n consecutive digits is also a cluster of at least n digits
            min_digits = max(recognizer.min_digits, recognizer.min_digit_run)
            condition = Condition(
                min_digits=min_digits,
                gate=recognizer.gate,
                hotwords=hotword_keys,
                patterns=tuple(recognizer.prefilter_patterns),
            )
            planned.append(
                _Prefiltered(
                    _Step(min_digits, gate, recognizer.find, keep, wants_claimed, context), condition
                )
            )
        # Sorted by min_digits, so that per text the steps that cannot match are cut off
        # with one bisect instead of being visited; recognizers that defer to stronger
        # findings (phone numbers) run in a second pass, after everything else.
        planned.sort(key=lambda item: item.step.min_digits)
        planned = [p for p in planned if not p.step.wants_claimed] + [
            p for p in planned if p.step.wants_claimed
        ]
        steps = [p.step for p in planned]
        self._steps = tuple(s for s in steps if not s.wants_claimed)
        self._deferred = tuple(s for s in steps if s.wants_claimed)
        self._thresholds = [s.min_digits for s in self._steps]
        self._gates = tuple(_gate_function(source) for source in gate_sources)
        self._exclusions = ExclusionIndex(settings.exclusions)
        self._min = settings.min_likelihood
        # One Hyperscan pass per text instead of the gates above, when hyperscan is installed:
        # it reports the steps whose every condition holds (in this order: deferred ones last).
        self._all_steps = tuple(steps)
        # Log lines and free-text fields repeat (the same message, the same note): the
        # findings of recent short texts are kept, per engine, in a bounded LRU cache.
        size = settings.result_cache_size
        self._cached = functools.lru_cache(maxsize=size)(self._scan_tuple) if size else None
        self._prefilter = build_prefilter([p.condition for p in planned]) if settings.use_prefilter else None

    @staticmethod
    def _load_ner(settings: DetectionSettings) -> SpacyNerRecognizer | None:
        """The NER recognizer when names are in scope: required with ``use_ner: true`` (raises
        NerUnavailable without the model), skipped with ``false``, used if installed with None."""
        in_scope = settings.info_types is None or bool(set(NER_INFO_TYPES) & set(settings.info_types))
        if settings.use_ner is False or not in_scope:
            return None
        try:
            return load_ner_recognizer(settings.ner_model)
        except NerUnavailable as exc:
            if settings.use_ner:
                raise
            warn_once(f"PERSON_NAME, LOCATION and ORGANIZATION_NAME are not detected: {exc}")
            return None

    @property
    def uses_ner(self) -> bool:
        """Whether names, places and organisations are detected (the NER model is loaded)."""
        return self._ner is not None

    def prepare(self, texts: Iterable[str]) -> None:
        """Let the NER model read ``texts`` as one batch before they are scanned one by one (a
        pipeline calls this once per batch of records; without NER it does nothing)."""
        if self._ner is not None:
            limit = self.settings.max_text_chars
            self._ner.prepare(t for t in texts if isinstance(t, str) and len(t) <= limit)

    def __reduce__(self):
        # the native prefilter and the caches do not pickle: a copy is rebuilt from the settings
        return (DetectionEngine, (self.settings,))

    @property
    def prefiltered(self) -> bool:
        """Whether texts go through the Hyperscan prefilter (hyperscan installed and enabled)."""
        return self._prefilter is not None

    @property
    def result_cache_chars(self) -> int:
        """Texts up to this many characters have their findings remembered (the result cache), so
        that a text's findings are those of its first scan; 0 without the cache. A caller may then
        remember more per such text (the record de-identifier keeps the replaced text)."""
        return _CACHED_TEXT_CHARS if self._cached is not None else 0

    def text_too_long(self, text: str) -> bool:
        """Whether ``text`` exceeds ``max_text_chars`` (the caller dead-letters such texts)."""
        return len(text) > self.settings.max_text_chars

    def _floor(
        self, text: str, context: frozenset[str] | None, tokens: frozenset[str] | None
    ) -> tuple[Likelihood | None, frozenset[str] | None]:
        """The lowest base likelihood worth finding for a step, and the text's hotword words
        (``HotwordIndex.words_in``, computed only when needed): for a step that wants a floor (``context``: its types' hotword first
        words), ``min_likelihood`` when none of them occurs (nothing can raise a candidate then,
        so a weaker one would be filtered out); else None (no floor)."""
        if context is None:
            return None, tokens
        if tokens is None:
            tokens = self._hotwords.words_in(text)
        return (None if not tokens.isdisjoint(context) else self._min), tokens

    def _prefiltered(self, text: str, hits: list[int]) -> tuple[list[Finding], frozenset[str] | None]:
        """The findings of the steps the prefilter reported (``hits``, ascending), and the
        text's tokens if they were needed. (``_floor`` and ``_run_step`` written out: this
        loop runs for every hit of every text.)"""
        found: list[Finding] = []
        tokens: frozenset[str] | None = None
        steps = self._all_steps
        for index in hits:
            _, _, find, keep, wants_claimed, context = steps[index]
            floor: Likelihood | None = None
            if context is not None:
                if tokens is None:
                    tokens = self._hotwords.words_in(text)
                if tokens.isdisjoint(context):
                    floor = self._min
            if wants_claimed:
                _run_step(text, find, keep, wants_claimed, floor, found)
                continue
            results = find(text) if floor is None else find(text, floor=floor)
            if keep is None:
                found.extend(results)
            else:
                found.extend(f for f in results if f.info_type in keep)
        return found, tokens

    def _candidates(self, text: str) -> tuple[list[Finding], frozenset[str] | None]:
        if self._prefilter is not None:
            hits = self._prefilter.scan(text)
            if hits is not None:
                return self._prefiltered(text, hits) if hits else ([], None)
        clusters = _DIGIT_CLUSTER.findall(text)
        most = 0
        if clusters:
            drop = _DROP_SEPARATORS
            most = max([len(cluster.translate(drop)) for cluster in clusters])
        gates = self._gates
        gate_hits: list[bool | None] = [None] * len(gates)
        tokens: frozenset[str] | None = None
        found: list[Finding] = []
        steps = self._steps[: bisect.bisect_right(self._thresholds, most)]
        for pass_steps in (steps, self._deferred):
            for min_digits, gate, find, keep, wants_claimed, context in pass_steps:
                if most < min_digits:
                    continue
                if gate >= 0:
                    hit = gate_hits[gate]
                    if hit is None:
                        check = gates[gate]
                        if type(check) is frozenset:
                            if tokens is None:
                                tokens = self._hotwords.words_in(text)
                            hit = not tokens.isdisjoint(check)
                        else:
                            hit = check(text) is not None
                        gate_hits[gate] = hit
                    if not hit:
                        continue
                floor, tokens = self._floor(text, context, tokens)
                _run_step(text, find, keep, wants_claimed, floor, found)
        return found, tokens

    def scan(self, text: str) -> list[Finding]:
        """Findings in ``text``: at least ``min_likelihood``, non-overlapping, sorted by start."""
        if not text or not isinstance(text, str):
            return []
        if not text.isascii():  # full-width digits, "＠" ...: matched in NFKC form, offsets in ``text``
            view = for_matching(text)
            if view is not None:
                # the view is NFKC per character, which need not be NFKC as a whole ("e" + U+0301
                # stays two characters): it is scanned as it is, never normalised again
                return view.to_original(self._scan_matching(view.text))
        return self._scan_matching(text)

    def _scan_matching(self, text: str) -> list[Finding]:
        """``scan`` of a text in the form the recognizers match (after the NFKC view)."""
        if "\\" in text and _ESCAPE.search(text):
            # JSON or log text kept in a string: "\n" written as two characters glues its "n" to
            # the next value ("\n+44 161 ..."); matched with the escape as two blanks, so every
            # offset is the same in ``text``
            text = _ESCAPE.sub("  ", text)
        if self._cached is not None and len(text) <= _CACHED_TEXT_CHARS:
            return list(self._cached(text))
        return self._scan(text)

    def _scan_tuple(self, text: str) -> tuple[Finding, ...]:
        return tuple(self._scan(text))

    def _scan(self, text: str) -> list[Finding]:
        found, tokens = self._candidates(text)
        if not found:
            return found
        found = self._hotwords.apply(text, found, tokens)
        minimum = self._min
        found = [f for f in found if f.likelihood >= minimum]
        found = self._exclusions.apply(text, found)
        return resolve_overlaps(found, self._rank)

    def classify_value(self, value: str) -> list[Finding]:
        """Findings for a whole field value (discovery): surrounding whitespace is ignored and
        offsets refer to ``value`` as given. The same recognizers and rules as ``scan``."""
        if not value or not isinstance(value, str):
            return []
        stripped = value.strip()
        offset = value.find(stripped) if stripped else 0
        findings = self.scan(stripped)
        if offset:
            findings = [
                Finding(f.start + offset, f.end + offset, f.info_type, f.likelihood) for f in findings
            ]
        return findings


def _run_step(
    text: str,
    find: Callable[..., Iterable[Finding]],
    keep: frozenset[str] | None,
    wants_claimed: bool,
    floor: Likelihood | None,
    found: list[Finding],
) -> None:
    """Run one recognizer step and add its findings (of the kept types) to ``found``.

    A deferring recognizer is told the spans already found at LIKELY or above; one that
    wants a floor is told the lowest likelihood worth finding (``floor``; None: any)."""
    if wants_claimed:
        claimed = [(f.start, f.end) for f in found if f.likelihood >= _CLAIM_LEVEL]
        results = find(text, claimed) if floor is None else find(text, claimed, floor=floor)
    elif floor is not None:
        results = find(text, floor=floor)
    else:
        results = find(text)
    if keep is None:
        found.extend(results)
    else:
        found.extend(f for f in results if f.info_type in keep)
