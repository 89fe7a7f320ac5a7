import pytest

from veilwatch.transforms.anomaly.base import Direction
from veilwatch.transforms.anomaly.detectors.ensemble import Ensemble
from veilwatch.transforms.anomaly.detectors.seasonal import Seasonal
from veilwatch.transforms.anomaly.registry import DETECTORS, build_detector, parse_cooldown, parse_detector
from veilwatch.transforms.config.errors import ConfigError


def issues(mapping, path="anomaly.detector"):
    with pytest.raises(ConfigError, match=r"anomaly\.detector\.") as err:
        parse_detector(mapping, path)
    return {i.path: i.message for i in err.value.issues}


def test_parses_the_documented_example_and_builds_it():
    spec = parse_detector(
        {
            "type": "seasonal",
            "threshold": 4,
            "direction": "both",
            "min_abs_change": 5,
            "warmup": 8,
            "season": "day",
        },
        "d",
    )
    assert spec.params.threshold == 4.0
    assert isinstance(spec.params.threshold, float)
    assert spec.params.direction is Direction.BOTH
    assert spec.params.min_abs_change == 5.0
    detector = build_detector(spec)
    assert isinstance(detector, Seasonal)
    assert detector.params.season == "day"


@pytest.mark.parametrize("kind", sorted(set(DETECTORS) - {"ensemble", "likelihood", "multiscale"}))
def test_every_type_builds_with_defaults_and_round_trips_through_to_dict(kind):
    spec = parse_detector({"type": kind}, "d")
    assert parse_detector(spec.to_dict(), "d") == spec
    build_detector(spec)


def test_unknown_type_names_the_type_key():
    assert "expected one of" in issues({"type": "prophet"})["anomaly.detector.type"]
    assert "anomaly.detector.type" in issues({"threshold": 3})


def test_unknown_keys_and_wrong_types_are_all_reported_with_their_paths():
    found = issues({"type": "ewma", "treshold": 3, "warmup": True, "alpha": "0.1", "direction": "sideways"})
    assert found["anomaly.detector.treshold"].startswith("unknown key")
    assert found["anomaly.detector.warmup"] == "expected an integer, got bool"
    assert found["anomaly.detector.alpha"] == "expected a number, got str"
    assert found["anomaly.detector.direction"] == "expected one of up, down, both"


def test_ranges_and_combinations_are_checked():
    assert issues({"type": "ewma", "alpha": 1.5})["anomaly.detector.alpha"] == "must be at most 1.0"
    assert issues({"type": "iqr", "threshold": -1})["anomaly.detector.threshold"] == "must be at least 0.0"
    assert issues({"type": "seasonal", "periods": 2, "min_periods": 3}) == {
        "anomaly.detector.min_periods": "must not exceed periods"
    }


def test_ensemble_members_are_validated_with_indexed_paths():
    found = issues(
        {
            "type": "ensemble",
            "mode": "k",
            "k": 3,
            "members": [{"type": "seasonal"}, {"type": "robust_zscore", "history": "long"}],
        }
    )
    assert found == {
        "anomaly.detector.members[1].history": "expected an integer, got str",
        "anomaly.detector.k": "exceeds the number of members",
    }
    assert "anomaly.detector.members" in issues({"type": "ensemble"})
    assert "anomaly.detector.members" in issues({"type": "ewma", "members": []})


def test_ensemble_builds_its_members():
    spec = parse_detector(
        {"type": "ensemble", "mode": "all", "members": [{"type": "seasonal"}, {"type": "robust_zscore"}]}, "d"
    )
    detector = build_detector(spec)
    assert isinstance(detector, Ensemble)
    assert detector.name == "all(seasonal+robust_zscore)"
    assert parse_detector(spec.to_dict(), "d") == spec


def test_values_are_never_echoed():
    found = issues({"type": "ewma", "alpha": "alice@example.com"})
    assert "alice" not in " ".join(found.values())


def test_cooldown():
    assert parse_cooldown({"windows": 12, "extend": True}, "c").windows == 12.0
    with pytest.raises(
        ConfigError, match=r"c\.minutes: unknown key; expected one of seconds, windows,"
    ) as err:
        parse_cooldown({"minutes": 5, "extend": "yes"}, "c")
    assert {i.path for i in err.value.issues} == {"c.minutes", "c.extend"}
    assert parse_cooldown({"windows": 48, "per_member": True}, "c").per_member is True
    with pytest.raises(ConfigError) as err:
        parse_cooldown({"per_member": "members"}, "c")
    assert [i.path for i in err.value.issues] == ["c.per_member"]
