"""The output directory: a failed run leaves nothing behind; ``--overwrite`` replaces only a run's own files."""

from __future__ import annotations

import json

import pytest

from tests.pipeline.helpers import example_config, read_jsonl_dir, run_with_keyset, write_payments_feed
from veilwatch.transforms.io import sinks

pytestmark = pytest.mark.pipeline


@pytest.fixture(scope="module")
def feed(tmp_path_factory):
    path, records, _ = write_payments_feed(tmp_path_factory.mktemp("feed"), seed=5, base_per_hour=4)
    return path, records


_run = run_with_keyset


def _files(directory):
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())


def test_a_failed_run_removes_what_it_wrote_and_the_next_run_starts(feed, tmp_path, keyset_path, monkeypatch):
    data, records = feed
    config = example_config(tmp_path)
    out = tmp_path / "out"

    def fail(self, *_):  # a fault late in the run, after the other sinks have written
        raise RuntimeError("injected fault")

    with monkeypatch.context() as patch:
        patch.setattr(sinks.RunSummaryWriter, "__call__", fail)
        failed = _run(config, data, out, keyset_path)
    assert failed.code == 1, failed.err
    assert not out.exists() or (_files(out) == [] and not list(out.rglob("beam-temp-*")))
    again = _run(config, data, out, keyset_path)  # no --overwrite needed: nothing of the failed run is left
    assert again.code == 0, again.err
    assert len(read_jsonl_dir(out / "anonymized")) + len(read_jsonl_dir(out / "dead_letter")) == len(records)


def test_staging_folders_of_a_killed_run_do_not_block_the_next(feed, tmp_path, keyset_path):
    data, _ = feed
    out = tmp_path / "out"
    debris = out / "anonymized" / "beam-temp-part-0123abcd"
    debris.mkdir(parents=True)
    (debris / "e7f1").write_text("half a file")
    result = _run(example_config(tmp_path), data, out, keyset_path)
    assert result.code == 0, result.err
    assert not list(out.rglob("beam-temp-*"))


def test_overwrite_deletes_only_the_files_the_previous_run_wrote(feed, tmp_path, keyset_path):
    data, records = feed
    config = example_config(tmp_path)
    out = tmp_path / "out"
    assert _run(config, data, out, keyset_path).code == 0
    manifest = json.loads((out / "run_manifest.json").read_text())["files"]
    assert "run_summary.json" in manifest
    assert any(f.startswith("anonymized/part-") for f in manifest)
    assert sorted(manifest) == [f for f in _files(out) if f != "run_manifest.json"]
    (out / "anonymized" / "README.txt").write_text("kept by the data owner")
    (out / "findings").mkdir(exist_ok=True)
    (out / "findings" / "part-notes.jsonl").write_text("also someone else's")  # named like ours, not listed
    again = _run(config, data, out, keyset_path, "--overwrite")
    assert again.code == 0, again.err
    assert (out / "anonymized" / "README.txt").read_text() == "kept by the data owner"
    assert (out / "findings" / "part-notes.jsonl").exists()
    assert len(read_jsonl_dir(out / "anonymized")) + len(read_jsonl_dir(out / "dead_letter")) == len(records)
