"""Bounded scoring with the input's extent: partial windows written unscored, count series that stop
early filled with zeros up to the input's last whole window, every other window scored.

The records below were those of the graph that split by coverage and added the silent tails in steps
of their own (SplitByCoverage, KeyCountSeries, LastWindowPerSeries, SilentTails) before the group by
series; the grouped scoring step now does both for each series it receives whole, and must give the
same records.
"""

from __future__ import annotations

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from veilwatch.transforms.anomaly.coverage import InputExtent
from veilwatch.transforms.anomaly.score import ScoreSeries
from veilwatch.transforms.config_loading.loader import parse_config
from veilwatch.transforms.elements import AnonymizedBatch
from veilwatch.transforms.metrics.window_metrics import ComputeWindowMetrics

pytestmark = pytest.mark.pipeline

H = 3600.0
CONFIG = parse_config(
    {
        "dataset": "d",
        "source": {"format": "jsonl", "path": "x"},
        "schema": {
            "fields": [
                {"name": "ts", "type": "timestamp"},
                {"name": "shop", "type": "string"},
                {"name": "amount", "type": "float"},
            ]
        },
        "event_time": {"field": "ts", "format": "epoch_seconds"},
        "windowing": {"type": "fixed", "size": "1h"},
        "metrics": [
            {"name": "n", "type": "count", "group_by": "shop"},
            {"name": "median_amount", "type": "quantile", "quantile": 0.5, "field": "amount"},
        ],
        "detector": {"type": "robust_zscore", "history": 6, "warmup": 2, "threshold": 3},
        "sinks": {"output_dir": "o"},
    }
)


def _batches() -> list[AnonymizedBatch]:
    """From 00:30 to 09:36 (hours 0 and 9 partial). Shop a stops after hour 4, shop c sends only in
    hour 0 (every one of its windows partial), shop b carries on; one record every 3 minutes a shop."""
    rows = []
    for hour in range(10):
        first, last = (30 if hour == 0 else 0), (37 if hour == 9 else 60)
        shops = ("b",) + (("a",) if hour <= 4 else ()) + (("c",) if hour == 0 else ())
        for shop in shops:
            rows += [(hour * H + m * 60.0, shop, 10.0 + hour + m / 10) for m in range(first, last, 3)]
    return [
        AnonymizedBatch(
            tuple({"ts": t, "shop": s, "amount": a} for t, s, a in rows), tuple(r[0] for r in rows)
        )
    ]


def _row(s) -> tuple:
    return (
        s["series_key"],
        s["window_start"][11:16],
        s["observed"],
        s["score"],
        s["is_anomaly"],
        s["alert"],
        s["explanation"][-36:] if s["score"] is None else None,
    )


# As the separate steps gave them (series, window, observed, score, anomaly, alert, an unscored one's note).
EXPECTED = [
    (
        "median_amount",
        "00:00",
        14.154581266892286,
        None,
        False,
        False,
        " 50% of this window (partial window)",
    ),
    (
        "median_amount",
        "01:00",
        13.599554063014542,
        None,
        False,
        False,
        "nt 13.6 in warm-up (no baseline yet)",
    ),
    (
        "median_amount",
        "02:00",
        14.732260330942578,
        None,
        False,
        False,
        "t 14.73 in warm-up (no baseline yet)",
    ),
    ("median_amount", "03:00", 15.64328372102874, 1.4774, False, False, None),
    ("median_amount", "04:00", 16.61064358621376, 1.3907, False, False, None),
    ("median_amount", "05:00", 17.637823699209854, 1.7595, False, False, None),
    ("median_amount", "06:00", 18.728523264601534, 2.1512, False, False, None),
    ("median_amount", "07:00", 19.886670240866188, 1.7455, False, False, None),
    ("median_amount", "08:00", 20.698288248859903, 1.5627, False, False, None),
    (
        "median_amount",
        "09:00",
        20.698288248859903,
        None,
        False,
        False,
        " 60% of this window (partial window)",
    ),
    ("n[shop=a]", "00:00", 10.0, None, False, False, " 50% of this window (partial window)"),
    ("n[shop=a]", "01:00", 20.0, None, False, False, "n 20 in warm-up (no baseline yet)"),
    ("n[shop=a]", "02:00", 20.0, None, False, False, "n 20 in warm-up (no baseline yet)"),
    ("n[shop=a]", "03:00", 20.0, 0.0, False, False, None),
    ("n[shop=a]", "04:00", 20.0, 0.0, False, False, None),
    ("n[shop=a]", "05:00", 0.0, -20.0, True, True, None),
    ("n[shop=a]", "06:00", 0.0, -3.9894, True, True, None),
    ("n[shop=a]", "07:00", 0.0, -2.3937, True, True, None),
    ("n[shop=a]", "08:00", 0.0, -0.6745, True, True, None),
    ("n[shop=b]", "00:00", 10.0, None, False, False, " 50% of this window (partial window)"),
    ("n[shop=b]", "01:00", 20.0, None, False, False, "n 20 in warm-up (no baseline yet)"),
    ("n[shop=b]", "02:00", 20.0, None, False, False, "n 20 in warm-up (no baseline yet)"),
    ("n[shop=b]", "03:00", 20.0, 0.0, False, False, None),
    ("n[shop=b]", "04:00", 20.0, 0.0, False, False, None),
    ("n[shop=b]", "05:00", 20.0, 0.0, False, False, None),
    ("n[shop=b]", "06:00", 20.0, 0.0, False, False, None),
    ("n[shop=b]", "07:00", 20.0, 0.0, False, False, None),
    ("n[shop=b]", "08:00", 20.0, 0.0, False, False, None),
    ("n[shop=b]", "09:00", 13.0, None, False, False, " 60% of this window (partial window)"),
    ("n[shop=c]", "00:00", 10.0, None, False, False, " 50% of this window (partial window)"),
    ("n[shop=c]", "01:00", 0.0, None, False, False, "n 0 in warm-up (no baseline yet)"),
    ("n[shop=c]", "02:00", 0.0, None, False, False, "n 0 in warm-up (no baseline yet)"),
    ("n[shop=c]", "03:00", 0.0, 0.0, False, False, None),
    ("n[shop=c]", "04:00", 0.0, 0.0, False, False, None),
    ("n[shop=c]", "05:00", 0.0, 0.0, False, False, None),
    ("n[shop=c]", "06:00", 0.0, 0.0, False, False, None),
    ("n[shop=c]", "07:00", 0.0, 0.0, False, False, None),
    ("n[shop=c]", "08:00", 0.0, 0.0, False, False, None),
]


def test_partial_windows_are_unscored_and_count_series_that_stop_early_are_filled_up_to_the_last_whole_window():
    with TestPipeline() as p:
        records = p | beam.Create(_batches())
        scores = (
            records | ComputeWindowMetrics(CONFIG) | ScoreSeries.for_config(CONFIG, records | InputExtent())
        )
        assert_that(scores | beam.Map(_row), equal_to(EXPECTED))


def test_the_split_and_the_tails_cost_no_step_of_their_own():
    # The runner pays per step and shuffle before any record (#15): key, group, score, nothing more.
    p = beam.Pipeline()
    records = p | beam.Create(_batches())
    _ = (
        records
        | ComputeWindowMetrics(CONFIG)
        | "Score" >> ScoreSeries.for_config(CONFIG, records | InputExtent())
    )
    transforms = p.to_runner_api().components.transforms.values()
    steps = sorted(
        t.unique_name for t in transforms if t.unique_name.startswith("Score/") and not t.subtransforms
    )
    assert steps == ["Score/GroupBySeries", "Score/KeyBySeries", "Score/ScoreInEventTimeOrder"]
