"""Hotwords: context words near a finding that change its likelihood (DLP's hotword rules).

Each rule is compiled into one case-insensitive regex. Before any window is
searched, the engine checks whether the text can contain a hotword of the type
at all: the text's lower-cased words (those that are the first word of some
hotword, found by one regex pass, once per text and only when needed:
``HotwordIndex.words_in``) must hold the first word of one of the type's
hotwords. Texts without context words therefore cost one set intersection per type.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from veilwatch.transforms.detection.findings import Finding, Likelihood
from veilwatch.transforms.detection.settings import HotwordRule

_WORD = re.compile(r"\w+")


def text_tokens(text: str) -> frozenset[str]:
    """The lower-cased words of ``text``: what the hotword precheck's answers stand for
    (``HotwordIndex.words_in`` finds only the words that matter, with the same answers)."""
    return frozenset(_WORD.findall(text.lower()))


def _first_token(word: str) -> str | None:
    tokens = _WORD.findall(word.lower())
    return tokens[0] if tokens else None


def _whole_words_pattern(words: frozenset[str]) -> re.Pattern | None:
    """A regex whose ``findall`` over a lower-cased text gives the ``words`` (lower-case runs of
    word characters, as ``text_tokens`` splits) that are whole words of it: a run of word
    characters between non-word characters equal to one of them (it must end where the run
    ends, so only the word equal to the run can match there). Alternatives are grouped by
    first character (Python's regex engine tries them one by one). None for no words."""
    if not words:
        return None
    groups: dict[str, list[str]] = {}
    for word in sorted(words):
        groups.setdefault(word[0], []).append(re.escape(word[1:]))
    alternatives = "|".join(f"{re.escape(first)}(?:{'|'.join(rests)})" for first, rests in groups.items())
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


def words_pattern(words: Iterable[str]) -> re.Pattern:
    """One regex matching any of ``words`` as whole words, any case, any inner whitespace."""
    parts = sorted(
        {re.escape(w.strip()).replace(r"\ ", r"\s+") for w in words if w.strip()}, key=len, reverse=True
    )
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class CompiledHotwords:
    """One rule, compiled."""

    pattern: re.Pattern
    window_before: int
    window_after: int
    likelihood: Likelihood | None
    boost: int

    def applies(self, text: str, finding: Finding) -> bool:
        """A hotword within the window before or after the finding (not inside it)."""
        search = self.pattern.search
        start, end = finding.start, finding.end
        if self.window_before and search(text, max(0, start - self.window_before), start):
            return True
        return bool(self.window_after and search(text, end, min(len(text), end + self.window_after)))

    def adjust(self, level: Likelihood) -> Likelihood:
        """The likelihood after this rule fired."""
        if self.likelihood is not None:
            return max(level, self.likelihood)
        return level.raised(self.boost)


class HotwordIndex:
    """Compiled rules per infoType, with a whole-text precheck per type."""

    def __init__(self, rules: Iterable[HotwordRule]) -> None:
        rules_list = list(rules)
        by_type: dict[str, list[CompiledHotwords]] = {}
        for rule in rules_list:
            by_type.setdefault(rule.info_type, []).append(
                CompiledHotwords(
                    words_pattern(rule.words),
                    rule.window_before,
                    rule.window_after,
                    rule.likelihood,
                    rule.boost,
                )
            )
        self._rules = by_type
        # first words of every hotword of a type, for the precheck against words_in()
        keys: dict[str, set[str]] = {}
        for rule in rules_list:
            keys.setdefault(rule.info_type, set()).update(
                token for token in map(_first_token, rule.words) if token is not None
            )
        self._keys = {info_type: frozenset(words) for info_type, words in keys.items()}
        self._first_words = _whole_words_pattern(frozenset().union(*self._keys.values()))

    def words_in(self, text: str) -> frozenset[str]:
        """The hotword first words (``keys`` of every type) that are words of ``text``: the
        text's ``text_tokens`` as far as any ``keys`` set can tell (the same ``isdisjoint``
        answers), found by one regex search over ``text.lower()`` instead of building the set of
        all its words (half the time)."""
        if self._first_words is None:
            return frozenset()
        return frozenset(self._first_words.findall(text.lower()))

    def __contains__(self, info_type: str) -> bool:
        return info_type in self._rules

    def keys(self, info_type: str) -> frozenset[str]:
        """First words of the hotwords of ``info_type`` (empty: the type has no rules)."""
        return self._keys.get(info_type, frozenset())

    def apply(
        self, text: str, findings: list[Finding], tokens: frozenset[str] | None = None
    ) -> list[Finding]:
        """``findings`` with likelihoods adjusted by the rules whose words are near them.

        ``tokens``: ``text_tokens(text)`` or ``words_in(text)`` if the caller already has it.
        """
        out = findings
        for i, finding in enumerate(findings):
            rules = self._rules.get(finding.info_type)
            if rules is None:
                continue
            if tokens is None:
                tokens = self.words_in(text)
            if tokens.isdisjoint(self._keys[finding.info_type]):
                continue
            level = finding.likelihood
            for rule in rules:
                if rule.applies(text, finding):
                    level = rule.adjust(level)
            if level != finding.likelihood:
                if out is findings:
                    out = list(findings)
                out[i] = Finding(finding.start, finding.end, finding.info_type, level)
        return out


# Street designators written before the street's name ("Calle", "Via", "rue", "ul."), after it
# ("Street", "Road", "straat"), and the endings of compound names ("Hauptstraße", "Kaldæavej").
_STREET_PREFIXES = frozenset(
    (
        "calle avenida av rua travessa largo via viale piazza corso vicolo strada rue chemin allée impasse quai "
        "boulevard bd avenue route ul ulica al aleja os osiedle plac plaza pl place pasaje paseo camino carrer "
        "ronda glorieta urbanización praça praia rodovia estrada alameda vereda"
    ).split()
)
_STREET_SUFFIXES = frozenset(
    (
        "street st road rd avenue ave lane ln drive dr boulevard blvd way court ct place pl terrace square sq "
        "highway hwy parkway pkwy crescent close circle cir trail alley row gardens grove green vale hill park "
        "walk mews rise view wharf quay port ports pocket mission plaza path loop pike station junction "
        "straat laan plein gracht vej gade gata gatan väg vägen katu tie strasse straße str gasse weg platz allee ring"
    ).split()
)
_COMPOUND_ENDINGS = (
    "straße",
    "strasse",
    "str",
    "gasse",
    "weg",
    "platz",
    "allee",
    "damm",
    "ufer",
    "straat",
    "laan",
    "plein",
    "gracht",
    "vej",
    "gade",
    "gatan",
    "vägen",
    "väg",
    "gränd",
    "katu",
    "tie",
    "kuja",
    "polku",
)
_PARTICLES = frozenset("de del la las los di da do dos das van der den von du le des".split())
_STREET_WINDOW = 60
_WORD_PUNCTUATION = ".,"


def _street_word(word: str) -> bool:
    """A street designator ("Street", "rd.", "Calle") or a compound street name ("Hauptstr.")."""
    bare = word.rstrip(_WORD_PUNCTUATION).lower()
    if bare in _STREET_PREFIXES or bare in _STREET_SUFFIXES:
        return True
    return any(bare.endswith(ending) and len(bare) > len(ending) + 2 for ending in _COMPOUND_ENDINGS)


def _name_word(word: str) -> bool:
    """A capitalised word or a name particle ("de", "van"): what stands between a street
    designator and the name's end ("Calle de Zaida Carballo")."""
    return word[0].isupper() or word in _PARTICLES


def beside_street_name(text: str, start: int, end: int) -> bool:
    """Whether the number at ``text[start:end]`` stands in a postal address: right after a
    street name ("Oak Street 4521 90210", "Hauptstr. 45 10115") or right before one
    ("4521 Oak Street", "90210 4521 Kaldæavej"), on the same line. House numbers and
    postcodes have the digits of phone numbers and SSNs; their neighbours say what they are.

    Word lists, not regexes: this runs for every national phone candidate."""
    before = text[max(0, start - _STREET_WINDOW) : start]
    if before[-1:] in (" ", "\t"):  # a number glued to a word or a bracket is not an address's
        words = before.rsplit("\n", 1)[-1].split()[-4:]
        for word in reversed(words):
            if _street_word(word):
                return True
            if not _name_word(word) or word[-1:] == ",":
                break
    after = text[end : end + _STREET_WINDOW].split("\n", 1)[0]
    if not after[:1].isspace() and after[:2] not in (", ", ",\t"):
        return False
    words = after.split(None, 4)[:4]
    if not words:
        return False
    first = words[0].rstrip(_WORD_PUNCTUATION).lower()
    if first in _STREET_PREFIXES:
        return True
    for word in words:
        if not word[0].isupper():
            return False
        if word is not words[0] and word.rstrip(_WORD_PUNCTUATION).lower() in _STREET_SUFFIXES:
            return True
        if word is words[0] and any(first.endswith(e) and len(first) > len(e) + 2 for e in _COMPOUND_ENDINGS):
            return True
    return False
