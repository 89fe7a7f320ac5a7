"""Compatibility forms (full-width digits, ``＠``, ligatures) normalised for matching, with offsets kept.

    from veilwatch.transforms.detection.normalize import for_matching
    view = for_matching("mail ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ")
    view.text                                   # 'mail jane@example.com'
    view.to_original(findings_in_view_text)     # the same findings, offsets in the original text

People (and input methods) write identifiers in Unicode compatibility forms:
full-width digits and ``＠`` from East Asian keyboards, superscript digits,
ligatures. The recognizers' patterns are written for the canonical forms, so
the engine matches on the NFKC form of such a text and reports offsets in the
ORIGINAL text (a de-identifier replaces those characters, not the view's).

NFKC is applied one character at a time, so that every character of the view
comes from exactly one original character and the offset map is exact (a
character may expand: ``㎡`` -> ``m2``; a finding that starts or ends inside
such an expansion covers the whole original character). ASCII texts, and texts
NFKC leaves unchanged (most accented text), return None: they pay one
``isascii`` or one ``is_normalized`` check, nothing else.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from veilwatch.transforms.detection.findings import Finding


@dataclass(frozen=True)
class MatchingView:
    """The NFKC form of a text and, per character of it, the index of its original character."""

    text: str
    origin: tuple[
        int, ...
    ]  # len(text) + 1 entries: origin[i] = original index of text[i]; last = len(original)

    def to_original(self, findings: Sequence[Finding]) -> list[Finding]:
        """``findings`` (offsets in ``self.text``) with offsets in the original text; findings
        that come to overlap (two inside one expanded character) keep the first."""
        origin = self.origin
        out: list[Finding] = []
        for finding in findings:
            start = origin[finding.start]
            # the end covers the whole original character of the last matched view character
            end = origin[finding.end - 1] + 1 if finding.end > finding.start else start
            if out and start < out[-1].end:
                continue
            out.append(Finding(start, end, finding.info_type, finding.likelihood))
        return out


def for_matching(text: str) -> MatchingView | None:
    """The NFKC view of ``text``, or None when matching on ``text`` itself is the same
    (ASCII, or already NFKC)."""
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        return None
    parts: list[str] = []
    origin: list[int] = []
    normalize = unicodedata.normalize
    for index, char in enumerate(text):
        form = char if char.isascii() else normalize("NFKC", char)
        parts.append(form)
        origin.extend([index] * len(form))
    origin.append(len(text))
    return MatchingView("".join(parts), tuple(origin))
