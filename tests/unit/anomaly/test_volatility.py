"""CUSUM on squared differences: a series that turns jumpier (or calmer) without any extreme window."""

import json
import random

import pytest

from tests.unit.anomaly.helpers import obs, run
from veilwatch.transforms.anomaly.detectors.ewma import Ewma, EwmaParams
from veilwatch.transforms.anomaly.detectors.volatility import Volatility, VolatilityParams
from veilwatch.transforms.anomaly.registry import build_detector, parse_detector
from veilwatch.transforms.config.errors import ConfigError


def noise(n, seed, sigma=1.0, level=100.0):
    rng = random.Random(seed)
    return [level + rng.gauss(0, sigma) for _ in range(n)]


def jumpier(n, seed, half_width=3.0, level=100.0):
    """Uniform noise in +-half_width: sigma 1.73 at 3, yet never beyond 3 sigmas of unit noise."""
    rng = random.Random(seed)
    return [level + rng.uniform(-half_width, half_width) for _ in range(n)]


def flagged(values, params=None):
    detector = Volatility(params or VolatilityParams())
    verdicts, state = run(detector, [obs(i, v) for i, v in enumerate(values)])
    return [i for i, v in enumerate(verdicts) if v.is_anomaly], verdicts, state


def test_gaussian_noise_raises_almost_nothing():
    # measured: 1 alarm in 3 x 5,000 windows at the defaults (ratio 4, threshold 10)
    assert sum(len(flagged(noise(5000, seed))[0]) for seed in (1, 2, 3)) <= 2


def test_a_jumpier_series_is_found_that_a_zscore_misses():
    values = noise(600, seed=4) + jumpier(300, seed=5)
    found, verdicts, _ = flagged(values)
    ewma = run(
        Ewma(EwmaParams(threshold=4, halflife=96, warmup=48, min_spread=0, min_relative_spread=0)),
        [obs(i, v) for i, v in enumerate(values)],
    )[0]
    assert not any(v.is_anomaly for v in ewma[600:])  # no window of the new regime is 4 sigmas out
    assert found and 600 <= found[0] <= 660, found
    assert verdicts[found[0]].score >= 10 and verdicts[found[0]].threshold == 10


def test_after_an_alarm_the_new_regime_is_the_baseline():
    found, _, state = flagged(noise(600, seed=4) + jumpier(1500, seed=5))
    assert found and found[0] >= 600
    assert len(found) <= 2  # the jumpier regime is learnt, not alarmed on every ~12 windows
    assert state["scale"] > 1.2  # mean |difference| of the uniform noise is 2; of the unit noise 1.13


def test_isolated_spikes_do_not_alarm_on_their_own():
    values = noise(1200, seed=6)
    for i in (300, 500, 700, 900):
        values[i] += 50
    assert flagged(values)[0] == []


def test_a_spiky_start_does_not_inflate_the_baseline():
    # the first windows of a series (a transient, a backfill) hold huge jumps: the learnt scale is
    # their median, so the later jumpier regime is still found
    values = noise(600, seed=7)
    for i in range(2, 42, 8):  # 5 spikes: 10 of the 48 learnt differences are huge
        values[i] += 1000
    found, _, _ = flagged(values + jumpier(300, seed=8))
    assert found and found[0] >= 600


def test_a_calmer_series_flags_only_when_asked():
    values = noise(600, seed=9) + noise(300, seed=10, sigma=0.2)
    assert [i for i in flagged(values)[0] if i >= 600] == []  # direction up by default
    found, verdicts, _ = flagged(values, VolatilityParams(direction="both"))
    calmer = [i for i in found if i >= 600]
    assert calmer and calmer[0] <= 640 and verdicts[calmer[0]].score <= -10


def test_nothing_is_scored_during_the_warmup():
    values = jumpier(30, seed=1, half_width=100) + noise(30, seed=2)
    verdicts, _ = run(Volatility(VolatilityParams(warmup=48)), [obs(i, v) for i, v in enumerate(values)])
    assert all(v.score is None and not v.is_anomaly for v in verdicts[:49])
    assert verdicts[49].score is not None


def test_state_is_json_of_constant_size():
    detector = Volatility()
    state = detector.initial_state()
    sizes = []
    for i, v in enumerate(noise(3000, seed=11) + jumpier(3000, seed=12)):
        _, state = detector.observe(state, obs(i, v))
        sizes.append(len(json.dumps(state)))
    assert json.loads(json.dumps(state)) == state
    assert max(sizes[100:]) <= 250  # a few numbers; the warmup list is gone after 48 differences


def test_registry_validates_the_params_and_names_the_key():
    spec = parse_detector({"type": "volatility", "ratio": 9, "threshold": 6, "direction": "both"}, "d")
    assert build_detector(spec).params.ratio == 9.0
    for bad, key in (
        ({"ratio": 1.0}, "d.ratio"),
        ({"threshold": -1}, "d.threshold"),
        ({"history": 1}, "d.history"),
        ({"warmup": 1}, "d.warmup"),
        ({"direction": "sideways"}, "d.direction"),
        ({"slack": 1}, "d.slack"),
    ):
        with pytest.raises(ConfigError) as err:
            parse_detector({"type": "volatility", **bad}, "d")
        assert [i.path for i in err.value.issues] == [key]
