"""Contextual novelty: has this series ever gone through this short run of levels?

The idea of NAB's contextOSE detector (Smirnov's Contextual Anomaly Detector):
quantise the recent values into a few levels, remember every "context" (a run
of consecutive levels) seen so far, and score a window by how much of its
context is new. Here each window's value gets a level (``levels`` steps over
the range of the first ``warmup`` windows, see :mod:`levels`), and the
contexts ending at the window are its last 1, 2, ..., ``order`` levels. The
score is the share of those ``order`` contexts never seen before (a context
never seen makes every longer one new too, so the score is
``(order - k + 1) / order`` with ``k`` the shortest new context): 1 for a
level the series never had, ``(order - 1) / order`` for a known level reached
by a jump never made before, small for a merely new long pattern. A window is
anomalous when the score reaches ``threshold``, after ``learn`` windows of
context learning that follow the range's warmup. Every window's contexts are
learnt after it is scored, so a new pattern alerts once and is then known.

Unlike contextOSE: the range comes from the stream's first windows, not from
the whole file; contexts are plain runs of levels (no semi-context crossing or
neuron facts); and the memory is bounded: at most ``memory`` contexts, the
least recently seen quarter forgotten when it is full (LRU), so a pattern not
seen for a long time becomes new again.

The verdict's score carries the sign of the change from the previous window.

State: ``{"range": {...}, "recent": [<= order - 1 ints], "seen": {<= memory
keys "l1,l2,...": int last-seen index}, "i": int, "last": previous value}``; JSON size about
``memory * (4 * order + 8)`` bytes at most (about 100 kB for memory 4096, order 4;
11 kB measured after 20,000 windows of a noisy series at order 4, 8 levels).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from veilwatch.transforms.anomaly.base import Detector, Direction, Observation, State, Verdict
from veilwatch.transforms.anomaly.detectors import levels as grid
from veilwatch.transforms.anomaly.params import bounded, is_deviation


@dataclass(frozen=True)
class ContextParams:
    """threshold: share (0..1) of new contexts at which a window flags; levels:
    steps over the learnt range; order: longest context, in windows; warmup:
    windows whose range sets the grid; learn: windows of context learning
    after the warmup before any flag; memory: most contexts remembered (LRU);
    direction and min_abs_change: as in CommonParams (change from the previous
    window)."""

    threshold: float = bounded(0.75, min=0.0, max=1.0, help="share of new contexts at which a window flags")
    levels: int = bounded(8, min=2, max=64, help="steps over the learnt range")
    order: int = bounded(4, min=1, max=16, help="longest context, in windows")
    warmup: int = bounded(150, min=2, help="windows whose minimum and maximum set the grid")
    learn: int = bounded(150, min=0, help="windows of context learning before any flag")
    memory: int = bounded(4096, min=16, max=65536, help="most contexts remembered")
    neighbours: int = bounded(0, min=0, max=2, help="levels either side that make a context familiar")
    direction: Direction = Direction.BOTH
    min_abs_change: float = bounded(0.0, min=0.0, help="smaller absolute changes never flag")


class Context(Detector):
    """Novelty of the run of quantised levels ending at each window."""

    name = "context"

    def __init__(self, params: ContextParams = ContextParams()):
        self.params = params

    def initial_state(self) -> State:
        return {"range": grid.initial_range(), "recent": [], "seen": {}, "i": 0, "last": None}

    def _familiar(self, seen: dict, run: list[int]) -> bool:
        """Whether ``run``, or (``neighbours``) a run within that many levels of it at every step, was seen."""
        n = self.params.neighbours
        if not n:
            return ",".join(map(str, run)) in seen
        return any(
            ",".join(map(str, shifted)) in seen
            for shifted in itertools.product(*[range(lvl - n, lvl + n + 1) for lvl in run])
        )

    def observe(self, state: State, obs: Observation) -> tuple[Verdict, State]:
        p = self.params
        last = state["last"]
        if not grid.is_learnt(state["range"], p.warmup):
            rng = grid.learn(state["range"], obs.value, p.warmup)
            verdict = Verdict(
                obs.value,
                None,
                None,
                None,
                p.threshold,
                False,
                self.name,
                basis=f"learning the range ({rng['n']} of {p.warmup} windows)",
            )
            return verdict, {**state, "range": rng, "last": obs.value}
        i = state["i"]
        lvl = grid.level(state["range"], obs.value, p.levels)
        run = list(state["recent"]) + [lvl]
        keys = [",".join(map(str, run[-k:])) for k in range(1, len(run) + 1)]
        seen: dict = state["seen"]
        new = sum(1 for k in range(1, len(run) + 1) if not self._familiar(seen, run[-k:]))
        score = new / p.order
        change = 0.0 if last is None else obs.value - last
        signed = -score if change < 0 else score
        is_anomaly = i >= p.learn and is_deviation(signed, change, p.threshold, p.direction, p.min_abs_change)
        verdict = Verdict(
            obs.value,
            last,
            None,
            signed,
            p.threshold,
            is_anomaly,
            self.name,
            basis=f"{len(seen)} contexts of up to {p.order} windows",
        )
        seen = dict(seen)
        for key in keys:
            seen[key] = i
        if len(seen) > p.memory:  # forget the least recently seen quarter
            keep = sorted(seen.items(), key=lambda kv: kv[1])[len(seen) - (3 * p.memory) // 4 :]
            seen = dict(keep)
        return verdict, {
            "range": state["range"],
            "recent": run[-(p.order - 1) :] if p.order > 1 else [],
            "seen": seen,
            "i": i + 1,
            "last": obs.value,
        }
