"""Regexes a dataset config supplies (custom infoTypes, exclusions), compiled with RE2 semantics.

Cloud DLP compiles custom regexes with RE2, and so do we: RE2 matches in time
linear in the text, so a pattern with nested repeats such as ``(a+)+$`` cannot
stall a worker (Python's backtracking ``re`` takes minutes on a 40-character
text). RE2 refuses what it cannot match linearly (back-references,
look-arounds); the settings parser reports that at config validation, by key
path, without quoting the pattern.

    pattern = compile_user_regex(r"EMP-\\d{7}", ignore_case=True)
    [m.span() for m in pattern.finditer("id emp-1234567")]   # [(3, 14)]
    user_regex_problem(r"(a)\\1")   # 'invalid escape sequence'
"""

from __future__ import annotations

import re2


def _options(ignore_case: bool) -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # RE2 would print the refused pattern to stderr
    options.case_sensitive = not ignore_case
    return options


def compile_user_regex(source: str, *, ignore_case: bool = False):
    """``source`` compiled by RE2 (``finditer``/``search``/``fullmatch`` as in ``re``, character offsets)."""
    return re2.compile(source, _options(ignore_case))


def user_regex_problem(source: str) -> str | None:
    """Why RE2 refuses ``source`` (the kind of error, never the pattern text), or None."""
    try:
        compile_user_regex(source)
    except re2.error as exc:
        detail = exc.args[0] if exc.args else ""
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        # RE2 appends the offending fragment after a colon ("invalid escape sequence: \1"): drop it
        kind = str(detail).split(":", 1)[0].strip() or "refused by RE2"
        return kind
    return None


def encodable(text: str) -> str:
    """``text`` as RE2 can take it: RE2 matches UTF-8, and a lone surrogate (``"\\ud800"``, which
    JSON can carry) has none; each becomes ``?``, one character for one, so offsets stay valid."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text
