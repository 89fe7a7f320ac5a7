"""CSV headers with dots: split into objects only where the schema declares them.

A CSV source nests ``customer.email`` into ``{"customer": {"email": ...}}``. A column the
schema does not name may have PII in its name with dots in it (an IP address, an email
address, "J. Smith"); split at every dot, no part of it is PII to the key-name scan, the
nested keys in the output spell it out, and a finding's field path joined them back
(found by the reliability fuzz: an IP planted as a CSV header reached findings/ and
run_summary.json). Such a column stays one key, scanned and renamed whole.
"""

from __future__ import annotations

import csv
import json

import pytest

from tests.conftest import run_cli
from tests.pipeline.helpers import all_output_text, example_config, read_jsonl_dir
from veilwatch.transforms.records.nesting import nest_declared

pytestmark = pytest.mark.pipeline

IP_HEADER = "142.202.203.240"
EMAIL_HEADER = "jane.doe@example.com"


def test_a_header_nests_only_along_declared_objects():
    objects = {"customer": {"name": True, "email": True}, "card_number": True}
    record = nest_declared(
        [
            ("customer.name", "a"),
            ("customer.extra", "b"),
            (IP_HEADER, "c"),
            ("card_number.x", "d"),
            ("customer.1.2.3.4", "e"),
            ("a..b", "f"),
        ],
        objects,
    )
    assert record == {
        "customer": {"name": "a", "extra": "b", "1.2.3.4": "e"},
        IP_HEADER: "c",
        "card_number.x": "d",
        "a..b": "f",
    }


def test_pii_in_a_dotted_csv_header_is_renamed_whole_and_reaches_no_output(tmp_path, keyset_path):
    rows = [
        {
            "transaction_id": f"t-{i}",
            "ts": f"2026-11-01T0{i % 10}:00:00Z",
            "customer.name": "Ann Lee",
            "customer.email": "ann.lee@example.org",
            "customer.phone": "+44 20 7946 0958",
            "card_number": "4012888888881881",
            "iban": "DE89370400440532013000",
            "ip_address": "10.1.2.3",
            "amount": "12.5",
            "currency": "EUR",
            "merchant_category": "books",
            "merchant_reference": "m-1",
            "country": "DE",
            "note": "thanks",
            IP_HEADER: "card 4012888888881881",
            EMAIL_HEADER: "x",
        }
        for i in range(20)
    ]
    source = tmp_path / "in.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    config = example_config(
        tmp_path,
        source={"format": "csv", "path": str(source)},
        schema={"unknown_fields": "scan"},
        sinks={"anonymized_format": "jsonl"},
    )
    out = tmp_path / "out"
    result = run_cli(
        "run",
        "--dataset_config",
        str(config),
        "--output_dir",
        str(out),
        "--keyset",
        str(keyset_path),
        "--allow_plaintext_keys",
    )
    assert result.code == 0, result.err
    summary = json.loads((out / "run_summary.json").read_text())
    assert summary["records_anonymized"] == 20
    text = all_output_text(out)
    for planted in (IP_HEADER, EMAIL_HEADER, "142.202", "202.203.240", "jane.doe"):
        assert planted not in text
    records = read_jsonl_dir(out / "anonymized")
    assert len(records) == 20
    # the two columns are renamed whole, not split into objects "142" and "jane"
    assert not {"142", "jane"} & set(records[0])
    findings = read_jsonl_dir(out / "findings")
    key_findings = [f for f in findings if f["field"] == "{key}"]
    assert {f["info_type"] for f in key_findings} >= {"IP_ADDRESS", "EMAIL_ADDRESS"}
