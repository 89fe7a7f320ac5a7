"""The DLP engine's calls (batching, split and retry, backoff, rate limit) against an
in-process DlpService (tests/support/fake_dlp.py) through the real google-cloud-dlp client."""

from __future__ import annotations

import itertools
import json

import grpc
import pytest
from google.cloud.dlp_v2 import types as dlp

from tests.support.fake_dlp import MAX_REQUEST_BYTES, FakeDlp
from veilwatch.transforms.config.model import DlpEngineSpec, FieldPolicy, PiiSpec, TransformationSpec
from veilwatch.transforms.dlp.batching import Limits, RowCost, plan_batches
from veilwatch.transforms.dlp.caller import BatchCaller, RowFailure
from veilwatch.transforms.dlp.engine import DlpTableEngine
from veilwatch.transforms.dlp.rate_limit import RateLimiter

SPEC = DlpEngineSpec(project="veilwatch-test")
DEID = dlp.DeidentifyConfig.from_json(
    json.dumps(
        {
            "recordTransformations": {
                "fieldTransformations": [
                    {"fields": [{"name": "customer.name"}], "primitiveTransformation": {"redactConfig": {}}},
                    {
                        "fields": [{"name": "note"}],
                        "infoTypeTransformations": {
                            "transformations": [
                                {"primitiveTransformation": {"replaceWithInfoTypeConfig": {}}}
                            ]
                        },
                    },
                ]
            }
        }
    )
)
INSPECT = dlp.InspectConfig(
    info_types=[dlp.InfoType(name="EMAIL_ADDRESS")], min_likelihood=dlp.Likelihood.POSSIBLE
)
PII = PiiSpec(
    fields=(FieldPolicy("customer.name", "PERSON_NAME", TransformationSpec("redactConfig", None)),),
    scan_fields=("note",),
)


@pytest.fixture
def fake():
    server = FakeDlp()
    yield server
    server.stop()


class Sleeps:
    def __init__(self):
        self.seconds: list[float] = []

    def __call__(self, s: float) -> None:
        self.seconds.append(s)


def _engine(fake, limits=Limits(), max_attempts=5, rpm=60_000, sleep=None, rng=lambda: 0.5):
    caller = BatchCaller(
        RateLimiter(rpm),
        max_attempts=max_attempts,
        backoff_seconds=1.0,
        limits=limits,
        sleep=sleep or Sleeps(),
        rng=rng,
    )
    return DlpTableEngine(PII, SPEC, fake.client(), caller, DEID, INSPECT), caller


def _records(n, note="write to ann@example.com", name_len=5):
    return [{"customer": {"name": "N" * name_len, "id": i}, "note": f"{note} #{i}"} for i in range(n)]


def test_records_come_back_deidentified_by_the_server(fake):
    engine, caller = _engine(fake)
    records = _records(3)
    assert engine.deidentify_records(records) == [None, None, None]
    assert [r["note"] for r in records] == [f"write to [EMAIL_ADDRESS] #{i}" for i in range(3)]
    assert all(r["customer"]["name"] == "" for r in records)
    assert records[2]["customer"]["id"] == 2
    assert fake.count("DeidentifyContent") == 1
    assert caller.totals["requests"] == 1


def test_planned_batches_stay_within_every_limit_without_a_refusal(fake):
    engine, caller = _engine(fake)
    records = _records(12, name_len=100_000)  # 1.2 MB in all
    assert engine.deidentify_records(records) == [None] * 12
    sizes = [c.size for c in fake.calls]
    assert len(sizes) == 3
    assert max(sizes) <= MAX_REQUEST_BYTES
    assert caller.totals["splits"] == 0


def test_plan_respects_values_and_findings_as_well_as_bytes():
    costs = [RowCost(10, 20_000, 1)] * 5
    assert [len(b) for b in plan_batches(costs, 100)] == [2, 2, 1]  # 50,000 values at most
    costs = [RowCost(10, 1, 1_000)] * 7
    assert [len(b) for b in plan_batches(costs, 100)] == [3, 3, 1]  # 3,000 findings at most
    assert [len(b) for b in plan_batches([RowCost(900_000, 1, 0)] * 2, 100)] == [1, 1]  # alone when too big


def test_request_the_api_finds_too_large_is_split_in_halves_and_retried(fake):
    # The client believes 5 MB fits; the server says what DLP says, and the halves go again.
    engine, caller = _engine(fake, limits=Limits(max_bytes=10 * MAX_REQUEST_BYTES))
    records = _records(12, name_len=100_000)
    assert engine.deidentify_records(records) == [None] * 12
    assert all(r["customer"]["name"] == "" for r in records)
    refused = [c for c in fake.calls if c.size > MAX_REQUEST_BYTES]
    accepted = [c for c in fake.calls if c.size <= MAX_REQUEST_BYTES]
    assert [c.rows for c in refused] == [12, 6, 6]
    assert sum(c.rows for c in accepted) == 12
    assert caller.totals["splits"] == 3


def test_too_many_findings_is_split_and_retried(fake):
    # 10 rows of 400 emails: 4,000 findings in one request, over DLP's 3,000.
    note = " ".join(f"u{i}@example.com" for i in range(400))
    engine, caller = _engine(fake)
    records = _records(10, note=note)
    assert engine.deidentify_records(records) == [None] * 10
    assert not any("@" in r["note"] for r in records)
    assert [r["note"].count("[EMAIL_ADDRESS]") for r in records] == [400] * 10
    assert [c.rows for c in fake.calls] == [10, 5, 5]
    assert caller.totals["splits"] == 1


def test_truncated_inspection_is_split_and_retried(fake):
    texts = [" ".join(f"u{i}-{j}@example.com" for i in range(400)) + f" {j}" for j in range(10)]
    engine, caller = _engine(fake)
    results = engine.inspect_texts(texts)
    assert [len(r) for r in results] == [400] * 10
    assert [c.rows for c in fake.calls] == [10, 5, 5]
    assert caller.totals["splits"] == 1


def test_a_row_too_large_alone_fails_with_its_reason_and_the_others_pass(fake):
    engine, caller = _engine(fake, limits=Limits(max_bytes=10 * MAX_REQUEST_BYTES))
    records = _records(4)
    records[2]["customer"]["name"] = "N" * 600_000
    results = engine.deidentify_records(records)
    assert [r is None for r in results] == [True, True, False, True]
    assert "too large" in results[2].reason
    assert "INVALID_ARGUMENT" in results[2].reason
    assert "NNNN" not in results[2].reason
    assert records[2]["customer"]["name"].startswith("NNN")  # untouched
    assert caller.totals["rows_failed"] == 1


@pytest.mark.parametrize(
    "code",
    [grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED],
)
def test_quota_and_availability_errors_back_off_with_jitter_then_succeed(fake, code):
    sleeps = Sleeps()
    draws = iter([0.25, 0.75, 0.5])
    engine, caller = _engine(fake, sleep=sleeps, rng=lambda: next(draws))
    fake.fail_next(code, times=3)
    records = _records(2)
    assert engine.deidentify_records(records) == [None, None]
    assert fake.count("DeidentifyContent") == 4
    assert caller.totals["retries"] == 3
    # Full jitter: attempt n waits rng() * min(cap, base * 2**(n-1)).
    assert sleeps.seconds == [0.25 * 1, 0.75 * 2, 0.5 * 4]


def test_rows_that_keep_failing_come_back_as_failures_after_bounded_attempts(fake):
    engine, caller = _engine(fake, max_attempts=3)
    fake.fail_next(grpc.StatusCode.RESOURCE_EXHAUSTED, times=10)
    records = _records(3)
    results = engine.deidentify_records(records)
    assert len(results) == 3
    assert all(isinstance(r, RowFailure) for r in results)
    assert len(results) == 3
    assert "RESOURCE_EXHAUSTED on all 3 attempts" in results[0].reason
    assert fake.count("DeidentifyContent") == 3
    assert records[0]["note"].startswith("write to ann@")  # not rewritten


def test_other_errors_are_not_retried_and_name_only_the_status(fake):
    engine, _ = _engine(fake)
    fake.fail_next(grpc.StatusCode.PERMISSION_DENIED, message="Permission 'dlp.content.deidentify' denied")
    results = engine.deidentify_records(_records(2))
    assert [r.reason for r in results] == ["DLP answered PERMISSION_DENIED"] * 2
    assert fake.count("DeidentifyContent") == 1


def test_requests_per_minute_spaces_the_requests_the_server_receives(fake):
    # 1,200 per minute: one request every 50 ms at most; six batches of two rows (three values
    # a row: customer.name, note and the row id).
    engine, caller = _engine(fake, limits=Limits(max_values=6), rpm=1200)
    assert engine.deidentify_records(_records(12)) == [None] * 12
    times = [c.at for c in fake.calls]
    assert len(times) == 6
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.05 - 0.005, gaps
    assert times[-1] - times[0] >= 5 * 0.05 - 0.005


def test_a_regional_server_refuses_another_location(fake):
    regional = FakeDlp(region="europe-west3")
    try:
        caller = BatchCaller(RateLimiter(60_000), sleep=Sleeps())
        spec = DlpEngineSpec(project="veilwatch-test", location="europe-west3")
        ok = DlpTableEngine(PII, spec, regional.client(), caller, DEID, INSPECT)
        assert ok.deidentify_records(_records(1)) == [None]
        wrong = DlpTableEngine(PII, SPEC, regional.client(), caller, DEID, INSPECT)
        assert wrong.deidentify_records(_records(1))[0].reason.startswith("DLP answered INVALID_ARGUMENT")
    finally:
        regional.stop()


def test_the_limiter_is_shared_by_every_instance_of_a_worker_process():
    from veilwatch.transforms.dlp.rate_limit import shared_limiter

    a = shared_limiter(("p", "global"), 600)
    assert shared_limiter(("p", "global"), 600) is a
    assert shared_limiter(("p", "europe-west3"), 600) is not a
    assert a.interval == 0.1


def test_the_server_deidentifies_and_inspects_string_items_too(fake):
    client = fake.client()
    config = dlp.DeidentifyConfig.from_json(
        json.dumps(
            {
                "infoTypeTransformations": {
                    "transformations": [{"primitiveTransformation": {"replaceWithInfoTypeConfig": {}}}]
                }
            }
        )
    )
    item = dlp.ContentItem(value="My email is ann@example.com.")
    response = client.deidentify_content(
        request=dlp.DeidentifyContentRequest(
            parent="projects/p/locations/global", deidentify_config=config, inspect_config=INSPECT, item=item
        )
    )
    assert response.item.value == "My email is [EMAIL_ADDRESS]."
    found = client.inspect_content(
        request=dlp.InspectContentRequest(
            parent="projects/p/locations/global", inspect_config=INSPECT, item=item
        )
    ).result.findings
    assert [
        (f.info_type.name, f.location.codepoint_range.start, f.location.codepoint_range.end) for f in found
    ] == [("EMAIL_ADDRESS", 12, 27)]
    assert not found[0].quote  # no quote unless asked (and veilwatch never asks)


FFX_KEY = "YWJjZGVmZ2hpamtsbW5vcB=="  # the unwrapped key of Google's dotnet-docs-samples FPE tests
CARD_FPE = dlp.DeidentifyConfig.from_json(
    json.dumps(
        {
            "recordTransformations": {
                "fieldTransformations": [
                    {
                        "fields": [{"name": "card"}],
                        "primitiveTransformation": {
                            "cryptoReplaceFfxFpeConfig": {
                                "cryptoKey": {"unwrapped": {"key": FFX_KEY}},
                                "commonAlphabet": "NUMERIC",
                            }
                        },
                    },
                ]
            }
        }
    )
)
CARD_PII = PiiSpec(
    fields=(FieldPolicy("card", "CREDIT_CARD_NUMBER", TransformationSpec("redactConfig", None)),)
)


def test_a_value_dlp_cannot_transform_fails_its_row_only(fake):
    # DLP's default transformationErrorHandling throws: the whole request is refused, so the
    # caller bisects to find the row at fault; the other rows come back transformed.
    caller = BatchCaller(RateLimiter(60_000), sleep=Sleeps())
    engine = DlpTableEngine(CARD_PII, SPEC, fake.client(), caller, CARD_FPE, INSPECT)
    records = [{"card": f"40000000000000{i:02d}"} for i in range(8)]
    records[5]["card"] = "4000-not-digits"
    results = engine.deidentify_records(records)
    assert [r is None for r in results] == [True] * 5 + [False] + [True] * 2
    assert results[5].reason.startswith(
        "DLP answered INVALID_ARGUMENT (a value its transformation cannot take"
    )
    assert records[5]["card"] == "4000-not-digits"
    tokens = [r["card"] for i, r in enumerate(records) if i != 5]
    assert len(tokens) == 7
    assert all(card.isdigit() for card in tokens)
    assert all(len(card) == 16 for card in tokens)
    assert not any(card.startswith("40000000000000") for card in tokens)
    assert [c.rows for c in fake.calls] == [8, 4, 4, 2, 1, 1, 2]  # depth first: 8, 0-4, 4-8, 4-6, 4, 5, 6-8


def test_isolation_stops_within_its_budget_when_every_row_is_refused(fake):
    caller = BatchCaller(RateLimiter(60_000), sleep=Sleeps(), isolation_requests=4)
    engine = DlpTableEngine(CARD_PII, SPEC, fake.client(), caller, CARD_FPE, INSPECT)
    results = engine.deidentify_records([{"card": "not digits"} for _ in range(64)])
    assert len(results) == 64
    assert all(isinstance(r, RowFailure) for r in results)
    assert len(results) == 64
    assert len(fake.calls) == 1 + 4


def test_googles_fpe_surrogate_sample_round_trips_through_the_client_and_the_server(fake):
    """The requests of GoogleCloudPlatform/dotnet-docs-samples dlp/api/Snippets/
    DeidentifyFreeTextWithFpeUsingSurrogate.cs and ReidentifyFreeTextWithFpeUsingSurrogate.cs, with
    the pair their tests expect (dlp/api/Snippets.Tests/DeidentifyFreeTextWithFpeUsingSurrogateTests.cs,
    ReidentifyFreeTextWithFpeUsingSurrogateTests.cs): "My phone number is 4359916732." <->
    "My phone number is PHONE_TOKEN(10):9617256398." with the unwrapped key YWJjZGVmZ2hpamtsbW5vcB==."""
    client = fake.client()
    fpe = {
        "cryptoReplaceFfxFpeConfig": {
            "cryptoKey": {"unwrapped": {"key": FFX_KEY}},
            "commonAlphabet": "NUMERIC",
            "surrogateInfoType": {"name": "PHONE_TOKEN"},
        }
    }
    deid = dlp.DeidentifyConfig.from_json(
        json.dumps(
            {
                "infoTypeTransformations": {
                    "transformations": [
                        {"infoTypes": [{"name": "PHONE_NUMBER"}], "primitiveTransformation": fpe}
                    ]
                }
            }
        )
    )
    response = client.deidentify_content(
        request=dlp.DeidentifyContentRequest(
            parent="projects/p/locations/global",
            deidentify_config=deid,
            inspect_config=dlp.InspectConfig(info_types=[dlp.InfoType(name="PHONE_NUMBER")]),
            item=dlp.ContentItem(value="My phone number is 4359916732."),
        )
    )
    assert response.item.value == "My phone number is PHONE_TOKEN(10):9617256398."
    reid = dlp.DeidentifyConfig.from_json(
        json.dumps({"infoTypeTransformations": {"transformations": [{"primitiveTransformation": fpe}]}})
    )
    surrogate = dlp.CustomInfoType(
        info_type=dlp.InfoType(name="PHONE_TOKEN"), surrogate_type=dlp.CustomInfoType.SurrogateType()
    )
    restored = client.reidentify_content(
        request=dlp.ReidentifyContentRequest(
            parent="projects/p/locations/global",
            reidentify_config=reid,
            inspect_config=dlp.InspectConfig(custom_info_types=[surrogate]),
            item=dlp.ContentItem(value=response.item.value),
        )
    )
    assert restored.item.value == "My phone number is 4359916732."
