"""``veilwatch run`` (DirectRunner) attacked with hostile records under DLP record transformations:
conditions over values that are no number (a 5,000-digit integer text, an object), a date shift whose
context holds an object, an integer beyond float's range in a bucketed field, values outside the FPE
alphabet, a suppression. Every record is accounted for, each failure is a counted transformation
error (never an "unexpected" crash of the record), and no planted value nor the key appears in any
output, dead letter, summary, Beam counter name, stdout, stderr or log.
"""

from __future__ import annotations

import base64
import json
import logging

import pytest
import yaml

from tests.conftest import run_cli
from tests.pipeline.helpers import all_output_text, read_jsonl_dir

pytestmark = pytest.mark.pipeline

RAW_KEY = b"H1-hostile-key16"
KEY = base64.b64encode(RAW_KEY).decode()
HUGE_INTEGER = 10**400  # a JSON integer: no bound, beyond float's range


def _cond(field, operator, value):
    return {
        "expressions": {
            "conditions": {"conditions": [{"field": {"name": field}, "operator": operator, "value": value}]}
        }
    }


RECORDS = [
    # the condition reads a 5,000-digit integer text: DLP cannot read it as an int64, so it does not hold
    {"name": "1" * 5000, "ssn": "PLANTED-SSN-0", "visit": "2016-01-15", "amount": 5},
    # an object as the condition's field (does not hold) and as the date shift's context (an error)
    {"name": {"PLANTED_KEY": "PLANTED-NAME-1"}, "ssn": "PLANTED-SSN-1", "visit": "2016-01-15", "amount": 5},
    # FPE (NUMERIC) of a value with letters: an error
    {"name": "7", "ssn": "PLANTED-SSN-2", "visit": "2016-01-15", "amount": 5},
    # bucketing an integer beyond float's range: an error
    {"name": "ok", "ssn": "PLANTED-SSN-3", "visit": "2016-01-15", "amount": HUGE_INTEGER},
    {"name": "SUPPRESS-ME", "ssn": "PLANTED-SSN-4", "visit": "2016-01-15", "amount": 5},
    {"name": "9", "ssn": "987654321", "visit": "2016-01-15", "amount": 42},
]


def _config(tmp_path, handling):
    data = tmp_path / "records.jsonl"
    data.write_text(
        "".join(json.dumps({"ts": f"2026-11-02T10:{i:02d}:00Z", **r}) + "\n" for i, r in enumerate(RECORDS))
    )
    key = {"cryptoKey": {"unwrapped": {"key": KEY}}}
    doc = {
        "dataset": "hostile",
        "source": {"format": "jsonl", "path": str(data)},
        "schema": {
            "fields": [
                {"name": "ts", "type": "timestamp", "required": True},
                {"name": "name", "type": "json"},
                {"name": "ssn", "type": "string"},
                {"name": "visit", "type": "string"},
                {"name": "amount", "type": "json"},
            ]
        },
        "event_time": {"field": "ts"},
        "pii": {
            "fields": [
                {
                    "path": "ssn",
                    "info_type": "US_SOCIAL_SECURITY_NUMBER",
                    "transformation": {"cryptoReplaceFfxFpeConfig": {"commonAlphabet": "NUMERIC", **key}},
                    "condition": _cond("name", "GREATER_THAN", {"integerValue": "5"}),
                },
                {
                    "path": "ssn",
                    "info_type": "US_SOCIAL_SECURITY_NUMBER",
                    "transformation": {"cryptoDeterministicConfig": key},
                },
                {
                    "path": "visit",
                    "info_type": "DATE",
                    "transformation": {
                        "dateShiftConfig": {
                            "lowerBoundDays": 1,
                            "upperBoundDays": 5,
                            "context": {"name": "name"},
                            **key,
                        }
                    },
                },
                {
                    "path": "amount",
                    "info_type": "GENERIC_ID",
                    "transformation": {
                        "fixedSizeBucketingConfig": {
                            "lowerBound": {"integerValue": "0"},
                            "upperBound": {"integerValue": "100"},
                            "bucketSize": 10,
                        }
                    },
                },
            ],
            "record_suppressions": [{"condition": _cond("name", "EQUAL_TO", {"stringValue": "SUPPRESS-ME"})}],
        },
        "windowing": {"type": "fixed", "size": "1h"},
        "metrics": [{"name": "record_count", "type": "count"}],
    }
    if handling is not None:
        doc["pii"]["transformation_error_handling"] = handling
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def _secrets():
    return ["PLANTED", "SUPPRESS-ME", KEY, RAW_KEY.decode(), str(HUGE_INTEGER)[:40]]


@pytest.mark.parametrize(
    "handling", [None, {"leaveUntransformed": {}}], ids=["dead-letter", "leaveUntransformed"]
)
def test_hostile_records_are_accounted_for_and_nothing_leaks(
    handling, tmp_path, keyset_path, monkeypatch, caplog
):
    import veilwatch.transforms.anonymize as anonymize

    counter_names: list[str] = []
    real_counter = anonymize.Metrics.counter

    def recording_counter(namespace, name):
        counter_names.append(name)
        return real_counter(namespace, name)

    monkeypatch.setattr(anonymize.Metrics, "counter", staticmethod(recording_counter))
    caplog.set_level(logging.INFO)
    out = tmp_path / "out"
    result = run_cli(
        "run",
        "--dataset_config",
        _config(tmp_path, handling),
        "--output_dir",
        out,
        "--keyset",
        keyset_path,
        "--allow_plaintext_keys",
    )
    assert result.code == 0, result.err

    summary = json.loads((out / "run_summary.json").read_text())
    leave = handling is not None
    assert summary["records_read"] == len(RECORDS)
    assert summary["all_records_accounted_for"] is True
    assert summary["records_suppressed"] == 1
    assert summary["records_read"] == (
        summary["records_anonymized"] + summary["records_dead_lettered"] + summary["records_suppressed"]
    )
    errors = {(e["field"], e["outcome"]): e["reason"] for e in summary["transformation_errors"]}
    outcome = "left_untransformed" if leave else "dead_lettered"
    assert set(errors) == {("visit", outcome), ("ssn", outcome), ("amount", outcome)}
    assert errors[("visit", outcome)] == (
        "dateShiftConfig context field 'name': context field must be an integer or a string, got dict"
    )
    assert errors[("amount", outcome)] == "fixedSizeBucketingConfig needs a finite number"
    dead = read_jsonl_dir(out / "dead_letter")
    anonymized = read_jsonl_dir(out / "anonymized")
    if leave:
        assert dead == []
        assert len(anonymized) == 5
    else:
        assert len(dead) == 3
        assert len(anonymized) == 2
        assert all(d["stage"] == "deidentify" for d in dead)
        assert not any(d["error"].startswith("unexpected") for d in dead)
        # the 5,000-digit condition field did not hold: the record got the AES-SIV token, not a dead letter
        first = next(r for r in anonymized if r["ts"] == "2026-11-02T10:00:00Z")
        assert first["ssn"] != RECORDS[0]["ssn"]
        assert len(first["ssn"]) > len(RECORDS[0]["ssn"])
        last = next(r for r in anonymized if r["ts"] == "2026-11-02T10:05:00Z")
        assert last["ssn"].isdigit()
        assert len(last["ssn"]) == 9
        assert last["ssn"] != "987654321"  # FPE applied

    error_counters = [n for n in counter_names if n.startswith("transformation_errors|")]
    assert len(set(error_counters)) == 3
    texts = {
        "stdout": result.out,
        "stderr": result.err,
        "log": caplog.text,
        "counter names": "\n".join(counter_names),
        "dead letters": json.dumps(dead),
        "summary": json.dumps(summary),
    }
    if not leave:  # left untransformed values are in the anonymized output by the config's choice
        texts["outputs"] = all_output_text(out)
    for where, text in texts.items():
        for secret in _secrets():
            assert secret not in text, f"{secret[:12]}... in {where}"


# --------------------------------------------------------------------------- pii.engine: dlp

BIG_ACCOUNT = 2**64 + 12345  # an integer field's value beyond DLP's int64


def test_engine_dlp_dead_letters_a_value_no_dlp_cell_holds_and_the_run_goes_on(fake, tmp_path):
    data = tmp_path / "accounts.jsonl"
    rows = [
        {"account": BIG_ACCOUNT, "owner": "PLANTED-OWNER-0"},
        {"account": 42, "owner": "PLANTED-OWNER-1"},
        {"account": 7, "owner": {"PLANTED_KEY": "PLANTED-OWNER-2"}},
    ]
    data.write_text(
        "".join(json.dumps({"ts": f"2026-11-02T10:{i:02d}:00Z", **r}) + "\n" for i, r in enumerate(rows))
    )
    doc = {
        "dataset": "accounts",
        "source": {"format": "jsonl", "path": str(data)},
        "schema": {
            "fields": [
                {"name": "ts", "type": "timestamp", "required": True},
                {"name": "account", "type": "integer"},
                {"name": "owner", "type": "json"},
            ]
        },
        "event_time": {"field": "ts"},
        "pii": {
            "engine": "dlp",
            "dlp": {"project": "veilwatch-test"},
            "fields": [
                {
                    "path": "account",
                    "info_type": "FINANCIAL_ACCOUNT_NUMBER",
                    "transformation": "redactConfig",
                },
                {"path": "owner", "info_type": "PERSON_NAME", "transformation": "redactConfig"},
            ],
        },
        "windowing": {"type": "fixed", "size": "1h"},
        "metrics": [{"name": "record_count", "type": "count"}],
    }
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(doc, sort_keys=False))
    out = tmp_path / "out"
    result = run_cli("run", "--dataset_config", config, "--output_dir", out)
    assert result.code == 0, result.err[-2000:]

    summary = json.loads((out / "run_summary.json").read_text())
    assert summary["records_read"] == 3
    assert summary["all_records_accounted_for"] is True
    assert summary["records_anonymized"] == 1
    assert summary["records_dead_lettered"] == 2
    dead = sorted(read_jsonl_dir(out / "dead_letter"), key=lambda d: d["source"])
    assert [d["error"] for d in dead] == [
        "field 'account' holds an integer beyond DLP's 64-bit integers; a DLP table cannot carry it",
        "field 'owner' holds an object or a list; a DLP table cell holds a single value",
    ]
    assert read_jsonl_dir(out / "anonymized")[0]["owner"] == ""
    for where, text in {"outputs": all_output_text(out), "stdout": result.out, "stderr": result.err}.items():
        assert "PLANTED" not in text, where
        assert str(BIG_ACCOUNT) not in text, where
