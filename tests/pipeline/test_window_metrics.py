"""ComputeWindowMetrics and ScoreSeries on hand-made batches (TestPipeline, DirectRunner)."""

from __future__ import annotations

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from veilwatch.transforms.anomaly.registry import parse_detector
from veilwatch.transforms.anomaly.score import ScoreSeries
from veilwatch.transforms.config.model import MetricKind
from veilwatch.transforms.config_loading.loader import parse_config
from veilwatch.transforms.elements import AnonymizedBatch
from veilwatch.transforms.metrics.window_metrics import ComputeWindowMetrics, WindowMetric

pytestmark = pytest.mark.pipeline

H = 3600.0


def _config(windowing):
    return parse_config(
        {
            "dataset": "d",
            "source": {"format": "jsonl", "path": "x"},
            "schema": {"fields": [{"name": "ts", "type": "timestamp"}, {"name": "shop", "type": "string"}]},
            "event_time": {"field": "ts", "format": "epoch_seconds"},
            "windowing": windowing,
            "metrics": [
                {"name": "n", "type": "count"},
                {"name": "n_by_shop", "type": "count", "group_by": "shop"},
            ],
            "sinks": {"output_dir": "o"},
        }
    )


def _batch(*pairs):
    return AnonymizedBatch(tuple({"ts": t, "shop": s} for t, s in pairs), tuple(float(t) for t, _ in pairs))


def test_partials_from_several_batches_merge_per_window():
    config = _config({"type": "fixed", "size": "1h"})
    # Window [0h,1h): a, a, b (two batches); window [2h,3h): b.
    batches = [_batch((10, "a"), (20, "b")), _batch((3599, "a"), (2 * H + 5, "b"))]
    with TestPipeline() as p:
        metrics = p | beam.Create(batches) | ComputeWindowMetrics(config)
        assert_that(
            metrics,
            equal_to(
                [
                    WindowMetric("n", None, None, 0, H, 3),
                    WindowMetric("n", None, None, 2 * H, 3 * H, 1),
                    WindowMetric("n_by_shop", "shop", "a", 0, H, 2),
                    WindowMetric("n_by_shop", "shop", "b", 0, H, 1),
                    WindowMetric("n_by_shop", "shop", "b", 2 * H, 3 * H, 1),
                ]
            ),
        )


def test_sliding_windows_count_a_record_in_every_window_it_falls_in():
    config = _config({"type": "sliding", "size": "1h", "period": "30m"})
    # t=40m lies in [0,60m) and [30m,90m); t=70m in [30m,90m) and [60m,120m).
    with TestPipeline() as p:
        metrics = (
            p
            | beam.Create([_batch((2400, "a"), (4200, "a"))])
            | ComputeWindowMetrics(config)
            | beam.Filter(lambda m: m.group_by is None)
        )
        assert_that(
            metrics,
            equal_to(
                [
                    WindowMetric("n", None, None, 0, H, 1),
                    WindowMetric("n", None, None, 1800, 5400, 2),
                    WindowMetric("n", None, None, H, 2 * H, 1),
                ]
            ),
        )


def test_silent_windows_are_scored_as_zero_and_flagged():
    # 30 hours of 100 records, then nothing for hour 30 and 31, then 100 again at hour 32.
    metrics = [WindowMetric("n", None, None, h * H, (h + 1) * H, 100 + (h % 3)) for h in range(30)]
    metrics.append(WindowMetric("n", None, None, 32 * H, 33 * H, 100))
    spec = parse_detector({"type": "robust_zscore", "warmup": 10, "threshold": 4}, "detector")
    with TestPipeline() as p:
        scores = p | beam.Create(metrics) | ScoreSeries("d", spec, H, {"n": MetricKind.COUNT})
        flagged = (
            scores
            | beam.Filter(lambda s: s["is_anomaly"])
            | beam.Map(lambda s: (s["window_start"], s["observed"]))
        )
        assert_that(flagged, equal_to([("1970-01-02T06:00:00Z", 0.0), ("1970-01-02T07:00:00Z", 0.0)]))


def test_cooldown_keeps_anomalies_but_holds_back_repeated_alerts():
    from veilwatch.transforms.anomaly.cooldown import Cooldown

    # 20 calm hours of 100, then three hours of 400: all anomalous, only the first alerts.
    metrics = [WindowMetric("n", None, None, h * H, (h + 1) * H, 100 + (h % 2)) for h in range(20)]
    metrics += [WindowMetric("n", None, None, h * H, (h + 1) * H, 400) for h in (20, 21, 22)]
    spec = parse_detector({"type": "robust_zscore", "warmup": 10, "threshold": 4}, "detector")
    with TestPipeline() as p:
        scores = (
            p
            | beam.Create(metrics)
            | ScoreSeries("d", spec, H, {"n": MetricKind.COUNT}, Cooldown(windows=5))
            | beam.Filter(lambda s: s["is_anomaly"])
            | beam.Map(lambda s: (s["window_start"][11:16], s["alert"]))
        )
        assert_that(scores, equal_to([("20:00", True), ("21:00", False), ("22:00", False)]))


def test_session_windows_merge_fragments_across_batches_per_series():
    config = _config({"type": "sessions", "gap": "10m"})
    # shop a: 0s, 300s (batch 1) and 700s (batch 2) -> one session [0, 1300); then 5000s -> [5000, 5600).
    # shop b: 100s -> [100, 700).
    batches = [_batch((0, "a"), (300, "a"), (100, "b")), _batch((700, "a"), (5000, "a"))]
    with TestPipeline() as p:
        metrics = (
            p
            | beam.Create(batches)
            | ComputeWindowMetrics(config)
            | beam.Filter(lambda m: m.group_by is not None)
        )
        assert_that(
            metrics,
            equal_to(
                [
                    WindowMetric("n_by_shop", "shop", "a", 0, 1300, 3),
                    WindowMetric("n_by_shop", "shop", "a", 5000, 5600, 1),
                    WindowMetric("n_by_shop", "shop", "b", 100, 700, 1),
                ]
            ),
        )


def test_group_values_and_heavy_hitter_details_are_scrubbed_like_the_tfdv_top_values():
    config = parse_config(
        {
            "dataset": "d",
            "source": {"format": "jsonl", "path": "x"},
            "schema": {"fields": [{"name": "ts", "type": "timestamp"}, {"name": "shop", "type": "string"}]},
            "event_time": {"field": "ts", "format": "epoch_seconds"},
            "windowing": {"type": "fixed", "size": "1h"},
            "metrics": [
                {"name": "n_by_shop", "type": "count", "group_by": "shop"},
                {"name": "top_shop", "type": "heavy_hitter", "field": "shop"},
            ],
            "pii": {"detection": {"use_ner": False}},
            "sinks": {"output_dir": "o"},
        }
    )
    # window [0h,1h): two different emails (one series, as both read [EMAIL_ADDRESS]) and "web"
    batch = _batch(
        (10, "jane.roe@leakmail.com"),
        (20, "orders via joe@mail.example.com"),
        (30, "web"),
        (40, "jane.roe@leakmail.com"),
    )
    with TestPipeline() as p:
        metrics = p | beam.Create([batch]) | ComputeWindowMetrics(config)
        assert_that(
            metrics,
            equal_to(
                [
                    WindowMetric("n_by_shop", "shop", "[EMAIL_ADDRESS]", 0, H, 2),
                    WindowMetric("n_by_shop", "shop", "orders via [EMAIL_ADDRESS]", 0, H, 1),
                    WindowMetric("n_by_shop", "shop", "web", 0, H, 1),
                    WindowMetric("top_shop", None, None, 0, H, 2, "[EMAIL_ADDRESS]"),
                ]
            ),
        )


def _shop_config(shop_transformation):
    return parse_config(
        {
            "dataset": "d",
            "source": {"format": "jsonl", "path": "x"},
            "schema": {"fields": [{"name": "ts", "type": "timestamp"}, {"name": "shop", "type": "string"}]},
            "event_time": {"field": "ts", "format": "epoch_seconds"},
            "windowing": {"type": "fixed", "size": "1h"},
            "metrics": [
                {"name": "n_by_shop", "type": "count", "group_by": "shop"},
                {"name": "top_shop", "type": "heavy_hitter", "field": "shop"},
            ],
            "pii": {
                "fields": [
                    {"path": "shop", "info_type": "GENERIC_ID", "transformation": shop_transformation}
                ],
                "detection": {"use_ner": False},
            },
            "sinks": {"output_dir": "o"},
        }
    )


def test_values_of_an_opaque_declared_field_are_written_whole_others_still_scrubbed():
    """A tokenized or hashed field's anonymized values hold nothing of the raw value
    (``opaque_fields``): they name series and heavy hitters as they are, never cut apart by a scan
    (here a value that would scan as an email stands for a token, to show it is not scanned).
    A field masked in part keeps some of its text: scanned as before."""
    batch = _batch((10, "tok:jane.roe@leakmail.com"), (20, "tok:jane.roe@leakmail.com"), (30, "web"))
    hashed = _shop_config({"cryptoHashConfig": {"cryptoKey": {"transient": {"name": "k"}}}})
    masked = _shop_config({"characterMaskConfig": {"maskingCharacter": "#", "numberToMask": 2}})
    with TestPipeline() as p:
        whole = p | "Hashed" >> beam.Create([batch]) | "HashedMetrics" >> ComputeWindowMetrics(hashed)
        scrubbed = p | "Masked" >> beam.Create([batch]) | "MaskedMetrics" >> ComputeWindowMetrics(masked)
        assert_that(
            whole,
            equal_to(
                [
                    WindowMetric("n_by_shop", "shop", "tok:jane.roe@leakmail.com", 0, H, 2),
                    WindowMetric("n_by_shop", "shop", "web", 0, H, 1),
                    WindowMetric("top_shop", None, None, 0, H, 2, "tok:jane.roe@leakmail.com"),
                ]
            ),
            label="whole",
        )
        assert_that(
            scrubbed,
            equal_to(
                [
                    WindowMetric("n_by_shop", "shop", "tok:[EMAIL_ADDRESS]", 0, H, 2),
                    WindowMetric("n_by_shop", "shop", "web", 0, H, 1),
                    WindowMetric("top_shop", None, None, 0, H, 2, "tok:[EMAIL_ADDRESS]"),
                ]
            ),
            label="scrubbed",
        )
