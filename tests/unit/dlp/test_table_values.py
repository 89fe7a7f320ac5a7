"""DLP table cells back to JSON values (``veilwatch.transforms.dlp.table.from_value``), one per kind of Value."""

from __future__ import annotations

import datetime as dt

import pytest
from google.cloud.dlp_v2 import types as dlp

from veilwatch.transforms.dlp.table import from_value, to_value


@pytest.mark.parametrize(
    "value, expected",
    [
        (dlp.Value(string_value="a"), "a"),
        (dlp.Value(integer_value=7), 7),
        (dlp.Value(float_value=1.5), 1.5),
        (dlp.Value(boolean_value=True), True),
        (dlp.Value(date_value={"year": 2026, "month": 3, "day": 9}), "2026-03-09"),
        (dlp.Value(time_value={"hours": 7, "minutes": 5, "seconds": 3}), "07:05:03"),
        (dlp.Value(timestamp_value=dt.datetime(2026, 3, 9, 7, 5, tzinfo=dt.UTC)), "2026-03-09T07:05:00Z"),
        # The cell of a day of the week reads as its name (an AttributeError before the fix: the DLP
        # types module has no DayOfWeek; the enum is google.type's). Found by mypy.
        (dlp.Value(day_of_week_value=3), "WEDNESDAY"),
        (dlp.Value(), None),
    ],
)
def test_every_kind_of_cell_reads_back(value, expected):
    assert from_value(value) == expected


def test_a_string_round_trips():
    assert from_value(to_value("jane")) == "jane"
