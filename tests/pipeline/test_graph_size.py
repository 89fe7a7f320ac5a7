"""The batch graph's size: the runner pays per step (translation, DoFn inspection, bundles) before any record.

Issue #15 measured a fixed start-up cost proportional to the number of ParDos; the file sinks were most of
them (WriteToText: 8 ParDos and a GroupByKey each). Built, not run.
"""

from __future__ import annotations

import collections

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from tests.conftest import REPO
from veilwatch.pipelines.anonymize_pipeline import build_pipeline
from veilwatch.transforms.config_loading.loader import ConfigOverrides, load_config
from veilwatch.transforms.keys.keyring import create_plaintext_keyset

pytestmark = pytest.mark.pipeline

# The payments batch graph had 83 ParDos and 10 GroupByKeys before #15 (36 ParDos and 8 Impulses at 19e6fde,
# 28 ParDos at 32636f6). 22 since: the read's shuffle is a bare GroupByKey (Reshuffle was 4 ParDos more), the
# flagged windows and the summary's window counts are one step, the input's extent and the timeline one step.
# 20 since: the run summary is written by the shared finalize step, and its counts are summed per bundle where
# they are counted (no summing step, no Impulse of its own).
# 16 since: the bounded scorer's grouped step sets partial windows apart and fills the silent tails itself
# (SplitByCoverage, KeyCountSeries, LastWindowPerSeries' combine and SilentTails gone, and two Flattens).
MAX_PARDOS = 16
MAX_IMPULSES = 2  # the read's file listing, the shared file finalize (which then writes the run summary)
# the read's spread of file ranges, the window metrics' merge, and the scorer's group by series (batch: in
# place of the stateful DoFn's state and timers, no ParDo more; it also finds each count series' last window)
MAX_SHUFFLES = 3


def test_the_payments_batch_graph_stays_small(tmp_path):
    data = tmp_path / "in.jsonl"
    data.write_text("")
    keyset = tmp_path / "keyset.json"
    keyset.write_text(create_plaintext_keyset())
    config = load_config(
        str(REPO / "templates" / "datasets" / "payments.yaml"),
        ConfigOverrides(input=str(data), output_dir=str(tmp_path / "out"), keyset=str(keyset)),
    )
    p = beam.Pipeline(options=PipelineOptions(["--runner=DirectRunner"]))
    build_pipeline(p, config, allow_plaintext_keys=True)
    leaves = [t for t in p.to_runner_api().components.transforms.values() if not t.subtransforms]
    kinds = collections.Counter(t.spec.urn for t in leaves)
    assert kinds["beam:transform:pardo:v1"] <= MAX_PARDOS, sorted(t.unique_name for t in leaves)
    assert kinds["beam:transform:group_by_key:v1"] <= MAX_SHUFFLES, sorted(t.unique_name for t in leaves)
    # every JSONL output writes its temp files in one step; one shared step renames them all into place
    outputs = (
        "WriteAnonymized/WriteJsonl",
        *(f"Write{n}/WriteText" for n in ("DeadLetters", "Findings", "Flagged", "Scores")),
    )
    for name in outputs:
        assert [t.unique_name for t in leaves if t.unique_name.startswith(name + "/")] == [
            name + "/WriteTempFiles"
        ], name
    # ... and then writes run_summary.json: no step of the summary's own
    assert sorted(t.unique_name for t in leaves if t.unique_name.startswith("FinalizeFiles/")) == [
        "FinalizeFiles/Finalize/ParDo(_FinalizeEachFn)",
        "FinalizeFiles/Once",
    ]
    assert not [t.unique_name for t in leaves if t.unique_name.startswith("Summary/")]
    assert kinds["beam:transform:impulse:v1"] <= MAX_IMPULSES, sorted(t.unique_name for t in leaves)
    assert not (tmp_path / "out").exists()  # building the graph writes nothing
