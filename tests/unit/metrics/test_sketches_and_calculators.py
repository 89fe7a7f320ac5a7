"""Sketch accuracy and calculator arithmetic, checked against exact computation."""

from __future__ import annotations

import math
import random
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veilwatch.transforms.config.model import MetricKind, MetricSpec
from veilwatch.transforms.metrics.calculators import calculator_for
from veilwatch.transforms.metrics.sketches import hyperloglog, space_saving
from veilwatch.transforms.metrics.sketches.ddsketch import DDSketch


@pytest.mark.parametrize("n", [10, 1000, 50_000])
def test_hyperloglog_estimates_within_five_percent_and_merges_like_one_sketch(n):
    a, b, whole = hyperloglog.new_registers(), hyperloglog.new_registers(), hyperloglog.new_registers()
    for i in range(n):
        value = f"token-{i}"
        hyperloglog.add(a if i % 2 else b, value)
        hyperloglog.add(whole, value)
    merged = hyperloglog.merge(a, b)
    assert merged == whole
    assert abs(hyperloglog.estimate(merged) - n) <= 0.05 * n + 1


def test_ddsketch_quantiles_within_relative_accuracy():
    rng = random.Random(1)
    values = [rng.lognormvariate(3, 1) for _ in range(20_000)] + [-5.0, 0.0]
    left, right = DDSketch(), DDSketch()
    for i, v in enumerate(values):
        (left if i % 3 else right).add(v)
    sketch = left.merge(right)
    ordered = sorted(values)
    for q in (0.01, 0.5, 0.9, 0.99):
        true = ordered[int(q * (len(ordered) - 1))]
        assert abs(sketch.quantile(q) - true) <= 0.011 * abs(true)


def test_space_saving_keeps_every_heavy_hitter_with_bounded_overestimate():
    rng = random.Random(2)
    stream = ["whale"] * 500 + [f"c{rng.randint(0, 5000)}" for _ in range(20_000)]
    rng.shuffle(stream)
    counters: dict[str, int] = {}
    for item in stream:
        space_saving.add(counters, item, capacity=100)
    ((top, count),) = space_saving.top(counters, 1)
    assert top == "whale"
    assert 500 <= count <= 500 + len(stream) / 100


def _moments(values):
    calc = calculator_for(MetricSpec("m", MetricKind.MEAN, field="x"))
    halves = []
    for part in (values[: len(values) // 2], values[len(values) // 2 :]):
        local = calc.local()
        for v in part:
            calc.add(local, {"x": v}, frozenset(), False)
        halves.append(calc.partial(local))
    return calc.merge(*halves)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=50))
def test_merged_moments_equal_direct_computation(values):
    n, mean, m2, low, high, total = _moments(values)
    assert n == len(values)
    assert mean == pytest.approx(statistics.fmean(values), rel=1e-9, abs=1e-6)
    assert math.sqrt(m2 / (n - 1)) == pytest.approx(statistics.stdev(values), rel=1e-6, abs=1e-6)
    assert (low, high) == (min(values), max(values))
    assert total == pytest.approx(math.fsum(values), rel=1e-9, abs=1e-6)


def _value(spec, rows):
    calc = calculator_for(spec)
    local = calc.local()
    for record, findings, dead in rows:
        calc.add(local, record, findings, dead)
    return calc.value(calc.partial(local))


def test_rates_top_share_heavy_hitter_and_non_numeric_values():
    rows = [
        ({"p": None, "c": "a"}, frozenset({("note", "EMAIL_ADDRESS")}), False),
        ({"p": "1", "c": "a"}, frozenset(), False),
        ({"p": "2", "c": "b"}, frozenset({("note", "PHONE_NUMBER")}), False),
        ({"c": "a"}, frozenset(), False),
        (None, frozenset(), True),
    ]  # a dead letter
    assert _value(MetricSpec("n", MetricKind.NULL_RATE, field="p"), rows) == (0.5, None)
    assert _value(MetricSpec("f", MetricKind.FINDINGS_RATE, field="note"), rows) == (0.5, None)
    assert _value(
        MetricSpec("f", MetricKind.FINDINGS_RATE, field="note", info_type="PHONE_NUMBER"), rows
    ) == (0.25, None)
    assert _value(MetricSpec("d", MetricKind.DEAD_LETTER_RATE), rows) == (0.2, None)
    assert _value(MetricSpec("t", MetricKind.TOP_SHARE, field="c"), rows) == (0.75, None)
    assert _value(MetricSpec("h", MetricKind.HEAVY_HITTER, field="c"), rows) == (3.0, "a")
    assert _value(MetricSpec("s", MetricKind.SUM, field="p"), rows) == (None, None)  # text is not a number
    assert _value(MetricSpec("c", MetricKind.COUNT), rows) == (4.0, None)
