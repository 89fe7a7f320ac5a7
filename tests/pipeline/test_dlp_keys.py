"""End to end with DLP's cryptoKeys instead of a tink keyset: ``veilwatch run`` and ``veilwatch reidentify``.

The example payments config with every keyed primitive given an inline DLP ``cryptoKey``:
no ``keys.keyset`` is needed; an ``unwrapped`` key is plaintext key material and needs
``--allow_plaintext_keys`` (refused before any output otherwise); tokens have DLP's format
(FF1 as long as the card number, AES-SIV without key id) and restore with the same config;
a ``transient`` key's tokens are refused by ``reidentify``.
"""

from __future__ import annotations

import base64

import pytest

from tests.conftest import run_cli
from tests.pipeline.helpers import example_config, read_jsonl_dir, write_payments_feed

pytestmark = pytest.mark.pipeline

KEY16 = base64.b64encode(b"abcdefghijklmnop").decode()
KEY32 = base64.b64encode(bytes(range(32))).decode()


def _pii(siv_key: dict, fpe_key: dict) -> dict:
    siv = {"cryptoDeterministicConfig": {"surrogateInfoType": {"name": "EMAIL_TOKEN"}, "cryptoKey": siv_key}}
    return {
        "fields": [
            {"path": "customer.email", "info_type": "EMAIL_ADDRESS", "transformation": siv},
            {
                "path": "card_number",
                "info_type": "CREDIT_CARD_NUMBER",
                "transformation": {
                    "cryptoReplaceFfxFpeConfig": {"commonAlphabet": "NUMERIC", "cryptoKey": fpe_key}
                },
            },
            {
                "path": "ip_address",
                "info_type": "IP_ADDRESS",
                "transformation": {"cryptoHashConfig": {"cryptoKey": {"unwrapped": {"key": KEY32}}}},
            },
            {"path": "customer.name", "info_type": "PERSON_NAME", "transformation": "redactConfig"},
        ],
        "scan_fields": ["note"],
        "info_type_transformations": {"EMAIL_ADDRESS": siv},
    }


@pytest.fixture(scope="module")
def feed(tmp_path_factory):
    path, records, _ = write_payments_feed(tmp_path_factory.mktemp("feed"), seed=5, base_per_hour=4)
    return path, records


def _config(tmp_path, siv_key, fpe_key):
    # keys: null -- no keyset anywhere: every keyed primitive names its own cryptoKey
    return example_config(tmp_path, pii=_pii(siv_key, fpe_key), keys=None)


def test_unwrapped_keys_run_without_a_keyset_and_restore(feed, tmp_path):
    data, records = feed
    config = _config(tmp_path, {"unwrapped": {"key": KEY32}}, {"unwrapped": {"key": KEY16}})
    assert run_cli("validate-config", config).code == 0
    refused = run_cli("run", "--dataset_config", config, "--input", data, "--output_dir", tmp_path / "no")
    assert refused.code == 2
    assert not (tmp_path / "no").exists()
    assert (
        "pii.fields[0].transformation.cryptoDeterministicConfig.cryptoKey.unwrapped: an unwrapped key is "
        "plaintext key material"
    ) in refused.err
    assert "--allow_plaintext_keys" in refused.err
    assert KEY32 not in refused.err

    out = tmp_path / "run"
    assert (
        run_cli(
            "run", "--dataset_config", config, "--input", data, "--output_dir", out, "--allow_plaintext_keys"
        ).code
        == 0
    )
    anonymized = {r["transaction_id"]: r for r in read_jsonl_dir(out / "anonymized")}
    originals = {r["transaction_id"]: r for r in records}
    assert len(anonymized) == len(originals) > 50
    for tid, record in anonymized.items():
        card, email = originals[tid]["card_number"], originals[tid]["customer"]["email"]
        token = record["card_number"]
        assert len(token) == len(card)
        assert token.isdigit()
        assert token != card  # DLP FF1: same length
        body = record["customer"]["email"].split(":", 1)[1]
        assert record["customer"]["email"] == f"EMAIL_TOKEN({len(body)}):{body}"
        assert len(base64.b64decode(body)) == 1 + 16 + len(email.encode())  # DLP AES-SIV: no key id

    restored_dir = tmp_path / "reid"
    result = run_cli(
        "reidentify",
        "--dataset_config",
        config,
        "--input",
        out / "anonymized",
        "--fields",
        "customer.email,card_number",
        "--output",
        restored_dir,
        "--allow_plaintext_keys",
    )
    assert result.code == 0, result.err
    restored = {r["transaction_id"]: r for r in read_jsonl_dir(restored_dir / "reidentified")}
    assert len(restored) == len(originals)
    for tid, record in restored.items():
        assert record["card_number"] == originals[tid]["card_number"]
        assert record["customer"]["email"] == originals[tid]["customer"]["email"]


def test_transient_key_tokens_are_refused_by_reidentify(feed, tmp_path):
    data, _ = feed
    config = _config(tmp_path, {"transient": {"name": "emails"}}, {"unwrapped": {"key": KEY16}})
    out = tmp_path / "run"
    assert (
        run_cli(
            "run", "--dataset_config", config, "--input", data, "--output_dir", out, "--allow_plaintext_keys"
        ).code
        == 0
    )
    result = run_cli(
        "reidentify",
        "--dataset_config",
        config,
        "--input",
        out / "anonymized",
        "--fields",
        "customer.email",
        "--output",
        tmp_path / "reid",
        "--allow_plaintext_keys",
    )
    assert result.code == 2
    assert "transient cryptoKey" in result.err
    assert "customer.email" in result.err
    assert not (tmp_path / "reid").exists()
    # the card number's unwrapped key is not transient: it restores
    assert (
        run_cli(
            "reidentify",
            "--dataset_config",
            config,
            "--input",
            out / "anonymized",
            "--fields",
            "card_number",
            "--output",
            tmp_path / "cards",
            "--allow_plaintext_keys",
        ).code
        == 0
    )
