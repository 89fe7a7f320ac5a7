"""The transformation errors in DLP's ``DeidentifyContentResponse.overview``, as veilwatch counts them.

DLP answers a de-identification with a ``TransformationOverview``: one
``TransformationSummary`` per field (and infoType) and transformation, each with
``SummaryResult``s (``count``, ``code`` SUCCESS or ERROR, ``details``). With
``transformationErrorHandling: leaveUntransformed`` the values DLP could not
transform come back unchanged and are counted there with code ERROR. These become
``(field, reason, count)`` for run_summary.json's ``transformation_errors``, the
shape the local engine reports (:mod:`veilwatch.transforms.deid.transformation_errors`):

* field: the summary's ``field`` (a table header, i.e. a configured path); a name
  that is not one of the request's columns is counted as ``OUTSIDE_SCHEMA``;
* reason: ``<primitive>: DLP could not transform the value`` (with ``(a <INFO_TYPE>
  finding)`` for a finding in scanned text, when the name is well formed). DLP's ``details`` are not copied: they
  are free text from the API and may quote the value.

    for field, reason, count in overview_errors(response.overview, ("visit",)):
        errors.count_reported(field, reason, count)
"""

from __future__ import annotations

from collections.abc import Collection, Iterator

from google.cloud.dlp_v2 import types as dlp

from veilwatch.transforms.config.info_types import is_well_formed
from veilwatch.transforms.deid.transformation_errors import OUTSIDE_SCHEMA

_ERROR = dlp.TransformationSummary.TransformationResultCode.ERROR


def overview_errors(
    overview: dlp.TransformationOverview, columns: Collection[str]
) -> Iterator[tuple[str, str, int]]:
    """(field, reason, count) for every ERROR result of ``overview``; ``columns`` are the request's headers."""
    for summary in overview.transformation_summaries:
        errors = sum(r.count for r in summary.results if r.code == _ERROR and r.count > 0)
        if not errors:
            continue
        name = summary.field.name
        field = name if name in columns else OUTSIDE_SCHEMA
        reason = f"{_primitive_name(summary)}: DLP could not transform the value"
        if summary.info_type.name:  # from the API: only a well-formed name goes into a reason
            kind = summary.info_type.name if is_well_formed(summary.info_type.name) else "malformed infoType"
            reason += f" (a {kind} finding)"
        yield field, reason, errors


def _primitive_name(summary: dlp.TransformationSummary) -> str:
    """DLP's JSON name of the summary's primitive (``dateShiftConfig``), or ``transformation``."""
    primitives = [summary.transformation] + [
        f.primitive_transformation for f in summary.field_transformations
    ]
    for primitive in primitives:
        pb = dlp.PrimitiveTransformation.pb(primitive)
        which = pb.WhichOneof("transformation")
        if which:
            return pb.DESCRIPTOR.fields_by_name[which].camelcase_name
    return "transformation"
