"""Heavy hitters with bounded memory: the Space-Saving sketch (Metwally et al. 2005).

Keeps at most ``capacity`` counters. A new item, when full, replaces the
smallest counter and inherits its count as overestimate, so every reported
count is at most ``N / capacity`` above the truth and any item occurring more
than ``N / capacity`` times is kept. Merging (Agarwal et al. 2012) adds the
counters of both sketches and keeps the ``capacity`` largest.
"""

from __future__ import annotations

DEFAULT_CAPACITY = 256


def add(counters: dict[str, int], item: str, capacity: int = DEFAULT_CAPACITY, weight: int = 1) -> None:
    if item in counters or len(counters) < capacity:
        counters[item] = counters.get(item, 0) + weight
        return
    smallest = min(counters, key=counters.__getitem__)
    counters[item] = counters.pop(smallest) + weight


def merge(a: dict[str, int], b: dict[str, int], capacity: int = DEFAULT_CAPACITY) -> dict[str, int]:
    merged = dict(a)
    for item, n in b.items():
        merged[item] = merged.get(item, 0) + n
    if len(merged) <= capacity:
        return merged
    return dict(sorted(merged.items(), key=lambda kv: kv[1], reverse=True)[:capacity])


def top(counters: dict[str, int], k: int = 1) -> list[tuple[str, int]]:
    """The ``k`` largest (item, count) pairs, largest first (ties by item for determinism)."""
    return sorted(counters.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
