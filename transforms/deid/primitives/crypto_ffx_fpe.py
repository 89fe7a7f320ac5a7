"""cryptoReplaceFfxFpeConfig: format-preserving encryption with FF1, reversible, as Cloud DLP.

Parameters (DLP names): exactly one of ``commonAlphabet`` (``NUMERIC``,
``HEXADECIMAL``, ``UPPER_CASE_ALPHA_NUMERIC``, ``ALPHA_NUMERIC``),
``customAlphabet`` (2..95 printable ASCII characters) or ``radix`` (2..95);
optional ``surrogateInfoType: {name: ...}`` and ``context: {name: <field>}``
(the context value becomes the FF1 tweak with DLP's encoding, see
:mod:`transforms.deid.crypto.tweak`; no field in the record: the default,
empty tweak). Every character of a value must be in the alphabet and the
value at least as long as FF1 allows for the radix (NUMERIC: 6); the empty
string is left as it is, as DLP skips it.

    cryptoReplaceFfxFpeConfig: {commonAlphabet: NUMERIC}
    4111111111111111 -> 16 other digits, e.g. 9170633417734526

Which key made a token (rotation):

* with ``surrogateInfoType`` the surrogate starts with the tink key id
  written in the alphabet itself, in a fixed number of characters (the
  fewest with ``radix**w >= 2**32``: NUMERIC 10, HEXADECIMAL 8,
  ALPHA_NUMERIC 6), then the FF1 ciphertext of the value's length:
  ``CARD_TOKEN(26):<10-digit key id><16 digits>``. The surrogate stays in the
  alphabet but is ``w`` characters longer than the value; an annotated token
  is not format-preserving anyway.
* without a surrogate the token is exactly the value's format (length and
  alphabet), so there is no room for a key id, and FF1 authenticates
  nothing: decrypting with the wrong key gives a plausible wrong value, not
  an error. Such tokens are made with the keyset's primary key, and
  re-identification uses the primary key too unless told another key id
  (``veilwatch reidentify --key_id``; ``veilwatch keys list`` shows the ids and
  the run logs the primary id it used). Keep the key id of each run with its
  outputs, or add a surrogate when tokens must outlive a rotation unattended.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from transforms.config.errors import ConfigIssue
from transforms.deid.base import KeyProvider, PrimitiveSpec, Transformation, TransformationError, ValueContext
from transforms.deid.crypto.errors import CryptoError
from transforms.deid.crypto.ff1 import FF1
from transforms.deid.crypto.fpe_alphabets import resolve_alphabet
from transforms.deid.crypto.surrogate import annotate, parse_annotated
from transforms.deid.crypto.tweak import DEFAULT_TWEAK, context_tweak
from transforms.deid.primitives.common import (
    ContextReader,
    as_mapping,
    crypto_error,
    parse_field_id,
    parse_info_type_name,
    raise_issues,
    reject_unknown,
)

NAME = "cryptoReplaceFfxFpeConfig"
_KEYS = ("commonAlphabet", "customAlphabet", "radix", "surrogateInfoType", "context")
KEY_ID_BITS = 32  # tink key ids are uint32


@dataclass(frozen=True)
class FfxFpeParams:
    alphabet: str
    surrogate_info_type: str | None = None
    context_field: str | None = None


def parse_ffx_fpe(params: Mapping[str, Any] | None, path: str) -> FfxFpeParams:
    issues: list[ConfigIssue] = []
    params = as_mapping(params, path, NAME, issues)
    reject_unknown(params, _KEYS, path, issues)
    alphabet = ""
    try:
        alphabet = resolve_alphabet(common_alphabet=params.get("commonAlphabet"),
                                    custom_alphabet=params.get("customAlphabet"), radix=params.get("radix"))
    except CryptoError as exc:
        given = [k for k in ("commonAlphabet", "customAlphabet", "radix") if k in params]
        issues.append(ConfigIssue(f"{path}.{given[0]}" if len(given) == 1 else path, str(exc)))
    surrogate = parse_info_type_name(params, "surrogateInfoType", path, issues)
    context = parse_field_id(params, "context", path, issues)
    raise_issues(issues)
    return FfxFpeParams(alphabet, surrogate, context)


def key_id_width(radix: int) -> int:
    """Characters needed to write any 32-bit key id in ``radix``."""
    width = 1
    while radix**width < 1 << KEY_ID_BITS:
        width += 1
    return width


class FfxFpe(Transformation):
    reversible = True

    def __init__(self, params: FfxFpeParams, keys: KeyProvider):
        self._keys = keys
        self._alphabet = params.alphabet
        self._radix = len(params.alphabet)
        self._index = {ch: i for i, ch in enumerate(params.alphabet)}
        self._primary_id = keys.primary_key_id()
        self._ciphers: dict[int, FF1] = {self._primary_id: self._make_cipher(None)}
        self._width = key_id_width(self._radix)
        self._key_prefix = self._encode_key_id(self._primary_id)
        self._context = ContextReader(params.context_field)
        self.context_field = params.context_field
        self.context_free = params.context_field is None
        self.surrogate_info_type = params.surrogate_info_type

    def _make_cipher(self, key_id: int | None) -> FF1:
        return FF1(self._keys.raw_key(None, f"{NAME}/ff1", key_id), alphabet=self._alphabet)

    def _encode_key_id(self, key_id: int) -> str:
        chars = []
        for _ in range(self._width):
            key_id, digit = divmod(key_id, self._radix)
            chars.append(self._alphabet[digit])
        return "".join(reversed(chars))

    def _decode_key_id(self, text: str) -> int:
        value = 0
        for ch in text:
            digit = self._index.get(ch)
            if digit is None:
                raise TransformationError(f"{NAME} surrogate holds a character outside the alphabet")
            value = value * self._radix + digit
        return value

    def _tweak(self, ctx: ValueContext) -> bytes:
        value = self._context(ctx)
        if value is None:
            return DEFAULT_TWEAK
        try:
            return context_tweak(value)
        except CryptoError as exc:
            raise crypto_error(exc, f"{NAME} context field '{self.context_field}'") from None

    def transform(self, value: Any, ctx: ValueContext) -> Any:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise TransformationError(f"{NAME} encrypts strings and integers, got {type(value).__name__}")
        text = str(value)
        if not text:
            return text
        try:
            token = self._ciphers[self._primary_id].encrypt(text, self._tweak(ctx))
        except CryptoError as exc:
            raise crypto_error(exc, NAME) from None
        if self.surrogate_info_type:
            return annotate(self.surrogate_info_type, self._key_prefix + token)
        return token

    def reverse(self, value: Any, ctx: ValueContext) -> Any:
        if not isinstance(value, str):
            raise TransformationError(f"{NAME} tokens are strings, got {type(value).__name__}")
        if not value:
            return value
        key_id = self._primary_id
        token = value
        if self.surrogate_info_type:
            try:
                surrogate = parse_annotated(value, self.surrogate_info_type).surrogate
            except CryptoError as exc:
                raise crypto_error(exc, NAME) from None
            if len(surrogate) <= self._width:
                raise TransformationError(f"{NAME} surrogate is shorter than its key id")
            key_id, token = self._decode_key_id(surrogate[: self._width]), surrogate[self._width:]
        try:
            return self._cipher(key_id).decrypt(token, self._tweak(ctx))
        except CryptoError as exc:
            raise crypto_error(exc, NAME) from None

    def _cipher(self, key_id: int) -> FF1:
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            try:
                cipher = self._make_cipher(key_id)
            except LookupError:
                raise TransformationError(
                    f"{NAME} token was made by key id {key_id}, which is not in the keyset"
                ) from None
            self._ciphers[key_id] = cipher
        return cipher


CRYPTO_REPLACE_FFX_FPE = PrimitiveSpec(NAME, parse_ffx_fpe, lambda p, keys: FfxFpe(p, keys),
                                       reversible=True, needs_keys=True)
