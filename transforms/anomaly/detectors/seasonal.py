"""Seasonal baseline: the same slot of the day (or week) over the last K periods.

Slots come from ``window_start`` in UTC: with ``season: week`` and hourly
windows, the window starting Tuesday 14:00 is compared with the windows that
started Tuesday 14:00 in the previous ``periods`` weeks (median and MAD, like
``robust_zscore``; ``neighbours`` also pools the adjacent slots on each side).
Until a slot has values from ``min_periods`` earlier periods, the window is
compared with the trailing ``history`` windows instead, so a new series is
scored from its first days. ``min_gain`` keeps the slot baseline for series
the season actually explains (see SeasonalParams); ``fallback: none`` makes
the detector silent otherwise, which suits an ``any`` ensemble whose other
members watch the trailing history.

    detector = Seasonal(SeasonalParams(season="week", periods=4))
    verdict.basis   # "Tuesday 14:00 over 4 weeks" or "trailing 48 windows"
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from dataclasses import dataclass, field

from veilwatch.transforms.anomaly.base import Detector, Observation, State, Verdict
from veilwatch.transforms.anomaly.params import CommonParams, bounded, flags, spread_floor, z_score
from veilwatch.transforms.anomaly.stats import median, robust_sigma, tail_sigma

PERIOD_SECONDS = {"day": 86_400, "week": 7 * 86_400}


@dataclass(frozen=True)
class SeasonalParams(CommonParams):
    """season: "day" or "week"; periods: K, the periods a slot remembers;
    min_periods: earlier periods a slot needs before it is the baseline;
    neighbours: adjacent slots pooled on each side; slot_seconds: slot width
    (0 = the window length); history: trailing windows of the fallback;
    spread: "slot" (MAD of the slot's values) or "residuals" (the last
    ``history`` differences between windows and their slot medians: many
    more values than one slot holds, so a steadier spread; MAD or 95th
    percentile, whichever says wider, see ``stats.tail_sigma``), either floored
    by the window-to-window noise of the trailing history; min_gain: use the
    slot baseline only when the trailing spread is at least ``min_gain`` times
    the seasonal spread, i.e. when the season explains the series (0 = always);
    fallback: "trailing" (the trailing history) or "none" (no verdict) while
    the slot baseline is not usable."""

    season: str = field(default="week", metadata={"choices": tuple(PERIOD_SECONDS)})
    periods: int = bounded(4, min=1, help="periods a slot remembers")
    min_periods: int = bounded(2, min=1, help="periods a slot needs before it is the baseline")
    neighbours: int = bounded(0, min=0, help="adjacent slots pooled on each side")
    slot_seconds: float = bounded(0.0, min=0.0, help="slot width; 0 = the window length")
    history: int = bounded(48, min=2, help="trailing windows of the fallback baseline")
    spread: str = field(default="slot", metadata={"choices": ("slot", "residuals")})
    min_gain: float = bounded(0.0, min=0.0, help="trailing spread / seasonal spread needed to use the season")
    fallback: str = field(default="trailing", metadata={"choices": ("trailing", "none")})


class Seasonal(Detector):
    """Median/MAD z-score against the same slot of earlier days or weeks."""

    name = "seasonal"

    def __init__(self, params: SeasonalParams = SeasonalParams()):
        if params.season not in PERIOD_SECONDS:
            raise ValueError(f"season must be one of {sorted(PERIOD_SECONDS)}")
        self.params = params
        self.period = PERIOD_SECONDS[params.season]

    def initial_state(self) -> State:
        return {"n": 0, "history": [], "slots": {}}

    def observe(self, state: State, obs: Observation) -> tuple[Verdict, State]:
        p = self.params
        slot_width = p.slot_seconds or (obs.window_end - obs.window_start) or 1.0
        n_slots = max(1, round(self.period / slot_width))
        slot = int((obs.window_start % self.period) // slot_width) % n_slots
        period = int(obs.window_start // self.period)
        slots = state["slots"]
        own = _recent(slots.get(str(slot), []), period, p.periods)
        pooled = [
            v
            for j in range(-p.neighbours, p.neighbours + 1)
            for _, v in _recent(slots.get(str((slot + j) % n_slots), []), period, p.periods)
        ]
        seen = {per for per, _ in own if per < period}
        history, residuals = state["history"], state.get("residuals", [])

        expected: float | None
        raw_spread: float | None
        seasonal = None  # (expected, raw spread) of the slot baseline, once it exists
        if len(seen) >= p.min_periods:
            slot_median = median(pooled)
            use_residuals = p.spread == "residuals" and len(residuals) >= min(p.history, 8)
            raw = tail_sigma(residuals) if use_residuals else robust_sigma(pooled, slot_median)
            seasonal = (slot_median, max(raw, _step_noise(history)))
        if seasonal and self._season_explains(seasonal[1], history):
            expected, raw_spread = seasonal
            basis = f"{self._slot_name(obs.window_start)} over {len(seen)} {p.season}s"
        elif p.fallback == "trailing" and history:
            expected = median(history)
            raw_spread, basis = robust_sigma(history, expected), f"trailing {len(history)} windows"
        else:
            expected = raw_spread = None
            basis = "no seasonal baseline"

        spread = score = None
        is_anomaly = False
        if expected is not None and state["n"] >= p.warmup:
            assert raw_spread is not None, "set with expected"
            spread = max(raw_spread, spread_floor(p, expected))
            score = z_score(obs.value, expected, spread)
            is_anomaly = flags(p, score, obs.value - expected)
        else:
            expected = None
        verdict = Verdict(obs.value, expected, spread, score, p.threshold, is_anomaly, self.name, basis)

        slots = dict(slots)
        slots[str(slot)] = own + [[period, obs.value]]
        new_state = {"n": state["n"] + 1, "history": (history + [obs.value])[-p.history :], "slots": slots}
        if p.spread == "residuals" or p.min_gain > 0:
            if seasonal:
                residuals = (residuals + [obs.value - seasonal[0]])[-p.history :]
            new_state["residuals"] = residuals
        return verdict, new_state

    def _season_explains(self, seasonal_spread: float, history: list[float]) -> bool:
        """Whether the slot baseline is tighter than the trailing one by ``min_gain``.

        Both spreads are tail-aware (``tail_sigma``): a daily cycle between two
        levels has a small MAD around either level, but a wide 95th percentile."""
        if self.params.min_gain <= 0:
            return True
        return bool(history) and tail_sigma(history) >= self.params.min_gain * seasonal_spread

    def _slot_name(self, window_start: float) -> str:
        t = dt.datetime.fromtimestamp(window_start, tz=dt.UTC)
        clock = t.strftime("%H:%M")
        return f"{t.strftime('%A')} {clock}" if self.params.season == "week" else clock


def _step_noise(history: list[float]) -> float:
    """Window-to-window noise of the trailing history: robust sigma of successive
    differences / sqrt(2). Floors the seasonal spread, so a slot that happened
    to repeat one value (a quantised, mostly idle metric) does not make the
    next ordinary step an infinite deviation."""
    steps = [b - a for a, b in itertools.pairwise(history)]
    return robust_sigma(steps) / math.sqrt(2) if steps else 0.0


def _recent(entries: list, period: int, periods: int) -> list:
    """Entries of the last ``periods`` periods before ``period`` (and of ``period`` itself)."""
    return [e for e in entries if e[0] >= period - periods]
