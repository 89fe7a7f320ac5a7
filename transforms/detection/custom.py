"""Recognizers for the custom infoTypes a dataset config declares (regex + validator, or words).

A word list matches as Cloud DLP's dictionary does (see :func:`dictionary_pattern`).
A custom regex is compiled by RE2 (:mod:`veilwatch.transforms.detection.user_regex`), as
Cloud DLP does: a user pattern with nested repeats cannot hang a scan.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from veilwatch.transforms.detection.findings import Finding
from veilwatch.transforms.detection.recognizer import Recognizer, RegexRecognizer
from veilwatch.transforms.detection.settings import CustomInfoType
from veilwatch.transforms.detection.user_regex import compile_user_regex, encodable
from veilwatch.transforms.detection.validators import named_validator


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


_TOKEN = re.compile(r"[^\W_]+")  # a run of letters and digits


def _edge(char: str, before: bool) -> str:
    """DLP: "letters must be next to non-letters and digits next to non-digits"."""
    kind = r"\d" if char.isdigit() else r"[^\W\d_]"
    return f"(?<!{kind})" if before else f"(?!{kind})"


def dictionary_pattern(words: Iterable[str]) -> re.Pattern:
    """One regex matching any of ``words`` as Cloud DLP's dictionary does (``CustomInfoType.Dictionary``):
    any case, and every character other than letters and digits, in the word and in the text, read as
    whitespace ("Sam Johnson" finds "sam johnson", "Sam, Johnson" and "Sam (Johnson)"; "RM-GREEN" finds
    "rm green"); a match is not next to a letter where the word starts or ends with a letter, nor to a
    digit where it starts or ends with a digit ("jen" finds the first three letters of "jen123", nothing
    in "jennifer"). A word without letters or digits matches nothing."""
    parts = set()
    for word in words:
        tokens = _TOKEN.findall(word)
        if tokens:
            body = r"[\W_]+".join(re.escape(t) for t in tokens)
            parts.add(_edge(tokens[0][0], True) + body + _edge(tokens[-1][-1], False))
    if not parts:
        return re.compile(r"(?!)")
    return re.compile("|".join(sorted(parts, key=len, reverse=True)), re.IGNORECASE)


def build_custom(spec: CustomInfoType) -> Recognizer:
    """The recognizer for one custom infoType (its config was validated by the settings parser)."""
    if spec.words:
        return RegexRecognizer(spec.name, dictionary_pattern(spec.words), likelihood=spec.likelihood)
    validator = named_validator(spec.validator) if spec.validator else None
    assert spec.regex is not None, "the settings parser requires words or a regex"
    return Re2Recognizer(
        spec.name,
        spec.regex,
        ignore_case=spec.ignore_case,
        likelihood=spec.likelihood,
        validator=validator,
    )
