"""The interface every recognizer implements, and the regex-plus-validator workhorse.

A recognizer finds candidate spans of one or more infoTypes in a text and
gives each a base likelihood (pattern only < valid checksum). It knows nothing
about hotwords, exclusions, ``min_likelihood`` or overlaps: the engine applies
those uniformly afterwards, so a user-defined recognizer gets them for free.

Speed matters (the engine scans every free-text field of every record), so a
recognizer declares a ``gate``: the source of a cheap regex that must match
somewhere in the text before :meth:`Recognizer.find` is worth calling. The
engine compiles each distinct gate once and evaluates it at most once per text,
however many recognizers share it. ``min_digits`` (and ``min_digit_run``) are a
second, even cheaper prefilter for number-shaped identifiers.

    class Ticket(Recognizer):
        info_types = ("TICKET_ID",)
        gate = r"TCK-"
        def find(self, text):
            for m in re.finditer(r"TCK-\\d{6}", text):
                yield Finding(m.start(), m.end(), "TICKET_ID", Likelihood.POSSIBLE)
"""

from __future__ import annotations

import abc
import re
from collections.abc import Callable, Iterable, Iterator

from veilwatch.transforms.detection.findings import Finding, Likelihood

# A leading repeated character class: "\d{4}", "[A-Z]{2,3}", "\w{3}".
_LEADING_REPEAT = re.compile(r"^(\\[dw]|\[(?:\\.|[^\]\\])+\])\{(\d+)(?:,(\d*))?\}")


def fast_start(source: str) -> str:
    """``source`` with a leading ``X{n,m}`` written ``XX{n-1,m-1}`` (same language).

    Python's regex engine only skips ahead to possible match starts when a
    pattern begins with a plain character or character class, not with a
    repeat; this rewrite makes it do so (two to three times faster scans).
    """
    match = _LEADING_REPEAT.match(source)
    if not match or int(match.group(2)) < 1:
        return source
    char_class, low, high = match.group(1), int(match.group(2)), match.group(3)
    if high is None:
        repeat = f"{{{low - 1}}}"
    elif high == "":
        repeat = f"{{{low - 1},}}"
    else:
        repeat = f"{{{low - 1},{int(high) - 1}}}"
    return char_class + char_class + repeat + source[match.end() :]


# A validator takes the matched text (separators included) and says whether it
# is a real identifier of the type (checksum, ranges, calendar date ...).
Validator = Callable[[str], bool]


class Recognizer(abc.ABC):
    """Finds candidate spans of ``info_types`` in a text, with base likelihoods."""

    #: the infoType names this recognizer can emit
    info_types: tuple[str, ...] = ()
    #: regex source that must match somewhere in a text for ``find`` to run, or a tuple of
    #: plain substrings one of which must occur (None: always run)
    gate: str | tuple[str, ...] | None = None
    #: every match contains a run of at least this many consecutive digits; the
    #: engine measures the largest digit cluster once per text and skips what cannot match
    min_digit_run: int = 0
    #: every match holds at least this many digits inside one digit cluster (digit
    #: groups joined by spaces, dashes, dots, slashes or brackets): a second prefilter
    min_digits: int = 0
    #: its findings only become reportable through hotwords (driver's licence, passport,
    #: bare national numbers): while ``min_likelihood`` is above ``likelihood``, the engine
    #: runs it only on texts that contain a hotword of one of its infoTypes
    needs_context: bool = False
    #: the highest likelihood ``find`` gives without context (used with ``needs_context``)
    likelihood: Likelihood = Likelihood.VERY_LIKELY
    #: ``(regex source, re flags)`` pairs: ``find`` yields nothing unless one of them matches
    #: somewhere in the text (the Hyperscan prefilter's exact-ish gate; empty: no such promise)
    prefilter_patterns: tuple[tuple[str, int], ...] = ()
    #: ``find`` takes ``floor=``, the lowest likelihood worth finding in this text: the engine
    #: passes ``min_likelihood`` when no hotword of the recognizer's types occurs in the text
    #: (so nothing could raise a weaker candidate), and lets it skip validating those
    wants_floor: bool = False

    @abc.abstractmethod
    def find(self, text: str) -> Iterable[Finding]:
        """Every candidate span in ``text``; may overlap, may be below ``min_likelihood``."""


def _after_word(previous: str, extra: str) -> bool:
    return previous.isalnum() or previous == "_" or previous in extra


class RegexRecognizer(Recognizer):
    """A compiled pattern, an optional validator and two likelihood levels.

    ``group`` selects the capture group that is the finding (so a pattern can
    require surroundings without including them). ``not_after`` moves the left
    boundary check out of the regex: a match right after a letter, digit, ``_``
    or one of these characters is dropped. A pattern that starts with a plain
    character class lets the regex engine skip quickly to candidate positions,
    which a leading look-behind prevents; that is why it is a parameter. A match whose validator
    fails is dropped when ``likelihood_invalid`` is None, else kept at that
    level (for types where the pattern alone already means something).
    """

    def __init__(
        self,
        info_type: str,
        pattern: str | re.Pattern,
        *,
        likelihood: Likelihood,
        validator: Validator | None = None,
        likelihood_invalid: Likelihood | None = None,
        gate: str | tuple[str, ...] | None = None,
        min_digit_run: int = 0,
        min_digits: int = 0,
        group: int | str = 0,
        flags: int = 0,
        not_after: str | None = None,
        needs_context: bool = False,
    ) -> None:
        self.info_types = (info_type,)
        self.info_type = info_type
        self.pattern = pattern if isinstance(pattern, re.Pattern) else re.compile(fast_start(pattern), flags)
        self.likelihood = likelihood
        self.validator = validator
        self.likelihood_invalid = likelihood_invalid
        self.gate = gate
        self.min_digit_run = min_digit_run
        self.min_digits = max(min_digits, min_digit_run)
        self.group = group
        self.not_after = not_after
        self.needs_context = needs_context
        self.prefilter_patterns = ((self.pattern.pattern, self.pattern.flags),)

    def find(self, text: str) -> Iterator[Finding]:
        group, validator, info_type, not_after = self.group, self.validator, self.info_type, self.not_after
        for match in self.pattern.finditer(text):
            start, end = match.span(group)
            if start < 0 or start == end:
                continue
            if not_after is not None and start and _after_word(text[start - 1], not_after):
                continue
            try:
                valid = validator is None or validator(text[start:end])
            except Exception:  # a validator must not take the scanner down on odd input
                valid = False
            if valid:
                yield Finding(start, end, info_type, self.likelihood)
            elif self.likelihood_invalid is not None:
                yield Finding(start, end, info_type, self.likelihood_invalid)


class BareNumberRecognizer(Recognizer):
    """Standalone digit runs, dispatched by length to the validators of many infoTypes.

    Nine to eighteen bare digits are the shape of a dozen national numbers; one
    scan for digit runs replaces a regex per type. ``rows`` are
    ``(info_type, lengths, validator, likelihood)``; every row whose length
    fits and whose validator accepts yields a finding (the overlap resolver
    picks among them).
    """

    _run = re.compile(r"\d+")

    def __init__(
        self,
        rows: list[tuple[str, frozenset[int], Validator, Likelihood]],
        min_length: int,
        needs_context: bool = False,
    ) -> None:
        self.info_types = tuple(dict.fromkeys(row[0] for row in rows))
        self.needs_context = needs_context
        self.likelihood = max(row[3] for row in rows)
        by_length: dict[int, list[tuple[str, Validator, Likelihood]]] = {}
        for info_type, lengths, validator, level in rows:
            for length in lengths:
                by_length.setdefault(length, []).append((info_type, validator, level))
        self._by_length = by_length
        self.min_digit_run = min_length
        self.min_digits = min_length
        self.prefilter_patterns = ((rf"\d{{{min_length}}}", 0),)

    def find(self, text: str) -> Iterator[Finding]:
        by_length = self._by_length
        size = len(text)
        for match in self._run.finditer(text):
            start, end = match.span()
            rows = by_length.get(end - start)
            if rows is None:
                continue
            if start and _after_word(text[start - 1], "-./"):
                continue
            if end < size:  # not followed by a letter, or by a separator and more digits
                following = text[end]
                if (
                    following.isalnum()
                    or following == "_"
                    or (following in "-./" and end + 1 < size and text[end + 1].isdigit())
                ):
                    continue
            digits = match.group()
            for info_type, validator, level in rows:
                try:
                    valid = validator(digits)
                except Exception:
                    valid = False
                if valid:
                    yield Finding(start, end, info_type, level)
