"""What a run prints: each warning once, no third-party noise, a summary that says what is true."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest
import yaml

from tests.conftest import REPO, run_cli
from tests.pipeline.helpers import example_config
from veilwatch.pipelines.sample_data import generate, write_jsonl
from veilwatch.pipelines.summary_report import format_summary

pytestmark = pytest.mark.pipeline

_SUMMARY = {
    "dataset": "d",
    "records_read": 10,
    "records_anonymized": 10,
    "records_dead_lettered": 0,
    "dead_letters_by_stage": {},
    "all_records_accounted_for": True,
    "findings_by_info_type": {},
    "windows_scored": 20,
}


def test_the_plaintext_keyset_warning_is_printed_once_per_run(tmp_path, keyset_path, caplog):
    records, _ = generate("payments", days=1, seed=3, base_per_hour=2)
    data = tmp_path / "in.jsonl"
    write_jsonl(str(data), records)
    with caplog.at_level(logging.WARNING):
        result = run_cli(
            "run",
            "--dataset_config",
            example_config(tmp_path),
            "--input",
            data,
            "--output_dir",
            tmp_path / "out",
            "--keyset",
            keyset_path,
            "--allow_plaintext_keys",
        )
    assert result.code == 0, result.err
    warnings = [r for r in caplog.records if "Using a plaintext keyset" in r.getMessage()]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]


def test_alerts_line_mentions_a_cooldown_only_when_a_flagged_window_was_in_one(tmp_path):
    all_alerted = format_summary({**_SUMMARY, "windows_flagged": 6, "alerts": 6}, str(tmp_path))
    assert "(alerts 6)" in all_alerted
    assert "cooldown" not in all_alerted
    some_quiet = format_summary({**_SUMMARY, "windows_flagged": 8, "alerts": 6}, str(tmp_path))
    assert "(alerts 6, the other 2 within a cooldown)" in some_quiet


def test_outputs_line_lists_what_the_run_wrote_scores_included(tmp_path):
    for part in ("anonymized", "dead_letter", "findings", "flagged_windows", "scores"):
        (tmp_path / part).mkdir()
    (tmp_path / "run_summary.json").write_text("{}")
    text = format_summary({**_SUMMARY, "windows_flagged": 0, "alerts": 0}, str(tmp_path))
    line = [x for x in text.splitlines() if "outputs in" in x][0]
    assert line.endswith("anonymized/ dead_letter/ findings/ flagged_windows/ scores/ run_summary.json"), line


def test_tfdv_import_prints_no_cuda_tensorrt_or_ipython_lines(tmp_path):
    config = yaml.safe_load((REPO / "templates" / "datasets" / "app_logs.yaml").read_text())
    config["source"]["path"] = str(tmp_path / "logs.jsonl")
    config["data_validation"] = {"baseline_windows": 4}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    keyset = tmp_path / "keyset.json"
    assert run_cli("keys", "create", "--out", keyset).code == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    # a fresh process: TensorFlow logs only when it is first loaded (the dry run builds the TFDV stage)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "veilwatch.pipelines.cli",
            "run",
            "--dataset_config",
            str(path),
            "--keyset",
            str(keyset),
            "--allow_plaintext_keys",
            "--output_dir",
            str(tmp_path / "out"),
            "--dry-run",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "DataValidation" in done.stdout
    noise = [
        line
        for line in done.stderr.splitlines()
        if any(word in line for word in ("cuda", "cuDNN", "cuFFT", "cuBLAS", "TensorRT", "IPython", "oneDNN"))
    ]
    assert noise == []
