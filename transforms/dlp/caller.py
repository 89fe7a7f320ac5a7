"""Send rows to the DLP API in batches, split what is too big, retry what is throttled.

:class:`BatchCaller` takes the rows of one bundle, cuts them into requests within
DLP's limits (:mod:`~veilwatch.transforms.dlp.batching`), and for each request:

* waits for the per-worker rate limiter;
* on RESOURCE_EXHAUSTED, UNAVAILABLE or DEADLINE_EXCEEDED backs off (exponential,
  full jitter) and sends it again, at most ``max_attempts`` times in all;
* when the API answers that the request is too large or has too many findings
  (or the send function raises :class:`SplitNeeded`, e.g. on a truncated
  inspection), sends each half on its own, recursively;
* on any other INVALID_ARGUMENT (a value DLP cannot transform fails the whole
  request) splits the same way to isolate the rows at fault, at most
  ``isolation_requests`` extra requests per call of :meth:`BatchCaller.run`;
* otherwise gives up on its rows with a reason naming the status, never the
  API's message (it may quote data).

Every row comes back: a result, or a :class:`RowFailure`. Beam metrics count
requests, retries, splits and rows per request (namespace ``veilwatch_dlp``).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from apache_beam.metrics import Metrics

from veilwatch.transforms.dlp.batching import Limits, RowCost, plan_batches
from veilwatch.transforms.dlp.limits import Handling, classify, status_name
from veilwatch.transforms.dlp.rate_limit import RateLimiter

METRICS_NAMESPACE = "veilwatch_dlp"


class RowFailure(NamedTuple):
    """A row the API did not process; ``reason`` is safe for a dead letter."""

    reason: str


class SplitNeeded(Exception):
    """Raised by a send function when a response shows the request was too big."""

    def __init__(self, reason: str, isolating: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.isolating = isolating  # splitting to find rows at fault, within the isolation budget


class _GaveUp(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


SendFn = Callable[[Sequence[Any]], list[Any]]


class BatchCaller:
    def __init__(
        self,
        limiter: RateLimiter,
        max_attempts: int = 5,
        backoff_seconds: float = 1.0,
        max_backoff_seconds: float = 32.0,
        limits: Limits = Limits(),
        isolation_requests: int = 64,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
    ):
        self.limiter = limiter
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.limits = limits
        self.isolation_requests = isolation_requests
        self._isolation_left = isolation_requests
        self._sleep = sleep
        self._rng = rng
        self.requests = Metrics.counter(METRICS_NAMESPACE, "requests")
        self.retries = Metrics.counter(METRICS_NAMESPACE, "retries")
        self.splits = Metrics.counter(METRICS_NAMESPACE, "splits")
        self.failed_rows = Metrics.counter(METRICS_NAMESPACE, "rows_failed")
        self.rows_per_request = Metrics.distribution(METRICS_NAMESPACE, "rows_per_request")
        # Plain totals as well (Beam metrics are only readable from a pipeline result).
        self.totals = {"requests": 0, "retries": 0, "splits": 0, "rows_failed": 0}

    def run(
        self, units: Sequence[Any], costs: Sequence[RowCost], overhead_bytes: int, send: SendFn
    ) -> list[Any]:
        """Results (or RowFailure) for ``units``, in order; ``send(units_slice)`` returns one
        result per unit of the slice or raises the API's error (or SplitNeeded)."""
        out: list[Any] = [None] * len(units)
        self._isolation_left = self.isolation_requests
        for batch in plan_batches(costs, overhead_bytes, self.limits):
            self._run(units, batch.start, batch.stop, send, out)
        return out

    def _run(self, units: Sequence[Any], lo: int, hi: int, send: SendFn, out: list[Any]) -> None:
        try:
            results = self._send_with_backoff(units[lo:hi], send)
        except SplitNeeded as exc:
            if hi - lo == 1:
                self._fail(out, lo, hi, exc.reason)
                return
            if exc.isolating:
                if self._isolation_left < 2:
                    self._fail(out, lo, hi, exc.reason)
                    return
                self._isolation_left -= 2
            self.splits.inc()
            self.totals["splits"] += 1
            mid = (lo + hi) // 2
            self._run(units, lo, mid, send, out)
            self._run(units, mid, hi, send, out)
            return
        except _GaveUp as exc:
            self._fail(out, lo, hi, exc.reason)
            return
        out[lo:hi] = results

    def _fail(self, out: list[Any], lo: int, hi: int, reason: str) -> None:
        self.failed_rows.inc(hi - lo)
        self.totals["rows_failed"] += hi - lo
        out[lo:hi] = [RowFailure(reason)] * (hi - lo)

    def _send_with_backoff(self, chunk: Sequence[Any], send: SendFn) -> list[Any]:
        for attempt in range(1, self.max_attempts + 1):
            self.limiter.acquire()
            self.requests.inc()
            self.totals["requests"] += 1
            self.rows_per_request.update(len(chunk))
            try:
                results = send(chunk)
            except SplitNeeded:
                raise
            except Exception as exc:  # noqa: BLE001 - API and transport errors, sorted below
                handling = classify(exc)
                name = status_name(exc)
                if handling is Handling.SPLIT:
                    raise SplitNeeded(
                        f"DLP answered {name}: the request is too large or has too many "
                        "findings, even for this row alone"
                    ) from None
                if handling is Handling.ISOLATE:
                    raise SplitNeeded(
                        f"DLP answered {name} (a value its transformation cannot take, or a "
                        "config it refuses)",
                        isolating=True,
                    ) from None
                if handling is Handling.FAIL:
                    raise _GaveUp(f"DLP answered {name}") from None
                if attempt == self.max_attempts:
                    raise _GaveUp(
                        f"DLP answered {name} on all {self.max_attempts} attempts (quota or "
                        "availability); gave up"
                    ) from None
                self.retries.inc()
                self.totals["retries"] += 1
                # Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And Jitter").
                ceiling = min(self.max_backoff_seconds, self.backoff_seconds * 2 ** (attempt - 1))
                self._sleep(ceiling * self._rng())
                continue
            if len(results) != len(chunk):
                raise SplitNeeded(
                    "DLP returned a different number of rows than it was sent "
                    "(a recordSuppressions condition removed the row)"
                )
            return results
        raise AssertionError("unreachable")
