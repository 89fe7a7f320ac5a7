"""Every leaf of a record with its field path, in the schema's path syntax.

Nested objects join names with dots (``customer.email``); list elements are
marked with ``[]`` (``items[].sku``, ``tags[]``). A path whose value is an
object in one record and a scalar in another is reported both ways; the rules
then call it ``json``.

    list(leaves({"customer": {"email": "a@b.io"}, "tags": ["x", "y"]}))
    # [("customer.email", "a@b.io"), ("tags[]", "x"), ("tags[]", "y")]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# Deeper than this, a value is reported as one json leaf: a pathological
# document must not make a sampled record cost more than its size.
MAX_DEPTH = 12
# Leaves reported per record at most (the rest are not profiled).
MAX_LEAVES = 2000

CONTAINER = object()  # marker value: the path holds an object or a list here


def leaves(record: dict) -> Iterator[tuple[str, Any]]:
    """``(path, value)`` for every scalar of ``record`` (None included), plus
    ``(path, CONTAINER)`` for every object or list, so that presence is counted."""
    count = 0
    stack: list[tuple[str, Any, int]] = [(name, value, 0) for name, value in reversed(list(record.items()))]
    while stack and count < MAX_LEAVES:
        path, value, depth = stack.pop()
        count += 1
        if isinstance(value, dict) and depth < MAX_DEPTH:
            yield path, CONTAINER
            stack.extend((f"{path}.{k}", v, depth + 1) for k, v in reversed(list(value.items())))
        elif isinstance(value, list) and depth < MAX_DEPTH:
            yield path, CONTAINER
            stack.extend((f"{path}[]", v, depth + 1) for v in reversed(value))
        else:
            yield path, value
