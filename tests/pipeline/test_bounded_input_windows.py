"""A real run over a bounded file: a group that stops halfway is flagged, and partial windows are counted apart.

Two shops send 20 records an hour; shop ``a`` stops after hour 27 while shop ``b``
carries on, and the file starts and stops in the middle of an hour. The run must
score shop a's silent hours as 0 (up to the last whole hour of the input) and
alert on them, leave shop b alone, and its summary must count the partial
first and last windows as not scored (``windows_unscored_partial``), not as scored.
"""

from __future__ import annotations

import json

import pytest
import yaml

from tests.conftest import run_cli
from tests.pipeline.helpers import read_jsonl_dir

pytestmark = pytest.mark.pipeline

H = 3600.0
HOURS, STOP = 40, 28  # hours 0..39; shop a's last record is in hour 27


def _records() -> list[dict]:
    """From 00:30 (hour 0 half covered) to 39:39 (hour 39 two-thirds covered): one record per shop every 3 minutes."""
    rows = []
    for minute in range(30, HOURS * 60 - 20, 3):
        for shop in ("a", "b") if minute < STOP * 60 else ("b",):
            rows.append({"ts": minute * 60.0, "shop": shop})
    return rows


def _config(tmp_path, data) -> str:
    path = tmp_path / "shops.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "dataset": "shops",
                "source": {"format": "jsonl", "path": str(data)},
                "schema": {
                    "fields": [
                        {"name": "ts", "type": "timestamp", "required": True},
                        {"name": "shop", "type": "string", "required": True},
                    ]
                },
                "event_time": {"field": "ts", "format": "epoch_seconds"},
                "windowing": {"type": "fixed", "size": "1h"},
                "metrics": [{"name": "per_shop", "type": "count", "group_by": "shop"}],
                "detector": {"type": "robust_zscore", "history": 24, "warmup": 24, "threshold": 4},
                "cooldown": {"windows": 48},
            }
        )
    )
    return str(path)


@pytest.fixture(scope="module")
def shops_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("shops")
    data = work / "shops.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in _records()))
    assert run_cli("keys", "create", "--out", work / "keyset.json").code == 0
    out = work / "out"
    result = run_cli(
        "run",
        "--dataset_config",
        _config(work, data),
        "--output_dir",
        out,
        "--keyset",
        work / "keyset.json",
        "--allow_plaintext_keys",
    )
    assert result.code == 0, result.err
    return result, out


def test_a_shop_that_stops_halfway_alerts_once_and_the_shop_that_carries_on_does_not(shops_run):
    _, out = shops_run
    scores = read_jsonl_dir(out / "scores")
    a = sorted((s["window_start"], s["observed"]) for s in scores if s["group"] == "a")
    # hour 0 (partial, unscored) .. 27 with records, then 28..38 filled with 0; hour 39 is partial: not invented
    assert len(a) == HOURS - 1
    assert a[STOP:] == [(f"1970-01-02T{h - 24:02d}:00:00Z", 0.0) for h in range(STOP, 39)]
    alerts = [(s["group"], s["window_start"]) for s in scores if s["alert"]]
    assert alerts == [("a", "1970-01-02T04:00:00Z")], alerts
    assert not [s for s in scores if s["group"] == "b" and s["is_anomaly"]]


def test_partial_windows_are_counted_apart_from_scored_ones_in_every_summary(shops_run):
    result, out = shops_run
    scores = read_jsonl_dir(out / "scores")
    partial = [s for s in scores if "partial window" in s["explanation"]]
    # shop a: hour 0; shop b: hours 0 and 39
    assert sorted((s["group"], s["window_start"][11:13]) for s in partial) == [
        ("a", "00"),
        ("b", "00"),
        ("b", "15"),
    ]
    summary = json.loads((out / "run_summary.json").read_text())
    assert summary["windows_unscored_partial"] == 3
    assert summary["windows_scored"] == len(scores) - 3 == 2 * 38
    assert "windows scored              76   (and 3 partial windows of the input, not scored)" in result.out
    html = (out / "report.html").read_text()
    assert "partial windows, not scored" in html
