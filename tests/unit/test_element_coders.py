"""The batch coders: they encode as Beam's pickle fallback does and size a batch without encoding it."""

from __future__ import annotations

import json

import apache_beam as beam
import pytest

from veilwatch.transforms.element_coders import (
    NOMINAL_ITEM_BYTES,
    AnonymizedBatchCoder,
    RawBatchCoder,
    anonymized_batch_size,
    raw_batch_size,
)
from veilwatch.transforms.elements import AnonymizedBatch, FileError, RawBatch, RawItem

_LINES = [
    json.dumps({"id": i, "email": f"user{i}@example.org", "amount": i * 1.5}).encode() for i in range(50)
]
_RAW = RawBatch(
    "jsonl",
    tuple(RawItem(f"in.jsonl@{i}", line, len(line)) for i, line in enumerate(_LINES)),
    (FileError("other.jsonl", "unreadable", 0),),
)
_RECORDS = tuple({"id": i, "email": "[EMAIL_ADDRESS]", "amount": i * 1.5} for i in range(50))
_ANON = AnonymizedBatch(_RECORDS, tuple(float(i) for i in range(50)), (frozenset(),) * 50, (3.0,))


@pytest.mark.parametrize("coder, batch", [(RawBatchCoder(), _RAW), (AnonymizedBatchCoder(), _ANON)])
def test_a_batch_survives_its_coder_both_ways(coder, batch):
    assert coder.decode(coder.encode(batch)) == batch
    impl = coder.get_impl()
    assert impl.decode(impl.encode(batch)) == batch


def test_the_registry_gives_each_batch_type_its_coder():
    assert isinstance(beam.coders.registry.get_coder(RawBatch), RawBatchCoder)
    assert isinstance(beam.coders.registry.get_coder(AnonymizedBatch), AnonymizedBatchCoder)


def test_a_raw_batch_is_sized_by_its_bytes_as_read():
    assert raw_batch_size(_RAW) == sum(len(line) for line in _LINES) + 64
    unknown = RawBatch("avro", (RawItem("a.avro@0", {"id": 1}, 0),))
    assert raw_batch_size(unknown) == NOMINAL_ITEM_BYTES


def test_an_anonymized_batch_is_sized_near_its_json_lines():
    as_lines = sum(len(json.dumps(r)) + 1 for r in _RECORDS)
    estimate = anonymized_batch_size(_ANON)
    assert 0.8 * as_lines <= estimate <= 1.25 * as_lines
    assert anonymized_batch_size(AnonymizedBatch((), (), (), (1.0, 2.0))) > 0


def test_the_estimate_never_encodes(monkeypatch):
    """Beam's size sampling goes through the impl's estimate: it must not pickle the batch."""
    import veilwatch.transforms.element_coders as module

    def no_pickling(value):
        raise AssertionError("the size estimate pickled the batch")

    monkeypatch.setattr(module, "_dumps", no_pickling)
    for coder, batch in ((RawBatchCoder(), _RAW), (AnonymizedBatchCoder(), _ANON)):
        size, observables = coder.get_impl().get_estimated_size_and_observables(batch)
        assert size > 1000 and observables == []
