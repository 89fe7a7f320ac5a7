import pytest

from tests.unit.anomaly.helpers import obs, run
from veilwatch.transforms.anomaly.detectors.iqr import Iqr, IqrParams

# history 1..5: Q1 = 2, Q3 = 4 (linear interpolation), IQR 2, median 3
P = dict(threshold=1.5, history=5, warmup=5, min_spread=0.0, min_relative_spread=0.0)
HISTORY = [obs(i, v) for i, v in enumerate([1, 2, 3, 4, 5])]


@pytest.mark.parametrize(
    "value, score, flagged",
    [
        (8, 2.0, True),  # (8 - Q3 4) / 2 = 2 >= 1.5
        (6, 1.0, False),  # (6 - 4) / 2 = 1
        (3.5, 0.0, False),  # between the quartiles
        (-2, -2.0, True),  # (-2 - Q1 2) / 2 = -2
    ],
)
def test_score_is_distance_beyond_the_fence_in_iqrs(value, score, flagged):
    verdicts, _ = run(Iqr(IqrParams(**P)), HISTORY + [obs(5, value)])
    v = verdicts[-1]
    assert (v.expected, v.spread) == (3, 2)
    assert v.score == pytest.approx(score)
    assert v.is_anomaly is flagged


def test_warmup_and_history_length():
    verdicts, state = run(Iqr(IqrParams(**P)), HISTORY + [obs(5, 6), obs(6, 7)])
    assert [v.score for v in verdicts[:5]] == [None] * 5
    assert state["history"] == [3, 4, 5, 6, 7]
