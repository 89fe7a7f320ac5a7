"""What the reliability suite checked in this session: printed at the end of the run."""

from __future__ import annotations

import collections

CHECKED: collections.Counter = collections.Counter()


def pytest_terminal_summary(terminalreporter):
    if CHECKED:
        parts = ", ".join(f"{k} {v}" for k, v in sorted(CHECKED.items()))
        terminalreporter.write_line(f"reliability fuzz: {parts}")
