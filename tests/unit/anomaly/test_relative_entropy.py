"""Relative entropy (NAB's relative_entropy detector): a histogram of recent values unlike any the series has had."""

import json
import random

import pytest

from tests.unit.anomaly.helpers import obs, run
from veilwatch.transforms.anomaly.detectors.relative_entropy import (
    RelativeEntropy,
    RelativeEntropyParams,
    chi2_isf,
    chi2_sf,
    kl_divergence,
)
from veilwatch.transforms.anomaly.registry import build_detector, parse_detector
from veilwatch.transforms.config.errors import ConfigError

PARAMS = RelativeEntropyParams(bins=5, window=52, alpha=0.01, warmup=150)


def noise(n, seed=3, level=100.0, scale=1.0):
    rng = random.Random(seed)
    return [level + scale * rng.gauss(0, 1) for _ in range(n)]


def flagged(values, params=PARAMS):
    verdicts, state = run(RelativeEntropy(params), [obs(i, v) for i, v in enumerate(values)])
    return [i for i, v in enumerate(verdicts) if v.is_anomaly], verdicts, state


def test_chi_square_quantiles_are_scipys():
    # scipy.stats.chi2.isf(alpha, dof)
    assert chi2_isf(0.01, 4) == pytest.approx(13.2767, abs=1e-3)
    assert chi2_isf(0.01, 6) == pytest.approx(16.8119, abs=1e-3)
    assert chi2_isf(0.05, 1) == pytest.approx(3.8415, abs=1e-3)
    assert chi2_isf(0.001, 6) == pytest.approx(22.4577, abs=1e-3)
    assert chi2_sf(0.0, 3) == 1.0
    assert chi2_sf(100.0, 3) < 1e-20


def test_kl_divergence_is_infinite_where_the_hypothesis_has_no_mass():
    assert kl_divergence([1, 1], [1, 1]) == 0.0
    assert kl_divergence([1, 1], [2, 0]) == float("inf")
    assert kl_divergence([2, 0], [1, 1]) == pytest.approx(0.6931, abs=1e-4)


def test_stationary_noise_flags_rarely_and_collects_few_histograms():
    # NAB's settings (alpha 0.01) test every window, and overlapping windows are not independent: measured
    # 3 to 7 flags in 2,500 windows of Gaussian noise after the first 1,500 (seeds 1-3); alpha 0.001: 1 to 2
    for seed in (1, 2, 3):
        found, _, state = flagged(noise(4000, seed))
        assert len([i for i in found if i >= 1500]) <= 8
        assert len(state["hyp"]) <= 12
        strict, _, _ = flagged(
            noise(4000, seed), RelativeEntropyParams(bins=5, window=52, alpha=0.001, warmup=150)
        )
        assert len([i for i in strict if i >= 1500]) <= 2


def test_a_variance_change_without_a_level_change_alerts_soon_after_it_starts():
    values = noise(1500) + noise(500, seed=9, scale=3.0)
    found, verdicts, _ = flagged(values)
    late = [i for i in found if i >= 1500]
    assert late
    assert late[0] <= 1520
    # a z-score of the same size would have to wait for a 3-sigma value of the new spread


def test_a_level_shift_inside_the_range_alerts_with_its_sign():
    # the learnt range spans 90..110 (a wide start); the series then settles at 95 and moves to 105
    start = [90.0 + 20.0 * (i % 2) for i in range(150)]
    values = start + noise(1500, level=95) + noise(300, seed=9, level=105)
    found, verdicts, _ = flagged(values)
    shift = [i for i in found if i >= 1650]
    assert shift
    assert shift[0] <= 1680
    assert verdicts[shift[0]].score >= 1.0


def test_the_hypotheses_are_bounded_and_state_round_trips():
    rng = random.Random(2)
    params = RelativeEntropyParams(bins=5, window=20, alpha=0.01, warmup=50, hypotheses=8)
    values = [rng.uniform(0, 10) * rng.choice((1, 2, 5)) for _ in range(3000)]
    d = RelativeEntropy(params)
    state, copy = d.initial_state(), d.initial_state()
    for i, v in enumerate(values):
        v1, state = d.observe(state, obs(i, v))
        v2, copy = d.observe(json.loads(json.dumps(copy)), obs(i, v))
        assert v1 == v2
        assert len(state["hyp"]) <= 8
        assert len(state["recent"]) <= 20


def test_registry_validates_the_params_by_key():
    spec = parse_detector({"type": "relative_entropy", "bins": 5, "window": 52}, "d")
    assert isinstance(build_detector(spec), RelativeEntropy)
    assert parse_detector(spec.to_dict(), "d") == spec
    with pytest.raises(ConfigError, match=r"d\.bins: must be at least 2") as err:
        parse_detector(
            {"type": "relative_entropy", "bins": 1, "window": 2, "alpha": 0.9, "hypotheses": 0}, "d"
        )
    for key in ("d.bins", "d.window", "d.alpha", "d.hypotheses"):
        assert key in str(err.value)
