"""``veilwatch reidentify`` with ``pii.engine: dlp`` (mode deidentify): ``content.reidentify``.

Tokens DLP made are restored by DLP, with the keys named in the config
(``cryptoKey``: DLP unwraps a ``kmsWrapped`` key itself, so the workers never
hold the key). The request is the de-identification config cut down to what
``--fields`` asks for (the plan of :class:`~veilwatch.transforms.deid.reidentifier.ReidentifyPlan`,
which already refused one-way fields): the declared fields' reversible
primitives, and for scanned text the transformations with a surrogate infoType,
found again by an InspectConfig of ``surrogateType`` custom infoTypes, as DLP's
re-identification requires.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from google.cloud.dlp_v2 import types as dlp
from google.protobuf import json_format

from veilwatch.transforms.config.model import DatasetConfig, DlpMode
from veilwatch.transforms.deid.reidentifier import ReidentifyPlan
from veilwatch.transforms.dlp.caller import BatchCaller, RowFailure, SplitNeeded
from veilwatch.transforms.dlp.client import CALL_TIMEOUT_SECONDS, build_client, parent_for
from veilwatch.transforms.dlp.engine import context_fields
from veilwatch.transforms.dlp.rate_limit import shared_limiter
from veilwatch.transforms.dlp.table import (
    cell_problem,
    column_names,
    record_row,
    row_cost,
    with_refused,
    write_back,
)


def reidentify_configs(config: DatasetConfig, plan: ReidentifyPlan) -> tuple[dict, dict | None]:
    """The reidentify DeidentifyConfig and InspectConfig (DLP's JSON) for ``plan``."""
    from veilwatch.transforms.dlp.convert import deidentify_config_for

    full = json_format.MessageToDict(dlp.DeidentifyConfig.pb(deidentify_config_for(config)))
    wanted = {step.path for step in plan.fields}
    texts = {step.path: {name for name, _ in step.specs} for step in plan.texts}
    out: list[dict] = []
    surrogates: set[str] = set()
    for item in full.get("recordTransformations", {}).get("fieldTransformations", []):
        names = [f["name"] for f in item.get("fields", [])]
        if "primitiveTransformation" in item:
            keep = [n for n in names if n in wanted]
            if keep:
                out.append(
                    {
                        "fields": [{"name": n} for n in keep],
                        "primitiveTransformation": item["primitiveTransformation"],
                    }
                )
            continue
        for name in names:
            if name not in texts:
                continue
            kept = []
            for t in item.get("infoTypeTransformations", {}).get("transformations", []):
                primitive = t.get("primitiveTransformation", {})
                surrogate = _surrogate(primitive)
                if surrogate in texts[name]:
                    kept.append({"infoTypes": [{"name": surrogate}], "primitiveTransformation": primitive})
                    surrogates.add(surrogate)
            if kept:
                out.append({"fields": [{"name": name}], "infoTypeTransformations": {"transformations": kept}})
    inspect = (
        {"customInfoTypes": [{"infoType": {"name": s}, "surrogateType": {}} for s in sorted(surrogates)]}
        if surrogates
        else None
    )
    return {"recordTransformations": {"fieldTransformations": out}}, inspect


def restored_by_dlp(config: DatasetConfig, plan: ReidentifyPlan) -> bool:
    """Whether ``content.reidentify`` restores what ``plan`` asks for: the DLP engine made the tokens
    (mode deidentify), and with ``pii.dlp.fields`` every requested field is one DLP de-identified
    (the others were made locally, with the keyset). Raises ValueError when the plan mixes both."""
    pii = config.pii
    if pii.dlp is None or pii.dlp.mode is not DlpMode.DEIDENTIFY:
        return False
    if pii.dlp.fields is None:
        return True
    paths = [s.path for s in plan.fields] + [s.path for s in plan.texts]
    by_dlp = {path in pii.dlp.fields for path in paths}
    if len(by_dlp) > 1:
        raise ValueError(
            "--fields names fields pii.dlp.fields sends to DLP (restored by content.reidentify) "
            "and fields the local engine de-identified (restored with the keyset): restore each "
            "group in a run of its own"
        )
    return by_dlp == {True}


def _surrogate(primitive: dict) -> str | None:
    """The surrogate infoType name of a primitive in DLP's JSON, or None."""
    for params in primitive.values():
        if isinstance(params, dict):
            name = params.get("surrogateInfoType", {}).get("name")
            if name:
                return name
    return None


class DlpRecordReidentifier:
    """Built in the re-identify DoFn's ``setup()``; ``reidentify_batch`` per bundle."""

    def __init__(
        self,
        config: DatasetConfig,
        plan: ReidentifyPlan,
        client: Any = None,
        caller: BatchCaller | None = None,
    ):
        spec = config.pii.dlp
        assert spec is not None, "config validation requires pii.dlp with the DLP engine"
        self.parent = parent_for(spec)
        self.template = spec.reidentify_template_name
        reid, inspect = reidentify_configs(config, plan)
        self.reidentify_config = dlp.DeidentifyConfig.from_json(json.dumps(reid))
        self.inspect_config = dlp.InspectConfig.from_json(json.dumps(inspect)) if inspect else None
        self.client = client if client is not None else build_client(spec)
        self.caller = caller or BatchCaller(
            shared_limiter((spec.project, spec.location), spec.requests_per_minute), spec.max_attempts
        )
        restored = column_names([s.path for s in plan.fields] + [s.path for s in plan.texts])
        extra = [c for c in context_fields(reid) if config.field(c) is not None]
        self.column_paths = column_names(list(restored) + extra)
        self.columns = tuple(tuple(p.split(".")) for p in self.column_paths)
        self.restored = frozenset(range(len(restored)))
        self.headers = [dlp.FieldId(name=p) for p in self.column_paths]

    def _request(self, rows: list[dlp.Table.Row]) -> dlp.ReidentifyContentRequest:
        request = dlp.ReidentifyContentRequest(
            parent=self.parent, item=dlp.ContentItem(table=dlp.Table(headers=self.headers, rows=rows))
        )
        if self.template:
            request.reidentify_template_name = self.template
        else:
            request.reidentify_config = self.reidentify_config
        if self.inspect_config is not None:
            request.inspect_config = self.inspect_config
        return request

    def reidentify_batch(self, records: Sequence[dict]) -> list[str | None]:
        """Restore ``records`` in place; per record None, or the reason it was not restored."""
        if not records:
            return []
        refused = {
            i: problem
            for i, r in enumerate(records)
            if (problem := cell_problem(r, self.columns, self.column_paths, self.restored))
        }
        if refused:  # those fail here; the others are sent
            return with_refused(records, refused, self.reidentify_batch)
        rows = [record_row(r, self.columns) for r in records]
        costs = [row_cost(r, len(self.columns), 1) for r in rows]
        overhead = dlp.ReidentifyContentRequest.pb(self._request([])).ByteSize()

        def send(chunk: Sequence[dlp.Table.Row]) -> list[dlp.Table.Row]:
            response = self.client.reidentify_content(
                request=self._request(list(chunk)), retry=None, timeout=CALL_TIMEOUT_SECONDS
            )
            rows_back = list(response.item.table.rows)
            if len(rows_back) != len(chunk):
                raise SplitNeeded("DLP returned a different number of rows than it was sent")
            return rows_back

        out: list[str | None] = []
        for record, result in zip(records, self.caller.run(rows, costs, overhead, send), strict=True):
            if isinstance(result, RowFailure):
                out.append(result.reason)
                continue
            write_back(record, self.columns, result, self.restored)
            out.append(None)
        return out

    def reidentify(self, record: dict) -> None:
        """One record (the per-record interface of RecordReidentifier)."""
        from veilwatch.transforms.records.errors import RecordError

        reason = self.reidentify_batch([record])[0]
        if reason is not None:
            raise RecordError("reidentify", reason)
