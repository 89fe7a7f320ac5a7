"""ScoreSeries: window metrics -> one scored record per window of every series.

Each series (dataset + metric + group) is scored window by window in
event-time order by the configured detector, whatever order the windows
arrive in. A stateful DoFn keyed by series buffers incoming window metrics and
releases them on an event-time timer once the watermark has passed their end:
in batch the watermark jumps to the end of time and everything is released at
once, sorted; in streaming each window is scored when it is complete. The same
graph serves both.

State holds only plain data (JSON text and tuples of numbers and strings), so
it survives a streaming pipeline update; no pickled class instances. Per series
it is bounded: the buffer of window metrics not yet released, the release time,
and one JSON document of the detector's state, the cooldown's and the last
window start scored (one cell, not three: the runner sizes every state value it
reads or writes, a fixed cost per cell and series). A streaming job updated from
the earlier three-cell layout (``detector_state``, ``cooldown_state``,
``last_window_start``) starts its series' baselines afresh: their warm-up is
scored again.

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


# A bounded input's release time: the end of the global window, which the watermark passes once the
# input is all read (every window metric is in by then).
_END_OF_INPUT = beam_window.GlobalWindow().max_timestamp()


def _to_tuple(m: WindowMetric) -> tuple:
    return (m.metric, m.group_by, m.group, m.window_start, m.window_end, m.value, m.detail)


class ScoreSeriesFn(beam.DoFn):
    """Per series: buffer window metrics, release them in event-time order on a timer, score."""

    BUFFER = userstate.BagStateSpec("buffer", _BUFFER_CODER)
    # JSON {"detector": its state, "cooldown": its state, "last_start": the last window start scored}
    SERIES_STATE = userstate.ReadModifyWriteStateSpec("series_state", coders.StrUtf8Coder())
    # The release timer's time: the latest window end buffered. One firing then releases
    # every buffered window. Unbounded inputs only: a bounded one (batch) fires once per series,
    # at the end of the input, and keeps no release time.
    TIMER_AT = userstate.ReadModifyWriteStateSpec("release_at", coders.FloatCoder())
    RELEASE = userstate.TimerSpec("release", TimeDomain.WATERMARK)

    def __init__(
        self,
        dataset: str,
        detector_spec: DetectorSpec,
        step_seconds: float | None,
        kinds: dict[str, MetricKind],
        cooldown: Cooldown = Cooldown(),
        metric_detectors: dict[str, DetectorSpec] | None = None,
        bounded: bool = False,
    ):
        """``bounded``: the input is bounded (batch): the watermark passes every window at once, at
        the end of the input, so each series is released by one timer at the end of the global window
        and no release time is kept in state (two state operations fewer per series, each of which
        the runner sizes)."""
        self.dataset = dataset
        self.detector_spec = detector_spec
        self.metric_detectors = metric_detectors or {}
        self.step = step_seconds
        self.bounded = bounded
        self.kinds = kinds
        self.cooldown = cooldown
        self.alerts = Metrics.counter("veilwatch", "alerts")
        self.scored = Metrics.counter("veilwatch", "windows_scored")
        self.flagged = Metrics.counter("veilwatch", "windows_flagged")
        self.late = Metrics.counter("veilwatch", "late_windows")

    def setup(self) -> None:
        self.default_detector = build_detector(self.detector_spec)
        self.detectors = {name: build_detector(spec) for name, spec in self.metric_detectors.items()}

    def start_bundle(self) -> None:
        self._released_at_end: set[str] = set()  # bounded: series whose timer this bundle set

    def process(
        self,
        element: tuple[str, WindowMetric],
        buffer=beam.DoFn.StateParam(BUFFER),
        release_at=beam.DoFn.StateParam(TIMER_AT),
        release=beam.DoFn.TimerParam(RELEASE),
    ) -> Iterator[ScoredWindow]:
        key, metric = element
        buffer.add(_to_tuple(metric))
        if self.bounded:
            if key not in self._released_at_end:
                self._released_at_end.add(key)
                release.set(_END_OF_INPUT)
            return
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
        pending = sorted((WindowMetric(*t) for t in buffer.read()), key=lambda m: m.window_start)
        ready = [m for m in pending if Timestamp(m.window_end) <= fire_time]
        waiting = [m for m in pending if Timestamp(m.window_end) > fire_time]
        buffer.clear()
        for m in waiting:
            buffer.add(_to_tuple(m))
        if waiting:
            latest = max(m.window_end for m in waiting)
            release_at.write(latest)
            release.set(Timestamp(latest))
        elif not self.bounded:  # bounded: never written
            release_at.clear()
        if not ready:
            return
        detector = self.detectors.get(ready[0].metric, self.default_detector)
        raw = series_state.read()
        saved = json.loads(raw) if raw else {}
        state = saved["detector"] if "detector" in saved else detector.initial_state()
        cool = saved["cooldown"] if "cooldown" in saved else self.cooldown.initial_state()
        last = saved.get("last_start")
        for m in ready:
            obs = Observation(m.window_start, m.window_end, m.value)
            if last is not None and m.window_start <= last:
                self.late.inc()  # already past this window: score it alone, keep the baseline's order
                verdict, _ = detector.observe(state, obs)
                verdict = self._silence(m, verdict)
                alert, cool = self.cooldown.apply(cool, obs, verdict.is_anomaly, verdict.sources)
                yield self._emit(m, verdict, alert)
                continue
            step = self._gap_step(m)
            for window in (zero_windows_between(last, m, step) if step is not None else []) + [m]:
                obs = Observation(window.window_start, window.window_end, window.value)
                verdict, state = detector.observe(state, obs)
                verdict = self._silence(window, verdict)
                alert, cool = self.cooldown.apply(cool, obs, verdict.is_anomaly, verdict.sources)
                yield self._emit(window, verdict, alert)
            last = m.window_start
        series_state.write(json.dumps({"detector": state, "cooldown": cool, "last_start": last}))

    def _silence(self, m: WindowMetric, verdict: Verdict) -> Verdict:
        return judge_silence(verdict, m.value) if self.kinds.get(m.metric) is MetricKind.COUNT else verdict

    def _gap_step(self, m: WindowMetric) -> float | None:
        """The window step when ``m``'s series has its gaps filled with zeros (a count over
        fixed or sliding windows), else None."""
        return self.step if self.kinds.get(m.metric) is MetricKind.COUNT else None

    def _emit(self, m: WindowMetric, verdict: Verdict, alert: bool) -> ScoredWindow:
        self.scored.inc()
        self.flagged.inc(int(verdict.is_anomaly))
        self.alerts.inc(int(alert))
        return scored_record(self.dataset, m, verdict, alert)


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
        # Every branch below scores or counts in the global window: one re-windowing for all of them.
        metrics = metrics | "IntoGlobalWindow" >> beam.WindowInto(beam_window.GlobalWindows())
        unscored_record = _UnscoredRecord(self.dataset, self.detector_spec, self.metric_detectors)
        whole, unscored = split_by_coverage(metrics, self.extent, on_partial=unscored_record)
        return (
            self._score(self._with_silent_tails(metrics, whole)),
            unscored,
        ) | "AllWindows" >> beam.Flatten()

    def _with_silent_tails(self, metrics: beam.PCollection, whole: beam.PCollection) -> beam.PCollection:
        """``whole`` plus, for each count series, zero windows from its last window to the input's end."""
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

    def _score(self, metrics: beam.PCollection[WindowMetric]) -> beam.PCollection[ScoredWindow]:
        return (
            _in_global_window(metrics, "IntoGlobalWindow")
            | "KeyBySeries" >> beam.Map(lambda m: (m.series_key, m)).with_output_types(tuple[str, Any])
            | "ScoreInEventTimeOrder"
            >> beam.ParDo(
                ScoreSeriesFn(
                    self.dataset,
                    self.detector_spec,
                    self.step,
                    self.kinds,
                    self.cooldown,
                    self.metric_detectors,
                    bounded=metrics.is_bounded,
                )
            )
        )


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
