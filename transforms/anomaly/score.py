"""ScoreSeries: window metrics -> one scored record per window of every series.

Each series (dataset + metric + group) is scored window by window in
event-time order by the configured detector, whatever order the windows
arrive in. One scoring loop (``SeriesScorer``: a series' saved state and its
windows in order -> their scored records and its new state) has two drivers:

- unbounded input (streaming): a stateful DoFn keyed by series
  (``ScoreSeriesFn``) buffers incoming window metrics and releases them on an
  event-time timer once the watermark has passed their end, so each window is
  scored when it is complete, after the series' saved state;
- bounded input (batch): every window of a series is known at the end of the
  input, so a GroupByKey by series hands them over at once and one DoFn
  (``ScoreGroupedFn``) sorts and scores them in one pass from a fresh state.
  No state API and no timers: the runner's state cache sizes every state value
  read or written (``objsize``, a fixed cost per call and several calls per
  series), a cost that grows with the number of series. Given the input's
  extent, the same step (``ScoreCoveredGroupedFn``) also sets the partial
  windows apart and fills the silent tail (both below): it sees the whole
  series anyway, and the runner pays for every step before any record (#15).

Streaming state holds only plain data (JSON text and tuples of numbers and
strings), so it survives a streaming pipeline update; no pickled class
instances. Per series it is bounded: the buffer of window metrics not yet
released, the release time, and one JSON document of the detector's state, the
cooldown's and the last window start scored (one cell, not three: the runner
sizes every state value it reads or writes, a fixed cost per cell and series).
A streaming job updated from the earlier three-cell layout
(``detector_state``, ``cooldown_state``, ``last_window_start``) starts its
series' baselines afresh: their warm-up is scored again.

A window in which a count saw no record produces no metric (Beam has no
window without an element), so such gaps are filled with zero before scoring,
for an ungrouped count (the feed went silent) and a grouped one (the series of
one group went missing) alike: between two windows the series did see, never
before its first; in streaming a gap is filled once the series is heard of
again. Given a bounded input's extent, a count series that stops before the
input does is also filled after its last window, up to the input's last
window that is whole (a partial one is not scored anyway, see below), so a
group that goes silent and stays silent is judged like any other silence;
no window is invented after the input ends. A
window metric arriving after its series has moved past it is counted (``late_windows``) and scored on its own against the current
baseline, never dropped silently. A count window of 0 whose baseline
expected many records is anomalous whatever its z-score (see ``silence``).

Given the input's extent (``extent``: a bounded input's first and last event
time, see ``coverage.InputExtent``), windows the input only partly covers (the
first and last, usually) are written but not scored and stay out of the
baseline: a file that stops at 12:30 must not make the 12:00 window a drop.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.coders import coders
from apache_beam.metrics import Metrics
from apache_beam.transforms import userstate
from apache_beam.transforms import window as beam_window
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.utils.timestamp import Timestamp

from veilwatch.transforms.anomaly.base import Observation, Verdict
from veilwatch.transforms.anomaly.cooldown import Cooldown
from veilwatch.transforms.anomaly.coverage import (
    MIN_COVERAGE,
    ExtentSideInput,
    partial_coverage,
    split_by_coverage,
    unscored_verdict,
    window_coverage,
)
from veilwatch.transforms.anomaly.explain import explain
from veilwatch.transforms.anomaly.registry import DetectorSpec, build_detector
from veilwatch.transforms.anomaly.silence import judge_silence
from veilwatch.transforms.config.model import DatasetConfig, MetricKind, WindowKind
from veilwatch.transforms.elements import ScoredWindow, WindowMetric
from veilwatch.transforms.records.event_time import to_iso
from veilwatch.transforms.windows.assign import window_step_seconds

# Gap filling emits at most this many empty windows in a row: a source that
# was down for a month must not make the scorer loop over a million windows.
_MAX_FILLED_GAP = 10_000

# A buffered window metric in state: (metric, group_by, group, start, end, value, detail).
_BUFFER_CODER = coders.TupleCoder(
    [
        coders.StrUtf8Coder(),
        coders.NullableCoder(coders.StrUtf8Coder()),
        coders.NullableCoder(coders.StrUtf8Coder()),
        coders.FloatCoder(),
        coders.FloatCoder(),
        coders.FloatCoder(),
        coders.NullableCoder(coders.StrUtf8Coder()),
    ]
)


def scored_record(dataset: str, m: WindowMetric, verdict: Verdict, alert: bool | None = None) -> ScoredWindow:
    """The flagged-window shape (see README): bounds, values, verdict, explanation; never raw values.

    ``alert`` is False for an anomalous window inside the series' cooldown after an earlier alert."""
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
        "detail": m.detail,
        "expected": _round(verdict.expected),
        "spread": _round(verdict.spread),
        "score": _round(verdict.score),
        "direction": None if not verdict.score else ("up" if verdict.score > 0 else "down"),
        "threshold": verdict.threshold,
        "is_anomaly": verdict.is_anomaly,
        "alert": verdict.is_anomaly if alert is None else alert,
        "detector": verdict.detector,
        "explanation": explain(verdict, m.metric, obs),
    }


def _round(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else round(x, 4)


def zero_windows_between(last_start: float | None, m: WindowMetric, step: float) -> list[WindowMetric]:
    """Zero-valued windows of ``m``'s series after ``last_start`` and before ``m``."""
    if last_start is None:
        return []
    out: list[WindowMetric] = []
    start = last_start + step
    while start < m.window_start - 1e-9 and len(out) < _MAX_FILLED_GAP:
        out.append(
            WindowMetric(m.metric, m.group_by, m.group, start, start + (m.window_end - m.window_start), 0.0)
        )
        start += step
    return out


def zero_windows_after(
    m: WindowMetric, step: float, extent: tuple[float, float] | None, min_coverage: float = MIN_COVERAGE
) -> list[WindowMetric]:
    """Zero-valued windows of ``m``'s series after ``m`` (its last window) that the input's
    extent covers whole (at least ``min_coverage``): the series was silent in them."""
    if extent is None:
        return []
    out: list[WindowMetric] = []
    size = m.window_end - m.window_start
    start = m.window_start + step
    while len(out) < _MAX_FILLED_GAP and window_coverage(start, start + size, extent) >= min_coverage:
        out.append(WindowMetric(m.metric, m.group_by, m.group, start, start + size, 0.0))
        start += step
    return out


def _latest(metrics) -> WindowMetric:
    return max(metrics, key=lambda m: m.window_start)


class _SilentTailFn(ExtentSideInput, beam.DoFn):
    """(series key, its last window) -> the zero windows after it inside the input (``zero_windows_after``)."""

    def __init__(self, step: float):
        self.step = step

    def process(self, element: tuple[str, WindowMetric], extents: Iterable[Any]) -> Iterator[Any]:
        for m in zero_windows_after(element[1], self.step, self.extent(extents)):
            yield beam_window.TimestampedValue(m, m.window_end)


def _to_tuple(m: WindowMetric) -> tuple:
    return (m.metric, m.group_by, m.group, m.window_start, m.window_end, m.value, m.detail)


def in_event_time_order(metrics: Iterable[WindowMetric]) -> list[WindowMetric]:
    """``metrics`` by window start, as both drivers score them (a stable sort: ties keep their order),
    each with plain float bounds and value, as the stateful buffer's coder gives them back."""
    plain = (
        WindowMetric(
            m.metric,
            m.group_by,
            m.group,
            float(m.window_start),
            float(m.window_end),
            float(m.value),
            m.detail,
        )
        for m in metrics
    )
    return sorted(plain, key=lambda m: m.window_start)


@dataclass(frozen=True)
class ScoringSpec:
    """What scoring a dataset's series takes, as the config gives it (picklable: the detectors are
    built from it on the worker, by ``SeriesScorer``).

    ``step_seconds``: the window step, for the zero fill of a count series (None for sessions);
    ``kinds``: each metric's kind; ``metric_detectors``: a metric's own detector, else ``detector_spec``."""

    dataset: str
    detector_spec: DetectorSpec
    step_seconds: float | None
    kinds: dict[str, MetricKind]
    cooldown: Cooldown = field(default_factory=Cooldown)
    metric_detectors: dict[str, DetectorSpec] = field(default_factory=dict)


class SeriesScorer:
    """One series' saved state and its next windows, in event-time order -> their scored records
    and the series' new state.

    The one scoring loop of both drivers, so the two cannot diverge: ``ScoreSeriesFn`` (unbounded
    input: state in Beam's state API, windows released by a watermark timer) and ``ScoreGroupedFn``
    (bounded input: all of a series' windows at once after a GroupByKey, from a fresh state).
    The state is plain data: ``{"detector": its state, "cooldown": its state, "last_start": the last
    window start scored}`` (``ScoreSeriesFn`` keeps it as this JSON document).
    """

    def __init__(self, spec: ScoringSpec):
        self.dataset = spec.dataset
        self.step = spec.step_seconds
        self.kinds = spec.kinds
        self.cooldown = spec.cooldown
        self.default_detector = build_detector(spec.detector_spec)
        self.detectors = {name: build_detector(d) for name, d in spec.metric_detectors.items()}
        self.alerts = Metrics.counter("veilwatch", "alerts")
        self.scored = Metrics.counter("veilwatch", "windows_scored")
        self.flagged = Metrics.counter("veilwatch", "windows_flagged")
        self.late = Metrics.counter("veilwatch", "late_windows")

    def score(
        self, saved: dict[str, Any], windows: list[WindowMetric]
    ) -> tuple[list[ScoredWindow], dict[str, Any]]:
        """``windows`` (one series, not empty, sorted by start: ``in_event_time_order``) scored after
        ``saved`` (``{}``: a series not seen before) -> their records (gaps filled with zeros first)
        and the new state."""
        detector = self.detectors.get(windows[0].metric, self.default_detector)
        state = saved["detector"] if "detector" in saved else detector.initial_state()
        cool = saved["cooldown"] if "cooldown" in saved else self.cooldown.initial_state()
        last = saved.get("last_start")
        out: list[ScoredWindow] = []
        for m in windows:
            obs = Observation(m.window_start, m.window_end, m.value)
            if last is not None and m.window_start <= last:
                self.late.inc()  # already past this window: score it alone, keep the baseline's order
                verdict, _ = detector.observe(state, obs)
                verdict = self._silence(m, verdict)
                alert, cool = self.cooldown.apply(cool, obs, verdict.is_anomaly, verdict.sources)
                out.append(self._emit(m, verdict, alert))
                continue
            step = self.gap_step(m)
            for window in (zero_windows_between(last, m, step) if step is not None else []) + [m]:
                obs = Observation(window.window_start, window.window_end, window.value)
                verdict, state = detector.observe(state, obs)
                verdict = self._silence(window, verdict)
                alert, cool = self.cooldown.apply(cool, obs, verdict.is_anomaly, verdict.sources)
                out.append(self._emit(window, verdict, alert))
            last = m.window_start
        return out, {"detector": state, "cooldown": cool, "last_start": last}

    def _silence(self, m: WindowMetric, verdict: Verdict) -> Verdict:
        return judge_silence(verdict, m.value) if self.kinds.get(m.metric) is MetricKind.COUNT else verdict

    def gap_step(self, m: WindowMetric) -> float | None:
        """The window step when ``m``'s series has its gaps filled with zeros (a count over
        fixed or sliding windows), else None."""
        return self.step if self.kinds.get(m.metric) is MetricKind.COUNT else None

    def _emit(self, m: WindowMetric, verdict: Verdict, alert: bool) -> ScoredWindow:
        self.scored.inc()
        self.flagged.inc(int(verdict.is_anomaly))
        self.alerts.inc(int(alert))
        return scored_record(self.dataset, m, verdict, alert)


class _SeriesScoringFn(beam.DoFn):
    """A DoFn that scores series with a ``SeriesScorer`` built on the worker (detectors are not pickled)."""

    def __init__(self, spec: ScoringSpec):
        self.spec = spec

    def setup(self) -> None:
        self.scorer = SeriesScorer(self.spec)


class ScoreSeriesFn(_SeriesScoringFn):
    """Unbounded input, per series: buffer window metrics, release them in event-time order on a
    watermark timer once their windows have ended, score them (``SeriesScorer``) after the series'
    state, keep the new state."""

    BUFFER = userstate.BagStateSpec("buffer", _BUFFER_CODER)
    # JSON {"detector": its state, "cooldown": its state, "last_start": the last window start scored}
    SERIES_STATE = userstate.ReadModifyWriteStateSpec("series_state", coders.StrUtf8Coder())
    # The release timer's time: the latest window end buffered. One firing then releases
    # every buffered window.
    TIMER_AT = userstate.ReadModifyWriteStateSpec("release_at", coders.FloatCoder())
    RELEASE = userstate.TimerSpec("release", TimeDomain.WATERMARK)

    def process(
        self,
        element: tuple[str, WindowMetric],
        buffer=beam.DoFn.StateParam(BUFFER),
        release_at=beam.DoFn.StateParam(TIMER_AT),
        release=beam.DoFn.TimerParam(RELEASE),
    ) -> Iterator[ScoredWindow]:
        _, metric = element
        buffer.add(_to_tuple(metric))
        at = release_at.read()
        if at is None or metric.window_end > at:
            release_at.write(metric.window_end)
            release.set(Timestamp(metric.window_end))
        yield from ()  # scored records leave on the timer, in event-time order

    @userstate.on_timer(RELEASE)
    def on_release(
        self,
        fire_time=beam.DoFn.TimestampParam,
        buffer=beam.DoFn.StateParam(BUFFER),
        series_state=beam.DoFn.StateParam(SERIES_STATE),
        release_at=beam.DoFn.StateParam(TIMER_AT),
        release=beam.DoFn.TimerParam(RELEASE),
    ) -> Iterator[ScoredWindow]:
        pending = in_event_time_order(WindowMetric(*t) for t in buffer.read())
        ready = [m for m in pending if Timestamp(m.window_end) <= fire_time]
        waiting = [m for m in pending if Timestamp(m.window_end) > fire_time]
        buffer.clear()
        for m in waiting:
            buffer.add(_to_tuple(m))
        if waiting:
            latest = max(m.window_end for m in waiting)
            release_at.write(latest)
            release.set(Timestamp(latest))
        else:
            release_at.clear()
        if not ready:
            return
        raw = series_state.read()
        records, state = self.scorer.score(json.loads(raw) if raw else {}, ready)
        series_state.write(json.dumps(state))
        yield from records


class ScoreGroupedFn(_SeriesScoringFn):
    """Bounded input: (series key, all its window metrics, after a GroupByKey) -> its scored records,
    in event-time order (``SeriesScorer``, from a fresh state).

    Why not ``ScoreSeriesFn`` here: with a bounded input its timer fires once per series anyway, at
    the end of the input, so the GroupByKey gives the same windows at the same moment without the
    state API: nothing for the runner's state cache to size (it measures every value read or
    written with ``objsize``, a fixed cost per call, several calls per series), no timers, one pass
    per series, and nothing kept after it (a bounded input has no later window to score)."""

    def process(self, element: tuple[str, Iterable[WindowMetric]]) -> Iterator[ScoredWindow]:
        records, _ = self.scorer.score({}, in_event_time_order(element[1]))
        yield from records


class ScoreCoveredGroupedFn(ExtentSideInput, ScoreGroupedFn):
    """Bounded input with its extent (``coverage.InputExtent``, a side input): (series key, all its
    window metrics, after a GroupByKey) -> the unscored records of the windows the input only partly
    covers (``coverage.partial_coverage``), and the scored records of the whole ones plus, for a count
    series, the zero windows after its last window (whole or partial) that the input covers whole
    (``zero_windows_after``), in event-time order (``SeriesScorer``, from a fresh state).

    The split and the silent tail were steps of their own before the group by series (the split, a
    keying of the count series, a CombinePerKey for their last window with its own shuffle, the tails,
    two Flattens): the runner pays a fixed cost for every step and shuffle before any record (#15), and
    this step holds every window of the series anyway, its last one included."""

    def setup(self) -> None:
        super().setup()
        spec = self.spec
        self.unscored_record = _UnscoredRecord(spec.dataset, spec.detector_spec, spec.metric_detectors)

    def process(  # type: ignore[override]  # the extent side input
        self, element: tuple[str, Iterable[WindowMetric]], extents: Iterable[Any]
    ) -> Iterator[ScoredWindow]:
        extent = self.extent(extents)
        metrics = list(element[1])
        whole = []
        for m in metrics:
            coverage = partial_coverage(m, extent)
            if coverage is None:
                whole.append(m)
            else:
                yield self.unscored_record(m, coverage)
        last = _latest(metrics)
        step = self.scorer.gap_step(last)
        tail = zero_windows_after(last, step, extent) if step is not None else []
        if whole or tail:  # a series whose windows are all partial may still have a silent tail
            records, _ = self.scorer.score({}, in_event_time_order(whole + tail))
            yield from records


class ScoreSeries(beam.PTransform[beam.PCollection[WindowMetric], beam.PCollection[ScoredWindow]]):
    """PCollection[WindowMetric] -> PCollection[ScoredWindow] (one scored record per window)."""

    def __init__(
        self,
        dataset: str,
        detector_spec: DetectorSpec,
        step_seconds: float | None,
        kinds: dict[str, MetricKind],
        cooldown: Cooldown = Cooldown(),
        metric_detectors: dict[str, DetectorSpec] | None = None,
        extent: beam.PCollection | None = None,
    ):
        """``extent``: the bounded input's (first, last) event time per bundle
        (``coverage.InputExtent``); windows it only partly covers are not scored, and a count series
        that stops early is filled with zeros up to its last whole window. None: all are scored, no fill."""
        super().__init__()
        self.extent = extent
        self.dataset = dataset
        self.detector_spec = detector_spec
        self.step = step_seconds
        self.kinds = kinds
        self.cooldown = cooldown
        self.metric_detectors = metric_detectors or {}

    @classmethod
    def for_config(cls, config: DatasetConfig, extent: beam.PCollection | None = None) -> ScoreSeries:
        """Scoring as a dataset config declares it: windows, metrics, detectors, cooldown
        (``extent``: see ``__init__``)."""
        return cls(
            config.dataset,
            config.detector,
            # Sessions have no fixed step (None): nothing to fill between them.
            window_step_seconds(config.window),
            {m.name: m.kind for m in config.metrics},
            config.cooldown,
            {m.name: m.detector for m in config.metrics if m.detector is not None},
            # A session ends a gap after its last record: sticking out of the input is what it does.
            None if config.window.kind is WindowKind.SESSIONS else extent,
        )

    def expand(self, metrics: beam.PCollection[WindowMetric]) -> beam.PCollection[ScoredWindow]:
        if self.extent is None:
            return self._score(metrics)
        if metrics.is_bounded:  # one grouped step splits, fills and scores each series
            return self._score(metrics, self.extent)
        # Unbounded window metrics given a bounded input's extent: split, fill, then score with state.
        # Every branch below scores or counts in the global window: one re-windowing for all of them.
        metrics = metrics | "IntoGlobalWindow" >> beam.WindowInto(beam_window.GlobalWindows())
        unscored_record = _UnscoredRecord(self.dataset, self.detector_spec, self.metric_detectors)
        whole, unscored = split_by_coverage(metrics, self.extent, on_partial=unscored_record)
        return (
            self._score(self._with_silent_tails(metrics, whole)),
            unscored,
        ) | "AllWindows" >> beam.Flatten()

    def _with_silent_tails(self, metrics: beam.PCollection, whole: beam.PCollection) -> beam.PCollection:
        """``whole`` plus, for each count series, zero windows from its last window to the input's end
        (steps of their own: only for unbounded window metrics given an extent; a bounded input's
        grouped step, ``ScoreCoveredGroupedFn``, does it per series)."""
        if (
            self.step is None
            or self.extent is None
            or not any(k is MetricKind.COUNT for k in self.kinds.values())
        ):
            return whole
        kinds = self.kinds
        tails = (
            _in_global_window(metrics, "SeriesInGlobalWindow")
            | "KeyCountSeries"
            >> beam.FlatMap(
                lambda m: [(m.series_key, m)] if kinds.get(m.metric) is MetricKind.COUNT else []
            ).with_output_types(tuple[str, Any])
            | "LastWindowPerSeries" >> beam.CombinePerKey(_latest)
            | "SilentTails" >> beam.ParDo(_SilentTailFn(self.step), extents=pvalue.AsIter(self.extent))
        )
        return (
            _in_global_window(whole, "WholeInGlobalWindow"),
            tails,
        ) | "WithSilentTails" >> beam.Flatten()

    def _score(
        self, metrics: beam.PCollection[WindowMetric], extent: beam.PCollection | None = None
    ) -> beam.PCollection[ScoredWindow]:
        """Each series scored in event-time order: a bounded input through a GroupByKey
        (``ScoreGroupedFn``; given ``extent``, ``ScoreCoveredGroupedFn`` also sets partial windows apart
        and fills silent tails), an unbounded one with state and timers (``ScoreSeriesFn``)."""
        spec = ScoringSpec(
            self.dataset, self.detector_spec, self.step, self.kinds, self.cooldown, self.metric_detectors
        )
        keyed = _in_global_window(metrics, "IntoGlobalWindow") | "KeyBySeries" >> beam.Map(
            lambda m: (m.series_key, m)
        ).with_output_types(tuple[str, Any])
        if metrics.is_bounded:
            grouped = keyed | "GroupBySeries" >> beam.GroupByKey()
            if extent is None:
                return grouped | "ScoreInEventTimeOrder" >> beam.ParDo(ScoreGroupedFn(spec))
            return grouped | "ScoreInEventTimeOrder" >> beam.ParDo(
                ScoreCoveredGroupedFn(spec), extents=pvalue.AsIter(extent)
            )
        return keyed | "ScoreInEventTimeOrder" >> beam.ParDo(ScoreSeriesFn(spec))


def _in_global_window(pcoll: beam.PCollection, label: str) -> beam.PCollection:
    """``pcoll`` re-windowed into the global window, unless it is already (a step fewer)."""
    if isinstance(pcoll.windowing.windowfn, beam_window.GlobalWindows):
        return pcoll
    return pcoll | label >> beam.WindowInto(beam_window.GlobalWindows())


class _UnscoredRecord:
    """(partial window, its coverage) -> its record, written without a score (``unscored_verdict``)."""

    def __init__(self, dataset: str, default: DetectorSpec, specs: dict[str, DetectorSpec]):
        self.dataset = dataset
        self.default = default
        self.specs = specs

    def __call__(self, m: WindowMetric, coverage: float) -> ScoredWindow:
        spec = self.specs.get(m.metric, self.default)
        return scored_record(self.dataset, m, unscored_verdict(m.value, spec, coverage), False)
