"""The contract every de-identification primitive implements.

A primitive is named as Cloud DLP names it (``characterMaskConfig``,
``cryptoHashConfig`` ...). It is described by a :class:`PrimitiveSpec`:

* ``parse(params, path)`` turns the YAML mapping under the DLP name into a
  frozen params object, raising :class:`~veilwatch.transforms.config.errors.ConfigError`
  that names ``path`` and the bad key. It runs at config-load time, on the
  launcher, with no keys.
* ``build(params, keys)`` makes the :class:`Transformation` once per worker
  (in a DoFn's ``setup()``), loading key material through ``keys``.

A :class:`Transformation` then maps one value at a time. Values are the JSON
scalars of a record (str, int, float, bool); a primitive that only makes sense
on strings converts with ``str()``.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

ParamsT = TypeVar("ParamsT")


class NotReversibleError(ValueError):
    """Raised when re-identification is asked of a one-way transformation."""


class TransformationError(ValueError):
    """A value cannot be transformed (wrong type, outside the domain ...).

    The message must not contain the value itself: it ends up in dead letters.
    """


@dataclass(frozen=True)
class ValueContext:
    """What a primitive may know about the value it transforms.

    info_type: the infoType declared for the field or found by the scanner.
    record: the whole (parsed, not yet de-identified) record, for primitives
        with a context field (cryptoDeterministicConfig, dateShiftConfig ...).
    field_path: the dotted path of the field the value comes from.
    context_values: the values of context fields as they were before any
        field of the record was de-identified (a context field may itself be
        a declared PII field), by path. A primitive reads its context here
        first and falls back to ``record``.
    """

    info_type: str | None = None
    record: Mapping[str, Any] = field(default_factory=dict)
    field_path: str | None = None
    context_values: Mapping[str, Any] | None = None


class KeyProvider(Protocol):
    """Hands key material to primitives by name. Never logs or prints keys.

    A provider may also carry ``allow_plaintext_keys`` (bool, default False when
    absent): whether the run accepts plaintext key material, which decides whether
    a DLP ``unwrapped`` cryptoKey may be used (see :mod:`veilwatch.transforms.deid.crypto_key`).
    """

    def hmac_prf(self, key_name: str | None) -> Callable[[bytes], bytes]:
        """A keyed HMAC-SHA256 function for ``key_name`` (None: the dataset default)."""

    def raw_key(self, key_name: str | None, purpose: str, key_id: int | None = None) -> bytes:
        """Raw symmetric key bytes for a primitive that needs them (FF1, AES-SIV).

        ``key_id`` selects a key of the keyset by its tink key id (None: the
        primary); reversible primitives use it to decrypt tokens made before
        a rotation. An id not in the keyset raises ``LookupError`` (no key bytes
        in the message).
        """

    def primary_key_id(self) -> int | None:
        """The tink key id of the keyset's primary key (new tokens are made with it); None
        without a keyset (NoKeyset), whose raw_key and hmac_prf raise instead."""


class Transformation(abc.ABC):
    """A built primitive: maps values, and back where it is reversible."""

    reversible: bool = False
    # True when the output depends only on the value (and the field's fixed
    # infoType), not on other fields of the record, and is the same every time:
    # such outputs may be cached (dateShiftConfig's random shift is not).
    context_free: bool = True
    # The record field this primitive reads its context from (DLP's
    # ``context: {name: ...}``), or None.
    context_field: str | None = None
    # The surrogate infoType name its tokens are annotated with, or None.
    surrogate_info_type: str | None = None
    # True when the output ignores the value: the same for every value of a field (a redaction,
    # a replacement): computed once per field, never per value (see FieldRewriter).
    constant_output: bool = False

    @abc.abstractmethod
    def transform(self, value: Any, ctx: ValueContext) -> Any:
        """Return the de-identified form of ``value``."""

    def reverse(self, value: Any, ctx: ValueContext) -> Any:
        """Return the original of a value this primitive produced."""
        raise NotReversibleError(f"{type(self).__name__} is not reversible")


@dataclass(frozen=True)
class PrimitiveSpec(Generic[ParamsT]):
    """Registry entry for one DLP primitive transformation."""

    dlp_name: str
    parse: Callable[[Any, str], ParamsT]  # the raw config value (validated by the parser) and its path
    build: Callable[[ParamsT, KeyProvider | None], Transformation]  # keys None: a run given none
    reversible: bool = False
    # Whether it uses the dataset keyset: a bool, or a function of its parsed params when
    # that depends on them (a date shift without a context draws random shifts, no key).
    needs_keys: bool | Callable[[ParamsT], bool] = False

    def uses_keyset(self, params: ParamsT) -> bool:
        """``needs_keys`` for these params."""
        return self.needs_keys(params) if callable(self.needs_keys) else self.needs_keys


def require_keys(keys: KeyProvider | None, name: str) -> KeyProvider:
    """``keys`` for a primitive that draws on the dataset keyset, and a clear error in a run given
    none (a real run without a keyset passes NoKeyset, whose key methods raise their own)."""
    if keys is None:
        raise ValueError(f"{name} without a cryptoKey needs the dataset keyset (keys.keyset or --keyset)")
    return keys
