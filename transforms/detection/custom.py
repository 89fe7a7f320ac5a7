"""Recognizers for the custom infoTypes a dataset config declares (regex + validator, or words).

A custom regex is compiled by RE2 (:mod:`transforms.detection.user_regex`), as
Cloud DLP does: a user pattern with nested repeats cannot hang a scan.
"""
from __future__ import annotations

from typing import Iterator

from transforms.detection.context import words_pattern
from transforms.detection.findings import Finding
from transforms.detection.recognizer import Recognizer, RegexRecognizer
from transforms.detection.settings import CustomInfoType
from transforms.detection.user_regex import compile_user_regex, encodable
from transforms.detection.validators import named_validator


class Re2Recognizer(RegexRecognizer):
    """A :class:`RegexRecognizer` whose pattern is an RE2 regex (linear-time matching).

    It declares no ``prefilter_patterns``: the prefilter widens Python ``re``
    sources, and an RE2 source need not be one; so it runs on every text.
    """

    def __init__(self, info_type: str, source: str, *, ignore_case: bool, **kwargs) -> None:
        super().__init__(info_type, "(?:)", **kwargs)
        self.pattern = compile_user_regex(source, ignore_case=ignore_case)
        self.prefilter_patterns = ()

    def find(self, text: str) -> Iterator[Finding]:
        return super().find(encodable(text))


def build_custom(spec: CustomInfoType) -> Recognizer:
    """The recognizer for one custom infoType (its config was validated by the settings parser)."""
    if spec.words:
        return RegexRecognizer(spec.name, words_pattern(spec.words), likelihood=spec.likelihood)
    validator = named_validator(spec.validator) if spec.validator else None
    return Re2Recognizer(
        spec.name, spec.regex, ignore_case=spec.ignore_case, likelihood=spec.likelihood, validator=validator,
    )
