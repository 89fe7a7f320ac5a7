"""cryptoReplaceFfxFpeConfig: format-preserving encryption with FF1, reversible, as Cloud DLP.

Parameters (DLP names): exactly one of ``commonAlphabet`` (``NUMERIC``,
``HEXADECIMAL``, ``UPPER_CASE_ALPHA_NUMERIC``, ``ALPHA_NUMERIC``),
``customAlphabet`` (2..95 printable ASCII characters) or ``radix`` (2..95);
``cryptoKey`` (see below); optional ``surrogateInfoType: {name: ...}`` and
``context: {name: <field>}`` (the context value becomes the FF1 tweak with
DLP's encoding, see :mod:`veilwatch.transforms.deid.crypto.tweak`; no field in the
record: the default, empty tweak). Every character of a value must be in the
alphabet; the empty string is left as it is, as DLP skips it.

Two token formats, by where the key comes from:

* **DLP's** (``cryptoKey: unwrapped | kmsWrapped | transient``, a 16, 24 or 32
  byte AES key): FF1 with that key, the token exactly as long as the value and
  in its alphabet; with a surrogate ``NAME(<len>):<token>``, len the token's
  length. This is DLP's output byte for byte: Google's samples give
  ``My phone number is 4359916732.`` -> ``PHONE_TOKEN(10):9617256398`` (NUMERIC)
  and ``PHONE_TOKEN(10):Vz6T6ff4J7`` (ALPHA_NUMERIC) with the unwrapped key
  ``YWJjZGVmZ2hpamtsbW5vcA==``, reproduced in tests/unit/crypto/test_dlp_vectors.py.
  A ``transient`` key's tokens cannot be restored (re-identification refuses).
* **veilwatch's tink keyset** (no ``cryptoKey``; the dataset's ``keys.keyset``),
  for rotation:

  * with ``surrogateInfoType`` the surrogate starts with the tink key id
    written in the alphabet itself, in a fixed number of characters (the
    fewest with ``radix**w >= 2**32``: NUMERIC 10, HEXADECIMAL 8,
    ALPHA_NUMERIC 6), then the FF1 ciphertext of the value's length:
    ``CARD_TOKEN(26):<10-digit key id><16 digits>``. The surrogate stays in
    the alphabet but is ``w`` characters longer than the value (DLP's would
    be as long as the value).
  * without a surrogate the token is exactly the value's format (length and
    alphabet), so there is no room for a key id, and FF1 authenticates
    nothing: decrypting with the wrong key gives a plausible wrong value, not
    an error. Such tokens are made with the keyset's primary key, and
    re-identification uses the primary key too unless told another key id
    (``veilwatch reidentify --key_id``; ``veilwatch keys list`` shows the ids
    and the run logs the primary id it used). Keep the key id of each run with
    its outputs, or add a surrogate when tokens must outlive a rotation unattended.

Values below FF1's minimum domain: NIST SP 800-38G Rev. 1 requires
``radix**length >= 1,000,000`` (NUMERIC: 6 digits, ALPHA_NUMERIC: 4 characters),
so a 5-digit ZIP code cannot be encrypted; DLP answers such a value with a
transformation error. veilwatch's extension key ``veilwatchSmallDomain``
(dropped by ``veilwatch dlp export``) says what happens to it:

* ``transformationError`` (default, as DLP): a transformation error, handled by
  ``pii.transformation_error_handling`` (by default the record is dead-lettered
  with the reason "... below FF1's minimum domain ..." and the field; counted
  per field and reason in run_summary.json's ``transformation_errors``);
* ``leaveUntransformed``: the value is kept in clear (only where such short
  values are not sensitive); counted in the Beam counter
  ``ff1_small_domain_left_untransformed``;
* ``redact``: the value becomes the empty string, as ``redactConfig``; counted
  in ``ff1_small_domain_redacted``. Re-identification leaves both as they are.

    cryptoReplaceFfxFpeConfig: {commonAlphabet: NUMERIC, veilwatchSmallDomain: redact,
                                cryptoKey: {kmsWrapped: {wrappedKey: CiQA..., cryptoKeyName: projects/...}}}
    4111111111111111 -> 16 other digits, e.g. 9170633417734526
"""

from __future__ import annotations

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
from veilwatch.transforms.deid.crypto.errors import CryptoError
from veilwatch.transforms.deid.crypto.ff1 import FF1
from veilwatch.transforms.deid.crypto.fpe_alphabets import resolve_alphabet
from veilwatch.transforms.deid.crypto.surrogate import annotate, parse_annotated
from veilwatch.transforms.deid.crypto.tweak import DEFAULT_TWEAK, context_tweak
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

NAME = "cryptoReplaceFfxFpeConfig"
SMALL_DOMAIN = "veilwatchSmallDomain"
_KEYS = (
    "commonAlphabet",
    "customAlphabet",
    "radix",
    "surrogateInfoType",
    "context",
    "cryptoKey",
    SMALL_DOMAIN,
)
KEY_ID_BITS = 32  # tink key ids are uint32
# What a value below FF1's minimum domain becomes (veilwatchSmallDomain), default first.
SMALL_DOMAIN_ERROR = "transformationError"
SMALL_DOMAIN_LEAVE = "leaveUntransformed"
SMALL_DOMAIN_REDACT = "redact"
SMALL_DOMAIN_CHOICES = (SMALL_DOMAIN_ERROR, SMALL_DOMAIN_LEAVE, SMALL_DOMAIN_REDACT)


@dataclass(frozen=True)
class FfxFpeParams:
    alphabet: str
    surrogate_info_type: str | None = None
    context_field: str | None = None
    crypto_key: CryptoKeySpec | None = None  # DLP's cryptoKey; None: the dataset keyset (tink format)
    small_domain: str = SMALL_DOMAIN_ERROR


def parse_ffx_fpe(params: Mapping[str, Any] | None, path: str) -> FfxFpeParams:
    issues: list[ConfigIssue] = []
    params = as_mapping(params, path, NAME, issues)
    reject_unknown(params, _KEYS, path, issues)
    alphabet = ""
    try:
        alphabet = resolve_alphabet(
            common_alphabet=params.get("commonAlphabet"),
            custom_alphabet=params.get("customAlphabet"),
            radix=params.get("radix"),
        )
    except CryptoError as exc:
        given = [k for k in ("commonAlphabet", "customAlphabet", "radix") if k in params]
        issues.append(ConfigIssue(f"{path}.{given[0]}" if len(given) == 1 else path, str(exc)))
    surrogate = parse_info_type_name(params, "surrogateInfoType", path, issues)
    context = parse_field_id(params, "context", path, issues)
    crypto_key = parse_crypto_key(params, path, issues, allowed_sizes=AES_KEY_SIZES)
    small_domain = params.get(SMALL_DOMAIN, SMALL_DOMAIN_ERROR)
    if small_domain not in SMALL_DOMAIN_CHOICES:
        issues.append(
            ConfigIssue(f"{path}.{SMALL_DOMAIN}", f"must be one of: {', '.join(SMALL_DOMAIN_CHOICES)}")
        )
    raise_issues(issues)
    return FfxFpeParams(alphabet, surrogate, context, crypto_key, small_domain)


def tweak_of(context: ContextReader, ctx: ValueContext) -> bytes:
    """The FF1 tweak for one value: DLP's encoding of its context value, or the default tweak."""
    value = context(ctx)
    if value is None:
        return DEFAULT_TWEAK
    try:
        return context_tweak(value)
    except CryptoError as exc:
        raise crypto_error(exc, f"{NAME} context field '{context.field_path}'") from None


def key_id_width(radix: int) -> int:
    """Characters needed to write any 32-bit key id in ``radix``."""
    width = 1
    while radix**width < 1 << KEY_ID_BITS:
        width += 1
    return width


class SmallDomain:
    """What a value shorter than FF1's minimum length for the radix becomes (veilwatchSmallDomain)."""

    def __init__(self, choice: str, min_length: int, radix: int):
        self.choice = choice
        self.min_length = min_length
        self._radix = radix
        self._counter = None
        if choice != SMALL_DOMAIN_ERROR:
            from apache_beam.metrics import Metrics

            self._counter = Metrics.counter(
                "veilwatch",
                "ff1_small_domain_left_untransformed"
                if choice == SMALL_DOMAIN_LEAVE
                else "ff1_small_domain_redacted",
            )

    def applies(self, text: str) -> bool:
        return len(text) < self.min_length

    def transform(self, text: str) -> str:
        if self.choice == SMALL_DOMAIN_ERROR:
            raise TransformationError(
                f"{NAME}: a value shorter than {self.min_length} characters in radix {self._radix} is below "
                f"FF1's minimum domain (radix**length >= 1,000,000, NIST SP 800-38G Rev. 1); set "
                f"{SMALL_DOMAIN}: leaveUntransformed or redact to let such values through"
            )
        assert self._counter is not None
        self._counter.inc()
        return text if self.choice == SMALL_DOMAIN_LEAVE else ""


class _Ff1Transformation(Transformation):
    """What both token formats share: value checks, the small domain, the tweak, the surrogate.

    Subclasses say how a token becomes a surrogate body (``_surrogate_of``)
    and which cipher restores a surrogate body (``_cipher_for_surrogate``).
    """

    reversible = True

    def __init__(self, params: FfxFpeParams, primary: FF1):
        self._primary = primary
        self._context = ContextReader(params.context_field)
        self._small = SmallDomain(params.small_domain, primary.min_length, len(params.alphabet))
        self.context_field = params.context_field
        self.context_free = params.context_field is None
        self.surrogate_info_type = params.surrogate_info_type

    def _tweak(self, ctx: ValueContext) -> bytes:
        return tweak_of(self._context, ctx)

    def _surrogate_of(self, token: str) -> str:
        return token

    def _cipher_for_surrogate(self, surrogate: str) -> tuple[FF1, str]:
        return self._primary, surrogate

    def _check_restorable(self) -> None:
        """Raise a TransformationError when this key's tokens cannot be restored."""

    def transform(self, value: Any, ctx: ValueContext) -> Any:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise TransformationError(f"{NAME} encrypts strings and integers, got {type(value).__name__}")
        text = str(value)
        if not text:
            return text
        if self._small.applies(text):
            return self._small.transform(text)
        try:
            token = self._primary.encrypt(text, self._tweak(ctx))
        except CryptoError as exc:
            raise crypto_error(exc, NAME) from None
        if self.surrogate_info_type:
            return annotate(self.surrogate_info_type, self._surrogate_of(token))
        return token

    def reverse(self, value: Any, ctx: ValueContext) -> Any:
        if not isinstance(value, str):
            raise TransformationError(f"{NAME} tokens are strings, got {type(value).__name__}")
        if not value:
            return value
        if self._small.applies(value):
            return value  # too short to be a token: it was left untransformed when de-identified
        self._check_restorable()
        cipher, token = self._primary, value
        if self.surrogate_info_type:
            try:
                surrogate = parse_annotated(value, self.surrogate_info_type).surrogate
            except CryptoError as exc:
                raise crypto_error(exc, NAME) from None
            cipher, token = self._cipher_for_surrogate(surrogate)
        try:
            return cipher.decrypt(token, self._tweak(ctx))
        except CryptoError as exc:
            raise crypto_error(exc, NAME) from None


class FfxFpe(_Ff1Transformation):
    """veilwatch's format: FF1 with a key of the dataset's tink keyset; a surrogate starts with the key id."""

    def __init__(self, params: FfxFpeParams, keys: KeyProvider):
        self._keys = keys
        self._alphabet = params.alphabet
        self._radix = len(params.alphabet)
        self._index = {ch: i for i, ch in enumerate(params.alphabet)}
        primary_cipher = self._make_cipher(None)  # raises KeysetError without a keyset (NoKeyset)
        primary_id = keys.primary_key_id()
        assert primary_id is not None, "a keyset that gave a key has a primary key"
        self._primary_id = primary_id
        self._ciphers: dict[int, FF1] = {primary_id: primary_cipher}
        self._width = key_id_width(self._radix)
        self._key_prefix = self._encode_key_id(self._primary_id)
        super().__init__(params, self._ciphers[self._primary_id])

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

    def _surrogate_of(self, token: str) -> str:
        return self._key_prefix + token

    def _cipher_for_surrogate(self, surrogate: str) -> tuple[FF1, str]:
        if len(surrogate) <= self._width:
            raise TransformationError(f"{NAME} surrogate is shorter than its key id")
        return self._cipher(self._decode_key_id(surrogate[: self._width])), surrogate[self._width :]

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


class DlpFfxFpe(_Ff1Transformation):
    """DLP's format: FF1 with a DLP cryptoKey, the token as long as the value, no key id."""

    def __init__(self, params: FfxFpeParams, keys: KeyProvider | None):
        spec = params.crypto_key
        assert spec is not None
        self._spec = spec
        key = resolve_crypto_key(spec, allow_plaintext=plaintext_allowed(keys))
        try:
            cipher = FF1(key, alphabet=params.alphabet)
        except CryptoError as exc:
            raise crypto_error(exc, f"{NAME} at {spec.path}") from None
        super().__init__(params, cipher)

    def _check_restorable(self) -> None:
        refuse_transient_restore(self._spec.reversible, NAME)


def build_ffx_fpe(params: FfxFpeParams, keys: KeyProvider | None) -> Transformation:
    if params.crypto_key is not None:
        return DlpFfxFpe(params, keys)
    return FfxFpe(params, require_keys(keys, NAME))


CRYPTO_REPLACE_FFX_FPE = PrimitiveSpec(NAME, parse_ffx_fpe, build_ffx_fpe, reversible=True, needs_keys=True)
