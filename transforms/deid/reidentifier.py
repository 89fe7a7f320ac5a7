"""Re-identification: restore the reversible fields of an anonymized record.

    keys = KeyRing.load(config.keys, allow_plaintext=True)
    plan = ReidentifyPlan.build(config.pii, ["customer.email", "card_number"])
    restorer = RecordReidentifier(plan, keys)
    restorer.reidentify(record)        # in place

Only declared PII fields whose transformation is reversible
(``cryptoDeterministicConfig``, ``cryptoReplaceFfxFpeConfig``, with the
dataset keyset or a DLP ``unwrapped`` / ``kmsWrapped`` cryptoKey; never a
``transient`` one, which DLP discards) can be restored, plus scanned free-text
fields in which findings were tokenized by a
reversible transformation with a ``surrogateInfoType`` (the annotation is how
tokens are found again in text). Anything else is refused by
:meth:`ReidentifyPlan.build` with a message naming the field and why, before
any data is read.

A context field is read from the record being restored. It must therefore
hold its original value there: a context field that was itself
de-identified must be restored too (in the same ``--fields``; it is restored
first), and one that was transformed one-way makes the field depending on it
unrecoverable (refused).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from veilwatch.transforms.config.model import PiiSpec, TransformationSpec
from veilwatch.transforms.deid.base import KeyProvider, Transformation, TransformationError, ValueContext
from veilwatch.transforms.deid.crypto.errors import CryptoError
from veilwatch.transforms.deid.crypto.surrogate import SurrogateScanner, SurrogateToken
from veilwatch.transforms.deid.registry import PRIMITIVES, build_transformation, is_reversible
from veilwatch.transforms.records.errors import RecordError
from veilwatch.transforms.records.paths import parse_path, update_values

REVERSIBLE = tuple(name for name, spec in PRIMITIVES.items() if spec.reversible)


class ReidentifyRefused(ValueError):
    """A requested field cannot be restored; the message names it and why."""


@dataclass(frozen=True)
class FieldStep:
    path: str
    info_type: str
    spec: TransformationSpec


@dataclass(frozen=True)
class TextStep:
    path: str
    specs: tuple[tuple[str, TransformationSpec], ...]  # (surrogate infoType name, transformation)


@dataclass(frozen=True)
class ReidentifyPlan:
    """What to restore, in order: picklable plain data (built on the launcher)."""

    fields: tuple[FieldStep, ...]
    texts: tuple[TextStep, ...]

    @classmethod
    def build(cls, pii: PiiSpec, requested: Sequence[str]) -> ReidentifyPlan:
        if not requested:
            raise ReidentifyRefused("--fields: name at least one field to restore")
        declared = {p.path: p for p in pii.fields}
        changed = set(declared) | set(pii.scan_fields)
        steps: list[FieldStep] = []
        texts: list[TextStep] = []
        for path in dict.fromkeys(requested):
            policy = declared.get(path)
            if policy is not None:
                if policy.transformation is None:
                    raise ReidentifyRefused(
                        f"field '{path}' is scanned with its own info_type_transformations "
                        "(pii.fields); restoring findings in it is not supported"
                    )
                if any(p.condition is not None for p in pii.fields if p.path == path):
                    raise ReidentifyRefused(
                        f"field '{path}' is transformed under a condition; which records "
                        "were transformed is not recorded, so it cannot be restored"
                    )
                spec = policy.transformation
                if not is_reversible(spec):
                    raise ReidentifyRefused(
                        f"field '{path}' uses {spec.dlp_name}, which is not reversible "
                        f"(reversible: {', '.join(REVERSIBLE)})"
                    )
                if _transient(spec):
                    raise ReidentifyRefused(
                        f"field '{path}' uses {spec.dlp_name} with a transient cryptoKey: the key is discarded "
                        "(as DLP does), so its tokens cannot be restored"
                    )
                context = getattr(spec.params, "context_field", None)
                if context == path:
                    raise ReidentifyRefused(f"field '{path}' is its own context field; it cannot be restored")
                if context and context in changed and context not in requested:
                    # None: a scanned text field, or a pii.fields item scanned with its own infoTypes
                    context_spec = declared[context].transformation if context in declared else None
                    how = context_spec.dlp_name if context_spec is not None else "text scanning"
                    hint = (
                        "add it to --fields"
                        if context_spec is not None and is_reversible(context_spec)
                        else f"{how} is not reversible, so '{path}' cannot be restored"
                    )
                    raise ReidentifyRefused(
                        f"field '{path}' uses context field '{context}', which was itself de-identified ({how}); {hint}"
                    )
                if context and context in pii.scan_fields:
                    raise ReidentifyRefused(
                        f"field '{path}' uses context field '{context}', a scanned text field; "
                        "its original value is not recoverable"
                    )
                steps.append(FieldStep(path, policy.info_type, spec))
            elif path in pii.scan_fields:
                candidates = list(pii.info_type_transformations.values()) + [pii.default_scan_transformation]
                usable = tuple(
                    (spec.params.surrogate_info_type, spec)
                    for spec in candidates
                    if is_reversible(spec)
                    and getattr(spec.params, "surrogate_info_type", None)
                    and not _transient(spec)
                )
                if not usable:
                    raise ReidentifyRefused(
                        f"field '{path}' is scanned text; only findings tokenized by a reversible transformation "
                        "with a surrogateInfoType (and no transient cryptoKey) can be restored, and "
                        "pii.info_type_transformations has none"
                    )
                texts.append(TextStep(path, usable))
            else:
                raise ReidentifyRefused(
                    f"field '{path}' is neither a declared PII field (pii.fields) "
                    "nor a scanned field (pii.scan_fields); there is nothing to restore"
                )
        return cls(_order(steps), tuple(texts))


def _transient(spec: TransformationSpec) -> bool:
    """A DLP ``transient`` cryptoKey: DLP discards it after the request, so nothing it made is reversible."""
    crypto_key = getattr(spec.params, "crypto_key", None)
    return crypto_key is not None and not crypto_key.reversible


def _order(steps: list[FieldStep]) -> tuple[FieldStep, ...]:
    """Fields that are another's context first (DLP reads context from the original record)."""
    pending = list(steps)
    done: list[FieldStep] = []
    while pending:
        waiting = {s.path for s in pending}
        ready = [s for s in pending if getattr(s.spec.params, "context_field", None) not in waiting]
        if not ready:
            raise ReidentifyRefused(
                "the requested fields are each other's context fields (a cycle); "
                f"cannot restore {', '.join(sorted(waiting))}"
            )
        done.extend(ready)
        pending = [s for s in pending if s not in ready]
    return tuple(done)


class RecordReidentifier:
    """Built once per worker from a plan and the keys; restores records in place."""

    def __init__(self, plan: ReidentifyPlan, keys: KeyProvider):
        self._fields = [
            (s.path, parse_path(s.path), s.info_type, build_transformation(s.spec, keys)) for s in plan.fields
        ]
        self._texts = []
        for step in plan.texts:
            by_name = {name: build_transformation(spec, keys) for name, spec in step.specs}
            self._texts.append((step.path, parse_path(step.path), SurrogateScanner(by_name), by_name))

    def reidentify(self, record: dict) -> None:
        # update_values calls the function before returning: partial binds this iteration's values.
        for path_text, path, info_type, transformation in self._fields:
            reverse = functools.partial(
                self._reverse, transformation, info_type=info_type, record=record, path=path_text
            )
            update_values(record, path, reverse)
        for path_text, path, scanner, by_name in self._texts:
            restore = functools.partial(
                self._restore_text, scanner=scanner, by_name=by_name, record=record, path=path_text
            )
            update_values(record, path, restore)

    @staticmethod
    def _reverse(t: Transformation, value: Any, info_type: str, record: dict, path: str) -> Any:
        if value is None:
            return None
        try:
            return t.reverse(value, ValueContext(info_type, record, path))
        except TransformationError as exc:
            raise RecordError("reidentify", f"field '{path}': {exc}") from None

    @staticmethod
    def _restore_text(
        value: Any, scanner: SurrogateScanner, by_name: dict[str, Transformation], record: dict, path: str
    ) -> Any:
        if not isinstance(value, str):
            return value

        def restore(token: SurrogateToken) -> str:
            original = value[token.start : token.end]
            return str(by_name[token.info_type].reverse(original, ValueContext(None, record, path)))

        try:
            return scanner.replace(value, restore)
        except (TransformationError, CryptoError) as exc:
            raise RecordError("reidentify", f"field '{path}': {exc}") from None
