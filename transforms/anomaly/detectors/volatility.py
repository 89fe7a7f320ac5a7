"""CUSUM on squared residuals: the series became jumpier (or calmer), though no single window is extreme.

A change of variance moves no mean, so the z-score and the level CUSUM miss
it; a series that starts jumping between its usual values (a feed that turns
erratic, a bidding market that stops settling) is such a change. Here the
residual of a window is its first difference ``d = x - x_prev`` (which takes
out the level and any slow daily ramp), standardised by the series' usual
size of a difference (see below): ``z**2 = (d / sigma)**2``, clipped at ``clip**2``
so one spike cannot make an alarm on its own (spikes are the z-score's job).
Page's CUSUM of the log-likelihood ratio of a variance ``ratio`` times the
usual one against the usual one (Page 1954; Hawkins & Olwell, *Cumulative Sum
Charts and Charting for Quality Improvement*, 1998, ch. 6) sums the evidence:

    up   = max(0, up   + z**2 / 2 * (1 - 1 / ratio) - ln(ratio) / 2)
    down = max(0, down + z**2 / 2 * (1 - ratio)     + ln(ratio) / 2)

Under the usual variance both increments average below zero (``up``: -0.32
per window at ratio 4), so the sums keep returning to 0; at ``ratio`` times
the variance ``up`` grows about 0.81 per window, so the default threshold 10
is reached after about 12 such windows. The verdict's score is the larger sum
with its sign (``up`` positive: jumpier), against ``threshold``; ``direction``
defaults to ``up`` because a calmer series (``down``) is mostly an idle one.

The usual size is learnt robustly: the first ``warmup`` differences set it
to the mean absolute difference a Gaussian series with their median absolute
difference would have (so the spikes of a transient at the start of a series
do not inflate it; their mean if the median is 0, a mostly idle series);
then it is an exponentially weighted mean of ``|d|`` (half-life ``history``
windows), each ``|d|`` winsorised at ``clip`` usual sigmas, so a burst moves
it slowly. The sigma of a difference is taken as ``sqrt(pi / 2)`` times the
usual mean absolute difference. After an alarm the change is taken as real:
both sums restart at 0 and the usual size becomes the mean absolute
difference since the alarming sum last left 0, the new regime's own, so the
next alarm needs new evidence. Nothing is scored in the first ``warmup``
differences.

State: ``{"n": int, "last": float | None, "first": [< warmup floats, only while
learning], "scale": float, "up": float, "down": float, "since_up": [count, sum of |d|],
"since_down": [count, sum of |d|]}``; JSON about 220 bytes once learnt, about
``22 * warmup`` bytes while learning (1,054 B max at warmup 48, measured with
``benchmarks/detector_cost.py``'s series; 280,000 windows/s on one core).

    detector = Volatility(VolatilityParams(ratio=4, threshold=10, history=576))
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from veilwatch.transforms.anomaly.base import Detector, Direction, Observation, State, Verdict
from veilwatch.transforms.anomaly.params import bounded, is_deviation
from veilwatch.transforms.anomaly.stats import MAD_TO_SIGMA, MEAN_AD_TO_SIGMA, median


@dataclass(frozen=True)
class VolatilityParams:
    """threshold: cumulative log-likelihood ratio at which a change alarms; ratio:
    the variance change (new / usual) the test is tuned to find, either way;
    history: half-life in windows of the usual size of a difference; clip: a
    difference counts as at most this many usual sigmas;
    warmup: differences learnt before any flag; direction: ``up`` (jumpier),
    ``down`` (calmer) or ``both``; min_abs_change: smaller absolute differences
    never flag."""

    threshold: float = bounded(10.0, min=0.0, help="cumulative log-likelihood ratio at which a change alarms")
    ratio: float = bounded(4.0, min=1.01, max=100.0, help="variance change the test is tuned to find")
    history: float = bounded(576.0, min=2.0, help="half-life of the usual size of a difference, in windows")
    clip: float = bounded(3.0, min=0.0, help="differences clipped at this many usual sigmas (0 = off)")
    warmup: int = bounded(48, min=2, help="differences learnt before any flag")
    direction: Direction = Direction.UP
    min_abs_change: float = bounded(0.0, min=0.0, help="smaller absolute differences never flag")


class Volatility(Detector):
    """Page's CUSUM of squared first differences against their usual mean square."""

    name = "volatility"

    def __init__(self, params: VolatilityParams = VolatilityParams()):
        self.params = params
        self.weight = 1 - 0.5 ** (1 / params.history)
        log_ratio = math.log(params.ratio)
        # per-window increments: a * z**2 + b for the up sum, c * z**2 + e for the down sum
        self.up_terms = ((1 - 1 / params.ratio) / 2, -log_ratio / 2)
        self.down_terms = ((1 - params.ratio) / 2, log_ratio / 2)

    def initial_state(self) -> State:
        return {
            "n": 0,
            "last": None,
            "first": [],
            "scale": 0.0,
            "up": 0.0,
            "down": 0.0,
            "since_up": [0, 0.0],
            "since_down": [0, 0.0],
        }

    def observe(self, state: State, obs: Observation) -> tuple[Verdict, State]:
        p = self.params
        last = state["last"]
        if last is None or not math.isfinite(obs.value) or not math.isfinite(last):
            verdict = Verdict(
                obs.value, last, None, None, p.threshold, False, self.name, basis="no difference yet"
            )
            return verdict, {**state, "last": obs.value if math.isfinite(obs.value) else last}
        d = obs.value - last
        n, scale, up, down = state["n"], state["scale"], state["up"], state["down"]
        first = list(state["first"])
        expected = spread = score = None
        is_anomaly = False
        since_up, since_down = list(state["since_up"]), list(state["since_down"])
        if n >= p.warmup:
            sigma = scale * MEAN_AD_TO_SIGMA
            z2 = (d / sigma) ** 2 if sigma > 0 else (0.0 if d == 0 else math.inf)
            if p.clip > 0:
                z2 = min(z2, p.clip * p.clip)
            if math.isfinite(z2):
                was_up, was_down = up > 0, down > 0
                up = max(0.0, up + self.up_terms[0] * z2 + self.up_terms[1])
                down = max(0.0, down + self.down_terms[0] * z2 + self.down_terms[1])
                since_up = _since(since_up, abs(d), was_up, up > 0)
                since_down = _since(since_down, abs(d), was_down, down > 0)
                score = up if up >= down else -down
                expected, spread = last, sigma
                is_anomaly = is_deviation(score, d, p.threshold, p.direction, p.min_abs_change)
        verdict = Verdict(
            obs.value,
            expected,
            spread,
            score,
            p.threshold,
            is_anomaly,
            self.name,
            basis=f"mean absolute difference of {min(n, round(p.history))}+ windows",
        )
        if n < p.warmup:  # learning: the scale is robust to the spikes of the first windows
            first = first + [abs(d)]
            if len(first) == p.warmup:
                scale, first = _robust_scale(first), []
        else:
            size = abs(d) if p.clip <= 0 or scale <= 0 else min(abs(d), p.clip * scale * MEAN_AD_TO_SIGMA)
            scale = scale + self.weight * (size - scale)
        if (
            is_anomaly and score is not None
        ):  # the change is real: the new regime's mean absolute difference is the baseline
            count, total = since_up if score > 0 else since_down
            scale = total / count if count else scale
            up = down = 0.0
            since_up, since_down = [0, 0.0], [0, 0.0]
        return verdict, {
            "n": n + 1,
            "last": obs.value,
            "first": first,
            "scale": scale,
            "up": up,
            "down": down,
            "since_up": since_up,
            "since_down": since_down,
        }


def _robust_scale(sizes: list[float]) -> float:
    """The mean absolute difference a Gaussian series with the sizes' median |d| has
    (median |d| = 0.6745 sigma, mean |d| = 0.7979 sigma); their mean when the median is 0."""
    mid = median(sizes)
    return mid * MAD_TO_SIGMA / MEAN_AD_TO_SIGMA if mid > 0 else sum(sizes) / len(sizes)


def _since(since: list, size: float, was_active: bool, active: bool) -> list:
    """[count, sum of |d|] of the windows since the sum last left 0."""
    if not active:
        return [0, 0.0]
    if not was_active:
        return [1, size]
    return [since[0] + 1, since[1] + size]
