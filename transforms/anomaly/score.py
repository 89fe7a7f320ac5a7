"""ScoreSeries: window metrics -> one scored record per window of every series.

Each series (dataset + metric + group) is scored window by window in
event-time order by the configured detector. A window in which an ungrouped
count saw no record at all produces no partial, so such gaps are filled with
zero before scoring: a feed that goes silent is the first thing to flag.

This batch form gathers a series with ``GroupByKey`` in the global window and
sorts it; a streaming form keeps the same per-series state in a stateful DoFn.
"""
from __future__ import annotations

import math
from typing import Any, Iterable, Iterator

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.transforms import window as beam_window

from transforms.anomaly.base import Observation, Verdict
from transforms.anomaly.explain import explain
from transforms.anomaly.registry import DetectorSpec, build_detector
from transforms.config.model import MetricKind
from transforms.metrics.window_metrics import WindowMetric
from transforms.records.event_time import to_iso

# Gap filling emits at most this many empty windows in a row: a source that
# was down for a month must not make the scorer loop over a million windows.
_MAX_FILLED_GAP = 10_000


def scored_record(dataset: str, m: WindowMetric, verdict: Verdict) -> dict[str, Any]:
    """The flagged-window shape (see README): bounds, values, verdict, explanation; never raw values."""
    obs = Observation(m.window_start, m.window_end, m.value)
    return {
        "dataset": dataset,
        "series_key": m.series_key,
        "metric": m.metric,
        "group_by": m.group_by,
        "group": m.group,
        "window_start": to_iso(m.window_start),
        "window_end": to_iso(m.window_end),
        "observed": m.value,
        "expected": _round(verdict.expected),
        "spread": _round(verdict.spread),
        "score": _round(verdict.score),
        "threshold": verdict.threshold,
        "is_anomaly": verdict.is_anomaly,
        "detector": verdict.detector,
        "explanation": explain(verdict, m.metric, obs),
    }


def _round(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else round(x, 4)


def fill_gaps(metrics: list[WindowMetric], step: float, kinds: dict[str, MetricKind]) -> list[WindowMetric]:
    """Insert zero-valued windows between observed ones for ungrouped count series."""
    if not metrics or metrics[0].group_by is not None or kinds.get(metrics[0].metric) is not MetricKind.COUNT:
        return metrics
    out = [metrics[0]]
    for m in metrics[1:]:
        prev = out[-1]
        start = prev.window_start + step
        filled = 0
        while start < m.window_start - 1e-9 and filled < _MAX_FILLED_GAP:
            out.append(WindowMetric(prev.metric, None, None, start, start + (prev.window_end - prev.window_start), 0.0))
            start += step
            filled += 1
        out.append(m)
    return out


class ScoreSeriesFn(beam.DoFn):
    def __init__(self, dataset: str, detector_spec: DetectorSpec, step_seconds: float, kinds: dict[str, MetricKind]):
        self.dataset = dataset
        self.detector_spec = detector_spec
        self.step = step_seconds
        self.kinds = kinds
        self.scored = Metrics.counter("veilwatch", "windows_scored")
        self.flagged = Metrics.counter("veilwatch", "windows_flagged")

    def setup(self) -> None:
        self.detector = build_detector(self.detector_spec)

    def process(self, element: tuple[str, Iterable[WindowMetric]]) -> Iterator[dict[str, Any]]:
        _, metrics = element
        ordered = fill_gaps(sorted(metrics, key=lambda m: m.window_start), self.step, self.kinds)
        state = self.detector.initial_state()
        for m in ordered:
            verdict, state = self.detector.observe(state, Observation(m.window_start, m.window_end, m.value))
            self.scored.inc()
            if verdict.is_anomaly:
                self.flagged.inc()
            yield scored_record(self.dataset, m, verdict)


class ScoreSeries(beam.PTransform):
    """PCollection[WindowMetric] -> PCollection[dict] (one scored record per window)."""

    def __init__(self, dataset: str, detector_spec: DetectorSpec, step_seconds: float, kinds: dict[str, MetricKind]):
        super().__init__()
        self.dataset = dataset
        self.detector_spec = detector_spec
        self.step = step_seconds
        self.kinds = kinds

    def expand(self, metrics: beam.PCollection[WindowMetric]) -> beam.PCollection[dict]:
        return (
            metrics
            | "IntoGlobalWindow" >> beam.WindowInto(beam_window.GlobalWindows())
            | "KeyBySeries" >> beam.Map(lambda m: (m.series_key, m))
            | "GatherSeries" >> beam.GroupByKey()
            | "ScoreInEventTimeOrder" >> beam.ParDo(
                ScoreSeriesFn(self.dataset, self.detector_spec, self.step, self.kinds)
            )
        )
