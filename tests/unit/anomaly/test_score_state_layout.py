"""ScoreSeriesFn's state layout: few cells (the runner sizes every value read or written, per cell and
series: a fixed cost of each), all plain data; ScoreGroupedFn (bounded input) keeps none and scores alike."""

from __future__ import annotations

import json
import random

from apache_beam.coders import coders
from apache_beam.transforms import userstate

from veilwatch.transforms.anomaly.base import Observation
from veilwatch.transforms.anomaly.registry import parse_detector
from veilwatch.transforms.anomaly.score import ScoreGroupedFn, ScoreSeriesFn, ScoringSpec
from veilwatch.transforms.config.model import MetricKind
from veilwatch.transforms.elements import WindowMetric


def _fn() -> ScoreSeriesFn:
    detector = parse_detector({"type": "robust_zscore", "history": 20, "warmup": 5}, "detector")
    return ScoreSeriesFn(ScoringSpec("ds", detector, 60.0, {"records": MetricKind.COUNT}))


def test_a_series_holds_a_buffer_its_release_time_and_one_json_document():
    states, timers = userstate.get_dofn_specs(_fn())
    assert sorted(s.name for s in states) == ["buffer", "release_at", "series_state"]
    assert len(timers) == 1  # the release timer
    cells = {s.name: s for s in states}
    # text, not pickled class instances: it survives a streaming pipeline update
    assert isinstance(cells["series_state"].coder, coders.StrUtf8Coder)
    assert isinstance(cells["release_at"].coder, coders.FloatCoder)


def test_the_document_round_trips_the_detector_and_cooldown_states():
    fn = _fn()
    fn.setup()
    detector = fn.scorer.default_detector
    state = detector.initial_state()
    cool = fn.spec.cooldown.initial_state()
    for i in range(8):
        _, state = detector.observe(state, Observation(60.0 * i, 60.0 * (i + 1), float(10 + i % 3)))
    document = json.loads(json.dumps({"detector": state, "cooldown": cool, "last_start": 420.0}))
    assert document == {"detector": state, "cooldown": cool, "last_start": 420.0}


class _Cell:
    """A state cell (bag or read-modify-write) that records what is done to it."""

    def __init__(self):
        self.values: list = []
        self.ops: list[str] = []

    def read(self):
        self.ops.append("read")
        return self.values[0] if self.values else None

    def write(self, value):
        self.ops.append("write")
        self.values = [value]

    def add(self, value):
        self.ops.append("add")
        self.values.append(value)

    def clear(self):
        self.ops.append("clear")
        self.values = []


class _Bag(_Cell):
    def read(self):
        self.ops.append("read")
        return list(self.values)


class _Timer:
    def __init__(self):
        self.sets: list = []

    def set(self, at):
        self.sets.append(at)


def _score_with_state(metrics: list[WindowMetric]) -> tuple[list[dict], dict]:
    """Every metric through ScoreSeriesFn.process in the given order (one bundle), then each series'
    timer fires at its last set time; returns the scored records and each series' cells."""
    fn = _fn()
    fn.setup()
    cells: dict[str, dict] = {}
    for m in metrics:
        c = cells.setdefault(
            m.series_key, {"buffer": _Bag(), "release_at": _Cell(), "series": _Cell(), "timer": _Timer()}
        )
        list(fn.process((m.series_key, m), c["buffer"], c["release_at"], c["timer"]))
    out = []
    for c in cells.values():
        fire = c["timer"].sets[-1]
        out += list(fn.on_release(fire, c["buffer"], c["series"], c["release_at"], c["timer"]))
    return out, cells


def _score_grouped(metrics: list[WindowMetric]) -> list[dict]:
    """The metrics grouped by series in arrival order (as a GroupByKey hands them over), each group
    through ScoreGroupedFn."""
    detector = parse_detector({"type": "robust_zscore", "history": 20, "warmup": 5}, "detector")
    fn = ScoreGroupedFn(ScoringSpec("ds", detector, 60.0, {"records": MetricKind.COUNT}))
    fn.setup()
    groups: dict[str, list[WindowMetric]] = {}
    for m in metrics:
        groups.setdefault(m.series_key, []).append(m)
    return [record for group in groups.items() for record in fn.process(group)]


def test_a_bounded_input_is_scored_without_state_as_the_stateful_fn_scores_it():
    values = [10, 12, 11, 13, 10, 12, 11, 40, 12, 11]
    metrics = [
        WindowMetric("records", None, None, 60.0 * i, 60.0 * (i + 1), float(v))
        for i, v in enumerate(values)
        if i != 4  # a gap: filled with a zero
    ]
    metrics += [WindowMetric("records", "shop", "s1", 60.0 * i, 60.0 * (i + 1), 1) for i in range(6)]
    shuffled = list(metrics)
    random.Random(7).shuffle(shuffled)  # not in event-time order
    assert shuffled != metrics
    grouped = _score_grouped(shuffled)
    stateful, cells = _score_with_state(shuffled)
    assert len(grouped) == len(metrics) + 1 == 16
    assert grouped == stateful  # same records, in event-time order per series
    assert [r["window_start"] for r in grouped if r["group"] is None] == sorted(
        r["window_start"] for r in grouped if r["group"] is None
    )
    assert [r["observed"] for r in grouped if r["group"] is None][4] == 0.0
    assert all(type(r["observed"]) is float for r in grouped)  # as the stateful buffer's coder gives them
    assert any(r["is_anomaly"] for r in grouped)
    for c in cells.values():
        assert c["series"].ops == ["read", "write"]
    # nothing for the runner's state cache to size, no timer
    assert userstate.get_dofn_specs(
        ScoreGroupedFn(ScoringSpec("ds", _fn().spec.detector_spec, 60.0, {}))
    ) == (set(), set())
