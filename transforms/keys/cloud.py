"""Google Cloud KMS and Secret Manager access for loading keysets.

* :func:`kms_aead` returns a tink ``Aead`` backed by a Cloud KMS key
  (``gcp-kms://projects/P/locations/L/keyRings/R/cryptoKeys/K``), the key
  that encrypts a tink keyset (tink's encrypted keyset, as ``tinkey
  create-keyset --master-key-uri`` writes it).
* :func:`kms_decrypt` unwraps a DLP ``kmsWrapped`` crypto key (KMS Decrypt,
  no associated data).
* :func:`access_secret` reads a Secret Manager secret version
  (``secretmanager://projects/P/secrets/S/versions/V``, V may be ``latest``).

Both use the official client libraries (``google-cloud-kms``,
``google-cloud-secret-manager``), imported only when a config asks for them.
The clients come from :data:`CLIENT_FACTORIES`, so a test (or a deployment
with a private endpoint) can supply a client on another channel; nothing else
differs from a production call. Errors name the resource and the failure
class (``NotFound``, ``PermissionDenied`` ...), never key bytes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tink import aead

GCP_KMS_PREFIX = "gcp-kms://"
SECRET_MANAGER_PREFIX = "secretmanager://"
_KMS_KEY = re.compile(
    r"^projects/[^/]+/locations/[a-zA-Z0-9_-]{1,63}/keyRings/[a-zA-Z0-9_-]{1,63}"
    r"/cryptoKeys/[a-zA-Z0-9_-]{1,63}$"
)
_SECRET_VERSION = re.compile(r"^projects/[^/]+/secrets/[a-zA-Z0-9_-]{1,255}/versions/[a-zA-Z0-9_-]+$")


class CloudKeyError(ValueError):
    """A KMS or Secret Manager call failed; the message is safe to print."""


def _default_kms_client() -> Any:
    from google.cloud import kms_v1

    return kms_v1.KeyManagementServiceClient()


def _default_secret_manager_client() -> Any:
    from google.cloud import secretmanager_v1

    return secretmanager_v1.SecretManagerServiceClient()


# name -> zero-argument factory of the client library's service client.
CLIENT_FACTORIES: dict[str, Callable[[], Any]] = {
    "kms": _default_kms_client,
    "secretmanager": _default_secret_manager_client,
}
_PACKAGES = {"kms": "google-cloud-kms", "secretmanager": "google-cloud-secret-manager"}


def _client(name: str) -> Any:
    try:
        return CLIENT_FACTORIES[name]()
    except ImportError:
        raise CloudKeyError(f"{_PACKAGES[name]} is not installed (needed for this keyset location)") from None
    except Exception as exc:  # noqa: BLE001 - credentials and transport errors; type only
        raise CloudKeyError(
            f"cannot create a {_PACKAGES[name]} client ({type(exc).__name__}); "
            "check the application default credentials"
        ) from None


def kms_key_name(key_uri: str) -> str:
    """``gcp-kms://projects/...`` -> ``projects/...``, or CloudKeyError."""
    if not isinstance(key_uri, str) or not key_uri.startswith(GCP_KMS_PREFIX):
        raise CloudKeyError(
            "keys.kms_key_uri must start with gcp-kms:// "
            "(gcp-kms://projects/P/locations/L/keyRings/R/cryptoKeys/K)"
        )
    name = key_uri[len(GCP_KMS_PREFIX) :]
    if not _KMS_KEY.match(name):
        raise CloudKeyError(
            "keys.kms_key_uri must name a key: gcp-kms://projects/P/locations/L/keyRings/R/cryptoKeys/K"
        )
    return name


class GcpKmsAead(aead.Aead):
    """tink Aead over Cloud KMS Encrypt/Decrypt (what tink's gcpkms integration does)."""

    def __init__(self, client: Any, key_name: str):
        self._client = client
        self._name = key_name

    def encrypt(self, plaintext: bytes, associated_data: bytes) -> bytes:
        try:
            response = self._client.encrypt(
                request={
                    "name": self._name,
                    "plaintext": plaintext,
                    "additional_authenticated_data": associated_data,
                }
            )
        except Exception as exc:  # noqa: BLE001
            raise CloudKeyError(
                f"Cloud KMS encrypt with {self._name} failed ({type(exc).__name__})"
            ) from None
        return response.ciphertext

    def decrypt(self, ciphertext: bytes, associated_data: bytes) -> bytes:
        try:
            response = self._client.decrypt(
                request={
                    "name": self._name,
                    "ciphertext": ciphertext,
                    "additional_authenticated_data": associated_data,
                }
            )
        except Exception as exc:  # noqa: BLE001
            raise CloudKeyError(
                f"Cloud KMS decrypt with {self._name} failed ({type(exc).__name__})"
            ) from None
        return response.plaintext


def kms_aead(key_uri: str) -> aead.Aead:
    name = kms_key_name(key_uri)
    return GcpKmsAead(_client("kms"), name)


def kms_decrypt(key_name: str, ciphertext: bytes) -> bytes:
    """Cloud KMS Decrypt with ``projects/.../cryptoKeys/K`` and no associated data: how
    DLP unwraps a ``kmsWrapped`` crypto key (its ``wrappedKey`` is KMS Encrypt's output)."""
    if not isinstance(key_name, str) or not _KMS_KEY.match(key_name):
        raise CloudKeyError("a KMS key name must be projects/P/locations/L/keyRings/R/cryptoKeys/K")
    return GcpKmsAead(_client("kms"), key_name).decrypt(ciphertext, b"")


def is_secret_uri(location: str) -> bool:
    return isinstance(location, str) and location.startswith(SECRET_MANAGER_PREFIX)


def access_secret(uri: str) -> bytes:
    """The payload of a Secret Manager secret version, checksum verified."""
    name = uri[len(SECRET_MANAGER_PREFIX) :]
    if not _SECRET_VERSION.match(name):
        raise CloudKeyError("a Secret Manager keyset must be secretmanager://projects/P/secrets/S/versions/V")
    client = _client("secretmanager")
    try:
        response = client.access_secret_version(request={"name": name})
    except Exception as exc:  # noqa: BLE001
        raise CloudKeyError(f"cannot access secret {name} ({type(exc).__name__})") from None
    data = response.payload.data
    if "data_crc32c" in response.payload:
        import google_crc32c

        if google_crc32c.value(data) != response.payload.data_crc32c:
            raise CloudKeyError(f"secret {name} failed its CRC32C check (corrupted in transit)")
    return data
