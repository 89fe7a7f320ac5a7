"""Interquartile-range fences on a trailing history (Tukey's fences).

With Q1, Q3 the quartiles of the last ``history`` windows and IQR = Q3 - Q1,
the score is how far the value lies beyond the nearer fence, in IQRs:
``(value - Q3) / IQR`` above Q3, ``(value - Q1) / IQR`` below Q1, 0 between.
``threshold`` is Tukey's k: 1.5 flags "outliers", 3 "far out" values. The IQR
is floored like the other detectors' spreads (see CommonParams).
``quantile`` moves the fences: 0.25 is Tukey's (Q1, Q3); 0.05 uses the 5th and
95th percentiles; 0 the trailing minimum and maximum, so only values never
seen in the history (by ``threshold`` ranges) flag, never a recurring spike.

    detector = Iqr(IqrParams(threshold=3, history=96))
"""

from __future__ import annotations

from dataclasses import dataclass

from veilwatch.transforms.anomaly.base import Detector, Observation, State, Verdict
from veilwatch.transforms.anomaly.params import CommonParams, bounded, flags, spread_floor, z_score
from veilwatch.transforms.anomaly.stats import sorted_quantile


@dataclass(frozen=True)
class IqrParams(CommonParams):
    """threshold: Tukey's k (IQRs beyond the quartiles); history: trailing
    windows; quantile: the lower fence's quantile (upper: 1 - quantile)."""

    threshold: float = bounded(3.0, min=0.0, help="IQRs beyond Q1/Q3 at which a window flags")
    history: int = bounded(48, min=4, help="trailing windows in the baseline")
    quantile: float = bounded(0.25, min=0.0, max=0.49, help="lower fence quantile; the upper is 1 - quantile")


class Iqr(Detector):
    """Tukey fences over a trailing window history."""

    name = "iqr"

    def __init__(self, params: IqrParams = IqrParams()):
        self.params = params

    def initial_state(self) -> State:
        return {"history": []}

    def observe(self, state: State, obs: Observation) -> tuple[Verdict, State]:
        p = self.params
        history: list[float] = list(state["history"])
        expected = spread = score = None
        is_anomaly = False
        if len(history) >= max(p.warmup, 2):
            ordered = sorted(history)
            q1, q3 = sorted_quantile(ordered, p.quantile), sorted_quantile(ordered, 1 - p.quantile)
            expected = sorted_quantile(ordered, 0.5)
            spread = max(q3 - q1, spread_floor(p, expected))
            beyond = obs.value - q3 if obs.value > q3 else (obs.value - q1 if obs.value < q1 else 0.0)
            score = z_score(beyond, 0.0, spread)
            is_anomaly = flags(p, score, obs.value - expected)
        verdict = Verdict(
            obs.value,
            expected,
            spread,
            score,
            p.threshold,
            is_anomaly,
            self.name,
            basis=f"quartiles of trailing {len(history)} windows",
        )
        history.append(obs.value)
        return verdict, {"history": history[-p.history :]}
