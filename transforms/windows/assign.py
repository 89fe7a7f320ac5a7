"""Event-time window assignment, as plain arithmetic (Beam's own rules).

Fixed windows of ``size`` start at multiples of ``size`` since the epoch;
sliding windows of ``size`` start every ``period``; a time belongs to every
window [start, start + size) that contains it. Matches
``apache_beam.transforms.window.FixedWindows`` / ``SlidingWindows`` with
offset 0, so pre-aggregated partials land in the windows Beam would choose.
"""

from __future__ import annotations

import math

from veilwatch.transforms.config.model import WindowKind, WindowSpec


def window_step_seconds(spec: WindowSpec) -> float | None:
    """Seconds from one window's start to the next: a fixed window's size, a sliding
    window's period; None for sessions, which have no fixed step. The one place this is
    worked out (metrics' lateness gate, gap filling in scoring, data validation, the report's
    timeline all use it)."""
    if spec.kind is WindowKind.SESSIONS:
        return None
    return spec.period_seconds or spec.size_seconds


class WindowAssigner:
    def __init__(self, spec: WindowSpec):
        self.size = spec.size_seconds
        period = spec.period_seconds if spec.kind is WindowKind.SLIDING else spec.size_seconds
        assert period is not None, "config validation requires a sliding window's period"
        self.period: float = period

    def starts(self, t: float) -> list[float]:
        """Start times of the windows that contain ``t``, oldest first."""
        last = math.floor(t / self.period) * self.period
        starts = []
        start = last
        while start > t - self.size:
            starts.append(start)
            start -= self.period
        starts.reverse()
        return starts
