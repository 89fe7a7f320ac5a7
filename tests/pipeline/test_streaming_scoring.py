"""Event-time order, watermarks and lateness in streaming mode (TestStream on the DirectRunner)."""

from __future__ import annotations

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.test_stream import TestStream
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms.window import TimestampedValue

from veilwatch.transforms.anomaly.registry import parse_detector
from veilwatch.transforms.anomaly.score import ScoreSeries
from veilwatch.transforms.config.model import MetricKind
from veilwatch.transforms.config_loading.loader import parse_config
from veilwatch.transforms.elements import AnonymizedBatch, SeriesId, TooLatePartial, WindowPartial
from veilwatch.transforms.metrics.window_metrics import TOO_LATE, ComputeWindowMetrics, LatenessGateFn

pytestmark = pytest.mark.pipeline

H = 3600.0
DAY = 24 * H
# robust_zscore with warmup 3: window k is compared with the median of the windows before it.
DETECTOR = parse_detector(
    {"type": "robust_zscore", "warmup": 3, "threshold": 4, "min_spread": 1.0}, "detector"
)


def _config(lateness="0s"):
    return parse_config(
        {
            "dataset": "d",
            "source": {"format": "jsonl", "path": "x"},
            "schema": {"fields": [{"name": "ts", "type": "timestamp"}]},
            "event_time": {"field": "ts", "format": "epoch_seconds"},
            "windowing": {"type": "fixed", "size": "1h", "allowed_lateness": lateness},
            "metrics": [{"name": "n", "type": "count"}],
            "sinks": {"output_dir": "o"},
        }
    )


def _records(hour: int, count: int) -> AnonymizedBatch:
    times = tuple(hour * H + i * (H / count) for i in range(count))
    return AnonymizedBatch(tuple({"ts": t} for t in times), times)


def _streaming_pipeline():
    options = PipelineOptions()
    options.view_as(StandardOptions).streaming = True
    return TestPipeline(options=options)


def _scores(p, stream, config):
    scores = (
        p | stream | ComputeWindowMetrics(config) | ScoreSeries("d", DETECTOR, H, {"n": MetricKind.COUNT})
    )
    return scores | beam.Map(lambda s: (s["window_start"][11:16], s["observed"], s["expected"]))


def test_windows_arriving_out_of_order_are_scored_in_event_time_order():
    # Hours 0..3 hold 10, 20, 30, 100 records, delivered as 3, 1, 0, 2 before the watermark moves.
    stream = (
        TestStream()
        .add_elements([TimestampedValue(_records(3, 100), 0)])
        .add_elements([TimestampedValue(_records(1, 20), 0)])
        .add_elements([TimestampedValue(_records(0, 10), 0)])
        .add_elements([TimestampedValue(_records(2, 30), 0)])
        .advance_watermark_to(DAY)  # past every window (timers fire before the end of time)
        .advance_watermark_to_infinity()
    )
    with _streaming_pipeline() as p:
        assert_that(
            _scores(p, stream, _config()),
            equal_to(
                [
                    ("00:00", 10.0, None),
                    ("01:00", 20.0, None),
                    ("02:00", 30.0, None),
                    ("03:00", 100.0, 20.0),  # median of 10, 20, 30: only true if scored after them
                ]
            ),
        )


def test_each_window_is_scored_when_the_watermark_passes_it_and_silence_counts_as_zero():
    stream = (
        TestStream()
        .add_elements([TimestampedValue(_records(0, 10), 0), TimestampedValue(_records(1, 12), 0)])
        .advance_watermark_to(2 * H)  # hours 0 and 1 complete
        .add_elements([TimestampedValue(_records(2, 11), 2 * H)])
        .advance_watermark_to(3 * H)  # hour 2 complete
        .add_elements([TimestampedValue(_records(4, 40), 3 * H)])  # hour 3 had nothing
        .advance_watermark_to(DAY)  # past every window (timers fire before the end of time)
        .advance_watermark_to_infinity()
    )
    with _streaming_pipeline() as p:
        assert_that(
            _scores(p, stream, _config()),
            equal_to(
                [
                    ("00:00", 10.0, None),
                    ("01:00", 12.0, None),
                    ("02:00", 11.0, None),
                    ("03:00", 0.0, 11.0),
                    ("04:00", 40.0, 10.5),
                ]
            ),
        )


def test_late_records_within_allowed_lateness_update_the_window_and_are_scored():
    stream = (
        TestStream()
        .add_elements([TimestampedValue(_records(0, 10), 0)])
        .advance_watermark_to(H + 60)  # hour 0 fires with 10
        .add_elements([TimestampedValue(_records(0, 5), H + 60)])  # 5 late records for hour 0
        .advance_watermark_to(DAY)  # past every window (timers fire before the end of time)
        .advance_watermark_to_infinity()
    )
    with _streaming_pipeline() as p:
        observed = _scores(p, stream, _config(lateness="2h")) | beam.Map(lambda s: s[:2])
        # The on-time pane (10) is scored, then the late pane (the window's new total) is scored too.
        assert_that(observed, equal_to([("00:00", 10.0), ("00:00", 15.0)]))


def test_cooldown_in_streaming_holds_back_repeated_alerts_across_firings():
    from veilwatch.transforms.anomaly.cooldown import Cooldown
    from veilwatch.transforms.metrics.window_metrics import WindowMetric

    def metric(hour, value):
        return TimestampedValue(
            WindowMetric("n", None, None, hour * H, (hour + 1) * H, value), (hour + 1) * H - 1
        )

    stream = TestStream()
    for hour in range(12):  # calm hours, each released by its own watermark advance
        stream = stream.add_elements([metric(hour, 100.0 + hour % 2)]).advance_watermark_to((hour + 1) * H)
    for hour in (12, 13, 14):  # an incident lasting three hours
        stream = stream.add_elements([metric(hour, 400.0)]).advance_watermark_to((hour + 1) * H)
    stream = (
        stream.add_elements([metric(20, 400.0)]).advance_watermark_to(DAY).advance_watermark_to_infinity()
    )
    with _streaming_pipeline() as p:
        alerts = (
            p
            | stream
            | ScoreSeries("d", DETECTOR, H, {"n": MetricKind.COUNT}, Cooldown(windows=4))
            | beam.Filter(lambda s: s["is_anomaly"] and s["observed"] == 400.0)
            | beam.Map(lambda s: (s["window_start"][11:16], s["alert"]))
        )
        # 12:00 alerts; 13:00 and 14:00 are within 4 windows of it; 20:00 is a new incident.
        assert_that(alerts, equal_to([("12:00", True), ("13:00", False), ("14:00", False), ("20:00", True)]))


def test_records_later_than_the_allowed_lateness_are_counted_not_silently_dropped():
    stream = (
        TestStream()
        .add_elements([TimestampedValue(_records(0, 10), 0)])
        .advance_watermark_to(3 * H)  # hour 0 closed at 01:30 (30m lateness)
        .add_elements([TimestampedValue(_records(0, 5), 3 * H)])  # 5 records for hour 0: too late
        .add_elements([TimestampedValue(_records(2, 7), 3 * H)])  # hour 2 + 30m not passed: still on time
        .advance_watermark_to(DAY)
        .advance_watermark_to_infinity()
    )
    with _streaming_pipeline() as p:
        observed = _scores(p, stream, _config(lateness="30m")) | beam.Map(lambda s: s[:2])
        # Hour 0 keeps its 10 (the 5 late ones are not added), hour 1 was silent, hour 2 has its 7.
        assert_that(observed, equal_to([("00:00", 10.0), ("01:00", 0.0), ("02:00", 7.0)]))


def test_lateness_gate_reports_what_it_drops():
    config = _config(lateness="30m")
    # Partials as PartialMetricsFn emits them: (SeriesId, WindowPartial).
    series = SeriesId("n", None, None)
    on_time = (series, WindowPartial(0.0, H, [10], 10))
    too_late = (series, WindowPartial(0.0, H, [5], 5))
    still_open = (series, WindowPartial(2 * H, 3 * H, [7], 7))
    stream = (
        TestStream()
        .add_elements([TimestampedValue(on_time, H - 1)])
        .advance_watermark_to(3 * H)
        .add_elements([TimestampedValue(too_late, H - 1), TimestampedValue(still_open, 3 * H - 1)])
        .advance_watermark_to(DAY)
        .advance_watermark_to_infinity()
    )
    with _streaming_pipeline() as p:
        gated = (
            p
            | stream
            | beam.Map(lambda kv: (0, kv))
            | beam.ParDo(LatenessGateFn(config.window.allowed_lateness_seconds, H, "n")).with_outputs(
                TOO_LATE, main="on_time"
            )
        )
        assert_that(
            gated.on_time | "Kept" >> beam.Map(lambda kv: kv[1].records), equal_to([10, 7]), label="kept"
        )
        assert_that(
            gated[TOO_LATE],
            equal_to([TooLatePartial(series, 0.0, H, 5)]),
            label="dropped",
        )


@pytest.mark.parametrize(
    "mapping",
    [
        {
            "type": "likelihood",
            "warmup": 8,
            "average": 3,
            "history": 20,
            "threshold": 0.3,
            "detector": {"type": "ewma", "halflife": 8, "warmup": 3, "min_spread": 0.5},
        },
        {"type": "cusum", "history": 12, "warmup": 6, "threshold": 6, "min_spread": 0.5},
    ],
    ids=["likelihood", "cusum"],
)
def test_state_of_the_new_detectors_carries_across_firings_as_in_the_engine(mapping):
    from veilwatch.transforms.anomaly.base import Observation
    from veilwatch.transforms.anomaly.registry import build_detector

    counts = [10, 12, 11, 9, 10, 13, 11, 10, 12, 9, 11, 10, 12, 11, 10, 9, 11, 12, 30, 31, 29, 30, 32, 31]
    spec = parse_detector(mapping, "detector")
    engine, state, expected = build_detector(spec), None, []
    state = engine.initial_state()
    for hour, n in enumerate(counts):
        verdict, state = engine.observe(state, Observation(hour * H, (hour + 1) * H, float(n)))
        expected.append(
            (
                f"{hour:02d}:00",
                float(n),
                verdict.is_anomaly,
                None if verdict.score is None else round(verdict.score, 4),
            )
        )
    assert any(e[2] for e in expected)  # the jump at hour 18 is found by the engine
    stream = TestStream()
    for lo, hi in ((0, 7), (7, 15), (15, len(counts))):  # three firings: state goes through Beam between them
        stream = stream.add_elements([TimestampedValue(_records(h, counts[h]), h * H) for h in range(lo, hi)])
        stream = stream.advance_watermark_to(hi * H)
    stream = stream.advance_watermark_to(DAY * 2).advance_watermark_to_infinity()
    with _streaming_pipeline() as p:
        scores = (
            p | stream | ComputeWindowMetrics(_config()) | ScoreSeries("d", spec, H, {"n": MetricKind.COUNT})
        )
        assert_that(
            scores
            | beam.Map(lambda s: (s["window_start"][11:16], s["observed"], s["is_anomaly"], s["score"])),
            equal_to(expected),
        )
