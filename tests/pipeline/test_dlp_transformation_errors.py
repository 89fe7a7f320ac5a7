"""``pii.engine: dlp`` with ``transformationErrorHandling: leaveUntransformed``: the errors DLP reports
in its answer's ``overview`` (TransformationOverview: per field, SummaryResults with code ERROR and a
count) reach run_summary.json's ``transformation_errors`` in the local engine's shape: field, outcome,
reason, count. DirectRunner, the real google-cloud-dlp client, the in-process DlpService."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli
from tests.pipeline.helpers import read_jsonl_dir, visits_config

pytestmark = pytest.mark.pipeline

GOOD = ["2016-01-15", "01/15/2016", "2016-01-15T10:20:30Z"]
BAD = ["Planted-Not-A-Date-1", "Planted-Not-A-Date-2"]


def _config(tmp_path, name, data, dlp=None):
    return visits_config(tmp_path, data, handling={"leaveUntransformed": {}}, dlp=dlp, name=name)


def _run(config, out):
    result = run_cli("run", "--dataset_config", config, "--output_dir", out)
    assert result.code == 0, result.err
    return json.loads((out / "run_summary.json").read_text()), result


def test_dlp_overview_errors_are_counted_like_the_local_engine(fake, tmp_path):
    data = tmp_path / "visits.jsonl"
    values = GOOD + BAD
    data.write_text(
        "".join(
            json.dumps({"ts": f"2026-11-02T10:{i:02d}:00Z", "visit": v}) + "\n" for i, v in enumerate(values)
        )
    )
    local, _ = _run(_config(tmp_path, "local", data), tmp_path / "local")
    remote, result = _run(
        _config(tmp_path, "dlp", data, {"project": "veilwatch-test", "endpoint": fake.endpoint}),
        tmp_path / "dlp",
    )
    assert fake.count("DeidentifyContent") >= 1

    shape = [(e["field"], e["outcome"], e["count"]) for e in remote["transformation_errors"]]
    assert (
        shape
        == [(e["field"], e["outcome"], e["count"]) for e in local["transformation_errors"]]
        == [("visit", "left_untransformed", len(BAD))]
    )
    assert set(remote["transformation_errors"][0]) == set(local["transformation_errors"][0])
    assert remote["transformation_errors"][0]["reason"].startswith("dateShiftConfig: ")
    assert remote["records_anonymized"] == local["records_anonymized"] == len(values)
    assert "transform errors" in result.out
    assert "left untransformed" in result.out
    # the same output: shifted dates, and the values DLP could not shift left as they were
    key = lambda r: r["ts"]  # noqa: E731
    assert sorted(read_jsonl_dir(tmp_path / "dlp" / "anonymized"), key=key) == sorted(
        read_jsonl_dir(tmp_path / "local" / "anonymized"), key=key
    )
    # only anonymized/ holds the values left untransformed (as configured); no other output names one
    others = [f for f in (tmp_path / "dlp").rglob("*") if f.is_file() and "anonymized" not in f.parts]
    assert others
    assert not any("Planted" in f.read_bytes().decode("utf-8", "replace") for f in others)
