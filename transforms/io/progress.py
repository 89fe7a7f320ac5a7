"""The ``records_read`` counter, readable while the pipeline runs in this process.

    records_read = RecordsReadCounter()     # in a source DoFn's __init__
    records_read.inc(len(batch))            # a Beam counter, and this process's running total
    records_read_so_far()                   # what ``veilwatch run`` prints as progress

A Beam counter is only readable from the runner's result, and the Python
DirectRunner returns that result when the batch run is over. The read steps
therefore also add to a total kept in this process, which the progress printer
of a local run (``pipelines/progress.py``) reads on a timer. On Dataflow, or
on a runner with worker processes, that total stays on the workers and nobody
reads it; the Beam counter ``veilwatch/records_read`` carries the same figure
to the job's metrics (Dataflow's UI shows its value, and the job's elapsed
time and throughput beside it).
"""

from __future__ import annotations

import threading

from apache_beam.metrics import Metrics

_lock = threading.Lock()
_records_read = 0


def records_read_so_far() -> int:
    """Records read by the sources of this process since it started (or since :func:`reset`)."""
    return _records_read


def reset() -> None:
    """Start counting from zero (one run after another in the same process)."""
    global _records_read
    with _lock:
        _records_read = 0


def _add(count: int) -> None:
    global _records_read
    with _lock:
        _records_read += count


class RecordsReadCounter:
    """``veilwatch/records_read``: the Beam counter, and the process's running total."""

    def __init__(self):
        self.counter = Metrics.counter("veilwatch", "records_read")

    def inc(self, count: int = 1) -> None:
        self.counter.inc(count)
        _add(count)
