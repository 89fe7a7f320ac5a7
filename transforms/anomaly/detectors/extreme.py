"""New extreme: a value beyond everything the series produced over a long memory, in bounded state.

The range gate of the "new level" member (``iqr`` with ``quantile: 0``: beyond
the minimum and maximum of the last ``history`` windows) keeps every window of
its history, so its memory costs one float per window and is short in
practice (1,152 windows, four days of 5-minute windows). A short memory
forgets a recurring extreme that comes back after it: a weekly batch job, or
a spike that recurs every few days, alerts again each time its previous
occurrence leaves the history (realAWSCloudwatch ec2_cpu_utilization_fe7f93,
ec2_network_in_5abac7, elb_request_count_8c0756: alarms 1,300-1,650 windows
after the same level was reached). Keeping only the extremes makes a long
memory cheap: the stream is cut into blocks of ``block`` windows and the
minimum and maximum of each of the last ``blocks`` full blocks are kept (plus
those of the block being filled), so the memory is ``block * blocks`` windows
(4,608 by default: 16 days of 5-minute windows, 48 days of 15-minute ones)
in ``2 * blocks + 3`` numbers. Forgetting is by whole blocks: a value is
remembered for between ``block * blocks`` and ``block * (blocks + 1) - 1`` windows.

The score is how far the value lies beyond the remembered range, in units of
that range (``(value - max) / (max - min)`` above it, ``(value - min) / (max -
min)`` below it, 0 inside it); a window flags when the score reaches
``threshold``: 0.05 = 5 % of the range beyond it (one of the 20 bins a range is
commonly cut into), so a recurring extreme that comes back a hair higher than
before is not new. A flat memory (max = min) scores any change as infinitely
far. The window is learnt after it is scored. Nothing flags before ``warmup``
windows. Windows are counted as they arrive (a gap in the stream does not
age the memory).

The verdict's expected value is the middle of the remembered range and its
spread the range. Use it gated with a z-score (an ``all`` ensemble), as the
"new level" member of benchmarks/nab_detector.yaml does, so a small drift past
an old extreme of a calm series does not alert.

State: ``{"n": int, "blocks": [[min, max], ...] (<= blocks pairs), "current":
[min, max, count] | None}``: at most ``2 * blocks + 3`` numbers, about
``43 * blocks`` bytes of JSON (1.4 kB at the default 32 blocks, measured on Gaussian noise).

    detector = Extreme(ExtremeParams(threshold=0.05, block=144, blocks=32))
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from veilwatch.transforms.anomaly.base import Detector, Direction, Observation, State, Verdict
from veilwatch.transforms.anomaly.params import bounded, is_deviation


@dataclass(frozen=True)
class ExtremeParams:
    """threshold: ranges beyond the remembered minimum or maximum at which a
    window flags (0 = any new extreme); block: windows per block whose minimum
    and maximum are kept; blocks: full blocks remembered (memory = block *
    blocks windows); warmup: windows seen before any flag; direction and
    min_abs_change: as in CommonParams (change from the middle of the range)."""

    threshold: float = bounded(
        0.05, min=0.0, help="ranges beyond the remembered range at which a window flags"
    )
    block: int = bounded(144, min=1, help="windows per block whose minimum and maximum are kept")
    blocks: int = bounded(32, min=1, max=1024, help="full blocks remembered")
    warmup: int = bounded(48, min=2, help="windows seen before any flag")
    direction: Direction = Direction.BOTH
    min_abs_change: float = bounded(0.0, min=0.0, help="smaller absolute changes never flag")


class Extreme(Detector):
    """Distance beyond the minimum and maximum of a long, block-wise memory."""

    name = "extreme"

    def __init__(self, params: ExtremeParams = ExtremeParams()):
        self.params = params

    def initial_state(self) -> State:
        return {"n": 0, "blocks": [], "current": None}

    def observe(self, state: State, obs: Observation) -> tuple[Verdict, State]:
        p = self.params
        blocks: list = state["blocks"]
        current = state["current"]
        n = state["n"]
        value = obs.value
        expected = spread = score = None
        is_anomaly = False
        bounds = remembered_range(blocks, current)
        if n >= p.warmup and bounds and math.isfinite(value):
            lo, hi = bounds
            expected, spread = (lo + hi) / 2, hi - lo
            beyond = value - hi if value > hi else (value - lo if value < lo else 0.0)
            if beyond == 0:
                score = 0.0
            elif spread > 0:
                score = beyond / spread
            else:
                score = math.copysign(math.inf, beyond)
            is_anomaly = is_deviation(score, value - expected, p.threshold, p.direction, p.min_abs_change)
        verdict = Verdict(
            value,
            expected,
            spread,
            score,
            p.threshold,
            is_anomaly,
            self.name,
            basis=f"range of the last {len(blocks) * p.block + (current[2] if current else 0)} windows",
        )
        return verdict, self._learn(state, value)

    def _learn(self, state: State, value: float) -> State:
        blocks, current = remember(
            state["blocks"], state["current"], value, self.params.block, self.params.blocks
        )
        return {"n": state["n"] + 1, "blocks": blocks, "current": current}


def remember(
    blocks: list, current: list | None, value: float, block: int, keep: int
) -> tuple[list, list | None]:
    """The block-wise memory after one more window: ``current`` ([min, max, count]) takes the value and,
    once it holds ``block`` windows, joins ``blocks`` (the last ``keep`` [min, max] pairs)."""
    if not math.isfinite(value):  # a non-finite value teaches no range
        return blocks, current
    if current is None:
        current = [value, value, 1]
    else:
        current = [min(current[0], value), max(current[1], value), current[2] + 1]
    if current[2] >= block:
        return (list(blocks) + [current[:2]])[-keep:], None
    return blocks, current


def remembered_range(blocks: list, current: list | None) -> tuple[float, float] | None:
    """(min, max) over the memory, None while it is empty."""
    bounds = list(blocks) + ([current[:2]] if current else [])
    if not bounds:
        return None
    return min(b[0] for b in bounds), max(b[1] for b in bounds)
