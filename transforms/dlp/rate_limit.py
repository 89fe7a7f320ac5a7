"""A per-worker limit on DLP requests per minute.

Requests are spaced evenly: at most one every ``60 / requests_per_minute``
seconds, so a worker never bursts past its share of the project's quota (600
requests per minute by default; divide by the number of workers you run).
Clock and sleep are injectable so tests measure real spacing without waiting
on a fake clock. :func:`shared_limiter` gives every DoFn instance of a worker
process (Beam runs several threads, each with its own instance) the same
limiter, so the limit holds per worker, not per thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    def __init__(
        self,
        requests_per_minute: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if requests_per_minute <= 0:
            raise ValueError("requests_per_minute must be positive")
        self.interval = 60.0 / requests_per_minute
        self._clock = clock
        self._sleep = sleep
        self._next = float("-inf")
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Wait until the next request may go out, and claim its slot."""
        with self._lock:
            now = self._clock()
            wait = self._next - now
            if wait > 0:
                self._sleep(wait)
                now = self._clock()
            self._next = max(now, self._next) + self.interval


_SHARED: dict[tuple, RateLimiter] = {}
_SHARED_LOCK = threading.Lock()


def shared_limiter(key: tuple, requests_per_minute: float) -> RateLimiter:
    """The process-wide limiter for ``key`` (e.g. project, location) at this rate."""
    with _SHARED_LOCK:
        limiter = _SHARED.get((key, requests_per_minute))
        if limiter is None:
            limiter = _SHARED[(key, requests_per_minute)] = RateLimiter(requests_per_minute)
        return limiter
