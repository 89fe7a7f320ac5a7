"""Cloud DLP's surrogate infoType annotation: ``NAME(<length>):<surrogate>``.

When ``cryptoDeterministicConfig`` or ``cryptoReplaceFfxFpeConfig`` sets
``surrogateInfoType``, DLP prefixes each token with the infoType name and the
number of characters of the token (DLP's words: "The following scheme defines
the format: info_type_name(surrogate_character_count):surrogate. For example,
if the name of custom infoType is 'MY_TOKEN_INFO_TYPE' and the surrogate is
'abc', the full replacement value will be: 'MY_TOKEN_INFO_TYPE(3):abc'").
The annotation is what lets re-identification find tokens again inside free
text; the explicit length means the token's characters need no escaping.

DLP advises a name that never occurs naturally in the data, e.g. one starting
with an unusual character such as U+29DD (``⧝MY_TOKEN_TYPE``); names are
therefore not limited to ASCII here, only kept free of whitespace and of the
``(``, ``)``, ``:`` delimiters.

Source: google-cloud-dlp 3.38.0 (pinned), ``google/cloud/dlp_v2/types/dlp.py``,
``CryptoReplaceFfxFpeConfig.surrogate_info_type`` and
``CryptoDeterministicConfig.surrogate_info_type``; the same text is on
https://cloud.google.com/sensitive-data-protection/docs/reference/rest/v2/projects.deidentifyTemplates#cryptoreplaceffxfpeconfig

Example::

    >>> annotate("MY_TOKEN_INFO_TYPE", "abc")
    'MY_TOKEN_INFO_TYPE(3):abc'
    >>> [t.surrogate for t in find_surrogates("id TOK(4):a(b: and TOK(2):zz.", ["TOK"])]
    ['a(b:', 'zz']
    >>> parse_annotated("TOK(4):AB12").surrogate
    'AB12'
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from veilwatch.transforms.deid.crypto.errors import InvalidInputError, InvalidParameterError

# Longest length prefix accepted when parsing: a 9-digit count already means
# a token of up to a gigabyte, far beyond any field.
_MAX_COUNT_DIGITS = 9
_FORBIDDEN_IN_NAME = re.compile(r"[\s():]")
_ANY_NAME = r"[^\s():]+"


class SurrogateParseError(InvalidInputError):
    """An annotation's declared length runs past the end of the text, or a
    value is not exactly one annotation."""


@dataclass(frozen=True)
class SurrogateToken:
    """One annotated surrogate found in a text.

    ``start``/``end`` delimit the whole annotation (name, length, colon and
    surrogate) in the scanned text, so ``text[start:end]`` is what to replace.
    """

    info_type: str
    surrogate: str
    start: int
    end: int


def check_info_type_name(name: str) -> str:
    """Return ``name`` if it can be a surrogate infoType name, else raise."""
    if not isinstance(name, str) or not name:
        raise InvalidParameterError("surrogate infoType name must be a non-empty string")
    if _FORBIDDEN_IN_NAME.search(name):
        raise InvalidParameterError("surrogate infoType name must not contain whitespace, '(', ')' or ':'")
    return name


def annotate(info_type_name: str, surrogate: str) -> str:
    """``info_type_name(len(surrogate)):surrogate``, DLP's annotation."""
    check_info_type_name(info_type_name)
    return f"{info_type_name}({len(surrogate)}):{surrogate}"


class SurrogateScanner:
    """Finds annotated surrogates of the given infoType names in free text.

    Build once (it compiles a regex) and reuse. Scanning is left to right and
    non-overlapping: once an annotation is read, its surrogate's characters
    are skipped, so a surrogate that happens to contain another annotation's
    name is never mistaken for one.
    """

    def __init__(self, info_type_names: Iterable[str]) -> None:
        names = sorted({check_info_type_name(n) for n in info_type_names}, key=len, reverse=True)
        if not names:
            raise InvalidParameterError("SurrogateScanner needs at least one infoType name")
        # Longest name first, so 'A_TOKEN' wins over 'TOKEN' at the same place.
        alternation = "|".join(re.escape(n) for n in names)
        self._pattern = re.compile(rf"({alternation})\((\d{{1,{_MAX_COUNT_DIGITS}}})\):")
        self.info_type_names = tuple(names)

    def find(self, text: str, *, strict: bool = False) -> list[SurrogateToken]:
        """All annotations in ``text``, in order.

        An annotation whose declared length runs past the end of ``text`` is
        skipped, or raises :class:`SurrogateParseError` when ``strict``.
        """
        found: list[SurrogateToken] = []
        pos, n = 0, len(text)
        while True:
            m = self._pattern.search(text, pos)
            if m is None:
                return found
            count = int(m.group(2))
            end = m.end() + count
            if end > n:
                if strict:
                    raise SurrogateParseError(
                        "a surrogate annotation declares more characters than the text has left"
                    )
                pos = m.start() + 1
                continue
            found.append(SurrogateToken(m.group(1), text[m.end() : end], m.start(), end))
            pos = end

    def replace(self, text: str, fn: Callable[[SurrogateToken], str], *, strict: bool = False) -> str:
        """``text`` with every annotation replaced by ``fn(token)`` (e.g. the re-identified value)."""
        parts: list[str] = []
        last = 0
        for tok in self.find(text, strict=strict):
            parts.append(text[last : tok.start])
            parts.append(fn(tok))
            last = tok.end
        parts.append(text[last:])
        return "".join(parts)


def find_surrogates(
    text: str, info_type_names: Iterable[str], *, strict: bool = False
) -> list[SurrogateToken]:
    """Convenience for ``SurrogateScanner(info_type_names).find(text)``."""
    return SurrogateScanner(info_type_names).find(text, strict=strict)


_WHOLE = re.compile(rf"({_ANY_NAME})\((\d{{1,{_MAX_COUNT_DIGITS}}})\):")


@functools.lru_cache(maxsize=64)
def _named_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"({re.escape(name)})\((\d{{1,{_MAX_COUNT_DIGITS}}})\):")


def parse_annotated(value: str, info_type_name: str | None = None) -> SurrogateToken:
    """Parse a value that is exactly one annotation (a whole de-identified cell).

    With ``info_type_name`` the annotation must use that name. Raises
    :class:`SurrogateParseError` otherwise; the message never quotes the value.
    """
    if not isinstance(value, str):
        raise SurrogateParseError("an annotated surrogate must be a string")
    pattern = _WHOLE if info_type_name is None else _named_pattern(check_info_type_name(info_type_name))
    m = pattern.match(value)
    if m is None:
        raise SurrogateParseError(
            "value is not a surrogate annotation NAME(<length>):<surrogate>"
            + (" with the expected infoType name" if info_type_name else "")
        )
    if len(value) - m.end() != int(m.group(2)):
        raise SurrogateParseError("surrogate annotation length does not match the surrogate")
    return SurrogateToken(m.group(1), value[m.end() :], 0, len(value))
