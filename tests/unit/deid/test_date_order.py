"""Which number of a ``dd/dd/yyyy`` date is the day, for ``dateShiftConfig`` (and every primitive
reading dates). DLP's DateShiftConfig has no setting for the order (only its bounds, context and
key), so veilwatch reads such a date as DLP's US form: month first, unless the first number is above
12 (then day first); dotted dates are day first. The output keeps the layout it was read in."""

from __future__ import annotations

import pytest

from veilwatch.transforms.deid.base import ValueContext
from veilwatch.transforms.deid.registry import build_transformation, parse_transformation


@pytest.fixture(scope="module")
def shift_three_days():
    spec = parse_transformation({"dateShiftConfig": {"lowerBoundDays": 3, "upperBoundDays": 3}}, "t")
    shift = build_transformation(spec, None)  # no context: no key needed
    return lambda value: shift.transform(value, ValueContext(None, {}, "f", {}))


@pytest.mark.parametrize(
    "value, shifted",
    [
        ("01/15/2016", "01/18/2016"),  # month first, as DLP reads it
        ("05/01/2016", "05/04/2016"),  # ambiguous: month first (May 1), even if meant day first
        ("05-01-2016", "05-04-2016"),
        ("15/01/2016", "18/01/2016"),  # the first number is above 12: day first, kept day first
        ("31/12/2016", "03/01/2017"),  # still day first on output (3 January 2017)
        ("05.01.2016", "08.01.2016"),  # dotted: day first (5 January)
    ],
)
def test_slash_and_dash_dates_read_month_first_unless_the_first_number_is_above_12(
    shift_three_days, value, shifted
):
    assert shift_three_days(value) == shifted
