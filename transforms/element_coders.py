"""Beam coders for the two batch element types: pickled, with a size estimate that costs nothing.

Beam samples the elements every step outputs to count their bytes (``OperationCounters.do_sample``:
the first elements of each output always, then about one in a hundred, per bundle) and estimates each
sampled element's size with its PCollection's coder. A batch of 1,000 records under the default coder
(``FastPrimitivesCoder``, which falls back to pickle for a dataclass) is pickled whole just to be
measured: at 100,000 payment records that was ~0.09 s of a 2.6 s run (issue #15, py-spy), for a
number nothing reads but the runner's metrics.

These coders encode exactly as that fallback does (``pickle``, highest protocol) and estimate from
what the batch already knows instead: a raw batch from its items' byte sizes as read, an
anonymized batch from one record's JSON size times the record count. They are registered for the
types on import; a step's PCollection uses them when its output type is declared (``RawBatch`` /
``AnonymizedBatch``).
"""

from __future__ import annotations

import json
import pickle
from typing import Any

import apache_beam as beam

from veilwatch.transforms.elements import AnonymizedBatch, RawBatch

# An item whose size the source does not know (Avro, Parquet, BigQuery rows are counted 0 bytes).
NOMINAL_ITEM_BYTES = 256


def _dumps(value: Any) -> bytes:
    return pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


def raw_batch_size(batch: RawBatch) -> int:
    """The raw batch's bytes as read: its items' sizes (a nominal size for an item of unknown size)."""
    return sum(item.size or NOMINAL_ITEM_BYTES for item in batch.items) + 64 * len(batch.file_errors)


def anonymized_batch_size(batch: AnonymizedBatch) -> int:
    """The anonymized batch's size as JSON lines, from its first record: records of one batch share a shape."""
    if not batch.records:
        return 8 * len(batch.dead_letter_times) + 16
    one = len(json.dumps(batch.records[0], default=str, ensure_ascii=False)) + 1
    return one * len(batch.records) + 8 * len(batch.event_times)


class _PickledBatchCoder(beam.coders.Coder):
    """Pickle both ways, like Beam's fallback; ``estimate_size`` from the batch, not from pickling it
    (``Coder``'s own impl calls ``encode``, ``decode`` and ``estimate_size``)."""

    element_type: type = object

    def encode(self, value: Any) -> bytes:
        return _dumps(value)

    def decode(self, encoded: bytes) -> Any:
        return pickle.loads(encoded)

    def to_type_hint(self) -> type:
        return self.element_type


class RawBatchCoder(_PickledBatchCoder):
    element_type = RawBatch

    def estimate_size(self, value: Any) -> int:
        return raw_batch_size(value)


class AnonymizedBatchCoder(_PickledBatchCoder):
    element_type = AnonymizedBatch

    def estimate_size(self, value: Any) -> int:
        return anonymized_batch_size(value)


beam.coders.registry.register_coder(RawBatch, RawBatchCoder)
beam.coders.registry.register_coder(AnonymizedBatch, AnonymizedBatchCoder)
