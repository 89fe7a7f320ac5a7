"""The data-validation stage on unbounded input: ValidateStreamingWindows fed by TestStream.

One stream of hourly windows, two of them the baseline the schema is inferred from:

    hour 0, 1  baseline (service: api/web/batch, status always present)
    hour 2     ordinary on time; then a late record (within the hour of allowed lateness)
               brings a service value never seen -> its late pane flags hour 2
    hour 3     status goes missing -> flagged once, though a late pane (also without
               status) re-checks the window
    hour 4     no records: no statistics, nothing checked or flagged
    hour 5     ordinary (its previous window is hour 3); then a record for hour 3 later
               than the allowed lateness, with a value never seen: dropped, never flagged
    hour 6     service drifts (90 % batch against 25 % the hour before): flagged with
               the distance and threshold

TFDV in a TestPipeline costs seconds per run, so the cases share one run.
"""

from __future__ import annotations

import json

import apache_beam as beam
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.test_stream import TestStream
from apache_beam.transforms.window import TimestampedValue

from veilwatch.transforms.config_loading.loader import parse_config
from veilwatch.transforms.elements import AnonymizedBatch

pytestmark = pytest.mark.pipeline

from veilwatch.transforms.data_validation.streaming import ValidateStreamingWindows  # noqa: E402
from veilwatch.transforms.data_validation.transform import CountersFn  # noqa: E402

H = 3600.0
T0 = 1_762_387_200.0  # 2025-11-06T00:00:00Z
CARD = "4111111111111111"
ORDINARY = ["api", "web", "batch", "api"]


def _config():
    return parse_config(
        {
            "dataset": "d",
            "source": {"format": "jsonl", "path": "x.jsonl"},
            "schema": {
                "fields": [
                    {"name": "ts", "type": "timestamp", "required": True},
                    {"name": "service", "type": "string"},
                    {"name": "status", "type": "integer"},
                ]
            },
            "event_time": {"field": "ts"},
            "pii": {"fields": []},
            "windowing": {"type": "fixed", "size": "1h", "allowed_lateness": "1h"},
            "sinks": {"output_dir": "out"},
            "data_validation": {"baseline_windows": 2, "drift": {"service": {"infinity_norm": 0.3}}},
        }
    )


def _batch(hour: int, services: list[str], status: bool = True, offset: float = 60.0) -> TimestampedValue:
    """Records of ``hour``, one per service value, a minute apart from ``offset`` seconds into the hour."""
    times = tuple(T0 + hour * H + offset + 60 * i for i in range(len(services)))
    records = tuple(
        {"service": s, **({"status": 200 + 300 * (i % 5 == 0)} if status else {})}
        for i, s in enumerate(services)
    )
    return TimestampedValue(AnonymizedBatch(records, times), times[-1])


def _stream() -> TestStream:
    at = lambda hours: T0 + hours * H  # noqa: E731
    return (
        TestStream()
        .add_elements([_batch(0, ORDINARY * 5)])
        .advance_watermark_to(at(1))
        .add_elements([_batch(1, ORDINARY * 5)])
        .advance_watermark_to(at(2))
        .add_elements([_batch(2, ORDINARY * 5)])
        .advance_watermark_to(at(3))
        .add_elements([_batch(3, ORDINARY * 5, status=False)])
        .advance_watermark_to(at(3.5))
        .add_elements([_batch(2, ["checkout-v2"], offset=3000)])  # late, within the allowed lateness
        .advance_watermark_to(at(4))
        .add_elements([_batch(3, ["api"], status=False, offset=3300)])  # late, within: same anomaly
        .advance_watermark_to(at(5))  # hour 4: no records
        .add_elements([_batch(5, ORDINARY * 5)])
        .advance_watermark_to(at(6))
        .add_elements([_batch(3, [CARD], offset=3400)])  # later than the allowed lateness: dropped
        .add_elements([_batch(6, ["batch"] * 18 + ["api", "web"])])
        .advance_watermark_to(at(7))
        .advance_watermark_to(at(24))
        .advance_watermark_to_infinity()
    )


def _append_line(element, path: str) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(element) + "\n")


def _lines(path) -> list[dict]:
    return (
        [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []
    )


@pytest.fixture(scope="module")
def streamed(tmp_path_factory):
    """(flagged records, summed counts output) of one streaming run."""
    work = tmp_path_factory.mktemp("streaming-validation")
    options = PipelineOptions()
    options.view_as(StandardOptions).streaming = True
    with TestPipeline(options=options) as pipeline:
        outputs = pipeline | _stream() | ValidateStreamingWindows(_config())
        outputs.flagged | "KeepFlagged" >> beam.Map(_append_line, str(work / "flagged.jsonl"))
        outputs.counts | "KeepCounts" >> beam.Map(_append_line, str(work / "counts.jsonl"))
    counts: dict[str, int] = {}
    for part in _lines(work / "counts.jsonl"):
        for name, value in part.items():
            counts[name] = counts.get(name, 0) + value
    return _lines(work / "flagged.jsonl"), counts


def _by_window(flagged):
    return sorted((f["window_start"][11:16], f["series_key"], f["detail"]) for f in flagged)


def test_a_feature_that_goes_missing_is_flagged_once(streamed):
    flagged, _ = streamed
    missing = [f for f in flagged if f["series_key"] == "data_validation[status]"]
    assert _by_window(missing) == [("03:00", "data_validation[status]", "FEATURE_TYPE_NOT_PRESENT")]
    record = missing[0]
    assert record["window_start"] == "2025-11-06T03:00:00Z"
    assert record["window_end"] == "2025-11-06T04:00:00Z"
    assert record["detector"] == "tfdv"
    assert record["metric"] == "data_validation"
    assert record["is_anomaly"]
    assert record["alert"]


def test_exactly_the_late_value_the_missing_field_and_the_drift_are_flagged(streamed):
    flagged, _ = streamed
    # hours 2 (on time) and 5 are ordinary, hour 4 is empty, and the too-late card in hour 3 is dropped
    assert _by_window(flagged) == [
        ("02:00", "data_validation[service]", "ENUM_TYPE_UNEXPECTED_STRING_VALUES"),
        ("03:00", "data_validation[status]", "FEATURE_TYPE_NOT_PRESENT"),
        ("06:00", "data_validation[service]", "COMPARATOR_L_INFTY_HIGH"),
    ]


def test_drift_carries_distance_and_threshold(streamed):
    flagged, _ = streamed
    drift = [f for f in flagged if f["detail"] == "COMPARATOR_L_INFTY_HIGH"]
    assert len(drift) == 1
    assert drift[0]["threshold"] == 0.3
    assert drift[0]["observed"] == pytest.approx(0.65, abs=0.01)
    assert "L-infinity" in drift[0]["explanation"]


def test_no_value_leaves_in_a_flagged_window(streamed):
    flagged, _ = streamed
    assert len(flagged) == 3
    text = repr(flagged)
    assert "checkout-v2" not in text
    assert CARD not in text


def test_counts_count_windows_checks_and_flags(streamed):
    _, counts = streamed
    # windows with records: 0, 1, 2, 3, 5, 6; checked after the two baseline windows: 2, 3, 5, 6
    assert counts == {
        "data_validation_windows": 6,
        "data_validation_windows_checked": 4,
        "data_validation_flagged": 3,
    }


def test_counts_become_beam_counters():
    # The streaming DirectRunner does not report counters reliably: checked on a bounded run.
    parts = [
        {"data_validation_windows": 2, "data_validation_windows_checked": 1, "data_validation_flagged": 0},
        {"data_validation_windows": 1, "data_validation_windows_checked": 1, "data_validation_flagged": 2},
    ]
    pipeline = TestPipeline()
    _ = pipeline | beam.Create(parts) | beam.ParDo(CountersFn())
    result = pipeline.run()
    result.wait_until_finish()
    counters = {
        r.key.metric.name: r.committed
        for r in result.metrics().query(MetricsFilter().with_namespace("veilwatch"))["counters"]
    }
    assert counters == {
        "data_validation_windows": 3,
        "data_validation_windows_checked": 2,
        "data_validation_flagged": 2,
    }


def test_the_streaming_graph_writes_the_stage_flags_with_the_metric_ones(tmp_path):
    """`build_pipeline(streaming=True)` from a Pub/Sub config: messages in, flagged_windows and the
    inferred schema out."""
    from apache_beam.io.gcp.pubsub import PubsubMessage

    from tests.pipeline.helpers import read_jsonl_dir
    from veilwatch.pipelines.anonymize_pipeline import build_pipeline
    from veilwatch.transforms.data_validation.transform import load_schema
    from veilwatch.transforms.io.pubsub import MessagesToRawBatches
    from veilwatch.transforms.io.windowed_files import DEFAULT_EVERY_SECONDS

    config = parse_config(
        {
            "dataset": "d",
            "source": {
                "format": "pubsub",
                "pubsub": {"subscription": "projects/my-project/subscriptions/logs-in"},
            },
            "schema": {
                "fields": [
                    {"name": "ts", "type": "timestamp"},
                    {"name": "email", "type": "string"},
                    {"name": "service", "type": "string"},
                    {"name": "status", "type": "integer"},
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
            "windowing": {"type": "fixed", "size": "1h"},
            "metrics": [{"name": "n", "type": "count"}],
            "sinks": {"output_dir": str(tmp_path)},
            "data_validation": {"fields": ["service", "status"], "baseline_windows": 2},
        }
    )

    def hour(h: int, status: bool = True) -> list[TimestampedValue]:
        out = []
        # a card number in `service` during the baseline: it enters the inferred domain, never the file
        for i, service in enumerate(ORDINARY * 3 + ([CARD] if h < 2 else [])):
            t = T0 + h * H + 60 * (i + 1)
            record = {
                "ts": t,
                "email": f"u{i}@example.com",
                "service": service,
                **({"status": 200} if status else {}),
            }
            out.append(
                TimestampedValue(PubsubMessage(json.dumps(record).encode(), {}, message_id=f"{h}-{i}"), t)
            )
        return out

    stream = TestStream()
    for h in range(5):
        stream = stream.add_elements(hour(h, status=h != 3)).advance_watermark_to(T0 + (h + 1) * H)
    stream = (
        stream.advance_watermark_to(T0 + 30 * H)
        .advance_processing_time(DEFAULT_EVERY_SECONDS + 1)
        .advance_watermark_to_infinity()
    )

    class Read(beam.PTransform):
        def expand(self, pbegin):
            return pbegin | stream | MessagesToRawBatches(config.source, config.event_time, batch_size=50)

    options = PipelineOptions()
    options.view_as(StandardOptions).streaming = True
    with TestPipeline(options=options) as pipeline:
        build_pipeline(pipeline, config, streaming=True, read=Read())
    flagged = [f for f in read_jsonl_dir(tmp_path / "flagged_windows") if f["detector"] == "tfdv"]
    assert _by_window(flagged) == [("03:00", "data_validation[status]", "FEATURE_TYPE_NOT_PRESENT")]
    assert "example.com" not in repr(flagged)
    # the schema inferred from the first two windows, written as a batch run writes it, scrubbed
    written = (tmp_path / "data_validation" / "schema.pbtxt").read_text()
    assert CARD not in written
    schema = load_schema(str(tmp_path / "data_validation" / "schema.pbtxt"))
    assert {f.name for f in schema.feature} == {"service", "status"}
    assert sorted(next(d for d in schema.string_domain).value) == ["api", "batch", "web"]
    assert sorted(p.name for p in (tmp_path / "data_validation").iterdir()) == ["schema.pbtxt"]
