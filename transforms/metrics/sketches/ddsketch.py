"""Relative-error quantiles (DDSketch, Masson et al. 2019), mergeable.

Values fall into logarithmic buckets ``ceil(log_gamma(|x|))`` with gamma =
(1 + a) / (1 - a), so every quantile is returned within relative accuracy
``a`` (1 % by default) of a true value at that rank. Negative values use a
mirrored store and zeros a counter. Two sketches merge by adding bucket
counts. Bucket count grows with log(max/min), not with the number of values.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

DEFAULT_RELATIVE_ACCURACY = 0.01
# Values closer to zero than this are counted as zero.
_MIN_MAGNITUDE = 1e-9


@dataclass
class DDSketch:
    relative_accuracy: float = DEFAULT_RELATIVE_ACCURACY
    positive: dict[int, int] = field(default_factory=dict)
    negative: dict[int, int] = field(default_factory=dict)
    zeros: int = 0
    count: int = 0

    @property
    def _gamma(self) -> float:
        return (1 + self.relative_accuracy) / (1 - self.relative_accuracy)

    def add(self, value: float) -> None:
        self.count += 1
        if abs(value) < _MIN_MAGNITUDE:
            self.zeros += 1
            return
        store = self.positive if value > 0 else self.negative
        key = math.ceil(math.log(abs(value)) / _log_gamma(self.relative_accuracy))
        store[key] = store.get(key, 0) + 1

    def add_many(self, values: list[float]) -> None:
        """``add`` for each value, in order (one call per batch: a window's metrics add thousands)."""
        log_gamma = _log_gamma(self.relative_accuracy)
        positive, negative = self.positive, self.negative
        log, ceil = math.log, math.ceil
        zeros = 0
        for value in values:
            magnitude = abs(value)
            if magnitude < _MIN_MAGNITUDE:
                zeros += 1
                continue
            store = positive if value > 0 else negative
            key = ceil(log(magnitude) / log_gamma)
            store[key] = store.get(key, 0) + 1
        self.zeros += zeros
        self.count += len(values)

    def merge(self, other: DDSketch) -> DDSketch:
        if other.relative_accuracy != self.relative_accuracy:
            raise ValueError("cannot merge DDSketches of different accuracy")
        out = DDSketch(
            self.relative_accuracy,
            dict(self.positive),
            dict(self.negative),
            self.zeros + other.zeros,
            self.count + other.count,
        )
        for key, n in other.positive.items():
            out.positive[key] = out.positive.get(key, 0) + n
        for key, n in other.negative.items():
            out.negative[key] = out.negative.get(key, 0) + n
        return out

    def quantile(self, q: float) -> float | None:
        if self.count == 0:
            return None
        rank = q * (self.count - 1)
        seen = 0
        gamma = self._gamma
        for key in sorted(self.negative, reverse=True):  # most negative first
            seen += self.negative[key]
            if seen > rank:
                return -2 * gamma**key / (gamma + 1)
        seen += self.zeros
        if seen > rank:
            return 0.0
        for key in sorted(self.positive):
            seen += self.positive[key]
            if seen > rank:
                return 2 * gamma**key / (gamma + 1)
        return 2 * gamma ** max(self.positive) / (gamma + 1) if self.positive else 0.0


@functools.lru_cache(maxsize=8)
def _log_gamma(relative_accuracy: float) -> float:
    """log(gamma) of an accuracy, computed once: every added value divides by it."""
    return math.log((1 + relative_accuracy) / (1 - relative_accuracy))
