"""Which anomaly detector ``discover`` proposes, from how many days the sample spans.

The proposed config counts records per hour (``record_count``). Most real
feeds follow the clock: quiet at night, a ramp every morning. A detector that
compares an hour with the hours just before it (a trailing baseline) sees
every morning's ramp as an anomaly, so the proposal is:

* **The sample spans at least** :data:`SEASONAL_MIN_DAYS` **whole days**
  (latest minus earliest event time): the ``seasonal`` detector with
  ``season: day``. An hour is compared with the same hour of earlier days, so
  the ramp is expected. ``min_periods: 1``: from the second day on, one earlier
  day is a baseline; ``fallback: none``: before that (the first day) no
  verdict rather than a trailing comparison that would flag the ramp. Three
  days are asked of the sample so that it showed the daily pattern repeat at
  least twice after the first day; a shorter sample cannot show the feed has
  a daily pattern at all.
* **Shorter samples**: ``robust_zscore`` over the trailing ``history: 24``
  windows with ``warmup: 24``. The baseline always holds a whole day, so the
  ramp is inside its spread (median and MAD of the last 24 hours) instead of
  outside it, and no hour is judged before a whole day is in the baseline
  (the first morning would otherwise be compared with the night). The price is
  a wider spread: only large changes flag, which is what a config proposed
  without seeing the feed's rhythm should do.

Either way, a window with no record where the baseline expected many flags
(see ``veilwatch.transforms.anomaly.silence``), so an outage flags however wide the
spread, and ``direction: both`` watches drops as well as spikes.
"""

from __future__ import annotations

from dataclasses import dataclass

DAY_SECONDS = 86_400
SEASONAL_MIN_DAYS = 3


@dataclass(frozen=True)
class DetectorProposal:
    """A detector config (YAML-ready mapping) and why it was chosen."""

    detector: dict
    reason: str


def propose_detector(span_seconds: float) -> DetectorProposal:
    """The detector for a sample whose event times span ``span_seconds``."""
    days = int(max(span_seconds, 0.0) // DAY_SECONDS)
    if days >= SEASONAL_MIN_DAYS:
        return DetectorProposal(
            {
                "type": "seasonal",
                "season": "day",
                "periods": 7,
                "min_periods": 1,
                "fallback": "none",
                "threshold": 4,
                "direction": "both",
            },
            f"the sample spans {days} whole days: each hour is compared with the same hour of earlier days",
        )
    return DetectorProposal(
        {"type": "robust_zscore", "history": 24, "warmup": 24, "threshold": 4, "direction": "both"},
        f"the sample spans {days} whole day(s), fewer than {SEASONAL_MIN_DAYS}: a trailing baseline of a whole "
        "day, so the daily ramp is inside its spread",
    )
