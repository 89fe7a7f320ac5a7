"""cryptoDeterministicConfig: AES-SIV deterministic encryption, reversible, as Cloud DLP.

Parameters (DLP names): ``cryptoKey`` (see below), ``surrogateInfoType: {name:
EMAIL_TOKEN}`` (annotate tokens ``EMAIL_TOKEN(<len>):<token>``, len the
token's character count, so they can be found again in free text) and
``context: {name: <field>}``. DLP: "the same identifier in two different
contexts will be given a distinct surrogate ... On decryption the provided
context is validated against the value used during encryption. If a context
was provided during encryption, same context must be provided during
decryption as well"; without the field in a record (or without a record) the
plaintext is encrypted "as is". veilwatch binds the context value (DLP's
tweak encoding, :mod:`veilwatch.transforms.deid.crypto.tweak`) as AES-SIV associated
data: same context in, same token; another context, no decryption.

Two token formats, by where the key comes from:

* **DLP's** (``cryptoKey: unwrapped | kmsWrapped | transient``, a 16, 24 or 32
  byte key): the token is standard base64 of ``0x01 || SIV (16) || C
  (len(plaintext))``, no key id. The length is pinned by Google's samples:
  ``PHONE_TOKEN(36):`` for a 10-digit phone (golang-samples
  ``dlp/snippets/deid/deid_deterministic_test.go``), and the leading version
  byte 0x01 by every DLP token published with its plaintext length:
  ``SSN_TOKEN(36):ATeRUd3W...Nas=`` for the 9-digit SSN of python-docs-samples
  ``dlp/snippets/Deidentify/*deterministic_test.py`` and
  ``AWDeSznl9C7+NzTaCgiqiEAZ8Y55fZSuvCQ=`` for ``Plaintext`` in BigQuery's
  DLP-compatible ``DLP_DETERMINISTIC_ENCRYPT`` docs, both 26 bytes = 1 + 16 + 9.
  DLP says the key "is internally expanded to 64 bytes prior to use" but not
  how; no published vector pairs a plain key with a token. veilwatch's choice
  (:func:`expand_dlp_key`): HKDF-SHA256 of the key (empty salt, info
  ``veilwatch/cryptoDeterministicConfig/aes-siv-512``) to a 64-byte AES-SIV
  key. Tokens made here therefore restore here (and with the same key and
  config in any veilwatch run), but are not expected to equal the API's byte
  for byte; only their format and length are DLP's. A ``transient`` key's
  tokens cannot be restored (DLP discards the key; veilwatch keeps it for the
  worker process only) and re-identification refuses them.
* **veilwatch's tink keyset** (no ``cryptoKey``; the dataset's ``keys.keyset``):
  the token carries tink's key-id prefix, so ``veilwatch keys rotate`` keeps old
  tokens restorable::

      0x01 || key_id (4 bytes, big endian) || SIV (16) || C (len(plaintext))

  The AES-SIV key is 64 bytes (AES-SIV-512) derived per tink key from that
  key's PRF. Such tokens are 4 bytes (about 5 characters) longer than DLP's.

    cryptoDeterministicConfig: {surrogateInfoType: {name: EMAIL_TOKEN},
                                cryptoKey: {kmsWrapped: {wrappedKey: CiQA..., cryptoKeyName: projects/...}}}
    jane@example.com -> EMAIL_TOKEN(44):AZ3v... (1 + 16 + 16 bytes, base64)
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from veilwatch.transforms.config.errors import ConfigIssue
from veilwatch.transforms.deid.base import (
    KeyProvider,
    PrimitiveSpec,
    Transformation,
    TransformationError,
    ValueContext,
    require_keys,
)
from veilwatch.transforms.deid.crypto.aes_siv import SIV_SIZE, AesSiv
from veilwatch.transforms.deid.crypto.errors import CryptoError
from veilwatch.transforms.deid.crypto.surrogate import annotate, parse_annotated
from veilwatch.transforms.deid.crypto.tweak import context_tweak
from veilwatch.transforms.deid.crypto_key import (
    AES_KEY_SIZES,
    CryptoKeySpec,
    parse_crypto_key,
    plaintext_allowed,
    resolve_crypto_key,
)
from veilwatch.transforms.deid.primitives.common import (
    ContextReader,
    as_mapping,
    crypto_error,
    parse_field_id,
    parse_info_type_name,
    raise_issues,
    refuse_transient_restore,
    reject_unknown,
)

NAME = "cryptoDeterministicConfig"
_KEYS = ("cryptoKey", "surrogateInfoType", "context")
# tink's OutputPrefixType.TINK: a version byte then the 4-byte key id.
TINK_PREFIX_BYTE = 0x01
PREFIX_SIZE = 5
# DLP's tokens: one version byte before SIV || C (see the module docstring).
DLP_VERSION_BYTE = 0x01
DLP_KEY_INFO = b"veilwatch/cryptoDeterministicConfig/aes-siv-512"


@dataclass(frozen=True)
class CryptoDeterministicParams:
    surrogate_info_type: str | None = None
    context_field: str | None = None
    crypto_key: CryptoKeySpec | None = None  # DLP's cryptoKey; None: the dataset keyset (tink format)


def parse_crypto_deterministic(params: Mapping[str, Any] | None, path: str) -> CryptoDeterministicParams:
    issues: list[ConfigIssue] = []
    params = as_mapping(params, path, NAME, issues)
    reject_unknown(params, _KEYS, path, issues)
    surrogate = parse_info_type_name(params, "surrogateInfoType", path, issues)
    context = parse_field_id(params, "context", path, issues)
    crypto_key = parse_crypto_key(params, path, issues, allowed_sizes=AES_KEY_SIZES)
    raise_issues(issues)
    return CryptoDeterministicParams(surrogate, context, crypto_key)


def expand_dlp_key(key: bytes) -> bytes:
    """A DLP cryptoKey (16, 24 or 32 bytes) -> the 64-byte AES-SIV key (veilwatch's choice:
    DLP documents that it expands the key to 64 bytes, not how)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=64, salt=None, info=DLP_KEY_INFO).derive(key)


def siv_key(keys: KeyProvider, key_id: int | None) -> bytes:
    """The 64-byte AES-SIV key of one tink key (two 32-byte PRF outputs)."""
    return keys.raw_key(None, f"{NAME}/siv-1", key_id) + keys.raw_key(None, f"{NAME}/siv-2", key_id)


class _Context:
    """The context field's value as AES-SIV associated data (shared by both token formats)."""

    def __init__(self, context_field: str | None):
        self._read = ContextReader(context_field)
        self.context_field = context_field

    def __call__(self, ctx: ValueContext) -> list[bytes]:
        value = self._read(ctx)
        if value is None:
            return []
        try:
            return [context_tweak(value)]
        except CryptoError as exc:
            raise crypto_error(exc, f"{NAME} context field '{self.context_field}'") from None


def _plaintext(value: Any) -> bytes:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TransformationError(f"{NAME} encrypts strings and integers, got {type(value).__name__}")
    return str(value).encode("utf-8")


def _token_bytes(value: Any, surrogate_info_type: str | None) -> bytes:
    if not isinstance(value, str):
        raise TransformationError(f"{NAME} tokens are strings, got {type(value).__name__}")
    token = value
    if surrogate_info_type:
        try:
            token = parse_annotated(value, surrogate_info_type).surrogate
        except CryptoError as exc:
            raise crypto_error(exc, NAME) from None
    try:
        return base64.b64decode(token.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise TransformationError(f"{NAME} token is not base64") from None


class _SivTransformation(Transformation):
    """What both token formats share: base64 of ``prefix || SIV || C``, the context, the surrogate."""

    reversible = True

    def __init__(self, params: CryptoDeterministicParams, cipher: AesSiv, prefix: bytes):
        self._encrypting = cipher
        self._prefix = prefix
        self._associated_data = _Context(params.context_field)
        self.context_field = params.context_field
        self.context_free = params.context_field is None
        self.surrogate_info_type = params.surrogate_info_type

    def transform(self, value: Any, ctx: ValueContext) -> Any:
        ciphertext = self._encrypting.encrypt(_plaintext(value), self._associated_data(ctx))
        token = base64.b64encode(self._prefix + ciphertext).decode("ascii")
        return annotate(self.surrogate_info_type, token) if self.surrogate_info_type else token

    def _decrypt(self, cipher: AesSiv, sealed: bytes, ctx: ValueContext) -> str:
        try:
            plaintext = cipher.decrypt(sealed, self._associated_data(ctx))
        except CryptoError as exc:
            raise crypto_error(exc, NAME) from None
        return plaintext.decode("utf-8")


class CryptoDeterministic(_SivTransformation):
    """veilwatch's format: tink keyset, key-id prefix (see the module docstring)."""

    def __init__(self, params: CryptoDeterministicParams, keys: KeyProvider):
        self._keys = keys
        primary_cipher = AesSiv(siv_key(keys, None))  # raises KeysetError without a keyset (NoKeyset)
        primary_id = keys.primary_key_id()
        assert primary_id is not None, "a keyset that gave a key has a primary key"
        self._ciphers: dict[int, AesSiv] = {primary_id: primary_cipher}
        super().__init__(
            params, self._ciphers[primary_id], bytes([TINK_PREFIX_BYTE]) + primary_id.to_bytes(4, "big")
        )

    def reverse(self, value: Any, ctx: ValueContext) -> Any:
        raw = _token_bytes(value, self.surrogate_info_type)
        if len(raw) < PREFIX_SIZE or raw[0] != TINK_PREFIX_BYTE:
            raise TransformationError(f"{NAME} token has no key-id prefix (not made by veilwatch)")
        return self._decrypt(self._cipher(int.from_bytes(raw[1:PREFIX_SIZE], "big")), raw[PREFIX_SIZE:], ctx)

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


class DlpCryptoDeterministic(_SivTransformation):
    """DLP's format: a DLP cryptoKey, ``0x01 || SIV || C``, no key id (see the module docstring)."""

    def __init__(self, params: CryptoDeterministicParams, keys: KeyProvider | None):
        spec = params.crypto_key
        assert spec is not None
        self._spec = spec
        cipher = AesSiv(expand_dlp_key(resolve_crypto_key(spec, allow_plaintext=plaintext_allowed(keys))))
        super().__init__(params, cipher, bytes([DLP_VERSION_BYTE]))

    def reverse(self, value: Any, ctx: ValueContext) -> Any:
        refuse_transient_restore(self._spec.reversible, NAME)
        raw = _token_bytes(value, self.surrogate_info_type)
        if len(raw) < 1 + SIV_SIZE or raw[0] != DLP_VERSION_BYTE:
            raise TransformationError(f"{NAME} token is not a DLP deterministic token (version byte and SIV)")
        return self._decrypt(self._encrypting, raw[1:], ctx)


def build_crypto_deterministic(params: CryptoDeterministicParams, keys: KeyProvider | None) -> Transformation:
    if params.crypto_key is not None:
        return DlpCryptoDeterministic(params, keys)
    return CryptoDeterministic(params, require_keys(keys, NAME))


CRYPTO_DETERMINISTIC = PrimitiveSpec(
    NAME,
    parse_crypto_deterministic,
    build_crypto_deterministic,
    reversible=True,
    needs_keys=True,
)
