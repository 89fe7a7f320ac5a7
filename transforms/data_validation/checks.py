"""Window-by-window TFDV checks on sliced statistics (plain functions over TFDV's protos).

    windows = split_windows(stats_list)                  # [(window start, statistics)], oldest first
    schema = baseline_schema(windows, spec, columns)     # given, or inferred from the first windows
    for each later window: validate it against the schema and the previous window
        -> flagged-window records (see ``flagged_record``)

What a flagged record carries: the field path, TFDV's anomaly *types* (enum names
such as ``ENUM_TYPE_UNEXPECTED_STRING_VALUES``), and for drift the measured
distance and its threshold. TFDV's own descriptions are left out on purpose:
they quote feature values ("Examples contain values missing from the schema:
..."), and a flagged window must never carry one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from veilwatch.transforms.config.model import DataValidationSpec, DriftComparator
from veilwatch.transforms.data_validation.features import WINDOW_COLUMN, Column
from veilwatch.transforms.data_validation.tfdv_loader import import_tfdv
from veilwatch.transforms.records.event_time import to_iso

DETECTOR = "tfdv"
METRIC = "data_validation"
_SLICE_PREFIX = WINDOW_COLUMN + "_"
_DRIFT_NAMES = {"L_INFTY": "L-infinity", "JENSEN_SHANNON_DIVERGENCE": "Jensen-Shannon divergence"}


def split_windows(stats_list: Any) -> list[tuple[float, Any]]:
    """The per-window datasets of a sliced statistics list, as (window start seconds, a
    one-dataset DatasetFeatureStatisticsList), oldest first (the unsliced dataset is dropped)."""
    from tensorflow_metadata.proto.v0 import statistics_pb2

    windows = []
    for dataset in stats_list.datasets:
        if not dataset.name.startswith(_SLICE_PREFIX):
            continue
        single = statistics_pb2.DatasetFeatureStatisticsList()
        copy = single.datasets.add()
        copy.CopyFrom(dataset)
        del copy.features[:]  # the window key itself is not a feature of the data
        copy.features.extend(f for f in dataset.features if ".".join(f.path.step) != WINDOW_COLUMN)
        windows.append((_seconds(dataset.name[len(_SLICE_PREFIX) :]), single))
    windows.sort(key=lambda item: item[0])
    return windows


def _seconds(iso: str) -> float:
    """``2026-11-06T15:00:00Z`` -> epoch seconds (the slice names hold ``to_iso`` output)."""
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def baseline_schema(
    windows: Sequence[tuple[float, Any]],
    spec: DataValidationSpec,
    columns: Sequence[Column],
    given: Any = None,
) -> Any:
    """The schema the checked windows are validated against.

    ``given`` (a loaded schema) is used as it is, drift comparators included; else the
    schema is inferred from the first ``spec.baseline_windows`` windows (each later
    baseline window relaxes it where it differs, as TFDV's ``update_schema`` does).
    Value domains follow ``_baseline_domains``. Drift
    thresholds from the config are set on either."""
    tfdv = import_tfdv()  # quiet: no CUDA/TensorRT/IPython lines

    if given is not None:
        schema = given
    else:
        baseline = [stats for _, stats in windows[: spec.baseline_windows]]
        schema = tfdv.infer_schema(baseline[0])
        for stats in baseline[1:]:
            schema = tfdv.update_schema(schema, stats)
        _baseline_domains(schema, baseline, {c.name for c in columns if c.pseudonymous})
    names = {c.path: c.name for c in columns}
    present = {f.name for f in schema.feature}
    for path, (comparator, threshold) in spec.drift.items():
        if names[path] not in present:
            continue  # never seen in the baseline: the schema check reports it when it appears
        feature = tfdv.get_feature(schema, names[path])
        if comparator is DriftComparator.INFINITY_NORM:
            feature.drift_comparator.infinity_norm.threshold = threshold
        else:
            feature.drift_comparator.jensen_shannon_divergence.threshold = threshold
    return schema


# TFDV's own rule: a text feature with at most this many distinct values gets a value domain.
MAX_DOMAIN_VALUES = 100


def _baseline_domains(schema: Any, baseline: Sequence[Any], pseudonymous: set[str]) -> None:
    """Value domains of text features, by TFDV's rule applied to the baseline as a whole.

    Inferring from one window and relaxing with the next keeps a domain for any field
    with few values *per window*, so an id that is new in every record (a transaction
    id: 60 per hour) would be "unexpected" in every later window. Here a text feature
    keeps its domain only when all baseline windows together hold at most
    MAX_DOMAIN_VALUES distinct values, and the domain is exactly those values.

    ``pseudonymous`` features (declared PII fields) get no domain at all: their tokens are
    as open-ended as the customers behind them, and every new customer would be an
    "unexpected value" (their volume per value is what heavy_hitter metrics watch)."""
    values: dict[str, set[str]] = {}
    truncated: set[str] = set()
    for stats in baseline:
        for feature in stats.datasets[0].features:
            if not feature.HasField("string_stats"):
                continue
            name = ".".join(feature.path.step)
            labels = {b.label for b in feature.string_stats.rank_histogram.buckets}
            if len(labels) < feature.string_stats.unique:
                truncated.add(name)  # the histogram was cut: more values than it lists
            values.setdefault(name, set()).update(labels)
    shared = {d.name: d for d in schema.string_domain}
    for feature in schema.feature:
        kind = feature.WhichOneof("domain_info")
        if kind not in ("domain", "string_domain"):
            continue
        seen = values.get(feature.name, set())
        if feature.name in pseudonymous or feature.name in truncated or len(seen) > MAX_DOMAIN_VALUES:
            feature.ClearField(kind)
            continue
        domain = shared.get(feature.domain) if kind == "domain" else feature.string_domain
        if domain is not None:
            del domain.value[:]
            domain.value.extend(sorted(seen))
    used = {f.domain for f in schema.feature if f.WhichOneof("domain_info") == "domain"}
    kept = [d for d in schema.string_domain if d.name in used]
    del schema.string_domain[:]
    schema.string_domain.extend(kept)


def checked_windows(
    windows: Sequence[tuple[float, Any]], spec: DataValidationSpec, given_schema: bool
) -> list[tuple[float, Any, Any]]:
    """(start, statistics, previous window's statistics or None) for every window that is
    validated: all of them with a given schema, else those after the baseline."""
    first = 0 if given_schema else spec.baseline_windows
    out = []
    for i in range(first, len(windows)):
        previous = windows[i - 1][1] if i else None
        out.append((windows[i][0], windows[i][1], previous))
    return out


def window_anomalies(stats: Any, schema: Any, previous: Any) -> Any:
    """TFDV's anomalies for one window: schema checks, and drift against ``previous``."""
    tfdv = import_tfdv()  # quiet: no CUDA/TensorRT/IPython lines

    return tfdv.validate_statistics(stats, schema, previous_statistics=previous)


def _path_of(feature_path: Any, by_name: dict[str, str]) -> str:
    name = ".".join(feature_path.step)
    return by_name.get(name, name)


def flagged_records(
    anomalies: Any, dataset: str, start: float, step: float, columns: Sequence[Column]
) -> list[dict[str, Any]]:
    """The flagged-window records of one window's anomalies: one per field, plus one for
    dataset-level anomalies (too few examples ...)."""
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    reason_name = anomalies_pb2.AnomalyInfo.Type.Name
    measurement_name = anomalies_pb2.DriftSkewInfo.Measurement.Type.Name
    by_name = {c.name: c.path for c in columns}
    drift: dict[str, tuple[str, float, float]] = {}
    for info in anomalies.drift_skew_info:
        for measurement in info.drift_measurements:
            if measurement.threshold and measurement.value > measurement.threshold:
                kind = measurement_name(measurement.type)
                drift[_path_of(info.path, by_name)] = (kind, measurement.value, measurement.threshold)
    records = []
    for name, info in sorted(anomalies.anomaly_info.items()):
        path = by_name.get(name, name)
        reasons = sorted({reason_name(r.type) for r in info.reason})
        records.append(flagged_record(dataset, start, step, path, reasons, drift.get(path)))
    if anomalies.HasField("dataset_anomaly_info") and anomalies.dataset_anomaly_info.reason:
        reasons = sorted({reason_name(r.type) for r in anomalies.dataset_anomaly_info.reason})
        records.append(flagged_record(dataset, start, step, "*", reasons, None))
    return records


def flagged_record(
    dataset: str,
    start: float,
    step: float,
    path: str,
    reasons: list[str],
    drift: tuple[str, float, float] | None,
) -> dict[str, Any]:
    """One anomalous (window, field) in the flagged-window shape of the README."""
    observed = threshold = None
    explanation = f"{path}: " + ", ".join(r.lower().replace("_", " ") for r in reasons)
    if drift is not None:
        kind, observed, threshold = drift
        observed, threshold = round(observed, 6), round(threshold, 6)
        explanation += (
            f" ({_DRIFT_NAMES.get(kind, kind)} {observed:.3g} from the previous window, "
            f"threshold {threshold:.3g})"
        )
    return {
        "dataset": dataset,
        "series_key": f"{METRIC}[{path}]",
        "metric": METRIC,
        "group_by": None,
        "group": None,
        "window_start": to_iso(start),
        "window_end": to_iso(start + step),
        "observed": observed,
        "detail": ",".join(reasons),
        "expected": None,
        "spread": None,
        "score": None,
        "direction": None,
        "threshold": threshold,
        "is_anomaly": True,
        "alert": True,
        "detector": DETECTOR,
        "explanation": explanation,
    }
