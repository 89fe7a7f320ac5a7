"""One calculator per metric kind: batch-local accumulation, mergeable partials, a value.

Per batch, a calculator accumulates exactly and cheaply (``local``/``add``);
``partial`` turns that into a mergeable, bounded-size summary (a sketch where
exact would grow without bound); partials of every batch merge per window in
a CombineFn (``merge``); ``value`` reads the window's metric off the merged
partial, with an optional ``detail`` (the heavy hitter's de-identified token).

    calc = calculator_for(spec)
    local = calc.local(); calc.add(local, record, findings, dead=False)
    calc.add_rows(local, [(record, findings, event_time, False), ...])  # the same, for many
    value, detail = calc.value(calc.merge(calc.partial(local), other_partial))
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from typing import Any

from veilwatch.transforms.config.model import MetricKind, MetricSpec
from veilwatch.transforms.metrics.sketches import hyperloglog, space_saving
from veilwatch.transforms.metrics.sketches.ddsketch import DDSketch
from veilwatch.transforms.records.paths import first_value_getter

Findings = frozenset  # of (field path, infoType) pairs found in one record


def _number(value: Any) -> float | None:
    if type(value) in (int, float) and value == value and not math.isinf(value):
        return float(value)
    return None


def _text(value: Any) -> str | None:
    return None if value is None else (value if isinstance(value, str) else str(value))


class Calculator:
    """Base: a ratio of records that satisfy ``hit`` (subclasses override what they need)."""

    def __init__(self, spec: MetricSpec):
        self.spec = spec
        self.get: Callable[[Any], Any] = (
            first_value_getter(spec.field) if spec.field else (lambda record: None)
        )

    def local(self) -> Any:
        return [0, 0]

    def add(self, local: Any, record: dict | None, findings: Findings, dead: bool) -> None:
        if record is not None:
            local[0] += self.hit(record, findings)
            local[1] += 1

    def add_rows(self, local: Any, rows: list[tuple]) -> None:
        """``add`` for each (record, findings, event time, dead) row, in order.
        Subclasses override it where a whole list is cheaper than one call per row."""
        add = self.add
        for record, findings, _, dead in rows:
            add(local, record, findings, dead)

    def hit(self, record: dict, findings: Findings) -> bool:
        raise NotImplementedError

    def partial(self, local: Any) -> Any:
        return local

    def merge(self, a: Any, b: Any) -> Any:
        return [a[0] + b[0], a[1] + b[1]]

    def value(self, partial: Any) -> tuple[float | None, str | None]:
        hits, total = partial
        return (hits / total if total else None), None


class CountCalculator(Calculator):
    def local(self) -> Any:
        return [0]

    def add(self, local, record, findings, dead):
        if record is not None:
            local[0] += 1

    def add_rows(self, local, rows):
        local[0] += sum(1 for row in rows if row[0] is not None)

    def merge(self, a, b):
        return [a[0] + b[0]]

    def value(self, partial):
        return float(partial[0]), None


class NullRateCalculator(Calculator):
    def hit(self, record, findings):
        return self.get(record) is None

    def add_rows(self, local, rows):
        get = self.get
        records = [row[0] for row in rows if row[0] is not None]
        local[0] += sum(1 for record in records if get(record) is None)
        local[1] += len(records)


class FindingsRateCalculator(Calculator):
    def hit(self, record, findings):
        field, info_type = self.spec.field, self.spec.info_type
        return any(f == field and (info_type is None or t == info_type) for f, t in findings)


class DeadLetterRateCalculator(Calculator):
    def add(self, local, record, findings, dead):
        local[0] += dead
        local[1] += 1

    def add_rows(self, local, rows):
        local[0] += sum(row[3] for row in rows)
        local[1] += len(rows)


class MomentsCalculator(Calculator):
    """count, mean, M2 (Chan et al.'s parallel variance), min, max, sum of a numeric field."""

    def local(self):
        return [0, 0.0, 0.0, math.inf, -math.inf, 0.0]

    def add(self, local, record, findings, dead):
        x = _number(self.get(record)) if record is not None else None
        if x is None:
            return
        n = local[0] + 1
        delta = x - local[1]
        local[1] += delta / n
        local[2] += delta * (x - local[1])
        local[0] = n
        local[3] = min(local[3], x)
        local[4] = max(local[4], x)
        local[5] += x

    def merge(self, a, b):
        if a[0] == 0:
            return list(b)
        if b[0] == 0:
            return list(a)
        n = a[0] + b[0]
        delta = b[1] - a[1]
        return [
            n,
            a[1] + delta * b[0] / n,
            a[2] + b[2] + delta * delta * a[0] * b[0] / n,
            min(a[3], b[3]),
            max(a[4], b[4]),
            a[5] + b[5],
        ]

    def value(self, partial):
        n, mean, m2, low, high, total = partial
        if n == 0:
            return None, None
        kind = self.spec.kind
        if kind is MetricKind.MEAN:
            return mean, None
        if kind is MetricKind.STDDEV:
            return (math.sqrt(m2 / (n - 1)) if n > 1 else 0.0), None
        if kind is MetricKind.MIN:
            return low, None
        if kind is MetricKind.MAX:
            return high, None
        return total, None


class QuantileCalculator(Calculator):
    def local(self):
        return DDSketch()

    def add(self, local, record, findings, dead):
        x = _number(self.get(record)) if record is not None else None
        if x is not None:
            local.add(x)

    def add_rows(self, local, rows):
        # _number inlined (finite ints and floats, not bools), the values added in one call.
        get, isinf = self.get, math.isinf
        values = []
        for row in rows:
            record = row[0]
            if record is not None:
                x = get(record)
                kind = type(x)
                if (kind is float or kind is int) and x == x and not isinf(x):
                    values.append(float(x))
        local.add_many(values)

    def merge(self, a, b):
        return a.merge(b)

    def value(self, partial):
        return partial.quantile(self.spec.quantile), None


class DistinctCountCalculator(Calculator):
    """Exact set per batch, a HyperLogLog sketch across batches."""

    def local(self):
        return set()

    def add(self, local, record, findings, dead):
        text = _text(self.get(record)) if record is not None else None
        if text is not None:
            local.add(text)

    def partial(self, local):
        registers = hyperloglog.new_registers()
        for text in local:
            hyperloglog.add(registers, text)
        return registers

    def merge(self, a, b):
        return hyperloglog.merge(a, b)

    def value(self, partial):
        return float(round(hyperloglog.estimate(partial))), None


class FrequencyCalculator(Calculator):
    """Exact counts per batch, a Space-Saving sketch (plus the total) across batches."""

    def local(self):
        return Counter()

    def add(self, local, record, findings, dead):
        text = _text(self.get(record)) if record is not None else None
        if text is not None:
            local[text] += 1

    def add_rows(self, local, rows):
        get = self.get
        for row in rows:
            record = row[0]
            if record is not None:
                text = get(record)
                if text is None:
                    continue
                if type(text) is not str:  # _text inlined: str subclasses and others as their text
                    text = _text(text)
                local[text] = local.get(text, 0) + 1

    def partial(self, local):
        total = sum(local.values())
        counters = dict(local.most_common(space_saving.DEFAULT_CAPACITY))
        return [counters, total]

    def merge(self, a, b):
        return [space_saving.merge(a[0], b[0]), a[1] + b[1]]

    def value(self, partial):
        counters, total = partial
        if not total:
            return None, None
        if self.spec.kind is MetricKind.TOP_SHARE:
            return sum(n for _, n in space_saving.top(counters, self.spec.k)) / total, None
        ((item, count),) = space_saving.top(counters, 1)
        return float(count), item


_CALCULATORS: dict[MetricKind, type[Calculator]] = {
    MetricKind.COUNT: CountCalculator,
    MetricKind.NULL_RATE: NullRateCalculator,
    MetricKind.FINDINGS_RATE: FindingsRateCalculator,
    MetricKind.DEAD_LETTER_RATE: DeadLetterRateCalculator,
    MetricKind.MEAN: MomentsCalculator,
    MetricKind.STDDEV: MomentsCalculator,
    MetricKind.MIN: MomentsCalculator,
    MetricKind.MAX: MomentsCalculator,
    MetricKind.SUM: MomentsCalculator,
    MetricKind.QUANTILE: QuantileCalculator,
    MetricKind.DISTINCT_COUNT: DistinctCountCalculator,
    MetricKind.TOP_SHARE: FrequencyCalculator,
    MetricKind.HEAVY_HITTER: FrequencyCalculator,
}


def calculator_for(spec: MetricSpec) -> Calculator:
    return _CALCULATORS[spec.kind](spec)
