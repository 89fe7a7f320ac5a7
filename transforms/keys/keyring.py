"""Load a dataset's tink keyset and hand keyed functions to primitives.

The keyset is a tink keyset of HMAC-SHA256 PRF keys (``veilwatch keys
create`` makes one, ``veilwatch keys rotate`` adds a new primary key). Its
primary key computes ``cryptoHashConfig`` tokens; the other primitives
derive their own keys from a PRF key by purpose label, so one keyset per
dataset serves every transformation and rotates as one. Every key stays
usable by its tink key id: reversible tokens record the id of the key that
made them (see the primitives), so re-identification works after rotation.

Where the keyset comes from (``keys.keyset`` and ``keys.kms_key_uri``):

* a file or Beam filesystem URI holding tink JSON in clear: only with
  ``--allow_plaintext_keys`` (a warning is logged);
* the same holding a tink *encrypted* keyset, with ``keys.kms_key_uri:
  gcp-kms://...``: the Cloud KMS key decrypts it (tinkey's
  ``--master-key-uri`` format, empty associated data);
* ``secretmanager://projects/P/secrets/S/versions/V``: the secret's payload is
  the keyset, in clear (access is the secret's IAM) or encrypted as above.

Key material never reaches a log, an exception message or an output: errors
name the keyset's location and what is wrong, nothing else.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import tink
from tink import prf, secret_key_access
from tink.proto import tink_pb2

from veilwatch.transforms.config.model import KeysSpec
from veilwatch.transforms.keys.cloud import CloudKeyError, access_secret, is_secret_uri, kms_aead

_LOG = logging.getLogger(__name__)
HMAC_SHA256_OUTPUT_BYTES = 32
# tinkey and tink's KeysetHandle.write use no associated data for encrypted keysets.
KEYSET_ASSOCIATED_DATA = b""


# Keyset locations already warned about as plaintext in this process.
_WARNED_PLAINTEXT: set[str] = set()


class KeysetError(ValueError):
    """The key material cannot be used; the message is safe to print."""


class UnknownKeyIdError(LookupError):
    """A token names a key id that the keyset does not hold."""


def _register() -> None:
    prf.register()


def create_plaintext_keyset() -> str:
    """A new HMAC-SHA256 PRF keyset as tink JSON (cleartext: protect the file)."""
    return serialize_keyset(new_keyset_handle())


def new_keyset_handle() -> tink.KeysetHandle:
    _register()
    return tink.new_keyset_handle(prf.prf_key_templates.HMAC_SHA256)


def serialize_keyset(handle: tink.KeysetHandle, kms_key_uri: str | None = None) -> str:
    """tink JSON, in clear or (with ``kms_key_uri``) encrypted by the KMS key."""
    if kms_key_uri:
        try:
            return tink.json_proto_keyset_format.serialize_encrypted(
                handle, kms_aead(kms_key_uri), KEYSET_ASSOCIATED_DATA
            )
        except CloudKeyError as exc:
            raise KeysetError(str(exc)) from None
    return tink.json_proto_keyset_format.serialize(handle, secret_key_access.TOKEN)


def rotate(handle: tink.KeysetHandle) -> tuple[tink.KeysetHandle, int]:
    """A copy of ``handle`` with a new HMAC-SHA256 PRF key as primary; old keys stay enabled."""
    keyset = tink_pb2.Keyset.FromString(tink.proto_keyset_format.serialize(handle, secret_key_access.TOKEN))
    taken = {key.key_id for key in keyset.key}
    while True:
        fresh = tink_pb2.Keyset.FromString(
            tink.proto_keyset_format.serialize(new_keyset_handle(), secret_key_access.TOKEN)
        ).key[0]
        if fresh.key_id not in taken:
            break
    keyset.key.append(fresh)
    keyset.primary_key_id = fresh.key_id
    new = tink.proto_keyset_format.parse(keyset.SerializeToString(), secret_key_access.TOKEN)
    return new, fresh.key_id


def describe(handle: tink.KeysetHandle) -> list[dict]:
    """Key ids, status and primary flag (no key material)."""
    info = handle.keyset_info()
    return [
        {
            "key_id": k.key_id,
            "status": tink_pb2.KeyStatusType.Name(k.status),
            "primary": k.key_id == info.primary_key_id,
            "type": k.type_url.rsplit(".", 1)[-1],
        }
        for k in info.key_info
    ]


def parse_plaintext_keyset(text: str, where: str) -> tink.KeysetHandle:
    _register()
    try:
        handle = tink.json_proto_keyset_format.parse(text, secret_key_access.TOKEN)
    except Exception:  # noqa: BLE001 - tink raises several types; none may echo key bytes
        raise KeysetError(f"keyset {where} is not a readable tink JSON keyset") from None
    return _check_type(handle, where)


def parse_encrypted_keyset(text: str, where: str, kms_key_uri: str) -> tink.KeysetHandle:
    _register()
    try:
        remote = kms_aead(kms_key_uri)
    except CloudKeyError as exc:
        raise KeysetError(str(exc)) from None
    try:
        handle = tink.json_proto_keyset_format.parse_encrypted(text, remote, KEYSET_ASSOCIATED_DATA)
    except CloudKeyError as exc:
        raise KeysetError(f"keyset {where}: {exc}") from None
    except Exception:  # noqa: BLE001
        raise KeysetError(
            f"keyset {where} cannot be decrypted with keys.kms_key_uri "
            "(not encrypted with that KMS key, or damaged)"
        ) from None
    return _check_type(handle, where)


def _check_type(handle: tink.KeysetHandle, where: str) -> tink.KeysetHandle:
    try:
        handle.primitive(prf.PrfSet)
        ok = all(k.type_url.endswith("HmacPrfKey") for k in handle.keyset_info().key_info)
    except Exception:  # noqa: BLE001
        ok = False
    if not ok:
        raise KeysetError(
            f"keyset {where} is the wrong type: veilwatch needs an HMAC-SHA256 PRF keyset "
            "(make one with 'veilwatch keys create')"
        )
    return handle


def _is_encrypted(text: str) -> bool:
    try:
        document = json.loads(text)
    except ValueError:
        return False
    return isinstance(document, dict) and "encryptedKeyset" in document


def load_handle(spec: KeysSpec, allow_plaintext: bool) -> tink.KeysetHandle:
    """The keyset named by ``spec``, decrypted and type-checked, or KeysetError."""
    if not spec.keyset:
        raise KeysetError("no keyset configured (keys.keyset or --keyset)")
    where = spec.keyset
    from_secret = is_secret_uri(where)
    if from_secret:
        try:
            raw = access_secret(where)
        except CloudKeyError as exc:
            raise KeysetError(str(exc)) from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise KeysetError(f"keyset {where} is not a readable tink JSON keyset") from None
    else:
        text = _read(where)
    if _is_encrypted(text):
        if not spec.kms_key_uri:
            raise KeysetError(
                f"keyset {where} is encrypted with a KMS key but keys.kms_key_uri is not set "
                "(the KMS configuration is missing)"
            )
        return parse_encrypted_keyset(text, where, spec.kms_key_uri)
    if spec.kms_key_uri:
        raise KeysetError(
            f"keys.kms_key_uri is set but keyset {where} is not KMS-encrypted "
            "(make one with 'veilwatch keys create --kms_key_uri ...')"
        )
    if not from_secret:
        if not allow_plaintext:
            raise KeysetError(
                f"keyset {where} is a plaintext keyset; pass --allow_plaintext_keys to use it "
                "(only for local runs and tests)"
            )
        if where not in _WARNED_PLAINTEXT:  # once per keyset and process: preflight and workers both load it
            _WARNED_PLAINTEXT.add(where)
            _LOG.warning(
                "Using a plaintext keyset from %s: fine for local runs, use KMS-wrapped keys in production.",
                where,
            )
    return parse_plaintext_keyset(text, where)


class KeyRing:
    """The KeyProvider primitives see: keyed functions, never raw key dumps."""

    def __init__(
        self, handle: tink.KeysetHandle, primary_id: int | None = None, allow_plaintext_keys: bool = False
    ):
        prf_set = handle.primitive(prf.PrfSet)
        self._prfs = prf_set.all()
        self._primary_id = prf_set.primary_id() if primary_id is None else primary_id
        if self._primary_id not in self._prfs:
            raise KeysetError(f"key id {self._primary_id} is not in the keyset")
        self._handle = handle
        # Whether the run accepts plaintext key material: DLP ``unwrapped`` cryptoKeys in
        # the config are refused without it (veilwatch.transforms.deid.crypto_key).
        self.allow_plaintext_keys = allow_plaintext_keys

    @classmethod
    def load(cls, spec: KeysSpec, allow_plaintext: bool) -> KeyRing:
        ring = cls(load_handle(spec, allow_plaintext), allow_plaintext_keys=allow_plaintext)
        _LOG.info(
            "Keyset %s loaded: %d key(s), primary key id %d.",
            spec.keyset,
            len(ring.key_ids()),
            ring.primary_key_id(),
        )
        return ring

    def pinned(self, key_id: int) -> KeyRing:
        """The same keyset with ``key_id`` acting as primary (to reverse tokens that
        carry no key id, made before a rotation)."""
        if key_id not in self._prfs:
            raise KeysetError(f"key id {key_id} is not in the keyset")
        return KeyRing(self._handle, key_id, self.allow_plaintext_keys)

    def primary_key_id(self) -> int:
        return self._primary_id

    def key_ids(self) -> tuple[int, ...]:
        return tuple(sorted(self._prfs))

    def _prf(self, key_id: int | None):
        key_id = self._primary_id if key_id is None else key_id
        try:
            return self._prfs[key_id]
        except KeyError:
            raise UnknownKeyIdError(f"key id {key_id} is not in the keyset") from None

    def hmac_prf(self, key_name: str | None = None) -> Callable[[bytes], bytes]:
        primary = self._prf(None)
        return lambda data: primary.compute(data, HMAC_SHA256_OUTPUT_BYTES)

    def raw_key(self, key_name: str | None, purpose: str, key_id: int | None = None) -> bytes:
        """A key for ``purpose`` derived from one PRF key (HMAC as a KDF; default the primary)."""
        return self._prf(key_id).compute(
            b"veilwatch-key:" + purpose.encode("utf-8"), HMAC_SHA256_OUTPUT_BYTES
        )

    def __repr__(self) -> str:  # never shows key material
        return f"KeyRing(keys={len(self._prfs)}, primary={self._primary_id})"

    def __reduce__(self) -> tuple:
        raise TypeError("KeyRing holds key material and cannot be pickled; load it in DoFn.setup()")


class NoKeyset:
    """The KeyProvider of a dataset without ``keys.keyset``: its keyed primitives all name
    a DLP ``cryptoKey``. It only carries the run's plaintext-key flag; asking it for
    keyset material is an error."""

    def __init__(self, allow_plaintext_keys: bool = False):
        self.allow_plaintext_keys = allow_plaintext_keys

    def _missing(self) -> KeysetError:
        return KeysetError(
            "no keyset configured (keys.keyset or --keyset); a transformation without a cryptoKey needs one"
        )

    def hmac_prf(self, key_name: str | None = None) -> Callable[[bytes], bytes]:
        raise self._missing()

    def raw_key(self, key_name: str | None, purpose: str, key_id: int | None = None) -> bytes:
        raise self._missing()

    def primary_key_id(self) -> None:
        return None

    def key_ids(self) -> tuple[int, ...]:
        return ()

    def pinned(self, key_id: int) -> NoKeyset:
        raise KeysetError(f"key id {key_id} is not in the keyset (no keyset configured)")

    def __repr__(self) -> str:
        return f"NoKeyset(allow_plaintext_keys={self.allow_plaintext_keys})"


def _read(path: str) -> str:
    from apache_beam.io.filesystems import FileSystems

    try:
        with FileSystems.open(path) as handle:
            return handle.read().decode("utf-8")
    except Exception as exc:  # noqa: BLE001
        raise KeysetError(f"cannot read keyset {path}: {type(exc).__name__}") from None
