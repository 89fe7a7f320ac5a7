"""New extreme over a long, block-wise memory: values never produced recently alert, recurring ones do not."""

import json
import random

import pytest

from tests.unit.anomaly.helpers import obs, run
from veilwatch.transforms.anomaly.detectors.ewma import Ewma, EwmaParams
from veilwatch.transforms.anomaly.detectors.extreme import Extreme, ExtremeParams
from veilwatch.transforms.anomaly.detectors.iqr import Iqr, IqrParams
from veilwatch.transforms.anomaly.registry import build_detector, parse_detector
from veilwatch.transforms.config.errors import ConfigError


def noise(n, seed, sigma=1.0, level=100.0):
    rng = random.Random(seed)
    return [level + rng.gauss(0, sigma) for _ in range(n)]


def flagged(values, params=None):
    verdicts, state = run(Extreme(params or ExtremeParams()), [obs(i, v) for i, v in enumerate(values)])
    return [i for i, v in enumerate(verdicts) if v.is_anomaly], verdicts, state


def test_a_spike_beyond_the_range_alerts_both_ways():
    values = noise(600, seed=1)
    values[400] += 20
    values[500] -= 20
    found, verdicts, _ = flagged(values)
    assert 400 in found and 500 in found
    assert verdicts[400].score > 0.05 and verdicts[500].score < -0.05
    # once a few hundred windows are remembered, Gaussian noise does not leave its range by 5 %
    assert [i for i in found if i >= 200] == [400, 500]


def test_a_spike_that_recurs_every_few_days_is_remembered():
    # a 2,000-window gap between occurrences: the trailing max of 1,152 windows has forgotten the
    # first one, the default memory (32 blocks of 144) has not
    values = noise(5000, seed=2)
    for i in (1000, 3000, 4900):
        values[i] += 30 + i / 1000  # each occurrence a little higher (less than 5 % of the range)
    found, _, _ = flagged(values)
    assert 1000 in found
    assert 3000 not in found and 4900 not in found
    short = run(
        Iqr(
            IqrParams(
                quantile=0, threshold=0.05, history=1152, warmup=48, min_spread=0, min_relative_spread=0
            )
        ),
        [obs(i, v) for i, v in enumerate(values)],
    )[0]
    assert short[3000].is_anomaly  # the short memory calls the recurrence new


def test_the_memory_forgets_whole_blocks():
    params = ExtremeParams(block=10, blocks=3, warmup=5, threshold=0.05)
    values = [0.0, 1.0] * 10 + [50.0] + [0.0, 1.0] * 30 + [50.0]
    found, verdicts, state = flagged(values, params)
    assert found == [20, len(values) - 1]  # 40 windows later the first 50 is out of the 3 x 10 memory
    assert len(state["blocks"]) == 3
    values = [0.0, 1.0] * 10 + [50.0] + [0.0, 1.0] * 10 + [50.0]
    assert flagged(values, params)[0] == [20]  # 20 windows later it is still remembered


def test_a_value_a_hair_above_the_maximum_is_not_new():
    values = noise(300, seed=3)
    top, bottom = max(values), min(values)
    found, _, _ = flagged(values + [top + 0.04 * (top - bottom)])
    assert len(values) not in found
    found, verdicts, _ = flagged(values + [top + 0.06 * (top - bottom)])
    assert len(values) in found
    assert verdicts[-1].score == pytest.approx(0.06, rel=1e-3)


def test_a_flat_series_flags_any_change_and_nothing_in_the_warmup():
    values = [5.0] * 100 + [5.001]
    found, verdicts, _ = flagged(values)
    assert found == [100] and verdicts[100].score == float("inf")
    values = [5.0] * 10 + [50.0]
    assert flagged(values)[0] == []  # warm-up 48


def test_direction_and_min_abs_change():
    values = noise(300, seed=4)
    values[200] -= 20
    values[250] += 20
    assert [i for i in flagged(values)[0] if i >= 150] == [200, 250]
    assert [i for i in flagged(values, ExtremeParams(direction="up"))[0] if i >= 150] == [250]
    assert flagged(values, ExtremeParams(min_abs_change=1000))[0] == []


def test_state_is_bounded_and_json():
    _, _, state = flagged(noise(20_000, seed=5))
    assert len(state["blocks"]) == 32
    size = len(json.dumps(state))
    assert size < 45 * 32 + 100, size  # about 43 bytes per block
    assert json.loads(json.dumps(state)) == state


def test_registry_validates_params():
    spec = parse_detector({"type": "extreme", "block": 96, "blocks": 16, "threshold": 0.1}, "d")
    assert isinstance(build_detector(spec), Extreme)
    with pytest.raises(ConfigError) as err:
        parse_detector({"type": "extreme", "block": 0, "blocks": "many", "margin": 1}, "d")
    text = str(err.value)
    assert "d.block" in text and "d.blocks" in text and "d.margin" in text


def test_a_drop_to_zero_of_a_skewed_series_is_a_new_minimum_that_no_zscore_sees():
    # a positive, right-skewed series (log-normal, like a price or a rate): a drop to ~0 is below everything
    # produced so far, yet less than 3.5 sigmas below its mean, because the mean is close to the floor
    rng = random.Random(15)
    values = [0.25 * rng.lognormvariate(0, 0.3) for _ in range(1500)]
    values[1200] = 0.001
    params = ExtremeParams(direction="down")
    found, verdicts, _ = flagged(values, params)
    assert 1200 in found and verdicts[1200].score < -0.05
    assert len([i for i in found if i >= 300]) == 1  # the floor of 300+ windows is well explored
    ewma = run(
        Ewma(EwmaParams(threshold=3.5, halflife=576, warmup=48, min_spread=0, min_relative_spread=0)),
        [obs(i, v) for i, v in enumerate(values)],
    )[0]
    assert -3.5 < ewma[1200].score < 0
