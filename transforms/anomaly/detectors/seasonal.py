"""Seasonal baseline: the same slot of the day (or week) over the last K periods.

Slots come from ``window_start`` in UTC: with ``season: week`` and hourly
windows, the window starting Tuesday 14:00 is compared with the windows that
started Tuesday 14:00 in the previous ``periods`` weeks (median and MAD, like
``robust_zscore``; ``neighbours`` also pools the adjacent slots on each side).
Until a slot has values from ``min_periods`` earlier periods, the window is
compared with the trailing ``history`` windows instead, so a new series is
scored from its first days.

    detector = Seasonal(SeasonalParams(season="week", periods=4))
    verdict.basis   # "Tuesday 14:00 over 4 weeks" or "trailing 48 windows"
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from transforms.anomaly.base import Detector, Observation, State, Verdict
from transforms.anomaly.params import CommonParams, bounded, flags, spread_floor, z_score
from transforms.anomaly.stats import median, robust_sigma

PERIOD_SECONDS = {"day": 86_400, "week": 7 * 86_400}


@dataclass(frozen=True)
class SeasonalParams(CommonParams):
    """season: "day" or "week"; periods: K, the periods a slot remembers;
    min_periods: earlier periods a slot needs before it is the baseline;
    neighbours: adjacent slots pooled on each side; slot_seconds: slot width
    (0 = the window length); history: trailing windows of the fallback."""

    season: str = field(default="week", metadata={"choices": tuple(PERIOD_SECONDS)})
    periods: int = bounded(4, min=1, help="periods a slot remembers")
    min_periods: int = bounded(2, min=1, help="periods a slot needs before it is the baseline")
    neighbours: int = bounded(0, min=0, help="adjacent slots pooled on each side")
    slot_seconds: float = bounded(0.0, min=0.0, help="slot width; 0 = the window length")
    history: int = bounded(48, min=2, help="trailing windows of the fallback baseline")


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
        pooled = [v for j in range(-p.neighbours, p.neighbours + 1)
                  for _, v in _recent(slots.get(str((slot + j) % n_slots), []), period, p.periods)]
        seen = {per for per, _ in own if per < period}
        if len(seen) >= p.min_periods:
            baseline, basis = pooled, f"{self._slot_name(obs.window_start)} over {len(seen)} {p.season}s"
        else:
            baseline, basis = state["history"], f"trailing {len(state['history'])} windows"

        expected = spread = score = None
        is_anomaly = False
        if baseline and state["n"] >= p.warmup:
            expected = median(baseline)
            spread = max(robust_sigma(baseline, expected), spread_floor(p, expected))
            score = z_score(obs.value, expected, spread)
            is_anomaly = flags(p, score, obs.value - expected)
        verdict = Verdict(obs.value, expected, spread, score, p.threshold, is_anomaly, self.name, basis)

        slots = dict(slots)
        slots[str(slot)] = own + [[period, obs.value]]
        new_state = {"n": state["n"] + 1, "history": (state["history"] + [obs.value])[-p.history:],
                     "slots": slots}
        return verdict, new_state

    def _slot_name(self, window_start: float) -> str:
        t = dt.datetime.fromtimestamp(window_start, tz=dt.timezone.utc)
        clock = t.strftime("%H:%M")
        return f"{t.strftime('%A')} {clock}" if self.params.season == "week" else clock


def _recent(entries: list, period: int, periods: int) -> list:
    """Entries of the last ``periods`` periods before ``period`` (and of ``period`` itself)."""
    return [e for e in entries if e[0] >= period - periods]
