"""The contract every anomaly detector implements.

A detector scores one series (dataset + metric + group key) one window at a
time, in event-time order. It is a stateless strategy built from config; the
per-series state it needs lives in a plain JSON-serialisable ``dict`` owned by
the caller (a stateful DoFn), so state survives a streaming pipeline update
without pickled Python objects whose class may change.

    detector = RobustZScore(RobustZScoreParams(threshold=4.0))
    state = detector.initial_state()
    for obs in observations:                       # in event-time order
        verdict, state = detector.observe(state, obs)
"""

from __future__ import annotations

import abc
import enum
from dataclasses import dataclass
from typing import Any


class Direction(enum.StrEnum):
    """Which deviations count as anomalous."""

    UP = "up"
    DOWN = "down"
    BOTH = "both"


@dataclass(frozen=True)
class Observation:
    """A metric value of one window. Times are epoch seconds (UTC)."""

    window_start: float
    window_end: float
    value: float


@dataclass(frozen=True)
class Verdict:
    """A detector's judgement of one window.

    expected/spread: the baseline the value was compared with (None while the
        detector has no baseline yet, i.e. during warm-up).
    score: signed deviation in the detector's unit (sigmas for z-scores);
        positive above expected, negative below.
    is_anomaly: ``abs(score) >= threshold`` in the configured direction and
        the absolute change is at least the configured minimum.
    basis: a short phrase naming the baseline, for explanations
        ("trailing 48 windows", "Tuesday 14:00 over 4 weeks").
    sources: an ensemble's anomalous verdict names the members whose
        agreement made it ("<position>:<member name>"), so a per-member
        cooldown can hold back one member's alerts without the others'; empty
        for single detectors.
    """

    observed: float
    expected: float | None
    spread: float | None
    score: float | None
    threshold: float
    is_anomaly: bool
    detector: str
    basis: str = ""
    sources: tuple[str, ...] = ()


State = dict[str, Any]


class Detector(abc.ABC):
    """Scores windows of one series; state is a JSON-serialisable dict."""

    name: str = "detector"

    @abc.abstractmethod
    def initial_state(self) -> State:
        """State of a series that has seen no window yet."""

    @abc.abstractmethod
    def observe(self, state: State, obs: Observation) -> tuple[Verdict, State]:
        """Score ``obs`` against the baseline in ``state``; return the new state.

        Must not mutate ``state`` in place; must accept windows in event-time
        order (gaps are allowed: a window with no records may be missing).
        """
