import pytest

from tests.unit.anomaly.helpers import obs, run
from veilwatch.transforms.anomaly.detectors.ewma import Ewma, EwmaParams

P = dict(threshold=3.0, warmup=2, alpha=0.5, min_spread=0.0, min_relative_spread=0.0)


def test_mean_and_variance_are_hand_computed():
    # 10: weight max(0.5, 1/1) = 1 -> mean 10, var 0
    # 12: weight max(0.5, 1/2) = 0.5, diff 2 -> mean 11, var 0.5 * (0 + 0.5 * 4) = 1
    # 14: scored against mean 11, spread 1 -> score 3 (>= 3: anomaly);
    #     then weight 0.5, diff 3 -> mean 12.5, var 0.5 * (1 + 0.5 * 9) = 2.75
    verdicts, state = run(Ewma(EwmaParams(**P)), [obs(0, 10), obs(1, 12), obs(2, 14)])
    assert [v.expected for v in verdicts] == [None, None, 11]
    assert verdicts[2].score == pytest.approx(3.0)
    assert verdicts[2].is_anomaly
    assert state["mean"] == pytest.approx(12.5)
    assert state["var"] == pytest.approx(2.75)


def test_halflife_sets_the_weight():
    assert EwmaParams(halflife=1).weight == pytest.approx(0.5)  # 1 - 0.5 ** (1 / 1)
    assert EwmaParams(halflife=0, alpha=0.2).weight == 0.2


def test_a_gap_decays_the_baseline_as_the_missing_windows_would():
    # windows 0, 1 then 3 (window 2 missing): 2 steps -> weight 1 - 0.5 ** 2 = 0.75
    # mean 11 + 0.75 * (15 - 11) = 14; var 0.25 * (1 + 0.75 * 16) = 3.25
    _, state = run(Ewma(EwmaParams(**P)), [obs(0, 10), obs(1, 12), obs(3, 15)])
    assert state["mean"] == pytest.approx(14.0)
    assert state["var"] == pytest.approx(3.25)


def test_clip_limits_how_far_a_spike_moves_the_baseline():
    # after 10, 12: mean 11, var 1; clip 2 sigma -> 111 updates as 13:
    # weight 0.5 (n=2: max(0.5, 1/3)), diff 2 -> mean 12
    _, state = run(Ewma(EwmaParams(**P, clip=2)), [obs(0, 10), obs(1, 12), obs(2, 111)])
    assert state["mean"] == pytest.approx(12.0)


def test_warmup_never_flags():
    verdicts, _ = run(Ewma(EwmaParams(**{**P, "warmup": 3})), [obs(0, 1), obs(1, 2), obs(2, 1e6)])
    assert not any(v.is_anomaly for v in verdicts)
