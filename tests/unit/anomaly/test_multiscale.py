"""Multi-scale view: a member detector on the mean / median of the last windows sees slow changes."""

import json
import random

import pytest

from tests.unit.anomaly.helpers import obs, run
from veilwatch.transforms.anomaly.detectors.ewma import Ewma, EwmaParams
from veilwatch.transforms.anomaly.detectors.multiscale import Multiscale, MultiscaleParams
from veilwatch.transforms.anomaly.registry import build_detector, parse_detector
from veilwatch.transforms.config.errors import ConfigError

EWMA = EwmaParams(threshold=4, halflife=200, warmup=48, min_spread=0, min_relative_spread=0)


def noise(n, seed=3, level=100.0, sigma=1.0):
    rng = random.Random(seed)
    return [level + rng.gauss(0, sigma) for _ in range(n)]


def flagged(detector, values):
    verdicts, state = run(detector, [obs(i, v) for i, v in enumerate(values)])
    return [i for i, v in enumerate(verdicts) if v.is_anomaly], verdicts, state


def test_a_one_sigma_step_is_found_in_the_slow_view_and_not_in_single_windows():
    values = noise(400) + noise(200, seed=8, level=101.0)
    single = flagged(Ewma(EWMA), values)[0]
    slow, verdicts, _ = flagged(Multiscale(Ewma(EWMA), MultiscaleParams(scale=16)), values)
    assert [i for i in single if i < 430] == []  # single windows: nothing near the onset
    assert slow, slow[:3]
    assert 400 <= slow[0] <= 425, slow[:3]
    assert verdicts[slow[0]].detector == "multiscale16(ewma)"
    assert verdicts[slow[0]].score > 0


def test_a_slow_drift_is_found_soon_after_it_starts():
    values = noise(400) + [v - 0.03 * i for i, v in enumerate(noise(300, seed=8))]
    slow = flagged(Multiscale(Ewma(EWMA), MultiscaleParams(scale=16, aggregate="median")), values)[0]
    assert slow, slow[:3]
    assert 400 < slow[0] <= 520, slow[:3]
    assert (
        flagged(Multiscale(Ewma(EWMA), MultiscaleParams(scale=16, aggregate="median")), values[:400])[0] == []
    )


def test_the_median_view_ignores_isolated_spikes():
    values = noise(800)
    for i in range(450, 800, 25):
        values[i] += 40
    assert flagged(Ewma(EWMA), values)[0]  # a single-window z-score flags them
    assert flagged(Multiscale(Ewma(EWMA), MultiscaleParams(scale=16, aggregate="median")), values)[0] == []


def test_nothing_flags_while_the_first_aggregate_fills():
    detector = Multiscale(
        Ewma(EwmaParams(threshold=0.1, warmup=0, min_spread=0, min_relative_spread=0)),
        MultiscaleParams(scale=8),
    )
    verdicts, _ = run(detector, [obs(i, float(i * i)) for i in range(7)])
    assert len(verdicts) == 7
    assert all(v.score is None for v in verdicts)
    assert not any(v.is_anomaly for v in verdicts)


def test_scale_free():
    values = noise(400) + noise(200, seed=8, level=101.0)
    d = Multiscale(Ewma(EWMA), MultiscaleParams(scale=16))
    assert (
        flagged(d, values)[0]
        == flagged(d, [v * 1e6 for v in values])[0]
        == flagged(d, [v * 1e-3 for v in values])[0]
        != []
    )


def test_state_round_trips_through_json_and_stays_bounded():
    d = Multiscale(Ewma(EWMA), MultiscaleParams(scale=16, aggregate="median"))
    values = noise(300) + [v + 3 for v in noise(300, seed=8)]
    state, copy = d.initial_state(), d.initial_state()
    for i, v in enumerate(values):
        v1, state = d.observe(state, obs(i, v))
        v2, copy = d.observe(json.loads(json.dumps(copy)), obs(i, v))
        assert v1 == v2
    assert len(state["recent"]) == 16
    assert set(state) == {"recent", "member"}


def test_registry_builds_it_and_names_bad_keys():
    spec = parse_detector(
        {
            "type": "multiscale",
            "scale": 4,
            "aggregate": "median",
            "detector": {"type": "ewma", "halflife": 100},
        },
        "d",
    )
    assert parse_detector(spec.to_dict(), "d") == spec
    assert build_detector(spec).name == "multiscale4(ewma)"
    for bad, key in [
        ({"type": "multiscale"}, "d.detector"),
        ({"type": "multiscale", "scale": 1, "detector": {"type": "ewma"}}, "d.scale"),
        ({"type": "multiscale", "aggregate": "max", "detector": {"type": "ewma"}}, "d.aggregate"),
        ({"type": "multiscale", "detector": {"type": "ewma", "halflife": -1}}, "d.detector.halflife"),
    ]:
        with pytest.raises(ConfigError) as err:
            parse_detector(bad, "d")
        assert key in str(err.value)
