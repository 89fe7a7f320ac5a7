"""Load a dataset's tink keyset and hand keyed functions to primitives.

The keyset is a tink keyset of HMAC-SHA256 PRF keys (``veilwatch keys
create`` makes one). Its primary key computes ``cryptoHashConfig`` tokens;
later primitives derive their own keys from it by purpose label, so one
keyset per dataset serves every transformation and rotates as one.

Key material never reaches a log, an exception message or an output: errors
name the keyset's location and what is wrong, nothing else.
"""
from __future__ import annotations

import logging
from typing import Callable

import tink
from tink import prf, secret_key_access

from transforms.config.model import KeysSpec

_LOG = logging.getLogger(__name__)
HMAC_SHA256_OUTPUT_BYTES = 32


class KeysetError(ValueError):
    """The key material cannot be used; the message is safe to print."""




def _register() -> None:
    prf.register()


def create_plaintext_keyset() -> str:
    """A new HMAC-SHA256 PRF keyset as tink JSON (cleartext: protect the file)."""
    _register()
    handle = tink.new_keyset_handle(prf.prf_key_templates.HMAC_SHA256)
    return tink.json_proto_keyset_format.serialize(handle, secret_key_access.TOKEN)


def parse_plaintext_keyset(text: str, where: str) -> tink.KeysetHandle:
    _register()
    try:
        handle = tink.json_proto_keyset_format.parse(text, secret_key_access.TOKEN)
    except Exception:  # noqa: BLE001 - tink raises several types; none may echo key bytes
        raise KeysetError(f"keyset {where} is not a readable tink JSON keyset") from None
    try:
        handle.primitive(prf.PrfSet)
    except Exception:  # noqa: BLE001
        raise KeysetError(
            f"keyset {where} is the wrong type: veilwatch needs an HMAC-SHA256 PRF keyset "
            "(make one with 'veilwatch keys create')"
        ) from None
    return handle


class KeyRing:
    """The KeyProvider primitives see: keyed functions, never raw key dumps."""

    def __init__(self, handle: tink.KeysetHandle):
        self._prf_set = handle.primitive(prf.PrfSet)

    @classmethod
    def load(cls, spec: KeysSpec, allow_plaintext: bool) -> "KeyRing":
        if not spec.keyset:
            raise KeysetError("no keyset configured (keys.keyset or --keyset)")
        if spec.kms_key_uri:
            raise KeysetError("KMS-wrapped keysets (keys.kms_key_uri) are not supported by this version yet")
        if not allow_plaintext:
            raise KeysetError(
                f"keyset {spec.keyset} is a plaintext keyset; pass --allow_plaintext_keys to use it "
                "(only for local runs and tests)"
            )
        _LOG.warning("Using a plaintext keyset from %s: fine for local runs, use KMS-wrapped keys in production.",
                     spec.keyset)
        return cls(parse_plaintext_keyset(_read(spec.keyset), spec.keyset))

    def hmac_prf(self, key_name: str | None = None) -> Callable[[bytes], bytes]:
        primary = self._prf_set.primary()
        return lambda data: primary.compute(data, HMAC_SHA256_OUTPUT_BYTES)

    def raw_key(self, key_name: str | None, purpose: str) -> bytes:
        """A key for ``purpose`` derived from the primary PRF key (HMAC as a KDF)."""
        return self._prf_set.primary().compute(b"veilwatch-key:" + purpose.encode("utf-8"), HMAC_SHA256_OUTPUT_BYTES)


def _read(path: str) -> str:
    from apache_beam.io.filesystems import FileSystems

    try:
        with FileSystems.open(path) as handle:
            return handle.read().decode("utf-8")
    except Exception as exc:  # noqa: BLE001
        raise KeysetError(f"cannot read keyset {path}: {type(exc).__name__}") from None
