"""Two-sided CUSUM: level shifts and drifts a single-window z-score misses; quiet on stationary noise."""

import json
import random

from tests.unit.anomaly.helpers import obs, run
from veilwatch.transforms.anomaly.detectors.cusum import Cusum, CusumParams
from veilwatch.transforms.anomaly.detectors.robust_zscore import RobustZScore, RobustZScoreParams

PARAMS = CusumParams(threshold=12, slack=0.5, history=96, warmup=48, min_spread=0, min_relative_spread=0)


def noise(n, seed=3, level=100.0):
    rng = random.Random(seed)
    return [level + rng.gauss(0, 1) for _ in range(n)]


def flagged(values, params=PARAMS):
    verdicts, state = run(Cusum(params), [obs(i, v) for i, v in enumerate(values)])
    return [i for i, v in enumerate(verdicts) if v.is_anomaly], verdicts, state


def test_stationary_noise_raises_almost_nothing():
    # about one false alarm per 7,500 windows at these settings (threshold 8 raises ~20 here)
    assert sum(len(flagged(noise(5000, seed))[0]) for seed in (1, 2, 3)) <= 2


def test_a_small_step_is_found_that_a_zscore_misses():
    values = noise(300) + [v + 2 for v in noise(300, seed=8)]
    found, verdicts, _ = flagged(values)
    zscore = run(
        RobustZScore(RobustZScoreParams(threshold=4, history=48, min_spread=0, min_relative_spread=0)),
        [obs(i, v) for i, v in enumerate(values)],
    )[0]
    assert not any(v.is_anomaly for v in zscore)
    assert found
    assert 300 <= found[0] <= 315
    assert verdicts[found[0]].score >= 12
    assert found == [found[0]]  # one alarm: the baseline restarts on the new level


def test_a_downward_drift_is_found_with_a_negative_score():
    values = noise(300) + [v - 0.1 * i for i, v in enumerate(noise(200, seed=8))]
    found, verdicts, _ = flagged(values)
    assert found
    assert 300 < found[0] < 400
    assert verdicts[found[0]].score <= -12


def test_a_single_spike_does_not_alarm_on_its_own():
    values = noise(300)
    values[200] += 50
    assert flagged(values)[0] == []


def test_scale_free():
    values = noise(300) + [v + 2 for v in noise(300, seed=8)]
    assert (
        flagged(values)[0] == flagged([v * 1e6 for v in values])[0] == flagged([v * 1e-3 for v in values])[0]
    )


def test_state_round_trips_through_json_and_stays_bounded():
    values = (
        noise(400) + [v + 3 for v in noise(400, seed=8)] + [v - 0.05 * i for i, v in enumerate(noise(400))]
    )
    d = Cusum(PARAMS)
    state, copy = d.initial_state(), d.initial_state()
    for i, v in enumerate(values):
        v1, state = d.observe(state, obs(i, v))
        v2, copy = d.observe(json.loads(json.dumps(copy)), obs(i, v))
        assert v1 == v2
        assert len(state["history"]) <= PARAMS.history
        assert len(state["since"]) <= PARAMS.history


def test_with_a_seasonal_member_the_daily_ramp_is_not_a_shift_and_a_real_one_is_found():
    import math

    from veilwatch.transforms.anomaly.registry import build_detector, parse_detector

    rng = random.Random(4)
    # hourly, daily sine of amplitude 10 sigma; from hour 24 * 10 on, 3 sigma higher
    values = [
        100 + 10 * math.sin(2 * math.pi * i / 24) + rng.gauss(0, 1) + (3 if i >= 240 else 0)
        for i in range(24 * 14)
    ]
    windows = [obs(i, v) for i, v in enumerate(values)]
    # a trailing baseline shorter than the day takes every ramp for a shift
    plain = run(
        Cusum(CusumParams(threshold=12, history=12, warmup=12, min_spread=0, min_relative_spread=0)), windows
    )[0]
    seasonal = build_detector(
        parse_detector(
            {
                "type": "cusum",
                "threshold": 12,
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
    verdicts, state = run(seasonal, windows)
    assert sum(v.is_anomaly for v in plain[:240]) >= 10
    found = [i for i, v in enumerate(verdicts) if v.is_anomaly]
    assert found
    assert all(i >= 240 for i in found)
    assert found[0] <= 252
    assert len(found) == 1
    assert abs(state["offset"] - 3) < 1.5  # the shift is taken out, not alarmed again
    assert verdicts[found[0]].detector == "cusum(seasonal)"
    assert verdicts[found[0]].score > 0
    assert json.loads(json.dumps(state)) == state
    assert len(state["since"]) <= CusumParams().history


def ar1(n, phi, seed=5, level=100.0):
    """AR(1) noise with unit marginal standard deviation."""
    rng = random.Random(seed)
    x, out = 0.0, []
    for _ in range(n):
        x = phi * x + rng.gauss(0, (1 - phi * phi) ** 0.5)
        out.append(level + x)
    return out


def test_long_run_variance_keeps_autocorrelated_noise_quiet_and_still_finds_a_shift():
    lr = CusumParams(
        threshold=12, slack=0.5, history=96, warmup=48, long_run=True, min_spread=0, min_relative_spread=0
    )
    plain_alarms = sum(len(flagged(ar1(5000, 0.9, seed))[0]) for seed in (1, 2))
    lr_alarms = sum(len(flagged(ar1(5000, 0.9, seed), lr)[0]) for seed in (1, 2))
    assert plain_alarms >= 40  # the sums of autocorrelated z-scores drift to the threshold
    assert lr_alarms <= plain_alarms // 10, (lr_alarms, plain_alarms)
    values = ar1(600, 0.9) + [v + 4 for v in ar1(400, 0.9, seed=8)]
    found, verdicts, state = flagged(values, lr)
    after = [i for i in found if i >= 600]
    assert after
    assert after[0] <= 700
    assert verdicts[after[0]].score > 0
    assert len(state["moments"]) == 5
    assert json.loads(json.dumps(state)) == state
