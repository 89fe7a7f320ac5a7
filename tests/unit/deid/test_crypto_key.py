"""DLP's cryptoKey: what is accepted, what is refused (by key path, never quoting the key), how it resolves.

KMS-wrapped keys are unwrapped by the real google-cloud-kms client talking gRPC to the
in-process KMS of tests/unit/keys/fake_gcp.py.
"""

from __future__ import annotations

import base64
import pickle

import pytest

from tests.unit.keys.fake_gcp import KMS_KEY_NAME, fake_gcp  # noqa: F401 - fixture
from veilwatch.transforms.config.errors import ConfigIssue
from veilwatch.transforms.deid import crypto_key
from veilwatch.transforms.deid.crypto_key import (
    AES_KEY_SIZES,
    HASH_KEY_SIZES,
    CryptoKeyError,
    CryptoKeySpec,
    parse_crypto_key,
    plaintext_allowed,
    resolve_crypto_key,
)
from veilwatch.transforms.keys.keyring import KeyRing, NoKeyset, new_keyset_handle

KEY = bytes(range(100, 132))
KEY_B64 = base64.b64encode(KEY).decode()


@pytest.fixture(autouse=True)
def _fresh_cache():
    crypto_key.clear_cache()
    yield
    crypto_key.clear_cache()


def parse(value, sizes=AES_KEY_SIZES):
    issues: list[ConfigIssue] = []
    spec = parse_crypto_key(
        {"cryptoKey": value, "commonAlphabet": "NUMERIC"},
        "pii.fields[0].transformation.x",
        issues,
        allowed_sizes=sizes,
    )
    return spec, [str(i) for i in issues]


def test_the_three_dlp_forms_are_accepted():
    spec, issues = parse({"unwrapped": {"key": KEY_B64}})
    assert issues == []
    assert spec.kind == "unwrapped"
    assert spec.key_b64 == KEY_B64
    assert spec.path == "pii.fields[0].transformation.x.cryptoKey.unwrapped"
    wrapped = base64.b64encode(b"w" * 60).decode()
    spec, issues = parse({"kmsWrapped": {"wrappedKey": wrapped, "cryptoKeyName": KMS_KEY_NAME}})
    assert issues == []
    assert (spec.kind, spec.wrapped_key_b64, spec.crypto_key_name) == (
        "kms_wrapped",
        wrapped,
        KMS_KEY_NAME,
    )
    spec, issues = parse({"transient": {"name": "k1"}})
    assert issues == []
    assert spec.kind == "transient"
    assert spec.transient_name == "k1"
    assert not spec.reversible
    assert parse_crypto_key({"commonAlphabet": "NUMERIC"}, "p", [], allowed_sizes=AES_KEY_SIZES) is None


def test_url_safe_and_unpadded_base64_are_read_as_protobuf_json_reads_bytes():
    key = bytes([0xFB, 0xFF] * 8)
    for text in (
        base64.b64encode(key).decode(),
        base64.urlsafe_b64encode(key).decode(),
        base64.b64encode(key).decode().rstrip("="),
    ):
        spec, issues = parse({"unwrapped": {"key": text}})
        assert issues == []
        assert resolve_crypto_key(spec, allow_plaintext=True) == key


@pytest.mark.parametrize(
    "value,path,message",
    [
        ({"unwrapped": {"key": "not base64!"}}, "cryptoKey.unwrapped.key", "is not valid base64"),
        (
            {"unwrapped": {"key": "YWJj"}},
            "cryptoKey.unwrapped.key",
            "must be a key of 16, 24, 32 bytes, got 3 bytes",
        ),
        ({"unwrapped": {"key": KEY_B64}, "transient": {"name": "k"}}, "cryptoKey", "exactly one of"),
        ({}, "cryptoKey", "exactly one of"),
        ({"unwrapped": {}}, "cryptoKey.unwrapped.key", "is required"),
        ({"unwrapped": {"key": KEY_B64, "extra": 1}}, "cryptoKey.unwrapped.extra", "unknown key"),
        (
            {"kmsWrapped": {"wrappedKey": "YWJj", "cryptoKeyName": "my-key"}},
            "cryptoKey.kmsWrapped.cryptoKeyName",
            "must name a Cloud KMS key",
        ),
        ({"kmsWrapped": {"cryptoKeyName": KMS_KEY_NAME}}, "cryptoKey.kmsWrapped.wrappedKey", "is required"),
        ({"transient": {"name": ""}}, "cryptoKey.transient.name", "non-empty string"),
        ("k", "cryptoKey", "exactly one of"),
    ],
)
def test_bad_keys_are_named_by_path_without_quoting_them(value, path, message):
    spec, issues = parse(value)
    assert spec is None
    assert len(issues) >= 1
    assert issues[0].startswith(f"pii.fields[0].transformation.x.{path}: ")
    assert message in issues[0]
    assert not any(KEY_B64[:16] in i or "YWJj" in i for i in issues)


def test_hash_sizes_are_32_or_64_bytes():
    assert parse({"unwrapped": {"key": base64.b64encode(bytes(64)).decode()}}, HASH_KEY_SIZES)[1] == []
    _, issues = parse({"unwrapped": {"key": base64.b64encode(bytes(16)).decode()}}, HASH_KEY_SIZES)
    assert "must be a key of 32, 64 bytes, got 16 bytes" in issues[0]


def test_repr_and_messages_never_show_key_bytes():
    spec, _ = parse({"unwrapped": {"key": KEY_B64}})
    wrapped = base64.b64encode(b"secret-wrapped-key-bytes").decode()
    kms, _ = parse({"kmsWrapped": {"wrappedKey": wrapped, "cryptoKeyName": KMS_KEY_NAME}})
    for text in (repr(spec), str(spec), repr(kms), repr([spec, kms])):
        assert KEY_B64 not in text
        assert wrapped not in text
        assert "<redacted>" in text
    with pytest.raises(
        CryptoKeyError, match=r"pii\.fields\[0\]\.transformation\.x\.cryptoKey\.unwrapped: an"
    ) as info:
        resolve_crypto_key(spec, allow_plaintext=False)
    assert KEY_B64 not in str(info.value)
    assert pickle.loads(pickle.dumps(spec)) == spec  # plain data: travels to workers in the config


def test_unwrapped_keys_need_the_plaintext_flag(caplog):
    spec, _ = parse({"unwrapped": {"key": KEY_B64}})
    with pytest.raises(
        CryptoKeyError,
        match=r"x\.cryptoKey\.unwrapped: an unwrapped key is plaintext key material.*"
        r"--allow_plaintext_keys",
    ):
        resolve_crypto_key(spec, allow_plaintext=False)
    with caplog.at_level("WARNING"):
        assert resolve_crypto_key(spec, allow_plaintext=True) == KEY
    assert (
        "Using the unwrapped cryptoKey at pii.fields[0].transformation.x.cryptoKey.unwrapped" in caplog.text
    )
    assert KEY_B64 not in caplog.text


def test_a_parsed_config_never_shows_the_key():
    from veilwatch.transforms.deid.registry import parse_transformation

    for name in ("cryptoHashConfig", "cryptoDeterministicConfig"):
        spec = parse_transformation({name: {"cryptoKey": {"unwrapped": {"key": KEY_B64}}}}, "t")
        assert KEY_B64 not in repr(spec)
        assert KEY_B64 not in str(spec)


def test_the_flag_reaches_build_through_the_key_provider():
    assert plaintext_allowed(NoKeyset(allow_plaintext_keys=True))
    assert not plaintext_allowed(NoKeyset())
    assert not plaintext_allowed(None)
    assert not plaintext_allowed(object())
    ring = KeyRing(new_keyset_handle(), allow_plaintext_keys=True)
    assert plaintext_allowed(ring)
    assert plaintext_allowed(ring.pinned(ring.primary_key_id()))
    assert not plaintext_allowed(KeyRing(new_keyset_handle()))


def test_transient_keys_are_random_per_name_and_stable_within_the_process():
    a, _ = parse({"transient": {"name": "a"}})
    a2, _ = parse({"transient": {"name": "a"}})
    b, _ = parse({"transient": {"name": "b"}})
    key_a = resolve_crypto_key(a, allow_plaintext=False)  # no plaintext in the config: no flag needed
    assert len(key_a) == 32
    assert key_a == resolve_crypto_key(a2, allow_plaintext=False)  # DLP: same name, same key
    assert key_a != resolve_crypto_key(b, allow_plaintext=False)
    crypto_key.clear_cache()
    assert resolve_crypto_key(a, allow_plaintext=False) != key_a  # a new process: a new key


def _wrap(fake, key: bytes) -> str:
    from google.cloud import kms_v1

    client = fake.kms_client()
    return base64.b64encode(
        client.encrypt(request=kms_v1.EncryptRequest(name=KMS_KEY_NAME, plaintext=key)).ciphertext
    ).decode()


def test_kms_wrapped_key_is_unwrapped_once_per_process(fake_gcp):  # noqa: F811
    spec, issues = parse({"kmsWrapped": {"wrappedKey": _wrap(fake_gcp, KEY), "cryptoKeyName": KMS_KEY_NAME}})
    assert issues == []
    fake_gcp.calls.clear()
    assert resolve_crypto_key(spec, allow_plaintext=False) == KEY  # not plaintext: no flag needed
    assert resolve_crypto_key(spec, allow_plaintext=False) == KEY
    assert fake_gcp.calls == ["Decrypt"]


def test_kms_failures_and_wrong_sizes_are_clear(fake_gcp):  # noqa: F811
    other = KMS_KEY_NAME.replace("keyset-kek", "other")
    spec, _ = parse({"kmsWrapped": {"wrappedKey": _wrap(fake_gcp, KEY), "cryptoKeyName": other}})
    with pytest.raises(
        CryptoKeyError,
        match=r"cryptoKey\.kmsWrapped: cannot unwrap the key: .*"
        r"cryptoKeys/other failed \(NotFound\)",
    ):
        resolve_crypto_key(spec, allow_plaintext=False)
    short, _ = parse(
        {"kmsWrapped": {"wrappedKey": _wrap(fake_gcp, bytes(20)), "cryptoKeyName": KMS_KEY_NAME}}
    )
    with pytest.raises(CryptoKeyError, match="the key must be 16, 24, 32 bytes, got 20 bytes"):
        resolve_crypto_key(short, allow_plaintext=False)


def test_dlp_json_round_trips():
    for value in (
        {"unwrapped": {"key": KEY_B64}},
        {"transient": {"name": "t"}},
        {"kmsWrapped": {"wrappedKey": "YWJjZA==", "cryptoKeyName": KMS_KEY_NAME}},
    ):
        spec, _ = parse(value)
        assert spec.to_dlp_json() == value
        assert isinstance(spec, CryptoKeySpec)


def test_reidentify_refuses_transient_keys_by_field():
    from veilwatch.transforms.config.model import FieldPolicy, PiiSpec
    from veilwatch.transforms.deid.registry import parse_transformation
    from veilwatch.transforms.deid.reidentifier import ReidentifyPlan, ReidentifyRefused

    transient = parse_transformation(
        {
            "cryptoDeterministicConfig": {
                "surrogateInfoType": {"name": "TOK"},
                "cryptoKey": {"transient": {"name": "k"}},
            }
        },
        "t",
    )
    kept = parse_transformation(
        {
            "cryptoDeterministicConfig": {
                "surrogateInfoType": {"name": "TOK"},
                "cryptoKey": {"unwrapped": {"key": KEY_B64}},
            }
        },
        "t",
    )
    pii = PiiSpec(
        fields=(FieldPolicy("a", "X", transient), FieldPolicy("b", "X", kept)),
        scan_fields=("note",),
        info_type_transformations={"EMAIL_ADDRESS": transient},
    )
    with pytest.raises(
        ReidentifyRefused, match="field 'a' uses cryptoDeterministicConfig with a transient cryptoKey"
    ):
        ReidentifyPlan.build(pii, ["a"])
    with pytest.raises(ReidentifyRefused, match="field 'note' is scanned text.*no transient cryptoKey"):
        ReidentifyPlan.build(pii, ["note"])
    assert [s.path for s in ReidentifyPlan.build(pii, ["b"]).fields] == ["b"]
