"""cryptoDeterministicConfig: AES-SIV deterministic encryption, reversible, as Cloud DLP.

Parameters (DLP names): ``surrogateInfoType: {name: EMAIL_TOKEN}`` (annotate
tokens ``EMAIL_TOKEN(<len>):<token>`` so they can be found again in free
text) and ``context: {name: <field>}`` (the context field's value is bound to
the token as associated data: the same value in two contexts gets two tokens,
and decryption needs the same context). Without the field in a record the
value is encrypted without context, as DLP does.

The token is base64 (standard alphabet, padded, as DLP outputs) of tink's
key-id prefix followed by RFC 5297 ``SIV || C``::

    0x01 || key_id (4 bytes, big endian) || SIV (16) || C (len(plaintext))

The prefix is how tink's own deterministic AEAD marks its outputs
(``OutputPrefixType.TINK``): re-identification reads the key id and picks
that key from the keyset, so tokens made before ``veilwatch keys rotate``
still decrypt. The AES-SIV key is 64 bytes (AES-SIV-512, DLP "expands the key
to 64 bytes") derived per tink key from that key's PRF.

    cryptoDeterministicConfig: {surrogateInfoType: {name: EMAIL_TOKEN}}
    jane@example.com -> EMAIL_TOKEN(52):AT7v... (5 + 16 + 16 bytes, base64)
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any, Mapping

from transforms.config.errors import ConfigIssue
from transforms.deid.base import KeyProvider, PrimitiveSpec, Transformation, TransformationError, ValueContext
from transforms.deid.crypto.aes_siv import AesSiv
from transforms.deid.crypto.errors import CryptoError
from transforms.deid.crypto.surrogate import annotate, parse_annotated
from transforms.deid.crypto.tweak import context_tweak
from transforms.deid.primitives.common import (
    ContextReader,
    as_mapping,
    crypto_error,
    parse_field_id,
    parse_info_type_name,
    raise_issues,
    reject_unknown,
)

NAME = "cryptoDeterministicConfig"
_KEYS = ("surrogateInfoType", "context")
# tink's OutputPrefixType.TINK: a version byte then the 4-byte key id.
TINK_PREFIX_BYTE = 0x01
PREFIX_SIZE = 5


@dataclass(frozen=True)
class CryptoDeterministicParams:
    surrogate_info_type: str | None = None
    context_field: str | None = None


def parse_crypto_deterministic(params: Mapping[str, Any] | None, path: str) -> CryptoDeterministicParams:
    issues: list[ConfigIssue] = []
    params = as_mapping(params, path, NAME, issues)
    reject_unknown(params, _KEYS, path, issues)
    surrogate = parse_info_type_name(params, "surrogateInfoType", path, issues)
    context = parse_field_id(params, "context", path, issues)
    raise_issues(issues)
    return CryptoDeterministicParams(surrogate, context)


def siv_key(keys: KeyProvider, key_id: int | None) -> bytes:
    """The 64-byte AES-SIV key of one tink key (two 32-byte PRF outputs)."""
    return keys.raw_key(None, f"{NAME}/siv-1", key_id) + keys.raw_key(None, f"{NAME}/siv-2", key_id)


class CryptoDeterministic(Transformation):
    reversible = True

    def __init__(self, params: CryptoDeterministicParams, keys: KeyProvider):
        self._keys = keys
        self._primary_id = keys.primary_key_id()
        self._ciphers: dict[int, AesSiv] = {self._primary_id: AesSiv(siv_key(keys, None))}
        self._prefix = bytes([TINK_PREFIX_BYTE]) + self._primary_id.to_bytes(4, "big")
        self._context = ContextReader(params.context_field)
        self.context_field = params.context_field
        self.context_free = params.context_field is None
        self.surrogate_info_type = params.surrogate_info_type

    def _associated_data(self, ctx: ValueContext) -> list[bytes]:
        value = self._context(ctx)
        if value is None:
            return []
        try:
            return [context_tweak(value)]
        except CryptoError as exc:
            raise crypto_error(exc, f"{NAME} context field '{self.context_field}'") from None

    def transform(self, value: Any, ctx: ValueContext) -> Any:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise TransformationError(f"{NAME} encrypts strings and integers, got {type(value).__name__}")
        plaintext = str(value).encode("utf-8")
        ciphertext = self._ciphers[self._primary_id].encrypt(plaintext, self._associated_data(ctx))
        token = base64.b64encode(self._prefix + ciphertext).decode("ascii")
        return annotate(self.surrogate_info_type, token) if self.surrogate_info_type else token

    def reverse(self, value: Any, ctx: ValueContext) -> Any:
        if not isinstance(value, str):
            raise TransformationError(f"{NAME} tokens are strings, got {type(value).__name__}")
        token = value
        if self.surrogate_info_type:
            try:
                token = parse_annotated(value, self.surrogate_info_type).surrogate
            except CryptoError as exc:
                raise crypto_error(exc, NAME) from None
        try:
            raw = base64.b64decode(token.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            raise TransformationError(f"{NAME} token is not base64") from None
        if len(raw) < PREFIX_SIZE or raw[0] != TINK_PREFIX_BYTE:
            raise TransformationError(f"{NAME} token has no key-id prefix (not made by veilwatch)")
        cipher = self._cipher(int.from_bytes(raw[1:PREFIX_SIZE], "big"))
        try:
            plaintext = cipher.decrypt(raw[PREFIX_SIZE:], self._associated_data(ctx))
        except CryptoError as exc:
            raise crypto_error(exc, NAME) from None
        return plaintext.decode("utf-8")

    def _cipher(self, key_id: int) -> AesSiv:
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            try:
                cipher = AesSiv(siv_key(self._keys, key_id))
            except LookupError:
                raise TransformationError(
                    f"{NAME} token was made by key id {key_id}, which is not in the keyset"
                ) from None
            self._ciphers[key_id] = cipher
        return cipher


CRYPTO_DETERMINISTIC = PrimitiveSpec(
    NAME, parse_crypto_deterministic, lambda p, keys: CryptoDeterministic(p, keys),
    reversible=True, needs_keys=True,
)
