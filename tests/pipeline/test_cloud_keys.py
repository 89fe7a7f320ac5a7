"""End to end with a KMS-encrypted keyset and a Secret Manager keyset.

The real client libraries talk gRPC to the in-process KMS / Secret Manager
server of ``tests/unit/keys/fake_gcp.py`` (skipped when the libraries are not
installed).
"""

from __future__ import annotations

import pytest

from tests.conftest import run_cli
from tests.pipeline.helpers import example_config, read_jsonl_dir
from tests.unit.keys.fake_gcp import KMS_KEY_URI, fake_gcp  # noqa: F401 - fixture
from veilwatch.pipelines.sample_data import generate, write_jsonl

pytestmark = pytest.mark.pipeline
# Keys are the point here, not free-text scanning: leave the detection engine out.
NO_SCAN = {"scan_fields": []}


def _feed(tmp_path):
    records, _ = generate("payments", days=1, seed=4, base_per_hour=6)
    path = tmp_path / "feed.jsonl"
    write_jsonl(str(path), records)
    return path, {r["transaction_id"]: r for r in records}


def _restored(tmp_path, config, out, *key_args):
    result = run_cli(
        "reidentify",
        "--dataset_config",
        config,
        "--input",
        out / "anonymized",
        "--fields",
        "customer.email,card_number",
        "--output",
        tmp_path / "reid",
        *key_args,
    )
    assert result.code == 0, result.err
    return {r["transaction_id"]: r for r in read_jsonl_dir(tmp_path / "reid" / "reidentified")}


def test_run_and_reidentify_with_a_kms_encrypted_keyset(fake_gcp, tmp_path):  # noqa: F811
    data, original = _feed(tmp_path)
    keyset = tmp_path / "keyset.enc.json"
    assert run_cli("keys", "create", "--out", keyset, "--kms_key_uri", KMS_KEY_URI).code == 0
    config = example_config(tmp_path, keys={"keyset": str(keyset), "kms_key_uri": KMS_KEY_URI}, pii=NO_SCAN)
    out = tmp_path / "out"
    # No --allow_plaintext_keys: the keyset is encrypted.
    result = run_cli("run", "--dataset_config", config, "--input", data, "--output_dir", out)
    assert result.code == 0, result.err
    restored = _restored(tmp_path, config, out)
    assert len(restored) == len(original)
    assert all(r["customer"]["email"] == original[t]["customer"]["email"] for t, r in restored.items())
    assert all(r["card_number"] == original[t]["card_number"] for t, r in restored.items())
    assert "Decrypt" in fake_gcp.calls


def test_missing_kms_key_stops_the_run_with_nothing_written(fake_gcp, tmp_path):  # noqa: F811
    data, _ = _feed(tmp_path)
    keyset = tmp_path / "keyset.enc.json"
    assert run_cli("keys", "create", "--out", keyset, "--kms_key_uri", KMS_KEY_URI).code == 0
    gone = KMS_KEY_URI.replace("keyset-kek", "deleted-kek")
    config = example_config(tmp_path, keys={"keyset": str(keyset), "kms_key_uri": gone}, pii=NO_SCAN)
    result = run_cli("run", "--dataset_config", config, "--input", data, "--output_dir", tmp_path / "out")
    assert result.code == 2
    assert "Cloud KMS decrypt with" in result.err
    assert "(NotFound)" in result.err
    assert not (tmp_path / "out").exists()


def test_run_and_reidentify_with_a_secret_manager_keyset(fake_gcp, tmp_path):  # noqa: F811
    data, original = _feed(tmp_path)
    local = tmp_path / "k.json"
    assert run_cli("keys", "create", "--out", local).code == 0
    uri = fake_gcp.add_secret("projects/p/secrets/payments-keyset/versions/1", local.read_bytes())
    config = example_config(tmp_path, keys={"keyset": uri}, pii=NO_SCAN)
    out = tmp_path / "out"
    result = run_cli("run", "--dataset_config", config, "--input", data, "--output_dir", out)
    assert result.code == 0, result.err
    restored = _restored(tmp_path, config, out)
    assert len(restored) == len(original)
    assert all(r["customer"]["email"] == original[t]["customer"]["email"] for t, r in restored.items())
    assert "AccessSecretVersion" in fake_gcp.calls
