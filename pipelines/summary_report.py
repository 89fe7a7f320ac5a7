"""Human-readable form of run_summary.json, plus the flagged windows' explanations."""

from __future__ import annotations

import json
from typing import Any

from apache_beam.io.filesystems import FileSystems

from veilwatch.pipelines.preflight import OUTPUT_PARTS

# How many flagged windows the end-of-run report lists (all are in flagged_windows/).
_MAX_LISTED = 10


def format_summary(summary: dict[str, Any], output_dir: str) -> str:
    def pairs(d: dict[str, int]) -> str:
        return ", ".join(f"{k} {v:,}" for k, v in d.items()) or "none"

    lines = [
        f"veilwatch run of dataset '{summary['dataset']}'",
        f"  records read        {summary['records_read']:>10,}",
        f"  anonymized          {summary['records_anonymized']:>10,}",
        f"  dead-lettered       {summary['records_dead_lettered']:>10,}   ({pairs(summary['dead_letters_by_stage'])})",
        *(
            [f"  suppressed          {summary['records_suppressed']:>10,}   (pii.record_suppressions)"]
            if summary.get("records_suppressed")
            else []
        ),
        f"  all accounted for   {'yes' if summary['all_records_accounted_for'] else 'NO':>10}",
        f"  files unreadable    {summary.get('files_unreadable', 0):>10,}   "
        f"({'none' if not summary.get('files_unreadable') else 'file-level dead letters, stage file'})",
        f"  PII findings        {pairs(summary['findings_by_info_type'])}",
        f"  transform errors    {_transformation_errors(summary)}",
        f"  windows scored      {summary['windows_scored']:>10,}"
        + (
            f"   (and {summary['windows_unscored_partial']:,} partial windows of the input, not scored)"
            if summary.get("windows_unscored_partial")
            else ""
        ),
        f"  windows flagged     {summary['windows_flagged']:>10,}   ({_alerts(summary)})",
    ]
    validation = summary.get("data_validation")
    if validation is not None:
        lines.append(
            f"  data validation     {validation['windows_checked']:>10,}   windows checked by TFDV "
            f"(after {validation['windows'] - validation['windows_checked']:,} baseline), "
            f"{validation['flagged']:,} field anomalies"
        )
    flagged = _read_flagged(output_dir)
    for record in flagged[:_MAX_LISTED]:
        lines.append(f"    ! {record['window_start']} {record['series_key']}: {record['explanation']}")
    if len(flagged) > _MAX_LISTED:
        lines.append(f"    ... {len(flagged) - _MAX_LISTED} more in flagged_windows/")
    lines.append(f"  outputs in {output_dir}: {' '.join(_written_parts(output_dir))}")
    return "\n".join(lines)


def _transformation_errors(summary: dict[str, Any]) -> str:
    """Values that could not be transformed, by outcome (details per field and reason in run_summary.json)."""
    totals: dict[str, int] = {}
    for entry in summary.get("transformation_errors", ()):
        totals[entry["outcome"]] = totals.get(entry["outcome"], 0) + entry["count"]
    return ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in sorted(totals.items())) or "none"


def _alerts(summary: dict[str, Any]) -> str:
    """Alerts among the flagged windows; the others, if any, fell within an alert cooldown."""
    alerts = summary.get("alerts", 0)
    quiet = summary["windows_flagged"] - alerts
    return f"alerts {alerts:,}" + (f", the other {quiet:,} within a cooldown" if quiet > 0 else "")


def _written_parts(output_dir: str) -> list[str]:
    """The output folders and files this run has in ``output_dir`` (``scores/`` unless scores go to BigQuery)."""
    return [
        f"{part}/" if "." not in part else part
        for part in OUTPUT_PARTS
        if FileSystems.exists(FileSystems.join(output_dir, part))
    ]


def _read_flagged(output_dir: str) -> list[dict[str, Any]]:
    pattern = FileSystems.join(output_dir, "flagged_windows", "part*")
    records: list[dict[str, Any]] = []
    for metadata in FileSystems.match([pattern])[0].metadata_list:
        with FileSystems.open(metadata.path) as handle:
            records.extend(
                json.loads(line) for line in handle.read().decode("utf-8").splitlines() if line.strip()
            )
    return sorted(records, key=lambda r: (r["window_start"], r["series_key"]))
