"""Bayesian online change points (Adams & MacKay): shifts and variance changes at their onset; bounded state."""

import json
import random

import pytest

from tests.unit.anomaly.helpers import obs, run
from veilwatch.transforms.anomaly.detectors.bocpd import Bocpd, BocpdParams
from veilwatch.transforms.anomaly.registry import build_detector, parse_detector
from veilwatch.transforms.config.errors import ConfigError


def noise(n, seed=3, level=100.0, sigma=1.0):
    rng = random.Random(seed)
    return [level + rng.gauss(0, sigma) for _ in range(n)]


def flagged(values, params=BocpdParams()):
    verdicts, state = run(Bocpd(params), [obs(i, v) for i, v in enumerate(values)])
    return [i for i, v in enumerate(verdicts) if v.is_anomaly], verdicts, state


def test_a_level_shift_is_reported_within_a_few_windows_of_its_onset_once():
    found, verdicts, _ = flagged(noise(400) + noise(300, seed=8, level=103))
    assert found, found
    assert 400 <= found[0] <= 406, found
    assert verdicts[found[0]].score >= 0.9
    assert "most probable run" in verdicts[found[0]].basis
    assert len([i for i in found if i < 650]) == 1


def test_a_downward_shift_has_a_negative_score():
    found, verdicts, _ = flagged(noise(400) + noise(300, seed=8, level=96))
    assert found
    assert 400 <= found[0] <= 406
    assert verdicts[found[0]].score <= -0.9


def test_a_variance_change_is_found():
    found = flagged(noise(400) + noise(300, seed=8, sigma=5))[0]
    assert found, found
    assert 400 <= found[0] <= 440, found


def test_stationary_noise_and_single_spikes_raise_almost_nothing():
    found = []
    for seed in (1, 2, 3):
        values = noise(3000, seed)
        for i in range(300, 3000, 250):
            values[i] += 25
        found += flagged(values)[0]
    assert len(found) <= 1, found  # 1 in 9,000 windows (33 spikes); without the clip every spike alarms
    values = noise(3000, 1)
    for i in range(300, 3000, 250):
        values[i] += 25
    assert len(flagged(values, BocpdParams(clip=0))[0]) >= 5


def test_scale_free():
    values = noise(400) + noise(300, seed=8, level=103)
    assert (
        flagged(values)[0]
        == flagged([v * 1e6 for v in values])[0]
        == flagged([v * 1e-3 for v in values])[0]
        != []
    )


def test_state_is_bounded_by_max_run_and_round_trips_through_json():
    params = BocpdParams(max_run=30, min_run=10)
    d = Bocpd(params)
    values = noise(300) + noise(300, seed=8, level=103) + noise(300, seed=9, sigma=3)
    state, copy, sizes = d.initial_state(), d.initial_state(), []
    for i, v in enumerate(values):
        v1, state = d.observe(state, obs(i, v))
        v2, copy = d.observe(json.loads(json.dumps(copy)), obs(i, v))
        assert v1 == v2
        sizes.append(len(state["cells"]))
    assert max(sizes) == 30
    assert max(c[0] for c in state["cells"]) == 29
    assert len(json.dumps(state)) < 30 * 5 * 25 + 200


def test_registry_builds_it_and_names_bad_keys():
    spec = parse_detector({"type": "bocpd", "hazard": 100, "max_run": 50}, "d")
    assert parse_detector(spec.to_dict(), "d") == spec
    assert build_detector(spec).name == "bocpd"
    wrapped = parse_detector({"type": "bocpd", "detector": {"type": "seasonal", "season": "day"}}, "d")
    assert parse_detector(wrapped.to_dict(), "d") == wrapped
    assert build_detector(wrapped).name == "bocpd(seasonal)"
    for bad, key in [
        ({"type": "bocpd", "max_run": 2}, "d.max_run"),
        ({"type": "bocpd", "hazard": 1}, "d.hazard"),
        ({"type": "bocpd", "threshold": 2}, "d.threshold"),
        ({"type": "bocpd", "runs": 3}, "d.runs"),
        ({"type": "bocpd", "detector": {"type": "seasonal", "periods": 0}}, "d.detector.periods"),
    ]:
        with pytest.raises(ConfigError) as err:
            parse_detector(bad, "d")
        assert key in str(err.value)


def test_with_a_seasonal_member_the_daily_ramp_is_not_a_change_and_a_real_shift_is():
    import math

    rng = random.Random(4)
    # hourly, a daily sine of amplitude 10 sigma; from hour 24 * 12 on, 4 sigma higher
    values = [
        100 + 10 * math.sin(2 * math.pi * i / 24) + rng.gauss(0, 1) + (4 if i >= 288 else 0)
        for i in range(24 * 18)
    ]
    plain = flagged(values, BocpdParams(min_run=12, warmup=24))[0]
    seasonal = build_detector(
        parse_detector(
            {
                "type": "bocpd",
                "min_run": 12,
                "warmup": 24,
                "detector": {
                    "type": "seasonal",
                    "season": "day",
                    "periods": 4,
                    "min_periods": 2,
                    "warmup": 24,
                    "min_spread": 0,
                    "min_relative_spread": 0,
                },
            },
            "d",
        )
    )
    verdicts, state = run(seasonal, [obs(i, v) for i, v in enumerate(values)])
    found = [i for i, v in enumerate(verdicts) if v.is_anomaly]
    # the plain model starts a new run on every ramp (its runs last a few hours), so it cannot see the shift
    assert [i for i in plain if 288 <= i <= 300] == []
    assert found, found
    assert 288 <= found[0] <= 294, found
    assert [i for i in found if i < 288] == [], found
    # (a second change follows when the member's slots take the new level in, ~3 days later)
    assert verdicts[found[0]].detector == "bocpd(seasonal)"
    assert verdicts[found[0]].score > 0
    assert json.loads(json.dumps(state)) == state
    assert "member" in state
