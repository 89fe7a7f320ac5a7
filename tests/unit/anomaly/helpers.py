"""Shared test helpers: hourly windows numbered from the epoch (1970-01-01 is a Thursday)."""

from __future__ import annotations

from veilwatch.transforms.anomaly.base import Detector, Observation

HOUR = 3600.0
DAY = 24 * HOUR


def obs(i: int, value: float, width: float = HOUR) -> Observation:
    """Window number ``i`` of length ``width``: [i * width, (i + 1) * width)."""
    return Observation(i * width, (i + 1) * width, value)


def run(detector: Detector, observations, state=None):
    """Feed observations in order; return (verdicts, final state)."""
    state = detector.initial_state() if state is None else state
    verdicts = []
    for o in observations:
        verdict, state = detector.observe(state, o)
        verdicts.append(verdict)
    return verdicts, state
