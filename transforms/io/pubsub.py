"""Pub/Sub in and out: JSON messages -> RawBatch, records and alerts -> JSON messages.

    raw = p | ReadPubSubBatches(config.source, config.event_time, batch_size=1000)
    flagged | WriteJsonToPubSub("projects/p/topics/alerts")

Each message is one JSON record. Its reference (quoted by dead letters and
findings instead of content) is ``pubsub:<message id>``. The event time is
the record's ``event_time.field``; with ``source.pubsub.event_time_attribute``
it is that message attribute instead (Beam then also takes the element
timestamp, and so the watermark, from it), copied into the field when the
payload lacks it so the same event-time parser applies.

Messages are grouped into :class:`RawBatch` es per bundle (up to
``batch_size``), so the per-record work stays batched as for files. The
batch keeps the earliest timestamp of its messages: downstream steps never
see a timestamp later than one of their records, which would hold the
watermark back or make records late.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import apache_beam as beam
from apache_beam.io.gcp.pubsub import PubsubMessage, ReadFromPubSub, WriteToPubSub
from apache_beam.transforms import window as beam_window
from apache_beam.utils.timestamp import MAX_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

from veilwatch.transforms.config.model import EventTimeSpec, PubSubSourceSpec, SourceFormat, SourceSpec
from veilwatch.transforms.elements import RawBatch, RawItem
from veilwatch.transforms.io.progress import RecordsReadCounter
from veilwatch.transforms.io.sinks import to_json_line
from veilwatch.transforms.io.sources import DEFAULT_BATCH_SIZE


def message_ref(message: PubsubMessage) -> str:
    return f"pubsub:{message.message_id or 'unknown'}"


def message_to_item(
    message: PubsubMessage, spec: PubSubSourceSpec, event_time_field: str, max_record_bytes: int
) -> RawItem:
    """A message as a RawItem: its payload bytes, or the parsed record when the
    event time comes from an attribute (a payload that does not parse stays bytes,
    so the parse stage dead-letters it as for a file line)."""
    data = message.data or b""
    ref = message_ref(message)
    if len(data) > max_record_bytes:
        return RawItem(ref, None, len(data), f"record larger than max_record_bytes ({max_record_bytes})")
    attribute = spec.event_time_attribute
    if not attribute:
        return RawItem(ref, data, len(data))
    value = (message.attributes or {}).get(attribute)
    try:
        record = json.loads(data)
    except (ValueError, RecursionError):
        return RawItem(ref, data, len(data))
    if isinstance(record, dict) and value is not None:
        _set_if_missing(record, event_time_field.split("."), value)
        return RawItem(ref, record, len(data))
    return RawItem(ref, data, len(data))


def _set_if_missing(record: dict, names: list[str], value: Any) -> None:
    node = record
    for name in names[:-1]:
        child = node.get(name)
        if child is None:
            child = node[name] = {}
        if not isinstance(child, dict):
            return
        node = child
    node.setdefault(names[-1], value)


class MessagesToBatchesFn(beam.DoFn):
    """PubsubMessage -> RawBatch of up to ``batch_size`` messages of one bundle and window."""

    def __init__(self, source: SourceSpec, event_time: EventTimeSpec, batch_size: int = DEFAULT_BATCH_SIZE):
        self.spec = source.pubsub or PubSubSourceSpec()
        self.max_record_bytes = source.max_record_bytes
        self.event_time_field = event_time.field
        self.batch_size = batch_size
        self.records_read = RecordsReadCounter()  # a Beam counter, also read by the progress line

    def start_bundle(self) -> None:
        self._buffers: dict[Any, list] = {}  # window -> [items, earliest timestamp]

    def process(
        self, message: PubsubMessage, timestamp=beam.DoFn.TimestampParam, win=beam.DoFn.WindowParam
    ) -> Iterator[Any]:
        item = message_to_item(message, self.spec, self.event_time_field, self.max_record_bytes)
        buffer = self._buffers.setdefault(win, [[], MAX_TIMESTAMP])
        buffer[0].append(item)
        buffer[1] = min(buffer[1], timestamp)
        if len(buffer[0]) >= self.batch_size:
            items, earliest = self._buffers.pop(win)
            yield beam_window.TimestampedValue(self._batch(items), earliest)

    def finish_bundle(self) -> Iterator[WindowedValue]:
        for win, (items, earliest) in self._buffers.items():
            yield WindowedValue(self._batch(items), earliest, (win,))
        self._buffers = {}

    def _batch(self, items: list[RawItem]) -> RawBatch:
        self.records_read.inc(len(items))
        return RawBatch(SourceFormat.PUBSUB, tuple(items))


class MessagesToRawBatches(beam.PTransform[beam.PCollection[PubsubMessage], beam.PCollection[RawBatch]]):
    """PCollection[PubsubMessage] -> PCollection[RawBatch] (what the anonymizer reads)."""

    def __init__(self, source: SourceSpec, event_time: EventTimeSpec, batch_size: int = DEFAULT_BATCH_SIZE):
        super().__init__()
        self.source = source
        self.event_time = event_time
        self.batch_size = batch_size

    def expand(self, messages: beam.PCollection[PubsubMessage]) -> beam.PCollection[RawBatch]:
        return messages | "BatchMessages" >> beam.ParDo(
            MessagesToBatchesFn(self.source, self.event_time, self.batch_size)
        )


class ReadPubSubBatches(beam.PTransform[beam.pvalue.PBegin, beam.PCollection[RawBatch]]):
    """A subscription or topic -> PCollection[RawBatch] (unbounded: run with ``--streaming``)."""

    def __init__(self, source: SourceSpec, event_time: EventTimeSpec, batch_size: int = DEFAULT_BATCH_SIZE):
        super().__init__()
        self.source = source
        self.event_time = event_time
        self.batch_size = batch_size

    def expand(self, pbegin: beam.pvalue.PBegin) -> beam.PCollection[RawBatch]:
        spec = self.source.pubsub
        assert spec is not None, "config validation requires source.pubsub for a Pub/Sub source"
        read = ReadFromPubSub(
            topic=None if spec.subscription else spec.topic,
            subscription=spec.subscription,
            with_attributes=True,  # the message id and the event-time attribute come with the message
            timestamp_attribute=spec.event_time_attribute,
        )
        return (
            pbegin
            | "ReadMessages" >> read
            | "ToRawBatches" >> MessagesToRawBatches(self.source, self.event_time, self.batch_size)
        )


class WriteJsonToPubSub(beam.PTransform):
    """PCollection[dict] (or of lists of dicts with ``batched``) -> one JSON message per dict."""

    def __init__(self, topic: str, batched: bool = False):
        super().__init__()
        self.topic = topic
        self.batched = batched

    def expand(self, pcoll: beam.PCollection) -> beam.pvalue.PDone:
        records = (pcoll | "Unbatch" >> beam.FlatMap(lambda batch: batch)) if self.batched else pcoll
        return (
            records
            | "ToJsonBytes" >> beam.Map(lambda r: to_json_line(r).encode("utf-8")).with_output_types(bytes)
            | "Publish" >> WriteToPubSub(self.topic)
        )
