"""End-to-end runs of ``veilwatch run`` on small generated feeds (DirectRunner)."""

from __future__ import annotations

import json

import pytest

from tests.fixtures.broken_records import LEAKY_CARD, LEAKY_EMAIL, write_broken_records
from tests.pipeline.helpers import (
    all_output_text,
    example_config,
    planted_values,
    read_jsonl_dir,
    run_with_keyset,
    write_payments_feed,
)
from veilwatch.pipelines.sample_data import Anomaly, generate, write_jsonl

pytestmark = pytest.mark.pipeline

_run = run_with_keyset


@pytest.fixture(scope="module")
def spiked_feed(tmp_path_factory):
    """Three days of payments with a sixfold volume spike on day 3, 15:00-16:00 UTC."""
    return write_payments_feed(
        tmp_path_factory.mktemp("feed"),
        seed=21,
        base_per_hour=25,
        days=3,
        anomalies=(Anomaly("volume_spike", 2 * 24 + 15),),
    )


def test_run_flags_the_injected_spike_and_accounts_for_every_record(spiked_feed, tmp_path, keyset_path):
    data, records, labels = spiked_feed
    out = tmp_path / "out"
    result = _run(example_config(tmp_path), data, out, keyset_path)
    assert result.code == 0, result.err

    summary = json.loads((out / "run_summary.json").read_text())
    assert summary["records_read"] == len(records) == summary["records_anonymized"]
    assert summary["records_dead_lettered"] == 0
    assert summary["all_records_accounted_for"]
    flagged = read_jsonl_dir(out / "flagged_windows")
    spike = [
        f
        for f in flagged
        if f["series_key"] == "record_count" and f["window_start"] == labels[0].window_start
    ]
    assert spike
    assert spike[0]["is_anomaly"]
    assert spike[0]["score"] > spike[0]["threshold"]
    assert spike[0]["window_end"] == labels[0].window_end
    assert "sigma above" in spike[0]["explanation"]
    # Only the spike hour is flagged on the overall series.
    assert {f["window_start"] for f in flagged if f["series_key"] == "record_count"} == {
        labels[0].window_start
    }
    assert "records read" in result.out
    assert "windows flagged" in result.out


def test_no_declared_pii_value_reaches_any_output(spiked_feed, tmp_path, keyset_path):
    data, records, _ = spiked_feed
    out = tmp_path / "out"
    assert _run(example_config(tmp_path), data, out, keyset_path).code == 0
    text = all_output_text(out)
    originals = planted_values(records)
    assert len(originals) > 500
    leaked = sorted(v for v in originals if v in text)
    assert leaked == []
    anonymized = read_jsonl_dir(out / "anonymized")
    # The search above covered the real outputs: every record was written, tokens and all.
    assert len(anonymized) == len(records)
    assert text.count("EMAIL_TOKEN(") >= len(records)
    original = {r["transaction_id"]: r for r in records}
    # Card numbers: FF1 over NUMERIC keeps digits and length; emails: annotated AES-SIV tokens.
    assert all(
        r["card_number"].isdigit()
        and len(r["card_number"]) == len(original[r["transaction_id"]]["card_number"])
        and r["card_number"] != original[r["transaction_id"]]["card_number"]
        for r in anonymized
    )
    assert all(r["customer"]["email"].startswith("EMAIL_TOKEN(") for r in anonymized)
    assert all(r["customer"]["name"] == "" for r in anonymized)
    assert all(r["iban"] == "[IBAN_CODE]" for r in anonymized)


def test_tokens_are_deterministic_across_runs_and_keep_joins(spiked_feed, tmp_path, keyset_path):
    data, records, _ = spiked_feed
    config = example_config(tmp_path)
    for run in ("a", "b"):
        assert _run(config, data, tmp_path / run, keyset_path).code == 0
    a = {r["transaction_id"]: r for r in read_jsonl_dir(tmp_path / "a" / "anonymized")}
    b = {r["transaction_id"]: r for r in read_jsonl_dir(tmp_path / "b" / "anonymized")}
    assert a == b
    # The same customer gets the same email and card token: as many tokens as distinct values.
    assert len({r["customer"]["email"] for r in a.values()}) == len({r["customer"]["email"] for r in records})
    assert len({r["card_number"] for r in a.values()}) == len({r["card_number"] for r in records})


def test_broken_records_are_dead_lettered_and_every_record_is_accounted_for(tmp_path, keyset_path):
    data, total, bad = write_broken_records(tmp_path)
    out = tmp_path / "out"
    result = _run(example_config(tmp_path), data, out, keyset_path)
    assert result.code == 0, result.err
    summary = json.loads((out / "run_summary.json").read_text())
    assert summary["records_read"] == total
    assert summary["records_dead_lettered"] == bad
    assert (
        summary["records_anonymized"] + summary["records_dead_lettered"] + summary["records_suppressed"]
        == summary["records_read"]
    )
    dead = read_jsonl_dir(out / "dead_letter")
    assert len(dead) == bad
    assert {d["stage"] for d in dead} == {"read", "parse", "validate", "event_time"}
    assert all(d["error"] for d in dead)
    assert all(d["source"].startswith(str(data)) for d in dead)
    assert any(d["error"] == "record larger than max_record_bytes (1048576)" for d in dead)
    assert any(d["error"].startswith("line is not valid UTF-8") for d in dead)
    assert any("lone UTF-16 surrogate" in d["error"] for d in dead)
    assert any(d["error"] == "required field 'amount' is missing or null" for d in dead)
    text = all_output_text(out)
    assert LEAKY_EMAIL not in text
    assert LEAKY_CARD not in text
    assert len(text) < 3_000_000  # the 5 MB line was not copied anywhere


def test_bad_keyset_stops_the_run_before_any_output(spiked_feed, tmp_path):
    data, _, _ = spiked_feed
    out = tmp_path / "out"
    result = _run(example_config(tmp_path), data, out, tmp_path / "missing.json")
    assert result.code == 2
    assert "keys.keyset: cannot read keyset" in result.err
    assert not out.exists()


def test_no_matching_input_and_reused_output_dir_are_refused(spiked_feed, tmp_path, keyset_path):
    data, _, _ = spiked_feed
    config = example_config(tmp_path)
    result = _run(config, tmp_path / "nothing-*.jsonl", tmp_path / "o1", keyset_path)
    assert result.code == 2
    assert "source.path: no input files match" in result.err
    assert _run(config, data, tmp_path / "o2", keyset_path).code == 0
    again = _run(config, data, tmp_path / "o2", keyset_path)
    assert again.code == 2
    assert "pass --overwrite" in again.err
    assert _run(config, data, tmp_path / "o2", keyset_path, "--overwrite").code == 0


def test_group_by_values_with_pii_are_scrubbed_in_scores_flagged_windows_and_stdout(tmp_path, keyset_path):
    records, _ = generate(
        "payments", days=2, seed=8, base_per_hour=6, anomalies=(Anomaly("volume_spike", 24 + 15),)
    )
    planted = "jane.roe@leakmail.com"
    for i, record in enumerate(records):
        if i % 5 == 0:  # the category field carries an email in some records
            record["merchant_category"] = planted
    data = tmp_path / "in.jsonl"
    write_jsonl(str(data), records)
    out = tmp_path / "out"
    config = example_config(tmp_path, sinks={"write_all_scores": True})
    result = _run(config, data, out, keyset_path)
    assert result.code == 0, result.err
    scores = read_jsonl_dir(out / "scores")
    grouped = [s for s in scores if s["group_by"] == "merchant_category"]
    assert any(s["group"] == "[EMAIL_ADDRESS]" and "[EMAIL_ADDRESS]" in s["series_key"] for s in grouped)
    for name in ("scores", "flagged_windows", "findings"):
        parts = list((out / name).glob("part-*"))
        assert parts, name  # the sink wrote something to search
        text = "\n".join(p.read_text() for p in parts)
        assert planted not in text, name
        assert "leakmail" not in text, name
    assert planted not in result.out + result.err


# IBANs in the scanned free-text `note` (issue 11 item 1): after words, after another identifier, two in one note.
_NOTE_IBANS = ("DE02370400450532001131", "GB82WEST12345698765432", "NL91ABNA0417164300")


def test_ibans_in_a_scanned_note_are_removed_and_counted(tmp_path, keyset_path):
    notes = (
        f"paid 20 EUR to {_NOTE_IBANS[0]}",
        f"ssn 201-41-7101 then {_NOTE_IBANS[0]}",
        f"refund from {_NOTE_IBANS[1]} to {_NOTE_IBANS[2]} today",
    )
    data = tmp_path / "notes.jsonl"
    data.write_text(
        "".join(
            json.dumps(
                {
                    "transaction_id": f"t{i}",
                    "ts": f"2026-03-01T10:0{i}:00Z",
                    "customer": {"email": f"c{i}@example.com"},
                    "card_number": "4111111111111111",
                    "amount": 20.0,
                    "currency": "EUR",
                    "note": note,
                }
            )
            + "\n"
            for i, note in enumerate(notes)
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = _run(example_config(tmp_path), data, out, keyset_path)
    assert result.code == 0, result.err
    anonymized = read_jsonl_dir(out / "anonymized")
    assert len(anonymized) == 3
    text = "\n".join(p.read_text(encoding="utf-8") for p in (out / "anonymized").rglob("*") if p.is_file())
    for iban in _NOTE_IBANS:
        assert iban not in text
    assert "201-41-7101" not in text
    assert sorted(r["note"].count("[IBAN_CODE]") for r in anonymized) == [1, 1, 2]
    summary = json.loads((out / "run_summary.json").read_text())
    assert summary["records_read"] == 3
    assert summary["records_anonymized"] == 3
    assert summary["findings_by_info_type"]["IBAN_CODE"] == 4
    assert summary["findings_by_field"]["note"]["IBAN_CODE"] == 4
    assert summary["findings_by_field"]["note"]["US_SOCIAL_SECURITY_NUMBER"] == 1
