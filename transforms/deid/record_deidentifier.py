"""De-identify one record in place: declared PII fields, then scanned text.

* Declared fields (``pii.fields``) get their record transformation, whatever
  their content: the config says they hold PII. As DLP's record transformations,
  an item may name several fields, apply only where its ``condition`` holds (on
  the record as it was before de-identification; a field gets the first item that
  applies) or scan its field with its own infoType transformations; a record
  matching a ``pii.record_suppressions`` condition raises :class:`RecordSuppressed`.
* Free-text fields (``pii.scan_fields``, and with ``unknown_fields: scan``
  every string and integer at any depth below a field outside the schema) are
  scanned by the detection engine; every finding is replaced by the
  transformation configured for its infoType (``pii.info_type_transformations``,
  else ``default_scan_transformation``).
* Key names are data: with ``unknown_fields: keep`` or ``scan`` every key
  outside the schema is scanned the same way and a key holding PII is renamed
  to its de-identified form (see :mod:`veilwatch.transforms.deid.unknown_fields`). Its
  findings are reported on the pseudo-field ``<object path>.{key}`` (``{key}``
  at the top level), offsets within the original key name.

Primitives with a context field (``context: {name: ...}``) see the context
value as it was before any field of the record was rewritten, as DLP reads
it from the original record; so a context field may itself be de-identified.

Findings are returned as :class:`FieldFinding` (where and which infoType),
never with the matched text.
"""

from __future__ import annotations

import functools
from typing import Any, NamedTuple, Protocol

from veilwatch.transforms.config.model import PiiSpec
from veilwatch.transforms.deid.base import KeyProvider, Transformation, TransformationError, ValueContext
from veilwatch.transforms.deid.registry import build_transformation
from veilwatch.transforms.deid.transformation_errors import OUTSIDE_SCHEMA, TransformationErrors
from veilwatch.transforms.deid.unknown_fields import join, rewrite_unknown_fields
from veilwatch.transforms.records.errors import RecordError
from veilwatch.transforms.records.nesting import non_finite_kind
from veilwatch.transforms.records.paths import (
    first_value_getter,
    get_simple,
    is_simple,
    iter_values,
    parse_path,
    update_values,
)
from veilwatch.transforms.records.schema import SchemaTree


class Scanner(Protocol):
    def scan(self, text: str) -> list[Any]:  # findings with start, end, info_type, likelihood
        ...

    def text_too_long(self, text: str) -> bool: ...


class FieldFinding(NamedTuple):
    """Where a scanned field held which infoType (a named tuple: one is built per finding, cheaply)."""

    field: str
    start: int
    end: int
    info_type: str
    likelihood: str


# Distinct values remembered per declared field (a customer's email recurs in
# every one of their transactions), and finding replacements remembered per
# deidentifier; each cache is emptied when full, so it holds at most this many.
VALUE_CACHE_SIZE = 65_536
# Scanned texts remembered whole (the replaced text and its findings) per deidentifier: a note
# such as "gift" recurs in thousands of records. At most this many texts, each no longer than the
# scanner's result cache allows (``result_cache_chars``, 512): up to ~16 MiB of ASCII keys and
# replaced texts (~64 MiB for 4-byte characters) per deidentifier; emptied when full.
TEXT_CACHE_SIZE = 16_384


class FieldRewriter:
    """Applies one field's transformation to every value at its path, caching context-free
    results (which also share one context, see :func:`shared_context`)."""

    def __init__(
        self,
        path_text: str,
        info_type: str,
        transformation: Transformation,
        errors: TransformationErrors | None = None,
    ):
        self.path_text = path_text
        self.errors = errors  # pii.transformation_error_handling; None: dead-letter the record
        self.path = parse_path(path_text)
        self.simple = is_simple(self.path)
        self.parents = tuple(s.name for s in self.path[:-1])
        self.leaf = self.path[-1].name
        self.info_type = info_type
        self.transformation = transformation
        context_free = transformation.context_free
        # Strings (nearly every value) are keyed by themselves, other scalars by (type, value)
        # so that 1, 1.0 and True stay apart (a str key never equals a tuple key).
        self.cache: dict[Any, Any] | None = {} if context_free else None
        self._shared_context = shared_context(info_type, path_text) if context_free else None
        # A redaction or replacement: the one output of every value, as a 1-tuple ("" is one), else None.
        self.constant: tuple[Any] | None = None
        if transformation.constant_output and self._shared_context is not None:
            self.constant = (transformation.transform(None, self._shared_context),)

    def rewrite(self, record: dict, context_values: dict | None = None) -> None:
        if not self.simple:
            update_values(record, self.path, lambda v: self._apply(v, record, context_values))
            return
        parent = get_simple(record, self.parents) if self.parents else record
        if type(parent) is not dict:
            return
        leaf = self.leaf
        value = parent.get(leaf)
        if value is None:
            return
        if self.constant is not None:
            parent[leaf] = self.constant[0]
            return
        # The cache lookup of _apply for strings, inlined: most declared values recur (a customer's email).
        if type(value) is str and self.cache is not None:
            hit = self.cache.get(value)
            if hit is not None:
                parent[leaf] = hit
                return
        parent[leaf] = self._apply(value, record, context_values)

    def _apply(self, value: Any, record: dict, context_values: dict | None = None) -> Any:
        if self.constant is not None:
            return self.constant[0]
        cache = None if isinstance(value, (dict, list)) else self.cache  # only scalars are cached
        key: Any = _NOT_CACHED
        if cache is not None:
            key = value if type(value) is str else (type(value), value)
            hit = cache.get(key)
            if hit is not None:
                return hit
        return self.compute(value, key, record, context_values)

    def compute(self, value: Any, key: Any, record: dict, context_values: dict | None = None) -> Any:
        """``value`` transformed (a cache miss), remembered under ``key`` unless it is ``_NOT_CACHED``."""
        ctx = self._shared_context or ValueContext(self.info_type, record, self.path_text, context_values)
        try:
            out = self.transformation.transform(value, ctx)
        except TransformationError as exc:
            if self.errors is None:
                raise RecordError("deidentify", f"field '{self.path_text}': {exc}") from None
            self.errors.handle(self.path_text, exc, "deidentify")  # raises unless leaveUntransformed
            return value  # left untransformed, and not cached: every such value is counted
        if key is not _NOT_CACHED:
            cache = self.cache
            assert cache is not None, "a key is only given when the transformation is context-free"
            if len(cache) >= VALUE_CACHE_SIZE:
                cache.clear()
            cache[key] = out
        return out


# The cache key of a value FieldRewriter.compute does not remember (lists, objects, uncached fields).
_NOT_CACHED = object()


@functools.lru_cache(maxsize=4096)
def shared_context(info_type: str, field: str) -> ValueContext:
    """The one context a context-free primitive sees for ``field`` and ``info_type``: such
    primitives read nothing but the value, the infoType and the field path (which is what
    lets their outputs be cached), so no context is built per value. Bounded: with
    ``unknown_fields: scan`` the field paths come from the data."""
    return ValueContext(info_type, {}, field, None)


class FieldScan(NamedTuple):
    """A declared field scanned like free text, with its own transformation per infoType
    (DLP's per-field ``infoTypeTransformations``); other findings get ``default``."""

    path_text: str
    path: Any  # the parsed path
    by_type: dict
    default: Transformation


class FieldStep(NamedTuple):
    """One pii.fields path: what is done to it (FieldRewriter or FieldScan) and when (a condition or None)."""

    path: str
    condition: Any
    action: Any


class RecordSuppressed(Exception):
    """The record matches a ``pii.record_suppressions`` condition: it is left out of the
    outputs (counted as suppressed), as DLP's recordSuppressions omit it from the table."""


class RecordDeidentifier:
    """Built once per worker (keys loaded, primitives constructed), used per record."""

    def __init__(
        self,
        pii: PiiSpec,
        keys: KeyProvider | None,
        scanner: Scanner | None = None,
        unknown_fields: SchemaTree | None = None,
        scan_unknown_values: bool = False,
    ):
        """``unknown_fields``: the schema, when fields outside it reach the outputs (``keep``,
        ``scan``): their key names are scanned, and with ``scan_unknown_values`` their values."""
        # Transformation errors: dead letter or leaveUntransformed, counted per field and reason.
        self.transformation_errors = TransformationErrors(pii.transformation_error_handling)
        # pii.fields in order: a primitive over the whole value (FieldRewriter) or a scan of the
        # field (FieldScan, its own infoTypeTransformations), each with its item's condition.
        self._steps: list[FieldStep] = []
        for p in pii.fields:
            if p.transformation is not None:
                action: Any = FieldRewriter(
                    p.path,
                    p.info_type,
                    build_transformation(p.transformation, keys),
                    self.transformation_errors,
                )
            else:
                action = FieldScan(
                    p.path,
                    parse_path(p.path),
                    {t: build_transformation(s, keys) for t, s in p.info_type_transformations.items()},
                    build_transformation(
                        p.default_scan_transformation or pii.default_scan_transformation, keys
                    ),
                )
            self._steps.append(FieldStep(p.path, p.condition, action))
        self._fields = [s.action for s in self._steps if isinstance(s.action, FieldRewriter)]
        self._field_groups = _group_by_parent(self._fields)
        self._field_scans = [s.action for s in self._steps if isinstance(s.action, FieldScan)]
        # Without conditions, field scans or a field named twice, every step applies: the fast path.
        paths = [s.path for s in self._steps]
        self._plain = (
            not self._field_scans
            and all(s.condition is None for s in self._steps)
            and len(set(paths)) == len(paths)
        )
        self._conditions = list(
            {id(s.condition): s.condition for s in self._steps if s.condition is not None}.values()
        )
        self._suppressions = tuple(pii.record_suppressions)
        self._scan_paths = [(path, parse_path(path)) for path in pii.scan_fields]
        self._scan_path_texts = frozenset(pii.scan_fields) | {scan.path_text for scan in self._field_scans}
        # What scan_texts reads: (the name of a top-level field, else None; the parsed path).
        self._text_paths = [
            (path[0].name if len(path) == 1 and not path[0].each else None, path)
            for path in [p for _, p in self._scan_paths] + [scan.path for scan in self._field_scans]
        ]
        self._scanner = scanner
        # the batch path hands it a batch's texts first (RecordProcessor.process_batch)
        self.scanner = scanner
        self._unknown_fields = unknown_fields
        self._scan_unknown_values = scan_unknown_values
        self._key_findings: dict[str, list[Any]] = {}  # scanner results per key name: keys recur
        # Replacements of findings by context-free primitives, per (primitive, infoType, field, text):
        # an email in free text recurs as often as in its declared field. Per instance (built on the
        # worker, never shared across pipelines), emptied when it holds VALUE_CACHE_SIZE entries.
        self._replacements: dict[tuple[int, str, str, str], str] = {}
        # Scanned texts whole: (field, text, the field scan's own transformations or None) ->
        # (the text with its findings replaced, its findings). Only where the scanner's findings
        # depend on the text alone (its result cache: ``result_cache_chars``) and every replacement
        # was context-free and succeeded; see _scan_text.
        self._texts: dict[tuple, tuple[str, tuple[FieldFinding, ...]]] = {}
        self._text_cache_chars: int = getattr(scanner, "result_cache_chars", 0)
        self._by_type = {t: build_transformation(s, keys) for t, s in pii.info_type_transformations.items()}
        self._default = build_transformation(pii.default_scan_transformation, keys)
        if (self._scan_paths or self._field_scans or unknown_fields is not None) and scanner is None:
            raise ValueError("scanning is configured but no scanner was given")
        built = [r.transformation for r in self._fields] + list(self._by_type.values()) + [self._default]
        built += [t for scan in self._field_scans for t in (*scan.by_type.values(), scan.default)]
        context_fields = sorted({t.context_field for t in built if t.context_field})
        self._context_getters = [(path, first_value_getter(path)) for path in context_fields]

    def deidentify(self, record: dict) -> list[FieldFinding]:
        """Rewrite ``record`` in place; return the findings in scanned text. Raises
        :class:`RecordSuppressed` (before any change) when a ``record_suppressions`` condition matches."""
        if self._suppressions and any(c.matches(record) for c in self._suppressions):
            raise RecordSuppressed()
        context_values = (
            {path: get(record) for path, get in self._context_getters} if self._context_getters else None
        )
        findings: list[FieldFinding] = []
        if self._plain:
            self._rewrite_fields(record, context_values)
        else:
            self._apply_steps(record, context_values, findings)
        for path_text, path in self._scan_paths:
            if len(path) == 1 and not path[0].each:  # a top-level text field: no path walk
                name = path[0].name
                text = record.get(name)
                if isinstance(text, str) and text:
                    record[name] = self._scan_text(text, record, path_text, findings, context_values)
                continue
            # update_values calls the function before returning: partial binds this iteration's values.
            scan = functools.partial(
                self._scan_text, record=record, field=path_text, out=findings, context_values=context_values
            )
            update_values(record, path, scan)
        if self._unknown_fields is not None:
            self._deidentify_unknown_fields(record, findings, context_values)
        return findings

    def _rewrite_fields(self, record: dict, context_values: dict | None) -> None:
        """Every pii.fields rewriter in order (the plain path), what ``FieldRewriter.rewrite`` does
        for each, with each run of fields under one parent object (``customer.name``,
        ``customer.email``) reading that parent once and cached strings looked up inline."""
        for parents, members in self._field_groups:
            if parents is None:  # a path with [] steps
                members[0].rewrite(record, context_values)
                continue
            parent = get_simple(record, parents) if parents else record
            if type(parent) is not dict:
                continue
            for rewriter in members:
                leaf = rewriter.leaf
                value = parent.get(leaf)
                if value is None:
                    continue
                constant = rewriter.constant
                if constant is not None:  # a redaction or replacement: no cache, no call
                    parent[leaf] = constant[0]
                    continue
                cache = rewriter.cache
                if cache is not None and type(value) is str:
                    hit = cache.get(value)
                    parent[leaf] = (
                        hit if hit is not None else rewriter.compute(value, value, record, context_values)
                    )
                else:
                    parent[leaf] = rewriter._apply(value, record, context_values)

    def _apply_steps(self, record: dict, context_values: dict | None, findings: list[FieldFinding]) -> None:
        """The pii.fields items in order, each where its condition holds on the record as it was
        before any field was rewritten; a field named by several items gets the first that applies."""
        holds = {id(c): c.matches(record) for c in self._conditions}
        done: set[str] = set()
        for step in self._steps:
            if step.path in done or (step.condition is not None and not holds[id(step.condition)]):
                continue
            done.add(step.path)
            action = step.action
            if isinstance(action, FieldRewriter):
                action.rewrite(record, context_values)
            else:
                scan = functools.partial(
                    self._scan_text,
                    record=record,
                    field=action.path_text,
                    out=findings,
                    context_values=context_values,
                    by_type=action.by_type,
                    default=action.default,
                )
                update_values(record, action.path, scan)

    def _deidentify_unknown_fields(
        self, record: dict, out: list[FieldFinding], context_values: dict | None
    ) -> None:
        """Keys outside the schema (keep, scan) and, with scan, the values below them."""
        if self._scan_unknown_values:

            def leaf(value: Any, path: str) -> Any:
                return self._scan_unknown_value(value, path, record, out, context_values)
        else:
            leaf = _refuse_non_finite

        def rename(key: str, path: str) -> str:
            found = self._key_findings.get(key)
            if found is not None and not found:  # a key seen before, without PII: most keys
                return key
            return self._scan_key(key, path, record, out, context_values)

        # keep: only floats are looked at (a number that is not finite is refused)
        assert self._unknown_fields is not None, "called only with the schema (see deidentify)"
        rewrite_unknown_fields(
            record,
            self._unknown_fields,
            rename,
            leaf,
            (str, int, float) if self._scan_unknown_values else (float,),
        )

    def _scan_key(
        self, key: str, path: str, record: dict, out: list[FieldFinding], context_values: dict | None
    ) -> str:
        """A key name outside the schema -> the name with its findings de-identified."""
        found = self._key_findings.get(key)
        if found is None:
            scanner = self._scanner
            assert scanner is not None, "__init__ refuses a config that scans without a scanner"
            if scanner.text_too_long(key):
                where = f"under '{path}'" if path else "at the top level"
                raise RecordError("scan", f"a key name {where} is longer than the scanner's max_text_chars")
            found = scanner.scan(key) if key else []
            if len(self._key_findings) >= VALUE_CACHE_SIZE:
                self._key_findings.clear()
            self._key_findings[key] = found
        if not found:
            return key
        return self._replace_findings(key, found, record, join(path, "{key}"), out, context_values)[0]

    def _scan_unknown_value(
        self, value: Any, path: str, record: dict, out: list[FieldFinding], context_values: dict | None
    ) -> Any:
        """A value below a field outside the schema: text and integers are scanned (an integer
        holding PII becomes its de-identified text); a number that is not finite is refused."""
        if type(value) is str:
            return self._scan_text(value, record, path, out, context_values) if value else value
        if type(value) is int:
            text = str(value)
            scanned = self._scan_text(text, record, path, out, context_values)
            return value if scanned == text else scanned
        return _refuse_non_finite(value, path)

    def scan_texts(self, record: dict) -> list[str]:
        """The texts of ``record``'s declared free-text fields (``pii.scan_fields``): what a batch
        hands the scanner's ``prepare`` before its records are de-identified one by one."""
        texts: list[str] = []
        for name, path in self._text_paths:
            if name is not None:  # a top-level field: one lookup, no path walk
                value = record.get(name) if isinstance(record, dict) else None
                if isinstance(value, str) and value:
                    texts.append(value)
                continue
            texts.extend(value for value in iter_values(record, path) if isinstance(value, str) and value)
        return texts

    def _scan_text(
        self,
        value: Any,
        record: dict,
        field: str,
        out: list[FieldFinding],
        context_values: dict | None = None,
        by_type: dict | None = None,
        default: Transformation | None = None,
    ) -> Any:
        """``value`` with its findings replaced; ``by_type``/``default``: a field's own
        infoTypeTransformations (pii.fields), else pii.info_type_transformations."""
        if not isinstance(value, str):
            return value
        key: tuple | None = None
        if len(value) <= self._text_cache_chars:
            # The whole outcome of a text seen before: the same findings (the scanner's result
            # cache makes them a function of the text) and the same context-free replacements.
            key = (field, value, None if by_type is None else id(by_type))
            hit = self._texts.get(key)
            if hit is not None:
                out.extend(hit[1])
                return hit[0]
        scanner = self._scanner
        assert scanner is not None, "__init__ refuses a config that scans without a scanner"
        if scanner.text_too_long(value):
            raise RecordError("scan", f"field '{field}' is longer than the scanner's max_text_chars")
        found = scanner.scan(value)
        if not found:
            if key is not None:
                self._remember_text(key, value, ())
            return value
        first = len(out)
        replaced, cacheable = self._replace_findings(
            value, found, record, field, out, context_values, by_type, default
        )
        if key is not None and cacheable:
            self._remember_text(key, replaced, tuple(out[first:]))
        return replaced

    def _remember_text(self, key: tuple, replaced: str, findings: tuple[FieldFinding, ...]) -> None:
        if len(self._texts) >= TEXT_CACHE_SIZE:
            self._texts.clear()
        self._texts[key] = (replaced, findings)

    def _replace_findings(
        self,
        value: str,
        found: list[Any],
        record: dict,
        field: str,
        out: list[FieldFinding],
        context_values: dict | None,
        by_type: dict | None = None,
        default: Transformation | None = None,
    ) -> tuple[str, bool]:
        """``value`` with every finding replaced by its infoType's transformation, and whether the
        result depends on the text alone (every transformation context-free and none failed), so that
        it may be remembered per text."""
        cacheable = True
        pieces: list[str] = []
        cursor = 0
        for f in found:  # sorted by start, non-overlapping
            transformation = (
                self._by_type.get(f.info_type, self._default)
                if by_type is None
                else by_type.get(f.info_type, default)
            )
            assert transformation is not None, "a field scan carries its default transformation"
            pieces.append(value[cursor : f.start])
            found_text = value[f.start : f.end]
            cache_key = None
            hit = None
            if transformation.context_free:
                ctx = shared_context(f.info_type, field)
                if not transformation.constant_output:  # a redaction is not worth remembering per text
                    # The output depends on the primitive (its key), the infoType, the field and the text.
                    cache_key = (id(transformation), f.info_type, field, found_text)
                    hit = self._replacements.get(cache_key)
            else:
                cacheable = False
                ctx = ValueContext(f.info_type, record, field, context_values)
            if hit is not None:
                replacement = hit
            else:
                try:
                    replacement = str(transformation.transform(found_text, ctx))
                except TransformationError as exc:
                    # A field outside the schema is data: it is counted, never named.
                    label = field if field in self._scan_path_texts else OUTSIDE_SCHEMA
                    self.transformation_errors.handle(label, exc, "scan")  # raises unless leaveUntransformed
                    replacement = found_text  # left untransformed, not cached: every such finding is counted
                    cacheable = False
                else:
                    if cache_key is not None:
                        if len(self._replacements) >= VALUE_CACHE_SIZE:
                            self._replacements.clear()
                        self._replacements[cache_key] = replacement
            pieces.append(replacement)
            cursor = f.end
            out.append(FieldFinding(field, f.start, f.end, f.info_type, _likelihood_name(f.likelihood)))
        pieces.append(value[cursor:])
        return "".join(pieces), cacheable


def _group_by_parent(
    rewriters: list[FieldRewriter],
) -> list[tuple[tuple[str, ...] | None, list[FieldRewriter]]]:
    """Consecutive rewriters of paths without ``[]`` under the same parent object, as
    ``(parent names, rewriters)``; a path with ``[]`` is a group of its own with parent ``None``.
    Only neighbours are grouped, so the rewriters still run in the config's order."""
    groups: list[tuple[tuple[str, ...] | None, list[FieldRewriter]]] = []
    for rewriter in rewriters:
        parents = rewriter.parents if rewriter.simple else None
        if parents is not None and groups and groups[-1][0] == parents:
            groups[-1][1].append(rewriter)
        else:
            groups.append((parents, [rewriter]))
    return groups


def _refuse_non_finite(value: Any, path: str) -> Any:
    """Fields outside the schema hold no NaN or Infinity either (no sink writes them as numbers)."""
    if non_finite_kind(value) is not None:
        raise RecordError(
            "validate", "a field not in the schema holds a number that is not finite (NaN or Infinity)"
        )
    return value


def _likelihood_name(likelihood: Any) -> str:
    return getattr(likelihood, "name", str(likelihood))
