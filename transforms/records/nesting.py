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


def nest_declared(pairs: Iterable[tuple[str, Any]], objects: dict[str, Any]) -> dict:
    """CSV columns named ``customer.email`` become nested records where the schema declares the
    objects: ``objects`` is the schema's tree of object fields (name -> subtree, a leaf is
    ``True``; ``SchemaTree.root``). A header is split at its dots only while each part names a
    declared object; the rest stays one key. ``customer.extra`` is ``{"customer": {"extra": ...}}``,
    while a column the schema does not name, ``142.202.203.240`` or ``jane.doe@example.com``,
    stays a single key, so the key-name scan sees the whole name: split into ``142``, ``202`` ...
    no part is PII, and the nested keys would still spell it out."""
    record: dict = {}
    for name, value in pairs:
        if "." not in name:
            record[name] = value
            continue
        parts = name.split(".")
        node, tree, used = record, objects, 0
        while used < len(parts) - 1:
            subtree = tree.get(parts[used]) if isinstance(tree, dict) else None
            if not isinstance(subtree, dict):
                break
            child = node.get(parts[used])
            if not isinstance(child, dict):
                child = node[parts[used]] = {}
            node, tree, used = child, subtree, used + 1
        node[".".join(parts[used:])] = value
    return record


def nest_dotted(pairs: Iterable[tuple[str, Any]]) -> dict:
    """Columns named ``customer.email`` become nested records, at every dot (re-identification's
    rows, whose headers are the de-identified output's own paths)."""
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
