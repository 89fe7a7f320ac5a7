"""Exclusion rules: values of an infoType that must never be flagged (DLP's exclusion rules).

A dictionary entry matches the finding's text exactly, ignoring case (test
card numbers, the company's own support address); a regex must match the whole
finding (``.*@example\\.com``), compiled by RE2 like every user regex (linear time).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from veilwatch.transforms.detection.findings import Finding
from veilwatch.transforms.detection.settings import ExclusionRule
from veilwatch.transforms.detection.user_regex import compile_user_regex, encodable


class ExclusionIndex:
    """Compiled exclusion rules per infoType."""

    def __init__(self, rules: Iterable[ExclusionRule]) -> None:
        words: dict[str, set[str]] = {}
        regexes: dict[str, list[Any]] = {}  # RE2 patterns
        for rule in rules:
            words.setdefault(rule.info_type, set()).update(w.casefold() for w in rule.dictionary)
            regexes.setdefault(rule.info_type, []).extend(compile_user_regex(r) for r in rule.regexes)
        self._words = words
        self._regexes = regexes
        self.info_types = frozenset(words) | frozenset(regexes)

    def excluded(self, text: str, finding: Finding) -> bool:
        """Whether ``finding`` is one of the values its type's rules exclude."""
        value = text[finding.start : finding.end]
        if value.casefold() in self._words.get(finding.info_type, ()):
            return True
        regexes = self._regexes.get(finding.info_type, ())
        return bool(regexes) and any(p.fullmatch(encodable(value)) for p in regexes)

    def apply(self, text: str, findings: list[Finding]) -> list[Finding]:
        """``findings`` without the excluded ones."""
        if not self.info_types:
            return findings
        return [f for f in findings if f.info_type not in self.info_types or not self.excluded(text, f)]
