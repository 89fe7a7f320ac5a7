"""Leave-one-category-out selection (benchmarks/nab_cv.py) and the synthetic NAB corpus (nab_synthetic.py)."""

import datetime as dt
import importlib.util
import json
import random
import sys
from pathlib import Path

import pytest

_BENCH = Path(__file__).resolve().parents[3] / "benchmarks"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, _BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def cv():
    return _load("nab_cv")


@pytest.fixture(scope="module")
def synthetic():
    return _load("nab_synthetic")


def totals(raw, windows):
    return {"raw": raw, "null": -windows, "perfect": windows}


def test_normalised_adds_raw_null_and_perfect_across_categories(cv):
    t = {"a": totals(1.0, 2), "b": totals(-1.0, 2), "quiet": totals(-0.5, 0)}
    assert cv.normalised(t, ["a"]) == pytest.approx(75.0)
    assert cv.normalised(t, ["a", "b"]) == pytest.approx(50.0)
    assert cv.normalised(t, ["a", "b", "quiet"]) == pytest.approx(100 * 3.5 / 8)  # false alarms count
    assert cv.normalised(t, ["quiet"]) is None


def test_each_category_is_scored_by_the_candidate_chosen_without_it(cv):
    # "x" is best on a but poor on b; "y" the reverse. Holding a out, the choice is made on b alone.
    by = {"x": {"a": totals(2.0, 2), "b": totals(-1.0, 2)}, "y": {"a": totals(-1.0, 2), "b": totals(1.5, 2)}}
    assert cv.choose(by, ["b"]) == "y"
    assert cv.choose(by, ["a"]) == "x"
    assert cv.choose(by, ["a", "b"]) == "x"
    assert cv.choose({"p": {"a": totals(0.0, 2)}, "q": {"a": totals(0.0, 2)}}, ["a"]) == "p"  # ties: first


def test_the_generator_is_reproducible_and_labels_each_event_nab_style(tmp_path, synthetic):
    labels = synthetic.generate(tmp_path / "one", seed=5, per_kind=1)
    again = synthetic.generate(tmp_path / "two", seed=5, per_kind=1)
    assert labels == again
    for name in labels:
        assert (tmp_path / "one" / "data" / name).read_text() == (
            tmp_path / "two" / "data" / name
        ).read_text()
    assert set(labels) == {f"synthetic_{k}/{k}_0.csv" for k in synthetic.KINDS}
    assert labels["synthetic_none/none_0.csv"] == []
    assert json.loads((tmp_path / "one" / "labels" / "combined_windows.json").read_text()) == labels
    for name, windows in labels.items():
        rows = (tmp_path / "one" / "data" / name).read_text().splitlines()[1:]
        assert len(rows) == synthetic.ROWS
        for lo, hi in windows:
            width = (dt.datetime.fromisoformat(hi) - dt.datetime.fromisoformat(lo)).total_seconds()
            assert width == 2 * (synthetic.ROWS // 20) * synthetic.STEP  # 10% of the file, centred


def test_spikes_leave_the_recent_range_and_silences_read_zero(synthetic):
    for seed in range(5):
        values, start = synthetic.series("spike", random.Random(seed))
        before = values[start - synthetic.DAY : start]
        assert start > synthetic.ROWS * synthetic.PROBATION
        assert not min(before) <= values[start] <= max(before)
        values, start = synthetic.series("silence", random.Random(seed))
        assert values[start : start + 12] == [0.0] * 12
        assert min(values[:start]) > 0


def test_the_shipped_config_and_every_grid_candidate_are_valid(cv):
    from veilwatch.transforms.anomaly.registry import build_detector, parse_cooldown, parse_detector

    shipped = _BENCH / "nab_detector.yaml"
    import yaml

    raw = yaml.safe_load(shipped.read_text())
    build_detector(parse_detector(raw["detector"], "detector"))
    parse_cooldown(raw.get("cooldown", {}), "cooldown")
    grids = sorted(_BENCH.glob("nab_cv_grid*.yaml"))
    assert _BENCH / "nab_cv_grid.yaml" in grids and len(grids) >= 2
    for path in grids:  # the shared grid and every research grid
        grid = cv.load_grid(path)
        assert 2 <= len(grid) <= 16  # a SMALL grid: the more candidates, the more luck
        assert len({name for name, _, _ in grid}) == len(grid)
        for name, detector, cooldown in grid:
            build_detector(parse_detector(detector, name))
            parse_cooldown(cooldown, name)
