"""The report's charts: matplotlib figures rendered to inline SVG (no script, nothing fetched when viewed).

Each function takes plain numbers and labels (already PII-free) and returns one
``<svg>`` element as text. Text stays text in the SVG (``svg.fonttype: none``)
and every figure gets its own id salt, so that several SVGs inlined in one page
never share an element id.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import warnings
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: render to files only

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

_ids = itertools.count(1)
_WIDTH, _HEIGHT = 9.0, 2.6  # inches; the page scales the SVG to its column
# No creator, date or RDF block: the page stays the same for the same outputs, and names no URL.
_NO_METADATA = {"Creator": None, "Date": None, "Format": None, "Type": None}
OBSERVED, EXPECTED, FLAGGED, OTHER = "#1f4e9c", "#6b6b6b", "#c0392b", "#e67e22"


def start_page() -> None:
    """Number the figures of a new page from 1 again: the same outputs draw the same page."""
    global _ids
    _ids = itertools.count(1)


def _time(iso: str) -> Any:
    """The datetime of ``iso``. Typed Any: matplotlib plots datetimes through its date units, while
    its stubs declare numbers and arrays only."""
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))


def _svg(fig) -> str:
    """The figure as one <svg> element (no XML prolog or DOCTYPE: it is inlined in HTML)."""
    buffer = io.StringIO()
    with (
        matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": f"vw-fig-{next(_ids)}"}),
        warnings.catch_warnings(),
    ):
        # Text stays text: the browser draws glyphs matplotlib's own font lacks (only its layout estimate is off).
        warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata=_NO_METADATA)
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _time_axis(ax, times: Sequence[dt.datetime] = ()) -> None:
    if times and min(times) == max(times):  # one window: give the axis a span to place ticks in
        ax.set_xlim(times[0] - dt.timedelta(hours=1), times[0] + dt.timedelta(hours=1))
    locator = mdates.AutoDateLocator(maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.grid(True, color="#e5e5e5", linewidth=0.6)
    ax.spines[["top", "right"]].set_visible(False)


def series_chart(windows: Sequence[dict], title: str) -> str:
    """Observed values, the expected value with its band (expected +/- threshold x spread) and the
    flagged windows marked, per window start. ``windows``: score records of one series."""
    rows = sorted(windows, key=lambda w: w["window_start"])
    fig, ax = plt.subplots(figsize=(_WIDTH, _HEIGHT))
    times = [_time(w["window_start"]) for w in rows]
    observed = [w["observed"] if w["observed"] is not None else float("nan") for w in rows]
    banded = [(t, w) for t, w in zip(times, rows, strict=True) if w.get("expected") is not None]
    if banded:
        bt = [t for t, _ in banded]
        expected = [w["expected"] for _, w in banded]
        width = [(w.get("threshold") or 0) * (w.get("spread") or 0) for _, w in banded]
        ax.fill_between(
            bt,
            [e - d for e, d in zip(expected, width, strict=True)],
            [e + d for e, d in zip(expected, width, strict=True)],
            color=EXPECTED,
            alpha=0.18,
            linewidth=0,
            step="mid",
            label="expected band",
        )
        ax.plot(bt, expected, color=EXPECTED, linewidth=0.9, linestyle="--", label="expected")
    ax.plot(
        times,
        observed,
        color=OBSERVED,
        linewidth=1.1,
        marker="." if len(rows) < 60 else None,
        markersize=3,
        label="observed",
    )
    for flag, color, label in ((True, FLAGGED, "alert"), (False, OTHER, "flagged (in cooldown)")):
        marked = [
            (t, w["observed"])
            for t, w in zip(times, rows, strict=True)
            if w.get("is_anomaly") and bool(w.get("alert")) is flag and w["observed"] is not None
        ]
        if marked:
            ax.scatter(
                [t for t, _ in marked], [v for _, v in marked], color=color, s=28, zorder=5, label=label
            )
    ax.set_title(title, fontsize=10, loc="left")
    _time_axis(ax, times)
    ax.legend(fontsize=7, loc="upper left", frameon=False, ncol=4)
    return _svg(fig)


def share_over_time(
    starts: Sequence[str],
    numerators: Sequence[int],
    denominators: Sequence[int],
    title: str,
    ylabel: str,
    color: str = OBSERVED,
) -> str:
    """A share (numerator / denominator, in %) per time bucket, with the numerator on a second axis as bars."""
    fig, ax = plt.subplots(figsize=(_WIDTH, _HEIGHT))
    times = [_time(s) for s in starts]
    share = [100.0 * n / d if d else 0.0 for n, d in zip(numerators, denominators, strict=True)]
    ax.plot(times, share, color=color, linewidth=1.2, marker="." if len(times) < 60 else None, markersize=3)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.set_ylim(bottom=0)
    ax.set_title(title, fontsize=10, loc="left")
    _time_axis(ax, times)
    return _svg(fig)


def counts_over_time(
    starts: Sequence[str], counts: Sequence[int], title: str, ylabel: str, color: str = FLAGGED
) -> str:
    """A count per time bucket, as bars one bucket wide."""
    fig, ax = plt.subplots(figsize=(_WIDTH, _HEIGHT))
    times = [_time(s) for s in starts]
    width: Any = (times[1] - times[0]) * 0.9 if len(times) > 1 else dt.timedelta(minutes=50)  # see _time
    ax.bar(times, counts, width=width, color=color, align="edge")
    ax.set_ylabel(ylabel, fontsize=8)
    ax.set_title(title, fontsize=10, loc="left")
    _time_axis(ax, times)
    return _svg(fig)


def horizontal_bars(labels: Sequence[str], values: Sequence[int], title: str, color: str = OBSERVED) -> str:
    """One bar per label (e.g. per field and infoType), largest on top."""
    pairs = sorted(zip(labels, values, strict=True), key=lambda p: p[1])
    fig, ax = plt.subplots(figsize=(_WIDTH, max(1.4, 0.28 * len(pairs) + 0.8)))
    ax.barh([p[0] for p in pairs], [p[1] for p in pairs], color=color)
    ax.set_title(title, fontsize=10, loc="left")
    ax.tick_params(axis="y", labelsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)
