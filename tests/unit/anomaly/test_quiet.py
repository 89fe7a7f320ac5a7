"""Quiet spell: the bursts of a bursty series stop for clearly longer than ever before."""

import json
import random

import pytest

from tests.unit.anomaly.helpers import obs, run
from veilwatch.transforms.anomaly.detectors.ewma import Ewma, EwmaParams
from veilwatch.transforms.anomaly.detectors.quiet import Quiet, QuietParams
from veilwatch.transforms.anomaly.detectors.volatility import Volatility, VolatilityParams
from veilwatch.transforms.anomaly.registry import build_detector, parse_detector
from veilwatch.transforms.config.errors import ConfigError


def bursty(n, seed, every=(60, 100), idle=2.0, busy=80.0):
    """Idle noise around ``idle`` with a 3-window burst to ``busy`` every 60-100 windows."""
    rng = random.Random(seed)
    values, next_burst = [], rng.randint(*every)
    for i in range(n):
        if next_burst <= i < next_burst + 3:
            values.append(busy + rng.gauss(0, 5))
        else:
            values.append(idle + abs(rng.gauss(0, 0.3)))
        if i == next_burst + 2:
            next_burst = i + rng.randint(*every)
    return values


def flagged(values, params=None):
    verdicts, state = run(Quiet(params or QuietParams()), [obs(i, v) for i, v in enumerate(values)])
    return [i for i, v in enumerate(verdicts) if v.is_anomaly], verdicts, state


def test_regular_bursts_raise_nothing():
    for seed in (1, 2, 3):
        assert flagged(bursty(3000, seed))[0] == []


def test_bursts_that_stop_are_flagged_once_when_the_spell_is_too_long():
    values = bursty(2000, seed=4)
    idle = [2.0 + abs(random.Random(5).gauss(0, 0.3)) for _ in range(600)]
    values += idle + bursty(600, seed=6)
    found, verdicts, _ = flagged(values)
    # the longest spell before is at most 100 windows: twice that after the last burst
    assert len(found) == 1 and 2000 < found[0] <= 2000 + 210, found
    assert verdicts[found[0]].score <= -2 and verdicts[found[0]].threshold == 2
    # the z-score and the volatility CUSUM (tuned to a jumpier series) see nothing in the silence
    for detector in (
        Ewma(EwmaParams(threshold=4, halflife=576, warmup=48, min_spread=0, min_relative_spread=0)),
        Volatility(VolatilityParams()),
    ):
        others = run(detector, [obs(i, v) for i, v in enumerate(values)])[0]
        assert not any(v.is_anomaly for v in others[2000:2600])


def test_a_feed_reading_zero_is_a_quiet_spell():
    values = bursty(2000, seed=7) + [0.0] * 300
    found = flagged(values)[0]
    assert len(found) == 1 and found[0] > 2000


def test_nothing_before_enough_spells():
    values = bursty(300, seed=8, every=(60, 61)) + [2.0] * 400  # 4 spells, then silence
    assert flagged(values)[0] == []
    assert flagged(values, QuietParams(min_spells=3))[0] != []


def test_flat_and_noisy_series_never_flag():
    assert flagged([5.0] * 2000)[0] == []
    # Gaussian noise is "active" in about half its windows: its spells are short and many, so a
    # spell twice the longest of the last 32 is rare but possible; measured: none in 3 x 3,000
    assert (
        sum(len(flagged([100 + random.Random(s).gauss(0, 1) for _ in range(3000)])[0]) for s in (10, 11, 12))
        <= 1
    )


def test_state_is_bounded_and_json():
    _, _, state = flagged(bursty(20_000, seed=13))
    assert len(state["blocks"]) == 32 and len(state["spells"]) == 32
    size = len(json.dumps(state))
    assert size < 1800, size
    assert json.loads(json.dumps(state)) == state


def test_registry_validates_params():
    spec = parse_detector({"type": "quiet", "ratio": 2, "activity": 0.5, "min_spells": 3}, "d")
    assert isinstance(build_detector(spec), Quiet)
    with pytest.raises(ConfigError) as err:
        parse_detector({"type": "quiet", "ratio": 0.5, "activity": 2, "spells": 0, "threshold": 1}, "d")
    text = str(err.value)
    for key in ("d.ratio", "d.activity", "d.spells", "d.threshold"):
        assert key in text


def test_a_noisy_series_whose_low_runs_lengthen_is_not_bursty():
    # a level series is active in most windows: a long dip is the z-score's business, not a missing burst
    rng = random.Random(14)
    values = [100 + rng.gauss(0, 1) for _ in range(2000)] + [97 + rng.gauss(0, 0.5) for _ in range(300)]
    found, verdicts, state = flagged(values)
    assert found == []
    assert 2 * state["counts"][0] > state["counts"][1]  # most windows were active
    assert min(v.score for v in verdicts[2000:] if v.score is not None) < -2  # the spell did run long
