"""Hotwords: context words near a finding that change its likelihood (DLP's hotword rules).

Each rule is compiled into one case-insensitive regex. Before any window is
searched, the engine checks whether the text can contain a hotword of the type
at all: the text's lower-cased word set (computed once per text, and only when
needed) must hold the first word of one of the type's hotwords. Texts without
context words therefore cost one set intersection per type.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from transforms.detection.findings import Finding, Likelihood
from transforms.detection.settings import HotwordRule

_WORD = re.compile(r"\w+")


def text_tokens(text: str) -> frozenset[str]:
    """The lower-cased words of ``text`` (the hotword precheck's view of it)."""
    return frozenset(_WORD.findall(text.lower()))


def _first_token(word: str) -> str | None:
    tokens = _WORD.findall(word.lower())
    return tokens[0] if tokens else None


def words_pattern(words: Iterable[str]) -> re.Pattern:
    """One regex matching any of ``words`` as whole words, any case, any inner whitespace."""
    parts = sorted({re.escape(w.strip()).replace(r"\ ", r"\s+") for w in words if w.strip()}, key=len, reverse=True)
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
                CompiledHotwords(words_pattern(rule.words), rule.window_before, rule.window_after,
                                 rule.likelihood, rule.boost)
            )
        self._rules = by_type
        # first words of every hotword of a type, for the precheck against text_tokens()
        keys: dict[str, set[str]] = {}
        for rule in rules_list:
            keys.setdefault(rule.info_type, set()).update(
                token for token in map(_first_token, rule.words) if token is not None
            )
        self._keys = {info_type: frozenset(words) for info_type, words in keys.items()}

    def __contains__(self, info_type: str) -> bool:
        return info_type in self._rules

    def keys(self, info_type: str) -> frozenset[str]:
        """First words of the hotwords of ``info_type`` (empty: the type has no rules)."""
        return self._keys.get(info_type, frozenset())

    def apply(self, text: str, findings: list[Finding], tokens: frozenset[str] | None = None) -> list[Finding]:
        """``findings`` with likelihoods adjusted by the rules whose words are near them.

        ``tokens``: ``text_tokens(text)`` if the caller already has it.
        """
        out = findings
        for i, finding in enumerate(findings):
            rules = self._rules.get(finding.info_type)
            if rules is None:
                continue
            if tokens is None:
                tokens = text_tokens(text)
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
