"""The NAB development harness on a tiny two-file corpus (no labels anywhere)."""

import importlib.util
import json
from pathlib import Path

import pytest

_HARNESS = Path(__file__).resolve().parents[3] / "benchmarks" / "nab_dev_harness.py"


@pytest.fixture(scope="module")
def harness():
    spec = importlib.util.spec_from_file_location("nab_dev_harness", _HARNESS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_csv(path: Path, values, step_minutes=5):
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [
        f"2014-01-01 {i * step_minutes // 60:02d}:{i * step_minutes % 60:02d}:00,{v}"
        for i, v in enumerate(values)
    ]
    path.write_text("timestamp,value\n" + "\n".join(rows) + "\n")


def test_flags_rows_with_one_config_and_a_cooldown(tmp_path, harness):
    # rows 0-19 alternate 10/11 (median 10.5, MAD 0.5 -> spread 0.741); rows 20, 21, 25 jump to 50:
    # 20 alerts; 21 is anomalous but within the 3-window cooldown; 25 alerts again.
    values = [10 + i % 2 for i in range(20)] + [50, 50, 10, 11, 10, 50, 10, 11]
    write_csv(tmp_path / "data" / "cat" / "a.csv", values)
    write_csv(tmp_path / "data" / "cat" / "flat.csv", [7] * 28, step_minutes=10)
    config = tmp_path / "detector.yaml"
    config.write_text(
        "detector: {type: robust_zscore, threshold: 5, history: 20, warmup: 10, "
        "min_spread: 0, min_relative_spread: 0}\ncooldown: {windows: 3}\n"
    )
    out = tmp_path / "detections.json"
    assert (
        harness.main(
            [
                "--data-dir",
                str(tmp_path / "data"),
                "--config",
                str(config),
                "--out",
                str(out),
                "--workers",
                "1",
            ]
        )
        == 0
    )
    assert json.loads(out.read_text()) == {
        "cat/a.csv": ["2014-01-01 01:40:00", "2014-01-01 02:05:00"],
        "cat/flat.csv": [],
    }


def test_bad_config_is_refused_with_key_paths(tmp_path, harness, capsys):
    config = tmp_path / "bad.yaml"
    config.write_text("detector: {type: ewma, halflife: soon}\ncooldwn: {windows: 3}\n")
    assert (
        harness.main(
            ["--data-dir", str(tmp_path), "--config", str(config), "--out", str(tmp_path / "o.json")]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "cooldwn: unknown key" in err
