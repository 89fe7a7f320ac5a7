"""Bayesian online change-point detection (Adams & MacKay 2007) with a truncated run length.

The series is taken as a sequence of segments; within a segment the values
are normal with an unknown mean and variance (a Normal-Gamma prior, so each
segment's predictive distribution is a Student t). After every window the
detector holds the posterior probability of each "run length" (windows
since the last change point) and updates it exactly as in the paper: every
run grows by one with weight ``1 - 1/hazard`` times the predictive density of
the new value under that run's posterior, and a change point takes weight
``1/hazard`` times the same densities, starting a run of length 0 whose
posterior is the prior (so later values decide between the old run and the
new one). NAB's ``bayes_changept`` detector is the same recursion on NumPy.

A change is reported when the most probable run length falls: from ``prev``
to ``now`` (``now < prev``) gives the score ``1 - now / prev`` (NAB's third
scoring option, which its authors found "best by far"); it is flagged when the
score reaches ``threshold`` and the run that ended had lasted at least
``min_run`` windows (a change of a settled regime, not the noise right after
a change). The score's sign is the side of the new value against the ended
run's mean. The most probable run length drops a few windows after the change
began (a 3-sigma level shift: 3 windows in the tests), early in the labelled
window, which is what NAB's early-detection reward wants.

Scale-free prior: the prior mean and variance of a new segment are the
series' own exponentially weighted mean and variance (half-life
``prior_halflife`` windows), so the same settings serve values of 0.001 and
of 1e8. Values are clipped at ``clip`` predictive sigmas around the most
probable run's mean before they enter the model (a Huber-like bound), so one
spike costs the current run at most a ``clip``-sigma value's density instead
of making it negligible for good (the plain model hands the run to a younger,
vaguer run on every spike; spikes are the z-score detectors' job). A real
change keeps producing clipped values and is found a window or two later.

Bounded state (the paper's run-length distribution grows by one cell per
window): runs longer than ``max_run - 1`` windows share one cell (the longest
run keeps the posterior of the heavier of the two merged cells), and cells
whose probability falls below 1e-6 are dropped. The state is at most
``max_run`` cells of 5 floats (about 5 kB of JSON at ``max_run`` 100) plus a
member's state. Cost: about 9,000 windows/s on one core (``max_run`` 100;
3,900 with a seasonal member), measured 2026-12-01.

    detector = Bocpd(BocpdParams(hazard=250, max_run=100, threshold=0.9, min_run=48))

With a member detector (``detector:`` in config, e.g. ``seasonal``) the
recursion runs on the member's residuals ``value - expected`` instead of the
values: a daily ramp, which the plain model takes for a new segment every
few hours (so it never holds a long run and cannot see a real shift), is
taken out first. Windows where the member has no baseline yet are not
scored. As with any member whose baseline learns, a shift that the member
absorbs later (a seasonal member after ``periods`` days) can show as a
second change back.

State: ``{"cells": [<= max_run [run, prob, mu, kappa, beta]], "prev": int,
"n": int, "mean": float, "var": float}``, with a member also ``"member":
<member state>`` (``alpha`` of a cell is ``ALPHA0 + (kappa - KAPPA0) / 2``;
``n``, ``mean``, ``var``: the prior's running moments).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from veilwatch.transforms.anomaly.base import Detector, Direction, Observation, State, Verdict
from veilwatch.transforms.anomaly.params import bounded, is_deviation
from veilwatch.transforms.anomaly.stats import ewm_update

# Normal-Gamma prior strength: one pseudo-observation for the mean, alpha 1
# (a Student t with 2 degrees of freedom for a new segment: heavy tails).
KAPPA0 = 1.0
ALPHA0 = 1.0
_PRUNE = 1e-6
_MIN_VAR_SHARE = 1e-12  # variance floor relative to mean**2 (a constant series)


@dataclass(frozen=True)
class BocpdParams:
    """hazard: expected windows between change points (the constant hazard
    is 1/hazard); max_run: run lengths tracked (longer runs share the last
    cell); threshold: score 1 - now/prev at or above which a fall of the most
    probable run length flags; min_run: windows the ended run must have
    lasted; prior_halflife: half-life of the series' running mean and
    variance that set a new segment's prior; clip: values are clipped at
    this many predictive sigmas of the most probable run (0 = off); warmup: windows before any flag."""

    hazard: float = bounded(250.0, min=2.0, help="expected windows between change points")
    max_run: int = bounded(100, min=4, max=2000, help="run lengths tracked; longer runs share the last cell")
    threshold: float = bounded(0.9, min=0.0, max=1.0, help="score (1 - now / prev run length) that flags")
    min_run: int = bounded(48, min=1, help="windows the ended run must have lasted")
    prior_halflife: float = bounded(576.0, min=2.0, help="half-life of the prior's running mean and variance")
    clip: float = bounded(
        3.0, min=0.0, help="values clipped at this many sigmas of the most probable run (0 = off)"
    )
    warmup: int = bounded(48, min=2, help="windows before any flag")
    direction: Direction = Direction.BOTH
    min_abs_change: float = bounded(0.0, min=0.0, help="smaller absolute changes never flag")


class Bocpd(Detector):
    """Adams & MacKay's online change-point posterior, truncated at ``max_run`` run lengths."""

    name = "bocpd"

    def __init__(self, params: BocpdParams = BocpdParams(), member: Detector | None = None):
        self.params = params
        self.member = member
        if member is not None:
            self.name = f"bocpd({member.name})"
        self.weight = 1 - 0.5 ** (1 / params.prior_halflife)
        self.hazard = 1 / params.hazard
        self.grow = 1 - 1 / params.hazard

    def initial_state(self) -> State:
        state = {"cells": [], "prev": 0, "n": 0, "mean": 0.0, "var": 0.0}
        if self.member is not None:
            state["member"] = self.member.initial_state()
        return state

    def observe(self, state: State, obs: Observation) -> tuple[Verdict, State]:
        if self.member is None:
            return self._observe(state, obs.value, obs.value, 0.0)
        inner, member_state = self.member.observe(state.get("member") or self.member.initial_state(), obs)
        if inner.expected is None:  # the member has no baseline yet: no residual to model
            verdict = Verdict(
                obs.value, None, None, None, self.params.threshold, False, self.name, basis=inner.basis
            )
            return verdict, {**state, "member": member_state}
        verdict, core = self._observe(state, obs.value - inner.expected, obs.value, inner.expected)
        return verdict, {**core, "member": member_state}

    def _observe(self, state: State, x: float, value: float, offset: float) -> tuple[Verdict, State]:
        """One step of the recursion on ``x`` (the value, or the member's residual ``value - offset``)."""
        p = self.params
        n, mean, var = state["n"], state["mean"], state["var"]
        if n == 0:  # the first value: one run of length 0, nothing to compare with
            verdict = Verdict(value, None, None, None, p.threshold, False, self.name, basis="first window")
            return verdict, {"cells": [], "prev": 0, "n": 1, "mean": x, "var": 0.0}
        state_x = x  # the prior's moments see the value before the clip
        prior_var = max(var, _MIN_VAR_SHARE * mean * mean, 1e-300)
        cells = [list(c) for c in state["cells"]] or [[0, 1.0, mean, KAPPA0, ALPHA0 * prior_var]]
        if p.clip > 0:  # Huber-like: no value is further out than `clip` sigmas of the most probable run
            best = max(cells, key=lambda c: c[1])
            bound = p.clip * math.sqrt(_scale2(best[3], best[4]))
            x = min(max(x, best[2] - bound), best[2] + bound)
        # every run grows with probability (1 - h) * its predictive density of x; a change point
        # (h times the same densities) starts a run of length 0 whose posterior is the prior,
        # so the mass of "a change now" is h after normalising: later values decide
        log_weights = [math.log(c[1]) + _log_t(x, c[2], c[3], c[4]) for c in cells]
        top = max(log_weights)
        weights = [math.exp(lw - top) for lw in log_weights]
        grown = [
            [c[0] + 1, w * self.grow] + _posterior(c[2], c[3], c[4], x)
            for c, w in zip(cells, weights, strict=True)
        ]
        cells = [[0, sum(weights) * self.hazard, mean, KAPPA0, ALPHA0 * prior_var]] + grown
        cells = _truncate(cells, p.max_run)
        total = sum(c[1] for c in cells)
        cells = [c[:1] + [c[1] / total] + c[2:] for c in cells]
        cells = [c for c in cells if c[1] >= _PRUNE] or cells[:1]
        best = max(cells, key=lambda c: c[1])
        now, prev = best[0], state["prev"]
        ended = max(cells if prev == 0 else state["cells"], key=lambda c: c[1])
        score, is_anomaly, expected = 0.0, False, ended[2] + offset
        if now < prev:
            score = math.copysign(1 - now / prev, value - expected)
            is_anomaly = (
                n >= p.warmup
                and prev >= p.min_run
                and is_deviation(score, value - expected, p.threshold, p.direction, p.min_abs_change)
            )
        spread = math.sqrt(ended[4] / (ALPHA0 + (ended[3] - KAPPA0) / 2))
        verdict = Verdict(
            value,
            expected,
            spread,
            score,
            p.threshold,
            is_anomaly,
            self.name,
            basis=f"most probable run {now} windows (was {prev})",
        )
        n_new = n + 1
        mean, var = ewm_update(mean, var, state_x, max(self.weight, 1 / n_new))
        return verdict, {"cells": cells, "prev": now, "n": n_new, "mean": mean, "var": var}


def _log_t(x: float, mu: float, kappa: float, beta: float) -> float:
    """Log density at x of the Student t predictive of a Normal-Gamma posterior."""
    scale2 = _scale2(kappa, beta)
    nu = 2 * ALPHA0 + (kappa - KAPPA0)
    return (
        math.lgamma((nu + 1) / 2)
        - math.lgamma(nu / 2)
        - 0.5 * math.log(nu * math.pi * scale2)
        - (nu + 1) / 2 * math.log1p((x - mu) ** 2 / (nu * scale2))
    )


def _scale2(kappa: float, beta: float) -> float:
    """Squared scale of the Student t predictive of a Normal-Gamma posterior."""
    alpha = ALPHA0 + (kappa - KAPPA0) / 2
    return max(beta * (kappa + 1) / (alpha * kappa), 1e-300)


def _posterior(mu: float, kappa: float, beta: float, x: float) -> list[float]:
    """[mu, kappa, beta] after one more value x (alpha follows from kappa)."""
    return [(kappa * mu + x) / (kappa + 1), kappa + 1, beta + kappa * (x - mu) ** 2 / (2 * (kappa + 1))]


def _truncate(cells: list[list[float]], max_run: int) -> list[list[float]]:
    """Cells sorted by run length; runs of max_run - 1 or more share one cell."""
    cells.sort(key=lambda c: c[0])
    cap = max_run - 1
    kept = [c for c in cells if c[0] < cap]
    long = [c for c in cells if c[0] >= cap]
    if long:
        heaviest = max(long, key=lambda c: c[1])
        kept.append([cap, sum(c[1] for c in long)] + heaviest[2:])
    return kept
