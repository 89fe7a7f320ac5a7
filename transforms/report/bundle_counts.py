"""The run summary's counts summed within a bundle, in the step that counts them.

The run summary reads its partial counts as a side input: one dict per bundle per source keeps it small
(flat memory with input size, #15). Summed where they are counted (the anonymizing step's stats, the
window counts, the timeline), they need no summing step of their own: one step fewer for the runner to
pay for before the first record.

    def start_bundle(self):
        self._counts = BundleCounts()

    def process(self, element):
        self._counts.add(counts_of(element))

    def finish_bundle(self):
        return self._counts.flush(tag="stats")  # one dict, in the global window
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from apache_beam import pvalue
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.windowed_value import WindowedValue


class BundleCounts:
    """Counts added over one bundle; ``flush`` emits their sum once, in the global window (what a
    ``finish_bundle`` output needs: it has no element to take a window from). Only for bounded runs,
    whose summary reads them in the global window; nothing is emitted for a bundle that added none."""

    def __init__(self) -> None:
        self._total: Counter = Counter()
        self._seen = False

    def add(self, counts: Mapping[str, int]) -> None:
        self._total.update(counts)
        self._seen = True

    def flush(self, tag: str | None = None) -> list[Any]:
        """The bundle's sum (tagged ``tag`` when given; empty when nothing was added), then a fresh start."""
        out: list[Any] = []
        if self._seen:
            value = WindowedValue(dict(self._total), GlobalWindow().max_timestamp(), (GlobalWindow(),))
            out.append(value if tag is None else pvalue.TaggedOutput(tag, value))
        self._total = Counter()
        self._seen = False
        return out
