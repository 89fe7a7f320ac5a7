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
