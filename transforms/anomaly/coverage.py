"""Partial windows of a bounded input: the first and last windows the data only partly covers.

A bounded input spans [first event, last event]. A window that sticks out of
that span holds fewer records than a whole one only because the input starts
or stops inside it (a file cut at 12:30 fills half of the 12:00 window), so
comparing it with whole windows flags a drop that is not there. Such a window
is **not scored**: its record is written (observed value, ``is_anomaly`` and
``alert`` false, the explanation says how much of it the input covers), and it
is kept out of the series' baseline. A window counts as partial when less than
:data:`MIN_COVERAGE` of it lies inside the input's span; records are not
spaced evenly, so a whole window's last record usually falls a little before
its end and a few per cent are tolerated.

Only bounded inputs have a span. In streaming a window is scored once the
watermark has passed its end, so the last window is always whole; the first
window of a streaming run may be partial and falls in every detector's
warm-up (unless ``warmup: 0``).

    extent = batches | InputExtent()           # one (first, last) event time per bundle that saw any
    whole, partial = split_by_coverage(metrics, extent)
    partial_coverage(metric, input_extent(extents))   # the same test, for one window in a DoFn

The run summary's timeline (records per time bucket, ``report.timeline``) reads the same event times
of every batch: ``InputExtent(timeline=...)`` counts them in the same step (see ``InputExtent``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.windowed_value import WindowedValue

from veilwatch.transforms.anomaly.base import Verdict
from veilwatch.transforms.anomaly.registry import DetectorSpec
from veilwatch.transforms.report.bundle_counts import BundleCounts

# Windows less covered than this by the input's time span are not scored.
MIN_COVERAGE = 0.9
PARTIAL = "partial"
# How an unscored partial window's explanation ends (``unscored_verdict``; ``is_unscored_partial`` reads it).
_PARTIAL_NOTE = "(partial window)"


def window_coverage(start: float, end: float, extent: tuple[float, float] | None) -> float:
    """Share of [start, end) inside the input's span [first, last] (1.0 when the span is unknown)."""
    if extent is None or end <= start:
        return 1.0
    first, last = extent
    inside = min(end, last) - max(start, first)
    return max(0.0, min(1.0, inside / (end - start)))


class _ExtentFn(beam.CombineFn):
    """Batches -> (first, last) event time over records and dead letters; None for no time at all."""

    def create_accumulator(self) -> Any:
        return None

    def add_input(self, acc: Any, batch: Any) -> Any:
        times = tuple(batch.event_times) + tuple(getattr(batch, "dead_letter_times", ()) or ())
        if not times:
            return acc
        lo, hi = min(times), max(times)
        return (lo, hi) if acc is None else (min(acc[0], lo), max(acc[1], hi))

    def merge_accumulators(self, accumulators: Any) -> Any:
        out = None
        for acc in accumulators:
            if acc is not None:
                out = acc if out is None else (min(out[0], acc[0]), max(out[1], acc[1]))
        return out

    def extract_output(self, acc: Any) -> Any:
        return acc


# InputExtent's second output, with ``timeline``: the timeline's counts of each batch.
TIMELINE = "timeline"


class _ExtentPerBundleFn(beam.DoFn):
    """Batches -> one (first, last) event time per bundle that saw any; with ``timeline``, also the
    sum of ``timeline(batch)`` over the bundle's batches (tagged ``TIMELINE``), both when it ends."""

    def __init__(self, timeline: Callable[[Any], dict[str, int]] | None = None):
        self.timeline = timeline

    def start_bundle(self) -> None:
        self._extent_fn = _ExtentFn()
        self._acc: Any = None
        self._timeline = BundleCounts()

    def process(self, batch: Any) -> None:
        self._acc = self._extent_fn.add_input(self._acc, batch)
        if self.timeline is not None:
            self._timeline.add(self.timeline(batch))

    def finish_bundle(self) -> Iterator[Any]:
        if self._acc is not None:
            yield WindowedValue(self._acc, GlobalWindow().max_timestamp(), (GlobalWindow(),))
        yield from self._timeline.flush(TIMELINE)


def input_extent(per_bundle: Iterable[Any]) -> Any:
    """The input's (first, last) event time from ``InputExtent``'s per-bundle extents; None for no time."""
    return _ExtentFn().merge_accumulators(per_bundle)


class InputExtentOutputs(NamedTuple):
    extent: beam.PCollection  # one (first, last) event time per bundle that saw any
    timeline: beam.PCollection  # dict[str, int] per bundle: the sum of ``timeline(batch)`` over its batches


class InputExtent(beam.PTransform):
    """PCollection[AnonymizedBatch] (bounded) -> one (first, last) event time per bundle that saw any:
    read as a side input (``AsIter``) and merged by ``input_extent``.

    One step and no shuffle, where ``CombineGlobally`` was nine: the consumers (``score.ScoreSeries``'s
    grouped scoring step for a bounded input, ``split_by_coverage``) merge the few per-bundle extents
    themselves (``ExtentSideInput``), once per bundle, so no step of its own (and no stage: an
    ``Impulse`` and a merge) waits for them.

    With ``timeline`` (the run summary's ``report.timeline.TimelineCounts``), expand returns
    :class:`InputExtentOutputs`, whose ``timeline`` holds the sum of ``timeline(batch)`` per bundle,
    counted in the same step: both read each batch's event times, and a step of its own costs the runner
    about as much as a few hundred records before the first one (#15). Summed per bundle there, the run
    summary reads one dict per bundle and needs no summing step."""

    def __init__(self, timeline: Callable[[Any], dict[str, int]] | None = None):
        super().__init__()
        self.timeline = timeline

    def expand(self, batches: beam.PCollection) -> beam.PCollection | InputExtentOutputs:
        step = beam.ParDo(_ExtentPerBundleFn(self.timeline))
        if self.timeline is None:
            return batches | "ExtentPerBundle" >> step
        outputs = batches | "ExtentPerBundle" >> step.with_outputs(TIMELINE, main="extent")
        return InputExtentOutputs(outputs.extent, outputs[TIMELINE])


class ExtentSideInput:
    """A DoFn's view of ``InputExtent``'s side input: merged once per bundle, not once per element."""

    def start_bundle(self) -> None:
        self._extent: Any = _UNSET

    def extent(self, per_bundle: Iterable[Any]) -> Any:
        if self._extent is _UNSET:
            self._extent = input_extent(per_bundle)
        return self._extent


_UNSET = object()


def partial_coverage(metric: Any, extent: Any, min_coverage: float = MIN_COVERAGE) -> float | None:
    """How much of ``metric``'s window the input's extent covers when that is less than ``min_coverage``
    (a partial window: written, not scored); None for a whole window (or no extent: every window whole).

    The one test of both splits: ``split_by_coverage``'s step and the bounded scorer's grouped step
    (``score.ScoreCoveredGroupedFn``), which splits each series it receives whole."""
    coverage = window_coverage(metric.window_start, metric.window_end, extent)
    return coverage if coverage < min_coverage else None


class _SplitFn(ExtentSideInput, beam.DoFn):
    def __init__(self, min_coverage: float, on_partial: Callable[[Any, float], Any] | None = None):
        self.min_coverage = min_coverage
        self.on_partial = on_partial

    def process(self, metric: Any, extents: Iterable[Any]) -> Iterator[Any]:
        coverage = partial_coverage(metric, self.extent(extents), self.min_coverage)
        if coverage is not None:
            on_partial = self.on_partial
            yield pvalue.TaggedOutput(
                PARTIAL, (metric, coverage) if on_partial is None else on_partial(metric, coverage)
            )
        else:
            yield metric


def split_by_coverage(
    metrics: beam.PCollection,
    extent: beam.PCollection,
    min_coverage: float = MIN_COVERAGE,
    on_partial: Callable[[Any, float], Any] | None = None,
) -> tuple[beam.PCollection, beam.PCollection]:
    """(whole windows, (partial window, coverage) pairs) given the input's extent (``InputExtent``);
    with ``on_partial``, the partial output holds ``on_partial(window, coverage)`` instead of the pair
    (done in the same step: no step of its own after it)."""
    out = metrics | "SplitByCoverage" >> beam.ParDo(
        _SplitFn(min_coverage, on_partial), extents=pvalue.AsIter(extent)
    ).with_outputs(PARTIAL, main="whole")
    return out.whole, out[PARTIAL]


def unscored_verdict(value: float, spec: DetectorSpec, coverage: float) -> Verdict:
    """The verdict of a partial window: no baseline, no score, not anomalous."""
    threshold = getattr(spec.params, "threshold", 0.0)
    return Verdict(
        value,
        None,
        None,
        None,
        threshold,
        False,
        spec.type,
        f"no score: the input covers only {coverage:.0%} of this window {_PARTIAL_NOTE}",
    )


def is_unscored_partial(scored: dict[str, Any]) -> bool:
    """Whether a scored-window record is a partial window written without a score (run summary counts)."""
    return scored.get("score") is None and str(scored.get("explanation", "")).endswith(_PARTIAL_NOTE)
