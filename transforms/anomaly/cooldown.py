"""Alert cooldown: after an alert on a series, suppress further alerts for a while.

Suppressed windows stay anomalous (the verdict is unchanged and should still
be recorded); only the alert is held back, so one incident pages once. The
duration is ``seconds`` plus ``windows`` window lengths, counted from the
start of the window that alerted, or (``extend: true``) from the start of the
latest anomalous window, so an incident alerts once however long it lasts
and the series alerts again only after a quiet ``duration``. State is a JSON-serialisable dict, like the
detectors' state.

With ``per_member: true`` each member of an ensemble detector has its own
cooldown (the members named in the verdict's ``sources``; a verdict without
sources counts as one member ``"*"``): a window alerts when at least one of
the members that flag it is outside its own cooldown, and an alert starts
the cooldown of every member that flagged it. So a false alarm of one view
(a new context, say) does not hide a later, different view of a real
incident (a new level), while one member's repeated alarms still page once.
State then also holds ``"members": {source: last alert start}``, at most one
entry per member of the detector.

    cooldown = Cooldown(windows=12)
    state = cooldown.initial_state()
    alert, state = cooldown.apply(state, obs, verdict.is_anomaly, verdict.sources)
"""

from __future__ import annotations

from dataclasses import dataclass

from veilwatch.transforms.anomaly.base import Observation, State
from veilwatch.transforms.anomaly.params import bounded


@dataclass(frozen=True)
class Cooldown:
    """seconds and windows add up to the time after an alert during which
    further anomalies of the series do not alert (both 0: every anomaly alerts);
    extend: every anomalous window, alerted or not, restarts the cooldown;
    per_member: one cooldown per member of an ensemble (see the module docstring)."""

    seconds: float = bounded(0.0, min=0.0, help="cooldown after an alert, in seconds")
    windows: float = bounded(0.0, min=0.0, help="cooldown after an alert, in window lengths")
    extend: bool = False
    per_member: bool = False

    def initial_state(self) -> State:
        return {"last_alert": None, "members": {}} if self.per_member else {"last_alert": None}

    def duration(self, obs: Observation) -> float:
        return self.seconds + self.windows * (obs.window_end - obs.window_start)

    def apply(
        self, state: State, obs: Observation, is_anomaly: bool, sources: tuple[str, ...] = ()
    ) -> tuple[bool, State]:
        """Whether this window alerts, and the new state (``state`` is not mutated).

        ``sources``: the members that flag the window (a verdict's ``sources``); used with ``per_member``."""
        if not is_anomaly:
            return False, state
        if self.per_member:
            return self._apply_per_member(state, obs, tuple(sources) or ("*",))
        last = state.get("last_alert")
        if last is not None and obs.window_start < last + self.duration(obs):
            return False, ({"last_alert": obs.window_start} if self.extend else state)
        return True, {"last_alert": obs.window_start}

    def _apply_per_member(
        self, state: State, obs: Observation, sources: tuple[str, ...]
    ) -> tuple[bool, State]:
        members = dict(state.get("members") or {})
        duration = self.duration(obs)
        free = [s for s in sources if members.get(s) is None or obs.window_start >= members[s] + duration]
        if free:
            members.update({s: obs.window_start for s in sources})
            return True, {"last_alert": obs.window_start, "members": members}
        if self.extend:
            members.update({s: obs.window_start for s in sources})
            return False, {"last_alert": state.get("last_alert"), "members": members}
        return False, state
