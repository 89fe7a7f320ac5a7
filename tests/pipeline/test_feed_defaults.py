"""Scenario: what ``discover`` proposes, run on a real-looking feed (issue 13, items 3-4).

Ticket-like records with a daily morning ramp (``sample_data.generate``), an
injected incident, a two-hour outage in which the feed is silent, and an input
that stops in the middle of an hour. The config ``discover`` proposes for the
feed must flag the incident and the outage and nothing on the ordinary hours,
and must not alert on the half-covered last window.
"""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from tests.conftest import run_cli
from tests.pipeline.helpers import read_jsonl_dir
from veilwatch.pipelines.sample_data import Anomaly, generate, write_jsonl

pytestmark = pytest.mark.pipeline

START = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
INCIDENT = 24 + 15  # day 2, 15:00: six times the usual volume
OUTAGE = (2 * 24 + 11, 2 * 24 + 12)  # day 3, 11:00-13:00: no record at all
CUT = 3 * 24 + 12.5  # the input stops at 12:30 on day 4


def _iso(hours: float) -> str:
    return (START + dt.timedelta(hours=hours)).isoformat().replace("+00:00", "Z")


def _run_proposed(work, records):
    write_jsonl(str(work / "tickets.jsonl"), records)
    proposed = work / "proposed.yaml"
    result = run_cli(
        "discover",
        "--input",
        str(work / "tickets.jsonl"),
        "--sample",
        "1000",
        "--output",
        str(proposed),
        "--dataset",
        "tickets",
        "--keyset",
        str(work / "keyset.json"),
    )
    assert result.code == 0, result.err
    assert run_cli("keys", "create", "--out", work / "keyset.json").code == 0
    out = work / "out"
    result = run_cli(
        "run",
        "--dataset_config",
        proposed,
        "--output_dir",
        out,
        "--keyset",
        work / "keyset.json",
        "--allow_plaintext_keys",
    )
    assert result.code == 0, result.err
    return yaml.safe_load(proposed.read_text()), read_jsonl_dir(out / "scores")


@pytest.fixture(scope="module")
def ticket_feed(tmp_path_factory):
    work = tmp_path_factory.mktemp("tickets")
    anomalies = (Anomaly("volume_spike", INCIDENT), *(Anomaly("outage", h) for h in OUTAGE))
    records, _ = generate("app_logs", days=4, seed=21, base_per_hour=60, anomalies=anomalies, start=START)
    cut = _iso(CUT)
    records = [r for r in records if r["ts"] < cut]
    return _run_proposed(work, records)


def test_a_feed_of_several_days_gets_a_daily_seasonal_baseline(ticket_feed):
    config, _ = ticket_feed
    assert config["detector"]["type"] == "seasonal"
    assert config["detector"]["season"] == "day"


def test_the_proposed_config_flags_the_incident_and_the_outage_and_nothing_else(ticket_feed):
    _, scores = ticket_feed
    counts = [s for s in scores if s["metric"] == "record_count"]
    assert len(counts) == 3 * 24 + 13
    flagged = sorted(s["window_start"] for s in counts if s["is_anomaly"])
    assert flagged == [_iso(INCIDENT), *(_iso(h) for h in OUTAGE)], [
        s["explanation"] for s in counts if s["is_anomaly"]
    ]
    silent = [s for s in counts if s["window_start"] in {_iso(h) for h in OUTAGE}]
    assert [s["observed"] for s in silent] == [0.0, 0.0]


def test_the_half_covered_last_window_is_written_but_not_scored(ticket_feed):
    _, scores = ticket_feed
    last = [s for s in scores if s["window_start"] == _iso(CUT - 0.5)]
    assert len(last) == 1
    assert last[0]["is_anomaly"] is False
    assert last[0]["alert"] is False
    assert last[0]["score"] is None
    assert "partial window" in last[0]["explanation"]
    assert "covers only 4" in last[0]["explanation"]
    assert last[0]["observed"] > 0  # the records before the cut are counted, not lost


SHORT_OUTAGE = (24 + 14, 24 + 15)  # day 2, 14:00-16:00
SHORT_CUT = 24 + 20.5  # the input stops at 20:30 on day 2


@pytest.fixture(scope="module")
def short_feed(tmp_path_factory):
    work = tmp_path_factory.mktemp("tickets-short")
    records, _ = generate(
        "app_logs",
        days=2,
        seed=5,
        base_per_hour=60,
        anomalies=tuple(Anomaly("outage", h) for h in SHORT_OUTAGE),
        start=START,
    )
    cut = _iso(SHORT_CUT)
    return _run_proposed(work, [r for r in records if r["ts"] < cut])


def test_a_short_sample_gets_a_day_long_trailing_baseline_that_ignores_the_ramp_and_flags_the_outage(
    short_feed,
):
    config, scores = short_feed
    assert config["detector"]["type"] == "robust_zscore"
    assert config["detector"]["history"] == 24
    counts = [s for s in scores if s["metric"] == "record_count"]
    assert len(counts) == 24 + 21
    flagged = sorted(s["window_start"] for s in counts if s["is_anomaly"])
    # The morning ramp of day 2 (04:00 -> 16:00, about 15 -> 105 records an hour) flags nothing.
    assert flagged == [_iso(h) for h in SHORT_OUTAGE], [s["explanation"] for s in counts if s["is_anomaly"]]
    assert all("silent window" in s["explanation"] for s in counts if s["is_anomaly"])
