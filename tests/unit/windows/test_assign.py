"""Window assignment matches Beam's FixedWindows / SlidingWindows."""

from __future__ import annotations

import pytest
from apache_beam.transforms import window as beam_window
from apache_beam.utils.timestamp import Timestamp

from veilwatch.transforms.config.model import WindowKind, WindowSpec
from veilwatch.transforms.windows.assign import WindowAssigner


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
