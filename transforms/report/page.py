"""report.html: the run's outputs as one self-contained HTML page (inline CSS and SVG, no script).

Sections: the run summary; one chart per scored series (series with alerts
first and open, the rest folded in ``<details>``); PII findings per field and
infoType and the share of records with a finding over time; dead letters by
stage and reason, and over time; TFDV anomalies per window and feature when
that stage ran. Every text placed in the page is HTML-escaped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from html import escape
from typing import Any

from veilwatch.transforms.report import figures
from veilwatch.transforms.report.outputs import RunOutputs

# Charts are drawn for at most this many series (alerting ones first); the rest are listed by name.
MAX_SERIES_CHARTS = 200
# Dead-letter reasons listed (most frequent first).
MAX_REASONS = 30

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1000px;padding:1rem 1.5rem;
color:#222}
h1{font-size:1.5rem}h2{font-size:1.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}td,th{border:1px solid #ddd;padding:.2rem .5rem;
text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
details{margin:.4rem 0}summary{cursor:pointer}svg{width:100%;height:auto}
.ok{color:#1e7e34}.bad{color:#c0392b;font-weight:bold}.note{color:#666;font-size:.85rem}
.series{margin:.8rem 0}
"""


def _table(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{v:,}</td>'
            if isinstance(v, int) and not isinstance(v, bool)
            else f"<td>{escape(str(v))}</td>"
            for v in row
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def summary_section(summary: dict[str, Any]) -> str:
    accounted = summary.get("all_records_accounted_for")
    rows = [
        ("records read", summary.get("records_read", 0)),
        ("anonymized", summary.get("records_anonymized", 0)),
        ("dead-lettered", summary.get("records_dead_lettered", 0)),
        ("suppressed (pii.record_suppressions)", summary.get("records_suppressed", 0)),
        ("files unreadable", summary.get("files_unreadable", 0)),
        ("windows scored", summary.get("windows_scored", 0)),
        ("partial windows, not scored", summary.get("windows_unscored_partial", 0)),
        ("windows flagged", summary.get("windows_flagged", 0)),
        ("alerts", summary.get("alerts", 0)),
    ]
    verdict = (
        '<p class="ok">All records accounted for: read = anonymized + dead-lettered + suppressed.</p>'
        if accounted
        else '<p class="bad">NOT all records accounted for.</p>'
    )
    stages = summary.get("dead_letters_by_stage") or {}
    by_stage = (
        _table(("stage", "dead letters"), sorted(stages.items()))
        if stages
        else '<p class="note">No dead letters.</p>'
    )
    return (
        '<h2 id="summary">Run summary</h2>'
        + _table(("", "count"), rows)
        + verdict
        + "<h3>Dead letters by stage</h3>"
        + by_stage
    )


def _series_charts(scores: list[dict[str, Any]]) -> tuple[list[tuple[str, str, dict]], list[str]]:
    """(series key, chart, facts) per series, alerting series first (highest score first), then by name;
    and the names of series beyond MAX_SERIES_CHARTS."""
    by_series: dict[str, list[dict]] = defaultdict(list)
    for record in scores:
        by_series[record["series_key"]].append(record)

    def facts(rows: list[dict]) -> dict:
        return {
            "alerts": sum(1 for r in rows if r.get("alert")),
            "flagged": sum(1 for r in rows if r.get("is_anomaly")),
            "windows": len(rows),
            "top": max((r.get("score") or 0.0 for r in rows), default=0.0),
        }

    ordered = sorted(
        by_series.items(), key=lambda kv: (-facts(kv[1])["alerts"], -facts(kv[1])["flagged"], kv[0])
    )
    drawn = [(key, figures.series_chart(rows, key), facts(rows)) for key, rows in ordered[:MAX_SERIES_CHARTS]]
    return drawn, [key for key, _ in ordered[MAX_SERIES_CHARTS:]]


def series_section(outputs: RunOutputs) -> str:
    parts = ['<h2 id="series">Scored series</h2>']
    if not outputs.scores:
        return parts[0] + '<p class="note">No window was scored.</p>'
    if not outputs.scores_complete:
        parts.append(
            '<p class="note">scores/ was not written (scores go to BigQuery): '
            "the charts show the flagged windows only.</p>"
        )
    parts.append(
        '<p class="note">Observed value per window, the expected value (dashed) with its band '
        "(expected &plusmn; threshold &times; spread), alerts in red, flagged windows within a cooldown "
        "in orange.</p>"
    )
    drawn, undrawn = _series_charts(outputs.scores)
    alerting = [d for d in drawn if d[2]["flagged"]]
    quiet = [d for d in drawn if not d[2]["flagged"]]
    for key, chart, fact in alerting:
        parts.append(
            f'<div class="series" data-series="{escape(key)}">'
            f'<h3>{escape(key)}</h3><p class="note">{fact["flagged"]:,} flagged of {fact["windows"]:,} '
            f"windows, {fact['alerts']:,} alerts</p>{chart}</div>"
        )
    if quiet:
        parts.append(f"<details><summary>{len(quiet):,} series without a flagged window</summary>")
        for key, chart, fact in quiet:
            parts.append(
                f'<details class="series" data-series="{escape(key)}"><summary>{escape(key)} '
                f"({fact['windows']:,} windows)</summary>{chart}</details>"
            )
        parts.append("</details>")
    if undrawn:
        parts.append(
            f'<p class="note">{len(undrawn):,} more series not drawn: '
            + ", ".join(escape(k) for k in undrawn)
            + "</p>"
        )
    return "".join(parts)


def findings_section(summary: dict[str, Any]) -> str:
    parts = ['<h2 id="findings">PII findings</h2>']
    by_field = summary.get("findings_by_field") or {}
    rows = [
        (f, info_type, n) for f, types in sorted(by_field.items()) for info_type, n in sorted(types.items())
    ]
    if rows:
        parts.append(_table(("field", "infoType", "findings"), rows))
        parts.append(
            figures.horizontal_bars(
                [f"{f} / {t}" for f, t, _ in rows], [n for *_, n in rows], "Findings per field and infoType"
            )
        )
    else:
        parts.append('<p class="note">No PII found in scanned text.</p>')
    timeline = summary.get("timeline") or []
    if timeline:
        parts.append(
            figures.share_over_time(
                [t["start"] for t in timeline],
                [t["with_findings"] for t in timeline],
                [t["records"] for t in timeline],
                "Share of anonymized records with a finding, per window",
                "% of records",
            )
        )
    return "".join(parts)


def dead_letters_section(outputs: RunOutputs) -> str:
    parts = ['<h2 id="dead-letters">Dead letters</h2>']
    reasons = outputs.dead_letter_reasons
    if not reasons:
        return parts[0] + '<p class="note">No dead letters.</p>'
    listed = reasons.most_common(MAX_REASONS)
    parts.append(_table(("stage", "reason", "dead letters"), [(s, r, n) for (s, r), n in listed]))
    if len(reasons) > MAX_REASONS:
        parts.append(f'<p class="note">{len(reasons) - MAX_REASONS:,} less frequent reasons not listed.</p>')
    timeline = [t for t in outputs.summary.get("timeline") or []]
    if any(t["dead_lettered"] for t in timeline):
        parts.append(
            figures.counts_over_time(
                [t["start"] for t in timeline],
                [t["dead_lettered"] for t in timeline],
                "Dead-lettered records per window (those with a readable event time)",
                "records",
            )
        )
    return "".join(parts)


def validation_section(outputs: RunOutputs) -> str:
    if outputs.summary.get("data_validation") is None:
        return ""
    stats = outputs.summary["data_validation"]
    parts = [
        '<h2 id="data-validation">Data validation (TFDV)</h2>',
        f"<p>{stats.get('windows_checked', 0):,} windows checked after {stats.get('windows', 0) - stats.get('windows_checked', 0):,} "
        f"baseline windows; {stats.get('flagged', 0):,} field anomalies.</p>",
    ]
    flags = sorted(outputs.validation_flags, key=lambda f: (f["window_start"], f["series_key"]))
    if flags:
        parts.append(
            _table(
                ("window", "feature", "anomaly"),
                [(f["window_start"], _feature(f["series_key"]), f["explanation"]) for f in flags],
            )
        )
    return "".join(parts)


def _feature(series_key: str) -> str:
    return (
        series_key[series_key.find("[") + 1 : -1]
        if series_key.endswith("]") and "[" in series_key
        else series_key
    )


def render_page(outputs: RunOutputs) -> str:
    figures.start_page()
    dataset = escape(str(outputs.summary.get("dataset", "")))
    body = "".join(
        (
            summary_section(outputs.summary),
            series_section(outputs),
            findings_section(outputs.summary),
            dead_letters_section(outputs),
            validation_section(outputs),
        )
    )
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>veilwatch run of {dataset}</title><style>{_CSS}</style></head>"
        f"<body><h1>veilwatch run of dataset &#39;{dataset}&#39;</h1>"
        f'<p class="note">Built from the run\'s PII-free outputs (run_summary.json, scores/, flagged_windows/, '
        f"dead_letter/); no record value appears here.</p>{body}</body></html>\n"
    )
