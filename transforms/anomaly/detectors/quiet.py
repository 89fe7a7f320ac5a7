"""Quiet spell: a bursty series stays inactive clearly longer than it ever did recently.

Many machine metrics are idle most of the time and busy in bursts (a disk
written by a batch job, a CPU that a cron job lifts every few hours, a feed
that delivers in batches). When the bursts stop, no window is extreme, no
z-score moves and the variance falls only back to its idle level, so every
detector that looks for something *unusual in a window* stays silent: the
anomaly is what is missing (realAWSCloudwatch ec2_disk_write_bytes_c0d644 and
ec2_cpu_utilization_fe7f93: their last labelled window lies in a spell without
the usual bursts; at the defaults this detector finds c0d644's, 300 windows
into a spell; fe7f93's spell is not yet twice its longest one inside the
window). The record-breaking idea of :mod:`extreme`, applied to
time: a quiet spell is anomalous when it has lasted ``ratio`` times as long as
the longest of the last ``spells`` completed quiet spells of the same series.

A window is *active* when its value is at least ``activity`` of the way from
the minimum to the maximum the series produced over the long, block-wise
memory of :mod:`extreme` (``block * blocks`` windows): 0.25, the upper three
quarters of the range. A quiet spell is the run of inactive windows between
two active ones; its length is counted in windows as they arrive. Nothing
flags before ``min_spells`` spells have been completed (a series needs some
history of bursts before their absence means anything) nor before ``warmup``
windows. One window flags per spell: the one at which the spell becomes too
long (the alert of one silence); the spell's later windows keep the score but
do not flag. The score is the spell's length in units of the longest recent
spell, negative (the series is below its activity); ``threshold`` is ``ratio``.

The spells are forgotten when the activity level moves by more than the range
they were measured in (``basis``: that level and range): the first burst of a
series that only idled so far lifts the level above everything the idle
spells called active, so they no longer measure the same activity.

Only a bursty series qualifies: one whose windows were mostly idle (at most
half of them active since the spells were last forgotten, ``counts``). A
noisy or drifting series is active in most windows, and its inactive runs are
the noise's, not missing bursts; a series with no bursts (a flat or smoothly
varying one) completes few spells of any length. A feed that goes silent
and reports 0 is a quiet spell like any other when 0 lies at the bottom of
its range.

State: ``{"n": int, "blocks": [[min, max], ...] (<= blocks), "current": [min,
max, count] | None, "since": int | None (windows since the last active one),
"spells": [<= spells ints], "armed": bool, "basis": [level, range] | None,
"counts": [active, windows]}``: at most ``2 * blocks + spells + 10`` numbers,
about 1.6 kB of JSON at the defaults (32 blocks, 32 spells; measured with
``benchmarks/detector_cost.py``'s series: 188,000 windows/s on one core).

The defaults (ratio 2, min_spells 16: half the spells remembered) are the
setting benchmarks/nab_cv_grid_e.yaml's cross-validation chose.

    detector = Quiet(QuietParams(ratio=2, activity=0.25))
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from veilwatch.transforms.anomaly.base import Detector, Observation, State, Verdict
from veilwatch.transforms.anomaly.detectors.extreme import remember, remembered_range
from veilwatch.transforms.anomaly.params import bounded


@dataclass(frozen=True)
class QuietParams:
    """ratio: a spell flags when it is this many times the longest recent one;
    activity: share of the remembered range above its minimum at which a window is
    active; spells: completed spells remembered; min_spells: spells completed before
    any flag; block, blocks: the range memory (as in ``extreme``); warmup: windows seen
    before any flag."""

    ratio: float = bounded(2.0, min=1.0, help="times the longest recent quiet spell at which a spell flags")
    activity: float = bounded(
        0.25, min=0.0, max=1.0, help="share of the range above its minimum that is active"
    )
    spells: int = bounded(32, min=1, max=1024, help="completed quiet spells remembered")
    min_spells: int = bounded(16, min=1, help="quiet spells completed before any flag")
    block: int = bounded(144, min=1, help="windows per block of the range memory")
    blocks: int = bounded(32, min=1, max=1024, help="blocks of the range memory")
    warmup: int = bounded(48, min=2, help="windows seen before any flag")

    @property
    def threshold(self) -> float:
        return self.ratio


class Quiet(Detector):
    """Length of the current run of inactive windows against the longest recent runs."""

    name = "quiet"

    def __init__(self, params: QuietParams = QuietParams()):
        self.params = params

    def initial_state(self) -> State:
        return {
            "n": 0,
            "blocks": [],
            "current": None,
            "since": None,
            "spells": [],
            "armed": True,
            "basis": None,
            "counts": [0, 0],
        }

    def observe(self, state: State, obs: Observation) -> tuple[Verdict, State]:
        p = self.params
        value, n = obs.value, state["n"]
        since, spells, armed = state["since"], list(state["spells"]), state["armed"]
        basis, counts = state["basis"], state["counts"]
        bounds = remembered_range(state["blocks"], state["current"])
        expected = spread = score = None
        is_anomaly = False
        if n >= p.warmup and bounds and bounds[1] > bounds[0] and math.isfinite(value):
            lo, hi = bounds
            expected, spread = lo + p.activity * (hi - lo), hi - lo
            if basis is None or abs(expected - basis[0]) > basis[1]:
                # the activity level moved by more than the range the spells were measured in (the
                # first burst of a series that idled so far): they measured another kind of activity
                spells, basis, counts = [], [expected, spread], [0, 0]
            active = value >= expected
            counts = [counts[0] + active, counts[1] + 1]
            if active:  # a spell that was running is complete
                if since is not None and since > 0:
                    spells = (spells + [since])[-p.spells :]
                since, armed = 0, True
            elif since is not None:
                since += 1
                longest = max(spells, default=0)
                if longest > 0:
                    score = -since / longest
                    bursty = 2 * counts[0] <= counts[1]  # most windows idle
                    if armed and bursty and len(spells) >= p.min_spells and since > p.ratio * longest:
                        is_anomaly, armed = True, False
        verdict = Verdict(
            value,
            expected,
            spread,
            score,
            p.threshold,
            is_anomaly,
            self.name,
            basis=f"longest of the last {len(spells)} quiet spells",
        )
        blocks, current = remember(state["blocks"], state["current"], value, p.block, p.blocks)
        return verdict, {
            "n": n + 1,
            "blocks": blocks,
            "current": current,
            "since": since,
            "spells": spells,
            "armed": armed,
            "basis": basis,
            "counts": counts,
        }
