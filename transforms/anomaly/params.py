"""Parameters every detector shares, and the one rule that turns a score into a flag.

    rule = CommonParams(threshold=4.0, direction=Direction.UP, min_abs_change=5)
    flags(rule, score=4.5, change=12.0)      # True: 4.5 >= 4 sigma, 12 >= 5, upward
    flags(rule, score=-4.5, change=-12.0)    # False: downward

Each detector's params dataclass inherits :class:`CommonParams`, so
``threshold``, ``warmup``, ``direction``, ``min_abs_change`` and the spread
floors mean the same thing, and are validated the same way, for all of them.
Field metadata (``min``, ``max``, ``choices``, ``help``) drives validation in
:mod:`veilwatch.transforms.anomaly.registry`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from veilwatch.transforms.anomaly.base import Direction


def bounded(default, *, min=None, max=None, help=""):  # noqa: A002 - mirrors the metadata keys
    """A dataclass field whose bounds (inclusive) the registry checks."""
    return field(default=default, metadata={"min": min, "max": max, "help": help})


@dataclass(frozen=True)
class CommonParams:
    """threshold: |score| at or above which a window is anomalous (sigmas for
    z-score detectors, IQRs beyond the fence for ``iqr``); warmup: windows seen
    before any verdict may be an anomaly; direction: which side counts;
    min_abs_change: smaller absolute deviations from expected never flag;
    min_spread / min_relative_spread: floor of the spread, absolute and as a
    share of |expected| (whichever is larger), so a flat baseline does not turn
    every tiny wiggle into an infinite score."""

    threshold: float = bounded(4.0, min=0.0, help="score at or above which a window flags")
    warmup: int = bounded(8, min=0, help="windows seen before any flag")
    direction: Direction = Direction.BOTH
    min_abs_change: float = bounded(0.0, min=0.0, help="smaller absolute changes never flag")
    min_spread: float = bounded(1.0, min=0.0, help="absolute floor of the spread")
    min_relative_spread: float = bounded(0.05, min=0.0, help="floor of the spread as a share of |expected|")


def spread_floor(params: CommonParams, expected: float) -> float:
    """The smallest spread a detector may report around ``expected``."""
    return max(params.min_spread, params.min_relative_spread * abs(expected))


def z_score(value: float, expected: float, spread: float) -> float:
    """Signed deviation in spreads; a zero spread gives 0 for no change, else +/-inf."""
    change = value - expected
    if spread > 0:
        return change / spread
    if change == 0:
        return 0.0
    return math.copysign(math.inf, change)


def is_deviation(
    score: float, change: float, threshold: float, direction: Direction, min_abs_change: float
) -> bool:
    """Whether a signed score and absolute change cross the threshold in ``direction``."""
    if abs(change) < min_abs_change:
        return False
    direction = Direction(direction)
    if direction is Direction.UP:
        return score >= threshold
    if direction is Direction.DOWN:
        return score <= -threshold
    return abs(score) >= threshold


def flags(params: CommonParams, score: float, change: float) -> bool:
    """:func:`is_deviation` with the rule taken from ``params``."""
    return is_deviation(score, change, params.threshold, params.direction, params.min_abs_change)
