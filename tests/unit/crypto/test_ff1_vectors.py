"""FF1 against NIST SP 800-38G samples and Wycheproof aes_ff1 (fixture subsets)."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.unit.crypto._vectors import jsonl, wycheproof_files, wycheproof_tests
from veilwatch.transforms.deid.crypto.errors import (
    DomainTooSmallError,
    InvalidInputError,
    InvalidKeyError,
)
from veilwatch.transforms.deid.crypto.ff1 import FF1

NIST = jsonl("nist_ff1_vectors.jsonl")
FF1_FILES = wycheproof_files("aes_ff1_*_test.json")


class _LegacyMinimumFF1(FF1):
    """The original FF1 minimum (radix**n >= 100), only to check Wycheproof's
    SmallMessageSize ciphertexts; veilwatch itself never lowers the minimum."""

    _min_domain_size = 100


def test_fixture_files_present():
    assert len(NIST) == 9
    assert len(FF1_FILES) == 17


@pytest.mark.parametrize("vector", NIST, ids=[v["name"] for v in NIST])
def test_nist_sp800_38g_samples(vector):
    ff1 = FF1(bytes.fromhex(vector["key"]), vector["radix"], vector["alphabet"])
    tweak = bytes.fromhex(vector["tweak"])
    assert ff1.encrypt(vector["plaintext"], tweak) == vector["ciphertext"]
    assert ff1.decrypt(vector["ciphertext"], tweak) == vector["plaintext"]


def _run(cls, group, test, *, decrypt: bool = True):
    key, tweak = bytes.fromhex(test["key"]), bytes.fromhex(test["tweak"])
    alphabet = group.get("alphabet")
    ff1 = cls(key, group["radix"], alphabet)
    if alphabet is not None:
        ct = ff1.encrypt(test["msg"], tweak)
        pt = ff1.decrypt(test["ct"], tweak) if decrypt else None
    else:
        ct = ff1.encrypt_digits(test["msg"], tweak)
        pt = ff1.decrypt_digits(test["ct"], tweak) if decrypt else None
    return ct, pt


@pytest.mark.parametrize("name", FF1_FILES)
def test_wycheproof_aes_ff1(name):
    outcomes: Counter[str] = Counter()
    failures: list[int] = []
    for group, test in wycheproof_tests(name):
        flags = set(test["flags"])
        if test["result"] == "valid" and "SmallMessageSize" in flags:
            # Valid for the original FF1, below SP 800-38G Rev. 1's minimum.
            with pytest.raises(
                DomainTooSmallError, match=r"is below the NIST SP 800-38G Rev\. 1 minimum domain"
            ):
                _run(FF1, group, test)
            ct, pt = _run(_LegacyMinimumFF1, group, test)
            ok = ct == test["ct"] and pt == test["msg"]
            outcomes["valid/rejected-by-rev1-minimum"] += 1
        elif test["result"] == "valid":
            ct, pt = _run(FF1, group, test)
            ok = ct == test["ct"] and pt == test["msg"]
            outcomes["valid"] += 1
        else:
            assert test["result"] == "invalid"
            expected = {
                "InvalidKeySize": InvalidKeyError,
                "InvalidMessageSize": InvalidInputError,
                "InvalidPlaintext": InvalidInputError,
            }[next(iter(flags))]
            try:
                _run(FF1, group, test, decrypt=False)
                ok = False
            except expected as exc:
                ok = "InvalidPlaintext" not in flags or "alphabet" in str(exc) or "digit" in str(exc)
            outcomes["invalid/" + "+".join(sorted(flags))] += 1
        if not ok:
            failures.append(test["tcId"])
    assert not failures, f"{name}: tcIds failing {failures[:20]}"
    # Every kind of case is present in every file's subset.
    assert outcomes["valid"] > 0
    assert outcomes["invalid/InvalidKeySize"] > 0
    assert outcomes["invalid/InvalidMessageSize"] > 0
    assert outcomes["invalid/InvalidPlaintext"] > 0
