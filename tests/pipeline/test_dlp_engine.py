"""``pii.engine: dlp`` end to end: ``veilwatch run`` on the DirectRunner, the real
google-cloud-dlp client, an in-process DlpService (tests/support/fake_dlp.py)."""

from __future__ import annotations

import base64
import json

import grpc
import pytest
import yaml

from tests.conftest import REPO, run_cli
from tests.pipeline.helpers import read_jsonl_dir, write_payments_feed
from veilwatch.pipelines.sample_data import generate

pytestmark = pytest.mark.pipeline

# The example payments config with primitives DLP runs without a key; the same config
# runs under both engines, only pii.engine differs.
KEYLESS_FIELDS = {
    "customer.name": "redactConfig",
    "customer.email": {
        "characterMaskConfig": {"maskingCharacter": "*", "charactersToIgnore": [{"charactersToSkip": "@."}]}
    },
    "card_number": {"characterMaskConfig": {"maskingCharacter": "#", "numberToMask": 12}},
    "ip_address": "redactConfig",
}  # iban keeps the example's replaceWithInfoTypeConfig


@pytest.fixture(scope="module")
def feed(tmp_path_factory):
    path, records, _ = write_payments_feed(tmp_path_factory.mktemp("dlp-feed"), seed=5, base_per_hour=8)
    return path, records


def payments_config(tmp_path, name, engine="local", dlp=None, fields=KEYLESS_FIELDS, email_in_notes=None):
    doc = yaml.safe_load((REPO / "templates" / "datasets" / "payments.yaml").read_text())
    for item in doc["pii"]["fields"]:
        item["transformation"] = fields.get(item["path"], item["transformation"])
    doc["pii"]["info_type_transformations"] = {
        "EMAIL_ADDRESS": email_in_notes or {"replaceConfig": {"newValue": {"stringValue": "[EMAIL]"}}}
    }
    doc["pii"]["engine"] = engine
    if dlp is not None:
        doc["pii"]["dlp"] = dlp
    doc.pop("keys", None)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def run(config, data, out, *extra):
    result = run_cli("run", "--dataset_config", config, "--input", data, "--output_dir", out, *extra)
    assert result.code == 0, result.err
    return json.loads((out / "run_summary.json").read_text())


def sorted_records(out):
    return sorted(read_jsonl_dir(out / "anonymized"), key=lambda r: r["transaction_id"])


def test_payments_with_engine_dlp_gives_the_local_output(fake, feed, tmp_path):
    data, records = feed
    local = run(payments_config(tmp_path, "local"), data, tmp_path / "local")
    remote = run(
        payments_config(tmp_path, "dlp", "dlp", {"project": "veilwatch-test", "endpoint": fake.endpoint}),
        data,
        tmp_path / "dlp",
    )
    assert remote["records_read"] == len(records) == remote["records_anonymized"]
    expected, got = sorted_records(tmp_path / "local"), sorted_records(tmp_path / "dlp")
    assert len(got) == len(records)
    assert got == expected
    assert any(r.get("note") and "[EMAIL]" in r["note"] for r in got)  # notes were scanned by "DLP"
    assert fake.count("DeidentifyContent") >= 1
    assert fake.count("InspectContent") >= 1
    findings = lambda out: sorted(json.dumps(f, sort_keys=True) for f in read_jsonl_dir(out / "findings"))  # noqa: E731
    assert findings(tmp_path / "dlp") == findings(tmp_path / "local")
    assert findings(tmp_path / "dlp")
    assert local["records_anonymized"] == remote["records_anonymized"]


def test_rows_dlp_keeps_refusing_are_dead_lettered_and_every_record_is_accounted_for(fake, feed, tmp_path):
    data, records = feed
    fake.fail_next(grpc.StatusCode.UNAVAILABLE, times=1_000)
    config = payments_config(
        tmp_path, "dlp", "dlp", {"project": "veilwatch-test", "endpoint": fake.endpoint, "max_attempts": 1}
    )
    summary = run(config, data, tmp_path / "out")
    dead = read_jsonl_dir(tmp_path / "out" / "dead_letter")
    assert summary["records_read"] == len(records) == summary["records_dead_lettered"] == len(dead)
    assert summary["records_anonymized"] == 0
    assert summary["all_records_accounted_for"]
    assert {d["stage"] for d in dead} == {"deidentify"}
    assert {d["error"] for d in dead} == {
        "DLP answered UNAVAILABLE on all 1 attempts (quota or availability); gave up"
    }
    text = json.dumps(dead)
    for record in records:  # no declared PII in a dead letter
        assert record["customer"]["email"] not in text
        assert record["card_number"] not in text


def test_mixed_mode_detects_with_dlp_and_makes_the_local_tokens(fake, feed, tmp_path, keyset_path):
    """mode detect: DLP finds, veilwatch transforms with its own keys: tokens identical to a local run."""
    data, records = feed
    keyed = {
        **KEYLESS_FIELDS,
        "customer.email": {"cryptoDeterministicConfig": {"surrogateInfoType": {"name": "EMAIL_TOKEN"}}},
        "card_number": {"cryptoReplaceFfxFpeConfig": {"commonAlphabet": "NUMERIC"}},
    }
    email_token = {"cryptoDeterministicConfig": {"surrogateInfoType": {"name": "EMAIL_TOKEN"}}}
    local_cfg = payments_config(tmp_path, "local", fields=keyed, email_in_notes=email_token)
    mixed_cfg = payments_config(
        tmp_path,
        "mixed",
        "dlp",
        {"project": "veilwatch-test", "endpoint": fake.endpoint, "mode": "detect"},
        fields=keyed,
        email_in_notes=email_token,
    )
    keys = ("--keyset", keyset_path, "--allow_plaintext_keys")
    run(local_cfg, data, tmp_path / "local", *keys)
    summary = run(mixed_cfg, data, tmp_path / "mixed", *keys)
    assert summary["records_anonymized"] == len(records)
    got = sorted_records(tmp_path / "mixed")
    assert got == sorted_records(tmp_path / "local")
    assert any("EMAIL_TOKEN(" in (r.get("note") or "") for r in got)
    assert fake.count("InspectContent") >= 1
    assert fake.count("DeidentifyContent") == 0


def test_beam_counters_report_requests_retries_splits_and_rows_per_request(fake, tmp_path):
    """The anonymizing DoFn on the DirectRunner: counters in namespace veilwatch_dlp."""
    import apache_beam as beam
    from apache_beam.metrics.metric import MetricsFilter

    from veilwatch.transforms.anonymize import AnonymizeRecords, ProcessorFactory
    from veilwatch.transforms.config.model import SourceFormat
    from veilwatch.transforms.config_loading.loader import load_config
    from veilwatch.transforms.io.sources import RawBatch, RawItem

    config = load_config(
        str(payments_config(tmp_path, "dlp", "dlp", {"project": "veilwatch-test", "endpoint": fake.endpoint}))
    )
    records, _ = generate("payments", days=1, seed=9, base_per_hour=2)
    items = tuple(RawItem(f"mem@{i}", json.dumps(r).encode(), 0) for i, r in enumerate(records))
    fake.fail_next(grpc.StatusCode.RESOURCE_EXHAUSTED, times=1)
    # Every scanned note repeated 300 times: too many findings for one request, so DLP refuses
    # and the batch is split.
    for item in records:
        item["note"] = " ".join(["write to ann@example.com"] * 300)
    noisy = tuple(RawItem(f"noisy@{i}", json.dumps(r).encode(), 0) for i, r in enumerate(records[:12]))
    pipeline = beam.Pipeline(runner="DirectRunner")
    _ = (
        pipeline
        | beam.Create([RawBatch(SourceFormat.JSONL, items), RawBatch(SourceFormat.JSONL, noisy)])
        | AnonymizeRecords(config, ProcessorFactory(config, False))
    )
    result = pipeline.run()
    result.wait_until_finish()

    def metric(name, kind="counters"):
        found = result.metrics().query(MetricsFilter().with_namespace("veilwatch_dlp").with_name(name))[kind]
        return sum(m.committed.sum if kind == "distributions" else m.committed for m in found)

    assert metric("requests") == len(fake.calls) >= 4
    assert metric("retries") == 1
    assert metric("splits") >= 1
    assert metric("rows_failed") == 0
    # Rows per request, over every request sent (inspect and deidentify).
    assert metric("rows_per_request", "distributions") == sum(c.rows for c in fake.calls)


# DLP's own keys in each crypto primitive (unwrapped: base64 of raw AES keys, as in Google's samples).
KEY_A = base64.b64encode(bytes(range(32))).decode()
KEY_B = base64.b64encode(bytes(range(100, 132))).decode()
DLP_KEYED_FIELDS = {
    **KEYLESS_FIELDS,
    "customer.email": {
        "cryptoDeterministicConfig": {
            "cryptoKey": {"unwrapped": {"key": KEY_A}},
            "surrogateInfoType": {"name": "EMAIL_TOKEN"},
        }
    },
    "card_number": {
        "cryptoReplaceFfxFpeConfig": {"cryptoKey": {"unwrapped": {"key": KEY_B}}, "commonAlphabet": "NUMERIC"}
    },
    "ip_address": {"cryptoHashConfig": {"cryptoKey": {"unwrapped": {"key": KEY_B}}}},
}
DLP_KEYED_EMAIL = {
    "cryptoDeterministicConfig": {
        "cryptoKey": {"unwrapped": {"key": KEY_A}},
        "surrogateInfoType": {"name": "EMAIL_TOKEN"},
    }
}


def test_payments_with_dlp_keys_gives_the_local_tokens_and_dlp_restores_them(fake, feed, tmp_path):
    """The acceptance run: the payments example with DLP unwrapped keys, engine dlp against the
    in-process DlpService, gives the local engine's output with the same keys; and
    ``veilwatch reidentify`` restores the DLP-made tokens through content.reidentify."""
    data, records = feed
    dlp_settings = {"project": "veilwatch-test", "endpoint": fake.endpoint}
    local_cfg = payments_config(tmp_path, "local", fields=DLP_KEYED_FIELDS, email_in_notes=DLP_KEYED_EMAIL)
    dlp_cfg = payments_config(
        tmp_path, "dlp", "dlp", dlp_settings, fields=DLP_KEYED_FIELDS, email_in_notes=DLP_KEYED_EMAIL
    )
    run(local_cfg, data, tmp_path / "local", "--allow_plaintext_keys")
    summary = run(dlp_cfg, data, tmp_path / "dlp", "--allow_plaintext_keys")
    assert summary["records_anonymized"] == len(records)
    got = sorted_records(tmp_path / "dlp")
    assert got == sorted_records(tmp_path / "local")
    by_id = {r["transaction_id"]: r for r in records}
    for record in got:
        original = by_id[record["transaction_id"]]
        assert record["customer"]["email"].startswith("EMAIL_TOKEN(")
        assert len(record["card_number"]) == len(original["card_number"]) != 0
        assert record["card_number"] != original["card_number"]
        assert record["card_number"].isdigit()

    result = run_cli(
        "reidentify",
        "--dataset_config",
        dlp_cfg,
        "--input",
        tmp_path / "dlp" / "anonymized",
        "--fields",
        "customer.email,card_number,note",
        "--output",
        tmp_path / "reid",
        "--allow_plaintext_keys",
    )
    assert result.code == 0, result.err
    restored = sorted(read_jsonl_dir(tmp_path / "reid" / "reidentified"), key=lambda r: r["transaction_id"])
    assert len(restored) == len(records)
    for record in restored:
        original = by_id[record["transaction_id"]]
        assert record["customer"]["email"] == original["customer"]["email"]
        assert record["card_number"] == original["card_number"]
        if "@" in (original.get("note") or ""):
            assert "EMAIL_TOKEN(" not in record["note"]
    assert fake.count("ReidentifyContent") >= 1


def _condition(field, operator, value=None):
    item = {"field": {"name": field}, "operator": operator}
    if value is not None:
        item["value"] = value
    return {"expressions": {"conditions": {"conditions": [item]}}}


def record_rules_config(tmp_path, name, engine="local", dlp=None):
    """The payments config with DLP's record-transformation features: conditions on fields
    nothing else reads (amount, country, currency), fields named by several items (the first
    that applies wins: for note a whole-value item, then per-field infoTypeTransformations with
    and without a condition), recordSuppressions, and replaceWithInfoTypeConfig (iban)."""
    doc = yaml.safe_load(payments_config(tmp_path, f"{name}-base", engine, dlp).read_text())
    fields = doc["pii"]["fields"]
    phone = next(i for i, item in enumerate(fields) if item["path"] == "customer.phone")
    fields.insert(
        phone,
        {
            "path": "customer.phone",
            "info_type": "PHONE_NUMBER",
            "transformation": "redactConfig",
            "condition": _condition("amount", "GREATER_THAN", {"floatValue": 100}),
        },
    )
    fields.append(
        {
            "path": "note",
            "info_type": "GENERIC_ID",
            "transformation": "redactConfig",
            "condition": _condition("country", "EQUAL_TO", {"stringValue": "FR"}),
        }
    )
    fields.append(
        {
            "path": "note",
            "info_type_transformations": {
                "EMAIL_ADDRESS": {"replaceConfig": {"newValue": {"stringValue": "[EUR_MAIL]"}}}
            },
            "condition": _condition("currency", "EQUAL_TO", {"stringValue": "EUR"}),
        }
    )
    fields.append(
        {
            "path": "note",
            "info_type_transformations": {
                "EMAIL_ADDRESS": {"replaceConfig": {"newValue": {"stringValue": "[MAIL]"}}}
            },
            "default_scan_transformation": "replaceWithInfoTypeConfig",
        }
    )
    doc["pii"]["scan_fields"] = []
    doc["pii"]["record_suppressions"] = [
        {"condition": _condition("country", "EQUAL_TO", {"stringValue": "DE"})}
    ]
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_conditions_suppressions_and_per_field_scans_give_the_local_output_with_engine_dlp(
    fake, feed, tmp_path
):
    data, records = feed
    local = run(record_rules_config(tmp_path, "local"), data, tmp_path / "local")
    remote = run(
        record_rules_config(tmp_path, "dlp", "dlp", {"project": "veilwatch-test", "endpoint": fake.endpoint}),
        data,
        tmp_path / "dlp",
    )
    suppressed = sum(1 for r in records if r["country"] == "DE")
    assert 0 < suppressed < len(records)
    for summary in (local, remote):
        assert summary["records_read"] == len(records)
        assert summary["records_suppressed"] == suppressed
        assert summary["records_anonymized"] == len(records) - suppressed
        assert summary["records_read"] == (
            summary["records_anonymized"] + summary["records_dead_lettered"] + summary["records_suppressed"]
        )
        assert summary["all_records_accounted_for"]
    expected, got = sorted_records(tmp_path / "local"), sorted_records(tmp_path / "dlp")
    assert len(got) == len(records) - suppressed
    assert got == expected
    by_id = {r["transaction_id"]: r for r in records}
    big = [r for r in got if by_id[r["transaction_id"]]["amount"] > 100]
    assert big
    assert all(r["customer"]["phone"] == "" for r in big)  # the condition on amount held
    assert any(r["customer"]["phone"] for r in got)
    assert {r["iban"] for r in got if r.get("iban")} == {"[IBAN_CODE]"}  # replaceWithInfoTypeConfig
    notes = [r["note"] for r in got if r.get("note") and "@" in by_id[r["transaction_id"]]["note"]]
    assert any("[EUR_MAIL]" in n for n in notes)
    assert any("[MAIL]" in n for n in notes)
    french = [
        r for r in got if by_id[r["transaction_id"]]["country"] == "FR" and by_id[r["transaction_id"]]["note"]
    ]
    assert french
    assert all(r["note"] == "" for r in french)  # a whole-value item first: no scan, no findings
    findings = lambda out: sorted(json.dumps(f, sort_keys=True) for f in read_jsonl_dir(out / "findings"))  # noqa: E731
    assert findings(tmp_path / "dlp") == findings(tmp_path / "local")
    assert findings(tmp_path / "dlp")


def field_group_config(tmp_path, name, engine="local", dlp=None):
    """payments with its keyset primitives (email, card_number, ip_address: local) and keyless ones
    (name, phone, iban, the note's findings); a condition on a DLP item reads a field the local
    engine transforms (ip_address), and recordSuppressions drop some records."""
    doc = yaml.safe_load(
        payments_config(
            tmp_path, f"{name}-base", engine, dlp, fields={"customer.name": "redactConfig"}
        ).read_text()
    )
    doc["pii"]["fields"].insert(
        0,
        {
            "path": "customer.name",
            "info_type": "PERSON_NAME",
            "transformation": {"replaceConfig": {"newValue": {"stringValue": "[NAME]"}}},
            "condition": _condition("ip_address", "GREATER_THAN", {"stringValue": "5"}),
        },
    )
    doc["pii"]["record_suppressions"] = [
        {"condition": _condition("country", "EQUAL_TO", {"stringValue": "DE"})}
    ]
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_dlp_fields_sends_only_those_fields_to_dlp_and_merges_both_engines(fake, feed, tmp_path, keyset_path):
    """pii.dlp.fields: name, phone, iban and note go to DLP, the keyset fields stay local; each
    record comes out as one, identical to a local run, with the findings of both, all accounted for."""
    data, records = feed
    keys = ("--keyset", keyset_path, "--allow_plaintext_keys")
    local = run(field_group_config(tmp_path, "local"), data, tmp_path / "local", *keys)
    split = {
        "project": "veilwatch-test",
        "endpoint": fake.endpoint,
        "fields": ["customer.name", "customer.phone", "iban", "note"],
    }
    remote = run(field_group_config(tmp_path, "split", "dlp", split), data, tmp_path / "split", *keys)
    suppressed = sum(1 for r in records if r["country"] == "DE")
    assert remote["records_suppressed"] == local["records_suppressed"] == suppressed > 0
    assert remote["records_anonymized"] == local["records_anonymized"] == len(records) - suppressed
    assert (
        remote["records_read"] == remote["records_anonymized"] + remote["records_dead_lettered"] + suppressed
    )
    expected, got = sorted_records(tmp_path / "local"), sorted_records(tmp_path / "split")
    assert len(got) == len(records) - suppressed
    assert got == expected
    assert any(r["customer"]["name"] == "[NAME]" for r in got)
    assert any(r["customer"]["name"] == "" for r in got)
    assert all(r["customer"]["email"].startswith("EMAIL_TOKEN(") for r in got)  # the local keyset's tokens
    findings = lambda out: sorted(json.dumps(f, sort_keys=True) for f in read_jsonl_dir(out / "findings"))  # noqa: E731
    assert findings(tmp_path / "split") == findings(tmp_path / "local")
    assert findings(tmp_path / "split")
    # Only the listed fields and the field the condition reads went to DLP (and the row id).
    sent = {c.headers for c in fake.calls if c.method == "DeidentifyContent"}
    assert sent == {("customer.name", "customer.phone", "iban", "note", "ip_address", "veilwatch_row_id")}
    # The keyset fields were made locally: veilwatch reidentify restores them locally, not through DLP.
    result = run_cli(
        "reidentify",
        "--dataset_config",
        tmp_path / "split.yaml",
        "--input",
        tmp_path / "split" / "anonymized",
        "--fields",
        "customer.email,card_number",
        "--output",
        tmp_path / "reid",
        *keys,
    )
    assert result.code == 0, result.err
    restored = read_jsonl_dir(tmp_path / "reid" / "reidentified")
    by_id = {r["transaction_id"]: r for r in records}
    assert len(restored) == len(got)
    assert all(r["customer"]["email"] == by_id[r["transaction_id"]]["customer"]["email"] for r in restored)
    assert all(r["card_number"] == by_id[r["transaction_id"]]["card_number"] for r in restored)
    assert fake.count("ReidentifyContent") == 0
