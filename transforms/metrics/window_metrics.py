"""ComputeWindowMetrics: anonymized batches -> one value per (metric, group, window).

Each batch is pre-aggregated on the worker into partial counts per
(metric, group value, window) before anything is shuffled, so the shuffle
carries a handful of partials per batch instead of every record. Each partial
is emitted in the event-time window it belongs to (:class:`CarriedWindows`
puts it there), then ``CombinePerKey`` merges partials per window under
Beam's own windowing: the same graph serves batch and streaming, with
watermarks and allowed lateness applying as for any windowed combine.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterator

import apache_beam as beam
from apache_beam.coders import coders
from apache_beam.transforms import trigger
from apache_beam.transforms import window as beam_window
from apache_beam.utils.timestamp import Duration

from transforms.anonymize import AnonymizedBatch
from transforms.config.model import DatasetConfig, MetricSpec
from transforms.records.paths import first_value_getter
from transforms.windows.assign import WindowAssigner

# Group values longer than this are cut in series keys: a key names a series,
# it is not a place to store data.
_MAX_GROUP_CHARS = 128


@dataclass(frozen=True)
class WindowMetric:
    """The value of one metric in one event-time window of one series."""

    metric: str
    group_by: str | None
    group: str | None
    window_start: float
    window_end: float
    value: float

    @property
    def series_key(self) -> str:
        return series_key(self.metric, self.group_by, self.group)


def series_key(metric: str, group_by: str | None, group: str | None) -> str:
    return metric if group_by is None else f"{metric}[{group_by}={group}]"


def group_value(value: Any) -> str:
    """A group's name in a series key: the (de-identified) value as text, cut short."""
    if value is None:
        return "null"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text[:_MAX_GROUP_CHARS]


class PartialCountsFn(beam.DoFn):
    """AnonymizedBatch -> ((metric, group_by, group), (start, end, count)) per window touched."""

    def __init__(self, config: DatasetConfig):
        self.config = config

    def setup(self) -> None:
        self.assigner = WindowAssigner(self.config.window)
        self.metrics: list[tuple[MetricSpec, Any]] = [
            (m, first_value_getter(m.group_by) if m.group_by else None) for m in self.config.metrics
        ]

    def process(self, batch: AnonymizedBatch) -> Iterator[Any]:
        counts: Counter = Counter()
        size = self.assigner.size
        for record, t in zip(batch.records, batch.event_times):
            starts = self.assigner.starts(t)
            for metric, getter in self.metrics:
                group = group_value(getter(record)) if getter is not None else None
                for start in starts:
                    counts[(metric.name, metric.group_by, group, start)] += 1
        for (name, group_by, group, start), count in counts.items():
            end = start + size
            element = ((name, group_by, group), (start, end, count))
            yield beam_window.TimestampedValue(element, beam_window.IntervalWindow(start, end).max_timestamp())


class CarriedWindows(beam_window.NonMergingWindowFn):
    """Puts a partial into the window whose bounds it carries: (key, (start, end, value))."""

    def assign(self, context: beam_window.WindowFn.AssignContext) -> list[beam_window.IntervalWindow]:
        start, end, _ = context.element[1]
        return [beam_window.IntervalWindow(start, end)]

    def get_window_coder(self):
        return coders.IntervalWindowCoder()


class _ToWindowMetric(beam.DoFn):
    def process(self, element: Any, win=beam.DoFn.WindowParam) -> Iterator[WindowMetric]:
        (name, group_by, group), value = element
        yield WindowMetric(name, group_by, group, float(win.start), float(win.end), float(value))


class ComputeWindowMetrics(beam.PTransform):
    """PCollection[AnonymizedBatch] -> PCollection[WindowMetric], in event-time windows."""

    def __init__(self, config: DatasetConfig):
        super().__init__()
        self.config = config

    def expand(self, batches: beam.PCollection[AnonymizedBatch]) -> beam.PCollection[WindowMetric]:
        return (
            batches
            | "PreAggregatePerBatch" >> beam.ParDo(PartialCountsFn(self.config))
            | "IntoEventTimeWindows" >> beam.WindowInto(
                CarriedWindows(),
                # One pane when the watermark passes the window, then one per late arrival within the
                # allowed lateness carrying the window's corrected total (accumulating), never dropped.
                trigger=trigger.AfterWatermark(late=trigger.AfterCount(1)),
                accumulation_mode=trigger.AccumulationMode.ACCUMULATING,
                allowed_lateness=Duration(seconds=self.config.window.allowed_lateness_seconds),
            )
            | "DropCarriedBounds" >> beam.MapTuple(lambda key, partial: (key, partial[2]))
            | "MergePartials" >> beam.CombinePerKey(sum)
            | "ToWindowMetric" >> beam.ParDo(_ToWindowMetric())
        )
