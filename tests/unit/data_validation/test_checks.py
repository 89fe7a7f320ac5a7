"""Window-by-window TFDV checks on real TFDV statistics (no pipeline)."""

from __future__ import annotations

import pandas as pd
import pytest
import tensorflow_data_validation as tfdv  # a direct dependency: a broken install fails, never skips
from tensorflow_metadata.proto.v0 import statistics_pb2  # noqa: E402

from veilwatch.transforms.config.model import DataValidationSpec, DriftComparator  # noqa: E402
from veilwatch.transforms.data_validation.checks import (  # noqa: E402
    baseline_schema,
    checked_windows,
    flagged_records,
    split_windows,
    window_anomalies,
)
from veilwatch.transforms.data_validation.features import WINDOW_COLUMN, Column  # noqa: E402
from veilwatch.transforms.data_validation.redact import redact_schema_domains, redact_statistics, redact_text  # noqa: E402
from veilwatch.transforms.detection import DetectionEngine  # noqa: E402
from veilwatch.transforms.records.paths import parse_path  # noqa: E402

HOUR = 3600.0
COLUMNS = (
    Column("service", "service", "text", parse_path("service")),
    Column("customer.token", "customer__token", "text", parse_path("customer.token"), pseudonymous=True),
)
CARD = "4111111111111111"


def _window(hour: int, services: list[str], tokens: list[str]) -> statistics_pb2.DatasetFeatureStatistics:
    frame = pd.DataFrame({"service": services, "customer__token": tokens})
    dataset = tfdv.generate_statistics_from_dataframe(frame).datasets[0]
    dataset.name = f"{WINDOW_COLUMN}_1970-01-01T{hour:02d}:00:00Z"
    return dataset


def _sliced(*datasets) -> statistics_pb2.DatasetFeatureStatisticsList:
    out = statistics_pb2.DatasetFeatureStatisticsList()
    unsliced = out.datasets.add()
    unsliced.name = "All Examples"
    for dataset in reversed(datasets):  # any order: split_windows sorts by time
        out.datasets.add().CopyFrom(dataset)
    return out


def _run(stats_list, spec):
    windows = split_windows(stats_list)
    schema = baseline_schema(windows, spec, COLUMNS)
    flagged = []
    for start, stats, previous in checked_windows(windows, spec, given_schema=False):
        flagged += flagged_records(window_anomalies(stats, schema, previous), "d", start, HOUR, COLUMNS)
    return windows, schema, flagged


def _steady(hour: int, tokens_from: int) -> statistics_pb2.DatasetFeatureStatistics:
    services = ["api", "web", "batch", "api"] * 5
    return _window(hour, services, [f"TOKEN_{tokens_from + i}" for i in range(20)])


def test_a_new_value_in_a_categorical_field_flags_that_window_only():
    leak = ["api", "web", CARD, "api"] * 5
    stats = _sliced(
        _steady(0, 0), _steady(1, 100), _steady(2, 200), _window(3, leak, ["TOKEN_1"] * 20), _steady(4, 300)
    )
    windows, _, flagged = _run(
        stats, DataValidationSpec(fields=("service", "customer.token"), baseline_windows=2)
    )
    assert [start for start, _ in windows] == [0.0, HOUR, 2 * HOUR, 3 * HOUR, 4 * HOUR]
    assert [(r["window_start"], r["series_key"], r["detail"]) for r in flagged] == [
        ("1970-01-01T03:00:00Z", "data_validation[service]", "ENUM_TYPE_UNEXPECTED_STRING_VALUES")
    ]
    record = flagged[0]
    assert record["detector"] == "tfdv"
    assert record["is_anomaly"]
    assert record["alert"]
    assert record["window_end"] == "1970-01-01T04:00:00Z"
    assert CARD not in repr(record)  # TFDV's description quotes the value; the record must not


def test_new_tokens_of_a_pseudonymous_field_are_not_anomalies():
    # every window brings new customers: the inferred schema gives their tokens no domain
    _, schema, flagged = _run(
        _sliced(*(_steady(h, 100 * h) for h in range(5))),
        DataValidationSpec(fields=("service", "customer.token"), baseline_windows=2),
    )
    assert flagged == []
    assert tfdv.get_feature(schema, "customer__token").WhichOneof("domain_info") is None
    assert tfdv.get_feature(schema, "service").WhichOneof("domain_info") == "domain"


def test_drift_against_the_previous_window_reports_distance_and_threshold():
    shifted = ["batch"] * 18 + ["api", "web"]
    spec = DataValidationSpec(
        fields=("service", "customer.token"),
        baseline_windows=2,
        drift={"service": (DriftComparator.INFINITY_NORM, 0.3)},
    )
    _, _, flagged = _run(
        _sliced(
            _steady(0, 0), _steady(1, 100), _steady(2, 200), _window(3, shifted, [f"T{i}" for i in range(20)])
        ),
        spec,
    )
    assert len(flagged) == 1
    record = flagged[0]
    assert record["window_start"] == "1970-01-01T03:00:00Z"
    assert record["detail"] == "COMPARATOR_L_INFTY_HIGH"
    assert record["threshold"] == 0.3
    assert record["observed"] == pytest.approx(0.65, abs=0.01)
    assert "L-infinity" in record["explanation"]


def test_with_a_given_schema_every_window_is_checked():
    spec = DataValidationSpec(fields=("service",), baseline_windows=24)
    windows = split_windows(_sliced(_steady(0, 0), _steady(1, 0)))
    assert len(checked_windows(windows, spec, given_schema=True)) == 2
    assert len(checked_windows(windows, spec, given_schema=False)) == 0  # all still baseline


def test_statistics_and_schema_files_are_scrubbed_of_pii():
    scan = DetectionEngine().scan
    assert redact_text(f"ref {CARD} ok", scan) == "ref [CREDIT_CARD_NUMBER] ok"
    leak = ["api", "web", CARD, f"paid {CARD}"] * 5
    stats = _sliced(_window(0, leak, ["T"] * 20))
    redact_statistics(stats, scan)
    assert CARD not in str(stats)
    assert "[CREDIT_CARD_NUMBER]" in str(stats)
    windows = split_windows(_sliced(_window(0, leak, ["T"] * 20)))
    schema = baseline_schema(windows, DataValidationSpec(fields=("service",), baseline_windows=1), COLUMNS)
    assert CARD in str(schema)  # inferred from the leaking window: the domain holds the card
    redact_schema_domains(schema, scan)
    assert CARD not in str(schema)
    assert '"api"' in str(schema)


def test_an_id_new_in_every_record_gets_no_domain_even_with_few_ids_per_window():
    # 30 transaction ids per window: TFDV alone would give the first window's 30 a domain
    columns = (Column("txn", "txn", "text", parse_path("txn")), COLUMNS[0])

    def window(hour):
        frame = pd.DataFrame({"txn": [f"tx-{hour}-{i}" for i in range(30)], "service": ["api", "web"] * 15})
        dataset = tfdv.generate_statistics_from_dataframe(frame).datasets[0]
        dataset.name = f"{WINDOW_COLUMN}_1970-01-01T{hour:02d}:00:00Z"
        return dataset

    spec = DataValidationSpec(fields=("txn", "service"), baseline_windows=4)
    windows = split_windows(_sliced(*(window(h) for h in range(6))))
    schema = baseline_schema(windows, spec, columns)
    assert tfdv.get_feature(schema, "txn").WhichOneof("domain_info") is None
    assert list(tfdv.get_domain(schema, "service").value) == ["api", "web"]
    flagged = [
        r
        for start, stats, previous in checked_windows(windows, spec, given_schema=False)
        for r in flagged_records(window_anomalies(stats, schema, previous), "d", start, HOUR, columns)
    ]
    assert flagged == []
