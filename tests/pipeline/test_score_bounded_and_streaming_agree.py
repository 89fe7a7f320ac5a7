"""ScoreSeries scores a bounded input (GroupByKey, ``ScoreGroupedFn``) exactly as its stateful path
(``ScoreSeriesFn``: state and a watermark timer) scores the same window metrics in streaming when the
watermark passes them all at once: the same records, counters included.

Both on the DirectRunner (whose streaming mode reports no counters: those are checked on the
batch run, against the records): a batch TestPipeline over ``beam.Create`` (bounded) and a streaming one over
a TestStream (unbounded) whose watermark jumps to the end after every metric is in.
"""

from __future__ import annotations

import json

import apache_beam as beam
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.test_stream import TestStream
from apache_beam.transforms.window import TimestampedValue

from veilwatch.transforms.anomaly.cooldown import Cooldown
from veilwatch.transforms.anomaly.registry import parse_detector
from veilwatch.transforms.anomaly.score import ScoreSeries
from veilwatch.transforms.config.model import MetricKind
from veilwatch.transforms.elements import WindowMetric

pytestmark = pytest.mark.pipeline

H = 3600.0
DETECTOR = parse_detector(
    {"type": "robust_zscore", "warmup": 5, "threshold": 4, "min_spread": 1.0}, "detector"
)
KINDS = {"n": MetricKind.COUNT, "n_by_shop": MetricKind.COUNT, "amount_mean": MetricKind.MEAN}


def _metrics() -> list[WindowMetric]:
    """Three series over 40 hours: an ungrouped count with silent hours and a spike, a grouped count
    (two shops, one with a gap), a mean with a gap (not filled: not a count); plus one window twice."""
    out = []
    for h in range(40):
        if h not in (17, 18):  # silent: filled with zeros, anomalous drops
            out.append(WindowMetric("n", None, None, h * H, (h + 1) * H, 400.0 if h == 30 else 100.0 + h % 3))
        out.append(WindowMetric("n_by_shop", "shop", "a", h * H, (h + 1) * H, 50.0 + h % 2))
        if h not in range(10, 14):
            out.append(WindowMetric("n_by_shop", "shop", "b", h * H, (h + 1) * H, 20.0 + h % 4))
        if h != 25:
            out.append(WindowMetric("amount_mean", None, None, h * H, (h + 1) * H, 9.5 + (h % 5) / 10))
    # a window of shop a's series twice: the second is behind the series (late) in both paths
    out.append(WindowMetric("n_by_shop", "shop", "a", 20 * H, 21 * H, 51.0))
    out.reverse()  # not in event-time order
    return out


_SEEN: dict[str, list[dict]] = {"bounded": [], "stateful": []}


def _keep(record: dict, name: str) -> None:
    """Collects the scored records (the DirectRunner runs in this process; no ToList: a global
    combine is refused on an unbounded input in the global window)."""
    _SEEN[name].append(record)


def _counters(result) -> dict[str, int]:
    query = result.metrics().query(MetricsFilter().with_namespace("veilwatch"))
    return {c.key.metric.name: c.attempted for c in query["counters"]}


def _as_text(record: dict) -> str:
    return json.dumps(record, sort_keys=True)


def _score(p: beam.Pipeline, metrics: beam.PCollection, name: str) -> dict[str, int]:
    scored = metrics | ScoreSeries("d", DETECTOR, H, KINDS, Cooldown(windows=3))
    _ = scored | beam.Map(_keep, name)
    result = p.run()
    result.wait_until_finish()
    return _counters(result)


def test_a_bounded_input_is_scored_as_the_stateful_path_scores_it():
    metrics = _metrics()
    for seen in _SEEN.values():
        seen.clear()
    batch = TestPipeline()
    bounded = batch | beam.Create(metrics)
    assert bounded.is_bounded
    batch_counters = _score(batch, bounded, "bounded")

    options = PipelineOptions()
    options.view_as(StandardOptions).streaming = True
    streaming = TestPipeline(options=options)
    stream = TestStream().add_elements([TimestampedValue(m, m.window_end - 1) for m in metrics])
    unbounded = streaming | stream.advance_watermark_to_infinity()
    assert not unbounded.is_bounded
    stream_counters = _score(streaming, unbounded, "stateful")

    records = sorted(_SEEN["bounded"], key=_as_text)
    assert records == sorted(_SEEN["stateful"], key=_as_text)
    # the streaming DirectRunner does not report counters: the batch ones against the records
    assert stream_counters == {} or stream_counters == batch_counters
    # every window scored, the 2 silent hours and shop b's 4 as zeros, the mean's gap not filled
    assert len(records) == len(metrics) + 2 + 4 == 38 + 40 + 36 + 39 + 1 + 2 + 4
    zeros = [(r["series_key"], r["window_start"][11:13]) for r in records if r["observed"] == 0.0]
    assert len(zeros) == 6 and {k for k, _ in zeros} == {"n", "n_by_shop[shop=b]"}, zeros
    assert batch_counters["late_windows"] == 1
    assert batch_counters["windows_scored"] == len(records)
    assert batch_counters["windows_flagged"] == sum(r["is_anomaly"] for r in records)
    assert batch_counters["alerts"] == sum(r["alert"] for r in records)
    twice = [
        r["expected"]
        for r in records
        if r["series_key"] == "n_by_shop[shop=a]" and r["window_start"][8:13] == "01T20"
    ]
    assert len(twice) == 2 and twice[0] != twice[1]  # on time and late: different baselines
    anomalies = [(r["series_key"], r["window_start"][8:13], r["alert"]) for r in records if r["is_anomaly"]]
    assert ("n", "02T06", True) in anomalies  # hour 30's spike
    assert len(anomalies) >= 3, anomalies
    assert any(not alert for _, _, alert in anomalies)  # one held back by the cooldown
