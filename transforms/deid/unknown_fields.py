"""Walk the fields a schema does not name, key names included, without recursion.

With ``schema.unknown_fields: keep`` or ``scan`` such fields reach the outputs,
and their key names are data as much as their values
(``{"jane.roe@leakmail.com": 1}``). :func:`rewrite_unknown_fields` visits every
key below (and including) each key the schema does not name, at any depth, in
objects and in lists, and lets the caller

* rename a key (``rename(key, path of its object) -> key``); a new name that
  another key of the object already has gets ``~2``, ``~3`` ... appended, so
  no value is lost, and the object keeps its key order;
* rewrite a value that is no object or list (``leaf(value, path) -> value``).

Paths are written as in the config (``http.extra``, ``items[].note``), from the
keys as renamed, so they carry no key a rename removed. Keys are visited as
they are; a dotted key (``"a.b"``) is one key, not a path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from veilwatch.transforms.records.schema import SchemaTree

Rename = Callable[[str, str], str]
Leaf = Callable[[Any, str], Any]


def rewrite_unknown_fields(
    record: dict,
    tree: SchemaTree,
    rename: Rename,
    leaf: Leaf | None,
    leaf_types: tuple[type, ...] = (str, int, float),
) -> None:
    """Rename every key outside the schema and rewrite every value below one (of a type in
    ``leaf_types``), in place."""
    unknown = tree.unknown_keys(record)
    if not unknown:
        return
    by_object: dict[int, tuple[dict, str, list[str]]] = {}
    for node, key, path in unknown:
        by_object.setdefault(id(node), (node, path, []))[2].append(key)
    stack: list[tuple[Any, str]] = []  # (object or list below an unknown key, its path)
    for node, path, keys in by_object.values():
        _visit(node, rename_keys(node, keys, path, rename), path, stack, leaf, leaf_types)
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            _visit(node, rename_keys(node, list(node), path, rename), path, stack, leaf, leaf_types)
        else:
            _visit(node, range(len(node)), path + "[]", stack, leaf, leaf_types, is_list=True)


def _visit(
    node: Any,
    keys: Any,
    path: str,
    stack: list,
    leaf: Leaf | None,
    leaf_types: tuple[type, ...],
    is_list: bool = False,
) -> None:
    """Queue the objects and lists at ``keys`` of ``node``, rewrite its other values."""
    for key in keys:
        value = node[key]
        if isinstance(value, (dict, list)):
            stack.append((value, path if is_list else join(path, key)))
        elif leaf is not None and isinstance(value, leaf_types):
            new_value = leaf(value, path if is_list else join(path, key))
            if new_value is not value:
                node[key] = new_value


def rename_keys(node: dict, keys: list[str], path: str, rename: Rename) -> list[str]:
    """Rename ``keys`` of ``node`` in place (key order kept); return their new names, in order."""
    proposed = [rename(key, path) if isinstance(key, str) else key for key in keys]
    if proposed == keys:  # the common case: no key held PII
        return keys
    renaming = set(keys)
    taken = {key for key in node if key not in renaming}
    new_names: list[str] = []
    for new_key in proposed:
        if new_key in taken:
            new_key = _unique(new_key, taken)
        taken.add(new_key)
        new_names.append(new_key)
    renamed = dict(zip(keys, new_names, strict=True))
    items = list(node.items())
    node.clear()
    for key, value in items:
        node[renamed.get(key, key)] = value
    return new_names


def _unique(name: str, taken: set[str]) -> str:
    n = 2
    while f"{name}~{n}" in taken:
        n += 1
    return f"{name}~{n}"


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
