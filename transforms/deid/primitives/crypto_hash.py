"""cryptoHashConfig: keyed HMAC-SHA256 of the value, base64-encoded as DLP outputs it.

One-way and deterministic: the same value under the same key always gives the
same token, so de-identified records still join and group on it. The key is
the dataset keyset's primary key (``keys.keyset``); DLP's inline
``cryptoKey`` variants are not accepted here because a ``transient`` key would
differ between workers and an ``unwrapped`` key would sit in the config in
clear.
"""
from __future__ import annotations

import binascii
from dataclasses import dataclass
from typing import Any, Mapping

from transforms.config.errors import ConfigError, ConfigIssue
from transforms.deid.base import KeyProvider, PrimitiveSpec, Transformation, ValueContext


@dataclass(frozen=True)
class CryptoHashParams:
    key_name: str | None = None


def parse_crypto_hash(params: Mapping[str, Any] | None, path: str) -> CryptoHashParams:
    params = params or {}
    if not isinstance(params, Mapping):
        raise ConfigError(ConfigIssue(path, "expected a mapping of cryptoHashConfig parameters"))
    for key in params:
        if key == "cryptoKey":
            raise ConfigError(ConfigIssue(
                f"{path}.cryptoKey",
                "inline DLP crypto keys are not supported by the local engine; remove it to use the "
                "dataset keyset named under keys.keyset",
            ))
        raise ConfigError(ConfigIssue(f"{path}.{key}", "unknown key (cryptoHashConfig takes no other parameters)"))
    return CryptoHashParams()


class CryptoHash(Transformation):
    def __init__(self, params: CryptoHashParams, keys: KeyProvider):
        self._hmac = keys.hmac_prf(params.key_name)

    def transform(self, value: Any, ctx: ValueContext) -> Any:
        data = value.encode("utf-8") if isinstance(value, str) else str(value).encode("utf-8")
        # What base64.b64encode does, without its Python wrapper: this runs once per unique value.
        return binascii.b2a_base64(self._hmac(data), newline=False).decode("ascii")


CRYPTO_HASH = PrimitiveSpec(
    "cryptoHashConfig", parse_crypto_hash, lambda p, keys: CryptoHash(p, keys), needs_keys=True
)
