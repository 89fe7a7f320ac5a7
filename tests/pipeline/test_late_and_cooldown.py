"""A late window is scored but never moves the baseline; a window inside the cooldown never alerts.

Both on ``ScoreSeries`` in streaming (TestStream): the windows of one series
arrive one watermark step at a time, then a window for an hour the series has
already moved past. Each test here fails under the mutation named in its
docstring (checked by applying it to ``transforms/anomaly/score.py``).
"""

from __future__ import annotations

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.test_stream import TestStream
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms.window import TimestampedValue

from veilwatch.transforms.anomaly.cooldown import Cooldown
from veilwatch.transforms.anomaly.registry import parse_detector
from veilwatch.transforms.anomaly.score import ScoreSeries
from veilwatch.transforms.config.model import MetricKind
from veilwatch.transforms.metrics.window_metrics import WindowMetric

pytestmark = pytest.mark.pipeline

H = 3600.0
DAY = 24 * H
# A short trailing baseline, so one value more or less in it moves its median.
DETECTOR = parse_detector(
    {"type": "robust_zscore", "history": 3, "warmup": 3, "threshold": 4, "min_spread": 1.0}, "detector"
)
# A baseline an incident of a few hours does not take over.
LONG = parse_detector(
    {"type": "robust_zscore", "history": 24, "warmup": 3, "threshold": 4, "min_spread": 1.0}, "detector"
)


def _metric(hour: int, value: float) -> TimestampedValue:
    return TimestampedValue(
        WindowMetric("n", None, None, hour * H, (hour + 1) * H, value), (hour + 1) * H - 1
    )


def _streaming_pipeline() -> TestPipeline:
    options = PipelineOptions()
    options.view_as(StandardOptions).streaming = True
    return TestPipeline(options=options)


def _stream(on_time: list[tuple[int, float]], late: list[tuple[int, float]], after: list[tuple[int, float]]):
    """``on_time`` windows one watermark step each, then ``late`` ones (behind the watermark), then ``after``."""
    stream = TestStream()
    for hour, value in on_time:
        stream = stream.add_elements([_metric(hour, value)]).advance_watermark_to((hour + 1) * H)
    stream = stream.add_elements([_metric(hour, value) for hour, value in late])
    for hour, value in after:
        stream = stream.add_elements([_metric(hour, value)]).advance_watermark_to((hour + 1) * H)
    return stream.advance_watermark_to(DAY).advance_watermark_to_infinity()


def _scores(p, stream, cooldown=Cooldown(), detector=DETECTOR):
    return (
        p
        | stream
        | ScoreSeries("d", detector, H, {"n": MetricKind.COUNT}, cooldown)
        | beam.Map(
            lambda s: (s["window_start"][11:16], s["observed"], s["expected"], s["is_anomaly"], s["alert"])
        )
    )


def test_a_late_window_is_scored_against_the_baseline_but_does_not_update_it():
    """Mutation: the late branch keeps the state ``observe`` returns (``verdict, state = ...``)."""
    calm = [(0, 100.0), (1, 100.0), (2, 102.0), (3, 104.0), (4, 106.0), (5, 108.0)]
    stream = _stream(calm, late=[(2, 1000.0)], after=[(6, 107.0)])
    with _streaming_pipeline() as p:
        assert_that(
            _scores(p, stream),
            equal_to(
                [
                    ("00:00", 100.0, None, False, False),
                    ("01:00", 100.0, None, False, False),
                    ("02:00", 102.0, None, False, False),
                    ("03:00", 100.0 + 4, 100.0, False, False),
                    ("04:00", 106.0, 102.0, False, False),
                    ("05:00", 108.0, 104.0, False, False),
                    (
                        "02:00",
                        1000.0,
                        106.0,
                        True,
                        True,
                    ),  # late: scored against 104, 106, 108 (the baseline now)
                    ("06:00", 107.0, 106.0, False, False),  # still 104, 106, 108: the late 1000 is not in it
                ]
            ),
        )


def test_a_late_anomalous_window_inside_the_cooldown_does_not_alert():
    """Mutation: the late branch alerts on every anomalous window (ignores the cooldown)."""
    calm = [(h, 100.0 + h % 2) for h in range(6)]
    stream = _stream(
        calm + [(6, 400.0)], late=[(5, 400.0)], after=[(h, 100.0) for h in range(7, 12)] + [(12, 400.0)]
    )
    with _streaming_pipeline() as p:
        alerts = (
            _scores(p, stream, Cooldown(windows=4), LONG)
            | beam.Filter(lambda s: s[3])
            | beam.Map(lambda s: (s[0], s[4]))
        )
        # 06:00 alerts; the late 05:00 is anomalous inside its cooldown: no alert. 12:00 is past the cooldown.
        assert_that(alerts, equal_to([("06:00", True), ("05:00", False), ("12:00", True)]))


def test_an_incident_alerts_once_then_windows_inside_the_cooldown_stay_anomalous_without_alerting():
    """Mutations: ``alert`` replaced by ``verdict.is_anomaly`` in the on-time branch; the cooldown
    state not carried from one firing to the next; the cooldown measured without its window lengths."""
    calm = [(h, 100.0 + h % 2) for h in range(6)]
    incident = [(6, 400.0), (7, 400.0), (8, 400.0), (9, 400.0), (10, 400.0)]
    stream = _stream(calm + incident, late=[], after=[])
    with _streaming_pipeline() as p:
        alerts = (
            _scores(p, stream, Cooldown(windows=4), LONG)
            | beam.Filter(lambda s: s[3])
            | beam.Map(lambda s: (s[0], s[4]))
        )
        # Cooldown of 4 windows from 06:00: 07-09 held back, 10:00 alerts again (not extended).
        assert_that(
            alerts,
            equal_to(
                [("06:00", True), ("07:00", False), ("08:00", False), ("09:00", False), ("10:00", True)]
            ),
        )


# Two views of the series: rises (member 0) and drops (member 1), for the per-member cooldown.
RISES_OR_DROPS = parse_detector(
    {
        "type": "ensemble",
        "mode": "any",
        "members": [
            {"type": "robust_zscore", "history": 24, "warmup": 3, "threshold": 4, "direction": "up"},
            {"type": "robust_zscore", "history": 24, "warmup": 3, "threshold": 4, "direction": "down"},
        ],
    },
    "detector",
)


def test_a_per_member_cooldown_holds_back_only_the_member_that_alerted():
    """Mutation: the on-time branch calls ``cooldown.apply`` without the verdict's ``sources``
    (every member then shares one cooldown and 08:00 is held back)."""
    calm = [(h, 100.0 + h % 2) for h in range(6)]
    incident = [(6, 400.0), (7, 100.0), (8, 10.0), (9, 400.0), (10, 100.0)]
    stream = _stream(calm + incident, late=[], after=[])
    with _streaming_pipeline() as p:
        alerts = (
            _scores(p, stream, Cooldown(windows=4, per_member=True), RISES_OR_DROPS)
            | beam.Filter(lambda s: s[3])
            | beam.Map(lambda s: (s[0], s[4]))
        )
        # 06:00 rise alerts; 08:00 drop alerts (the drop member has no cooldown yet); 09:00 rise is
        # inside the rise member's cooldown from 06:00.
        assert_that(alerts, equal_to([("06:00", True), ("08:00", True), ("09:00", False)]))
