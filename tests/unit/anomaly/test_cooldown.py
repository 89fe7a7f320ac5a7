import json

from tests.unit.anomaly.helpers import HOUR, obs
from veilwatch.transforms.anomaly.cooldown import Cooldown


def alerts(cooldown, anomalous_windows, n=10):
    state, out = cooldown.initial_state(), []
    for i in range(n):
        alert, state = cooldown.apply(state, obs(i, 0), i in anomalous_windows)
        if alert:
            out.append(i)
    return out


def test_alerts_are_suppressed_for_the_duration_after_an_alert():
    # windows=3 (hourly): alert at 0 suppresses 1 and 2 (start < 0 + 3h); 3 alerts;
    # 5 is within 3 + 3h and is suppressed; 6 alerts again
    assert alerts(Cooldown(windows=3), {0, 1, 2, 3, 5, 6}) == [0, 3, 6]


def test_seconds_and_windows_add_up():
    # 1 hour + 1 window of 1 hour = 2 hours: alert 0, suppress 1, alert 2
    assert Cooldown(seconds=HOUR, windows=1).duration(obs(0, 0)) == 2 * HOUR
    assert alerts(Cooldown(seconds=HOUR, windows=1), {0, 1, 2}) == [0, 2]


def test_no_cooldown_alerts_every_anomaly():
    assert alerts(Cooldown(), {1, 2, 4}) == [1, 2, 4]


def test_extend_restarts_the_cooldown_on_every_anomalous_window():
    # windows=2, extend: 0 alerts; 1, 2, 3 anomalous and suppressed, each restarting;
    # 5 is 2 windows after 3 -> alerts
    assert alerts(Cooldown(windows=2, extend=True), {0, 1, 2, 3, 5}) == [0, 5]
    assert alerts(Cooldown(windows=2), {0, 1, 2, 3, 5}) == [0, 2, 5]


def test_state_is_json_and_not_mutated():
    cd = Cooldown(windows=3)
    state = cd.initial_state()
    _, new = cd.apply(state, obs(4, 0), True)
    assert state == {"last_alert": None}
    assert new == {"last_alert": 4 * HOUR}


def member_alerts(cooldown, flagged_by, n=12):
    """Windows that alert when window i is flagged by the members in ``flagged_by[i]``."""
    state, out = cooldown.initial_state(), []
    for i in range(n):
        sources = tuple(flagged_by.get(i, ()))
        alert, state = cooldown.apply(state, obs(i, 0), bool(sources), sources)
        if alert:
            out.append(i)
    return out, state


def test_per_member_a_false_alarm_of_one_member_does_not_hide_another_member():
    # context flags 0 (a false alarm), a new level flags 2 (the incident), context again at 3
    flagged_by = {0: ["3:context"], 2: ["0:new level"], 3: ["3:context"], 4: ["0:new level"]}
    assert member_alerts(Cooldown(windows=5, per_member=True), flagged_by)[0] == [0, 2]
    assert member_alerts(Cooldown(windows=5), flagged_by)[0] == [0]  # one cooldown for the series


def test_per_member_an_alert_starts_the_cooldown_of_every_member_that_flagged_it():
    flagged_by = {0: ["a", "b"], 2: ["b"], 3: ["a"], 6: ["b"], 7: ["c", "a"]}
    alerts, state = member_alerts(Cooldown(windows=5, per_member=True), flagged_by)
    assert alerts == [0, 6, 7]  # 2 and 3 are within a's and b's cooldown from 0; c is new at 7
    assert state == {"last_alert": 7 * HOUR, "members": {"a": 7 * HOUR, "b": 6 * HOUR, "c": 7 * HOUR}}


def test_per_member_without_sources_is_one_cooldown_for_the_series():
    cooldown = Cooldown(windows=3, per_member=True)
    assert alerts(cooldown, {0, 1, 2, 3, 5, 6}) == [0, 3, 6]  # as test_alerts_are_suppressed_...


def test_per_member_extend_restarts_the_flagging_members_cooldown():
    flagged_by = {0: ["a"], 2: ["a"], 4: ["a"], 5: ["b"], 7: ["a"]}  # extend: a held at 2 and 4, free at 7
    assert member_alerts(Cooldown(windows=3, extend=True, per_member=True), flagged_by)[0] == [0, 5, 7]
    assert member_alerts(Cooldown(windows=3, per_member=True), flagged_by)[0] == [0, 4, 5, 7]


def test_per_member_state_is_json_and_not_mutated():
    cd = Cooldown(windows=3, per_member=True)
    state = cd.initial_state()
    _, new = cd.apply(state, obs(4, 0), True, ("0:a",))
    assert state == {"last_alert": None, "members": {}}
    assert json.loads(json.dumps(new)) == new == {"last_alert": 4 * HOUR, "members": {"0:a": 4 * HOUR}}
