"""A feed that goes silent flags in batch and streaming; partly covered windows of a bounded input are not scored."""

from __future__ import annotations

import math

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.test_stream import TestStream
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms.window import TimestampedValue

from veilwatch.transforms.anomaly.coverage import InputExtent
from veilwatch.transforms.anomaly.registry import parse_detector
from veilwatch.transforms.anomaly.score import ScoreSeries
from veilwatch.transforms.config.model import MetricKind
from veilwatch.transforms.config_loading.loader import parse_config
from veilwatch.transforms.elements import AnonymizedBatch
from veilwatch.transforms.metrics.window_metrics import ComputeWindowMetrics

pytestmark = pytest.mark.pipeline

H = 3600.0
# The day-long trailing baseline discover proposes for short samples: a ramp is inside its spread.
WIDE = parse_detector({"type": "robust_zscore", "history": 24, "warmup": 24, "threshold": 4}, "detector")
CONFIG = parse_config(
    {
        "dataset": "d",
        "source": {"format": "jsonl", "path": "x"},
        "schema": {"fields": [{"name": "ts", "type": "timestamp"}]},
        "event_time": {"field": "ts", "format": "epoch_seconds"},
        "windowing": {"type": "fixed", "size": "1h"},
        "metrics": [{"name": "n", "type": "count"}],
        "sinks": {"output_dir": "o"},
    }
)


def _ramp(hour: int) -> int:
    return round(60 * (1 + 0.75 * math.sin(2 * math.pi * (hour - 10) / 24)))


def _records(hour: float, count: int, span: float = 1.0) -> AnonymizedBatch:
    times = tuple(hour * H + (i + 0.5) * (span * H / count) for i in range(count))
    return AnonymizedBatch(tuple({"ts": t} for t in times), times)


def _summary(scores):
    return scores | beam.Map(lambda s: (s["window_start"][11:16], s["observed"], s["is_anomaly"]))


SILENT = (32, 33)  # 08:00-10:00 on day 2, on the ramp: 0 records where about 60 were expected
EXPECTED_SILENCE = [("08:00", 0.0, True), ("09:00", 0.0, True)]


def test_a_silent_feed_flags_in_streaming_and_no_window_is_invented_after_the_input():
    stream = TestStream()
    for hour in range(36):
        if hour not in SILENT:
            stream = stream.add_elements([TimestampedValue(_records(hour, _ramp(hour)), hour * H)])
        stream = stream.advance_watermark_to((hour + 1) * H)
    stream = stream.advance_watermark_to(48 * H).advance_watermark_to_infinity()
    options = PipelineOptions()
    options.view_as(StandardOptions).streaming = True
    with TestPipeline(options=options) as p:
        scores = (
            p | stream | ComputeWindowMetrics(CONFIG) | ScoreSeries("d", WIDE, H, {"n": MetricKind.COUNT})
        )
        summary = _summary(scores)
        assert_that(
            summary | "Flagged" >> beam.Filter(lambda s: s[2]), equal_to(EXPECTED_SILENCE), label="flagged"
        )
        # hours 0..35 and nothing after day 2 11:00, though the watermark went on for another 12 hours
        assert_that(
            summary | "Hours" >> beam.Map(lambda s: s[0]),
            equal_to([f"{h % 24:02d}:00" for h in range(36)]),
            label="hours",
        )


def test_a_silent_feed_flags_in_batch_and_partial_first_and_last_windows_are_not_scored():
    # Records from about 00:30 to 11:24 on day 2 (first and last records half a spacing inside):
    # hour 0 is 49 % covered, the last hour 39 % (and holds 40 % of its records).
    batches = [_records(0.5, _ramp(0) // 2, span=0.5)]
    batches += [_records(h, _ramp(h)) for h in range(1, 35) if h not in SILENT]
    batches += [_records(35, round(_ramp(35) * 0.4), span=0.4)]
    with TestPipeline() as p:
        records = p | beam.Create(batches)
        scores = (
            records
            | ComputeWindowMetrics(CONFIG)
            | ScoreSeries("d", WIDE, H, {"n": MetricKind.COUNT}, extent=records | InputExtent())
        )
        assert_that(
            _summary(scores) | "Flagged" >> beam.Filter(lambda s: s[2]),
            equal_to(EXPECTED_SILENCE),
            label="flagged",
        )
        partial = scores | beam.Filter(lambda s: s["score"] is None and "partial window" in s["explanation"])
        assert_that(
            partial | beam.Map(lambda s: (s["window_start"][11:16], s["alert"], s["explanation"][-40:])),
            equal_to(
                [
                    ("00:00", False, "only 49% of this window (partial window)"),
                    ("11:00", False, "only 39% of this window (partial window)"),
                ]
            ),
            label="partial",
        )


def test_a_series_missing_from_a_window_scores_zero_and_flags_while_the_others_carry_on():
    config = parse_config(
        {
            "dataset": "d",
            "source": {"format": "jsonl", "path": "x"},
            "schema": {"fields": [{"name": "ts", "type": "timestamp"}, {"name": "shop", "type": "string"}]},
            "event_time": {"field": "ts", "format": "epoch_seconds"},
            "windowing": {"type": "fixed", "size": "1h"},
            "metrics": [{"name": "n_by_shop", "type": "count", "group_by": "shop"}],
            "sinks": {"output_dir": "o"},
        }
    )
    batches = []
    for hour in range(36):
        shops = ("a", "b") if hour != 30 else ("b",)  # shop a sends nothing in hour 30, b its usual 20
        times = tuple(hour * H + i * 60.0 for i in range(20 * len(shops)))
        batches.append(
            AnonymizedBatch(
                tuple({"ts": t, "shop": shops[i % len(shops)]} for i, t in enumerate(times)), times
            )
        )
    with TestPipeline() as p:
        scores = (
            p
            | beam.Create(batches)
            | ComputeWindowMetrics(config)
            | ScoreSeries("d", WIDE, H, {"n_by_shop": MetricKind.COUNT})
        )
        assert_that(
            scores
            | beam.Filter(lambda s: s["is_anomaly"])
            | beam.Map(lambda s: (s["series_key"], s["window_start"][11:16], s["observed"])),
            equal_to([("n_by_shop[shop=a]", "06:00", 0.0)]),
        )


SHOPS_CONFIG = parse_config(
    {
        "dataset": "d",
        "source": {"format": "jsonl", "path": "x"},
        "schema": {"fields": [{"name": "ts", "type": "timestamp"}, {"name": "shop", "type": "string"}]},
        "event_time": {"field": "ts", "format": "epoch_seconds"},
        "windowing": {"type": "fixed", "size": "1h"},
        "metrics": [{"name": "n_by_shop", "type": "count", "group_by": "shop"}],
        "sinks": {"output_dir": "o"},
    }
)
STOP = 28  # shop a sends its last record in hour 27 (after the warm-up) and nothing after; b carries on


def _shops_until(hours: int, last_minutes: int = 60) -> list[AnonymizedBatch]:
    """20 records an hour per shop, one a minute from :00 (a: until STOP), the last hour cut at ``last_minutes``."""
    batches = []
    for hour in range(hours):
        shops = ("a", "b") if hour < STOP else ("b",)
        minutes = last_minutes if hour == hours - 1 else 60
        rows = [(hour * H + i * 60.0, shop) for shop in shops for i in range(0, minutes, 3)]
        batches.append(
            AnonymizedBatch(tuple({"ts": t, "shop": s} for t, s in rows), tuple(t for t, _ in rows))
        )
    return batches


def test_a_series_that_stops_before_a_bounded_input_ends_is_flagged_and_the_ordinary_one_is_not():
    # The input runs to 39:39; hour 39 is 66 % covered (partial, not scored), so shop a is silent
    # from day 2 04:00 to 14:00 and those windows are scored as 0; shop b never alerts.
    with TestPipeline() as p:
        records = p | beam.Create(_shops_until(40, last_minutes=40))
        scores = (
            records
            | ComputeWindowMetrics(SHOPS_CONFIG)
            | ScoreSeries("d", WIDE, H, {"n_by_shop": MetricKind.COUNT}, extent=records | InputExtent())
        )
        windows = scores | beam.Map(
            lambda s: (
                s["series_key"][-2],
                s["window_start"][8:16],
                s["observed"],
                "partial window" not in s["explanation"],
            )
        )
        a_tail = [("a", f"{1 + h // 24:02d}T{h % 24:02d}:00", 0.0, True) for h in range(STOP, 39)]
        assert_that(
            windows | "ShopATail" >> beam.Filter(lambda w: w[0] == "a" and w[1] >= "02T04:00"),
            equal_to(a_tail),
            label="a_tail",
        )
        assert_that(
            windows | "ShopB" >> beam.Filter(lambda w: w[0] == "b") | beam.Map(lambda w: (w[1], w[3])),
            equal_to([(f"{1 + h // 24:02d}T{h % 24:02d}:00", h < 39) for h in range(40)]),
            label="b",
        )
        flagged = (
            scores
            | beam.Filter(lambda s: s["is_anomaly"])
            | beam.Map(lambda s: (s["series_key"], s["window_start"][8:16], s["observed"]))
        )
        assert_that(
            flagged
            | "FirstFlag" >> beam.combiners.Top.Of(1, key=lambda f: f[1], reverse=True)
            | beam.FlatMap(lambda top: top),
            equal_to([("n_by_shop[shop=a]", "02T04:00", 0.0)]),
            label="first_flag",
        )
        assert_that(
            flagged | "FlaggedSeries" >> beam.Map(lambda f: (f[0], f[2])) | beam.Distinct(),
            equal_to([("n_by_shop[shop=a]", 0.0)]),
            label="only_a_silence",
        )
