"""End to end: ``veilwatch run`` tokenizes payments, ``veilwatch reidentify`` restores them.

The example payments config tokenizes emails (cryptoDeterministicConfig with
an EMAIL_TOKEN surrogate) and card numbers (FF1 over NUMERIC, same length).
"""

from __future__ import annotations

import json

import pytest
import tink
from tink import aead, secret_key_access

from tests.conftest import run_cli
from tests.pipeline.helpers import (
    all_output_text,
    example_config,
    read_jsonl_dir,
    run_with_keyset,
    write_payments_feed,
)
from veilwatch.pipelines.sample_data import write_jsonl

pytestmark = pytest.mark.pipeline


_run = run_with_keyset


def _reidentify(config, anonymized, out, keyset, fields="customer.email,card_number", *extra):
    return run_cli(
        "reidentify",
        "--dataset_config",
        config,
        "--input",
        anonymized,
        "--fields",
        fields,
        "--output",
        out,
        "--keyset",
        keyset,
        "--allow_plaintext_keys",
        *extra,
    )


@pytest.fixture(scope="module")
def feed(tmp_path_factory):
    """One day of payments (about 480 records, 400 customers to draw from)."""
    path, records, _ = write_payments_feed(tmp_path_factory.mktemp("feed"), seed=11, base_per_hour=20)
    return path, records


@pytest.fixture(scope="module")
def anonymized(feed, tmp_path_factory):
    """One run of the example config over the feed: (config, keyset, run directory)."""
    data, _ = feed
    directory = tmp_path_factory.mktemp("run")
    keyset = directory / "keyset.json"
    assert run_cli("keys", "create", "--out", keyset).code == 0
    config = example_config(directory)
    assert _run(config, data, directory / "run", keyset).code == 0
    return config, keyset, directory / "run"


def _by_id(records):
    return {r["transaction_id"]: r for r in records}


def test_reidentify_restores_email_and_card_exactly(feed, anonymized, tmp_path):
    _, records = feed
    config, keyset_path, run = anonymized
    result = _reidentify(
        config, run / "anonymized", tmp_path / "reid", keyset_path, "customer.email,card_number,note"
    )
    assert result.code == 0, result.err
    assert "restored" in result.out
    restored = _by_id(read_jsonl_dir(tmp_path / "reid" / "reidentified"))
    anonymized = _by_id(read_jsonl_dir(run / "anonymized"))
    original = _by_id(records)
    assert len(restored) == len(original)
    for tx, record in restored.items():
        assert record["customer"]["email"] == original[tx]["customer"]["email"]
        assert record["card_number"] == original[tx]["card_number"]
        assert record["customer"]["name"] == ""  # redacted fields stay redacted
    # Emails found in the free-text note were tokenized with the EMAIL_TOKEN surrogate: restored in place.
    in_notes = [tx for tx, r in anonymized.items() if "EMAIL_TOKEN(" in (r.get("note") or "")]
    assert in_notes
    assert all(original[tx]["customer"]["email"] in restored[tx]["note"] for tx in in_notes)
    assert all("EMAIL_TOKEN(" not in restored[tx]["note"] for tx in in_notes)
    summary = json.loads((tmp_path / "reid" / "reidentify_summary.json").read_text())
    assert summary["records_reidentified"] == len(records)
    assert summary["records_dead_lettered"] == 0


def test_tokens_join_across_separate_runs_on_different_data(feed, anonymized, tmp_path):
    _, records = feed
    config, keyset_path, run = anonymized
    second = tmp_path / "second.jsonl"
    write_jsonl(str(second), records[len(records) // 2 :])
    # Another run, on other data, with another config (no text scanning): tokens depend on key and value only.
    other = example_config(tmp_path, pii={"scan_fields": []})
    assert _run(other, second, tmp_path / "b", keyset_path).code == 0
    original = _by_id(records)
    dirs = {"a": run, "b": tmp_path / "b"}

    def tokens(run, get):
        """original value -> set of tokens it got in this run."""
        out: dict = {}
        for r in read_jsonl_dir(dirs[run] / "anonymized"):
            out.setdefault(get(original[r["transaction_id"]]), set()).add(get(r))
        return out

    for get in (lambda r: r["customer"]["email"], lambda r: r["card_number"]):
        a, b = tokens("a", get), tokens("b", get)
        shared = set(a) & set(b)
        assert len(shared) > 100
        assert shared == set(b)  # every value of the second run was seen in the first
        assert all(len(a[k]) == 1 for k in shared)  # one token per value
        assert all(a[k] == b[k] for k in shared)  # the same in both runs


def test_reidentify_after_rotation(feed, anonymized, tmp_path):
    _, records = feed
    config, original_keyset, run = anonymized
    keyset_path = tmp_path / "keyset.json"
    keyset_path.write_text(original_keyset.read_text())
    old_primary = json.loads(keyset_path.read_text())["primaryKeyId"]
    assert run_cli("keys", "rotate", "--keyset", keyset_path).code == 0
    # Emails carry their key id: restored with the rotated keyset as they are.
    result = _reidentify(config, run / "anonymized", tmp_path / "emails", keyset_path, "customer.email")
    assert result.code == 0, result.err
    original = _by_id(records)
    emails = read_jsonl_dir(tmp_path / "emails" / "reidentified")
    assert len(emails) == len(records)
    assert all(r["customer"]["email"] == original[r["transaction_id"]]["customer"]["email"] for r in emails)
    # Card tokens are bare FF1 (format-preserving, no room for a key id): name the old key.
    result = _reidentify(
        config,
        run / "anonymized",
        tmp_path / "cards",
        keyset_path,
        "card_number",
        "--key_id",
        str(old_primary),
    )
    assert result.code == 0, result.err
    cards = read_jsonl_dir(tmp_path / "cards" / "reidentified")
    assert len(cards) == len(records)
    assert all(r["card_number"] == original[r["transaction_id"]]["card_number"] for r in cards)
    # Without --key_id, the key the run recorded in its run_summary.json is used: restored exactly.
    result = _reidentify(config, run / "anonymized", tmp_path / "recorded", keyset_path, "card_number")
    assert result.code == 0
    assert f"using key {old_primary}" in result.err
    recorded = read_jsonl_dir(tmp_path / "recorded" / "reidentified")
    assert len(recorded) == len(records)
    assert all(r["card_number"] == original[r["transaction_id"]]["card_number"] for r in recorded)
    # Files copied away from their run summary: the command says it falls back to the primary key.
    copied = tmp_path / "copied" / "anonymized"
    copied.mkdir(parents=True)
    for part in (run / "anonymized").glob("part-*"):
        (copied / part.name).write_bytes(part.read_bytes())
    result = _reidentify(config, copied, tmp_path / "nokey", keyset_path, "card_number")
    assert result.code == 0
    assert "carry no key id" in result.err


def test_reidentify_refuses_one_way_fields_and_writes_nothing(anonymized, tmp_path):
    config, keyset_path, run = anonymized
    for fields, message in (
        ("customer.name", "field 'customer.name' uses redactConfig, which is not reversible"),
        ("ip_address", "field 'ip_address' uses cryptoHashConfig, which is not reversible"),
        ("amount", "field 'amount' is neither a declared PII field"),
    ):
        result = _reidentify(config, run / "anonymized", tmp_path / "reid", keyset_path, fields)
        assert result.code == 2
        assert message in result.err
        assert not (tmp_path / "reid").exists()


def _aead_keyset(path):
    aead.register()
    handle = tink.new_keyset_handle(aead.aead_key_templates.AES128_GCM)
    path.write_text(tink.json_proto_keyset_format.serialize(handle, secret_key_access.TOKEN))
    return path


def _encrypted_keyset(path):
    """A PRF keyset encrypted the way a KMS-wrapped one is (tink's encrypted keyset), with a local KEK."""
    from veilwatch.transforms.keys.keyring import new_keyset_handle

    aead.register()
    kek = tink.new_keyset_handle(aead.aead_key_templates.AES256_GCM).primitive(aead.Aead)
    path.write_text(tink.json_proto_keyset_format.serialize_encrypted(new_keyset_handle(), kek, b""))
    return path


@pytest.mark.parametrize(
    "make_keyset,message",
    [
        (lambda p: (p.write_text("this is not a keyset"), p)[1], "is not a readable tink JSON keyset"),
        (_aead_keyset, "is the wrong type: veilwatch needs an HMAC-SHA256 PRF keyset"),
        (_encrypted_keyset, "is encrypted with a KMS key but keys.kms_key_uri is not set"),
    ],
    ids=["bad_key_file", "wrong_keyset_type", "missing_kms_configuration"],
)
def test_bad_keys_stop_run_and_reidentify_with_nothing_written(
    feed, anonymized, tmp_path, make_keyset, message
):
    data, _ = feed
    config, _, run = anonymized
    bad = make_keyset(tmp_path / "bad_keyset.json")
    out = tmp_path / "out"
    result = _run(config, data, out, bad)
    assert result.code == 2
    assert "keys.keyset:" in result.err
    assert message in result.err
    assert not out.exists()
    reid = _reidentify(config, run / "anonymized", tmp_path / "reid", bad)
    assert reid.code == 2
    assert message in reid.err
    assert not (tmp_path / "reid").exists()
    secrets = (
        [k["keyData"]["value"] for k in json.loads(bad.read_text()).get("key", [])]
        if message != "is not a readable tink JSON keyset"
        else []
    )
    assert not [s for s in secrets if s in result.err + reid.err + all_output_text(run)]


def test_reidentify_reads_flattened_parquet_output(feed, tmp_path):
    data, records = feed
    keyset = tmp_path / "k.json"
    assert run_cli("keys", "create", "--out", keyset).code == 0
    config = example_config(tmp_path, sinks={"anonymized_format": "parquet"}, pii={"scan_fields": []})
    assert _run(config, data, tmp_path / "run", keyset).code == 0
    result = _reidentify(config, tmp_path / "run" / "anonymized", tmp_path / "reid", keyset)
    assert result.code == 0, result.err
    original = _by_id(records)
    restored = read_jsonl_dir(tmp_path / "reid" / "reidentified")
    assert len(restored) == len(records)
    assert all(r["customer"]["email"] == original[r["transaction_id"]]["customer"]["email"] for r in restored)
    assert all(r["card_number"] == original[r["transaction_id"]]["card_number"] for r in restored)


@pytest.mark.parametrize(
    "fields", ["customer.email,card_number", "customer.email"], ids=["ff1_and_siv", "siv_only"]
)
def test_keyset_without_the_runs_key_is_refused_before_any_output(anonymized, tmp_path, fields):
    config, _, run = anonymized
    other = tmp_path / "other_keyset.json"
    assert run_cli("keys", "create", "--out", other).code == 0
    run_key = next(iter(json.loads((run / "run_summary.json").read_text())["records_by_primary_key_id"]))
    result = _reidentify(config, run / "anonymized", tmp_path / "reid", other, fields)
    assert result.code == 2, (result.code, result.err)
    assert "keys.keyset:" in result.err
    assert f"has no key {run_key}" in result.err
    assert "Traceback" not in result.err
    assert not (tmp_path / "reid").exists()


def test_reidentify_needs_no_sinks_output_dir(feed, anonymized, tmp_path):
    _, records = feed
    config, keyset, run = anonymized
    import yaml

    doc = yaml.safe_load(config.read_text())
    doc["sinks"].pop("output_dir", None)
    bare = tmp_path / "no_output_dir.yaml"
    bare.write_text(yaml.safe_dump(doc, sort_keys=False))
    result = _reidentify(bare, run / "anonymized", tmp_path / "reid", keyset, "customer.email")
    assert result.code == 0, result.err
    assert len(read_jsonl_dir(tmp_path / "reid" / "reidentified")) == len(records)
