"""Check a parsed record against the dataset schema.

* Required fields must be present and non-null.
* Present values must have the declared type. Text sources (CSV) carry every
  value as a string, so with ``coerce_text=True`` strings are converted to
  the declared type first (``"12.5"`` -> 12.5, ``""`` -> null).
* Fields the schema does not name follow the ``unknown_fields`` policy:
  dropped, kept, kept for scanning, or the record is rejected.

Error messages name the field path and the expected type, never the value.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from transforms.config.model import FieldSpec, FieldType, UnknownFieldPolicy
from transforms.records.errors import RecordError
from transforms.values import kind_of
from transforms.records.paths import Path, get_simple, is_simple, iter_values, parse_path, update_values

_BOOL_TEXT = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}


class SchemaTree:
    """The schema's field names as a tree, for pruning fields it does not name."""

    def __init__(self, fields: tuple[FieldSpec, ...]):
        self.root: dict[str, Any] = {}
        for spec in fields:
            node = self.root
            parts = [s.name for s in parse_path(spec.path)]
            for name in parts[:-1]:
                child = node.get(name)
                if child is True:  # a declared leaf that also has declared children
                    break
                node = node.setdefault(name, {})
            else:
                node[parts[-1]] = True
        self._compiled: _PruneNode | None = None  # built on first use: ``root`` may still change

    def prune(self, record: dict) -> int:
        """Remove keys the schema does not name; return how many were removed."""
        if self._compiled is None:
            self._compiled = _compile_tree(self.root)
        return _prune(record, self._compiled)

    def unknown_paths(self, record: dict) -> list[str]:
        out: list[str] = []
        _collect_unknown(record, self.root, "", out)
        return out


# A schema (sub)tree as pruning reads it: (the names it knows, (name, subtree) of its branches).
_PruneNode = tuple[frozenset, tuple]


def _compile_tree(tree: dict[str, Any]) -> _PruneNode:
    """The tree as :func:`_prune` walks it: only branches are visited below a node, not every leaf."""
    return frozenset(tree), tuple((key, _compile_tree(sub)) for key, sub in tree.items() if sub is not True)


def _prune(node: Any, tree: _PruneNode) -> int:
    if isinstance(node, list):
        return sum(_prune(item, tree) for item in node)
    if not isinstance(node, dict):
        return 0
    known, branches = tree
    removed = 0
    if not node.keys() <= known:  # the common case, every key known, skips this loop
        for key in [key for key in node if key not in known]:
            del node[key]
            removed += 1
    for key, sub in branches:
        child = node.get(key)
        if child is not None:
            removed += _prune(child, sub)
    return removed


def _collect_unknown(node: Any, tree: dict[str, Any], prefix: str, out: list[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _collect_unknown(item, tree, prefix, out)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        sub = tree.get(key)
        if sub is None:
            out.append(f"{prefix}{key}")
        elif sub is not True:
            _collect_unknown(value, sub, f"{prefix}{key}.", out)


class SchemaValidator:
    """Validates (and for text sources coerces) records in place.

    Paths without ``[]`` are read with a plain dict walk and values checked
    with a precomputed type test: this runs for every field of every record.
    """

    def __init__(self, fields: tuple[FieldSpec, ...], unknown: UnknownFieldPolicy, coerce_text: bool = False):
        self.fields: list[tuple[FieldSpec, Path]] = [(f, parse_path(f.path)) for f in fields]
        # (spec, top-level name or None, names, exact types accepted without a closer look)
        self._simple = [
            (f, p[0].name if len(p) == 1 else None, tuple(s.name for s in p), _FAST_TYPES[f.type])
            for f, p in self.fields if is_simple(p)
        ]
        self._nested = [(f, p) for f, p in self.fields if not is_simple(p)]
        self._screen = _screen_groups(self._simple)
        self.unknown = unknown
        self.coerce_text = coerce_text
        self.tree = SchemaTree(fields)
        self._top_level = frozenset(self.tree.root)
        self._flat_schema = all(v is True for v in self.tree.root.values())

    def validate(self, record: Any) -> dict:
        if type(record) is not dict:
            raise RecordError("validate", "record is not an object")
        if self.unknown is UnknownFieldPolicy.REJECT:
            unknown = self.tree.unknown_paths(record)
            if unknown:
                raise RecordError("validate", f"fields not in the schema: {', '.join(sorted(set(unknown))[:5])}")
        elif self.unknown is UnknownFieldPolicy.DROP:
            if self._flat_schema:
                for key in record.keys() - self._top_level:
                    del record[key]
            else:
                self.tree.prune(record)
        if self.coerce_text:
            for spec, path in self.fields:
                update_values(record, path, lambda v, t=spec.type, p=spec.path: _coerce(v, t, p))
        if not self._passes_screen(record):
            self._check_simple_fields(record)
        for spec, path in self._nested:
            present = False
            for value in iter_values(record, path):
                if value is None:
                    continue
                present = True
                if not _has_type(value, spec.type):
                    raise RecordError("validate", f"field '{spec.path}' must be {_TYPE_WORDS[spec.type]}, got {kind_of(value, 'an object')}")
            if spec.required and not present:
                raise RecordError("validate", f"required field '{spec.path}' is missing or null")
        return record

    def _passes_screen(self, record: dict) -> bool:
        """Whether every field without ``[]`` is surely valid: present when required, of an
        exact type the field accepts. Fields are read per parent object (``customer`` once for
        ``customer.name`` and ``customer.email``). A ``False`` (a bad record, or a value that
        needs the closer look, such as a date object) hands over to :meth:`_check_simple_fields`,
        which decides and words the error of the first bad field in schema order."""
        for parents, checks in self._screen:
            node = get_simple(record, parents) if parents else record
            if type(node) is not dict:
                node = _EMPTY
            for name, required, exact_types, is_float in checks:
                value = node.get(name)
                if value is None:
                    if required:
                        return False
                elif type(value) not in exact_types or (is_float and value != value):  # NaN is not a number
                    return False
        return True

    def _check_simple_fields(self, record: dict) -> None:
        """The fields without ``[]`` in schema order: raise for the first bad one."""
        for spec, name, names, fast_types in self._simple:
            value = record.get(name) if name is not None else get_simple(record, names)
            if value is None:
                if spec.required:
                    raise RecordError("validate", f"required field '{spec.path}' is missing or null")
            elif type(value) not in fast_types and not _has_type(value, spec.type):
                raise RecordError("validate", f"field '{spec.path}' must be {_TYPE_WORDS[spec.type]}, got {kind_of(value, 'an object')}")


_EMPTY: dict = {}


def _screen_groups(simple: list[tuple]) -> list[tuple[tuple[str, ...], tuple[tuple[str, bool, frozenset, bool], ...]]]:
    """The fields without ``[]`` grouped by parent path, as :meth:`SchemaValidator._passes_screen`
    reads them: (parent names, ((name, required, exact types accepted, needs the NaN test), ...))."""
    groups: dict[tuple[str, ...], list[tuple[str, bool, frozenset, bool]]] = {}
    for spec, _, names, fast_types in simple:
        is_float = spec.type is FieldType.FLOAT
        exact = fast_types | {float} if is_float else fast_types
        groups.setdefault(names[:-1], []).append((names[-1], spec.required, exact, is_float))
    return [(parents, tuple(checks)) for parents, checks in groups.items()]


# Exact types that always satisfy a field type; anything else gets the full test.
_FAST_TYPES = {
    FieldType.STRING: frozenset({str}),
    FieldType.INTEGER: frozenset({int}),
    FieldType.FLOAT: frozenset({int}),  # floats need the NaN test
    FieldType.BOOLEAN: frozenset({bool}),
    FieldType.TIMESTAMP: frozenset({str, int, float}),
    FieldType.JSON: frozenset({str, int, float, bool, dict, list}),
}

_TYPE_WORDS = {
    FieldType.STRING: "a string",
    FieldType.INTEGER: "an integer",
    FieldType.FLOAT: "a number",
    FieldType.BOOLEAN: "a boolean",
    FieldType.TIMESTAMP: "a timestamp (ISO-8601 text or epoch number)",
    FieldType.JSON: "any JSON value",
}


def _has_type(value: Any, ftype: FieldType) -> bool:
    kind = type(value)
    if ftype is FieldType.STRING:
        return kind is str
    if ftype is FieldType.FLOAT:
        return (kind is float and value == value) or kind is int  # NaN is not a number here
    if ftype is FieldType.INTEGER:
        return kind is int or (kind is float and value.is_integer())
    if ftype is FieldType.BOOLEAN:
        return kind is bool
    if ftype is FieldType.TIMESTAMP:
        return kind in (str, int, float) or isinstance(value, (dt.datetime, dt.date))
    return ftype is FieldType.JSON


def _coerce(value: Any, ftype: FieldType, path: str) -> Any:
    """Text -> declared type, for CSV: an empty cell is null. Leaves non-text untouched."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text == "":
        return None
    if ftype is FieldType.STRING or ftype is FieldType.TIMESTAMP:
        return value
    try:
        if ftype is FieldType.INTEGER:
            return int(text)
        if ftype is FieldType.FLOAT:
            return float(text)
        if ftype is FieldType.BOOLEAN:
            return _BOOL_TEXT[text.lower()]
        if ftype is FieldType.JSON:
            return json.loads(text)
    except (ValueError, KeyError):
        raise RecordError("validate", f"field '{path}' must be {_TYPE_WORDS[ftype]}, got text that is not") from None
    return value
