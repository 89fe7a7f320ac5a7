"""A silent count window flags when many records were expected; partial windows are measured by coverage."""

from __future__ import annotations

import math

import pytest

from veilwatch.transforms.anomaly.base import Verdict
from veilwatch.transforms.anomaly.coverage import MIN_COVERAGE, window_coverage
from veilwatch.transforms.anomaly.silence import SILENT_EXPECTED, judge_silence

H = 3600.0


def _verdict(expected, score=-1.3, is_anomaly=False):
    return Verdict(0.0, expected, 225.0, score, 4.0, is_anomaly, "robust_zscore", "trailing 24 windows")


def test_zero_against_a_busy_baseline_is_anomalous_whatever_the_z_score():
    flagged = judge_silence(_verdict(283.0), observed=0.0)
    assert flagged.is_anomaly
    assert flagged.score == -1.3
    assert flagged.basis.endswith("silent window")
    assert math.exp(-SILENT_EXPECTED) < 1e-4


@pytest.mark.parametrize("expected, observed", [(None, 0.0), (SILENT_EXPECTED - 0.5, 0.0), (283.0, 1.0)])
def test_warm_up_a_quiet_baseline_or_any_record_is_not_silence(expected, observed):
    verdict = _verdict(expected)
    assert judge_silence(verdict, observed) is verdict


def test_coverage_of_first_last_and_whole_windows():
    extent = (0.5 * H, 10.4 * H)
    assert window_coverage(0, H, extent) == 0.5
    assert window_coverage(5 * H, 6 * H, extent) == 1.0
    assert window_coverage(10 * H, 11 * H, extent) == pytest.approx(0.4)
    assert window_coverage(12 * H, 13 * H, extent) == 0.0
    assert window_coverage(0, H, None) == 1.0
    assert window_coverage(10 * H, 11 * H, (0, 10.95 * H)) >= MIN_COVERAGE  # a whole window's last record


def test_a_series_is_filled_after_its_last_window_up_to_the_last_whole_window_of_the_input():
    from veilwatch.transforms.anomaly.score import zero_windows_after
    from veilwatch.transforms.metrics.window_metrics import WindowMetric

    last = WindowMetric("n", "shop", "a", 5 * H, 6 * H, 20.0)
    # the input ends at 9:54 (hour 9 is 90 % covered: whole) and at 9:53 (hour 9 partial)
    assert [(m.window_start / H, m.value) for m in zero_windows_after(last, H, (0.0, 9.9 * H))] == [
        (6.0, 0.0),
        (7.0, 0.0),
        (8.0, 0.0),
        (9.0, 0.0),
    ]
    assert [m.window_start / H for m in zero_windows_after(last, H, (0.0, 9.88 * H))] == [6.0, 7.0, 8.0]
    # sliding windows of 2 h every hour: [8, 10) is only half inside an input that ends at 9:00
    sliding = WindowMetric("n", None, None, 5 * H, 7 * H, 3.0)
    assert [(m.window_start / H, m.window_end / H) for m in zero_windows_after(sliding, H, (0.0, 9 * H))] == [
        (6.0, 8.0),
        (7.0, 9.0),
    ]
    assert zero_windows_after(last, H, None) == []
    assert zero_windows_after(last, H, (0.0, 6 * H)) == []
