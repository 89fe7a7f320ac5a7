"""Robust z-score against a trailing history: median and MAD of the last N windows.

Robust to the very outliers it looks for: one spike in the history moves
neither the median nor the MAD much, unlike a mean and standard deviation.
The spread is ``1.4826 * MAD`` (the MAD of a normal distribution scaled to
its standard deviation; ``sqrt(pi/2) *`` the mean absolute deviation when the
MAD is 0), floored so a perfectly flat history does not turn every tiny
wiggle into an infinite score.

    detector = RobustZScore(RobustZScoreParams(threshold=4.0, history=48))
    verdict, state = detector.observe(detector.initial_state(), obs)
"""

from __future__ import annotations

from dataclasses import dataclass

from veilwatch.transforms.anomaly.base import Detector, Observation, State, Verdict
from veilwatch.transforms.anomaly.params import (
    CommonParams,
    bounded,
    flags,
    is_deviation,
    spread_floor,
    z_score,
)
from veilwatch.transforms.anomaly.stats import median, robust_sigma

__all__ = ["RobustZScore", "RobustZScoreParams", "is_deviation"]


@dataclass(frozen=True)
class RobustZScoreParams(CommonParams):
    """history: trailing windows kept (the baseline); see CommonParams for the rest."""

    history: int = bounded(48, min=2, help="trailing windows in the baseline")


class RobustZScore(Detector):
    """Median/MAD z-score over a trailing window history."""

    name = "robust_zscore"

    def __init__(self, params: RobustZScoreParams = RobustZScoreParams()):
        self.params = params

    def initial_state(self) -> State:
        return {"history": []}

    def observe(self, state: State, obs: Observation) -> tuple[Verdict, State]:
        p = self.params
        history: list[float] = list(state.get("history", []))
        expected = spread = score = None
        is_anomaly = False
        if history and len(history) >= p.warmup:
            expected = median(history)
            spread = max(robust_sigma(history, expected), spread_floor(p, expected))
            score = z_score(obs.value, expected, spread)
            is_anomaly = flags(p, score, obs.value - expected)
        verdict = Verdict(
            observed=obs.value,
            expected=expected,
            spread=spread,
            score=score,
            threshold=p.threshold,
            is_anomaly=is_anomaly,
            detector=self.name,
            basis=f"trailing {len(history)} windows",
        )
        history.append(obs.value)
        return verdict, {"history": history[-p.history :]}
