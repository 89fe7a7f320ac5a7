"""``benchmarks/nab.py --cv``: CV of harness runs is printed only while the harness flags what the pipeline flags.

The cross-validated score is computed from ``nab_dev_harness.py`` runs of the
grid's candidates (no Beam), beside the pipeline's in-sample score of
``--config``; that describes the pipeline only if both flag the same rows, so
the command checks it on every run and refuses otherwise. Synthetic series of
``nab_synthetic.py`` stand in for NAB; the scorer (``tests/support/nab_score.py``, a copy of the developers' scorer, see its header) is
always there.
"""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.pipeline

SCORER = (
    REPO / "tests" / "support" / "nab_score.py"
)  # a verbatim copy of the developers' NAB scorer, see its header
DETECTOR = {
    "type": "robust_zscore",
    "threshold": 6,
    "history": 96,
    "warmup": 48,
    "min_spread": 0,
    "min_relative_spread": 0,
}


def _load(name: str):
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Two categories (a spike, a level shift), one two-week series each, NAB's layout and labels."""
    root = tmp_path_factory.mktemp("nab")
    _load("nab_synthetic").generate(root, seed=3, per_kind=1, kinds=("spike", "level_shift"))
    config = root / "detector.yaml"
    config.write_text(json.dumps({"detector": DETECTOR, "cooldown": {"windows": 48}}))
    return root, config


@pytest.fixture(scope="module")
def pipeline_run(corpus):
    root, _ = corpus
    return _load("nab").pipeline_detections(root / "data", DETECTOR, {"windows": 48})


def test_the_harness_flags_the_rows_the_pipeline_flags(corpus, pipeline_run):
    root, _ = corpus
    harness = _load("nab_dev_harness").detect_dir(root / "data", DETECTOR, {"windows": 48}, workers=1)
    assert sorted(pipeline_run) == ["synthetic_level_shift/level_shift_0.csv", "synthetic_spike/spike_0.csv"]
    assert (
        sum(map(len, pipeline_run.values())) >= 2
    )  # something was flagged: the comparison is not of two empties
    assert _load("nab").differing_files(pipeline_run, harness) == []


def test_cv_is_refused_when_the_harness_and_the_pipeline_disagree(corpus, pipeline_run, tmp_path, capsys):
    root, config = corpus
    nab = _load("nab")
    args = nab.argparse.Namespace(
        data_dir=root / "data",
        workers=1,
        cv=config,
        nab_root=root,
        scorer=SCORER,
        extra_root=None,
        cache=None,
        cv_out=None,
        out=tmp_path / "d.json",
    )
    changed = {**pipeline_run, "synthetic_spike/spike_0.csv": []}
    assert nab.cross_validate(args, DETECTOR, {"windows": 48}, changed) == 1
    err = capsys.readouterr().err
    assert "--cv refused" in err
    assert "synthetic_spike/spike_0.csv" in err


def test_cv_without_the_scorer_or_labels_is_a_usage_error(corpus, tmp_path, capsys):
    root, config = corpus
    with pytest.raises(SystemExit) as exit_:
        _load("nab").main(
            [
                "--data-dir",
                str(root / "data"),
                "--out",
                str(tmp_path / "d.json"),
                "--config",
                str(config),
                "--cv",
                str(config),
            ]
        )
    assert exit_.value.code == 2
    assert "--cv needs --nab-root and --scorer" in capsys.readouterr().err


def test_cv_prints_the_held_out_score_next_to_the_pipelines_in_sample_score(corpus, tmp_path, capsys):
    root, config = corpus
    grid = tmp_path / "grid.yaml"
    grid.write_text(
        json.dumps(
            {
                "candidates": [
                    {"name": "z6", "detector": DETECTOR, "cooldown": {"windows": 48}},
                    {"name": "z4", "detector": {**DETECTOR, "threshold": 4}, "cooldown": {"windows": 48}},
                ]
            }
        )
    )
    out = tmp_path / "d.json"
    assert (
        _load("nab").main(
            [
                "--data-dir",
                str(root / "data"),
                "--out",
                str(out),
                "--config",
                str(config),
                "--cv",
                str(grid),
                "--nab-root",
                str(root),
                "--scorer",
                str(SCORER),
                "--workers",
                "1",
            ]
        )
        == 0
    )
    printed = capsys.readouterr()
    assert "harness and pipeline flag the same rows on all 2 files" in printed.err
    table = printed.out
    assert "pipeline, --config, in-sample:" in table
    assert "leave-one-category-out CV over grid.yaml:" in table
    held_out = json.loads((tmp_path / "d.cv.json").read_text())
    assert sorted(held_out) == ["synthetic_level_shift/level_shift_0.csv", "synthetic_spike/spike_0.csv"]
    assert json.loads(out.read_text()).keys() == held_out.keys()
