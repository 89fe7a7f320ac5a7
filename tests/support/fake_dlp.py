"""An in-process Cloud DLP: a gRPC server speaking ``google.privacy.dlp.v2.DlpService``.

The google-cloud-dlp client veilwatch uses talks to it unchanged (only the
channel differs: insecure, on 127.0.0.1). It implements the methods veilwatch
calls, ``InspectContent``, ``DeidentifyContent`` and ``ReidentifyContent``, for
table items (and ``value`` strings), with DLP's own request and response
messages, and computes its answers:

* transformations: each primitive of the request's DeidentifyConfig, in DLP's
  JSON form (``MessageToDict``), is parsed and built by veilwatch's local
  registry (``veilwatch.transforms.deid.registry``); veilwatch's config is DLP's JSON, so
  this is the local implementation of DLP's semantics, not a canned answer;
* findings: veilwatch's local detection engine, for the InspectConfig's
  infoTypes and minimum likelihood (offsets in code points, never quotes);
* DLP's limits: a request over 0.5 MB (524,288 bytes) or a table over 50,000
  values is refused with INVALID_ARGUMENT; a de-identification with more than
  3,000 findings is refused, an inspection with more stops and says
  ``findings_truncated`` (DLP's documented behaviour);
* on demand: answer the next n calls with RESOURCE_EXHAUSTED, UNAVAILABLE or
  DEADLINE_EXCEEDED; every call is recorded (method, serialized size, rows,
  monotonic time) for the tests' rate and size checks; with ``region`` set,
  a parent naming another location is refused (a regional endpoint serves its
  region only).

Record transformations as DLP documents them: each ``fieldTransformations``
item (a primitive over the whole cell, or the cell scanned with its own
``infoTypeTransformations``) applies where its ``condition`` holds, conditions
read the row as it came in (veilwatch's ``veilwatch.transforms.deid.conditions``, DLP's
comparison rules; a field a condition names must be a column), a column gets
the first item that applies, and a row matching a ``recordSuppressions``
condition is left out of the answer's table. ``replaceWithInfoTypeConfig``
over a whole cell replaces each finding in it (the InspectConfig's) with its
infoType's name, DLP's definition of the primitive: a cell has no infoType of
its own, so a value DLP finds nothing in stays as it is (which is why the
engine sends a declared field's own infoType as a ``replaceConfig``).

``transformationErrorHandling``: DLP's default (throw) fails the request; ``leaveUntransformed`` keeps a
whole cell that its primitive cannot take, and the answer's ``overview`` (TransformationOverview) counts
per field and transformation the values done (SUCCESS) and left (ERROR, details quoting the value).

What it does not model: ``leaveUntransformed`` for findings in scanned cells, KMS-wrapped
and transient keys, an InspectConfig's ``ruleSet`` and custom infoTypes (other
than ``surrogateType`` ones, for re-identification), image items, stored
templates beyond a name -> config map.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from concurrent import futures
from typing import Any, NamedTuple

import grpc
from google.cloud.dlp_v2 import DlpServiceClient
from google.cloud.dlp_v2 import types as dlp
from google.cloud.dlp_v2.services.dlp_service.transports import DlpServiceGrpcTransport
from google.protobuf import json_format

from veilwatch.transforms.config.errors import ConfigError
from veilwatch.transforms.deid.base import ValueContext
from veilwatch.transforms.deid.conditions import parse_record_condition
from veilwatch.transforms.deid.crypto.surrogate import SurrogateScanner
from veilwatch.transforms.deid.primitives.simple import ReplaceWithInfoType
from veilwatch.transforms.deid.registry import build_transformation, parse_transformation
from veilwatch.transforms.detection.engine import DetectionEngine
from veilwatch.transforms.detection.findings import Likelihood
from veilwatch.transforms.detection.settings import DetectionSettings
from veilwatch.transforms.dlp.table import from_value, to_value

SERVICE = "google.privacy.dlp.v2.DlpService"
# DLP's limits (https://cloud.google.com/dlp/limits), kept here on their own: the server
# enforces the service's numbers, not the client's idea of them.
MAX_REQUEST_BYTES = 524_288
MAX_TABLE_VALUES = 50_000
MAX_FINDINGS = 3_000
TOO_MANY_FINDINGS = "Too many findings to de-identify. Retry with a smaller request."
# replaceWithInfoTypeConfig over a whole cell: every finding of the cell becomes its infoType's name.
_ALL_FINDINGS_TO_INFO_TYPE = dlp.InfoTypeTransformations.from_json(
    '{"transformations": [{"primitiveTransformation": {"replaceWithInfoTypeConfig": {}}}]}'
)


class Call(NamedTuple):
    method: str
    size: int  # serialized request bytes
    rows: int
    at: float  # time.monotonic() when the server received it
    headers: tuple[str, ...] = ()  # the table's column names (a table item)


class FakeDlp:
    def __init__(self, keys: Any = None, region: str | None = None) -> None:
        from veilwatch.transforms.keys.keyring import NoKeyset

        # DLP takes the keys of its requests (unwrapped ones too): a KeyProvider allowing plaintext keys.
        self.keys = keys if keys is not None else NoKeyset(allow_plaintext_keys=True)
        self.region = region
        self.calls: list[Call] = []
        self.templates: dict[str, Any] = {}  # template name -> DeidentifyConfig or InspectConfig
        self._failures: deque[tuple[grpc.StatusCode, str]] = deque()
        self._tampers: dict[str, deque[Any]] = {"DeidentifyContent": deque(), "InspectContent": deque()}
        self._lock = threading.Lock()
        self._built: dict[bytes, Any] = {}
        self._engines: dict[tuple, DetectionEngine] = {}
        unary = grpc.unary_unary_rpc_method_handler
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        self._server.add_generic_rpc_handlers(
            (
                grpc.method_handlers_generic_handler(
                    SERVICE,
                    {
                        "InspectContent": unary(
                            self._inspect,
                            dlp.InspectContentRequest.deserialize,
                            dlp.InspectContentResponse.serialize,
                        ),
                        "DeidentifyContent": unary(
                            self._deidentify,
                            dlp.DeidentifyContentRequest.deserialize,
                            dlp.DeidentifyContentResponse.serialize,
                        ),
                        "ReidentifyContent": unary(
                            self._reidentify,
                            dlp.ReidentifyContentRequest.deserialize,
                            dlp.ReidentifyContentResponse.serialize,
                        ),
                    },
                ),
            )
        )
        self.port = self._server.add_insecure_port("127.0.0.1:0")
        self.endpoint = f"127.0.0.1:{self.port}"
        self._server.start()

    def stop(self) -> None:
        self._server.stop(grace=None)

    def client(self, endpoint: str | None = None) -> DlpServiceClient:
        """The real client library on an insecure channel to this server."""
        channel = grpc.insecure_channel(endpoint or self.endpoint)
        return DlpServiceClient(transport=DlpServiceGrpcTransport(channel=channel))

    def fail_next(self, code: grpc.StatusCode, times: int = 1, message: str = "") -> None:
        """Answer the next ``times`` calls with ``code`` (e.g. RESOURCE_EXHAUSTED: quota)."""
        default = {
            grpc.StatusCode.RESOURCE_EXHAUSTED: "Quota exceeded for quota metric 'Number of requests' "
            "and limit 'Number of requests per minute'",
            grpc.StatusCode.UNAVAILABLE: "The service is currently unavailable.",
            grpc.StatusCode.DEADLINE_EXCEEDED: "Deadline exceeded",
        }
        with self._lock:
            for _ in range(times):
                self._failures.append((code, message or default.get(code, code.name)))

    def tamper_next(self, change: Any, times: int = 1, method: str = "DeidentifyContent") -> None:
        """Pass the next ``times`` answers of ``method`` through ``change``: a faulty server.
        DeidentifyContent: ``change(rows) -> rows`` (the answer table's rows: missing, added, cut short);
        InspectContent: ``change(findings) -> findings`` (e.g. a range outside its text)."""
        with self._lock:
            self._tampers[method].extend([change] * times)

    def _tampered(self, method: str, items: list) -> list:
        with self._lock:
            change = self._tampers[method].popleft() if self._tampers[method] else None
        return items if change is None else change(items)

    def count(self, method: str) -> int:
        return sum(1 for c in self.calls if c.method == method)

    # -- common checks --------------------------------------------------------------------------
    def _admit(self, method: str, request: Any, context: grpc.ServicerContext) -> None:
        size = type(request).pb(request).ByteSize()
        table = request.item.table if "item" in request and "table" in request.item else None
        rows = len(table.rows) if table is not None else 1
        with self._lock:
            self.calls.append(
                Call(
                    method,
                    size,
                    rows,
                    time.monotonic(),
                    tuple(h.name for h in table.headers) if table is not None else (),
                )
            )
            failure = self._failures.popleft() if self._failures else None
        if failure is not None:
            context.abort(*failure)
        if self.region is not None and not request.parent.endswith(f"/locations/{self.region}"):
            context.abort(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"This regional endpoint serves location {self.region} only; the parent names another.",
            )
        if size > MAX_REQUEST_BYTES:
            context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, f"Content size {size} exceeds limit of {MAX_REQUEST_BYTES}"
            )
        if table is not None:
            values = sum(len(r.values) for r in table.rows)
            if values > MAX_TABLE_VALUES:
                context.abort(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"Table has {values} values, which exceeds the limit of {MAX_TABLE_VALUES} values",
                )

    def _config(self, request: Any, field: str, template_field: str, kind: Any, context) -> Any:
        name = getattr(request, template_field, "")
        if name:
            config = self.templates.get(name)
            if config is None:
                context.abort(grpc.StatusCode.NOT_FOUND, f"Template {name} not found.")
            return config
        return getattr(request, field) if field in request else kind()

    def _detector(self, inspect_config: dlp.InspectConfig) -> DetectionEngine:
        names = tuple(sorted(t.name for t in inspect_config.info_types)) or None
        level = dlp.Likelihood(inspect_config.min_likelihood).name
        minimum = Likelihood[level] if level in Likelihood.__members__ else Likelihood.POSSIBLE
        key = (names, minimum)
        if key not in self._engines:
            self._engines[key] = DetectionEngine(DetectionSettings(info_types=names, min_likelihood=minimum))
        return self._engines[key]

    def _primitive(self, primitive: dlp.PrimitiveTransformation, context) -> Any:
        raw = dlp.PrimitiveTransformation.pb(primitive).SerializeToString()
        built = self._built.get(raw)
        if built is None:
            document = json_format.MessageToDict(dlp.PrimitiveTransformation.pb(primitive))
            try:
                spec = parse_transformation(document, "deidentifyConfig")
                built = build_transformation(spec, self.keys)
            except ConfigError as exc:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"Invalid primitive transformation: {exc}")
            self._built[raw] = built
        return built

    def _condition(self, condition: dlp.RecordCondition, headers: list[str], where: str, context) -> Any:
        """A RecordCondition parsed and evaluated by veilwatch's own veilwatch.transforms.deid.conditions
        (DLP's comparison rules); every field it reads must be a column of the table."""
        document = json_format.MessageToDict(dlp.RecordCondition.pb(condition))
        try:
            parsed = parse_record_condition(document, where)
        except ConfigError as exc:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"Invalid record condition: {exc}")
        for name in parsed.fields:
            if name not in headers:
                context.abort(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"Field {name} in the condition at {where} is not a table header.",
                )
        return parsed

    # -- InspectContent -------------------------------------------------------------------------
    def _inspect(self, request: dlp.InspectContentRequest, context) -> dlp.InspectContentResponse:
        self._admit("InspectContent", request, context)
        config = self._config(request, "inspect_config", "inspect_template_name", dlp.InspectConfig, context)
        detector = self._detector(config)
        findings: list[dlp.Finding] = []
        truncated = False
        for row_index, header, text in _cells(request.item):
            if not isinstance(text, str):
                continue
            for f in detector.scan(text):
                if len(findings) >= MAX_FINDINGS:
                    truncated = True
                    break
                findings.append(_finding(f, row_index, header))
        findings = self._tampered("InspectContent", findings)
        return dlp.InspectContentResponse(
            result=dlp.InspectResult(findings=findings, findings_truncated=truncated)
        )

    # -- DeidentifyContent / ReidentifyContent --------------------------------------------------
    def _deidentify(self, request: dlp.DeidentifyContentRequest, context) -> dlp.DeidentifyContentResponse:
        item, summary = self._content("DeidentifyContent", "deidentify", request, context)
        if "table" in item:
            item = dlp.ContentItem(
                table=dlp.Table(
                    headers=item.table.headers,
                    rows=self._tampered("DeidentifyContent", list(item.table.rows)),
                )
            )
        return dlp.DeidentifyContentResponse(item=item, overview=_overview(summary))

    def _reidentify(self, request: dlp.ReidentifyContentRequest, context) -> dlp.ReidentifyContentResponse:
        item, _ = self._content("ReidentifyContent", "reidentify", request, context)
        return dlp.ReidentifyContentResponse(item=item)

    def _content(self, method: str, action: str, request: Any, context) -> tuple[dlp.ContentItem, dict]:
        """The item of a ``<action>_config`` (or ``<action>_template_name``) request transformed
        (reidentify: reversed), and the per-field tallies of what was done (see ``_overview``)."""
        self._admit(method, request, context)
        config = self._config(
            request, f"{action}_config", f"{action}_template_name", dlp.DeidentifyConfig, context
        )
        inspect = self._config(request, "inspect_config", "inspect_template_name", dlp.InspectConfig, context)
        summary: dict = {}
        item, _ = self._transform(
            request.item, config, inspect, context, reverse=action == "reidentify", summary=summary
        )
        return item, summary

    def _transform(
        self,
        item: dlp.ContentItem,
        config: dlp.DeidentifyConfig,
        inspect: dlp.InspectConfig,
        context,
        reverse: bool,
        summary: dict | None = None,
    ) -> tuple[dlp.ContentItem, int]:
        if "table" not in item:
            if "info_type_transformations" not in config:
                context.abort(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    "A string item needs infoTypeTransformations in the deidentify config.",
                )
            out, n = self._info_types(item.value, config.info_type_transformations, inspect, context, reverse)
            self._check_findings(n, context)
            return dlp.ContentItem(value=out), n
        table = item.table
        headers = [h.name for h in table.headers]
        plans: list[tuple[int, Any, Any]] = []  # (column, field transformation, its RecordCondition or None)
        suppressions: list[Any] = []
        if "record_transformations" in config:
            rt = config.record_transformations
            suppressions = [
                self._condition(s.condition, headers, f"recordSuppressions[{i}].condition", context)
                for i, s in enumerate(rt.record_suppressions)
            ]
            for i, ft in enumerate(rt.field_transformations):
                condition = (
                    self._condition(ft.condition, headers, f"fieldTransformations[{i}].condition", context)
                    if "condition" in ft
                    else None
                )
                for field in ft.fields:
                    if field.name not in headers:
                        context.abort(
                            grpc.StatusCode.INVALID_ARGUMENT,
                            f"Field {field.name} in the transformation is not a table header.",
                        )
                    plans.append((headers.index(field.name), ft, condition))
        elif "info_type_transformations" in config:
            plans = [(j, config, None) for j in range(len(headers))]
        rows = []
        findings = 0
        for row in table.rows:
            values = [from_value(v) for v in row.values]
            record = _nested(headers, values)
            if any(c.matches(record) for c in suppressions):
                continue  # DLP leaves a suppressed row out of the answer's table
            originals = dict(zip(headers, values, strict=True))
            out = list(row.values)
            done: set[int] = set()
            for j, plan, condition in plans:
                value = values[j]
                # Conditions read the row as it came in; a column gets the first transformation that applies.
                if value is None or j in done or (condition is not None and not condition.matches(record)):
                    continue
                done.add(j)
                if "primitive_transformation" in plan:
                    built = self._primitive(plan.primitive_transformation, context)
                    if isinstance(built, ReplaceWithInfoType):
                        # DLP: "replace each matching finding with the name of the info_type"; a cell
                        # has no infoType of its own, so its findings (the InspectConfig's) are replaced.
                        new, n = self._info_types(
                            value,
                            _ALL_FINDINGS_TO_INFO_TYPE,
                            inspect,
                            context,
                            reverse,
                            record=record,
                            field=headers[j],
                            originals=originals,
                        )
                        findings += n
                        out[j] = to_value(new)
                        continue
                    ctx = ValueContext(None, record, headers[j], originals)
                    try:
                        new = built.reverse(value, ctx) if reverse else built.transform(value, ctx)
                    except Exception as exc:  # noqa: BLE001
                        if (
                            "leave_untransformed" not in config.transformation_error_handling
                        ):  # DLP's default: throw
                            context.abort(
                                grpc.StatusCode.INVALID_ARGUMENT,
                                f"Failed to transform field {headers[j]}: {type(exc).__name__}",
                            )
                        _tally(summary, headers[j], plan, value)  # leaveUntransformed: the value as it came
                        continue
                    _tally(summary, headers[j], plan)
                    out[j] = to_value(new)
                else:
                    new, n = self._info_types(
                        value,
                        plan.info_type_transformations,
                        inspect,
                        context,
                        reverse,
                        record=record,
                        field=headers[j],
                        originals=originals,
                    )
                    findings += n
                    out[j] = to_value(new)
            rows.append(dlp.Table.Row(values=out))
        self._check_findings(findings, context)
        return dlp.ContentItem(table=dlp.Table(headers=table.headers, rows=rows)), findings

    def _check_findings(self, n: int, context) -> None:
        if n > MAX_FINDINGS:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, TOO_MANY_FINDINGS)

    def _info_types(
        self,
        value: Any,
        transformations: dlp.InfoTypeTransformations,
        inspect: dlp.InspectConfig,
        context,
        reverse: bool,
        record: Any = None,
        field: str | None = None,
        originals: Any = None,
    ) -> tuple[Any, int]:
        """``value`` with each finding replaced by its infoType's primitive (DLP: the first
        transformation listing the infoType, else one listing none)."""
        if not isinstance(value, str):
            return value, 0
        surrogates = [c.info_type.name for c in inspect.custom_info_types if "surrogate_type" in c]
        if surrogates:  # re-identification: DLP finds its own surrogate annotations
            found = [_Span(t.start, t.end, t.info_type) for t in SurrogateScanner(surrogates).find(value)]
        else:
            found = [_Span(f.start, f.end, f.info_type) for f in self._detector(inspect).scan(value)]
        if not found:
            return value, 0
        pieces = []
        cursor = 0
        for f in found:
            chosen = None
            for t in transformations.transformations:
                names = [i.name for i in t.info_types]
                if f.info_type in names or (not names and chosen is None):
                    chosen = t
                    if names:
                        break
            pieces.append(value[cursor : f.start])
            if chosen is None:
                pieces.append(value[f.start : f.end])
            else:
                built = self._primitive(chosen.primitive_transformation, context)
                ctx = ValueContext(None if reverse else f.info_type, record or {}, field, originals)
                text = value[f.start : f.end]
                try:
                    pieces.append(str(built.reverse(text, ctx) if reverse else built.transform(text, ctx)))
                except Exception as exc:  # noqa: BLE001
                    context.abort(
                        grpc.StatusCode.INVALID_ARGUMENT,
                        f"Failed to transform a finding of {f.info_type}: {type(exc).__name__}",
                    )
            cursor = f.end
        pieces.append(value[cursor:])
        return "".join(pieces), len(found)


def _tally(summary: dict | None, field: str, plan: Any, failed_value: Any = None) -> None:
    """Count one whole-cell transformation of ``field`` (an error when ``failed_value`` is given)."""
    if summary is None:
        return
    key = (field, dlp.PrimitiveTransformation.pb(plan.primitive_transformation).SerializeToString())
    entry = summary.setdefault(key, [plan, 0, 0, None])
    if failed_value is None:
        entry[1] += 1
    else:
        entry[2] += 1
        entry[3] = failed_value


def _overview(summary: dict) -> dlp.TransformationOverview:
    """DLP's TransformationOverview of a de-identification: per field and transformation, the values
    done (SUCCESS) and those left untransformed (ERROR). The ERROR details quote a value, as free text
    from the API may: the engine must never copy them."""
    code = dlp.TransformationSummary.TransformationResultCode
    summaries = []
    for (field, _), (plan, done, failed, value) in summary.items():
        results = [dlp.TransformationSummary.SummaryResult(count=done, code=code.SUCCESS)] if done else []
        if failed:
            results.append(
                dlp.TransformationSummary.SummaryResult(
                    count=failed, code=code.ERROR, details=f"Unable to transform value '{value}'"
                )
            )
        summaries.append(
            dlp.TransformationSummary(
                field=dlp.FieldId(name=field),
                transformation=plan.primitive_transformation,
                field_transformations=[plan],
                results=results,
            )
        )
    return dlp.TransformationOverview(transformation_summaries=summaries)


class _Span(NamedTuple):
    start: int
    end: int
    info_type: str


def _cells(item: dlp.ContentItem):
    """(row index, header, value) of every cell of a table item, or of a value item."""
    if "table" in item:
        headers = [h.name for h in item.table.headers]
        for i, row in enumerate(item.table.rows):
            for header, value in zip(headers, row.values, strict=True):
                yield i, header, from_value(value)
    else:
        yield None, None, item.value


def _finding(f: Any, row_index: int | None, header: str | None) -> dlp.Finding:
    location = dlp.Location(codepoint_range=dlp.Range(start=f.start, end=f.end))
    if row_index is not None:
        location.content_locations = [
            dlp.ContentLocation(
                container_name=header or "",
                record_location=dlp.RecordLocation(
                    field_id=dlp.FieldId(name=header), table_location=dlp.TableLocation(row_index=row_index)
                ),
            )
        ]
    return dlp.Finding(
        info_type=dlp.InfoType(name=f.info_type),
        likelihood=dlp.Likelihood[f.likelihood.name],
        location=location,
    )


def _nested(headers: list[str], values: list[Any]) -> dict:
    """The row as a record: dotted headers become nested objects (for context fields)."""
    record: dict = {}
    for header, value in zip(headers, values, strict=True):
        node = record
        names = header.split(".")
        for name in names[:-1]:
            node = node.setdefault(name, {})
            if not isinstance(node, dict):
                break
        else:
            node[names[-1]] = value
    return record
