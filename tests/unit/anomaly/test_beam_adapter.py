import json

import pytest

from tests.unit.anomaly.helpers import obs, run
from veilwatch.transforms.anomaly.detectors.beam_adapter import BeamDetector, BeamDetectorParams
from veilwatch.transforms.anomaly.registry import build_detector, parse_detector

HISTORY = [obs(i, v) for i, v in enumerate([10, 12, 11, 13])]


@pytest.mark.parametrize(
    "algorithm, score",
    [
        # mean 11.5, sample stdev sqrt(5 / 3) = 1.291: (20 - 11.5) / 1.291 = 6.584
        ("ZScore", 8.5 / (5 / 3) ** 0.5),
        # Beam's online MAD: |x - running median| at each push = 0, 1, 0, 1.5 -> median 0.5;
        # 0.6745 * (20 - 11.5) / 0.5 = 11.4665
        ("RobustZScore", 0.6745 * 8.5 / 0.5),
        # Q1 10.75, Q3 12.25 (linear interpolation): (20 - 12.25) / 1.5 = 5.1667
        ("IQR", 7.75 / 1.5),
    ],
)
def test_beam_scores_are_replayed_from_json_history(algorithm, score):
    detector = BeamDetector(BeamDetectorParams(algorithm=algorithm, history=10, warmup=4))
    verdicts, state = run(detector, HISTORY + [obs(4, 20)])
    assert [v.score for v in verdicts[:4]] == [None] * 4
    assert verdicts[-1].score == pytest.approx(score)
    assert verdicts[-1].is_anomaly
    assert state == {"history": [10, 12, 11, 13, 20]}


def test_scores_are_signed_by_the_side_of_the_median():
    # (2 - 11.5) / 1.291 = -7.36
    verdicts, _ = run(BeamDetector(BeamDetectorParams(algorithm="ZScore", warmup=4)), HISTORY + [obs(4, 2)])
    assert verdicts[-1].score == pytest.approx(-9.5 / (5 / 3) ** 0.5)


def test_configurable_and_json_round_trippable():
    detector = build_detector(
        parse_detector({"type": "beam", "algorithm": "IQR", "history": 6, "warmup": 4}, "d")
    )
    values = [obs(i, v) for i, v in enumerate([5, 6, 5, 7, 6, 30, 5, 6, 7, 5])]
    direct, _ = run(detector, values)
    state, via_json = detector.initial_state(), []
    for o in values:
        v, state = detector.observe(json.loads(json.dumps(state)), o)
        via_json.append(v)
    assert direct == via_json
    assert direct[5].is_anomaly
