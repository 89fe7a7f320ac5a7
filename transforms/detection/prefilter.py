"""One multi-pattern pass per text that tells the engine which recognizers can match it.

Without it the engine evaluates, per text, a digit-cluster measure and up to a
few dozen gate regexes, then calls each recognizer whose gate passed (most of
which find nothing). With the optional ``hyperscan`` package (a native
multi-pattern regex engine; Intel's Hyperscan, shipped inside the wheel), every
recognizer's conditions are compiled once into one database:

* its digit condition: a cluster of at least ``min_digits`` digits
  (``\\d(?:[ \\-./()]{0,2}\\d){n-1}``, the same clusters the pure-Python path
  measures), unless its own candidate patterns (below) are compiled;
* its gate (a regex, or literals one of which must occur);
* for context-only recognizers, one of its hotwords' first words, caseless
  (spelled with the stand-ins below when they hold non-ASCII letters);
* its own candidate patterns (``Recognizer.prefilter_patterns``, up to
  :data:`MAX_PATTERN_CHARS`), *widened* (:func:`widen`): look-arounds and word
  boundaries dropped, back-references and wide bounded repeats opened up, so
  the compiled pattern matches wherever Python's ``re`` matches, and more.

Hyperscan's logical combinations AND these per recognizer, so one scan reports
the recognizers worth calling (each at most once). Every condition is
necessary for the recognizer to find anything, and every approximation errs on
the side of calling it, so findings are the same as without the prefilter
(``tests/unit/detection/test_prefilter.py`` checks that on varied texts, and
the dev set and identifiers, 15,702 texts, give identical findings). Hyperscan
runs in ASCII mode; non-ASCII characters are scanned as ASCII stand-ins of the
same kind (:class:`_StandIns`). Compiling takes a second or two; databases are
cached per process.

    from veilwatch.transforms.detection.prefilter import Condition, build_prefilter
    pre = build_prefilter([Condition(min_digits=12, gate=r"\\d{4}[ \\-]?\\d{4}")])
    pre.scan("card 4111 1111 1111 1111")   # [0]: condition 0 holds

Without hyperscan, :func:`build_prefilter` returns None and the engine keeps
its pure-Python gates.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

LOG = logging.getLogger(__name__)

try:  # optional: the engine works (slower) without it
    import hyperscan as _hs
except ImportError:  # pragma: no cover - exercised where hyperscan is not installed
    _hs = None  # type: ignore[assignment]  # no prefilter is built then (see build_prefilter)

# Recognizer patterns longer than this are not compiled into the prefilter (their
# gates and digit conditions still are): Hyperscan's compile time grows fast with
# long alternations and repeats, and the engine is built on every worker.
MAX_PATTERN_CHARS = 160
# Sub-expression ids start here; ids below are the conditions' own indices.
_SUB_BASE = 1 << 16


@dataclass(frozen=True)
class Condition:
    """What must hold somewhere in a text for one recognizer to find anything."""

    min_digits: int = 0  # a digit cluster with at least this many digits
    gate: object = None  # regex source, tuple of literal substrings, or None
    hotwords: frozenset[str] = frozenset()  # lower-case words, one of which must occur (empty: no condition)
    patterns: tuple[
        tuple[str, int], ...
    ] = ()  # (regex source, re flags): one must match (empty: no condition)


def python_to_hyperscan(source: str) -> str:
    """``source`` in Hyperscan's dialect: ``\\s`` widened to Python's whitespace set
    (which also holds the separators ``\\x1c``-``\\x1f``), ``$`` and ``\\Z`` spelled
    with ``\\z``. Everything else the catalog uses means the same in both, or is
    widened by :func:`widen`.
    """
    out = []
    in_class = False
    i = 0
    while i < len(source):
        char = source[i]
        if char == "\\" and i + 1 < len(source):
            pair = source[i : i + 2]
            if pair == r"\s":
                out.append(r"\s\x1c-\x1f" if in_class else r"[\s\x1c-\x1f]")
            elif pair == r"\Z":
                out.append(r"\z")
            else:
                out.append(pair)
            i += 2
            continue
        if char == "[" and not in_class:
            in_class = True
            out.append(char)
            if source[i + 1 : i + 2] == "^":
                out.append("^")
                i += 1
            if source[i + 1 : i + 2] == "]":  # a leading ] is a literal
                out.append("]")
                i += 1
        elif char == "]" and in_class:
            in_class = False
            out.append(char)
        elif char == "$" and not in_class:
            out.append(r"(?:\n?\z)")  # Python's "$": Hyperscan's may report out of order in combinations
        else:
            out.append(char)
        i += 1
    return "".join(out)


_LOOKAROUND = ("(?=", "(?!", "(?<=", "(?<!")
_BOUND = re.compile(r"\{(\d+),(\d+)\}")
_MAX_SPAN = 3  # bounded repeats wider than this become open-ended (``{m,}``) in the prefilter


def widen(source: str) -> str:
    """A regex matching a superset of ``source``'s matches, without look-arounds and
    back-references (which Hyperscan cannot compile): look-arounds are dropped, ``\\b``
    is dropped, and a back-reference becomes its group's own body when that is a plain
    sub-pattern (``([ \\-])...\\1`` -> ``([ \\-])...(?:[ \\-])``: the repeated text was
    matched by that body, so the body matches it again), else "anything" (``[\\s\\S]*``)."""
    bodies = _plain_group_bodies(source)
    out: list[str] = []
    i, size = 0, len(source)
    in_class = False
    while i < size:
        char = source[i]
        if char == "\\" and i + 1 < size:
            nxt = source[i + 1]
            if not in_class and nxt in "bB":  # a word boundary: dropping it only widens
                i += 2
                continue
            if not in_class and nxt.isdigit() and nxt != "0":
                j = i + 1
                while j < size and source[j].isdigit():
                    j += 1
                out.append(_reference(bodies, int(source[i + 1 : j])))
                i = j
                continue
            out.append(source[i : i + 2])
            i += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
            out.append(char)
            i += 1
            continue
        if char == "[":
            in_class = True
            out.append(char)
            i += 1
            for lead in ("^", "]"):
                if source[i : i + 1] == lead:
                    out.append(lead)
                    i += 1
            continue
        if char == "{":
            bound = _BOUND.match(source, i)
            if bound and bound.group(2) and int(bound.group(2)) - int(bound.group(1)) > _MAX_SPAN:
                out.append(f"{{{bound.group(1)},}}")  # a wide bounded repeat costs Hyperscan dearly
                i = bound.end()
                continue
        if source.startswith("(?P=", i):
            close = source.index(")", i)
            out.append(_reference(bodies, source[i + 4 : close]))
            i = close + 1
            continue
        if any(source.startswith(a, i) for a in _LOOKAROUND):
            i = _group_end(source, i)
            out.append("(?:)")
            continue
        out.append(char)
        i += 1
    return "".join(out)


# What a group body may hold to stand in for a back-reference to it: no nested group
# (no look-around, no back-reference, no scoped flags) and no anchor, whose meaning
# depends on where it stands.
_NOT_PLAIN = re.compile(r"[()^$]|\\[1-9AZzbBG]")


def _plain_group_bodies(source: str) -> dict[int | str, str]:
    """Capturing groups of ``source`` (by number and by name) whose body is plain (see
    ``_NOT_PLAIN``; a ``^`` inside a class is allowed), for :func:`widen`."""
    bodies: dict[int | str, str] = {}
    number = 0
    for i, char in _outside_classes(source):
        if char == "(" and (source[i + 1 : i + 2] != "?" or source.startswith("(?P<", i)):
            number += 1
            name = None
            start = i + 1
            if source.startswith("(?P<", i):
                start = source.index(">", i) + 1
                name = source[i + 4 : start - 1]
            try:
                body = source[start : _group_end(source, i) - 1]
            except ValueError:
                return bodies
            if not _NOT_PLAIN.search(_CLASSES.sub("[]", body)):
                bodies[number] = body
                if name is not None:
                    bodies[name] = body
    return bodies


_CLASSES = re.compile(r"\[\^?\]?(?:\\.|[^\]\\])*\]")  # character classes, blanked before the plain test


def _reference(bodies: dict[int | str, str], group: int | str) -> str:
    """The widened stand-in for a back-reference to ``group`` (see :func:`widen`)."""
    body = bodies.get(group)
    if body is None:
        return r"[\s\S]*"
    return "(?:" + widen(body) + ")"


def _group_end(source: str, start: int) -> int:
    """The index after the ``)`` closing the group opened at ``source[start]``."""
    depth = 0
    for i, char in _outside_classes(source, start):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i + 1
    raise ValueError("unbalanced group")


def _outside_classes(source: str, start: int = 0) -> Iterator[tuple[int, str]]:
    """(index, character) of each character of a regex source from ``start`` on that is
    neither escaped nor inside a character class: where group brackets can stand."""
    i, in_class = start, False
    while i < len(source):
        char = source[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            i += 1 + (source[i + 1 : i + 2] == "^")
            i += source[i : i + 1] == "]"  # a leading ] is a literal
            continue
        else:
            yield i, char
        i += 1


def _literals(words: Sequence[str]) -> str:
    return "(?:" + "|".join(re.escape(w) for w in words) + ")"


class Prefilter:
    """A compiled Hyperscan database: ``scan(text)`` lists the conditions that hold, ascending."""

    def __init__(self, database: Any, size: int, stand_in_unsafe: frozenset[int] = frozenset()) -> None:
        self._database = database
        self.size = size
        # conditions with a negated class that a stand-in could fall into: always hold for non-ASCII text
        self._stand_in_unsafe = stand_in_unsafe

    def scan(self, text: str) -> list[int] | None:
        """Indices of the conditions that hold in ``text``, ascending (None is reserved for
        "use the pure-Python path"; every str can be scanned today).

        Hyperscan runs in ASCII mode (its Unicode mode compiles ten times slower), so
        a non-ASCII character is scanned as an ASCII stand-in of the same kind for
        Python's ``re`` (see :class:`_StandIns`): the conditions then hold at least
        wherever they hold for Python."""
        stand_ins = not text.isascii()
        if stand_ins:
            text = text.translate(_ASCII_STAND_INS)
        data = text.encode("ascii")
        hits: list[int] = []
        try:
            self._database.scan(data, _collect, 0, hits)  # (match_event_handler, flags, context)
        except _hs.ScanTerminated:  # every single-match expression has reported: Hyperscan stops early
            pass
        if stand_ins and self._stand_in_unsafe:
            hits = list(self._stand_in_unsafe.union(hits))
        if len(hits) > 1:
            hits.sort()
        return hits


class _StandIns(dict):
    """``str.translate`` table: a non-ASCII code point -> an ASCII one that every
    pattern construct used here accepts wherever Python's ``re`` accepts the original.

    Decimal digits (``\\d``) -> ``0``; the letters IGNORECASE matches with an ASCII
    one (Kelvin sign, dotted and dotless i, long s) -> that letter; other word characters (``\\w``)
    -> ``a``; whitespace (``\\s``) -> a space; anything else -> NUL, which no literal,
    ``\\w``, ``\\d`` or ``\\s`` matches but every negated class and ``.`` do. Literal
    characters and ``[A-Z]``-style ranges only ever accept more this way; hotwords
    with non-ASCII letters are looked for as their stand-in spelling.
    """

    def __missing__(self, code: int) -> int:
        if code < 128:
            self[code] = code
            return code
        char = chr(code)
        if char.isdecimal():
            stand_in = "0"
        elif char.isalnum() or char == "_":
            stand_in = "a"
        elif char.isspace():
            stand_in = " "
        else:
            stand_in = "\x00"
        self[code] = ord(stand_in)
        return self[code]


# Non-ASCII letters that Python's IGNORECASE matches with an ASCII one (İ, ı, ſ, K).
_CASE_TWINS = {0x130: "i", 0x131: "i", 0x17F: "s", 0x212A: "k"}
_ASCII_STAND_INS = _StandIns({code: ord(letter) for code, letter in _CASE_TWINS.items()})


def _collect(index: int, start: int, end: int, flags: int, hits: list[int]) -> None:
    hits.append(index)


def _try_compile(expression: bytes, flags: int) -> bool:
    """Whether Hyperscan compiles ``expression`` as a sub-expression of a logical combination."""
    combination = _hs.HS_FLAG_COMBINATION | _hs.HS_FLAG_SINGLEMATCH
    try:
        _hs.Database().compile(
            expressions=[expression, b"1 & 1"], ids=[1, 2], elements=2, flags=[flags, combination]
        )
    except Exception:  # hyperscan.error: unsupported construct
        return False
    return True


@functools.lru_cache(maxsize=4096)
def _expression(source: str) -> bytes | None:
    """``source`` widened and in Hyperscan's dialect, or None when it cannot be had (cached: every
    engine of a process, one per DoFn instance, asks for the same catalog's sources)."""
    try:
        return python_to_hyperscan(widen(source)).encode("ascii")
    except (ValueError, UnicodeEncodeError):  # unbalanced, or non-ASCII literals: no condition
        return None


@functools.lru_cache(maxsize=1024)
def _groups(condition: Condition) -> tuple[tuple[tuple[bytes, int], ...], ...]:
    """The condition as an AND of ORs of (expression, re flags); an OR with an
    expression that cannot be had is left out (fewer conditions: more texts pass)."""
    groups: list[tuple[tuple[str, int], ...]] = []
    patterns = condition.patterns
    if not (
        patterns and all(len(source) <= MAX_PATTERN_CHARS and _expression(source) for source, _ in patterns)
    ):
        patterns = ()
    # The digit cluster is left out when the recognizer's own patterns are compiled: they
    # pin its candidates down far better, and every cluster size is a costly bounded
    # repeat for Hyperscan (dropping one of the ANDed conditions only lets more texts pass).
    if condition.min_digits > 1 and not patterns:
        groups.append(((f"\\d(?:[ \\-./()]{{0,2}}\\d){{{condition.min_digits - 1}}}", 0),))
    elif condition.min_digits == 1 and not patterns:
        groups.append(((r"\d", 0),))
    if isinstance(condition.gate, tuple):
        groups.append(((_literals(condition.gate), 0),))
    elif isinstance(condition.gate, str):
        groups.append(((condition.gate, 0),))
    words = _hotword_literals(condition.hotwords)
    if words is not None:
        groups.append(((r"(?:^|[^\w])" + words + r"(?:[^\w]|\z)", re.IGNORECASE),))
    if patterns:
        groups.append(tuple(patterns))
    out = []
    for group in groups:
        compiled = tuple((e, flags) for source, flags in group if (e := _expression(source)) is not None)
        if len(compiled) == len(group):  # every expression of the OR could be had
            out.append(compiled)
    return tuple(out)


_WORD_CHARS = re.compile(r"\w+")


def _hotword_literals(hotwords: frozenset[str]) -> str | None:
    """The alternation of ``hotwords`` (whole words of text.lower(), see ``context.text_tokens``)
    as the scanned text spells them, or None when they are no condition (none, or a non-word one).

    A text's non-ASCII characters are scanned as their ASCII stand-ins, so a word with
    non-ASCII letters is looked for as its stand-in spelling ("numéro" -> "numaro"): a
    letter and its lower case have the same stand-in (all non-ASCII letters that lower-case
    to ASCII are case twins, see ``_CASE_TWINS``), so the word is found wherever the text holds it."""
    if not hotwords or not all(_WORD_CHARS.fullmatch(w) for w in hotwords):
        return None
    spelled = sorted({w.translate(_ASCII_STAND_INS) for w in hotwords})
    if not all(w.isascii() and "\x00" not in w for w in spelled):
        return None  # (cannot happen for word characters; a NUL would end Hyperscan's expression)
    return _literals(spelled)


def build_prefilter(conditions: Sequence[Condition]) -> Prefilter | None:
    """The prefilter for ``conditions`` (None without hyperscan). Compiling takes a
    second or two, so databases are cached per process by their conditions."""
    if _hs is None:
        return None
    return _build(tuple(_condition_groups(c) for c in conditions))


def _condition_groups(condition: Condition) -> tuple[tuple[tuple[bytes, int], ...], ...]:
    """``_groups(condition)``, cached per process; a condition that cannot be hashed (a gate of
    an unexpected type from a user recognizer) is translated every time."""
    try:
        return _groups(condition)
    except TypeError:
        return _groups.__wrapped__(condition)


@functools.lru_cache(maxsize=16)
def _build(conditions: tuple[tuple[tuple[tuple[bytes, int], ...], ...], ...]) -> Prefilter | None:
    base = _hs.HS_FLAG_SINGLEMATCH
    quiet = base | _hs.HS_FLAG_QUIET
    subs: dict[tuple[bytes, int], int] = {}
    for groups in conditions:
        for group in groups:
            for expression, re_flags in group:
                hs_flags = quiet | (_hs.HS_FLAG_CASELESS if re_flags & re.IGNORECASE else 0)
                hs_flags |= _hs.HS_FLAG_DOTALL if re_flags & re.DOTALL else 0
                hs_flags |= _hs.HS_FLAG_MULTILINE if re_flags & re.MULTILINE else 0
                subs.setdefault((expression, hs_flags), _SUB_BASE + len(subs))
    for attempt in range(2):
        expressions = [e for e, _ in subs]
        ids = list(subs.values())
        flags = [f for _, f in subs]
        for index, groups in enumerate(conditions):
            parts = []
            for group in groups:
                idents = []
                for expression, re_flags in group:
                    hs_flags = quiet | (_hs.HS_FLAG_CASELESS if re_flags & re.IGNORECASE else 0)
                    hs_flags |= _hs.HS_FLAG_DOTALL if re_flags & re.DOTALL else 0
                    hs_flags |= _hs.HS_FLAG_MULTILINE if re_flags & re.MULTILINE else 0
                    idents.append(subs.get((expression, hs_flags)))
                if all(i is not None for i in idents):  # else the whole OR is left out
                    parts.append("(" + " | ".join(map(str, idents)) + ")")
            ids.append(index)
            if parts:
                parts = list(dict.fromkeys(parts))
                if len(parts) == 1:
                    parts *= 2  # a combination needs an operator: "a & a"
                expressions.append(" & ".join(parts).encode())
                flags.append(_hs.HS_FLAG_COMBINATION | _hs.HS_FLAG_SINGLEMATCH)
            else:  # unconditional: matches at the end of every input
                expressions.append(b"\\z")
                flags.append(base | _hs.HS_FLAG_ALLOWEMPTY)
        database = _hs.Database()
        try:
            database.compile(expressions=expressions, ids=ids, elements=len(expressions), flags=flags)
        except Exception as exc:  # some construct Hyperscan refuses: drop those expressions, once
            if attempt:
                LOG.warning("hyperscan prefilter not used (%s); scanning with the pure-Python gates", exc)
                return None
            subs = {key: ident for key, ident in subs.items() if _try_compile(*key)}
            continue
        unsafe = frozenset(
            index
            for index, groups in enumerate(conditions)
            if any(not _stand_in_safe(expression) for group in groups for expression, _ in group)
        )
        return Prefilter(database, len(conditions), unsafe)
    return None


_NEGATED_CLASS = re.compile(rb"\[\^((?:\\.|[^\]\\])*)\]")
_KIND_ESCAPES = re.compile(rb"\\[sSwWdD]|\\[^0-9A-Za-z]")


def _stand_in_safe(expression: bytes) -> bool:
    """Whether every negated class of ``expression`` accepts the stand-ins of the
    characters it accepts: it excludes only kinds (``\\s``, ``\\w``, ``\\d``) and
    punctuation, no letter, digit or range."""
    for body in _NEGATED_CLASS.findall(expression):
        rest = _KIND_ESCAPES.sub(b"", body)
        if any(chr(c).isalnum() for c in rest) or b"-" in rest.strip(b"-") or b"\\" in rest:
            return False
    return True
