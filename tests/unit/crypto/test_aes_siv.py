"""AES-SIV against RFC 5297 and Wycheproof aes_siv_cmac, plus properties."""

from __future__ import annotations

import pickle
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.crypto._vectors import jsonl, wycheproof_tests
from veilwatch.transforms.deid.crypto.aes_siv import AesSiv
from veilwatch.transforms.deid.crypto.errors import AuthenticationError, InvalidInputError, InvalidKeyError

RFC = jsonl("rfc5297_aes_siv_vectors.jsonl")


@pytest.mark.parametrize("vector", RFC, ids=[v["name"] for v in RFC])
def test_rfc5297_appendix(vector):
    siv = AesSiv(bytes.fromhex(vector["key"]))
    ad = [bytes.fromhex(a) for a in vector["ad"]]
    if vector["nonce"]:
        ad.append(bytes.fromhex(vector["nonce"]))  # the nonce is the last S2V component
    pt = bytes.fromhex(vector["plaintext"])
    out = siv.encrypt(pt, ad)
    assert out.hex() == vector["output_siv_then_ct"]
    assert out[:16].hex() == vector["siv"]
    assert out[16:].hex() == vector["ciphertext"]
    assert siv.decrypt(out, ad) == pt


def test_wycheproof_aes_siv_cmac():
    outcomes: Counter[str] = Counter()
    failures = []
    for group, test in wycheproof_tests("aes_siv_cmac_test.json"):
        siv = AesSiv(bytes.fromhex(test["key"]))
        ad = [bytes.fromhex(test["aad"])]
        msg, ct = bytes.fromhex(test["msg"]), bytes.fromhex(test["ct"])
        if test["result"] == "valid":
            ok = siv.encrypt(msg, ad) == ct and siv.decrypt(ct, ad) == msg
        elif test["result"] == "invalid":
            try:
                siv.decrypt(ct, ad)
                ok = False
            except AuthenticationError:
                ok = True
        else:  # "acceptable": either outcome is fine, but never a wrong plaintext
            try:
                ok = siv.decrypt(ct, ad) == msg
            except AuthenticationError:
                ok = True
        outcomes[f"{group['keySize']}/{test['result']}"] += 1
        if not ok:
            failures.append(test["tcId"])
    assert not failures, failures
    assert sum(outcomes.values()) == 442
    assert {k.split("/")[0] for k in outcomes} == {"256", "384", "512"}


@pytest.mark.parametrize("size", [0, 16, 24, 31, 33, 40, 63, 65])
def test_rejects_bad_key_sizes(size):
    with pytest.raises(InvalidKeyError, match="32, 48 or 64 bytes"):
        AesSiv(bytes(size))


def test_input_checks_and_error_hygiene():
    key = bytes(range(32))
    siv = AesSiv(key)
    with pytest.raises(InvalidInputError, match=r"associated_data must be a list of bytes strings"):
        siv.encrypt(b"x", b"ad")  # type: ignore[arg-type]  # bare bytes, not a list
    with pytest.raises(InvalidInputError, match=r"plaintext must be bytes"):
        siv.encrypt("text", [])  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match=r"at most 126 associated-data strings"):
        siv.encrypt(b"x", [b"a"] * 127)
    token = siv.encrypt(b"alice@example.com", [b"ctx"])
    for bad in (token[:-1] + bytes([token[-1] ^ 1]), token[:10], b""):
        with pytest.raises(AuthenticationError) as info:
            siv.decrypt(bad, [b"ctx"])
        assert "alice" not in str(info.value)
        assert key.hex() not in str(info.value)
    with pytest.raises(AuthenticationError, match=r"authentication failed"):
        siv.decrypt(token, [b"other"])
    with pytest.raises(TypeError, match="key material"):
        pickle.dumps(siv)
    assert "00010203" not in repr(siv)


keys = st.sampled_from([32, 48, 64]).flatmap(lambda n: st.binary(min_size=n, max_size=n))
ads = st.lists(st.binary(max_size=40), max_size=4)


@settings(max_examples=150, deadline=None)
@given(keys, st.binary(max_size=200), ads)
def test_round_trip_and_determinism(key, pt, ad):
    siv = AesSiv(key)
    ct = siv.encrypt(pt, ad)
    assert len(ct) == len(pt) + 16
    assert ct == AesSiv(key).encrypt(pt, ad)
    assert siv.decrypt(ct, ad) == pt


@settings(max_examples=100, deadline=None)
@given(keys, keys, st.binary(max_size=64))
def test_different_keys_give_different_tokens(k1, k2, pt):
    if k1 == k2:
        return
    assert AesSiv(k1).encrypt(pt, [b"c"]) != AesSiv(k2).encrypt(pt, [b"c"])
