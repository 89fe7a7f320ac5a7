"""Check a parsed record against the dataset schema.

* Required fields must be present and non-null.
* Present values must have the declared type. Text sources (CSV) carry every
  value as a string, so with ``coerce_text=True`` strings are converted to
  the declared type first (``"12.5"`` -> 12.5, ``""`` -> null).
* Numbers must be finite: NaN and Infinity (``NaN``, ``1e999`` in JSON,
  ``inf`` in CSV) are no value of a float, integer or timestamp field, nor
  anywhere inside a ``json`` field.
* Fields the schema does not name follow the ``unknown_fields`` policy:
  dropped, kept, kept for scanning, or the record is rejected.

Error messages name the field path and the expected type, never the value;
nor the name of a field outside the schema (key names are data too).
Every walk over a record keeps its own stack: nothing recurses on input depth.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from math import isfinite
from typing import Any

from veilwatch.transforms.config.model import DEFAULT_MAX_DEPTH, FieldSpec, FieldType, UnknownFieldPolicy
from veilwatch.transforms.records.errors import RecordError
from veilwatch.transforms.records.nesting import exceeds_depth, holds_non_finite, non_finite_kind
from veilwatch.transforms.records.paths import (
    Path,
    get_simple,
    is_simple,
    iter_values,
    parse_path,
    update_values,
)
from veilwatch.transforms.values import kind_of

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

    def unknown_keys(self, record: Any) -> list[tuple[dict, str, str]]:
        """``(object, key, path of the object)`` for every key the schema does not name, found
        at the levels it does name (what lies below such a key is not visited). The path is
        schema text (``""`` for the record, ``http``, ``items[]``), never a key from the data."""
        out: list[tuple[dict, str, str]] = []
        stack: list[tuple[Any, dict, str]] = [(record, self.root, "")]
        while stack:
            node, tree, path = stack.pop()
            if isinstance(node, list):
                stack.extend((item, tree, path + "[]") for item in reversed(node))
            elif isinstance(node, dict):
                branches = []
                for key, value in node.items():
                    sub = tree.get(key)
                    if sub is None:
                        out.append((node, key, path))
                    elif sub is not True:
                        branches.append((value, sub, f"{path}.{key}" if path else key))
                stack.extend(reversed(branches))
        return out


# A schema (sub)tree as pruning reads it: (the names it knows, (name, subtree) of its branches).
_PruneNode = tuple[frozenset, tuple]


def _compile_tree(tree: dict[str, Any]) -> _PruneNode:
    """The tree as :func:`_prune` walks it: only branches are visited below a node, not every leaf."""
    return frozenset(tree), tuple((key, _compile_tree(sub)) for key, sub in tree.items() if sub is not True)


def _prune(record: Any, tree: _PruneNode) -> int:
    """:func:`_prune_walk`, with the record itself and its objects without named branches
    (``customer`` for ``customer.email``) handled inline: nearly every record, without the stack."""
    if type(record) is not dict:
        return _prune_walk(record, tree)
    known, branches = tree
    removed = 0 if record.keys() <= known else _drop_unknown(record, known)
    for key, sub in branches:
        child = record.get(key)
        if child is None:
            continue
        if type(child) is dict and not sub[1]:
            if not child.keys() <= sub[0]:
                removed += _drop_unknown(child, sub[0])
        else:
            removed += _prune_walk(child, sub)
    return removed


def _drop_unknown(node: dict, known: frozenset) -> int:
    """Delete the keys of ``node`` outside ``known``; return how many."""
    unknown = [key for key in node if key not in known]
    for key in unknown:
        del node[key]
    return len(unknown)


def _prune_walk(record: Any, tree: _PruneNode) -> int:
    removed = 0
    stack = [(record, tree)]
    while stack:
        node, tree = stack.pop()
        if isinstance(node, list):
            stack.extend((item, tree) for item in node)
            continue
        if not isinstance(node, dict):
            continue
        known, branches = tree
        if not node.keys() <= known:  # the common case, every key known, skips this loop
            removed += _drop_unknown(node, known)
        for key, sub in branches:
            child = node.get(key)
            if child is not None:
                stack.append((child, sub))
    return removed


def describe_unknown(unknown: list[tuple[dict, str, str]]) -> str:
    """``"2 at the top level, 1 under 'http'"``: how many unknown keys sit where, without their names."""
    counts: dict[str, int] = {}
    for _, _, path in unknown:
        counts[path] = counts.get(path, 0) + 1
    return ", ".join(
        f"{n} under '{path}'" if path else f"{n} at the top level" for path, n in sorted(counts.items())
    )


class SchemaValidator:
    """Validates (and for text sources coerces) records in place.

    Paths without ``[]`` are read with a plain dict walk and values checked
    with a precomputed type test: this runs for every field of every record.
    """

    def __init__(
        self,
        fields: tuple[FieldSpec, ...],
        unknown: UnknownFieldPolicy,
        coerce_text: bool = False,
        max_depth: int = DEFAULT_MAX_DEPTH,
    ):
        self.fields: list[tuple[FieldSpec, Path]] = [(f, parse_path(f.path)) for f in fields]
        # (spec, top-level name or None, names, exact types accepted without a closer look)
        self._simple = [
            (f, p[0].name if len(p) == 1 else None, tuple(s.name for s in p), _FAST_TYPES[f.type])
            for f, p in self.fields
            if is_simple(p)
        ]
        self._nested = [(f, p) for f, p in self.fields if not is_simple(p)]
        self._screen = _screen_groups(self._simple)
        self.unknown = unknown
        self.coerce_text = coerce_text
        self.tree = SchemaTree(fields)
        self._top_level = frozenset(self.tree.root)
        self._flat_schema = all(v is True for v in self.tree.root.values())
        self._json_fields = [(f, p) for f, p in self.fields if f.type is FieldType.JSON]
        self.max_depth = max_depth  # CSV cells of json fields are parsed here: they must not nest deeper

    def validate(self, record: Any) -> dict:
        if type(record) is not dict:
            raise RecordError("validate", "record is not an object")
        if self.unknown is UnknownFieldPolicy.REJECT:
            unknown = self.tree.unknown_keys(record)
            if unknown:
                raise RecordError(
                    "validate",
                    f"fields not in the schema: {describe_unknown(unknown)} "
                    "(names not shown: a key may hold personal data)",
                )
        elif self.unknown is UnknownFieldPolicy.DROP:
            if self._flat_schema:
                for key in record.keys() - self._top_level:
                    del record[key]
            else:
                self.tree.prune(record)
        if self.coerce_text:
            for spec, path in self.fields:
                update_values(record, path, functools.partial(_coerce, ftype=spec.type, path=spec.path))
            for spec, path in self._json_fields:  # the record is level 1, a value at path a.b level 3
                if any(
                    exceeds_depth(value, self.max_depth - len(path)) for value in iter_values(record, path)
                ):
                    raise RecordError(
                        "validate",
                        f"field '{spec.path}' nests objects and lists deeper than "
                        f"source.max_depth ({self.max_depth} levels)",
                    )
        if not self._passes_screen(record):
            self._check_simple_fields(record)
        for spec, path in self._nested:
            present = False
            for value in iter_values(record, path):
                if value is None:
                    continue
                present = True
                if not _has_type(value, spec.type):
                    raise _type_error(spec, value)
            if spec.required and not present:
                raise RecordError("validate", f"required field '{spec.path}' is missing or null")
        for spec, path in self._json_fields:
            if any(holds_non_finite(value) for value in iter_values(record, path)):
                raise RecordError(
                    "validate", f"field '{spec.path}' holds a number that is not finite (NaN or Infinity)"
                )
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
                elif type(value) not in exact_types or (
                    is_float and type(value) is float and not isfinite(value)
                ):
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
                raise _type_error(spec, value)


_EMPTY: dict = {}


def _type_error(spec: FieldSpec, value: Any) -> RecordError:
    """What is wrong with a value of the wrong type: its kind, never the value."""
    non_finite = non_finite_kind(value)
    if non_finite is not None and spec.type in (FieldType.FLOAT, FieldType.INTEGER):
        return RecordError("validate", f"field '{spec.path}' must be a finite number, got {non_finite}")
    got = non_finite or kind_of(value, "an object")
    return RecordError("validate", f"field '{spec.path}' must be {_TYPE_WORDS[spec.type]}, got {got}")


def _screen_groups(
    simple: list[tuple],
) -> list[tuple[tuple[str, ...], tuple[tuple[str, bool, frozenset, bool], ...]]]:
    """The fields without ``[]`` grouped by parent path, as :meth:`SchemaValidator._passes_screen`
    reads them: (parent names, ((name, required, exact types accepted, floats need the finiteness
    test), ...))."""
    groups: dict[tuple[str, ...], list[tuple[str, bool, frozenset, bool]]] = {}
    for spec, _, names, fast_types in simple:
        is_float = spec.type in (FieldType.FLOAT, FieldType.TIMESTAMP)
        exact = fast_types | {float} if is_float else fast_types
        groups.setdefault(names[:-1], []).append((names[-1], spec.required, exact, is_float))
    return [(parents, tuple(checks)) for parents, checks in groups.items()]


# Exact types that always satisfy a field type; anything else gets the full test.
_FAST_TYPES = {
    FieldType.STRING: frozenset({str}),
    FieldType.INTEGER: frozenset({int}),
    FieldType.FLOAT: frozenset({int}),  # floats need the finiteness test
    FieldType.BOOLEAN: frozenset({bool}),
    FieldType.TIMESTAMP: frozenset({str, int}),  # likewise
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
        return (kind is float and isfinite(value)) or kind is int  # NaN and Infinity are no value
    if ftype is FieldType.INTEGER:
        return kind is int or (kind is float and value.is_integer())
    if ftype is FieldType.BOOLEAN:
        return kind is bool
    if ftype is FieldType.TIMESTAMP:
        return (
            kind in (str, int)
            or (kind is float and isfinite(value))
            or isinstance(value, (dt.datetime, dt.date))
        )
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
    except RecursionError:
        raise RecordError("validate", f"field '{path}' nests objects and lists too deeply") from None
    except (ValueError, KeyError):
        raise RecordError(
            "validate", f"field '{path}' must be {_TYPE_WORDS[ftype]}, got text that is not"
        ) from None
    return value
