"""Quantised levels of a series: a value range learnt once, then a fixed grid of steps over it.

NAB's contextOSE and relative-entropy detectors quantise every value into a
few bins between the file's minimum and maximum, which they are given before
the first record. A stream has no such look-ahead, so the range here is the
minimum and maximum of the series' first ``warmup`` windows; after that the
grid is fixed: ``levels`` equal steps span the learnt range and the grid goes
on beyond it, so a value outside everything seen while learning gets a level
below 0 or at/above ``levels`` (a "new range", HTM's encoders' overflow),
and a value far outside gets a level further out. Levels are clipped to
``[-levels * OUTER, levels * (OUTER + 1) - 1]`` so the set of levels, and the
contexts built from them, stay bounded. A flat learning range (max = min) gets
a step of 1e-6 of the value (or 1e-9), so any change is a level far away.
A non-finite value is not learnt; it gets a clip level (NaN the top one).

State: ``{"n": int, "lo": float | None, "hi": float | None}``.
"""

from __future__ import annotations

import math

# Levels go this many ranges beyond the learnt range on each side, then clip.
OUTER = 4


def initial_range() -> dict:
    return {"n": 0, "lo": None, "hi": None}


def learn(rng: dict, value: float, warmup: int) -> dict:
    """The range after one more window (unchanged once ``warmup`` windows are learnt)."""
    if rng["n"] >= warmup or not math.isfinite(value):  # a non-finite value teaches no range
        return rng
    lo = value if rng["lo"] is None else min(rng["lo"], value)
    hi = value if rng["hi"] is None else max(rng["hi"], value)
    return {"n": rng["n"] + 1, "lo": lo, "hi": hi}


def is_learnt(rng: dict, warmup: int) -> bool:
    return rng["n"] >= warmup and rng["lo"] is not None


def level(rng: dict, value: float, levels: int) -> int:
    """The value's level on the grid of ``levels`` steps over the learnt range."""
    lo, hi = rng["lo"], rng["hi"]
    if not math.isfinite(value):  # infinities at the clip levels; NaN at the top one (never in range)
        return -levels * OUTER if value == -math.inf else levels * (OUTER + 1) - 1
    step = (hi - lo) / levels if hi > lo else max(abs(lo) * 1e-6, 1e-9)
    raw = math.floor((value - lo) / step)
    if hi > lo and value == hi:
        raw = levels - 1
    return max(-levels * OUTER, min(levels * (OUTER + 1) - 1, raw))
