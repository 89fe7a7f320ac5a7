"""Relative entropy: is the distribution of the last ``window`` values one this series has had before?

NAB's ``relative_entropy`` detector (Wang et al. 2011, "Statistical techniques
for online anomaly detection in data centers", figure 1): every value is
quantised into a few bins, the histogram ``P`` of the last ``window`` values
is compared with every remembered histogram ("hypothesis") ``Q`` by the
multinomial goodness-of-fit statistic ``2 * window * KL(P || Q)``, which for a
true hypothesis is chi-square distributed with ``bins - 1`` degrees of
freedom. The closest hypothesis below the chi-square quantile of ``1 - alpha``
is accepted and counted; if none is, the window is anomalous and ``P``
becomes a new hypothesis; an accepted hypothesis seen no more than
``min_count`` times so far is anomalous too (a distribution seen once is not
yet normal). A level shift, a change of spread or of shape (a new mode, a
flat line) shows in the histogram at its onset, whatever the size of any
single value.

Bins: ``bins`` equal steps over the range of the first ``warmup`` windows
(:mod:`levels`), plus one bin for everything below and one for everything
above that range (NAB knows each file's minimum and maximum beforehand; a
stream does not). A histogram with mass in a bin where a hypothesis has none
never agrees with it (infinite relative entropy), so values outside every
remembered histogram's support alert at once.

Memory: at most ``hypotheses`` histograms; when a new one would exceed it the
least recently accepted is forgotten (LRU).

The verdict's score is ``statistic / chi-square quantile`` against the nearest
hypothesis (capped at ``CAP``, sign: the window mean against the nearest
hypothesis' mean level), so ``threshold`` 1 is the test; a window flags when it
is anomalous as above.

State: ``{"range": {...}, "recent": [<= window ints], "hyp": [<= hypotheses
[counts of bins + 2 ints, count, last]], "i": int}``: at most ``window + hypotheses
* (bins + 4)`` numbers (about 3 kB of JSON with the defaults).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from veilwatch.transforms.anomaly.base import Detector, Direction, Observation, State, Verdict
from veilwatch.transforms.anomaly.detectors import levels as grid
from veilwatch.transforms.anomaly.params import bounded, is_deviation

CAP = 100.0


@dataclass(frozen=True)
class RelativeEntropyParams:
    """bins: equal steps over the learnt range (plus one bin each side of it);
    window: values per histogram; alpha: false rejection probability of the
    chi-square test (NAB: 0.01); min_count: an accepted hypothesis seen this
    many times or fewer still flags (NAB: 1); hypotheses: most histograms
    remembered (LRU); warmup: windows whose range sets the bins;
    direction and min_abs_change: as in CommonParams."""

    bins: int = bounded(5, min=2, max=64, help="equal steps over the learnt range")
    window: int = bounded(52, min=4, max=10000, help="values per histogram")
    alpha: float = bounded(0.01, min=1e-12, max=0.5, help="false rejection probability of the test")
    min_count: int = bounded(1, min=0, help="an accepted hypothesis seen this often or less still flags")
    hypotheses: int = bounded(64, min=1, max=4096, help="most histograms remembered")
    warmup: int = bounded(150, min=2, help="windows whose minimum and maximum set the bins")
    direction: Direction = Direction.BOTH
    min_abs_change: float = bounded(0.0, min=0.0, help="smaller absolute changes never flag")


class RelativeEntropy(Detector):
    """Multi-hypothesis chi-square test of the histogram of the last ``window`` values."""

    name = "relative_entropy"

    def __init__(self, params: RelativeEntropyParams = RelativeEntropyParams()):
        self.params = params
        self.critical = chi2_isf(params.alpha, params.bins + 1)  # bins + 2 cells, bins + 1 dof
        self.threshold = 1.0

    def initial_state(self) -> State:
        return {"range": grid.initial_range(), "recent": [], "hyp": [], "i": 0}

    def observe(self, state: State, obs: Observation) -> tuple[Verdict, State]:
        p = self.params
        if not grid.is_learnt(state["range"], p.warmup):
            rng = grid.learn(state["range"], obs.value, p.warmup)
            verdict = Verdict(
                obs.value,
                None,
                None,
                None,
                self.threshold,
                False,
                self.name,
                basis=f"learning the range ({rng['n']} of {p.warmup} windows)",
            )
            return verdict, {**state, "range": rng}
        rng, i = state["range"], state["i"]
        cell = _cell(grid.level(rng, obs.value, p.bins), p.bins)
        recent = (list(state["recent"]) + [cell])[-p.window :]
        if len(recent) < p.window:
            verdict = Verdict(
                obs.value,
                None,
                None,
                None,
                self.threshold,
                False,
                self.name,
                basis=f"filling the window ({len(recent)} of {p.window} values)",
            )
            return verdict, {**state, "recent": recent, "i": i + 1}
        counts = [0] * (p.bins + 2)
        for c in recent:
            counts[c] += 1
        hyp = [list(h) for h in state["hyp"]]
        best, best_stat = None, math.inf
        for k, (q, _, _) in enumerate(hyp):
            stat = 2 * p.window * kl_divergence(counts, q)
            if best is None or stat < best_stat:
                best, best_stat = k, stat
        accepted = best is not None and best_stat < self.critical
        if accepted:
            assert best is not None
            hyp[best][1] += 1
            hyp[best][2] = i
            anomalous = hyp[best][1] <= p.min_count
        else:
            anomalous = bool(hyp)  # the first histogram is the first hypothesis, not an anomaly
            hyp.append([counts, 1, i])
            if len(hyp) > p.hypotheses:
                hyp.remove(min(hyp, key=lambda h: h[2]))
        mean_cell = sum(k * n for k, n in enumerate(counts)) / p.window
        ref = None if best is None else state["hyp"][best][0]
        ref_mean = mean_cell if ref is None else sum(k * n for k, n in enumerate(ref)) / sum(ref)
        size = min(CAP, best_stat / self.critical) if best is not None else 0.0
        if anomalous:  # a rejected or not yet familiar histogram is at least at the threshold
            size = max(size, self.threshold)
        signed = -size if mean_cell < ref_mean else size
        change = obs.value - _value_of(rng, ref_mean, p.bins)
        is_anomaly = anomalous and is_deviation(signed, change, self.threshold, p.direction, p.min_abs_change)
        verdict = Verdict(
            obs.value,
            _value_of(rng, ref_mean, p.bins),
            None,
            signed,
            self.threshold,
            is_anomaly,
            self.name,
            basis=f"histograms of {p.window} windows, {len(hyp)} known",
        )
        return verdict, {"range": rng, "recent": recent, "hyp": hyp, "i": i + 1}


def _cell(level: int, bins: int) -> int:
    """Histogram cell of a level: 0 below the learnt range, 1..bins inside, bins + 1 above."""
    return 0 if level < 0 else (bins + 1 if level >= bins else level + 1)


def _value_of(rng: dict, cell: float, bins: int) -> float:
    """The value at the middle of a (fractional) histogram cell, for explanations."""
    lo, hi = rng["lo"], rng["hi"]
    return lo + (hi - lo) * (cell - 0.5) / bins


def kl_divergence(p_counts, q_counts) -> float:
    """KL(P || Q) of two histograms given as counts; infinite where P has mass and Q has none."""
    np, nq = sum(p_counts), sum(q_counts)
    total = 0.0
    for a, b in zip(p_counts, q_counts, strict=True):
        if a:
            if not b:
                return math.inf
            pa = a / np
            total += pa * math.log(pa / (b / nq))
    return total


def chi2_sf(x: float, dof: int) -> float:
    """P(X >= x) for X chi-square with ``dof`` degrees of freedom (regularised upper gamma)."""
    if x <= 0:
        return 1.0
    a, z = dof / 2.0, x / 2.0
    if z < a + 1:  # series of the lower incomplete gamma
        term = total = 1.0 / a
        n = a
        while term > total * 1e-15:
            n += 1
            term *= z / n
            total += term
        return max(0.0, 1.0 - total * math.exp(-z + a * math.log(z) - math.lgamma(a)))
    # continued fraction of the upper incomplete gamma (Lentz)
    tiny = 1e-300
    b = z + 1 - a
    c, d = 1 / tiny, 1 / b
    h = d
    for k in range(1, 500):
        an = -k * (k - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return math.exp(-z + a * math.log(z) - math.lgamma(a)) * h


def chi2_isf(alpha: float, dof: int) -> float:
    """The chi-square quantile exceeded with probability ``alpha`` (bisection)."""
    lo, hi = 0.0, 1.0
    while chi2_sf(hi, dof) > alpha:
        hi *= 2
    for _ in range(200):
        mid = (lo + hi) / 2
        if chi2_sf(mid, dof) > alpha:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2
