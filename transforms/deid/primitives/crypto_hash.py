"""cryptoHashConfig: keyed HMAC-SHA256 of the value, base64-encoded as DLP outputs it.

One-way and deterministic: the same value under the same key always gives the
same token, so de-identified records still join and group on it. DLP: "Uses
SHA-256. The key size must be either 32 or 64 bytes. Outputs a base64 encoded
representation of the hashed output (for example,
L7k0BHmF1ha5U3NfGykjro4xWi1MPVQPjhMAZbSV9mM=)": a 32-byte HMAC-SHA256 output,
standard base64 with padding (44 characters), of the value's UTF-8 bytes
(an integer is hashed as its decimal text).

Where the key comes from:

* ``cryptoKey`` (DLP's: ``unwrapped``, ``kmsWrapped``, ``transient``; see
  :mod:`veilwatch.transforms.deid.crypto_key`): the HMAC key is that key, 32 or 64
  bytes, as DLP uses it. A ``transient`` key is one random key per worker
  process and name, so its tokens do not join across workers (DLP: across
  requests).
* no ``cryptoKey`` (veilwatch's extension): the primary key of the dataset's
  tink keyset (``keys.keyset``), which ``veilwatch keys rotate`` replaces.

    cryptoHashConfig: {cryptoKey: {kmsWrapped: {wrappedKey: CiQA..., cryptoKeyName: projects/...}}}
    jane@example.com -> 44 base64 characters
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from veilwatch.transforms.config.errors import ConfigIssue
from veilwatch.transforms.deid.base import (
    KeyProvider,
    PrimitiveSpec,
    Transformation,
    ValueContext,
    require_keys,
)
from veilwatch.transforms.deid.crypto_key import (
    HASH_KEY_SIZES,
    CryptoKeySpec,
    parse_crypto_key,
    plaintext_allowed,
    resolve_crypto_key,
)
from veilwatch.transforms.deid.primitives.common import as_mapping, raise_issues, reject_unknown

NAME = "cryptoHashConfig"
_KEYS = ("cryptoKey",)


@dataclass(frozen=True)
class CryptoHashParams:
    key_name: str | None = None
    crypto_key: CryptoKeySpec | None = None  # DLP's cryptoKey; None: the dataset keyset


def parse_crypto_hash(params: Mapping[str, Any] | None, path: str) -> CryptoHashParams:
    issues: list[ConfigIssue] = []
    params = as_mapping(params, path, NAME, issues)
    reject_unknown(params, _KEYS, path, issues)
    crypto_key = parse_crypto_key(params, path, issues, allowed_sizes=HASH_KEY_SIZES)
    raise_issues(issues)
    return CryptoHashParams(crypto_key=crypto_key)


def _dlp_hmac(key: bytes) -> Callable[[bytes], bytes]:
    return lambda data: hmac.new(key, data, hashlib.sha256).digest()


class CryptoHash(Transformation):
    def __init__(self, params: CryptoHashParams, keys: KeyProvider | None):
        if params.crypto_key is not None:
            self._hmac = _dlp_hmac(
                resolve_crypto_key(params.crypto_key, allow_plaintext=plaintext_allowed(keys))
            )
        else:
            self._hmac = require_keys(keys, NAME).hmac_prf(params.key_name)

    def transform(self, value: Any, ctx: ValueContext) -> Any:
        data = value.encode("utf-8") if isinstance(value, str) else str(value).encode("utf-8")
        # What base64.b64encode does, without its Python wrapper: this runs once per unique value.
        return binascii.b2a_base64(self._hmac(data), newline=False).decode("ascii")


CRYPTO_HASH = PrimitiveSpec(NAME, parse_crypto_hash, lambda p, keys: CryptoHash(p, keys), needs_keys=True)
