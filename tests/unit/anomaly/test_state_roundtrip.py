"""Every detector's state survives json.dumps/json.loads: continuing from the
round-tripped state gives the same verdicts as continuing in memory."""

import json
import math
import random

import pytest

from tests.unit.anomaly.helpers import obs
from veilwatch.transforms.anomaly.cooldown import Cooldown
from veilwatch.transforms.anomaly.registry import build_detector, parse_detector

CONFIGS = {
    "robust_zscore": {"type": "robust_zscore", "history": 20, "warmup": 5},
    "ewma": {"type": "ewma", "halflife": 6, "clip": 3, "warmup": 5},
    "seasonal_day": {"type": "seasonal", "season": "day", "periods": 3, "neighbours": 1, "warmup": 5},
    "seasonal_week_residuals": {"type": "seasonal", "season": "week", "spread": "residuals", "warmup": 5},
    "iqr": {"type": "iqr", "history": 20, "warmup": 5},
    "cusum": {"type": "cusum", "history": 24, "warmup": 5, "threshold": 8},
    "cusum_seasonal": {
        "type": "cusum",
        "history": 24,
        "threshold": 8,
        "detector": {"type": "seasonal", "season": "day", "periods": 3, "warmup": 5},
    },
    "likelihood": {
        "type": "likelihood",
        "warmup": 40,
        "average": 1,
        "history": 50,
        "threshold": 0.3,
        "detector": {"type": "robust_zscore", "history": 20, "warmup": 5},
    },
    "context": {"type": "context", "warmup": 10, "learn": 5, "order": 3, "threshold": 0.3, "memory": 16},
    "context_neighbours": {"type": "context", "warmup": 10, "learn": 5, "neighbours": 1},
    "volatility": {"type": "volatility", "warmup": 20, "threshold": 4, "direction": "both"},
    "extreme": {"type": "extreme", "warmup": 5, "block": 7, "blocks": 3, "threshold": 0.05},
    "quiet": {
        "type": "quiet",
        "warmup": 5,
        "block": 24,
        "blocks": 3,
        "spells": 4,
        "min_spells": 2,
        "ratio": 1.5,
        "activity": 0.9,
    },
    "relative_entropy": {"type": "relative_entropy", "warmup": 10, "window": 12, "hypotheses": 4},
    "art": {"type": "art", "warmup": 48, "categories": 8},
    "ensemble": {
        "type": "ensemble",
        "mode": "k",
        "k": 2,
        "members": [
            {"type": "seasonal", "season": "day", "warmup": 5},
            {"type": "robust_zscore", "warmup": 5},
            {"type": "ewma", "warmup": 5},
        ],
    },
}


def series():
    """Hourly daily-periodic values with gaps (missing windows) and two spikes."""
    rng = random.Random(7)
    out = []
    for i in range(24 * 9):
        if i % 17 in (3, 4) or 100 <= i < 110:  # gaps
            continue
        value = 100 + 20 * math.sin(2 * math.pi * i / 24) + rng.gauss(0, 2)
        out.append(obs(i, value + (80 if i in (150, 190) else 0)))
    return out


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_json_round_tripped_state_gives_identical_verdicts(name):
    detector = build_detector(parse_detector(CONFIGS[name], name))
    in_memory = detector.initial_state()
    via_json = json.loads(json.dumps(detector.initial_state()))
    flagged = 0
    for o in series():
        v1, in_memory = detector.observe(in_memory, o)
        v2, via_json = detector.observe(via_json, o)
        via_json = json.loads(json.dumps(via_json))
        assert v1 == v2
        flagged += v1.is_anomaly
    assert json.loads(json.dumps(in_memory)) == in_memory
    assert flagged >= 1  # the spikes are seen by every detector


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_observe_does_not_mutate_the_state_passed_in(name):
    detector = build_detector(parse_detector(CONFIGS[name], name))
    state = detector.initial_state()
    for o in series()[:60]:
        before = json.dumps(state, sort_keys=True)
        _, new_state = detector.observe(state, o)
        assert json.dumps(state, sort_keys=True) == before
        state = new_state


def test_cooldown_state_round_trips():
    cd = Cooldown(windows=2)
    _, state = cd.apply(cd.initial_state(), obs(0, 0), True)
    assert cd.apply(json.loads(json.dumps(state)), obs(1, 0), True) == cd.apply(state, obs(1, 0), True)
