"""One batch of records through the DLP API: ``content.inspect`` and ``content.deidentify``.

* :meth:`DlpTableEngine.inspect_texts` sends distinct free texts as the rows of a
  one-column table and returns each text's findings (offsets in code points,
  infoType, likelihood; never the quote). A truncated result (more than 3,000
  findings) is split and sent again.
* :meth:`DlpTableEngine.deidentify_records` sends records as table rows (one
  column per declared, scanned or context field) with the DeidentifyConfig the
  dataset config means (or the named templates) and writes the de-identified
  cells back into the records.

Rows the API does not process come back as :class:`~transforms.dlp.caller.RowFailure`.
"""
from __future__ import annotations

from typing import Any, NamedTuple, Sequence

from google.cloud.dlp_v2 import types as dlp

from transforms.config.model import DlpEngineSpec, PiiSpec
from transforms.dlp.batching import RowCost, field_size
from transforms.dlp.caller import BatchCaller, RowFailure, SplitNeeded
from transforms.dlp.client import CALL_TIMEOUT_SECONDS, parent_for
from transforms.dlp.table import column_names, record_row, to_value, write_back

TEXT_COLUMN = "text"
# A row DLP left out of its answer (a recordSuppressions condition matched it).
SUPPRESSED = "suppressed"
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
    def __init__(self, pii: PiiSpec, spec: DlpEngineSpec, client: Any, caller: BatchCaller,
                 deidentify_config: dlp.DeidentifyConfig | None = None,
                 inspect_config: dlp.InspectConfig | None = None, extra_columns: Sequence[str] = ()):
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
        self.scan_indexes = tuple(self.column_paths.index(p) for p in pii.scan_fields)
        self.headers = [dlp.FieldId(name=p) for p in self.column_paths]

    # -- inspect --------------------------------------------------------------------------------
    def _inspect_request(self, rows: list[dlp.Table.Row]) -> dlp.InspectContentRequest:
        request = dlp.InspectContentRequest(
            parent=self.parent,
            item=dlp.ContentItem(table=dlp.Table(headers=[dlp.FieldId(name=TEXT_COLUMN)], rows=rows)))
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
        costs = [RowCost(field_size(dlp.Table.Row.pb(r).ByteSize()), 1, findings_estimate(t))
                 for r, t in zip(rows, texts)]
        overhead = dlp.InspectContentRequest.pb(self._inspect_request([])).ByteSize()

        def send(chunk: Sequence[dlp.Table.Row]) -> list[list[DlpFinding]]:
            response = self.client.inspect_content(request=self._inspect_request(list(chunk)), retry=None,
                                                   timeout=CALL_TIMEOUT_SECONDS)
            if response.result.findings_truncated:
                raise SplitNeeded("DLP truncated the findings (more than its 3,000 per request), "
                                  "even for this text alone")
            per_row: list[list[DlpFinding]] = [[] for _ in chunk]
            for finding in response.result.findings:
                row_index = _row_index(finding)
                if row_index is None or not 0 <= row_index < len(chunk):
                    raise SplitNeeded("DLP returned a finding without a table row")
                span = finding.location.codepoint_range
                per_row[row_index].append(DlpFinding(span.start, span.end, finding.info_type.name,
                                                     dlp.Likelihood(finding.likelihood).name))
            for found in per_row:
                found.sort(key=lambda f: (f.start, -f.end))
            return [_non_overlapping(found) for found in per_row]

        return self.caller.run(rows, costs, overhead, send)

    # -- deidentify -----------------------------------------------------------------------------
    def _deidentify_request(self, rows: list[dlp.Table.Row]) -> dlp.DeidentifyContentRequest:
        request = dlp.DeidentifyContentRequest(
            parent=self.parent, item=dlp.ContentItem(table=dlp.Table(headers=self.headers, rows=rows)))
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
        rows = [record_row(r, self.columns) for r in records]
        costs = []
        for record, row in zip(records, rows):
            estimate = sum(findings_estimate(row.values[i].string_value) for i in self.scan_indexes)
            costs.append(RowCost(field_size(dlp.Table.Row.pb(row).ByteSize()), len(self.columns), estimate))
        overhead = dlp.DeidentifyContentRequest.pb(self._deidentify_request([])).ByteSize()

        def send(chunk: Sequence[dlp.Table.Row]) -> list[dlp.Table.Row]:
            response = self.client.deidentify_content(request=self._deidentify_request(list(chunk)), retry=None,
                                                      timeout=CALL_TIMEOUT_SECONDS)
            rows = list(response.item.table.rows)
            if len(rows) != len(chunk):
                if len(chunk) == 1 and not rows:
                    return [SUPPRESSED]
                # DLP drops suppressed rows without saying which: each row alone tells.
                raise SplitNeeded("DLP returned fewer rows than it was sent")
            return rows

        results = self.caller.run(rows, costs, overhead, send)
        out: list[RowFailure | None] = []
        for record, result in zip(records, results):
            if isinstance(result, RowFailure) or result is SUPPRESSED:
                out.append(result)
                continue
            if len(result.values) != len(self.columns):
                out.append(RowFailure("DLP returned a row with a different number of values"))
                continue
            write_back(record, self.columns, result, self.transformed)
            out.append(None)
        return out


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
