"""One batch of records through the DLP API: ``content.inspect`` and ``content.deidentify``.

* :meth:`DlpTableEngine.inspect_texts` sends distinct free texts as the rows of a
  one-column table and returns each text's findings (offsets in code points,
  infoType, likelihood; never the quote). A truncated result (more than 3,000
  findings) is split and sent again.
* :meth:`DlpTableEngine.deidentify_records` sends records as table rows (one
  column per declared, scanned, context or condition field, and a last one with
  the row's index, ``ROW_ID_COLUMN``) with the DeidentifyConfig the dataset
  config means (or the named templates) and writes the de-identified cells back
  into the records; the row ids tell which rows DLP's recordSuppressions left out.

Rows the API does not process come back as :class:`~veilwatch.transforms.dlp.caller.RowFailure`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from google.cloud.dlp_v2 import types as dlp

from veilwatch.transforms.config.model import DlpEngineSpec, PiiSpec
from veilwatch.transforms.deid.transformation_errors import TransformationErrors
from veilwatch.transforms.dlp.caller import BatchCaller, RowFailure, SplitNeeded
from veilwatch.transforms.dlp.client import CALL_TIMEOUT_SECONDS, parent_for
from veilwatch.transforms.dlp.overview import overview_errors
from veilwatch.transforms.dlp.table import (
    cell_problem,
    column_names,
    record_row,
    row_cost,
    to_value,
    with_refused,
    write_back,
)

TEXT_COLUMN = "text"
# A row DLP left out of its answer (a recordSuppressions condition matched it).
SUPPRESSED = "suppressed"
# The last column of a deidentify request: each row's index in the bundle, a plain integer no
# transformation names, so that the rows of DLP's answer (suppressed ones are left out) are
# matched to their records without one request per row.
ROW_ID_COLUMN = "veilwatch_row_id"
# Findings expected per this many characters of scanned text (plus one per text): sizes batches
# so that most stay under DLP's 3,000 findings; the rest are split when the API says so.
CHARS_PER_FINDING_ESTIMATE = 200


class DlpFinding(NamedTuple):
    """A finding as the local scanner reports it (the shape RecordDeidentifier reads)."""

    start: int
    end: int
    info_type: str
    likelihood: str


def findings_estimate(text: Any) -> int:
    return 1 + len(text) // CHARS_PER_FINDING_ESTIMATE if isinstance(text, str) and text else 0


def context_fields(config_json: Any) -> list[str]:
    """Field names under every ``context: {name: ...}`` of a DeidentifyConfig in JSON form."""
    found: list[str] = []
    stack = [config_json]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ctx = node.get("context")
            if isinstance(ctx, dict) and isinstance(ctx.get("name"), str):
                found.append(ctx["name"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return sorted(set(found))


class DlpTableEngine:
    def __init__(
        self,
        pii: PiiSpec,
        spec: DlpEngineSpec,
        client: Any,
        caller: BatchCaller,
        deidentify_config: dlp.DeidentifyConfig | None = None,
        inspect_config: dlp.InspectConfig | None = None,
        extra_columns: Sequence[str] = (),
    ):
        self.spec = spec
        self.client = client
        self.caller = caller
        self.parent = parent_for(spec)
        self.deidentify_config = deidentify_config
        self.inspect_config = inspect_config
        transformed = column_names([p.path for p in pii.fields] + list(pii.scan_fields))
        self.column_paths = column_names(list(transformed) + list(extra_columns))
        self.columns = tuple(tuple(path.split(".")) for path in self.column_paths)
        self.transformed = frozenset(range(len(transformed)))
        # Columns DLP scans (findings estimates): scanned fields, and fields scanned by their own item.
        scanned = column_names(
            list(pii.scan_fields) + [p.path for p in pii.fields if p.transformation is None]
        )
        self.scan_indexes = tuple(self.column_paths.index(p) for p in scanned)
        self.headers = [dlp.FieldId(name=p) for p in self.column_paths]
        # Errors DLP reports in its answers' overview (leaveUntransformed), for run_summary.json.
        self.transformation_errors = TransformationErrors(pii.transformation_error_handling)
        row_id = ROW_ID_COLUMN
        while row_id in self.column_paths:
            row_id = "_" + row_id
        self.deidentify_headers = self.headers + [dlp.FieldId(name=row_id)]
        # Whether DLP may leave rows out of a deidentify answer: only a recordSuppressions condition
        # does, in the config sent or (unknown here) in a named template.
        self.may_suppress = bool(spec.deidentify_template_name) or (
            deidentify_config is not None
            and len(deidentify_config.record_transformations.record_suppressions) > 0
        )

    # -- inspect --------------------------------------------------------------------------------
    def _inspect_request(self, rows: list[dlp.Table.Row]) -> dlp.InspectContentRequest:
        request = dlp.InspectContentRequest(
            parent=self.parent,
            item=dlp.ContentItem(table=dlp.Table(headers=[dlp.FieldId(name=TEXT_COLUMN)], rows=rows)),
        )
        if self.spec.inspect_template_name:
            request.inspect_template_name = self.spec.inspect_template_name
        elif self.inspect_config is not None:
            request.inspect_config = self.inspect_config
        return request

    def inspect_texts(self, texts: Sequence[str]) -> list[list[DlpFinding] | RowFailure]:
        """Findings per text (in order), or a RowFailure."""
        if not texts:
            return []
        rows = [dlp.Table.Row(values=[to_value(t)]) for t in texts]
        costs = [row_cost(r, 1, findings_estimate(t)) for r, t in zip(rows, texts, strict=True)]
        overhead = dlp.InspectContentRequest.pb(self._inspect_request([])).ByteSize()

        def send(chunk: Sequence[dlp.Table.Row]) -> list[list[DlpFinding]]:
            response = self.client.inspect_content(
                request=self._inspect_request(list(chunk)), retry=None, timeout=CALL_TIMEOUT_SECONDS
            )
            if response.result.findings_truncated:
                raise SplitNeeded(
                    "DLP truncated the findings (more than its 3,000 per request), even for this text alone"
                )
            per_row: list[list[DlpFinding]] = [[] for _ in chunk]
            for finding in response.result.findings:
                row_index = _row_index(finding)
                if row_index is None or not 0 <= row_index < len(chunk):
                    raise SplitNeeded("DLP returned a finding without a table row")
                span = finding.location.codepoint_range
                if not 0 <= span.start < span.end <= len(chunk[row_index].values[0].string_value):
                    # a range that is not within its text would have the text rewritten wrongly
                    # (a reversed one leaves the finding in clear): each text alone tells which
                    raise SplitNeeded("DLP returned a finding outside its text")
                per_row[row_index].append(
                    DlpFinding(
                        span.start, span.end, finding.info_type.name, dlp.Likelihood(finding.likelihood).name
                    )
                )
            for found in per_row:
                found.sort(key=lambda f: (f.start, -f.end))
            return [_non_overlapping(found) for found in per_row]

        return self.caller.run(rows, costs, overhead, send)

    # -- deidentify -----------------------------------------------------------------------------
    def _deidentify_request(self, rows: list[dlp.Table.Row]) -> dlp.DeidentifyContentRequest:
        request = dlp.DeidentifyContentRequest(
            parent=self.parent,
            item=dlp.ContentItem(table=dlp.Table(headers=self.deidentify_headers, rows=rows)),
        )
        if self.spec.deidentify_template_name:
            request.deidentify_template_name = self.spec.deidentify_template_name
        elif self.deidentify_config is not None:
            request.deidentify_config = self.deidentify_config
        if self.spec.inspect_template_name:
            request.inspect_template_name = self.spec.inspect_template_name
        elif self.inspect_config is not None:
            request.inspect_config = self.inspect_config
        return request

    def deidentify_records(self, records: Sequence[dict]) -> list[RowFailure | str | None]:
        """De-identify ``records`` in place; None per record done, SUPPRESSED for a row DLP's
        recordSuppressions left out, else its RowFailure."""
        if not records:
            return []
        refused = {
            i: RowFailure(problem)
            for i, r in enumerate(records)
            if (problem := cell_problem(r, self.columns, self.column_paths, self.transformed))
        }
        if refused:  # those fail here; the others are sent
            return with_refused(records, refused, self.deidentify_records)
        rows = [record_row(r, self.columns) for r in records]
        costs = []
        for index, row in enumerate(rows):
            row.values.append(to_value(index))  # the row id (ROW_ID_COLUMN)
            estimate = sum(findings_estimate(row.values[i].string_value) for i in self.scan_indexes)
            costs.append(row_cost(row, len(self.columns) + 1, estimate))
        overhead = dlp.DeidentifyContentRequest.pb(self._deidentify_request([])).ByteSize()

        answered: list[dlp.TransformationOverview] = []

        def send(chunk: Sequence[dlp.Table.Row]) -> list[dlp.Table.Row | str]:  # a row, or SUPPRESSED
            response = self.client.deidentify_content(
                request=self._deidentify_request(list(chunk)), retry=None, timeout=CALL_TIMEOUT_SECONDS
            )
            answered.append(response.overview)
            rows = list(response.item.table.rows)
            if len(rows) != len(chunk):
                # Only recordSuppressions leave rows out: without any, a shorter answer is a fault
                # (its rows are sent again in halves, and a row alone still missing fails).
                if len(rows) < len(chunk) and self.may_suppress:
                    matched = _match_by_row_id(chunk, rows)
                    if matched is not None:
                        return matched
                    if len(chunk) == 1 and not rows:
                        return [SUPPRESSED]
                # Row ids that did not come back intact (a template transformed them): each row alone tells.
                raise SplitNeeded(f"DLP answered with {len(rows)} rows for the {len(chunk)} it was sent")
            return rows

        results = self.caller.run(rows, costs, overhead, self._counting_overview(send, answered))
        out: list[RowFailure | str | None] = []
        for record, result in zip(records, results, strict=True):
            if isinstance(result, RowFailure) or result is SUPPRESSED:
                out.append(result)
                continue
            if len(result.values) != len(self.columns) + 1:
                out.append(RowFailure("DLP returned a row with a different number of values"))
                continue
            write_back(record, self.columns, result, self.transformed)
            out.append(None)
        return out

    def _counting_overview(self, send: Any, answered: list) -> Any:
        """``send`` that counts the transformation errors in the overview of each answer it uses
        (not of an answer dropped for a split: its rows are sent again)."""

        def counted(chunk: Sequence[dlp.Table.Row]) -> list:
            answered.clear()
            rows = send(chunk)
            for overview in answered:
                for field, reason, count in overview_errors(overview, self.column_paths):
                    self.transformation_errors.count_reported(field, reason, count)
            return rows

        return counted

    def copy_transformed(self, source: dict, target: dict) -> None:
        """The cells DLP de-identified in ``source`` (a copy sent to DLP), put into ``target``."""
        write_back(target, self.columns, record_row(source, self.columns), self.transformed)


def _match_by_row_id(sent: Sequence[dlp.Table.Row], answer: list[dlp.Table.Row]) -> list | None:
    """The answer's rows in the places of the rows sent (SUPPRESSED for a row DLP left out), by the
    row id each row carries last; None when the ids did not come back as a subsequence of those sent."""
    places = {_row_id(row): k for k, row in enumerate(sent)}
    out: list = [SUPPRESSED] * len(sent)
    last = -1
    for row in answer:
        k = places.get(_row_id(row)) if row.values else None
        if k is None or k <= last:
            return None
        out[k] = row
        last = k
    return out


def _row_id(row: dlp.Table.Row) -> int | None:
    value = row.values[-1]
    return value.integer_value if dlp.Value.pb(value).WhichOneof("type") == "integer_value" else None


def _row_index(finding: dlp.Finding) -> int | None:
    for location in finding.location.content_locations:
        if "record_location" in location:
            return location.record_location.table_location.row_index
    return None


def _non_overlapping(found: list[DlpFinding]) -> list[DlpFinding]:
    """DLP may report overlapping findings of different infoTypes; a text is rewritten once per
    span, so the first (longest at a start) wins, as the local engine resolves overlaps."""
    out: list[DlpFinding] = []
    end = -1
    for f in found:
        if f.start >= end:
            out.append(f)
            end = f.end
    return out
