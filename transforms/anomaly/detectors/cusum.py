"""Two-sided CUSUM on robust z-scores: level shifts and drifts that no single window shows.

Each window's value is standardised against a trailing baseline (median and
robust sigma of the last ``history`` windows, as ``robust_zscore`` does, so
the test is in sigmas on every series), and two cumulative sums collect the
evidence of a change (Page's CUSUM):

    up   = max(0, up   + z - slack)
    down = max(0, down - z - slack)

A shift of ``d`` sigmas adds about ``d - slack`` per window, so it is found
after ``threshold / (d - slack)`` windows: a 1.5-sigma shift with the defaults
(slack 0.5, threshold 12) after about 12 windows, where a z-score at 4 sigmas
never sees it. Stationary noise adds ``z - slack``, which averages below zero,
so the sums keep returning to 0: on Gaussian noise the defaults raise about
one false alarm per 7,500 windows (2 in 3 x 5,000 in the tests; threshold 8
with a 48-window baseline raises one per 800, the baseline's own estimation
error being most of it). Each ``z`` is clipped at ``clip`` sigmas so a
single spike cannot make an alarm on its own (spikes are the z-score's job).

After an alarm the change is taken as real: both sums restart at 0 and the
baseline restarts from the windows since the sum last left zero (the new
level), so the next alarm needs new evidence. While the baseline has fewer
than ``warmup`` windows nothing is scored.

With ``long_run: true`` each ``z`` is divided by the long-run factor
``sqrt((1 + phi) / (1 - phi))``, where ``phi`` is the lag-1 autocorrelation
of the (clipped) z-scores, exponentially weighted with a half-life of
4 x ``history`` windows (slow, so the windows of a shift being accumulated
hardly move it), itself clipped to ``[0, max_phi]``. Real series are autocorrelated: a run of windows on the
same side of the median is the ordinary wandering of the series, not a
shift, and the plain sums (which assume independent windows) drift to the
threshold on it. The long-run variance of an AR(1) series is
``sigma**2 * (1 + phi) / (1 - phi)``; scaling by it makes the sums' false
alarm rate what it is on independent noise (the Bartlett / AR(1) correction
of Page's test), at the price of needing a larger shift on a strongly
autocorrelated series. ``phi`` is estimated from the z-scores, so it works
the same with a member detector (a seasonal member's residuals).

The verdict's score is the larger sum with its sign (``up`` positive, ``down``
negative), in cumulative sigmas, against ``threshold``.

    detector = Cusum(CusumParams(threshold=12, slack=0.5, history=96))

With ``detector`` (a member detector, e.g. ``seasonal``) the sums collect the
member's signed scores instead of z-scores against the trailing median: a
seasonal member makes the test blind to the daily ramp that a trailing
baseline mistakes for a shift. After an alarm the member keeps its memory
(a seasonal member its slots) and from then on sees the series with the
shift taken out: the mean difference between the values and their expected
values since the change began is added to an offset subtracted from every
later value. (Restarting the member instead, as the trailing mode restarts
its history, left a seasonal member without slots for days, falling back to
its trailing baseline and raising the very ramp alarms it was there to avoid:
measured on NAB and nab_synthetic.py series, 2026-12-01.)

State: ``{"history": [<= history floats], "up": float, "down": float,
"since": [<= history [value, expected]]}``, with ``long_run`` also
``"moments": [n, mean, mean square, mean lag-1 product, last z]`` (5 floats), with a member also ``"member":
<member state>, "offset": float`` (``since``: the windows since the larger
sum last left zero, the new level's first windows; ``history`` stays empty
with a member).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from veilwatch.transforms.anomaly.base import Detector, Observation, State, Verdict
from veilwatch.transforms.anomaly.params import CommonParams, bounded, flags, spread_floor, z_score
from veilwatch.transforms.anomaly.stats import median, robust_sigma


@dataclass(frozen=True)
class CusumParams(CommonParams):
    """threshold: cumulative sigmas at which a change alarms; slack: sigmas of
    drift per window tolerated without accumulating (half the smallest shift
    worth finding); clip: per-window z clipped at this many sigmas; history:
    trailing windows in the baseline. See CommonParams for the rest."""

    threshold: float = bounded(12.0, min=0.0, help="cumulative sigmas at which a change alarms")
    warmup: int = bounded(48, min=0, help="windows in the baseline before any flag")
    slack: float = bounded(0.5, min=0.0, help="sigmas per window tolerated without accumulating")
    clip: float = bounded(4.0, min=0.0, help="per-window z clipped at this many sigmas (0 = off)")
    history: int = bounded(96, min=2, help="trailing windows in the baseline")
    long_run: bool = False
    max_phi: float = bounded(0.95, min=0.0, max=0.99, help="largest lag-1 autocorrelation corrected for")


class Cusum(Detector):
    """Page's two-sided CUSUM over robust z-scores against a trailing median, or over a member's scores."""

    name = "cusum"

    def __init__(self, params: CusumParams = CusumParams(), member: Detector | None = None):
        self.params = params
        self.member = member

    def initial_state(self) -> State:
        state = self._with_scores({"history": [], "up": 0.0, "down": 0.0, "since": []}, [])
        if self.member is not None:
            state.update(member=self.member.initial_state(), offset=0.0)
        return state

    def observe(self, state: State, obs: Observation) -> tuple[Verdict, State]:
        p = self.params
        history: list[float] = list(state["history"])
        up, down, since = state["up"], state["down"], [list(s) for s in state["since"]]
        expected = spread = score = z = None
        basis, member_state, offset = f"trailing {len(history)} windows", None, state.get("offset", 0.0)
        if self.member is not None:  # the member sees the series with the shifts found so far taken out
            inner, member_state = self.member.observe(
                state["member"], Observation(obs.window_start, obs.window_end, obs.value - offset)
            )
            spread, z, basis = inner.spread, inner.score, inner.basis
            expected = None if inner.expected is None else inner.expected + offset
        elif history and len(history) >= max(p.warmup, 2):
            expected = median(history)
            spread = max(robust_sigma(history, expected), spread_floor(p, expected))
            z = z_score(obs.value, expected, spread)
        is_anomaly = False
        scores = list(state.get("moments", []))
        if z is not None:
            assert expected is not None, "a score comes with its expected value"
            if p.clip > 0:
                z = max(-p.clip, min(p.clip, z))
            if p.long_run:  # phi: lag-1 autocorrelation of the clipped z-scores, slowly weighted
                scores = _update_moments(scores, z if math.isfinite(z) else math.copysign(1e6, z), p.history)
                z = z / long_run_factor(scores, p.max_phi)
            was_active = up > 0 or down > 0
            up = max(0.0, up + z - p.slack)
            down = max(0.0, down - z - p.slack)
            score = up if up >= down else -down
            is_anomaly = flags(p, score, obs.value - expected)
            window = [obs.value, expected]
            since = (
                (since + [window])[-p.history :]
                if (up > 0 or down > 0) and was_active
                else ([window] if up > 0 or down > 0 else [])
            )
        name = self.name if self.member is None else f"{self.name}({self.member.name})"
        verdict = Verdict(obs.value, expected, spread, score, p.threshold, is_anomaly, name, basis=basis)
        if is_anomaly:  # the change is real: restart on the new level
            if self.member is None:
                return verdict, self._with_scores(
                    {"history": [v for v, _ in since], "up": 0.0, "down": 0.0, "since": []}, scores
                )
            shift = sum(v - e for v, e in since) / len(since)
            return verdict, self._with_scores(
                {
                    "history": [],
                    "up": 0.0,
                    "down": 0.0,
                    "since": [],
                    "member": member_state,
                    "offset": offset + shift,
                },
                scores,
            )
        history = [] if self.member is not None else (history + [obs.value])[-p.history :]
        new = self._with_scores({"history": history, "up": up, "down": down, "since": since}, scores)
        if member_state is not None:
            new.update(member=member_state, offset=offset)
        return verdict, new

    def _with_scores(self, state: State, scores: list[float]) -> State:
        """Adds the autocorrelation moments (long_run only); they survive an alarm."""
        if self.params.long_run:
            state["moments"] = scores
        return state


def _update_moments(moments: list[float], z: float, history: int) -> list[float]:
    """[n, mean, E z^2, E z z_prev, last z] after one more z-score: exponentially
    weighted with a half-life of 4 x ``history`` windows (a plain average until then)."""
    if not moments:
        return [1, z, z * z, 0.0, z]
    n, mean, square, lagged, last = moments
    w = max(1 - 0.5 ** (1 / (4 * history)), 1 / (n + 1))
    lag_w = max(1 - 0.5 ** (1 / (4 * history)), 1 / n)  # n - 1 pairs so far
    return [
        n + 1,
        mean + w * (z - mean),
        square + w * (z * z - square),
        lagged + lag_w * (z * last - lagged),
        z,
    ]


def long_run_factor(moments: list[float], max_phi: float) -> float:
    """sqrt((1 + phi) / (1 - phi)) for the lag-1 autocorrelation ``phi`` of the
    z-scores summarised in ``moments`` (see _update_moments), clipped to
    [0, max_phi]: the long-run standard deviation of an AR(1) series in units of
    its marginal one; 1 with fewer than 8 scores or no variance."""
    if not moments or moments[0] < 8:
        return 1.0
    _, mean, square, lagged, _ = moments
    var = square - mean * mean
    if var <= 0:
        return 1.0
    phi = min(max((lagged - mean * mean) / var, 0.0), max_phi)
    return math.sqrt((1 + phi) / (1 - phi))
