"""The first DLP primitives, checked against DLP's documented examples and stdlib HMAC."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from veilwatch.transforms.config.errors import ConfigError
from veilwatch.transforms.config.model import KeysSpec
from veilwatch.transforms.deid.base import ValueContext
from veilwatch.transforms.deid.registry import build_transformation, parse_transformation
from veilwatch.transforms.keys.keyring import KeyRing, KeysetError, create_plaintext_keyset

CTX = ValueContext(info_type="CREDIT_CARD_NUMBER")


def make(config, keys=None):
    return build_transformation(parse_transformation(config, "t"), keys)


@pytest.mark.parametrize(
    "params,value,expected",
    [
        # DLP docs: "1234-5678-9012-3456", numberToMask -4, skip '-' -> last four kept
        (
            {"maskingCharacter": "*", "numberToMask": -4, "charactersToIgnore": [{"charactersToSkip": "-"}]},
            "1234-5678-9012-3456",
            "****-****-****-3456",
        ),
        ({"maskingCharacter": "#", "numberToMask": 5}, "jane@example.com", "#####example.com"),
        (
            {"maskingCharacter": "#", "numberToMask": 5, "reverseOrder": True},
            "jane@example.com",
            "jane@exampl#####",
        ),
        ({}, "abc", "***"),
        ({"numberToMask": -4, "reverseOrder": True}, "4111111111111111", "4111************"),
        ({"numberToMask": 50}, "abc", "***"),
        ({"numberToMask": -10}, "abc", "abc"),
        ({"charactersToIgnore": [{"commonCharactersToIgnore": "PUNCTUATION"}]}, "12-34", "**-**"),
    ],
)
def test_character_mask_follows_dlp(params, value, expected):
    assert make({"characterMaskConfig": params}).transform(value, CTX) == expected


def test_character_mask_rejects_bad_parameters():
    with pytest.raises(
        ConfigError, match=r"f\.t\.characterMaskConfig\.maskingCharacter: must be exactly"
    ) as info:
        parse_transformation({"characterMaskConfig": {"maskingCharacter": "**", "numberToMask": "3"}}, "f.t")
    assert {i.path for i in info.value.issues} == {
        "f.t.characterMaskConfig.maskingCharacter",
        "f.t.characterMaskConfig.numberToMask",
    }


def test_redact_replace_and_replace_with_info_type():
    assert make("redactConfig").transform("secret", CTX) == ""
    assert make({"replaceConfig": {"newValue": {"stringValue": "n/a"}}}).transform("secret", CTX) == "n/a"
    assert make({"replaceConfig": {"newValue": 0}}).transform("secret", CTX) == 0
    assert (
        make({"replaceWithInfoTypeConfig": {}}).transform("4111111111111111", CTX) == "[CREDIT_CARD_NUMBER]"
    )


def _keyring(tmp_path, keyset_json):
    path = tmp_path / "k.json"
    path.write_text(keyset_json)
    return KeyRing.load(KeysSpec(str(path)), allow_plaintext=True)


def test_crypto_hash_is_hmac_sha256_of_the_keyset_key(tmp_path):
    keyset_json = create_plaintext_keyset()
    # tink's HmacPrfKey proto: params (hash=SHA256) then the 32 key bytes last.
    key_value = json.loads(keyset_json)["key"][0]["keyData"]["value"]
    raw_key = base64.b64decode(key_value)[-32:]
    token = make({"cryptoHashConfig": {}}, _keyring(tmp_path, keyset_json)).transform("jane@example.com", CTX)
    expected = base64.b64encode(hmac.new(raw_key, b"jane@example.com", hashlib.sha256).digest()).decode()
    assert token == expected


def test_crypto_hash_is_deterministic_per_key_and_differs_across_keys(tmp_path):
    a = make({"cryptoHashConfig": {}}, _keyring(tmp_path, create_plaintext_keyset()))
    b = make({"cryptoHashConfig": {}}, _keyring(tmp_path, create_plaintext_keyset()))
    assert a.transform("x@y.org", CTX) == a.transform("x@y.org", CTX)
    assert a.transform("x@y.org", CTX) != b.transform("x@y.org", CTX)
    assert a.transform("x@y.org", CTX) != a.transform("x@y.orh", CTX)


CRYPTO_PRIMITIVES = {
    "cryptoHashConfig": {},
    "cryptoDeterministicConfig": {},
    "cryptoReplaceFfxFpeConfig": {"commonAlphabet": "NUMERIC"},
}
KEY32 = base64.b64encode(bytes(range(32))).decode()


@pytest.mark.parametrize("name", CRYPTO_PRIMITIVES)
@pytest.mark.parametrize(
    "crypto_key",
    [
        {"unwrapped": {"key": KEY32}},
        {
            "kmsWrapped": {
                "wrappedKey": "CiQAz0hX4+go8fJwn80Fr8pVImwx",
                "cryptoKeyName": "projects/p/locations/global/keyRings/r/cryptoKeys/k",
            }
        },
        {"transient": {"name": "k"}},
    ],
)
def test_every_crypto_primitive_accepts_a_dlp_crypto_key(name, crypto_key):
    spec = parse_transformation({name: {**CRYPTO_PRIMITIVES[name], "cryptoKey": crypto_key}}, "t")
    assert spec.params.crypto_key.to_dlp_json() == crypto_key
    from veilwatch.transforms.deid.registry import needs_keys

    assert not needs_keys(spec)  # the key is in the config: no keys.keyset needed
    assert needs_keys(parse_transformation({name: CRYPTO_PRIMITIVES[name]}, "t"))


@pytest.mark.parametrize("name", CRYPTO_PRIMITIVES)
@pytest.mark.parametrize(
    "crypto_key,path,message",
    [
        ({"unwrapped": {"key": "%%%"}}, "cryptoKey.unwrapped.key", "not valid base64"),
        (
            {"unwrapped": {"key": base64.b64encode(bytes(20)).decode()}},
            "cryptoKey.unwrapped.key",
            "got 20 bytes",
        ),
        ({"unwrapped": {"key": KEY32}, "transient": {"name": "k"}}, "cryptoKey", "exactly one of"),
    ],
)
def test_bad_dlp_crypto_keys_are_refused_by_path(name, crypto_key, path, message):
    with pytest.raises(ConfigError) as info:
        parse_transformation({name: {**CRYPTO_PRIMITIVES[name], "cryptoKey": crypto_key}}, "t")
    assert [(i.path, message in i.message) for i in info.value.issues] == [(f"t.{name}.{path}", True)]
    assert KEY32 not in str(info.value)


def test_key_sizes_follow_dlp_per_primitive():
    key16 = {"unwrapped": {"key": base64.b64encode(bytes(16)).decode()}}
    key64 = {"unwrapped": {"key": base64.b64encode(bytes(64)).decode()}}
    with pytest.raises(
        ConfigError, match="must be a key of 32, 64 bytes"
    ):  # DLP: hash keys are 32 or 64 bytes
        parse_transformation({"cryptoHashConfig": {"cryptoKey": key16}}, "t")
    parse_transformation({"cryptoHashConfig": {"cryptoKey": key64}}, "t")
    for name in ("cryptoDeterministicConfig", "cryptoReplaceFfxFpeConfig"):  # AES keys: 16, 24 or 32 bytes
        parse_transformation({name: {**CRYPTO_PRIMITIVES[name], "cryptoKey": key16}}, "t")
        with pytest.raises(ConfigError, match="must be a key of 16, 24, 32 bytes"):
            parse_transformation({name: {**CRYPTO_PRIMITIVES[name], "cryptoKey": key64}}, "t")


@pytest.mark.parametrize("name", CRYPTO_PRIMITIVES)
def test_unwrapped_keys_are_refused_without_allow_plaintext(name):
    from veilwatch.transforms.deid.crypto_key import CryptoKeyError
    from veilwatch.transforms.keys.keyring import NoKeyset

    spec = parse_transformation(
        {name: {**CRYPTO_PRIMITIVES[name], "cryptoKey": {"unwrapped": {"key": KEY32}}}}, "t"
    )
    for keys in (None, NoKeyset()):
        with pytest.raises(
            CryptoKeyError, match=f"t.{name}.cryptoKey.unwrapped: an unwrapped key is plaintext"
        ):
            build_transformation(spec, keys)
    assert (
        build_transformation(spec, NoKeyset(allow_plaintext_keys=True)).transform("123456", CTX) != "123456"
    )


def test_keyset_errors_are_clear_and_never_show_key_bytes(tmp_path):
    keyset_json = create_plaintext_keyset()
    secret = json.loads(keyset_json)["key"][0]["keyData"]["value"]
    with pytest.raises(KeysetError, match="pass --allow_plaintext_keys"):
        path = tmp_path / "k.json"
        path.write_text(keyset_json)
        KeyRing.load(KeysSpec(str(path)), allow_plaintext=False)
    broken = tmp_path / "broken.json"
    broken.write_text(keyset_json[: len(keyset_json) // 2])
    with pytest.raises(KeysetError, match="is not a readable tink JSON keyset") as info:
        KeyRing.load(KeysSpec(str(broken)), allow_plaintext=True)
    assert secret[:12] not in str(info.value)
    with pytest.raises(KeysetError, match="cannot read keyset"):
        KeyRing.load(KeysSpec(str(tmp_path / "missing.json")), allow_plaintext=True)


def test_wrong_keyset_type_is_named(tmp_path):
    import tink
    from tink import aead, secret_key_access

    aead.register()
    handle = tink.new_keyset_handle(aead.aead_key_templates.AES128_GCM)
    path = tmp_path / "aead.json"
    path.write_text(tink.json_proto_keyset_format.serialize(handle, secret_key_access.TOKEN))
    with pytest.raises(KeysetError, match="is the wrong type: veilwatch needs an HMAC-SHA256 PRF keyset"):
        KeyRing.load(KeysSpec(str(path)), allow_plaintext=True)
