"""KMS-encrypted keysets and Secret Manager, through the real client libraries.

The clients talk gRPC to an in-process server implementing the KMS
Encrypt/Decrypt and Secret Manager AccessSecretVersion APIs (``fake_gcp``).
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli
from tests.unit.keys.fake_gcp import KMS_KEY_URI, fake_gcp  # noqa: F401 - fixture
from veilwatch.transforms.config.model import KeysSpec
from veilwatch.transforms.keys.keyring import KeyRing, KeysetError, create_plaintext_keyset


def test_kms_encrypted_keyset_created_rotated_and_loaded(fake_gcp, tmp_path):  # noqa: F811
    path = tmp_path / "enc.json"
    assert run_cli("keys", "create", "--out", path, "--kms_key_uri", KMS_KEY_URI).code == 0
    document = json.loads(path.read_text())
    assert "encryptedKeyset" in document
    assert "key" not in document
    ring = KeyRing.load(KeysSpec(str(path), KMS_KEY_URI), allow_plaintext=False)  # no plaintext flag needed
    first = ring.primary_key_id()
    assert run_cli("keys", "rotate", "--keyset", path, "--kms_key_uri", KMS_KEY_URI).code == 0
    rotated = KeyRing.load(KeysSpec(str(path), KMS_KEY_URI), allow_plaintext=False)
    assert first in rotated.key_ids()
    assert rotated.primary_key_id() != first
    assert rotated.raw_key(None, "p", first) == ring.raw_key(None, "p")
    assert {"Encrypt", "Decrypt"} <= set(fake_gcp.calls)


def test_kms_errors_are_clear(fake_gcp, tmp_path):  # noqa: F811
    path = tmp_path / "enc.json"
    assert run_cli("keys", "create", "--out", path, "--kms_key_uri", KMS_KEY_URI).code == 0
    other = "gcp-kms://projects/p/locations/global/keyRings/veilwatch/cryptoKeys/other"
    with pytest.raises(KeysetError, match="Cloud KMS decrypt with .*cryptoKeys/other failed \\(NotFound\\)"):
        KeyRing.load(KeysSpec(str(path), other), allow_plaintext=False)
    with pytest.raises(KeysetError, match="encrypted with a KMS key but keys.kms_key_uri is not set"):
        KeyRing.load(KeysSpec(str(path)), allow_plaintext=True)
    fake_gcp.kms_keys[KMS_KEY_URI[len("gcp-kms://") :]] = bytes(32)  # the KEK changed: cannot decrypt
    with pytest.raises(KeysetError, match="failed \\(InvalidArgument\\)"):
        KeyRing.load(KeysSpec(str(path), KMS_KEY_URI), allow_plaintext=False)


def test_secret_manager_keyset_plain_and_kms_encrypted(fake_gcp, tmp_path):  # noqa: F811
    keyset = create_plaintext_keyset()
    uri = fake_gcp.add_secret("projects/p/secrets/payments-keyset/versions/3", keyset.encode())
    ring = KeyRing.load(KeysSpec(uri), allow_plaintext=False)  # a managed secret, not a plaintext file
    assert ring.primary_key_id() == json.loads(keyset)["primaryKeyId"]
    enc = tmp_path / "enc.json"
    assert run_cli("keys", "create", "--out", enc, "--kms_key_uri", KMS_KEY_URI).code == 0
    enc_uri = fake_gcp.add_secret("projects/p/secrets/enc/versions/latest", enc.read_bytes())
    assert KeyRing.load(KeysSpec(enc_uri, KMS_KEY_URI), allow_plaintext=False).key_ids()
    with pytest.raises(
        KeysetError, match="cannot access secret projects/p/secrets/missing/versions/1 \\(NotFound\\)"
    ):
        KeyRing.load(KeysSpec("secretmanager://projects/p/secrets/missing/versions/1"), allow_plaintext=False)
    with pytest.raises(KeysetError, match="must be secretmanager://projects/P/secrets/S/versions/V"):
        KeyRing.load(KeysSpec("secretmanager://payments"), allow_plaintext=False)
