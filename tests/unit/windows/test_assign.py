"""Window assignment matches Beam's FixedWindows / SlidingWindows."""

from __future__ import annotations

import pytest
from apache_beam.transforms import window as beam_window
from apache_beam.utils.timestamp import Timestamp

from veilwatch.transforms.config.model import WindowKind, WindowSpec
from veilwatch.transforms.windows.assign import WindowAssigner, window_step_seconds


@pytest.mark.parametrize(
    "spec,beam_fn",
    [
        (WindowSpec(WindowKind.FIXED, 3600), beam_window.FixedWindows(3600)),
        (WindowSpec(WindowKind.SLIDING, 3600, 900), beam_window.SlidingWindows(3600, 900)),
        (WindowSpec(WindowKind.SLIDING, 600, 600), beam_window.SlidingWindows(600, 600)),
    ],
)
@pytest.mark.parametrize("t", [0.0, 1.5, 899.999, 900.0, 3599.0, 1_793_613_600.25, 1_793_617_199.0])
def test_same_windows_as_beam(spec, beam_fn, t):
    ours = WindowAssigner(spec).starts(t)
    theirs = sorted(float(w.start) for w in beam_fn.assign(beam_window.WindowFn.AssignContext(Timestamp(t))))
    assert ours == theirs


@pytest.mark.parametrize(
    "spec,step",
    [
        (WindowSpec(WindowKind.FIXED, 3600.0), 3600.0),
        (WindowSpec(WindowKind.SLIDING, 7200.0, period_seconds=600.0), 600.0),
        (WindowSpec(WindowKind.SESSIONS, 300.0, gap_seconds=300.0), None),
    ],
    ids=["fixed", "sliding", "sessions"],
)
def test_the_window_step_is_worked_out_in_one_place(spec, step):
    """Scoring's gap filling, the lateness gate, data validation and the report's timeline all use it."""
    assert window_step_seconds(spec) == step
