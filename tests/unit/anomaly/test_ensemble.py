import pytest

from tests.unit.anomaly.helpers import obs, run
from veilwatch.transforms.anomaly.base import Detector, Observation, State, Verdict
from veilwatch.transforms.anomaly.detectors.ensemble import Ensemble, EnsembleParams


class Scripted(Detector):
    """Returns scripted scores (None = warm-up); flags |score| >= 3."""

    def __init__(self, name, scores):
        self.name, self.scores = name, scores

    def initial_state(self) -> State:
        return {"i": 0}

    def observe(self, state, o: Observation):
        s = self.scores[state["i"]]
        v = Verdict(
            o.value,
            None if s is None else 0.0,
            None if s is None else 1.0,
            s,
            3.0,
            s is not None and abs(s) >= 3,
            self.name,
            f"{self.name} basis",
        )
        return v, {"i": state["i"] + 1}


def members():
    # window:      0     1    2    3     4
    a = Scripted("a", [None, 4.0, 4.0, 1.0, 5.0])
    b = Scripted("b", [None, 1.0, 6.0, 1.0, -5.0])
    c = Scripted("c", [None, 1.0, 1.0, 1.0, -4.0])
    return [a, b, c]


def flags(mode, k=1):
    verdicts, _ = run(Ensemble(members(), EnsembleParams(mode=mode, k=k)), [obs(i, 0) for i in range(5)])
    return [v.is_anomaly for v in verdicts]


def test_any_all_and_k_of_n():
    # window 1: only a flags; window 2: a and b (both up); window 4: a up, b and c down
    assert flags("any") == [False, True, True, False, True]
    assert flags("all") == [False, False, False, False, False]
    assert flags("k", 2) == [False, False, True, False, True]  # window 4: b and c agree (down)


def test_opposite_sides_do_not_agree():
    # window 4 with members a (up) and b (down) only: 1 up + 1 down is not 2 agreeing
    a, b, _ = members()
    verdicts, _ = run(Ensemble([a, b], EnsembleParams(mode="all")), [obs(i, 0) for i in range(5)])
    assert verdicts[4].is_anomaly is False
    assert verdicts[2].is_anomaly is True


def test_verdict_is_the_most_severe_agreeing_member():
    verdicts, _ = run(Ensemble(members(), EnsembleParams(mode="k", k=2)), [obs(i, 0) for i in range(5)])
    assert verdicts[2].score == 6.0
    assert verdicts[2].detector == "2_of(a+b+c):b"
    assert verdicts[4].score == -5.0
    assert verdicts[4].basis == "b basis"  # a (5.0, up) does not agree
    assert verdicts[0].score is None  # all members warming up


def test_an_anomalous_verdict_names_the_agreeing_members_as_sources():
    verdicts, _ = run(Ensemble(members(), EnsembleParams(mode="any")), [obs(i, 0) for i in range(5)])
    assert verdicts[1].sources == ("0:a",)
    assert verdicts[2].sources == ("0:a", "1:b")
    assert verdicts[4].sources == ("1:b", "2:c")  # the larger agreeing side (down), not a (up)
    assert verdicts[3].sources == () and verdicts[0].sources == ()  # not anomalous: no sources


def test_state_is_a_dict_of_member_states():
    ens = Ensemble(members(), EnsembleParams(mode="any"))
    _, state = run(ens, [obs(i, 0) for i in range(2)])
    assert state == {"0:a": {"i": 2}, "1:b": {"i": 2}, "2:c": {"i": 2}}


def test_k_larger_than_members_is_refused():
    with pytest.raises(ValueError, match=r"k=4 exceeds the 3 members"):
        Ensemble(members(), EnsembleParams(mode="k", k=4))


def test_max_mode_flags_as_any_and_scores_in_units_of_each_members_threshold():
    class Scaled(Scripted):
        def observe(self, state, o):
            v, st = super().observe(state, o)
            return Verdict(
                v.observed,
                v.expected,
                v.spread,
                None if v.score is None else v.score * 10,
                30.0,
                v.is_anomaly,
                v.detector,
                v.basis,
            ), st

    a = Scripted("a", [None, 4.0, 1.0, -2.0])  # threshold 3
    b = Scaled("b", [None, 1.0, 2.0, -2.5])  # threshold 30: scores 10, 20, -25
    verdicts, _ = run(Ensemble([a, b], EnsembleParams(mode="max")), [obs(i, 0.0) for i in range(4)])
    assert [v.is_anomaly for v in verdicts] == [False, True, False, False]
    assert verdicts[1].score == pytest.approx(4 / 3)
    assert verdicts[1].threshold == 1.0
    assert verdicts[2].score == pytest.approx(2 / 3)
    assert verdicts[2].detector.endswith(":b")
    assert verdicts[3].score == pytest.approx(-2.5 / 3)
    assert verdicts[3].detector.endswith(":b")
