"""A proposal as a dataset config (YAML with the evidence in comments) and as a table.

The config is meant to be read and edited by a person before use: every PII
field carries a comment saying where the proposal came from ("values: 98.7 %
are EMAIL_ADDRESS" or "field name"), and the header repeats the table. It is a
valid config for ``veilwatch validate-config`` once ``sinks.output_dir`` is
given (``--output_dir``) and the keyset it names exists.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from veilwatch.transforms.discovery.detector_proposal import propose_detector
from veilwatch.transforms.discovery.rules import DatasetProposal, FieldProposal


def _flow(value: Any) -> str:
    """A YAML flow-style scalar or mapping on one line."""
    if isinstance(value, str):
        return value
    return yaml.safe_dump(value, default_flow_style=True, width=1000).strip()


def _evidence(f: FieldProposal) -> str:
    if f.evidence == "values":
        return f"from values: hit rate {f.hit_rate:.1%}"
    if f.evidence == "field name":
        return "from the field name (values cannot show it)"
    return ""


def _scan_reason(f: FieldProposal) -> str:
    if f.embedded:
        found = ", ".join(f"{t} in {rate:.1%}" for t, rate in f.embedded[:3])
        return f"free text; PII inside values: {found}"
    return "free text (several words per value)"


def render_table(proposal: DatasetProposal) -> str:
    """One line per field: path, type, required, PII infoType and evidence, transformation, scan."""
    rows = [("field", "type", "req", "PII infoType", "evidence", "transformation", "scan")]
    for f in proposal.fields:
        transformation = (
            ""
            if f.transformation is None
            else (f.transformation if isinstance(f.transformation, str) else next(iter(f.transformation)))
        )
        evidence = ""
        if f.evidence == "values":
            evidence = f"values {f.hit_rate:.1%}"
        elif f.evidence == "field name":
            evidence = "field name"
        scan = ""
        if f.scan:
            scan = "yes" + (f" ({', '.join(t for t, _ in f.embedded[:3])} inside)" if f.embedded else "")
        if f.path == proposal.event_time:
            scan = (scan + " " if scan else "") + "[event time]"
        rows.append(
            (f.path, f.type, "yes" if f.required else "", f.info_type or "-", evidence, transformation, scan)
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_config(
    proposal: DatasetProposal,
    *,
    dataset: str,
    source_format: str,
    source_path: str,
    keyset: str | None = None,
    csv_delimiter: str | None = None,
) -> str:
    """The proposed dataset config as YAML text."""
    out: list[str] = [
        f"# Proposed by `veilwatch discover` from a sample of {proposal.records} records. Review before use:",
        "# infoTypes 'from values' were detected in the values (hit rate = share of non-null values);",
        "# 'from the field name' ones were inferred from the name alone (names and internal ids cannot be",
        "# recognised from values without a named-entity model).",
        "#",
        *("#   " + line for line in render_table(proposal).splitlines()),
        "",
        f"dataset: {json.dumps(dataset)}",
        "",
        "source:",
        f"  format: {source_format}",
        f"  path: {json.dumps(source_path)}",
    ]
    if csv_delimiter and csv_delimiter != ",":
        out += ["  csv:", f"    delimiter: {json.dumps(csv_delimiter)}"]
    out += [
        "",
        "schema:",
        "  unknown_fields: scan          # fields not seen in the sample are scanned as free text",
        "  fields:",
    ]
    for f in proposal.fields:
        entry = f"    - {{name: {json.dumps(f.path)}, type: {f.type}"
        entry += ", required: true}" if f.required else "}"
        note = f"present in {f.present_rate:.1%}" if not f.required else ""
        out.append(entry + (f"    # {note}" if note else ""))
    if proposal.event_time:
        event = next(f for f in proposal.fields if f.path == proposal.event_time)
        out += ["", "event_time:", f"  field: {json.dumps(event.path)}", "  format: iso8601"]
    out += ["", "pii:", "  fields:"]
    pii = proposal.pii_fields
    if not pii:
        out[-1] = "  fields: []"
    for f in pii:
        out += [
            f"    - path: {json.dumps(f.path)}",
            f"      info_type: {f.info_type}    # {_evidence(f)}",
            f"      transformation: {_flow(f.transformation)}",
        ]
    scan = [f for f in proposal.fields if f.scan]
    if scan:
        out.append("  scan_fields:")
        out += [f"    - {json.dumps(f.path)}    # {_scan_reason(f)}" for f in scan]
    else:
        out.append("  scan_fields: []")
    out += [
        "  default_scan_transformation: replaceWithInfoTypeConfig",
        "",
        "windowing:",
        "  type: fixed",
        "  size: 1h",
        "",
        "metrics:",
        "  - {name: record_count, type: count}",
    ]
    if proposal.event_time:  # without event times every record is in one window: nothing to compare
        detector = propose_detector(proposal.event_time_span_seconds)
        out += [
            "",
            f"# {detector.reason} (see transforms/discovery/detector_proposal.py);",
            "# a window with no record where many were expected is flagged too.",
            f"detector: {_flow(detector.detector)}",
        ]
    if proposal.needs_keys:
        out += [
            "",
            "keys:",
            f"  keyset: {json.dumps(keyset or 'keyset.json')}    # keyed transformations above use it;"
            " `veilwatch keys create --out ...` makes one",
        ]
    out += ["", "# sinks.output_dir: set here or pass --output_dir to run / validate-config", ""]
    return "\n".join(out)
