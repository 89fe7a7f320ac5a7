"""Look into nested values without recursion: how deep they nest, whether a number is not finite.

Records come from outside: a JSON line of a few kilobytes can nest objects and
lists hundreds of levels deep. Every walk over a record's values therefore
keeps its own stack (a list) instead of recursing, so no input can exhaust the
interpreter's recursion limit; and records deeper than ``source.max_depth``
are dead-lettered before any later step sees them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

# What nests: JSON objects and arrays (tuples come from some binary readers).
CONTAINERS = (dict, list, tuple)


def exceeds_depth(value: Any, limit: int) -> bool:
    """Whether ``value`` nests objects and lists more than ``limit`` levels deep.

    A container is one level (``{"a": 1}`` and ``[1]`` are 1, ``{"a": [1]}`` is 2);
    a scalar is 0. Stops at the first container past the limit.
    """
    if not isinstance(value, CONTAINERS):
        return False
    stack = [(value, 1)]
    while stack:
        node, level = stack.pop()
        if level > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, CONTAINERS):
                stack.append((child, level + 1))
    return False


def non_finite_kind(value: Any) -> str | None:
    """``"NaN"``, ``"Infinity"`` or ``"-Infinity"`` for a float that is not finite, else None.

    Words for an error message: they name the kind of number, which is no personal data.
    """
    if type(value) is not float or math.isfinite(value):
        return None
    if value != value:
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def holds_non_finite(value: Any) -> bool:
    """Whether ``value`` or anything nested in it is a float that is not finite (NaN, Infinity)."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, (list, tuple)):
            stack.extend(node)
        elif type(node) is float and not math.isfinite(node):
            return True
    return False


def nest_dotted(pairs: Iterable[tuple[str, Any]]) -> dict:
    """CSV columns named ``customer.email`` become nested records, as the CSV sink writes them."""
    record: dict = {}
    for name, value in pairs:
        if "." not in name:
            record[name] = value
            continue
        *parents, leaf = name.split(".")
        node = record
        for parent in parents:
            child = node.get(parent)
            if not isinstance(child, dict):
                child = node[parent] = {}
            node = child
        node[leaf] = value
    return record
