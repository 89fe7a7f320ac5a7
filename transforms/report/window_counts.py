"""Scored windows -> the flagged ones, and each scored window's counts for the run summary, in one step.

The flagged windows (``is_anomaly``) go to their outputs; every scored window also adds to the run
summary: ``windows_scored``, ``windows_flagged`` and ``alerts``, or ``windows_unscored_partial`` for a
window the input only partly covers, written without a score (``anomaly.coverage``). Both look at each
scored window once, so one ParDo does both (the counts a tagged output) where a Filter and a Map were
two steps: the runner pays per step before the first record (#15). The counts are summed per bundle in
that step (:class:`~veilwatch.transforms.report.bundle_counts.BundleCounts`, in the global window), so
the summary reads one dict per bundle and no step of its own sums them. Streaming runs have no run
summary and keep the Filter.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import apache_beam as beam

from veilwatch.transforms.anomaly.coverage import is_unscored_partial
from veilwatch.transforms.report.bundle_counts import BundleCounts

WINDOW_COUNTS = "window_counts"


def window_counts(scored: dict[str, Any]) -> dict[str, int]:
    """One scored window's counts for the run summary (a partial one is counted apart, not as scored)."""
    if is_unscored_partial(scored):
        return {"windows_unscored_partial": 1}
    return {"windows_scored": 1, "windows_flagged": int(scored["is_anomaly"]), "alerts": int(scored["alert"])}


class _FlagAndCountFn(beam.DoFn):
    def start_bundle(self) -> None:
        self._counts = BundleCounts()

    def process(self, scored: dict[str, Any]) -> Iterator[Any]:
        self._counts.add(window_counts(scored))
        if scored["is_anomaly"]:
            yield scored

    def finish_bundle(self) -> list[Any]:
        return self._counts.flush(WINDOW_COUNTS)


class FlaggedAndCounts(NamedTuple):
    flagged: beam.PCollection  # the scored windows with is_anomaly
    window_counts: (
        beam.PCollection
    )  # dict[str, int] per bundle (its scored windows' sum), for the run summary


class KeepAnomaliesAndCountWindows(beam.PTransform):
    """PCollection[scored window dict] -> :class:`FlaggedAndCounts`."""

    def expand(self, scores: beam.PCollection) -> FlaggedAndCounts:
        outputs = scores | "FlagAndCount" >> beam.ParDo(_FlagAndCountFn()).with_outputs(
            WINDOW_COUNTS, main="flagged"
        )
        return FlaggedAndCounts(outputs.flagged, outputs[WINDOW_COUNTS])
