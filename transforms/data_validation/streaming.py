"""The data-validation stage on unbounded input: TFDV statistics per Beam window.

    outputs = anonymized_batches | ValidateStreamingWindows(config)
    outputs.flagged   # dict per anomalous (window, field): the batch stage's flagged-window records
    outputs.counts    # dicts of counts (windows, windows checked, flags), also Beam counters

    anonymized batches -> one Arrow RecordBatch per (batch, window step), timestamped in its step
      -> fixed windows of the window step (the window size, or a sliding window's period),
         a pane when the watermark passes, one more per late arrival within the allowed lateness
      -> WindowStatisticsFn per window (TFDV's generators as a CombineFn)
      -> one key, the global window: panes buffered until the watermark passes them, then
         checked in event-time order by StreamingChecker (schema given or inferred from the
         first windows, drift against the previous window, bounded state)

Records later than the allowed lateness are left out, as they are out of the window metrics
(which count them in ``late_records_dropped``). Counters for an operator (namespace
``veilwatch``): ``data_validation_windows``, ``data_validation_windows_checked``,
``data_validation_flagged``; they are incremented from the ``counts`` output (``CountersFn``),
since counters incremented in a timer callback are not reported by every runner (the
DirectRunner's).
An inferred schema is written to ``<output_dir>/data_validation/schema.pbtxt`` once the
baseline is complete (scrubbed as the batch stage's: ``redact.py``), reusable as
``data_validation.schema`` by a later job; statistics are not written (an unbounded run
has no end to write them at).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.coders import coders
from apache_beam.transforms import trigger, userstate
from apache_beam.transforms import window as beam_window
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.utils.timestamp import Duration, Timestamp

from veilwatch.transforms.config.model import DatasetConfig
from veilwatch.transforms.data_validation.features import (
    profiled_columns,
    to_record_batch,
    window_step_seconds,
)
from veilwatch.transforms.data_validation.streaming_checks import CheckerState, StreamingChecker
from veilwatch.transforms.data_validation.transform import (
    COUNTED,
    COUNTS,
    CountersFn,
    ValidationOutputs,
    load_schema,
    write_schema,
)
from veilwatch.transforms.data_validation.window_statistics import WindowStatisticsFn

# The one key all window statistics share: one pane per window step is little to carry.
_KEY = "windows"


class RecordBatchPerStepFn(beam.DoFn):
    """AnonymizedBatch -> one RecordBatch per window step its records fall in, timestamped at the step's start."""

    def __init__(self, config: DatasetConfig):
        self.columns = profiled_columns(config)
        self.step = window_step_seconds(config)

    def process(self, batch) -> Iterator[Any]:
        by_step: dict[float, list[dict]] = {}
        for record, t in zip(batch.records, batch.event_times, strict=True):
            by_step.setdefault(math.floor(t / self.step) * self.step, []).append(record)
        for start, records in by_step.items():
            yield beam_window.TimestampedValue(to_record_batch(records, None, self.columns, self.step), start)


class _KeyedByStart(beam.DoFn):
    """A window's statistics -> (one key, (start, pane index, serialized statistics))."""

    def process(self, stats, win=beam.DoFn.WindowParam, pane=beam.DoFn.PaneInfoParam) -> Iterator[Any]:
        yield _KEY, (float(win.start), pane.index, stats.SerializeToString())


class CheckWindowsInOrderFn(beam.DoFn):
    """Panes of window statistics -> flagged-window records, windows checked in event-time order.

    The combine emits the windows a watermark advance closes in any order. Each pane waits
    in PENDING until the watermark passes its timestamp (its window's end): by then every
    pane up to that time has arrived, and they are checked oldest first."""

    PENDING = userstate.BagStateSpec("pending", coders.PickleCoder())
    WAKE_AT = userstate.ReadModifyWriteStateSpec("wake_at", coders.FloatCoder())
    CHECKER = userstate.ReadModifyWriteStateSpec("checker", coders.PickleCoder())
    WAKE = userstate.TimerSpec("wake", TimeDomain.WATERMARK)

    def __init__(self, config: DatasetConfig):
        self.config = config

    def setup(self) -> None:
        spec = self.config.data_validation
        assert spec is not None, "built only when data_validation is configured"
        self.checker = StreamingChecker(
            self.config, load_schema(spec.schema_path) if spec.schema_path else None
        )

    def process(
        self,
        element: tuple,
        timestamp=beam.DoFn.TimestampParam,
        pending=beam.DoFn.StateParam(PENDING),
        wake_at=beam.DoFn.StateParam(WAKE_AT),
        wake=beam.DoFn.TimerParam(WAKE),
    ) -> Iterator[dict]:
        _, (start, index, stats) = element
        at = float(timestamp)
        pending.add((at, start, index, stats))
        current = wake_at.read()
        if current is None or at < current:
            wake_at.write(at)
            wake.set(Timestamp(at))
        yield from ()

    @userstate.on_timer(WAKE)
    def on_wake(
        self,
        fire_time=beam.DoFn.TimestampParam,
        pending=beam.DoFn.StateParam(PENDING),
        wake_at=beam.DoFn.StateParam(WAKE_AT),
        checker_state=beam.DoFn.StateParam(CHECKER),
        wake=beam.DoFn.TimerParam(WAKE),
    ) -> Iterator[dict | pvalue.TaggedOutput]:
        from tensorflow_metadata.proto.v0 import statistics_pb2

        now = float(fire_time)
        panes = list(pending.read())
        ready = sorted((p for p in panes if p[0] <= now), key=lambda p: (p[1], p[2]))
        waiting = [p for p in panes if p[0] > now]
        pending.clear()
        for pane in waiting:
            pending.add(pane)
        if waiting:
            wake_at.write(min(p[0] for p in waiting))
            wake.set(Timestamp(min(p[0] for p in waiting)))
        else:
            wake_at.clear()
        state = checker_state.read() or CheckerState()
        counts = dict.fromkeys(COUNTED, 0)
        for _, start, _, stats in ready:
            outcome = self.checker.observe(
                state, start, statistics_pb2.DatasetFeatureStatisticsList.FromString(stats)
            )
            counts["data_validation_windows"] += int(outcome.new_window)
            counts["data_validation_windows_checked"] += int(outcome.first_check)
            counts["data_validation_flagged"] += len(outcome.flagged)
            if outcome.inferred_schema is not None and self.config.sinks.output_dir:
                self._write_schema(outcome.inferred_schema, self.config.sinks.output_dir)
            yield from outcome.flagged
        checker_state.write(state)
        if ready:
            yield pvalue.TaggedOutput(COUNTS, counts)

    def _write_schema(self, schema: Any, output_dir: str) -> None:
        from veilwatch.transforms.detection.labels import (
            label_scanner,
        )  # the detection engine: built only here

        write_schema(schema, output_dir, label_scanner(self.config.pii.detection))


class ValidateStreamingWindows(beam.PTransform):
    """PCollection[AnonymizedBatch] (unbounded) -> ValidationOutputs (see module docstring)."""

    def __init__(self, config: DatasetConfig):
        super().__init__()
        self.config = config

    def expand(self, batches: beam.PCollection) -> ValidationOutputs:
        step = window_step_seconds(self.config)
        results = (
            batches
            | "ToArrowPerWindowStep" >> beam.ParDo(RecordBatchPerStepFn(self.config))
            | "IntoWindowSteps"
            >> beam.WindowInto(
                beam_window.FixedWindows(step),
                trigger=trigger.AfterWatermark(late=trigger.AfterCount(1)),
                accumulation_mode=trigger.AccumulationMode.ACCUMULATING,
                allowed_lateness=Duration(seconds=self.config.window.allowed_lateness_seconds),
            )
            | "StatisticsPerWindow" >> beam.CombineGlobally(WindowStatisticsFn()).without_defaults()
            | "KeyByWindowStart" >> beam.ParDo(_KeyedByStart()).with_output_types(tuple[str, Any])
            | "IntoGlobalWindow" >> beam.WindowInto(beam_window.GlobalWindows())
            | "CheckInEventTimeOrder"
            >> beam.ParDo(CheckWindowsInOrderFn(self.config)).with_outputs(COUNTS, main="flagged")
        )
        counts = results[COUNTS] | "ToCounters" >> beam.ParDo(CountersFn())
        return ValidationOutputs(results.flagged, counts)
