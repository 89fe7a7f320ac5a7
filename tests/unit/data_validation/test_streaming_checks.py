"""StreamingChecker: the streaming stage's window-by-window checks on real TFDV statistics (no pipeline)."""

from __future__ import annotations

import tensorflow_data_validation as tfdv  # a direct dependency: a broken install fails, never skips
from google.protobuf import text_format  # noqa: E402
from tensorflow_metadata.proto.v0 import statistics_pb2  # noqa: E402

from veilwatch.transforms.config_loading.loader import parse_config  # noqa: E402
from veilwatch.transforms.data_validation.checks import baseline_schema, split_windows  # noqa: E402
from veilwatch.transforms.data_validation.features import WINDOW_COLUMN, profiled_columns, to_record_batch  # noqa: E402
from veilwatch.transforms.data_validation.streaming_checks import CheckerState, StreamingChecker  # noqa: E402
from veilwatch.transforms.data_validation.transform import load_schema  # noqa: E402
from veilwatch.transforms.data_validation.window_statistics import WindowStatisticsFn  # noqa: E402

H = 3600.0
ORDINARY = ["api", "web", "batch", "api"] * 5


def _config(lateness: str = "2h", **section):
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
            "windowing": {"type": "fixed", "size": "1h", "allowed_lateness": lateness},
            "sinks": {"output_dir": "out"},
            "data_validation": {"baseline_windows": 2, **section},
        }
    )


COLUMNS = profiled_columns(_config())
STATISTICS = WindowStatisticsFn()


def _records(services, status):
    return [{"service": s, **({"status": 200} if status else {})} for s in services]


def _stats(services=ORDINARY, status=True):
    """One window's statistics as the streaming stage computes them: two record batches, one combine."""
    records = _records(services, status)
    half = len(records) // 2
    acc = STATISTICS.create_accumulator()
    for part in (records[:half], records[half:]):
        acc = STATISTICS.add_input(acc, to_record_batch(part, None, COLUMNS, H))
    return STATISTICS.extract_output(acc)


def _flags(outcome):
    return [(r["window_start"][11:16], r["series_key"], r["detail"]) for r in outcome.flagged]


def test_baseline_windows_build_the_schema_and_later_ones_are_checked():
    checker, state = StreamingChecker(_config()), CheckerState()
    first, second = checker.observe(state, 0, _stats()), checker.observe(state, H, _stats())
    assert not first.first_check
    assert not second.first_check
    assert first.new_window
    assert second.new_window
    assert state.schema is not None
    assert state.baseline == {}  # inferred, the baseline's statistics let go
    assert first.inferred_schema is None
    assert tfdv.get_domain(second.inferred_schema, "service").value
    ordinary = checker.observe(state, 2 * H, _stats())
    assert ordinary.first_check
    assert ordinary.flagged == []
    missing = checker.observe(state, 3 * H, _stats(status=False))
    assert _flags(missing) == [("03:00", "data_validation[status]", "FEATURE_TYPE_NOT_PRESENT")]


def test_a_late_pane_emits_only_what_was_not_flagged_for_its_window():
    checker, state = StreamingChecker(_config()), CheckerState()
    for hour in (0, 1):
        checker.observe(state, hour * H, _stats())
    assert len(checker.observe(state, 2 * H, _stats(status=False)).flagged) == 1
    checker.observe(state, 3 * H, _stats())
    again = checker.observe(state, 2 * H, _stats(status=False))  # the same anomaly, a pane later
    assert again.flagged == []
    assert not again.new_window
    assert not again.first_check
    worse = checker.observe(state, 2 * H, _stats(ORDINARY + ["checkout-v2"], status=False))
    assert _flags(worse) == [("02:00", "data_validation[service]", "ENUM_TYPE_UNEXPECTED_STRING_VALUES")]


def test_a_late_pane_of_a_baseline_window_is_not_checked():
    checker, state = StreamingChecker(_config()), CheckerState()
    for hour in (0, 1, 2):
        checker.observe(state, hour * H, _stats())
    late = checker.observe(state, H, _stats(ORDINARY + ["checkout-v2"]))
    assert late.flagged == []
    assert not late.new_window
    assert not late.first_check


def test_a_window_whose_first_pane_is_late_is_checked_against_the_window_before_it():
    spec = {"drift": {"service": {"infinity_norm": 0.3}}}
    checker, state = StreamingChecker(_config(**spec)), CheckerState()
    for hour in (0, 1):
        checker.observe(state, hour * H, _stats())
    checker.observe(state, 3 * H, _stats(["batch"] * 18 + ["api", "web"]))  # drifts from hour 1
    # hour 2 had no records on time; its late pane is compared with hour 1, not hour 3
    late = checker.observe(state, 2 * H, _stats())
    assert late.new_window
    assert late.first_check
    assert late.flagged == []


def test_state_keeps_only_the_windows_a_late_pane_can_reach():
    checker, state = StreamingChecker(_config(lateness="2h")), CheckerState()
    for hour in range(30):
        checker.observe(state, hour * H, _stats())
    # allowed lateness (2 h) plus one step for the previous window of the oldest reachable one
    assert sorted(state.recent) == [26 * H, 27 * H, 28 * H, 29 * H]


def test_a_schema_written_by_a_batch_run_checks_every_window(tmp_path):
    config = _config()
    # a batch run's window (its slices are named by the window column) -> its schema file
    sliced = statistics_pb2.DatasetFeatureStatisticsList()
    window = sliced.datasets.add()
    window.CopyFrom(_stats(ORDINARY * 2).datasets[0])
    window.name = f"{WINDOW_COLUMN}_1970-01-01T00:00:00Z"
    schema = baseline_schema(split_windows(sliced), config.data_validation, COLUMNS)
    path = tmp_path / "schema.pbtxt"
    path.write_text(text_format.MessageToString(schema))  # as the batch stage writes it

    checker, state = StreamingChecker(config, load_schema(str(path))), CheckerState()
    first = checker.observe(state, 0, _stats(ORDINARY + ["checkout-v2"]))
    assert first.first_check
    assert _flags(first) == [("00:00", "data_validation[service]", "ENUM_TYPE_UNEXPECTED_STRING_VALUES")]
    assert checker.observe(state, H, _stats()).flagged == []
    assert state.schema is None
    assert state.baseline == {}


def test_window_statistics_merge_encoded_partials_as_one_pass_would():
    # Runners encode accumulators between the partial and the final combine (combiner lifting).
    import pickle

    records = _records(ORDINARY * 3, True) + _records(["web"] * 7, False)
    one_pass = STATISTICS.add_input(
        STATISTICS.create_accumulator(), to_record_batch(records, None, COLUMNS, H)
    )
    partials = []
    for part in (records[:25], records[25:]):
        acc = STATISTICS.add_input(STATISTICS.create_accumulator(), to_record_batch(part, None, COLUMNS, H))
        partials.append(pickle.loads(pickle.dumps(STATISTICS.compact(acc))))
    merged = STATISTICS.extract_output(STATISTICS.merge_accumulators(partials))
    expected = STATISTICS.extract_output(one_pass)
    assert merged == expected
    dataset = merged.datasets[0]
    assert dataset.num_examples == 67
    service = next(f for f in dataset.features if f.path.step == ["service"])
    assert {b.label: b.sample_count for b in service.string_stats.rank_histogram.buckets} == {
        "api": 30,
        "web": 22,
        "batch": 15,
    }
