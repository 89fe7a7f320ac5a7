"""The batch paths of the calculators (``add_rows``, ``DDSketch.add_many``) give exactly what
adding row by row gives: the same sketch buckets and counts, the same frequencies."""

from __future__ import annotations

import random

from veilwatch.transforms.config.model import MetricKind, MetricSpec
from veilwatch.transforms.metrics.calculators import calculator_for
from veilwatch.transforms.metrics.sketches.ddsketch import DDSketch

ODD_VALUES = [
    0,
    0.0,
    -0.0,
    1e-12,
    -1e-12,
    float("nan"),
    float("inf"),
    -float("inf"),
    True,
    False,
    "7",
    None,
    10**30,
]


def _values(rng: random.Random, n: int) -> list:
    out: list = []
    for _ in range(n):
        pick = rng.random()
        if pick < 0.2:
            out.append(rng.choice(ODD_VALUES))
        elif pick < 0.6:
            out.append(rng.uniform(-1e6, 1e6))
        else:
            out.append(rng.randint(-1000, 1000))
    return out


def _rows(values: list) -> list[tuple]:
    rows = [({"x": value}, frozenset(), 0.0, False) for value in values]
    return rows + [(None, frozenset(), 0.0, True), ({}, frozenset(), 0.0, False)]


def test_add_many_equals_adding_one_by_one():
    rng = random.Random(7)
    values = [v for v in _values(rng, 5000) if type(v) in (float, int) and abs(v) < 1e300]  # finite
    one = DDSketch()
    for value in values:
        one.add(float(value))
    many = DDSketch()
    many.add_many([float(v) for v in values[:100]])
    many.add_many([float(v) for v in values[100:]])
    assert (many.positive, many.negative, many.zeros, many.count) == (
        one.positive,
        one.negative,
        one.zeros,
        one.count,
    )
    assert one.count == len(values) and one.zeros > 0 and one.negative and one.positive


def test_quantile_and_heavy_hitter_add_rows_equal_add_per_row():
    rng = random.Random(15)
    rows = _rows(_values(rng, 3000) + [str(rng.randint(0, 20)) for _ in range(500)])
    for spec in (
        MetricSpec(name="q", kind=MetricKind.QUANTILE, field="x", quantile=0.5),
        MetricSpec(name="h", kind=MetricKind.HEAVY_HITTER, field="x"),
    ):
        calc = calculator_for(spec)
        batch, single = calc.local(), calc.local()
        calc.add_rows(batch, rows)
        for record, findings, _, dead in rows:
            calc.add(single, record, findings, dead)
        assert calc.partial(batch) == calc.partial(single)
        assert calc.value(calc.partial(batch)) == calc.value(calc.partial(single))
