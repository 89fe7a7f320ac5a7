"""The whole streaming graph on the DirectRunner, fed by TestStream as Pub/Sub would feed it.

Messages go in as ``PubsubMessage`` s (what ``ReadFromPubSub(with_attributes=True)``
emits), timestamped by their event time (what ``timestamp_attribute`` does),
out of order, with watermark advances in between; everything after the read
is the graph ``veilwatch run --streaming`` builds, files written included.
The batch run of the same records through the real CLI is the reference.
"""

from __future__ import annotations

import datetime as dt
import json
import random

import apache_beam as beam
import pytest
import yaml
from apache_beam.io.gcp.pubsub import PubsubMessage
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.test_stream import TestStream
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms.window import TimestampedValue

from tests.conftest import run_cli
from tests.pipeline.helpers import example_config, read_jsonl_dir, write_payments_feed
from veilwatch.pipelines.anonymize_pipeline import build_pipeline
from veilwatch.pipelines.sample_data import Anomaly
from veilwatch.transforms.config_loading.loader import ConfigOverrides, load_config, parse_config
from veilwatch.transforms.io.pubsub import MessagesToRawBatches
from veilwatch.transforms.io.windowed_files import DEFAULT_EVERY_SECONDS

pytestmark = pytest.mark.pipeline

H = 3600.0
CHUNK = 12 * H
FILE_CUT = (
    DEFAULT_EVERY_SECONDS + 1
)  # streaming file sinks write what they hold every minute of processing time


def _epoch(iso: str) -> float:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _message(record: dict | bytes, message_id: str) -> PubsubMessage:
    data = record if isinstance(record, bytes) else json.dumps(record).encode("utf-8")
    return PubsubMessage(data, {}, message_id=message_id)


def _streaming_pipeline():
    options = PipelineOptions()
    options.view_as(StandardOptions).streaming = True
    return TestPipeline(options=options)


class _Stream(beam.PTransform):
    """TestStream -> RawBatch, standing in for ReadFromPubSub."""

    def __init__(self, stream, config):
        super().__init__()
        self.stream, self.config = stream, config

    def expand(self, pbegin):
        return (
            pbegin
            | "Messages" >> self.stream
            | "ToRawBatches"
            >> MessagesToRawBatches(self.config.source, self.config.event_time, batch_size=50)
        )


@pytest.fixture(scope="module")
def feed(tmp_path_factory):
    """Three days of payments, a sixfold volume spike on day 3 at 15:00."""
    return write_payments_feed(
        tmp_path_factory.mktemp("stream-feed"),
        seed=5,
        base_per_hour=4,
        days=3,
        anomalies=(Anomaly("volume_spike", 2 * 24 + 15),),
    )


def test_streaming_and_batch_runs_agree_on_anonymized_records_and_flagged_windows(
    feed, tmp_path, keyset_path
):
    data, records, labels = feed
    detector = {
        "type": "robust_zscore",
        "threshold": 5.0,
        "history": 48,
        "warmup": 24,
        "direction": "both",
        "min_abs_change": 8,
    }
    # Declared PII fields only: the free-text scanner is covered elsewhere and costs seconds to build per worker.
    config_path = example_config(tmp_path, pii={"scan_fields": []})
    doc = yaml.safe_load(config_path.read_text())
    doc["detector"] = detector  # replaced whole: the example's detector settings may not fit this short feed
    config_path.write_text(yaml.safe_dump(doc, sort_keys=False))

    # Batch: the real CLI on the file.
    batch_out = tmp_path / "batch"
    result = run_cli(
        "run",
        "--dataset_config",
        config_path,
        "--input",
        data,
        "--output_dir",
        batch_out,
        "--keyset",
        keyset_path,
        "--allow_plaintext_keys",
    )
    assert result.code == 0, result.err

    # Streaming: twelve-hour chunks, shuffled within the chunk, the watermark moved to each chunk's end.
    stream_out = tmp_path / "stream"
    config = load_config(
        str(config_path), ConfigOverrides(output_dir=str(stream_out), keyset=str(keyset_path))
    )
    rng = random.Random(3)
    first = _epoch(records[0]["ts"]) // H * H
    stream = TestStream()
    chunk_end = first + CHUNK
    chunk: list = []
    for i, record in enumerate(records + [None]):
        t = _epoch(record["ts"]) if record else None
        if record is None or t >= chunk_end:
            rng.shuffle(chunk)
            stream = stream.add_elements(chunk).advance_watermark_to(chunk_end)
            chunk, chunk_end = [], chunk_end + CHUNK
        if record is not None:
            chunk.append(TimestampedValue(_message(record, f"m{i}"), t))
    # Past every window (timers fire before the end of time), then a minute of processing time so
    # the file sinks make their last cut.
    stream = (
        stream.advance_watermark_to(chunk_end + 24 * H)
        .advance_processing_time(FILE_CUT)
        .advance_watermark_to_infinity()
    )
    with _streaming_pipeline() as p:
        build_pipeline(p, config, allow_plaintext_keys=True, streaming=True, read=_Stream(stream, config))

    by_id = lambda rs: {r["transaction_id"]: r for r in rs}  # noqa: E731
    batch_records = by_id(read_jsonl_dir(batch_out / "anonymized"))
    stream_records = by_id(read_jsonl_dir(stream_out / "anonymized"))
    assert len(stream_records) == len(records)
    assert stream_records == batch_records

    key = lambda s: (s["series_key"], s["window_start"])  # noqa: E731
    batch_flagged = sorted(read_jsonl_dir(batch_out / "flagged_windows"), key=key)
    stream_flagged = sorted(read_jsonl_dir(stream_out / "flagged_windows"), key=key)
    assert stream_flagged == batch_flagged
    assert ("record_count", labels[0].window_start) in {key(s) for s in stream_flagged}
    assert not (stream_out / "run_summary.json").exists()  # a streaming job has no end to sum up


def _small_config(lateness: str, output_dir):
    return parse_config(
        {
            "dataset": "d",
            "source": {
                "format": "pubsub",
                "pubsub": {"subscription": "projects/my-project/subscriptions/payments-in"},
            },
            "schema": {
                "fields": [
                    {"name": "id", "type": "string"},
                    {"name": "ts", "type": "timestamp"},
                    {"name": "email", "type": "string"},
                ]
            },
            "event_time": {"field": "ts", "format": "epoch_seconds"},
            "pii": {
                "fields": [
                    {
                        "path": "email",
                        "info_type": "EMAIL_ADDRESS",
                        "transformation": "replaceWithInfoTypeConfig",
                    }
                ]
            },
            "windowing": {"type": "fixed", "size": "1h", "allowed_lateness": lateness},
            "metrics": [{"name": "n", "type": "count"}],
            "detector": {"type": "robust_zscore", "warmup": 1, "threshold": 4},
            "sinks": {"output_dir": str(output_dir)},
        }
    )


def _records(hour: int, count: int, tag: str) -> list[TimestampedValue]:
    out = []
    for i in range(count):
        t = hour * H + (i + 0.5) * (H / count)
        record = {"id": f"{tag}{i}", "ts": t, "email": f"{tag}{i}@example.com"}
        out.append(TimestampedValue(_message(record, f"{tag}{i}"), t))
    return out


def test_late_records_update_their_window_within_the_allowed_lateness_and_are_never_lost(tmp_path):
    config = _small_config("2h", tmp_path)
    stream = (
        TestStream()
        .add_elements(_records(1, 3, "b") + _records(0, 4, "a"))  # hour 1 before hour 0
        .advance_watermark_to(2 * H)  # hours 0 and 1 fire: 4 and 3
        .add_elements(_records(0, 2, "late"))  # 2 late records for hour 0, within 2h
        .add_elements([TimestampedValue(_message(b"{not json", "broken"), 2 * H)])
        .advance_watermark_to(5 * H)  # hour 0 is now past its lateness
        .add_elements(_records(0, 1, "too-late"))  # too late for the window count
        .advance_watermark_to(30 * H)
        .advance_processing_time(FILE_CUT)
        .advance_watermark_to_infinity()
    )
    with _streaming_pipeline() as p:
        out = build_pipeline(p, config, streaming=True, read=_Stream(stream, config))
        ids = out.anonymized | "Ids" >> beam.FlatMap(lambda b: [r["id"] for r in b.records])
        not_masked = out.anonymized | "NotMasked" >> beam.FlatMap(
            lambda b: [r["email"] for r in b.records if r["email"] != "[EMAIL_ADDRESS]"]
        )
        panes = out.scores | "Panes" >> beam.Map(lambda s: (s["window_start"][11:16], s["observed"]))
        dead = out.dead_letters | "Dead" >> beam.FlatMap(
            lambda batch: [(d["stage"], d["source"]) for d in batch]
        )
        # Every record is anonymized and written, late or not; de-identified like any other.
        assert_that(
            ids,
            equal_to(
                [f"a{i}" for i in range(4)] + [f"b{i}" for i in range(3)] + ["late0", "late1", "too-late0"]
            ),
            label="AllRecords",
        )
        assert_that(not_masked, equal_to([]), label="Deidentified")
        # Hour 0 fires on time with 4, then its late pane with the corrected total 6; the record past
        # the allowed lateness does not reopen it (Beam drops it from the window count).
        assert_that(panes, equal_to([("00:00", 4.0), ("01:00", 3.0), ("00:00", 6.0)]), label="Panes")
        # The message id is the record's reference; the record too late for hour 0's count is
        # accounted for in the dead letter (stage too_late, no record: it was written as any other).
        assert_that(dead, equal_to([("parse", "pubsub:broken"), ("too_late", None)]), label="DeadLetters")


def test_the_event_time_attribute_fills_the_event_time_field(tmp_path):
    config = parse_config(
        {
            "dataset": "d",
            "source": {
                "format": "pubsub",
                "pubsub": {
                    "topic": "projects/my-project/topics/payments-in",
                    "event_time_attribute": "event_ts",
                },
            },
            "schema": {"fields": [{"name": "id", "type": "string"}, {"name": "ts", "type": "timestamp"}]},
            "event_time": {"field": "ts", "format": "iso8601"},
            "windowing": {"type": "fixed", "size": "1h"},
            "sinks": {"output_dir": str(tmp_path)},
        }
    )
    messages = [
        PubsubMessage(b'{"id": "x"}', {"event_ts": "1970-01-01T00:30:00Z"}, message_id="1"),
        PubsubMessage(
            b'{"id": "y", "ts": "1970-01-01T01:30:00Z"}', {"event_ts": "1970-01-01T01:31:00Z"}, message_id="2"
        ),  # the payload's own field wins
        PubsubMessage(b'{"id": "z"}', {}, message_id="3"),  # no attribute, no field: dead letter
    ]
    stream = (
        TestStream()
        .add_elements([TimestampedValue(m, 0) for m in messages])
        .advance_watermark_to(10 * H)
        .advance_processing_time(FILE_CUT)
        .advance_watermark_to_infinity()
    )
    with _streaming_pipeline() as p:
        out = build_pipeline(p, config, streaming=True, read=_Stream(stream, config))
        times = out.anonymized | "Times" >> beam.FlatMap(
            lambda b: zip([r["id"] for r in b.records], b.event_times, strict=True)
        )
        dead = out.dead_letters | "Dead" >> beam.FlatMap(
            lambda batch: [(d["stage"], d["source"]) for d in batch]
        )
        assert_that(times, equal_to([("x", 1800.0), ("y", 5400.0)]), label="EventTimes")
        assert_that(dead, equal_to([("event_time", "pubsub:3")]), label="DeadLetters")
