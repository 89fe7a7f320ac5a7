import math

import pytest

from tests.unit.anomaly.helpers import obs, run
from veilwatch.transforms.anomaly.base import Direction
from veilwatch.transforms.anomaly.detectors.robust_zscore import RobustZScore, RobustZScoreParams

# No spread floor, so the arithmetic below is the detector's, unfloored.
P = dict(threshold=3.0, history=5, warmup=3, min_spread=0.0, min_relative_spread=0.0)


def test_warmup_produces_no_verdict_even_for_huge_values():
    verdicts, _ = run(RobustZScore(RobustZScoreParams(**P)), [obs(0, 10), obs(1, 1e9), obs(2, -1e9)])
    assert [v.is_anomaly for v in verdicts] == [False, False, False]
    assert [v.expected for v in verdicts] == [None, None, None]
    assert [v.score for v in verdicts] == [None, None, None]


def test_spike_after_warmup_is_scored_against_median_and_mad():
    # history 10, 12, 11: median 11, |deviations| 1, 1, 0 -> MAD 1 -> spread 1.4826
    # value 20: score (20 - 11) / 1.4826 = 6.0704 >= 3
    verdicts, state = run(
        RobustZScore(RobustZScoreParams(**P)), [obs(0, 10), obs(1, 12), obs(2, 11), obs(3, 20)]
    )
    v = verdicts[-1]
    assert (v.expected, v.spread) == (11, pytest.approx(1.4826))
    assert v.score == pytest.approx(9 / 1.4826)
    assert v.is_anomaly
    assert v.basis == "trailing 3 windows"
    assert state == {"history": [10, 12, 11, 20]}


def test_history_keeps_the_last_n_windows():
    _, state = run(RobustZScore(RobustZScoreParams(**P)), [obs(i, i) for i in range(8)])
    assert state["history"] == [3, 4, 5, 6, 7]


@pytest.mark.parametrize(
    "direction, value, flagged",
    [
        (Direction.UP, 20, True),
        (Direction.UP, 2, False),  # 2: (2 - 11) / 1.4826 = -6.07
        (Direction.DOWN, 20, False),
        (Direction.DOWN, 2, True),
        (Direction.BOTH, 20, True),
        (Direction.BOTH, 2, True),
    ],
)
def test_direction_filters_the_side(direction, value, flagged):
    d = RobustZScore(RobustZScoreParams(**P, direction=direction))
    verdicts, _ = run(d, [obs(0, 10), obs(1, 12), obs(2, 11), obs(3, value)])
    assert verdicts[-1].is_anomaly is flagged


def test_min_abs_change_suppresses_small_but_many_sigma_changes():
    # change 20 - 11 = 9 is 6 sigma but below min_abs_change 10; 22 - 11 = 11 is not
    d = RobustZScore(RobustZScoreParams(**P, min_abs_change=10))
    small, _ = run(d, [obs(0, 10), obs(1, 12), obs(2, 11), obs(3, 20)])
    large, _ = run(d, [obs(0, 10), obs(1, 12), obs(2, 11), obs(3, 22)])
    assert not small[-1].is_anomaly
    assert large[-1].is_anomaly


def test_zero_mad_falls_back_to_mean_absolute_deviation():
    # history 5, 5, 5, 8: median 5, |deviations| 0, 0, 0, 3 -> MAD 0;
    # mean absolute deviation 0.75 -> spread sqrt(pi/2) * 0.75 = 0.93999
    verdicts, _ = run(
        RobustZScore(RobustZScoreParams(**P)), [obs(i, v) for i, v in enumerate([5, 5, 5, 8, 9])]
    )
    assert verdicts[-1].spread == pytest.approx(math.sqrt(math.pi / 2) * 0.75)


def test_spread_floor_is_the_larger_of_absolute_and_relative():
    # flat history 100: spread 0, floored to max(1.0, 0.05 * 100) = 5; 112 -> 12 / 5 = 2.4 sigma
    d = RobustZScore(RobustZScoreParams(threshold=3, warmup=3))
    verdicts, _ = run(d, [obs(i, v) for i, v in enumerate([100, 100, 100, 112])])
    assert verdicts[-1].spread == 5.0
    assert verdicts[-1].score == pytest.approx(2.4)
    assert not verdicts[-1].is_anomaly
