"""discover proposes a daily seasonal baseline from 3 whole days of event times, else a day-long trailing one."""

from __future__ import annotations

import pytest
import yaml

from veilwatch.transforms.anomaly.registry import parse_detector
from veilwatch.transforms.detection import DetectionEngine
from veilwatch.transforms.discovery import FieldProfiles, propose, render_config
from veilwatch.transforms.discovery.detector_proposal import DAY_SECONDS, SEASONAL_MIN_DAYS, propose_detector


@pytest.mark.parametrize(
    "days, expected", [(0.2, "robust_zscore"), (2.99, "robust_zscore"), (3.0, "seasonal"), (14.5, "seasonal")]
)
def test_the_rule_is_three_whole_days(days, expected):
    proposal = propose_detector(days * DAY_SECONDS)
    assert proposal.detector["type"] == expected
    assert SEASONAL_MIN_DAYS == 3
    parse_detector(proposal.detector, "detector")  # a valid detector config either way


def _profiles(hours: list[float]) -> FieldProfiles:
    engine = DetectionEngine()
    profiles = FieldProfiles()
    for i, h in enumerate(hours):
        stamp = f"2026-11-{2 + int(h // 24):02d}T{int(h % 24):02d}:{int(h * 60 % 60):02d}:00Z"
        profiles.add({"ts": stamp, "n": i}, engine)
    return profiles


def test_the_span_is_read_from_the_event_time_field_and_rendered_as_the_detector():
    short = propose(_profiles([0, 5.5, 30, 47]))
    assert short.event_time == "ts"
    assert short.event_time_span_seconds == 47 * 3600
    long = propose(_profiles([0.0, 80.0, 12.0, 72.5]))  # order does not matter
    assert long.event_time_span_seconds == 80 * 3600
    for proposal, kind in ((short, "robust_zscore"), (long, "seasonal")):
        text = render_config(proposal, dataset="d", source_format="jsonl", source_path="d.jsonl")
        assert yaml.safe_load(text)["detector"]["type"] == kind
        assert "whole day" in text


def test_no_event_time_proposes_no_detector():
    engine = DetectionEngine()
    profiles = FieldProfiles()
    for i in range(5):
        profiles.add({"n": i}, engine)
    text = render_config(propose(profiles), dataset="d", source_format="jsonl", source_path="d.jsonl")
    assert "detector" not in yaml.safe_load(text)


def test_a_date_of_birth_keeps_no_times_in_the_profile():
    engine = DetectionEngine()
    profiles = FieldProfiles()
    for i in range(4):
        profiles.add({"ts": f"2026-11-0{2 + i}T10:00:00Z", "dob": f"198{i}-05-0{1 + i}T00:00:00Z"}, engine)
    assert profiles.fields["ts"].time_span_seconds == 3 * 86_400
    assert (profiles.fields["dob"].first_time, profiles.fields["dob"].last_time) == (None, None)
