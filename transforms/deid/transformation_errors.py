"""DLP's ``transformationErrorHandling``: what a value that cannot be transformed does to its record.

A transformation error is a value the configured primitive cannot handle (a
date shift of a value that is no date, FF1 of a character outside the
alphabet ...). ``pii.transformation_error_handling`` takes DLP's JSON:

* absent (veilwatch's safe default) and ``{throwError: {}}``: the record goes
  to the dead letter, stage ``deidentify`` (or ``scan`` for a finding in free
  text), with the field and the reason, never the value. DLP's throwError
  fails the whole request; a streaming job cannot fail, so the record is what
  fails.
* ``{leaveUntransformed: {}}``: the value is kept as it was and the record goes
  on. Choose it only where an untransformed value is acceptable in the outputs.

Every error is counted per field and reason, like DLP's
``TransformationOverview`` / ``TransformationSummary.SummaryResult`` (count,
code ERROR, details): :meth:`TransformationErrors.drain` hands the counts to the
batch stats (``run_summary.json``'s ``transformation_errors``) and Beam
counters. Reasons are :class:`~veilwatch.transforms.deid.base.TransformationError`
messages, which never hold a value; a field outside the schema (whose key name
is data) is counted under :data:`OUTSIDE_SCHEMA`, never by its name.
"""

from __future__ import annotations

from collections import Counter

from veilwatch.transforms.config.model import TransformationErrorHandling
from veilwatch.transforms.deid.base import TransformationError
from veilwatch.transforms.records.errors import RecordError

# Stats key prefix: transformation_errors|<field>|<outcome>|<reason>
STATS_PREFIX = "transformation_errors|"
OUTSIDE_SCHEMA = "(a field outside the schema)"
DEAD_LETTERED = "dead_lettered"
LEFT_UNTRANSFORMED = "left_untransformed"
_MAX_REASON_CHARS = 200


class TransformationErrors:
    """Applies the configured handling to one transformation error and counts it."""

    def __init__(self, handling: TransformationErrorHandling):
        self.handling = handling
        self.leave_untransformed = handling is TransformationErrorHandling.LEAVE_UNTRANSFORMED
        self.counts: Counter = Counter()

    def handle(self, field: str, exc: TransformationError, stage: str) -> None:
        """Count the error; raise the record's dead letter unless values are left untransformed."""
        reason = str(exc)[:_MAX_REASON_CHARS].replace("|", "/")
        outcome = LEFT_UNTRANSFORMED if self.leave_untransformed else DEAD_LETTERED
        self.counts[f"{STATS_PREFIX}{field.replace('|', '/')}|{outcome}|{reason}"] += 1
        if not self.leave_untransformed:
            raise RecordError(stage, f"field '{field}': {exc}")

    def count_reported(self, field: str, reason: str, count: int) -> None:
        """Count ``count`` errors another engine reports (DLP's TransformationOverview) for values it
        answered with: left untransformed, as DLP's leaveUntransformed does (a throwError request
        fails, and its rows are dead-lettered by the caller). ``reason`` must hold no value."""
        reason = reason[:_MAX_REASON_CHARS].replace("|", "/")
        self.counts[f"{STATS_PREFIX}{field.replace('|', '/')}|{LEFT_UNTRANSFORMED}|{reason}"] += count

    def drain(self) -> dict[str, int]:
        """The counts since the last drain (stats keys), and start again from zero."""
        counts, self.counts = dict(self.counts), Counter()
        return counts


def summary_entries(counts: dict[str, int]) -> list[dict]:
    """run_summary.json's ``transformation_errors``: one entry per field, outcome and reason."""
    entries = []
    for key in sorted(counts):
        if key.startswith(STATS_PREFIX):
            field, outcome, reason = key[len(STATS_PREFIX) :].split("|", 2)
            entries.append({"field": field, "outcome": outcome, "reason": reason, "count": counts[key]})
    return entries
