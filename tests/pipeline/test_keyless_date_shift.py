"""``veilwatch run`` of a config whose only keyed primitive is a date shift that needs no keyset:
``dateShiftConfig`` without a context (a random shift per value, as DLP) or with a context and its
own DLP ``cryptoKey``. Such a run needs no ``--keyset`` (DirectRunner)."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
import yaml

from tests.conftest import run_cli
from tests.pipeline.helpers import read_jsonl_dir

pytestmark = pytest.mark.pipeline

_KEY = base64.b64encode(bytes(range(16))).decode()


def _config(tmp_path, data, shift):
    doc = {
        "dataset": "visits",
        "source": {"format": "jsonl", "path": str(data)},
        "schema": {
            "fields": [
                {"name": "ts", "type": "timestamp", "required": True},
                {"name": "patient", "type": "string"},
                {"name": "visit", "type": "string"},
            ]
        },
        "event_time": {"field": "ts"},
        "pii": {
            "fields": [{"path": "visit", "info_type": "DATE", "transformation": {"dateShiftConfig": shift}}]
        },
        "windowing": {"type": "fixed", "size": "1h"},
        "metrics": [{"name": "record_count", "type": "count"}],
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


@pytest.mark.parametrize(
    "shift",
    [
        {"lowerBoundDays": -10, "upperBoundDays": 10},  # no context: random per value, no key at all
        {
            "lowerBoundDays": -10,
            "upperBoundDays": 10,
            "context": {"name": "patient"},
            "cryptoKey": {"unwrapped": {"key": _KEY}},
        },  # its own DLP key
    ],
    ids=["no_context", "own_crypto_key"],
)
def test_date_shift_needing_no_keyset_runs_without_keyset(shift, tmp_path):
    data = tmp_path / "visits.jsonl"
    dates = [dt.date(2016, 1, 15) + dt.timedelta(days=i) for i in range(6)]
    data.write_text(
        "".join(
            json.dumps({"ts": f"2026-11-02T10:{i:02d}:00Z", "patient": f"p{i % 2}", "visit": d.isoformat()})
            + "\n"
            for i, d in enumerate(dates)
        )
    )
    out = tmp_path / "out"
    result = run_cli(
        "run",
        "--dataset_config",
        _config(tmp_path, data, shift),
        "--output_dir",
        out,
        "--allow_plaintext_keys",
    )
    assert result.code == 0, result.err

    summary = json.loads((out / "run_summary.json").read_text())
    assert summary["records_anonymized"] == len(dates)
    assert summary["all_records_accounted_for"]
    written = sorted(read_jsonl_dir(out / "anonymized"), key=lambda r: r["ts"])
    assert len(written) == len(dates)
    for original, record in zip(dates, written, strict=True):
        assert abs((dt.date.fromisoformat(record["visit"]) - original).days) <= 10
