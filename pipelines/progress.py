"""Progress of a local batch run on the terminal: records read, rate, elapsed time.

    with ProgressLine(interval=10.0):        # prints to stderr, only when it is a terminal
        pipeline.run().wait_until_finish()

Every ``interval`` seconds, and once more when the run ends, one line::

    veilwatch: 120,000 records read in 0:01:30 (1,450 records/s)

The rate is over the last interval (over the whole run on the last line). The
figure is the read steps' running total in this process
(:mod:`veilwatch.transforms.io.progress`), the same one the Beam counter
``veilwatch/records_read`` carries to Dataflow's job metrics. Nothing is
printed when stderr is not a terminal (a pipe, a file, a CI log), so logs and
captured output stay as they were.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import IO

from veilwatch.transforms.io import progress

DEFAULT_INTERVAL_SECONDS = 10.0


def format_progress(records: int, elapsed: float, rate: float) -> str:
    whole = int(elapsed)
    clock = f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
    return f"veilwatch: {records:,} records read in {clock} ({rate:,.0f} records/s)"


class ProgressLine:
    """A thread printing :func:`format_progress` every ``interval`` seconds while the block runs."""

    def __init__(
        self, interval: float = DEFAULT_INTERVAL_SECONDS, stream: IO[str] | None = None, clock=time.monotonic
    ):
        self.interval = interval
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def enabled(self) -> bool:
        isatty = getattr(self.stream, "isatty", None)
        return self.interval > 0 and callable(isatty) and bool(isatty())

    def __enter__(self) -> ProgressLine:
        progress.reset()
        self._started = self.clock()
        if self.enabled:
            self._thread = threading.Thread(target=self._run, name="veilwatch-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        if exc_type is None:  # the last line: the run's total and its average rate
            elapsed = self.clock() - self._started
            records = progress.records_read_so_far()
            self._print(format_progress(records, elapsed, records / elapsed if elapsed > 0 else 0.0))

    def _run(self) -> None:
        last_records, last_time = 0, self._started
        while not self._stop.wait(self.interval):
            now, records = self.clock(), progress.records_read_so_far()
            rate = (records - last_records) / (now - last_time) if now > last_time else 0.0
            self._print(format_progress(records, now - self._started, rate))
            last_records, last_time = records, now

    def _print(self, line: str) -> None:
        try:
            self.stream.write(line + "\n")
            self.stream.flush()
        except (OSError, ValueError):  # the terminal went away: progress is not worth failing the run
            self._stop.set()
