"""ComputeWindowMetrics: anonymized batches -> one value per (metric, group, window).

Each batch is pre-aggregated on the worker into partials per (metric, group
value, window) before anything is shuffled (see ``calculators``: exact per
batch, bounded sketches across batches), so the shuffle carries a handful of
partials per batch instead of every record. Each partial
is emitted in the event-time window it belongs to (:class:`CarriedWindows`
puts it there), then ``CombinePerKey`` merges partials per window under
Beam's own windowing: the same graph serves batch and streaming, with
watermarks and allowed lateness applying as for any windowed combine.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Iterator
from typing import Any, NamedTuple

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.coders import coders
from apache_beam.metrics import Metrics
from apache_beam.transforms import trigger, userstate
from apache_beam.transforms import window as beam_window
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.utils.timestamp import Duration, Timestamp
from apache_beam.utils.windowed_value import WindowedValue

from veilwatch.transforms.config.model import DatasetConfig, MetricSpec, WindowKind
from veilwatch.transforms.elements import (
    AnonymizedBatch,
    SeriesId,
    TooLatePartial,
    WindowMetric,
    WindowPartial,
)
from veilwatch.transforms.elements import series_key as series_key  # re-exported: the series' name
from veilwatch.transforms.metrics.calculators import Calculator, calculator_for
from veilwatch.transforms.metrics.group_scrub import ValueScrubber
from veilwatch.transforms.records.paths import first_value_getter
from veilwatch.transforms.windows.assign import WindowAssigner, window_step_seconds

TOO_LATE = "too_late"
# Stateful shards of the lateness gate: enough to spread the partials over workers.
_GATE_SHARDS = 16
# Group values longer than this are cut in series keys: a key names a series,
# it is not a place to store data.
_MAX_GROUP_CHARS = 128


def group_value(value: Any) -> str:
    """A group's name in a series key: the (de-identified) value as text, cut short."""
    if value is None:
        return "null"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text[:_MAX_GROUP_CHARS]


class _ScrubbedGroupGetter:
    """record -> its group's name, findings replaced by ``[INFO_TYPE]`` (``group_value`` of it is itself);
    the name as it is for an opaque declared field (``ValueScrubber.scrubs``: a token stays whole).

    ``groups(records)``: the same for many records, the values not seen before scanned as one batch
    (the detection engine's NER reads a batch several times faster than one text at a time)."""

    def __init__(self, group_by: str, scrub: ValueScrubber):
        self.get = first_value_getter(group_by)
        self.scrub = scrub if scrub.scrubs(group_by) else None

    def __call__(self, record: Any) -> str:
        name = group_value(self.get(record))
        return name if self.scrub is None else self.scrub(name)

    def groups(self, records: list[Any]) -> list[str]:
        """``group_value`` of each record's scrubbed name; each distinct value is scrubbed once."""
        get = self.get
        raw = [group_value(get(record)) for record in records]
        scrub = self.scrub
        if scrub is None:
            return raw
        distinct = dict.fromkeys(raw)
        scrub.prepare(distinct)
        group_of = {name: group_value(scrub(name)) for name in distinct}
        return [group_of[name] for name in raw]


class PartialMetricsFn(beam.DoFn):
    """AnonymizedBatch -> (SeriesId, WindowPartial) per series and window touched; with
    ``keyed_by_window``, ((SeriesId, start, end), (metric name, partial)) instead: the key
    and value the bounded path's combine takes, without a step of its own to rekey them."""

    def __init__(self, config: DatasetConfig, keyed_by_window: bool = False):
        self.config = config
        self.keyed_by_window = keyed_by_window

    def setup(self) -> None:
        self.gap = self.config.window.gap_seconds if self.config.window.kind is WindowKind.SESSIONS else None
        self.assigner = WindowAssigner(self.config.window) if self.gap is None else None
        scrub = ValueScrubber(self.config)  # group values name series in scores, flagged windows, reports
        self.metrics: list[tuple[MetricSpec, Calculator, Any]] = [
            (m, calculator_for(m), _ScrubbedGroupGetter(m.group_by, scrub) if m.group_by else None)
            for m in self.config.metrics
        ]
        self.calcs = {m.name: c for m, c, _ in self.metrics}

    def process(self, batch: AnonymizedBatch) -> Iterator[Any]:
        no_findings: frozenset = frozenset()
        findings = batch.findings or (no_findings,) * len(batch.records)
        rows: list[tuple] = [
            (r, f, t, False) for r, f, t in zip(batch.records, findings, batch.event_times, strict=True)
        ]
        rows += [(None, no_findings, t, True) for t in batch.dead_letter_times]
        partials = self._session_partials(rows) if self.gap is not None else self._interval_partials(rows)
        if not self.keyed_by_window:
            yield from partials
            return
        for timestamped in partials:
            key, partial = timestamped.value
            yield beam_window.TimestampedValue(
                ((key, partial.window_start, partial.window_end), (key.metric, partial.partial)),
                timestamped.timestamp,
            )

    def _session_partials(self, rows: list[tuple]) -> Iterator[Any]:
        """Per series, runs of records less than ``gap`` apart -> one partial per run over
        [first, last + gap); Beam's session merging joins runs of different batches."""
        per_series: dict[SeriesId, list[tuple]] = {}
        for record, found, t, dead in rows:
            for metric, _, getter in self.metrics:
                if getter is not None and record is None:
                    continue
                group = group_value(getter(record)) if getter is not None else None
                per_series.setdefault(SeriesId(metric.name, metric.group_by, group), []).append(
                    (t, record, found, dead)
                )
        gap = self.gap
        assert gap is not None, "sessions only"
        for key, items in per_series.items():
            calc = self.calcs[key.metric]
            items.sort(key=lambda item: item[0])
            start: float | None = None
            end = -math.inf
            local: Any = None
            n = 0
            for t, record, found, dead in items:
                if start is None or t >= end:
                    if start is not None:
                        yield _partial(key, start, end, calc.partial(local), n)
                    start, end, local, n = t, t + gap, calc.local(), 0
                calc.add(local, record, found, dead)
                n += 1
                end = max(end, t + gap)
            if start is not None:  # (every series has at least one item)
                yield _partial(key, start, end, calc.partial(local), n)

    def _interval_partials(self, rows: list[tuple]) -> Iterator[Any]:
        """Per fixed or sliding window the batch touches, one partial per series.

        Rows are grouped by window, then by group value, keeping their order, so
        each calculator sees the same rows in the same order as row by row.
        """
        assert self.assigner is not None, "fixed and sliding windows only"
        size = self.assigner.size
        for start, window_rows in self._rows_by_window(rows).items():
            for metric, calc, getter in self.metrics:
                for group, series_rows in _rows_by_group(window_rows, getter).items():
                    local = calc.local()
                    calc.add_rows(local, series_rows)
                    yield _partial(
                        SeriesId(metric.name, metric.group_by, group),
                        start,
                        start + size,
                        calc.partial(local),
                        len(series_rows),
                    )

    def _rows_by_window(self, rows: list[tuple]) -> dict[float, list[tuple]]:
        """Window start -> the rows (in order) whose event time lies in that window."""
        by_window: dict[float, list[tuple]] = {}
        assert self.assigner is not None, "fixed and sliding windows only"
        period = self.assigner.period
        if period == self.assigner.size:  # fixed windows: one window per row, its start as ``starts`` has it
            floor = math.floor
            for row in rows:
                start = floor(row[2] / period) * period
                window_rows = by_window.get(start)
                if window_rows is None:
                    by_window[start] = [row]
                else:
                    window_rows.append(row)
            return by_window
        starts_of = self.assigner.starts
        for row in rows:
            for start in starts_of(row[2]):
                window_rows = by_window.get(start)
                if window_rows is None:
                    by_window[start] = [row]
                else:
                    window_rows.append(row)
        return by_window


def _rows_by_group(rows: list[tuple], getter: Any) -> dict[str | None, list[tuple]]:
    """Group value -> rows (in order); one group ``None`` holding every row when the
    metric has no ``group_by``. Dead letters have no (trusted) group value: left out."""
    if getter is None:
        return {None: rows}
    groups: dict[str | None, list[tuple]] = {}
    rows = [row for row in rows if row[0] is not None]
    for group, row in zip(getter.groups([row[0] for row in rows]), rows, strict=True):
        group_rows = groups.get(group)
        if group_rows is None:
            groups[group] = [row]
        else:
            group_rows.append(row)
    return groups


def _partial(key: SeriesId, start: float, end: float, partial: Any, n: int) -> beam_window.TimestampedValue:
    """A partial of ``n`` records, timestamped inside the window it carries."""
    element = (key, WindowPartial(start, end, partial, n))
    return beam_window.TimestampedValue(element, beam_window.IntervalWindow(start, end).max_timestamp())


class LatenessGateFn(beam.DoFn):
    """Unbounded input only: drop, and count, partials whose window has closed.

    Beam's windowing drops data later than the allowed lateness without a
    trace. This gate sees the watermark through a looping event-time timer
    (one tick per window step, per shard) and drops partials of windows whose
    end plus the allowed lateness lies behind the last tick, counting their
    records in ``late_records_dropped``. Beam's own allowed lateness is set one
    step wider than the configured one, so nothing the gate lets through is
    dropped later without being counted. State is two floats per shard.

    Input and output: (shard, (SeriesId, WindowPartial)) -> (SeriesId, WindowPartial),
    timestamps unchanged; what it drops also leaves on the ``too_late`` output as a
    :class:`TooLatePartial`.
    """

    WATERMARK_SEEN = userstate.ReadModifyWriteStateSpec("watermark_seen", coders.FloatCoder())
    LATEST_CLOSE = userstate.ReadModifyWriteStateSpec("latest_close", coders.FloatCoder())
    NEXT_TICK = userstate.ReadModifyWriteStateSpec("next_tick", coders.FloatCoder())
    TICK = userstate.TimerSpec("tick", TimeDomain.WATERMARK)

    def __init__(self, lateness_seconds: float, step_seconds: float, counted_metric: str):
        self.lateness = lateness_seconds
        self.step = step_seconds
        self.counted_metric = counted_metric  # records counted once: on the partials of one metric
        self.dropped_records = Metrics.counter("veilwatch", "late_records_dropped")
        self.dropped_partials = Metrics.counter("veilwatch", "late_partials_dropped")

    def process(
        self,
        element: tuple,
        seen=beam.DoFn.StateParam(WATERMARK_SEEN),
        latest=beam.DoFn.StateParam(LATEST_CLOSE),
        next_tick=beam.DoFn.StateParam(NEXT_TICK),
        tick=beam.DoFn.TimerParam(TICK),
    ) -> Iterator[tuple | pvalue.TaggedOutput]:
        key: SeriesId
        carried: WindowPartial
        _, (key, carried) = element
        end, records = carried.window_end, carried.records
        close = end + self.lateness
        watermark = seen.read()
        if watermark is not None and close < watermark:
            self.dropped_partials.inc()
            if key.metric == self.counted_metric:
                self.dropped_records.inc(records)
                yield pvalue.TaggedOutput(TOO_LATE, TooLatePartial(key, carried.window_start, end, records))
            return
        if (latest.read() or -math.inf) < close:
            latest.write(close)
        if next_tick.read() is None:  # idle until now: start ticking again
            at = max(end, (watermark if watermark is not None else -math.inf) + self.step)
            next_tick.write(at)
            tick.set(Timestamp(at))
        yield key, carried

    @userstate.on_timer(TICK)
    def on_tick(
        self,
        fire_time=beam.DoFn.TimestampParam,
        seen=beam.DoFn.StateParam(WATERMARK_SEEN),
        latest=beam.DoFn.StateParam(LATEST_CLOSE),
        next_tick=beam.DoFn.StateParam(NEXT_TICK),
        tick=beam.DoFn.TimerParam(TICK),
    ) -> Iterator[tuple]:
        now = float(fire_time)
        seen.write(now)
        # Keep ticking while some window may still be open; then rest until data comes.
        if now < (latest.read() or -math.inf) + self.step:
            next_tick.write(now + self.step)
            tick.set(Timestamp(now + self.step))
        else:
            next_tick.clear()
        yield from ()


class MergePartialsFn(beam.CombineFn):
    """Merges the partials of one (metric, group, window) with the metric's calculator."""

    def __init__(self, config: DatasetConfig):
        self.config = config
        self._calcs: dict[str, Calculator] | None = None

    def _calc(self, name: str) -> Calculator:
        if self._calcs is None:
            self._calcs = {m.name: calculator_for(m) for m in self.config.metrics}
        return self._calcs[name]

    def create_accumulator(self) -> Any:
        return None  # (metric name, merged partial) once the first partial arrives

    def add_input(self, acc: Any, element: Any) -> Any:
        name, partial = element
        return (name, partial) if acc is None else (name, self._calc(name).merge(acc[1], partial))

    def merge_accumulators(self, accumulators: Iterator[Any]) -> Any:
        out = None
        for acc in accumulators:
            if acc is not None:
                out = acc if out is None else (acc[0], self._calc(acc[0]).merge(out[1], acc[1]))
        return out

    def extract_output(self, acc: Any) -> tuple[float | None, str | None]:
        return (None, None) if acc is None else self._calc(acc[0]).value(acc[1])


class CarriedWindows(beam_window.NonMergingWindowFn):
    """Puts a partial into the window whose bounds it carries: (SeriesId, WindowPartial)."""

    def assign(self, context: beam_window.WindowFn.AssignContext) -> list[beam_window.IntervalWindow]:
        assert context.element is not None
        partial: WindowPartial = context.element[1]
        return [beam_window.IntervalWindow(partial.window_start, partial.window_end)]

    def get_window_coder(self):
        return coders.IntervalWindowCoder()


class CarriedSessions(beam_window.Sessions):
    """Like :class:`CarriedWindows`, but the carried windows are session fragments that
    Beam merges when they overlap (per key), exactly as ``Sessions`` merges its own."""

    def assign(self, context: beam_window.WindowFn.AssignContext) -> list[beam_window.IntervalWindow]:
        assert context.element is not None
        partial: WindowPartial = context.element[1]
        return [beam_window.IntervalWindow(partial.window_start, partial.window_end)]

    # Travel to the runner as this Python class (pickled), not as Beam's standard session URN,
    # which the runner would re-implement from timestamps and lose the carried bounds.
    to_runner_api_parameter = beam_window.WindowFn.to_runner_api_parameter


class _ToWindowMetric(beam.DoFn):
    def __init__(self, config: DatasetConfig):
        self.scrub = ValueScrubber(config)
        self.whole_details = whole_detail_metrics(config, self.scrub)

    def process(self, element: Any, win=beam.DoFn.WindowParam) -> Iterator[WindowMetric]:
        (name, group_by, group), (value, detail) = element
        if value is not None:  # e.g. a rate over a window that saw no record of the field
            yield WindowMetric(
                name,
                group_by,
                group,
                float(win.start),
                float(win.end),
                float(value),
                _scrubbed_detail(detail, None if name in self.whole_details else self.scrub),
            )


def whole_detail_metrics(config: DatasetConfig, scrub: ValueScrubber) -> frozenset[str]:
    """The metrics whose details (a heavy hitter's value) are written whole, unscanned: those of an
    opaque declared field (``ValueScrubber.scrubs``)."""
    return frozenset(m.name for m in config.metrics if m.field is not None and not scrub.scrubs(m.field))


def _scrubbed_detail(detail: Any, scrub: ValueScrubber | None) -> str | None:
    """A heavy hitter's value, with findings replaced by ``[INFO_TYPE]`` as group names are (as it is,
    with ``scrub`` None: an opaque field's)."""
    if detail is None:
        return None
    return _detail_text(detail) if scrub is None else scrub(_detail_text(detail))


def _detail_text(detail: Any) -> str:
    return detail if isinstance(detail, str) else str(detail)


class WindowMetricsOutputs(NamedTuple):
    metrics: beam.PCollection[WindowMetric]
    too_late: beam.PCollection[TooLatePartial]  # one per dropped partial


class ComputeWindowMetrics(
    beam.PTransform[beam.PCollection[AnonymizedBatch], beam.PCollection[WindowMetric] | WindowMetricsOutputs]
):
    """PCollection[AnonymizedBatch] -> PCollection[WindowMetric], in event-time windows.

    Unbounded input (and sessions, which must merge) goes through Beam's windowing:
    partials are placed in the windows they carry, fire when the watermark passes,
    and re-fire for late data within the allowed lateness. A bounded input with
    fixed or sliding windows has no watermark to wait for and no late data, so its
    partials are merged by (series, window) key in one combine: the same values
    without the per-window trigger bookkeeping.
    """

    def __init__(self, config: DatasetConfig, with_too_late: bool = False):
        """``with_too_late`` (unbounded input only): expand returns :class:`WindowMetricsOutputs`,
        the metrics and the ``too_late`` partials the lateness gate dropped, for the dead letter."""
        super().__init__()
        self.config = config
        self.with_too_late = with_too_late

    def _step_seconds(self) -> float:
        """How often the lateness gate looks at the watermark: the window step, or a session's gap."""
        window = self.config.window
        step = window_step_seconds(window)
        if step is None:
            assert window.gap_seconds is not None, "config validation requires a session's gap"
            return window.gap_seconds
        return step

    def _window_into(self, bounded: bool) -> beam.WindowInto:
        window = self.config.window
        carried = (
            CarriedSessions(self._step_seconds()) if window.kind is WindowKind.SESSIONS else CarriedWindows()
        )
        if bounded:
            return beam.WindowInto(
                carried, allowed_lateness=Duration(seconds=window.allowed_lateness_seconds)
            )
        # One pane when the watermark passes the window, then one per late arrival
        # within the allowed lateness carrying the window's corrected value (accumulating).
        # One step wider than configured: the LatenessGateFn ahead drops and counts what is later.
        return beam.WindowInto(
            carried,
            trigger=trigger.AfterWatermark(late=trigger.AfterCount(1)),
            accumulation_mode=trigger.AccumulationMode.ACCUMULATING,
            allowed_lateness=Duration(seconds=window.allowed_lateness_seconds + self._step_seconds()),
        )

    def expand(
        self, batches: beam.PCollection[AnonymizedBatch]
    ) -> beam.PCollection[WindowMetric] | WindowMetricsOutputs:
        if self.with_too_late and batches.is_bounded:
            raise ValueError(
                "with_too_late applies to unbounded input only (a bounded input has no late data)"
            )
        if batches.is_bounded and self.config.window.kind is not WindowKind.SESSIONS:
            return (
                batches
                | "PreAggregatePerBatch" >> beam.ParDo(PartialMetricsFn(self.config, keyed_by_window=True))
                | "MergePartials" >> beam.CombinePerKey(MergePartialsFn(self.config))
                | "ToWindowMetric" >> beam.ParDo(_KeyedToWindowMetric(self.config))
            )
        partials = batches | "PreAggregatePerBatch" >> beam.ParDo(PartialMetricsFn(self.config))
        too_late = None
        if not batches.is_bounded:
            gated = (
                partials
                | "ShardForLatenessGate"
                >> beam.Map(
                    lambda kv: (zlib.crc32(repr(tuple(kv[0])).encode()) % _GATE_SHARDS, kv)
                ).with_output_types(tuple[int, Any])
                | "DropAndCountTooLate"
                >> beam.ParDo(
                    LatenessGateFn(
                        self.config.window.allowed_lateness_seconds,
                        self._step_seconds(),
                        self.config.metrics[0].name,
                    )
                ).with_outputs(TOO_LATE, main="on_time")
            )
            partials, too_late = gated.on_time, gated[TOO_LATE]
        metrics = (
            partials
            | "IntoEventTimeWindows" >> self._window_into(batches.is_bounded)
            | "DropCarriedBounds" >> beam.MapTuple(lambda key, partial: (key, (key.metric, partial.partial)))
            | "MergePartials" >> beam.CombinePerKey(MergePartialsFn(self.config))
            | "ToWindowMetric" >> beam.ParDo(_ToWindowMetric(self.config))
        )
        if self.with_too_late:
            assert too_late is not None  # unbounded input, checked above
            return WindowMetricsOutputs(metrics, too_late)
        return metrics


# Window metrics held back per bundle so that their details are scanned as one batch.
_SCRUB_BATCH = 512


class _KeyedToWindowMetric(beam.DoFn):
    """((series, start, end), (value, detail)) -> WindowMetric (the bounded path's keys carry the window).

    Details (heavy hitters' values, one per window) are scrubbed in batches of up to ``_SCRUB_BATCH``:
    the detection engine reads them in one NER pass (several times cheaper than text by text); each
    metric leaves with its own timestamp, window and pane."""

    def __init__(self, config: DatasetConfig):
        self.scrub = ValueScrubber(config)
        self.whole_details = whole_detail_metrics(config, self.scrub)

    def start_bundle(self) -> None:
        self._held: list[tuple[Any, Any, Any, Any]] = []

    def process(
        self,
        element: Any,
        timestamp=beam.DoFn.TimestampParam,
        win=beam.DoFn.WindowParam,
        pane=beam.DoFn.PaneInfoParam,
    ) -> Iterator[WindowedValue]:
        if element[1][0] is None:  # e.g. a rate over a window that saw no record of the field
            return
        self._held.append((element, timestamp, win, pane))
        if len(self._held) >= _SCRUB_BATCH:
            yield from self._release()

    def finish_bundle(self) -> Iterator[WindowedValue]:
        yield from self._release()

    def _release(self) -> Iterator[WindowedValue]:
        held, self._held = self._held, []
        whole = self.whole_details
        self.scrub.prepare(
            _detail_text(element[1][1])
            for element, _, _, _ in held
            if element[1][1] is not None and element[0][0][0] not in whole
        )
        for element, timestamp, win, pane in held:
            ((name, group_by, group), start, end), (value, detail) = element
            metric = WindowMetric(
                name,
                group_by,
                group,
                float(start),
                float(end),
                float(value),
                _scrubbed_detail(detail, None if name in whole else self.scrub),
            )
            yield WindowedValue(metric, timestamp, (win,), pane)
