"""Silence: a count window with no record where the baseline expected many is anomalous.

A detector's spread is learnt from the series' own variation; a feed with a
strong daily ramp has a wide spread, so 0 records against "283 +/- 225" is only
1.3 sigma and a z-score alone lets an outage pass. Counts are (roughly)
Poisson: with ``expected`` records per window, the chance of a window with
none is ``exp(-expected)``, below one in 20,000 once ``expected`` is at least
:data:`SILENT_EXPECTED`. So a count window of 0 whose detector expected at
least that many records is anomalous whatever its z-score. The detector's
baseline decides what "expected" is (the same hour of earlier days for
``seasonal``), so a feed that is quiet every night is not flagged at night.
While the detector has no baseline (warm-up), silence is not judged either.

    verdict = judge_silence(verdict, observed=0.0)
"""

from __future__ import annotations

import dataclasses

from veilwatch.transforms.anomaly.base import Verdict

# exp(-10) ~ 4.5e-5: the chance of a silent window from an ordinary Poisson feed.
SILENT_EXPECTED = 10.0


def judge_silence(verdict: Verdict, observed: float) -> Verdict:
    """``verdict`` flagged as anomalous when a count of 0 met an expectation of >= SILENT_EXPECTED."""
    if verdict.is_anomaly or observed != 0 or verdict.expected is None or verdict.expected < SILENT_EXPECTED:
        return verdict
    basis = f"{verdict.basis}; silent window" if verdict.basis else "silent window"
    return dataclasses.replace(verdict, is_anomaly=True, basis=basis)
