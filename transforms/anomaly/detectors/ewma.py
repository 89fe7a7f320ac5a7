"""EWMA z-score: exponentially weighted mean and variance, updated per window.

The weight of a new window is ``alpha`` (or ``1 - 0.5 ** (1 / halflife)`` when a
half-life in windows is given). While fewer than ``1 / alpha`` windows have been
seen the weight is ``1 / n`` instead (a plain running mean), so early
estimates are not biased toward the first value. A gap of k window lengths
decays the old baseline as k steps would: weight ``1 - (1 - alpha) ** k``.
``clip`` (sigmas, 0 = off) limits how far one window may pull the baseline, so
a spike does not inflate the variance that should expose the next one.

    detector = Ewma(EwmaParams(halflife=24, threshold=4))
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from veilwatch.transforms.anomaly.base import Detector, Observation, State, Verdict
from veilwatch.transforms.anomaly.params import CommonParams, bounded, flags, spread_floor, z_score
from veilwatch.transforms.anomaly.stats import ewm_update


@dataclass(frozen=True)
class EwmaParams(CommonParams):
    """alpha: weight of the newest window; halflife: windows after which a
    window's weight halves (overrides alpha when > 0); clip: sigmas beyond
    which a value is clipped before it updates the baseline (0 = never)."""

    alpha: float = bounded(0.1, min=1e-6, max=1.0, help="weight of the newest window")
    halflife: float = bounded(0.0, min=0.0, help="half-life in windows; overrides alpha when > 0")
    clip: float = bounded(0.0, min=0.0, help="clip updates at this many sigmas (0 = off)")

    @property
    def weight(self) -> float:
        return 1 - 0.5 ** (1 / self.halflife) if self.halflife > 0 else self.alpha


class Ewma(Detector):
    """Z-score against an exponentially weighted mean and variance."""

    name = "ewma"

    def __init__(self, params: EwmaParams = EwmaParams()):
        self.params = params

    def initial_state(self) -> State:
        return {"n": 0, "mean": 0.0, "var": 0.0, "last_start": None}

    def observe(self, state: State, obs: Observation) -> tuple[Verdict, State]:
        p = self.params
        n, mean, var = state["n"], state["mean"], state["var"]
        expected = spread = score = None
        is_anomaly = False
        if n and n >= p.warmup:
            expected = mean
            spread = max(math.sqrt(var), spread_floor(p, mean))
            score = z_score(obs.value, mean, spread)
            is_anomaly = flags(p, score, obs.value - mean)
        verdict = Verdict(
            obs.value,
            expected,
            spread,
            score,
            p.threshold,
            is_anomaly,
            self.name,
            basis=f"EWMA half-life {_halflife(p.weight):.3g} windows",
        )
        return verdict, self._update(state, obs)

    def _update(self, state: State, obs: Observation) -> State:
        p = self.params
        n, mean, var = state["n"], state["mean"], state["var"]
        steps = _steps(state["last_start"], obs)
        weight = 1 - (1 - p.weight) ** steps
        weight = max(weight, 1 / (n + 1))  # running mean until the EWMA horizon is filled
        value = obs.value
        if p.clip > 0 and n >= max(p.warmup, 2):
            bound = p.clip * max(math.sqrt(var), spread_floor(p, mean))
            value = min(max(value, mean - bound), mean + bound)
        mean, var = ewm_update(mean, var, value, weight)
        return {"n": n + 1, "mean": mean, "var": var, "last_start": obs.window_start}


def _steps(last_start: float | None, obs: Observation) -> float:
    """Window lengths since the previous window (1 without a gap)."""
    length = obs.window_end - obs.window_start
    if last_start is None or length <= 0:
        return 1.0
    return max(1.0, (obs.window_start - last_start) / length)


def _halflife(weight: float) -> float:
    return math.inf if weight <= 0 else (math.log(0.5) / math.log(1 - weight) if weight < 1 else 0.0)
