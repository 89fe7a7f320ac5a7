"""``veilwatch run`` with values a primitive cannot transform, under DLP's transformationErrorHandling.

A date shift over a field where some records hold no date: by default (and with throwError) those
records go to the dead letter; with leaveUntransformed they keep the value. Either way each error is
counted per field, outcome and reason in run_summary.json, as DLP's TransformationOverview, and
every record read is accounted for. Dates in DLP's and the detector's layouts keep their layout.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli
from tests.pipeline.helpers import all_output_text, read_jsonl_dir, visits_config

pytestmark = pytest.mark.pipeline

GOOD = ["2016-01-15", "01/15/2016", "January 15, 2016", "2016-01-15T10:20:30Z"]
BAD = ["Planted-Not-A-Date-1", "Planted-Not-A-Date-2"]


def _config(tmp_path, data, handling):
    return visits_config(tmp_path, data, handling=handling)


@pytest.mark.parametrize("handling", [None, {"leaveUntransformed": {}}])
def test_transformation_errors_are_handled_and_counted_per_field(handling, tmp_path, keyset_path):
    data = tmp_path / "visits.jsonl"
    values = GOOD + BAD
    data.write_text(
        "".join(
            json.dumps({"ts": f"2026-11-02T10:{i:02d}:00Z", "visit": v}) + "\n" for i, v in enumerate(values)
        )
    )
    out = tmp_path / "out"
    result = run_cli(
        "run",
        "--dataset_config",
        _config(tmp_path, data, handling),
        "--output_dir",
        out,
        "--keyset",
        keyset_path,
        "--allow_plaintext_keys",
    )
    assert result.code == 0, result.err

    summary = json.loads((out / "run_summary.json").read_text())
    assert summary["all_records_accounted_for"]
    assert summary["records_read"] == len(values)
    leave = handling is not None
    outcome = "left_untransformed" if leave else "dead_lettered"
    assert [(e["field"], e["outcome"], e["count"]) for e in summary["transformation_errors"]] == [
        ("visit", outcome, len(BAD))
    ]
    assert summary["transformation_errors"][0]["reason"].startswith("dateShiftConfig: not a date")
    anonymized = sorted(read_jsonl_dir(out / "anonymized"), key=lambda r: r["ts"])
    assert [r["visit"] for r in anonymized[: len(GOOD)]] == [
        "2016-01-18",
        "01/18/2016",
        "January 18, 2016",
        "2016-01-18T10:20:30Z",
    ]
    if leave:
        assert summary["records_anonymized"] == len(values)
        assert [r["visit"] for r in anonymized[len(GOOD) :]] == BAD
    else:
        assert summary["records_anonymized"] == len(GOOD)
        assert summary["dead_letters_by_stage"] == {"deidentify": len(BAD)}
        dead = read_jsonl_dir(out / "dead_letter")
        assert len(dead) == len(BAD)
        assert all("field 'visit': dateShiftConfig" in d["error"] for d in dead)
        assert "planted" not in all_output_text(out).lower()
    assert "transform errors" in result.out
    assert outcome.replace("_", " ") in result.out
