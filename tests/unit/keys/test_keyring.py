"""Keysets: create, rotate, list; key ids; clear errors that never show key bytes."""

from __future__ import annotations

import base64
import json
import logging
import os
import stat

import pytest
import tink
from tink import aead, secret_key_access

from tests.conftest import run_cli
from veilwatch.transforms.config.model import KeysSpec
from veilwatch.transforms.keys.keyring import (
    KeyRing,
    KeysetError,
    UnknownKeyIdError,
    create_plaintext_keyset,
    load_handle,
    parse_plaintext_keyset,
    rotate,
)


def _key_bytes(keyset_json: str) -> list[str]:
    """Base64 of every key's material, to check it never shows up anywhere."""
    out = []
    for key in json.loads(keyset_json)["key"]:
        raw = base64.b64decode(key["keyData"]["value"])[-32:]
        out += [key["keyData"]["value"], base64.b64encode(raw).decode(), raw.hex()]
    return out


def test_rotate_adds_a_primary_and_keeps_old_keys_usable():
    handle = parse_plaintext_keyset(create_plaintext_keyset(), "k")
    before = KeyRing(handle)
    rotated, new_id = rotate(handle)
    after = KeyRing(rotated)
    assert after.primary_key_id() == new_id != before.primary_key_id()
    assert set(after.key_ids()) == {before.primary_key_id(), new_id}
    # The old key derives the same purpose keys it did before the rotation.
    assert after.raw_key(None, "p", before.primary_key_id()) == before.raw_key(None, "p")
    assert after.raw_key(None, "p") != before.raw_key(None, "p")
    assert after.pinned(before.primary_key_id()).raw_key(None, "p") == before.raw_key(None, "p")
    with pytest.raises(UnknownKeyIdError, match=r"key id 12345 is not in the keyset"):
        after.raw_key(None, "p", 12345)


def test_keys_cli_create_rotate_list(tmp_path, caplog):
    path = tmp_path / "k.json"
    assert run_cli("keys", "create", "--out", path).code == 0
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    first = json.loads(path.read_text())["primaryKeyId"]
    with caplog.at_level(logging.DEBUG):
        rotated = run_cli("keys", "rotate", "--keyset", path)
    assert rotated.code == 0
    assert "new primary key id" in rotated.out
    document = json.loads(path.read_text())
    assert len(document["key"]) == 2
    assert document["primaryKeyId"] != first
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    listing = run_cli("keys", "list", "--keyset", path)
    assert listing.code == 0
    assert str(first) in listing.out
    assert "primary" in listing.out
    secrets = _key_bytes(path.read_text())
    everything = rotated.out + rotated.err + listing.out + listing.err + caplog.text
    assert not [s for s in secrets if s in everything]
    assert not list(tmp_path.glob(".keyset-*"))  # the temporary file was renamed over the keyset


def test_keys_cli_refuses_to_overwrite_and_reports_bad_files(tmp_path):
    path = tmp_path / "k.json"
    path.write_text("{}")
    assert run_cli("keys", "create", "--out", path).code == 2
    result = run_cli("keys", "rotate", "--keyset", path)
    assert result.code == 2
    assert "is not a readable tink JSON keyset" in result.err
    assert path.read_text() == "{}"
    missing = run_cli("keys", "rotate", "--keyset", tmp_path / "nope.json")
    assert missing.code == 2
    assert "cannot read keyset" in missing.err


def test_keys_create_refuses_a_dangling_symlink_and_unwritable_places_clearly(tmp_path):
    link = tmp_path / "keyset.json"
    link.symlink_to(tmp_path / "elsewhere" / "target.json")  # points nowhere
    result = run_cli("keys", "create", "--out", link)
    assert result.code == 2, result.err
    assert "is a symbolic link" in result.err
    assert "Traceback" not in result.err
    assert not (tmp_path / "elsewhere").exists()
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    result = run_cli("keys", "create", "--out", blocker / "keyset.json")  # its folder would have to be a file
    assert result.code == 2
    assert "cannot write" in result.err
    assert "Traceback" not in result.err


def test_wrong_type_missing_and_broken_keysets_are_named_without_key_bytes(tmp_path):
    aead.register()
    handle = tink.new_keyset_handle(aead.aead_key_templates.AES128_GCM)
    wrong = tmp_path / "aead.json"
    wrong_json = tink.json_proto_keyset_format.serialize(handle, secret_key_access.TOKEN)
    wrong.write_text(wrong_json)
    with pytest.raises(
        KeysetError, match="is the wrong type: veilwatch needs an HMAC-SHA256 PRF keyset"
    ) as info:
        KeyRing.load(KeysSpec(str(wrong)), allow_plaintext=True)
    assert json.loads(wrong_json)["key"][0]["keyData"]["value"][:16] not in str(info.value)
    good = create_plaintext_keyset()
    broken = tmp_path / "broken.json"
    broken.write_text(good[: len(good) // 2])
    with pytest.raises(KeysetError, match="is not a readable tink JSON keyset") as info:
        KeyRing.load(KeysSpec(str(broken)), allow_plaintext=True)
    assert not [s for s in _key_bytes(good) if s in str(info.value)]
    with pytest.raises(KeysetError, match="cannot read keyset"):
        KeyRing.load(KeysSpec(str(tmp_path / "missing.json")), allow_plaintext=True)
    with pytest.raises(KeysetError, match="no keyset configured"):
        KeyRing.load(KeysSpec(None), allow_plaintext=True)


def test_kms_configuration_must_match_the_keyset(tmp_path):
    plain = tmp_path / "k.json"
    plain.write_text(create_plaintext_keyset())
    with pytest.raises(KeysetError, match="keys.kms_key_uri is set but keyset .* is not KMS-encrypted"):
        load_handle(KeysSpec(str(plain), "gcp-kms://projects/p/locations/l/keyRings/r/cryptoKeys/k"), False)
    encrypted = tmp_path / "enc.json"
    encrypted.write_text(json.dumps({"encryptedKeyset": "AAAA", "keysetInfo": {"primaryKeyId": 1}}))
    with pytest.raises(KeysetError, match="encrypted with a KMS key but keys.kms_key_uri is not set"):
        load_handle(KeysSpec(str(encrypted)), True)
    with pytest.raises(KeysetError, match="must start with gcp-kms://"):
        load_handle(KeysSpec(str(encrypted), "aws-kms://arn:aws:kms:eu:1:key/k"), True)


def test_keyring_is_not_picklable_and_repr_shows_no_key():
    import pickle

    ring = KeyRing(parse_plaintext_keyset(create_plaintext_keyset(), "k"))
    assert "KeyRing(keys=1" in repr(ring)
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(ring)
