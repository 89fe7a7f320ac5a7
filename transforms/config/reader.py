"""Walk a parsed YAML document while tracking key paths, collecting issues.

Every accessor records a :class:`ConfigIssue` naming the exact key path
(``pii.fields[2].transformation``) instead of raising on the first problem,
so a user sees every mistake in one run. Values are never echoed in messages
(a config may carry sample values); only key names, type names and the
allowed choices are.

    issues = []
    root = Node(yaml.safe_load(text), "", issues)
    name = root.required("dataset", str)
    root.reject_unknown({"dataset", "source", ...})
    if issues: raise ConfigError(issues)
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from veilwatch.transforms.config.errors import ConfigIssue
from veilwatch.transforms.values import kind_of

T = TypeVar("T")

_TYPE_NAMES = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "true or false",
    dict: "a mapping",
    list: "a list",
}

DURATION_PATTERN = r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$"
_DURATION = re.compile(DURATION_PATTERN)
_DURATION_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _type_name(t: type | tuple[type, ...]) -> str:
    if isinstance(t, tuple):
        return " or ".join(_TYPE_NAMES.get(x, x.__name__) for x in t)
    return _TYPE_NAMES.get(t, t.__name__)


def _is_instance(value: Any, expected: type | tuple[type, ...]) -> bool:
    # YAML's true/false are ints in Python; never accept a bool where a number is asked.
    wanted = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool) and bool not in wanted:
        return False
    if float in wanted and isinstance(value, int) and not isinstance(value, bool):
        return True
    return isinstance(value, wanted)


class Node:
    """A value in the config document plus its key path."""

    def __init__(self, value: Any, path: str, issues: list[ConfigIssue]):
        self.value = value
        self.path = path
        self.issues = issues

    # -- errors ---------------------------------------------------------------
    def error(self, message: str, key: str | int | None = None) -> None:
        self.issues.append(ConfigIssue(self.child_path(key) if key is not None else self.path, message))

    def child_path(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    # -- mappings -------------------------------------------------------------
    def is_mapping(self) -> bool:
        if isinstance(self.value, dict):
            return True
        self.error(f"expected a mapping, got {kind_of(self.value)}")
        return False

    def has(self, key: str) -> bool:
        return isinstance(self.value, dict) and key in self.value

    def child(self, key: str) -> Node:
        value = self.value.get(key) if isinstance(self.value, dict) else None
        return Node(value, self.child_path(key), self.issues)

    def optional(self, key: str, expected: type | tuple[type, ...], default: T) -> T:
        if not self.has(key) or self.value[key] is None:
            return default
        value = self.value[key]
        if not _is_instance(value, expected):
            self.error(f"expected {_type_name(expected)}, got {kind_of(value)}", key)
            return default
        return float(value) if expected is float else value  # type: ignore[return-value]  # T is float there

    def required(self, key: str, expected: type | tuple[type, ...], default: T) -> T:
        if not self.has(key) or self.value[key] is None:
            self.error("is required but missing", key)
            return default
        return self.optional(key, expected, default)

    def choice(
        self, key: str, choices: Iterable[str], default: str | None, required: bool = False
    ) -> str | None:
        allowed = list(choices)
        if not self.has(key):
            if required:
                self.error(f"is required; one of: {', '.join(allowed)}", key)
            return default
        value = self.value[key]
        if not isinstance(value, str) or value not in allowed:
            self.error(f"must be one of: {', '.join(allowed)}{did_you_mean(value, allowed)}", key)
            return default
        return value

    def duration(self, key: str, default: float | None, required: bool = False) -> float | None:
        """A duration such as ``1h``, ``15m``, ``90s``, ``2d`` or a number of seconds."""
        if not self.has(key):
            if required:
                self.error("is required (a duration such as 1h, 15m, 90s)", key)
            return default
        seconds = parse_duration(self.value[key])
        if seconds is None or seconds < 0:
            self.error("must be a duration such as 1h, 15m, 90s or a number of seconds", key)
            return default
        return seconds

    def reject_unknown(self, allowed: Iterable[str]) -> None:
        if not isinstance(self.value, dict):
            return
        allowed = list(allowed)
        for key in self.value:
            if key not in allowed:
                self.issues.append(
                    ConfigIssue(
                        self.child_path(str(key)),
                        f"unknown key{did_you_mean(key, allowed)} (allowed: {', '.join(allowed)})",
                    )
                )

    # -- lists ----------------------------------------------------------------
    def items(self, key: str, required: bool = False) -> Iterator[Node]:
        node = self.child(key)
        if node.value is None:
            if required:
                self.error("is required but missing", key)
            return
        if not isinstance(node.value, list):
            node.error(f"expected a list, got {kind_of(node.value)}")
            return
        for i, item in enumerate(node.value):
            yield Node(item, node.child_path(i), self.issues)

    def string_list(self, key: str) -> tuple[str, ...]:
        out = []
        for item in self.items(key):
            if isinstance(item.value, str) and item.value:
                out.append(item.value)
            else:
                item.error(f"expected a non-empty string, got {kind_of(item.value)}")
        return tuple(out)


def parse_duration(value: Any) -> float | None:
    """Seconds in ``value`` (``"1h"``, ``"15m"``, ``90``), or None if it is not a duration."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m:
            return float(m.group(1)) * _DURATION_SECONDS[m.group(2)]
    return None


def did_you_mean(value: Any, allowed: Iterable[str]) -> str:
    """`` (did you mean 'size'?)`` when ``value`` is close to one of ``allowed``, else "".

    Only the allowed name is quoted, never ``value``: a mistyped choice or key may be anything
    the operator pasted (an e-mail address, a sample record), and the key path already says where.
    """
    if not isinstance(value, str):
        return ""
    close = difflib.get_close_matches(value, list(allowed), n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""
