"""A hand-written batch-run output directory for the report tests (three series, one alert, TFDV, dead letters)."""

from __future__ import annotations

import json
import pathlib

SECRET_EMAIL = "jane.roe.secret@example.org"
SECRET_SOURCE = "/data/customers-of-jane-roe.jsonl@17"


def score_record(series, hour, observed, *, anomaly=False, alert=False, detector="seasonal"):
    return {
        "dataset": "d",
        "series_key": series,
        "metric": series.split("[")[0],
        "group_by": None,
        "group": None,
        "window_start": f"2026-11-02T{hour:02d}:00:00Z",
        "window_end": f"2026-11-02T{hour + 1:02d}:00:00Z",
        "observed": observed,
        "detail": None,
        "expected": 10.0,
        "spread": 1.5,
        "score": (observed - 10) / 1.5,
        "direction": "up",
        "threshold": 5.0,
        "is_anomaly": anomaly,
        "alert": alert,
        "detector": detector,
        "explanation": f"{series} {observed} vs expected 10",
    }


def write_lines(path, records):
    path.mkdir(parents=True, exist_ok=True)
    (path / "part-00000-of-00001.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))


def write_run_outputs(out: pathlib.Path) -> pathlib.Path:
    """Writes the outputs of a small run into ``out``: dead letters and findings carry planted secrets."""
    scores = [
        score_record(
            s,
            h,
            30.0 if (s == "record_count" and h == 5) else 10.0 + h % 2,
            anomaly=s == "record_count" and h == 5,
            alert=s == "record_count" and h == 5,
        )
        for s in ("record_count", "amount_median", "per_category[merchant_category=fuel]")
        for h in range(8)
    ]
    tfdv = {
        **score_record("data_validation[amount]", 6, 0.0, anomaly=True, alert=True, detector="tfdv"),
        "explanation": "amount: feature type changed",
        "expected": None,
        "spread": None,
    }
    write_lines(out / "scores", scores)
    write_lines(out / "flagged_windows", [s for s in scores if s["is_anomaly"]] + [tfdv])
    write_lines(
        out / "findings",
        [
            {
                "source": SECRET_SOURCE,
                "field": "note",
                "start": 0,
                "end": 9,
                "info_type": "EMAIL_ADDRESS",
                "likelihood": "LIKELY",
            }
        ],
    )
    write_lines(
        out / "dead_letter",
        [
            {
                "stage": "validate",
                "error": "required field 'amount' is missing or null",
                "source": SECRET_SOURCE,
                "record": {"customer": {"email": SECRET_EMAIL}},
            },
            {"stage": "parse", "error": "line is not valid JSON", "source": SECRET_SOURCE, "record": None},
        ],
    )
    summary = {
        "dataset": "d",
        "records_read": 12,
        "records_anonymized": 10,
        "records_dead_lettered": 2,
        "records_suppressed": 0,
        "all_records_accounted_for": True,
        "files_unreadable": 0,
        "dead_letters_by_stage": {"parse": 1, "validate": 1},
        "findings_by_info_type": {"EMAIL_ADDRESS": 1},
        "findings_by_field": {"note": {"EMAIL_ADDRESS": 1}},
        "windows_scored": 24,
        "windows_flagged": 1,
        "alerts": 1,
        "data_validation": {"windows": 8, "windows_checked": 6, "flagged": 1},
        "timeline": [
            {
                "start": f"2026-11-02T{h:02d}:00:00Z",
                "records": 5,
                "with_findings": h % 2,
                "dead_lettered": int(h == 3),
            }
            for h in range(2)
        ],
    }
    (out / "run_summary.json").write_text(json.dumps(summary))
    return out
