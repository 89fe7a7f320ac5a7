"""Anomaly likelihood around a member detector: one threshold, the same tail probability on every series."""

import itertools
import json
import random

import pytest

from tests.unit.anomaly.helpers import obs, run
from veilwatch.transforms.anomaly.detectors.ewma import Ewma, EwmaParams
from veilwatch.transforms.anomaly.detectors.likelihood import (
    Likelihood,
    LikelihoodParams,
    log_likelihood,
    upper_tail,
)
from veilwatch.transforms.anomaly.detectors.robust_zscore import RobustZScore, RobustZScoreParams
from veilwatch.transforms.anomaly.registry import build_detector, parse_detector
from veilwatch.transforms.config.errors import ConfigError

MEMBER = EwmaParams(halflife=100, warmup=20, min_spread=0, min_relative_spread=0)
PARAMS = LikelihoodParams(threshold=0.5, average=10, history=500, warmup=200)


def detector(**changes):
    return Likelihood(Ewma(MEMBER), LikelihoodParams(**{**PARAMS.__dict__, **changes}))


def noise(n, seed=3, scale=1.0, level=100.0):
    rng = random.Random(seed)
    return [level + scale * rng.gauss(0, 1) for _ in range(n)]


def flagged(values, d=None):
    verdicts, state = run(d or detector(), [obs(i, v) for i, v in enumerate(values)])
    return [i for i, v in enumerate(verdicts) if v.is_anomaly], verdicts, state


def test_log_score_is_nupics():
    assert log_likelihood(1e-5) == pytest.approx(0.5, abs=1e-4)
    assert log_likelihood(0.5) < 0.05
    assert log_likelihood(0.0) == 1.0
    assert upper_tail(0.0, 0.0, 1.0) == pytest.approx(0.5)


def test_stationary_noise_raises_nothing_and_its_score_distribution_is_learnt():
    for seed in (1, 2, 3):
        found, _, state = flagged(noise(4000, seed))
        assert found == []
        # |z| of Gaussian noise has mean sqrt(2/pi) = 0.80 and sd 0.60; the mean of 10 has sd 0.19
        assert state["mean"] == pytest.approx(0.80, abs=0.05)
        assert state["var"] ** 0.5 == pytest.approx(0.19, abs=0.03)


def test_a_step_is_found_soon_after_it_starts():
    values = noise(1500) + [v + 6 for v in noise(200, seed=9)]
    found, verdicts, _ = flagged(values)
    assert found
    assert 1500 <= found[0] <= 1505
    assert verdicts[found[0]].score > 0.5  # signed like the member's score: above expected
    assert all(i >= 1500 for i in found)


def test_a_series_where_big_member_scores_are_ordinary_learns_they_are():
    # every 7th window jumps by 10 sigma of the calm part: the member alone flags them all,
    # the likelihood learns that such averages are common and stays quiet.
    values = [v + (10 if i % 7 == 0 else 0) for i, v in enumerate(noise(3000, seed=5))]
    member = RobustZScore(
        RobustZScoreParams(threshold=4, history=96, warmup=20, min_spread=0, min_relative_spread=0)
    )
    member_flags = sum(v.is_anomaly for v in run(member, [obs(i, v) for i, v in enumerate(values)])[0])
    found, _, _ = flagged(values, Likelihood(member, PARAMS))
    assert member_flags > 300
    assert [i for i in found if i > 400] == []


def test_one_threshold_means_the_same_on_any_scale():
    values = noise(1500) + [v + 6 for v in noise(200, seed=9)]
    assert (
        flagged(values)[0] == flagged([v * 1e6 for v in values])[0] == flagged([v * 1e-4 for v in values])[0]
    )


def test_red_right_after_red_is_reported_yellow():
    values = noise(1500) + [v + 30 for v in noise(20, seed=9)]
    _, verdicts, _ = flagged(values)
    reds = [i for i, v in enumerate(verdicts) if v.score is not None and abs(v.score) >= 0.5]
    assert reds
    assert all(b - a > 1 for a, b in itertools.pairwise(reds))


def test_nothing_flags_during_warm_up():
    values = noise(100) + [1000.0] * 5
    assert flagged(values)[0] == []


def test_state_round_trips_through_json_and_stays_bounded():
    values = noise(3000) + [v + 8 for v in noise(300, seed=4)]
    d = detector()
    state, copy = d.initial_state(), d.initial_state()
    sizes = []
    for i, v in enumerate(values):
        v1, state = d.observe(state, obs(i, v))
        v2, copy = d.observe(json.loads(json.dumps(copy)), obs(i, v))
        assert v1 == v2
        sizes.append(len(json.dumps(state)))
    assert len(state["recent"]) == PARAMS.average
    assert max(sizes[500:]) < 1000
    assert max(sizes[500:]) - min(sizes[500:]) < 100


def test_registry_builds_it_around_its_detector_and_reports_bad_keys_with_paths():
    spec = parse_detector(
        {"type": "likelihood", "threshold": 0.6, "detector": {"type": "ewma", "halflife": 50}}, "d"
    )
    assert parse_detector(spec.to_dict(), "d") == spec
    built = build_detector(spec)
    assert isinstance(built, Likelihood)
    assert isinstance(built.member, Ewma)
    assert built.params.threshold == 0.6
    with pytest.raises(ConfigError, match=r"d\.detector\.halflife: expected a number, got str") as err:
        parse_detector(
            {"type": "likelihood", "threshold": 2, "detector": {"type": "ewma", "halflife": "x"}}, "d"
        )
    assert {i.path for i in err.value.issues} == {"d.threshold", "d.detector.halflife"}
    with pytest.raises(ConfigError, match=r"d\.detector: expected the detector whose raw scores are") as err:
        parse_detector({"type": "likelihood"}, "d")
    assert [i.path for i in err.value.issues] == ["d.detector"]
