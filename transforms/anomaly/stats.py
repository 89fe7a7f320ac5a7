"""Small robust statistics shared by the detectors (pure Python, no numpy).

median([3, 1, 2])                 # 2
quantile([1, 2, 3, 4], 0.25)      # 1.75 (linear interpolation, as numpy's default)
robust_sigma([1, 2, 3, 4, 100])   # 1.4826 * MAD = 1.4826 * 1 = 1.4826
ewm_update(10.0, 4.0, 12.0, 0.5)  # (11.0, 3.0): exponentially weighted mean and variance
"""

from __future__ import annotations

import math
from collections.abc import Sequence

# 1.4826 * MAD estimates the standard deviation of normally distributed data.
MAD_TO_SIGMA = 1.4826
# sqrt(pi / 2) * mean absolute deviation estimates it too; used when MAD is 0
# (more than half the values equal the median, e.g. a mostly idle counter).
MEAN_AD_TO_SIGMA = math.sqrt(math.pi / 2)


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def quantile(values: Sequence[float], q: float) -> float:
    """The q-quantile with linear interpolation between order statistics."""
    if q <= 0:
        return min(values)
    if q >= 1:
        return max(values)
    return sorted_quantile(sorted(values), q)


def sorted_quantile(ordered: Sequence[float], q: float) -> float:
    """:func:`quantile` of values already sorted ascending."""
    pos = (len(ordered) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def robust_sigma(values: Sequence[float], center: float | None = None) -> float:
    """Standard deviation estimated from the MAD, or from the mean absolute
    deviation when the MAD is 0; 0 only when every value equals the center."""
    if center is None:
        center = median(values)
    deviations = [abs(v - center) for v in values]
    mad = median(deviations)
    if mad > 0:
        return MAD_TO_SIGMA * mad
    return MEAN_AD_TO_SIGMA * sum(deviations) / len(deviations)


# The 95th percentile of |x - center| is 1.96 sigma for normally distributed data.
_Q95_TO_SIGMA = 1 / 1.959964


def tail_sigma(values: Sequence[float], center: float | None = None) -> float:
    """Standard deviation estimated from the 95th percentile of absolute
    deviations: equals sigma for normal data and grows with heavy tails, e.g.
    a metric that flips between two levels a fifth of the time (its MAD sees
    only the common level and would call every flip many sigmas). Never less
    than :func:`robust_sigma`."""
    if center is None:
        center = median(values)
    deviations = sorted(abs(v - center) for v in values)
    mad = sorted_quantile(deviations, 0.5)
    sigma = MAD_TO_SIGMA * mad if mad > 0 else MEAN_AD_TO_SIGMA * sum(deviations) / len(deviations)
    return max(sigma, sorted_quantile(deviations, 0.95) * _Q95_TO_SIGMA)


def ewm_update(mean: float, var: float, value: float, weight: float) -> tuple[float, float]:
    """Exponentially weighted mean and variance after one more value of weight ``weight``."""
    diff = value - mean
    return mean + weight * diff, (1 - weight) * (var + weight * diff * diff)
