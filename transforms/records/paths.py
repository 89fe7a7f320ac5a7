"""Field paths into nested records: ``customer.email``, ``items[].sku``.

A path is dot-separated names; a name ending in ``[]`` steps into every
element of a list. Paths are parsed once (at config load) into segments and
then used to read or rewrite values in place, so nested JSON keeps its
structure through de-identification.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from veilwatch.transforms.config.errors import ConfigError, ConfigIssue

_NAME = re.compile(r"^[^.\[\]]+(\[\])?$")


class Segment(NamedTuple):
    name: str
    each: bool  # the value under ``name`` is a list; step into every element


Path = tuple[Segment, ...]


def column_name(path: str) -> str:
    """A field path's column in flat outputs (CSV, Parquet, BigQuery, statistics): ``a.b[]`` -> ``a__b``."""
    return path.replace("[]", "").replace(".", "__")


def parse_path(path: str, where: str = "path") -> Path:
    """``"items[].sku"`` -> (Segment("items", True), Segment("sku", False))."""
    parts = path.split(".") if isinstance(path, str) else []
    if not parts or not all(_NAME.match(p) for p in parts):
        raise ConfigError(
            ConfigIssue(where, "is not a field path (names joined by '.', a list marked with '[]')")
        )
    return tuple(Segment(p[:-2], True) if p.endswith("[]") else Segment(p, False) for p in parts)


def is_simple(path: Path) -> bool:
    """No ``[]`` step: the path names at most one value."""
    return not any(segment.each for segment in path)


def get_simple(record: Any, names: tuple[str, ...]) -> Any:
    """The value at a path without ``[]`` steps, or None. The hot path of validation."""
    node = record
    for name in names:
        if type(node) is not dict:
            return None
        node = node.get(name)
        if node is None:
            return None
    return node


def first_value_getter(path_text: str) -> Callable[[Any], Any]:
    """A fast ``record -> first value at path (or None)`` for a path known at setup time."""
    path = parse_path(path_text)
    if not is_simple(path):
        return lambda record: next(iter_values(record, path), None)
    names = tuple(s.name for s in path)
    if len(names) == 1:
        return _top_level_getter(names[0])
    if len(names) == 2:
        return _second_level_getter(*names)
    return lambda record: get_simple(record, names)


def _top_level_getter(name: str) -> Callable[[Any], Any]:
    """``get_simple(record, (name,))`` without the loop (metrics read a field of every record)."""

    def get(record: Any) -> Any:
        return record.get(name) if type(record) is dict else None

    return get


def _second_level_getter(parent: str, name: str) -> Callable[[Any], Any]:
    """``get_simple(record, (parent, name))`` without the loop."""

    def get(record: Any) -> Any:
        if type(record) is not dict:
            return None
        node = record.get(parent)
        return node.get(name) if type(node) is dict else None

    return get


def iter_values(record: Any, path: Path) -> Iterator[Any]:
    """Every value at ``path`` (missing keys and nulls on the way are skipped)."""
    yield from _walk(record, path, 0)


def _walk(node: Any, path: Path, depth: int) -> Iterator[Any]:
    if depth == len(path):
        yield node
        return
    if not isinstance(node, dict):
        return
    name, each = path[depth]
    if name not in node:
        return
    child = node[name]
    if each:
        if isinstance(child, list):
            for item in child:
                yield from _walk(item, path, depth + 1)
    else:
        yield from _walk(child, path, depth + 1)


def has_value(record: Any, path: Path) -> bool:
    """Whether a non-null value exists at ``path`` (for lists: in at least one element)."""
    return any(v is not None for v in iter_values(record, path))


def update_values(record: Any, path: Path, fn: Callable[[Any], Any]) -> int:
    """Replace every non-null value at ``path`` with ``fn(value)`` in place; return how many."""
    return _update(record, path, 0, fn)


def _update(node: Any, path: Path, depth: int, fn: Callable[[Any], Any]) -> int:
    if not isinstance(node, dict):
        return 0
    name, each = path[depth]
    if name not in node:
        return 0
    last = depth == len(path) - 1
    child = node[name]
    if each:
        if not isinstance(child, list):
            return 0
        if last:
            for i, item in enumerate(child):
                if item is not None:
                    child[i] = fn(item)
            return sum(1 for item in child if item is not None)
        return sum(_update(item, path, depth + 1, fn) for item in child)
    if last:
        if child is None:
            return 0
        node[name] = fn(child)
        return 1
    return _update(child, path, depth + 1, fn)


def top_level_names(paths: list[Path]) -> set[str]:
    return {p[0].name for p in paths}
