"""What the detection engine reports: a span of the input, its infoType and a likelihood.

Likelihood levels carry Cloud DLP's names so that findings, configs and
reports read the same as a DLP inspection result. A ``Finding`` never holds the
matched text: callers slice the input with ``start:end`` when they need it, so
a finding can be logged, counted or written to the findings sink as it is.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Likelihood(enum.IntEnum):
    """How sure the engine is that a span is of its infoType (Cloud DLP's scale)."""

    VERY_UNLIKELY = 1
    UNLIKELY = 2
    POSSIBLE = 3
    LIKELY = 4
    VERY_LIKELY = 5

    def raised(self, levels: int) -> Likelihood:
        """This likelihood moved ``levels`` steps (negative: down), clamped to the scale."""
        return _LEVELS[min(max(int(self) + levels, 1), 5)]  # (a tuple lookup: Likelihood(n) is slow)


# index n -> Likelihood(n) (index 0 unused)
_LEVELS = (Likelihood.VERY_UNLIKELY, *Likelihood)


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected span: ``text[start:end]`` (Python str indices, end exclusive)."""

    start: int
    end: int
    info_type: str  # Cloud DLP infoType name, e.g. "EMAIL_ADDRESS"
    likelihood: Likelihood

    def to_json(self) -> dict:
        """The JSON shape of the scan command and the findings sink (no matched value)."""
        return {
            "start": self.start,
            "end": self.end,
            "info_type": self.info_type,
            "likelihood": self.likelihood.name,
        }
