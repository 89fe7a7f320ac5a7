"""One-line, human-readable explanation of a Verdict.

    explain(verdict, "count", obs)
    # "count 12 vs expected 480 +/- 35 for Tuesday 14:00 over 4 weeks, 13.4 sigma below"
    # "count 480 vs expected 470 +/- 35 over trailing 48 windows, 0.3 sigma above (normal)"
    # "count 12 in warm-up (no baseline yet)"

Numbers are shown with 3-4 significant digits; the unit is "sigma" for the
z-score detectors, "IQR beyond the fence" for ``iqr``, "cumulative sigma"
for ``cusum``, a log-likelihood (0 to 1) for ``likelihood``, the share of new
contexts for ``context``, multiples of the chi-square test's critical value
for ``relative_entropy`` and ARTime's confidence for ``art`` (these three have no spread). The window is
named by its bounds only when ``with_window=True`` (records carry the bounds
in their own fields already).
"""

from __future__ import annotations

import datetime as dt
import math

from veilwatch.transforms.anomaly.base import Observation, Verdict


def explain(
    verdict: Verdict, metric: str, window: Observation | None = None, *, with_window: bool = False
) -> str:
    head = f"{metric} {_num(verdict.observed)}"
    if with_window and window is not None:
        head += f" in [{_when(window.window_start)}, {_when(window.window_end)})"
    if verdict.expected is None or verdict.score is None:
        if verdict.basis.startswith("no "):  # e.g. seasonal with fallback: none
            return f"{head}, {verdict.basis}"
        return f"{head} in warm-up (no baseline yet)"
    basis = verdict.basis
    where = (
        f" for {basis}"
        if basis and not basis.startswith(("trailing", "EWMA", "quartiles"))
        else (f" over {basis}" if basis else "")
    )
    side = "above" if verdict.score > 0 else "below" if verdict.score < 0 else "at"
    unit = _unit(verdict.detector.split(":")[-1])
    size = "inf" if math.isinf(verdict.score) else f"{abs(verdict.score):.1f}"
    spread = (
        "" if verdict.spread is None else f" +/- {_num(verdict.spread)}"
    )  # context, relative_entropy: none
    line = f"{head} vs expected {_num(verdict.expected)}{spread}{where}, {size} {unit} {side}"
    return line if verdict.is_anomaly else line + " (normal)"


def _unit(detector: str) -> str:
    if detector.startswith("likelihood"):
        return "log-likelihood (0.5 = tail probability 1e-5)"
    return {
        "iqr": "IQR beyond the fence",
        "cusum": "cumulative sigma",
        "context": "share of new contexts",
        "relative_entropy": "x the chi-square critical value",
        "art": "ART confidence (0 to 1, a window founding a new cluster)",
    }.get(detector, "sigma")


def _num(x: float | None) -> str:
    if x is None:
        return "?"
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.4g}"


def _when(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).strftime("%Y-%m-%d %H:%M")
