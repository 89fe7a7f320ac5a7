"""Adaptive resonance (ARTime's idea): a window of recent values no learnt ART category resembles alerts."""

import json
import math
import random

import pytest

from tests.unit.anomaly.helpers import obs, run
from veilwatch.transforms.anomaly.detectors.art import Art, ArtParams, features, haar, match
from veilwatch.transforms.anomaly.explain import explain
from veilwatch.transforms.anomaly.registry import build_detector, parse_detector
from veilwatch.transforms.config.errors import ConfigError

# warm-up 300 windows: downsampling step 300 // (8 * 13) = 2, 150 samples learnt before any verdict
PARAMS = ArtParams(warmup=300)


def daily(n, seed, period=48, amp=10.0, noise=0.5, level=100.0):
    """A repeating cycle (``period`` windows) with a little Gaussian noise."""
    rng = random.Random(seed)
    return [level + amp * math.sin(2 * math.pi * i / period) + rng.gauss(0, noise) for i in range(n)]


def flagged(values, params=PARAMS):
    verdicts, state = run(Art(params), [obs(i, v) for i, v in enumerate(values)])
    return [i for i, v in enumerate(verdicts) if v.is_anomaly], verdicts, state


def test_haar_and_features_are_arteime_s():
    # the full orthonormal Haar transform keeps the energy; approximation first, finest details last
    x = [1.0, 3.0, 2.0, 2.0, 0.0, 4.0, 1.0, 1.0]
    h = haar(x)
    assert len(h) == 8 and math.isclose(sum(v * v for v in h), sum(v * v for v in x))
    assert math.isclose(h[0], sum(x) / math.sqrt(8))
    assert [round(v, 6) for v in h[4:]] == [round(d / math.sqrt(2), 6) for d in (-2.0, 0.0, -4.0, 0.0)]
    f = features([0.5] * 8)  # a flat window: no shape, its level; complement coded
    assert len(f) == 32 and f[:8] == [0.0] * 8 and f[8:16] == [0.5] * 8 and f[16:24] == [1.0] * 8
    assert all(0.0 <= v <= 1.0 for v in features([0.1, 0.9, 0.3, 0.3, 0.0, 1.0, 0.5, 0.2]))


def test_match_is_one_inside_a_category_box_and_falls_outside_it():
    x = features([0.5] * 8)
    assert match(x, x, 15)[:2] == (1.0, 1.0)
    far = features([0.9] * 8)
    m, energy, meet = match(far, x, 15)
    assert m < 0.5 and energy < 1.0 and meet == [min(a, b) for a, b in zip(far, x, strict=True)]


def test_nothing_flags_during_the_warmup_and_the_verdict_says_it_is_learning():
    values = daily(299, 1)
    values[100] = 1000.0
    found, verdicts, state = flagged(values)
    assert found == [] and verdicts[100].expected is None and "learning" in verdicts[100].basis
    assert state["range"] is None and len(state["warm"]) == 149


def test_an_exact_repetition_is_never_flagged():
    for seed in (1, 2):
        found, _, state = flagged(daily(3000, seed, noise=0.0))
        assert found == [] and 0 < len(state["cats"]) <= PARAMS.categories


def test_a_noisy_repetition_alerts_rarely():
    # ARTime's lower vigilance climbs towards the lowest recent match, so a rare poor match of a noisy
    # cycle founds a new cluster and alerts (NAB's artificialNoAnomaly files give ARTime 1 false positive
    # too): at most one alert per 2,000 windows over five series, none of them in a burst
    found = [flagged(daily(3000, seed))[0] for seed in (1, 2, 3, 4, 5)]
    assert sum(len(f) for f in found) <= 5 * 2700 / 2000
    assert all(b - a > 48 for f in found for a, b in zip(f, f[1:], strict=False))


def test_a_spike_alerts_within_one_sample_and_with_full_confidence():
    values = daily(3000, 1)
    values[2000] = 200.0
    found, verdicts, _ = flagged(values)
    assert found and 2000 <= found[0] <= 2001 and verdicts[found[0]].score == 1.0
    assert "1.0 ART confidence" in explain(verdicts[found[0]], "count") and "ART categories" in explain(
        verdicts[found[0]], "count"
    )
    # the masks after an anomaly keep its tail quiet; the widened range makes a few windows new for a while
    assert [i for i in found if found[0] < i < found[0] + 48] == [] and len(found) <= 4


def test_a_dip_alerts_with_a_negative_score():
    values = daily(3000, 2)
    values[2000] = 0.0
    found, verdicts, _ = flagged(values)
    assert found and 2000 <= found[0] <= 2001 and verdicts[found[0]].score < 0


def test_a_level_shift_alerts_at_its_start():
    values = daily(2000, 3) + daily(1000, 4, level=130.0)
    found, _, _ = flagged(values)
    assert found and 2000 <= found[0] <= 2003


def test_a_new_pattern_inside_the_range_alerts():
    # the cycle stops at its mid level for one period (NAB's art_daily_flatmiddle): no new value, a new shape
    values = daily(3000, 5)
    values[2000:2048] = [100.0 + random.Random(9).gauss(0, 0.5) for _ in range(48)]
    found, _, _ = flagged(values)
    assert [i for i in found if 2000 <= i < 2048]


def test_a_spike_that_recurs_every_cycle_is_learnt():
    values = daily(4000, 6)
    for i in range(1000, 4000, 48):
        values[i + 12] = 140.0  # the same spike at the same phase of every cycle
    found, _, _ = flagged(values)
    assert found and found[0] <= 1020  # the first is news
    assert [i for i in found if i > 2500] == []  # after dozens of repetitions it is ordinary


def test_the_range_widens_and_keeps_what_was_learnt():
    # a level shift up widens the range; the old level, when it comes back, is still known
    values = daily(2000, 7) + daily(200, 8, level=160.0) + daily(1000, 9)
    found, _, state = flagged(values)
    assert found and 2000 <= found[0] <= 2003
    assert state["range"][1] > 160 and [i for i in found if i > 2300] == []


def test_state_is_bounded_by_the_category_cap_and_json_serialisable():
    params = ArtParams(warmup=104, categories=16)
    rng = random.Random(11)
    values = [rng.uniform(0, 100) for _ in range(3000)]  # nothing repeats: categories keep being founded
    _, _, state = flagged(values, params)
    assert len(state["cats"]) == 16 and len(state["used"]) == 16
    assert all(len(box) == 32 for box in state["cats"])
    assert json.loads(json.dumps(state)) == state
    assert len(json.dumps(state)) < 16 * 32 * 9 + 3000


def test_non_finite_values_are_ignored():
    values = daily(2000, 1)
    for i in (600, 601, 1500):
        values[i] = float("nan") if i != 1500 else float("inf")
    found, verdicts, _ = flagged(values)
    assert found == [] and not verdicts[1500].is_anomaly


def test_cost_is_small_per_window():
    import time

    detector, state = Art(PARAMS), Art(PARAMS).initial_state()
    values = daily(4000, 12)
    start = time.perf_counter()
    for i, v in enumerate(values):
        _, state = detector.observe(state, obs(i, v))
    assert time.perf_counter() - start < 4.0  # about 20,000 windows/s on one core; generous for CI


@pytest.mark.parametrize(
    "raw, key",
    [
        ({"type": "art", "window": 6}, "detector.window"),
        ({"type": "art", "window": 64}, "detector.window"),
        ({"type": "art", "threshold": 1.5}, "detector.threshold"),
        ({"type": "art", "warmup": 8}, "detector.warmup"),
        ({"type": "art", "categories": 2}, "detector.categories"),
        ({"type": "art", "vigilance": 0.9}, "detector.vigilance"),
    ],
)
def test_bad_params_name_the_key(raw, key):
    with pytest.raises(ConfigError) as err:
        parse_detector(raw, "detector")
    assert key in str(err.value)


def test_registered_and_built_from_config():
    detector = build_detector(parse_detector({"type": "art", "warmup": 240, "window": 16}, "detector"))
    assert isinstance(detector, Art) and detector.params.window == 16 and detector.step == 1
