"""DLP's TransformationOverview -> (field, reason, count): nothing from the API's free text gets through."""

from __future__ import annotations

from google.cloud.dlp_v2 import types as dlp

from veilwatch.transforms.deid.transformation_errors import OUTSIDE_SCHEMA
from veilwatch.transforms.dlp.overview import overview_errors

_ERROR = dlp.TransformationSummary.TransformationResultCode.ERROR
_SUCCESS = dlp.TransformationSummary.TransformationResultCode.SUCCESS


def _summary(field, info_type="", errors=1, details="could not shift 'jane@example.com'"):
    return dlp.TransformationSummary(
        field=dlp.FieldId(name=field),
        info_type=dlp.InfoType(name=info_type),
        transformation=dlp.PrimitiveTransformation(
            date_shift_config=dlp.DateShiftConfig(upper_bound_days=5, lower_bound_days=-5)
        ),
        results=[
            dlp.TransformationSummary.SummaryResult(count=errors, code=_ERROR, details=details),
            dlp.TransformationSummary.SummaryResult(count=7, code=_SUCCESS),
        ],
    )


def test_errors_are_counted_per_field_with_the_primitive_and_never_the_details():
    overview = dlp.TransformationOverview(
        transformation_summaries=[
            _summary("visit", errors=3),
            _summary("note", info_type="DATE", errors=2),
            _summary("visit", errors=0),
        ]
    )
    got = list(overview_errors(overview, ("visit", "note")))
    assert got == [
        ("visit", "dateShiftConfig: DLP could not transform the value", 3),
        ("note", "dateShiftConfig: DLP could not transform the value (a DATE finding)", 2),
    ]


def test_a_field_or_info_type_name_from_the_api_that_is_not_ours_is_not_copied():
    overview = dlp.TransformationOverview(
        transformation_summaries=[_summary("jane@example.com", info_type="jane@example.com\nsource: x")]
    )
    [(field, reason, count)] = overview_errors(overview, ("visit",))
    assert field == OUTSIDE_SCHEMA
    assert count == 1
    assert "jane" not in reason
    assert "\n" not in reason
    assert reason.endswith("(a malformed infoType finding)")
