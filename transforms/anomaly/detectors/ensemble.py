"""Ensemble: flag a window when enough member detectors agree.

``mode`` is "all", "any", "k" (at least ``k`` of the n members) or "max". Agreement is
per side: members flagging the window as high and members flagging it as
low are counted apart, so a seasonal detector saying "too high" and a
trailing one saying "too low" do not add up to an alert. The verdict reports
the member that deviates most (in multiples of its own threshold) among
those that agree, or among all members when the window is normal.

"max" flags as "any" does, but its score is the most deviating member's
score in units of that member's threshold (signed; threshold 1), so members
in different units (sigmas, log likelihoods, run-length scores) become one
series of comparable scores. Its use is as the member of a ``likelihood``
stage: the anomaly likelihood of the max normalised score flags what is
improbable *on this series* for the ensemble as a whole, with no per-member,
per-file knob (an "any" ensemble adds up every member's false alarms).

An anomalous verdict lists the agreeing members' keys in ``sources``
(``"<position>:<member name>"``), for a per-member cooldown. The state
is a dict of the members' states, keyed the same way.

    both = Ensemble([Seasonal(...), RobustZScore(...)], EnsembleParams(mode="all"))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from veilwatch.transforms.anomaly.base import Detector, Observation, State, Verdict
from veilwatch.transforms.anomaly.params import bounded

MODES = ("all", "any", "k", "max")


@dataclass(frozen=True)
class EnsembleParams:
    """mode: "all", "any", "k" or "max" (any, scored in members' thresholds); k: members
    that must agree when mode is "k"."""

    mode: str = field(default="all", metadata={"choices": MODES})
    k: int = bounded(1, min=1, help='members that must agree when mode is "k"')


class Ensemble(Detector):
    """Combines member detectors by agreement."""

    def __init__(self, members: Sequence[Detector], params: EnsembleParams = EnsembleParams()):
        if not members:
            raise ValueError("an ensemble needs at least one member")
        if params.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        if params.mode == "k" and params.k > len(members):
            raise ValueError(f"k={params.k} exceeds the {len(members)} members")
        self.members = list(members)
        self.params = params
        self.keys = [f"{i}:{m.name}" for i, m in enumerate(self.members)]
        self.name = (
            f"{params.mode if params.mode != 'k' else f'{params.k}_of'}({'+'.join(m.name for m in members)})"
        )
        self.required = {"all": len(members), "any": 1, "k": params.k, "max": 1}[params.mode]

    def initial_state(self) -> State:
        return {key: m.initial_state() for key, m in zip(self.keys, self.members, strict=True)}

    def observe(self, state: State, obs: Observation) -> tuple[Verdict, State]:
        verdicts, new_state = [], {}
        for key, member in zip(self.keys, self.members, strict=True):
            verdict, new_state[key] = member.observe(state.get(key) or member.initial_state(), obs)
            verdicts.append(verdict)
        up = [i for i, v in enumerate(verdicts) if v.is_anomaly and v.score is not None and v.score > 0]
        down = [i for i, v in enumerate(verdicts) if v.is_anomaly and v.score is not None and v.score < 0]
        agreeing = max(up, down, key=len)
        is_anomaly = len(agreeing) >= self.required
        candidates = (
            [verdicts[i] for i in agreeing] if is_anomaly else [v for v in verdicts if v.score is not None]
        )
        chosen = max(candidates, key=_severity) if candidates else verdicts[0]
        sources = tuple(self.keys[i] for i in agreeing) if is_anomaly else ()
        if self.params.mode == "max" and chosen.score is not None:
            normalised = _severity(chosen) if chosen.score >= 0 else -_severity(chosen)
            return replace(
                chosen,
                score=normalised,
                threshold=1.0,
                is_anomaly=is_anomaly,
                detector=f"{self.name}:{chosen.detector}",
                sources=sources,
            ), new_state
        return replace(
            chosen, is_anomaly=is_anomaly, detector=f"{self.name}:{chosen.detector}", sources=sources
        ), new_state


def _severity(verdict: Verdict) -> float:
    assert verdict.score is not None, "only verdicts with a score are ranked"
    return abs(verdict.score) / verdict.threshold if verdict.threshold else abs(verdict.score)
