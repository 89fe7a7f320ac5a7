import pytest

from tests.unit.anomaly.helpers import DAY, HOUR, obs, run
from veilwatch.transforms.anomaly.detectors.seasonal import Seasonal, SeasonalParams

# Hourly windows; day d, hour h is window 24 * d + h. Day 0 = Thursday 1970-01-01.
P = dict(
    threshold=3.0,
    season="day",
    periods=2,
    min_periods=2,
    history=4,
    warmup=0,
    min_spread=0.0,
    min_relative_spread=0.0,
)


def day(d, values_by_hour):
    return [obs(24 * d + h, v) for h, v in values_by_hour.items()]


def test_falls_back_to_trailing_history_until_enough_periods_are_seen():
    # Day 1 14:00 has one earlier day (< min_periods 2): trailing 4 windows 110..113
    # -> median 111.5, |deviations| 1.5, 0.5, 0.5, 1.5 -> MAD 1 -> spread 1.4826
    history = day(0, {h: 100 + h for h in range(24)}) + day(1, {h: 100 + h for h in range(10, 14)})
    verdicts, _ = run(Seasonal(SeasonalParams(**P)), history + [obs(24 + 14, 120)])
    v = verdicts[-1]
    assert v.basis == "trailing 4 windows"
    assert v.expected == 111.5
    assert v.spread == pytest.approx(1.4826)


def test_same_slot_of_earlier_days_is_the_baseline():
    # 14:00 was 114 on day 0 and 116 on day 1 -> median 115, MAD 1 -> spread 1.4826
    # day 2 14:00 = 121: score 6 / 1.4826 = 4.047 -> anomaly
    history = day(0, {h: 100 + h for h in range(24)}) + day(1, {h: 102 + h for h in range(24)})
    verdicts, _ = run(Seasonal(SeasonalParams(**P)), history + [obs(48 + 14, 121)])
    v = verdicts[-1]
    assert v.basis == "14:00 over 2 days"
    assert v.expected == 115
    assert v.score == pytest.approx(6 / 1.4826)
    assert v.is_anomaly


def test_only_the_last_k_periods_count():
    # periods 2: on day 4 only days 2 and 3 (114, 116) count, not days 0-1 (1000)
    history = [obs(24 * d + 14, v) for d, v in [(0, 1000), (1, 1000), (2, 114), (3, 116)]]
    verdicts, _ = run(Seasonal(SeasonalParams(**P)), history + [obs(4 * 24 + 14, 115)])
    assert verdicts[-1].expected == 115
    assert not verdicts[-1].is_anomaly


def test_gaps_leave_slots_of_missing_days_out():
    # days 0 and 2 seen, day 1 missing: on day 3 the slot has 2 periods (0 and 2)
    # within the last 3 -> seasonal baseline median(114, 118) = 116
    history = [obs(14, 114), obs(2 * 24 + 14, 118)]
    verdicts, _ = run(Seasonal(SeasonalParams(**{**P, "periods": 3})), history + [obs(3 * 24 + 14, 116)])
    assert verdicts[-1].basis == "14:00 over 2 days"
    assert verdicts[-1].expected == 116


def test_weekly_slots_are_named_by_weekday():
    # 1970-01-03 is a Saturday; weeks 0 and 1 seen at Saturday 14:00
    start = 2 * DAY + 14 * HOUR
    week = 7 * DAY
    history = [obs(int((start + k * week) // HOUR), 50 + k) for k in range(2)]
    d = Seasonal(SeasonalParams(**{**P, "season": "week"}))
    verdicts, _ = run(d, history + [obs(int((start + 2 * week) // HOUR), 50)])
    assert verdicts[-1].basis == "Saturday 14:00 over 2 weeks"


def test_neighbours_pool_adjacent_slots():
    # neighbours 1: slots 13, 14, 15 of days 0 and 1 -> 113, 114, 115, 113, 114, 115: median 114
    history = day(0, {h: 100 + h for h in range(24)}) + day(1, {h: 100 + h for h in range(24)})
    verdicts, _ = run(Seasonal(SeasonalParams(**{**P, "neighbours": 1})), history + [obs(48 + 14, 114)])
    assert verdicts[-1].expected == 114
    # |deviations| 1, 0, 1, 1, 0, 1 -> MAD 1
    assert verdicts[-1].spread == pytest.approx(1.4826)


def test_unknown_season_is_refused():
    with pytest.raises(ValueError, match=r"season must be one of"):
        Seasonal(SeasonalParams(season="month"))


SILENT = dict(P, spread="residuals", min_gain=3.0, fallback="none", neighbours=0)


def test_fallback_none_is_silent_until_the_slot_baseline_exists():
    verdicts, _ = run(Seasonal(SeasonalParams(**SILENT)), day(0, {h: 100 + h for h in range(24)}))
    assert len(verdicts) == 24
    assert all(v.score is None for v in verdicts)
    assert all(v.basis == "no seasonal baseline" for v in verdicts)


def test_min_gain_uses_the_season_only_where_it_explains_the_series():
    # Repeating days 100 + h: every residual is 0 and the trailing 4 windows spread
    # over several units, so the slot baseline is used (gain infinite) and a
    # broken hour stands out.
    days = [o for d in range(3) for o in day(d, {h: 100 + h for h in range(24)})]
    verdicts, _ = run(Seasonal(SeasonalParams(**SILENT)), days + [obs(3 * 24 + 14, 130)])
    assert verdicts[-1].basis == "14:00 over 2 days"
    assert verdicts[-1].is_anomaly
    # Days that do not repeat (the hours reversed every other day): residuals are as
    # wide as the series itself, the gain stays below 3 and the detector stays silent.
    shuffled = [o for d in range(3) for o in day(d, {h: 100 + (h if d % 2 else 23 - h) for h in range(24)})]
    verdicts, _ = run(
        Seasonal(SeasonalParams(**{**SILENT, "history": 24})), shuffled + [obs(3 * 24 + 14, 130)]
    )
    assert verdicts[-1].basis == "no seasonal baseline"
    assert not verdicts[-1].is_anomaly
