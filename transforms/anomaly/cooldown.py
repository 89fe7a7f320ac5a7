"""Alert cooldown: after an alert on a series, suppress further alerts for a while.

Suppressed windows stay anomalous (the verdict is unchanged and should still
be recorded); only the alert is held back, so one incident pages once. The
duration is ``seconds`` plus ``windows`` window lengths, counted from the
start of the window that alerted, or (``extend: true``) from the start of the
latest anomalous window, so an incident alerts once however long it lasts
and the series alerts again only after a quiet ``duration``. State is a JSON-serialisable dict, like the
detectors' state.

    cooldown = Cooldown(windows=12)
    state = cooldown.initial_state()
    alert, state = cooldown.apply(state, obs, verdict.is_anomaly)
"""

from __future__ import annotations

from dataclasses import dataclass

from veilwatch.transforms.anomaly.base import Observation, State
from veilwatch.transforms.anomaly.params import bounded


@dataclass(frozen=True)
class Cooldown:
    """seconds and windows add up to the time after an alert during which
    further anomalies of the series do not alert (both 0: every anomaly alerts);
    extend: every anomalous window, alerted or not, restarts the cooldown."""

    seconds: float = bounded(0.0, min=0.0, help="cooldown after an alert, in seconds")
    windows: float = bounded(0.0, min=0.0, help="cooldown after an alert, in window lengths")
    extend: bool = False

    def initial_state(self) -> State:
        return {"last_alert": None}

    def duration(self, obs: Observation) -> float:
        return self.seconds + self.windows * (obs.window_end - obs.window_start)

    def apply(self, state: State, obs: Observation, is_anomaly: bool) -> tuple[bool, State]:
        """Whether this window alerts, and the new state (``state`` is not mutated)."""
        if not is_anomaly:
            return False, state
        last = state.get("last_alert")
        if last is not None and obs.window_start < last + self.duration(obs):
            return False, ({"last_alert": obs.window_start} if self.extend else state)
        return True, {"last_alert": obs.window_start}
