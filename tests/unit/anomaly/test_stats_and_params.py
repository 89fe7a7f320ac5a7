import math

import pytest

from veilwatch.transforms.anomaly.base import Direction
from veilwatch.transforms.anomaly.detectors.robust_zscore import is_deviation as legacy_is_deviation
from veilwatch.transforms.anomaly.params import CommonParams, flags, is_deviation, spread_floor, z_score
from veilwatch.transforms.anomaly.stats import median, quantile, robust_sigma, tail_sigma


def test_quantiles_and_medians():
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 3, 2]) == 2.5
    assert quantile([1, 2, 3, 4], 0.25) == 1.75  # position 0.75 between 1 and 2
    assert quantile([5, 1, 9], 0) == 1
    assert quantile([5, 1, 9], 1) == 9


def test_robust_and_tail_sigma():
    # 1..4, 100: median 3, |deviations| 2, 1, 0, 1, 97 -> MAD 1 -> 1.4826
    assert robust_sigma([1, 2, 3, 4, 100]) == pytest.approx(1.4826)
    # ten values, two at 2 (a 20 % flip between levels 0 and 2): MAD 0,
    # mean abs deviation 0.4 -> 0.501; 95th percentile of |deviations| 2 -> 2 / 1.96 = 1.020
    flips = [0] * 8 + [2] * 2
    assert robust_sigma(flips) == pytest.approx(math.sqrt(math.pi / 2) * 0.4)
    assert tail_sigma(flips) == pytest.approx(2 / 1.959964)
    assert robust_sigma([7, 7, 7]) == 0 == tail_sigma([7, 7, 7])


def test_flag_rule_and_floor():
    p = CommonParams(threshold=4, direction=Direction.UP, min_abs_change=5)
    assert flags(p, 4.5, 12)
    assert not flags(p, -4.5, -12)
    assert not flags(p, 4.5, 4)
    assert is_deviation(-4, -1, 4, Direction.BOTH, 0)
    assert legacy_is_deviation is is_deviation
    assert is_deviation(-4, -1, 4, "down", 0)
    assert spread_floor(CommonParams(), 100) == 5.0
    assert spread_floor(CommonParams(), 3) == 1.0
    assert z_score(5, 5, 0) == 0
    assert z_score(6, 5, 0) == math.inf
    assert z_score(4, 5, 0) == -math.inf
