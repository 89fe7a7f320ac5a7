"""run_summary.json is written last, by the batch run's shared finalize step once every file output is in
place, from counts summed per bundle where they are counted (#15: the summary was a stage of its own,
unordered with the renames, after a step summing the counts)."""

from __future__ import annotations

import json

import apache_beam as beam
import pytest
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions

from tests.conftest import REPO
from tests.pipeline.helpers import example_config, read_jsonl_dir, write_payments_feed
from veilwatch.pipelines.anonymize_pipeline import build_pipeline
from veilwatch.transforms.config_loading.loader import ConfigOverrides, load_config
from veilwatch.transforms.keys.keyring import create_plaintext_keyset

pytestmark = pytest.mark.pipeline


@pytest.fixture(scope="module")
def feed(tmp_path_factory):
    directory = tmp_path_factory.mktemp("feed")
    path, records, _ = write_payments_feed(directory, seed=11, base_per_hour=6)
    keyset = directory / "keyset.json"
    keyset.write_text(create_plaintext_keyset())
    return path, records, keyset


def _run(feed, out, batch_size: int = 50) -> None:
    data, _, keyset = feed
    config = load_config(
        str(REPO / "templates" / "datasets" / "payments.yaml"),
        ConfigOverrides(input=str(data), output_dir=str(out), keyset=str(keyset)),
    )
    options = PipelineOptions(["--runner=DirectRunner", "--direct_running_mode=in_memory"])
    with beam.Pipeline(options=options) as p:
        build_pipeline(p, config, allow_plaintext_keys=True, batch_size=batch_size)


def test_a_run_whose_outputs_cannot_be_renamed_into_place_writes_no_run_summary(feed, tmp_path, monkeypatch):
    def fail(*_):
        raise OSError("injected rename fault")

    monkeypatch.setattr(FileSystems, "rename", staticmethod(fail))
    out = tmp_path / "out"
    with pytest.raises(Exception, match="injected rename fault"):
        _run(feed, out)
    assert not (out / "run_summary.json").exists()  # a consumer waiting for it does not read half a run
    assert not list(out.rglob("part-*"))


def test_the_summary_counts_what_the_outputs_hold_across_many_batches(feed, tmp_path):
    """Counts summed per bundle at their sources (many batches a bundle) give the outputs' totals."""
    _, records, _ = feed
    out = tmp_path / "out"
    _run(feed, out, batch_size=7)
    summary = json.loads((out / "run_summary.json").read_text())
    anonymized = read_jsonl_dir(out / "anonymized")
    dead = read_jsonl_dir(out / "dead_letter")
    scores = read_jsonl_dir(out / "scores")
    assert summary["records_read"] == len(records) > 100
    assert (summary["records_anonymized"], summary["records_dead_lettered"]) == (len(anonymized), len(dead))
    assert summary["all_records_accounted_for"] is True
    assert summary["windows_scored"] + summary["windows_unscored_partial"] == len(scores) > 0
    assert summary["windows_flagged"] == sum(1 for s in scores if s["is_anomaly"])
    assert sum(b["records"] for b in summary["timeline"]) == len(anonymized)
    findings = read_jsonl_dir(out / "findings")
    assert sum(summary["findings_by_info_type"].values()) == len(findings) > 0


def test_the_summary_is_written_by_the_finalize_step_after_its_renames(feed, tmp_path):
    """Ordered by the graph, not by the runner's schedule: one step renames every output, then writes
    the summary (a stage of its own ran whenever the runner chose, in parallel on Dataflow)."""
    data, _, keyset = feed
    config = load_config(
        str(REPO / "templates" / "datasets" / "payments.yaml"),
        ConfigOverrides(input=str(data), output_dir=str(tmp_path / "out"), keyset=str(keyset)),
    )
    p = beam.Pipeline(options=PipelineOptions(["--runner=DirectRunner"]))
    outputs = build_pipeline(p, config, allow_plaintext_keys=True)
    assert outputs.summary is not None
    assert outputs.summary.producer.full_label == "FinalizeFiles/Finalize/ParDo(_FinalizeEachFn)"
    leaves = [t.unique_name for t in p.to_runner_api().components.transforms.values() if not t.subtransforms]
    assert not [name for name in leaves if name.startswith("Summary/")], leaves


def test_with_csv_anonymized_files_the_summary_also_waits_for_their_own_finalize(feed, tmp_path):
    """Beam's CSV sink renames its own files: the shared step reads its final paths as a side input, so
    run_summary.json still comes after every output."""
    data, _, keyset = feed
    config = load_config(
        str(example_config(tmp_path, sinks={"anonymized_format": "csv"})),
        ConfigOverrides(input=str(data), output_dir=str(tmp_path / "out"), keyset=str(keyset)),
    )
    p = beam.Pipeline(options=PipelineOptions(["--runner=DirectRunner"]))
    outputs = build_pipeline(p, config, allow_plaintext_keys=True)
    assert outputs.summary is not None
    finalize = outputs.summary.producer
    waited = [s.pvalue.producer.full_label for s in finalize.side_inputs]
    assert any(label.startswith("WriteAnonymized/WriteCsv/") for label in waited), waited
