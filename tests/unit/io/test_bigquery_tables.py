"""BigQuery output tables: partitioned by event day and clustered by dataset and series (#14 item 5).

The parameters are checked where they are built (``table_parameters``), in the
graph ``veilwatch run`` builds (the WriteToBigQuery steps carry them), and in
the config (``sinks.bigquery.time_partitioning`` / ``clustering``: a bad value
stops the run with exit 2 naming the key, never quoting the value).
"""

from __future__ import annotations

import pytest
import yaml
from apache_beam.io.gcp.bigquery import WriteToBigQuery

from tests.conftest import REPO, run_cli
from veilwatch.transforms.config_loading.loader import parse_config
from veilwatch.transforms.io.bigquery import DEAD_LETTER_SCHEMA, WINDOW_SCHEMA, table_parameters

STREAM_CONFIG = REPO / "templates" / "datasets" / "payments_stream.yaml"


def _stream_doc() -> dict:
    return yaml.safe_load(STREAM_CONFIG.read_text())


def _config(bigquery: dict):
    doc = _stream_doc()
    doc["sinks"]["bigquery"].update(bigquery)
    return parse_config(doc, str(REPO / "templates" / "datasets"))


def test_window_tables_are_partitioned_by_event_day_and_clustered_by_dataset_and_series():
    spec = _config({}).sinks.bigquery
    assert table_parameters(WINDOW_SCHEMA, spec) == {
        "timePartitioning": {"type": "DAY", "field": "window_start"},
        "clustering": {"fields": ["dataset", "series_key"]},
    }


def test_the_config_knows_the_window_tables_columns():
    from veilwatch.transforms.config.model import WINDOW_TABLE_COLUMNS

    assert WINDOW_TABLE_COLUMNS == tuple(f["name"] for f in WINDOW_SCHEMA["fields"])


def test_tables_without_an_event_time_column_are_partitioned_by_ingestion_day():
    spec = _config({}).sinks.bigquery
    assert table_parameters(DEAD_LETTER_SCHEMA, spec) == {"timePartitioning": {"type": "DAY"}}


def test_partitioning_and_clustering_are_configurable():
    spec = _config(
        {"time_partitioning": "hour", "clustering": ["series_key", "metric", "is_anomaly"]}
    ).sinks.bigquery
    assert table_parameters(WINDOW_SCHEMA, spec) == {
        "timePartitioning": {"type": "HOUR", "field": "window_start"},
        "clustering": {"fields": ["series_key", "metric", "is_anomaly"]},
    }
    off = _config({"time_partitioning": "none", "clustering": []}).sinks.bigquery
    assert table_parameters(WINDOW_SCHEMA, off) == {}
    assert table_parameters(DEAD_LETTER_SCHEMA, off) == {}


BAD = {
    "time_partitioning": (
        "weekly-ish",
        "sinks.bigquery.time_partitioning: must be one of: hour, day, month, year, none",
    ),
    "clustering": (
        ["dataset", "jane@example.com"],
        "sinks.bigquery.clustering[1]: is not a column of the flagged windows and scores tables",
    ),
}


@pytest.mark.parametrize("key", sorted(BAD))
def test_a_bad_value_stops_the_run_naming_the_key(key, tmp_path):
    value, message = BAD[key]
    doc = _stream_doc()
    doc["sinks"]["bigquery"][key] = value
    path = tmp_path / "stream.yaml"
    path.write_text(yaml.safe_dump(doc))
    result = run_cli("run", "--dataset_config", path, "--streaming", "--dry-run")
    assert result.code == 2
    assert message in result.err
    for text in value if isinstance(value, list) else [value]:
        if text not in ("dataset",):
            assert text not in result.err  # the value is not quoted


@pytest.mark.parametrize(
    "value,message",
    [
        (["dataset", "series_key", "metric", "group", "detector"], "at most 4 columns"),
        (["dataset", "dataset"], "names a column twice"),
        ("dataset", "expected a list of column names"),
    ],
)
def test_clustering_shape_is_checked(value, message, tmp_path):
    doc = _stream_doc()
    doc["sinks"]["bigquery"]["clustering"] = value
    path = tmp_path / "stream.yaml"
    path.write_text(yaml.safe_dump(doc))
    result = run_cli("validate-config", path)
    assert result.code == 2
    assert "sinks.bigquery.clustering" in result.err
    assert message in result.err


def test_the_graph_creates_its_tables_with_the_parameters(tmp_path):
    """Every WriteToBigQuery of a streaming Pub/Sub -> BigQuery graph carries its table's parameters."""
    import apache_beam as beam
    from apache_beam.runners.runner import PipelineRunner

    from veilwatch.pipelines.anonymize_pipeline import build_pipeline

    doc = _stream_doc()
    doc["sinks"]["bigquery"]["scores_table"] = "my-project:veilwatch.scores"
    doc["sinks"]["bigquery"]["anonymized_table"] = "my-project:veilwatch.payments"
    config = parse_config(doc, str(REPO / "templates" / "datasets"))
    pipeline = beam.Pipeline(runner=PipelineRunner())
    build_pipeline(pipeline, config, streaming=True)
    writes: dict[str, dict] = {}

    class _Visitor(beam.pipeline.PipelineVisitor):
        def enter_composite_transform(self, node):
            if isinstance(node.transform, WriteToBigQuery):
                writes[node.transform.table_reference.tableId] = node.transform.additional_bq_parameters

    pipeline.visit(_Visitor())
    windows = {
        "timePartitioning": {"type": "DAY", "field": "window_start"},
        "clustering": {"fields": ["dataset", "series_key"]},
    }
    by_table = writes
    assert len(by_table) == 5, sorted(writes)
    assert by_table["flagged_windows"] == windows
    assert by_table["scores"] == windows
    for table in ("dead_letters", "findings", "payments"):
        assert by_table[table] == {"timePartitioning": {"type": "DAY"}}, table
