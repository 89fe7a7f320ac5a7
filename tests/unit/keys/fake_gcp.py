"""In-process stand-ins for Cloud KMS and Secret Manager, speaking their real gRPC APIs.

The veilwatch code under test uses the real client libraries
(``google-cloud-kms``, ``google-cloud-secret-manager``) unchanged; only the
channel differs: it points at a local gRPC server that implements
``google.cloud.kms.v1.KeyManagementService/{Encrypt,Decrypt}`` and
``google.cloud.secretmanager.v1.SecretManagerService/AccessSecretVersion``
with the libraries' own request/response protos. The "KMS" encrypts with
AES-256-GCM under a key it never hands out, binding the associated data, as
Cloud KMS does; unknown keys and secrets get NOT_FOUND.
"""

from __future__ import annotations

import os
from concurrent import futures

import google_crc32c  # noqa: E402
import grpc
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402

# Direct dependencies: a broken install fails here, never skips.
from google.cloud import kms_v1, secretmanager_v1  # noqa: E402
from google.cloud.kms_v1.services.key_management_service.transports import (  # noqa: E402
    KeyManagementServiceGrpcTransport,
)
from google.cloud.secretmanager_v1.services.secret_manager_service.transports import (  # noqa: E402
    SecretManagerServiceGrpcTransport,
)

KMS_KEY_NAME = "projects/p/locations/global/keyRings/veilwatch/cryptoKeys/keyset-kek"
KMS_KEY_URI = "gcp-kms://" + KMS_KEY_NAME


class FakeGcp:
    def __init__(self) -> None:
        self.kms_keys = {KMS_KEY_NAME: AESGCM.generate_key(256)}
        self.secrets: dict[str, bytes] = {}
        self.calls: list[str] = []
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        self._server.add_generic_rpc_handlers(
            (
                grpc.method_handlers_generic_handler(
                    "google.cloud.kms.v1.KeyManagementService",
                    {
                        "Encrypt": grpc.unary_unary_rpc_method_handler(
                            self._encrypt,
                            request_deserializer=kms_v1.EncryptRequest.deserialize,
                            response_serializer=kms_v1.EncryptResponse.serialize,
                        ),
                        "Decrypt": grpc.unary_unary_rpc_method_handler(
                            self._decrypt,
                            request_deserializer=kms_v1.DecryptRequest.deserialize,
                            response_serializer=kms_v1.DecryptResponse.serialize,
                        ),
                    },
                ),
                grpc.method_handlers_generic_handler(
                    "google.cloud.secretmanager.v1.SecretManagerService",
                    {
                        "AccessSecretVersion": grpc.unary_unary_rpc_method_handler(
                            self._access,
                            request_deserializer=secretmanager_v1.AccessSecretVersionRequest.deserialize,
                            response_serializer=secretmanager_v1.AccessSecretVersionResponse.serialize,
                        ),
                    },
                ),
            )
        )
        self.port = self._server.add_insecure_port("127.0.0.1:0")
        self._server.start()

    def stop(self) -> None:
        self._server.stop(grace=None)

    # Clients built on an insecure channel to this server: the real libraries, no credentials needed.
    def kms_client(self):
        channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        return kms_v1.KeyManagementServiceClient(transport=KeyManagementServiceGrpcTransport(channel=channel))

    def secret_manager_client(self):
        channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        return secretmanager_v1.SecretManagerServiceClient(
            transport=SecretManagerServiceGrpcTransport(channel=channel)
        )

    def add_secret(self, name: str, data: bytes) -> str:
        self.secrets[name] = data
        return "secretmanager://" + name

    def _key(self, name: str, context):
        key = self.kms_keys.get(name)
        if key is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"CryptoKey {name} not found")
        return AESGCM(key)

    def _encrypt(self, request, context):
        self.calls.append("Encrypt")
        nonce = os.urandom(12)
        ciphertext = self._key(request.name, context).encrypt(
            nonce, request.plaintext, request.additional_authenticated_data or None
        )
        return kms_v1.EncryptResponse(name=request.name, ciphertext=nonce + ciphertext)

    def _decrypt(self, request, context):
        self.calls.append("Decrypt")
        aead = self._key(request.name, context)
        try:
            plaintext = aead.decrypt(
                request.ciphertext[:12],
                request.ciphertext[12:],
                request.additional_authenticated_data or None,
            )
        except Exception:  # noqa: BLE001
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "Decryption failed: the ciphertext is invalid.")
        return kms_v1.DecryptResponse(plaintext=plaintext)

    def _access(self, request, context):
        self.calls.append("AccessSecretVersion")
        data = self.secrets.get(request.name)
        if data is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"Secret Version [{request.name}] not found.")
        return secretmanager_v1.AccessSecretVersionResponse(
            name=request.name,
            payload=secretmanager_v1.SecretPayload(data=data, data_crc32c=google_crc32c.value(data)),
        )


@pytest.fixture
def fake_gcp(monkeypatch):
    from veilwatch.transforms.keys import cloud

    fake = FakeGcp()
    monkeypatch.setitem(cloud.CLIENT_FACTORIES, "kms", fake.kms_client)
    monkeypatch.setitem(cloud.CLIENT_FACTORIES, "secretmanager", fake.secret_manager_client)
    yield fake
    fake.stop()
