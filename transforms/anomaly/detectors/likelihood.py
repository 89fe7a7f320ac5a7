"""Anomaly likelihood: how improbable is a detector's recent raw score, on this series?

The stage HTM puts after its raw prediction error (NAB's ``numenta`` detector,
nupic's ``anomaly_likelihood``), around any veilwatch detector. The member
detector scores each window; its raw score ``|score|`` (clipped at ``clip``)
is averaged over the last ``average`` windows, and that average is compared
with the distribution of earlier averages on the same series, modelled as a
normal distribution with an exponentially weighted mean and variance
(half-life ``history`` windows). The upper tail probability ``p`` of the
current average becomes the log score NAB uses,

    log_score = log(1 - likelihood) / log(1e-10),  likelihood = 1 - p

so ``log_score`` 0.5 means ``p`` = 1e-5 on every series: a noisy series whose
member detector is often many sigmas off learns that this is ordinary, a calm
one flags its first real departure. A window is anomalous when its log score
reaches ``threshold`` (in the member's direction: the verdict's score carries
the sign of the member's score). As in nupic, a window that follows a window
already in the red tail is reported at the yellow level only (``p`` = 1e-3),
so one event does not stay red for ``average`` windows.

Differences from nupic, kept on purpose: the distribution is updated per
window (exponential weights) instead of re-estimated every 100 records over
a stored history of 8,640 scores, so the state is bounded by ``average``
floats plus the member's state; the tail is one-sided (unusually *small*
raw scores are not anomalies); the variance floor is relative to the mean
(raw scores here are in sigmas, not in [0, 1]).

    detector = Likelihood(Ewma(EwmaParams(halflife=576)), LikelihoodParams(threshold=0.5))
    verdict, state = detector.observe(detector.initial_state(), obs)

State: ``{"member": <member state>, "recent": [<= average floats], "n": int,
"mean": float, "var": float, "red": bool}``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from veilwatch.transforms.anomaly.base import Detector, Direction, Observation, State, Verdict
from veilwatch.transforms.anomaly.params import bounded, is_deviation
from veilwatch.transforms.anomaly.stats import ewm_update

# nupic's computeLogLikelihood: log(1.0000000001 - likelihood) / log(1e-10).
_LOG_FLOOR = 1e-10
_LOG_NORM = math.log(_LOG_FLOOR)
# nupic's _filterLikelihoods: a tail at or below 1e-5 is red; a red window
# right after a red one is reported as 1e-3 (yellow).
_RED_TAIL = 1e-5
_YELLOW_TAIL = 1e-3
# Variance floor: raw averages closer than this share of their mean (or than
# _MIN_STD absolutely) are noise in the estimate, not evidence.
_MIN_RELATIVE_STD = 0.1
_MIN_STD = 1e-3


@dataclass(frozen=True)
class LikelihoodParams:
    """threshold: log score (0..1) at or above which a window flags (0.5 = tail
    probability 1e-5); average: windows in the moving average of raw scores;
    history: half-life in windows of the distribution of averages; warmup:
    windows seen before any flag (the distribution's learning period); clip:
    raw scores above this many member units count as this many; direction and
    min_abs_change: as in CommonParams, judged on the member's verdict."""

    threshold: float = bounded(0.5, min=0.0, max=1.0, help="log score at or above which a window flags")
    average: int = bounded(10, min=1, max=100, help="windows in the moving average of raw scores")
    history: float = bounded(1000.0, min=2.0, help="half-life of the score distribution, in windows")
    warmup: int = bounded(150, min=2, help="windows seen before any flag")
    clip: float = bounded(20.0, min=0.0, help="raw scores are clipped at this many member units (0 = off)")
    direction: Direction = Direction.BOTH
    min_abs_change: float = bounded(0.0, min=0.0, help="smaller absolute changes never flag")


class Likelihood(Detector):
    """Tail probability of a member detector's averaged raw score."""

    name = "likelihood"

    def __init__(self, member: Detector, params: LikelihoodParams = LikelihoodParams()):
        self.member = member
        self.params = params
        self.weight = 1 - 0.5 ** (1 / params.history)

    def initial_state(self) -> State:
        return {
            "member": self.member.initial_state(),
            "recent": [],
            "n": 0,
            "mean": 0.0,
            "var": 0.0,
            "red": False,
        }

    def observe(self, state: State, obs: Observation) -> tuple[Verdict, State]:
        p = self.params
        inner, member_state = self.member.observe(state.get("member") or self.member.initial_state(), obs)
        if inner.score is None:  # member in warm-up: nothing to learn from yet
            verdict = replace(
                inner, threshold=p.threshold, is_anomaly=False, detector=self._label(inner), sources=()
            )
            return verdict, {**state, "member": member_state}
        raw = abs(inner.score)
        if p.clip > 0:
            raw = min(raw, p.clip)
        recent = (list(state["recent"]) + [raw])[-p.average :]
        average = sum(recent) / len(recent)
        n, mean, var = state["n"], state["mean"], state["var"]
        tail, red = 0.5, False
        if n >= p.warmup:
            std = max(math.sqrt(var), _MIN_RELATIVE_STD * abs(mean), _MIN_STD)
            tail = upper_tail(average, mean, std)
            red = tail <= _RED_TAIL
            if red and state["red"]:
                tail = max(tail, _YELLOW_TAIL)
        log_score = log_likelihood(tail)
        signed = math.copysign(log_score, inner.score) if inner.score else 0.0
        change = 0.0 if inner.expected is None else obs.value - inner.expected
        is_anomaly = n >= p.warmup and is_deviation(
            signed, change, p.threshold, p.direction, p.min_abs_change
        )
        verdict = replace(
            inner,
            score=signed,
            threshold=p.threshold,
            is_anomaly=is_anomaly,
            detector=self._label(inner),
            sources=(),  # the stage is one detector: its member's agreement is not why it flags
        )
        weight = max(self.weight, 1 / (n + 1))  # a plain running mean until the horizon is filled
        mean, var = ewm_update(mean, var, average, weight)
        return verdict, {
            "member": member_state,
            "recent": recent,
            "n": n + 1,
            "mean": mean,
            "var": var,
            "red": red,
        }

    def _label(self, inner: Verdict) -> str:
        return f"{self.name}({inner.detector})"


def upper_tail(x: float, mean: float, std: float) -> float:
    """P(X >= x) for X ~ Normal(mean, std)."""
    return 0.5 * math.erfc((x - mean) / (std * math.sqrt(2)))


def log_likelihood(tail: float) -> float:
    """nupic's log score of a tail probability: 0 for p = 1, 0.5 for 1e-5, ~1 for 1e-10."""
    return min(1.0, math.log(max(tail, 0.0) + _LOG_FLOOR) / _LOG_NORM)
