"""Cloud DLP's ``cryptoKey``: parse it from a config, resolve it to key bytes on a worker.

DLP's crypto primitives (``cryptoHashConfig``, ``cryptoDeterministicConfig``,
``cryptoReplaceFfxFpeConfig``, ``dateShiftConfig``) name their key inline, as
exactly one of (DLP's JSON, as ``MessageToDict`` writes a ``CryptoKey``)::

    cryptoKey: {unwrapped: {key: <base64>}}
    cryptoKey: {kmsWrapped: {wrappedKey: <base64>,
                             cryptoKeyName: projects/P/locations/L/keyRings/R/cryptoKeys/K}}
    cryptoKey: {transient: {name: my-key}}

* ``unwrapped``: the key bytes themselves, in the config, in clear. DLP warns
  "Using raw keys is prone to security risks due to accidentally leaking the
  key". veilwatch treats it like a plaintext keyset: a run refuses it unless
  ``--allow_plaintext_keys`` is passed (local runs and tests).
* ``kmsWrapped``: the key encrypted by a Cloud KMS key (KMS ``Encrypt`` with no
  associated data, as DLP's "create a wrapped key" guide does); a worker calls
  KMS ``Decrypt`` once per key and process (:func:`resolve_crypto_key` caches).
* ``transient``: a random key made for the name. DLP makes one per request and
  discards it, so its tokens can never be reversed; veilwatch makes one per
  process and name (each worker differs, so tokens do not join across workers),
  and re-identification refuses such a transformation.

Key sizes (DLP's proto docs, google-cloud-dlp 3.38.0 ``types/dlp.py``):
``UnwrappedCryptoKey.key`` and ``KmsWrappedCryptoKey``: "a 128/192/256 bit key";
``CryptoHashConfig``: "The key size must be either 32 or 64 bytes";
``CryptoDeterministicConfig``: "the provided key is internally expanded to 64
bytes prior to use". Each primitive passes the sizes it accepts
(``allowed_sizes``). Base64 is read as protobuf's JSON reads ``bytes``: the
standard or URL-safe alphabet, padding optional.

Key bytes never reach a message, a log or a ``repr``: errors name the key's
config path and what is wrong with it.

Usage (a primitive's parse and build)::

    issues: list[ConfigIssue] = []
    spec = parse_crypto_key(params, path, issues, allowed_sizes=FPE_KEY_SIZES)  # None: no cryptoKey
    ...
    key = resolve_crypto_key(spec, allow_plaintext=plaintext_allowed(keys))     # in build(), on the worker
"""

from __future__ import annotations

import binascii
import logging
import re
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from veilwatch.transforms.config.errors import ConfigIssue
from veilwatch.transforms.config.reader import Node
from veilwatch.transforms.deid.crypto.errors import CryptoError

_LOG = logging.getLogger(__name__)
CRYPTO_KEY = "cryptoKey"
KINDS = {"unwrapped": "unwrapped", "kmsWrapped": "kms_wrapped", "transient": "transient"}
# Sizes in bytes DLP documents per primitive.
AES_KEY_SIZES = (16, 24, 32)  # "a 128/192/256 bit key" (FPE, AES-SIV, date shift)
HASH_KEY_SIZES = (32, 64)  # CryptoHashConfig: "The key size must be either 32 or 64 bytes"
TRANSIENT_KEY_SIZE = 32
_KMS_KEY_NAME = re.compile(
    r"projects/[^/]+/locations/[a-zA-Z0-9_-]{1,63}/keyRings/[a-zA-Z0-9_-]{1,63}"
    r"/cryptoKeys/[a-zA-Z0-9_-]{1,63}"
)
_BASE64 = re.compile(r"[A-Za-z0-9+/\-_]*={0,2}")


class CryptoKeyError(CryptoError):
    """A cryptoKey cannot be resolved to key bytes; the message names its path, never the key."""


@dataclass(frozen=True)
class CryptoKeySpec:
    """A parsed DLP ``CryptoKey`` (plain data: picklable, built on the launcher).

    kind: which of DLP's three sources.
    key_b64: the ``unwrapped`` key, base64 as written in the config.
    wrapped_key_b64 / crypto_key_name: the ``kmsWrapped`` key and the KMS key that unwraps it.
    transient_name: the ``transient`` key's name.
    path: where the cryptoKey sits in the config (for messages).
    allowed_sizes: the key sizes in bytes the primitive accepts (checked again after a KMS unwrap).
    """

    kind: Literal["unwrapped", "kms_wrapped", "transient"]
    key_b64: str | None = None
    wrapped_key_b64: str | None = None
    crypto_key_name: str | None = None
    transient_name: str | None = None
    path: str = field(default=CRYPTO_KEY, compare=False)
    allowed_sizes: tuple[int, ...] = field(default=AES_KEY_SIZES, compare=False)

    @property
    def reversible(self) -> bool:
        """False for a transient key: DLP discards it, so its tokens cannot be restored."""
        return self.kind != "transient"

    def to_dlp_json(self) -> dict[str, Any]:
        """The ``CryptoKey`` in DLP's JSON form (what was parsed)."""
        if self.kind == "unwrapped":
            return {"unwrapped": {"key": self.key_b64}}
        if self.kind == "kms_wrapped":
            return {"kmsWrapped": {"wrappedKey": self.wrapped_key_b64, "cryptoKeyName": self.crypto_key_name}}
        return {"transient": {"name": self.transient_name}}

    def __repr__(self) -> str:  # never shows key bytes, wrapped or not
        detail = {
            "unwrapped": "key=<redacted>",
            "kms_wrapped": f"crypto_key_name={self.crypto_key_name!r}, wrapped_key=<redacted>",
            "transient": f"name={self.transient_name!r}",
        }[self.kind]
        return f"CryptoKeySpec(kind={self.kind!r}, {detail}, path={self.path!r})"

    __str__ = __repr__


def parse_crypto_key(
    params: Mapping[str, Any], path: str, issues: list[ConfigIssue], *, allowed_sizes: tuple[int, ...]
) -> CryptoKeySpec | None:
    """The ``cryptoKey`` of a primitive's params, or None when it has none.

    ``params`` is the primitive's parameter mapping and ``path`` its config path
    (the key's path is ``<path>.cryptoKey``); a mapping that is itself a
    CryptoKey (``{unwrapped: ...}``, with ``path`` ending in ``.cryptoKey``) is
    accepted too. Problems are appended to ``issues`` (the key named, its bytes
    never quoted) and None is returned.
    """
    if not isinstance(params, Mapping):
        return None
    if CRYPTO_KEY in params:
        value, where = params[CRYPTO_KEY], f"{path}.{CRYPTO_KEY}"
    elif params and set(params) <= set(KINDS):
        value, where = params, path
    else:
        return None
    if value is None:
        return None
    sizes = ", ".join(map(str, allowed_sizes))
    if not isinstance(value, Mapping) or len(value) != 1 or next(iter(value)) not in KINDS:
        issues.append(
            ConfigIssue(
                where,
                "must hold exactly one of: unwrapped {key}, kmsWrapped "
                "{wrappedKey, cryptoKeyName}, transient {name}",
            )
        )
        return None
    source, inner = next(iter(value.items()))
    where = f"{where}.{source}"
    kind = KINDS[source]
    if kind == "unwrapped":
        if not _exact_keys(inner, ("key",), where, issues):
            return None
        key = _decode(inner["key"], f"{where}.key", issues)
        if key is None:
            return None
        if len(key) not in allowed_sizes:
            issues.append(
                ConfigIssue(f"{where}.key", f"must be a key of {sizes} bytes, got {len(key)} bytes")
            )
            return None
        return CryptoKeySpec(
            "unwrapped", key_b64=inner["key"], path=where, allowed_sizes=tuple(allowed_sizes)
        )
    if kind == "kms_wrapped":
        if not _exact_keys(inner, ("wrappedKey", "cryptoKeyName"), where, issues):
            return None
        wrapped = _decode(inner["wrappedKey"], f"{where}.wrappedKey", issues)
        name = inner["cryptoKeyName"]
        if not (isinstance(name, str) and _KMS_KEY_NAME.fullmatch(name)):
            issues.append(
                ConfigIssue(
                    f"{where}.cryptoKeyName",
                    "must name a Cloud KMS key: projects/P/locations/L/keyRings/R/cryptoKeys/K",
                )
            )
            return None
        if wrapped is None:
            return None
        if not wrapped:
            issues.append(ConfigIssue(f"{where}.wrappedKey", "is empty"))
            return None
        return CryptoKeySpec(
            "kms_wrapped",
            wrapped_key_b64=inner["wrappedKey"],
            crypto_key_name=name,
            path=where,
            allowed_sizes=tuple(allowed_sizes),
        )
    if not _exact_keys(inner, ("name",), where, issues):
        return None
    if not isinstance(inner["name"], str) or not inner["name"]:
        issues.append(ConfigIssue(f"{where}.name", "must be a non-empty string"))
        return None
    return CryptoKeySpec(
        "transient", transient_name=inner["name"], path=where, allowed_sizes=tuple(allowed_sizes)
    )


def _exact_keys(inner: Any, keys: tuple[str, ...], where: str, issues: list[ConfigIssue]) -> bool:
    if not isinstance(inner, Mapping):
        issues.append(ConfigIssue(where, f"must be a mapping with {', '.join(keys)}"))
        return False
    before = len(issues)
    Node(dict(inner), where, issues).reject_unknown(keys)  # the config walker's message, "did you mean" too
    ok = len(issues) == before
    for key in keys:
        if inner.get(key) is None:
            issues.append(ConfigIssue(f"{where}.{key}", "is required"))
            ok = False
    return ok


def decode_base64(text: str) -> bytes:
    """Base64 as protobuf's JSON reads ``bytes``: standard or URL-safe, padding optional.

    Raises ``ValueError`` (without the text) when it is not base64.
    """
    if not isinstance(text, str) or not _BASE64.fullmatch(text):
        raise ValueError("not base64")
    body = text.rstrip("=").replace("-", "+").replace("_", "/")
    if len(body) % 4 == 1:
        raise ValueError("not base64")
    try:
        return binascii.a2b_base64(body + "=" * (-len(body) % 4), strict_mode=True)
    except binascii.Error:
        raise ValueError("not base64") from None


def _decode(text: Any, where: str, issues: list[ConfigIssue]) -> bytes | None:
    if not isinstance(text, str):
        issues.append(ConfigIssue(where, "must be a base64 string"))
        return None
    try:
        return decode_base64(text)
    except ValueError:
        issues.append(ConfigIssue(where, "is not valid base64 (standard or URL-safe alphabet)"))
        return None


def plaintext_allowed(keys: Any) -> bool:
    """Whether the run accepts plaintext key material (``--allow_plaintext_keys``).

    The KeyProvider a primitive's build receives carries the flag as
    ``allow_plaintext_keys`` (a KeyRing, or NoKeyset when the dataset has no
    keyset); a provider without it (or None) means no.
    """
    return bool(getattr(keys, "allow_plaintext_keys", False))


# Resolved keys per process: KMS is called once per wrapped key; a transient name keeps its key.
_CACHE: dict[tuple, bytes] = {}
_LOCK = threading.Lock()
_WARNED_PLAINTEXT: set[str] = set()


def resolve_crypto_key(spec: CryptoKeySpec, *, allow_plaintext: bool) -> bytes:
    """The key bytes of ``spec`` (call it in a DoFn's ``setup()``, via the primitive's build).

    Raises :class:`CryptoKeyError` naming ``spec.path``: an unwrapped key without
    ``allow_plaintext``, a failed KMS Decrypt, an unwrapped size DLP does not accept.
    """
    if spec.kind == "unwrapped":
        if not allow_plaintext:
            raise CryptoKeyError(
                f"{spec.path}: an unwrapped key is plaintext key material in the config; pass "
                "--allow_plaintext_keys to use it (only for local runs and tests), or use kmsWrapped"
            )
        with _LOCK:
            warn = spec.path not in _WARNED_PLAINTEXT  # once per key and process: preflight and workers
            _WARNED_PLAINTEXT.add(spec.path)
        if warn:
            _LOG.warning(
                "Using the unwrapped cryptoKey at %s: fine for local runs, use kmsWrapped keys in "
                "production.",
                spec.path,
            )
        return _checked(decode_base64(spec.key_b64 or ""), spec)
    if spec.kind == "kms_wrapped":
        cache_key: tuple = ("kms_wrapped", spec.crypto_key_name, spec.wrapped_key_b64)
        with _LOCK:
            key = _CACHE.get(cache_key)
            if key is None:
                key = _checked(_kms_unwrap(spec), spec)
                _CACHE[cache_key] = key
        return key
    size = TRANSIENT_KEY_SIZE if TRANSIENT_KEY_SIZE in spec.allowed_sizes else max(spec.allowed_sizes)
    cache_key = ("transient", spec.transient_name, size)
    with _LOCK:
        key = _CACHE.get(cache_key)
        if key is None:
            key = _CACHE[cache_key] = secrets.token_bytes(size)
    return key


def _checked(key: bytes, spec: CryptoKeySpec) -> bytes:
    if len(key) not in spec.allowed_sizes:
        raise CryptoKeyError(
            f"{spec.path}: the key must be {', '.join(map(str, spec.allowed_sizes))} bytes, "
            f"got {len(key)} bytes"
        )
    return key


def _kms_unwrap(spec: CryptoKeySpec) -> bytes:
    from veilwatch.transforms.keys.cloud import CloudKeyError, kms_decrypt

    try:
        return kms_decrypt(spec.crypto_key_name or "", decode_base64(spec.wrapped_key_b64 or ""))
    except CloudKeyError as exc:
        raise CryptoKeyError(f"{spec.path}: cannot unwrap the key: {exc}") from None


def clear_cache() -> None:
    """Forget every resolved key (and plaintext warning) of this process (tests)."""
    with _LOCK:
        _CACHE.clear()
        _WARNED_PLAINTEXT.clear()
