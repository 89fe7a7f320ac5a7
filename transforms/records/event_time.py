"""Read a record's event time as epoch seconds (UTC).

Formats: ``iso8601`` (``2026-11-27T10:15:00Z``, offsets honoured, naive read
as UTC), ``epoch_seconds``, ``epoch_millis``, or a ``strptime`` pattern.
Avro and Parquet sources may hand over ``datetime`` objects; those are used
as they are.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from veilwatch.transforms.config.model import EventTimeSpec
from veilwatch.transforms.records.errors import RecordError
from veilwatch.transforms.records.paths import first_value_getter

_UTC = dt.UTC
# Event times outside this range are treated as malformed (year 1970..2200).
_MIN_EPOCH, _MAX_EPOCH = 0.0, 7_258_118_400.0


class EventTimeParser:
    def __init__(self, spec: EventTimeSpec):
        self.field = spec.field
        self.format = spec.format
        self._get = first_value_getter(spec.field)  # a plain dict lookup for a top-level field
        self._iso = spec.format == "iso8601"

    def __call__(self, record: dict) -> float:
        value = self._get(record)
        if value is None:
            raise RecordError("event_time", f"event time field '{self.field}' is missing")
        seconds = self.read(value)
        if seconds is None:
            raise RecordError(
                "event_time", f"event time field '{self.field}' is not a valid {self.format} time"
            )
        return seconds

    def read(self, value: Any) -> float | None:
        """A value -> epoch seconds, or None when it is no valid event time (unreadable, out of range)."""
        seconds = self.parse(value)
        return seconds if seconds is not None and _MIN_EPOCH <= seconds <= _MAX_EPOCH else None

    def parse(self, value: Any) -> float | None:
        if (
            self._iso
            and type(value) is str
            and value.endswith("Z")
            and value.count("Z") == 1
            and "z" not in value
        ):
            # The common shape (``2026-11-27T10:15:00.123456Z``, one Z, at the end): Python 3.11's
            # fromisoformat reads the ``Z`` itself, so the strip and replaces below are skipped. Whatever
            # it accepts here it reads as ``...+00:00`` is read (tests/unit/records/test_event_time_fast_path.py
            # compares both on generated strings; with a second Z/z they differ: ``00:00zZ``); anything
            # else (an error, no time zone) takes the general path, which decides as before.
            try:
                fast = dt.datetime.fromisoformat(value)
            except (ValueError, TypeError, OverflowError):
                fast = None
            if fast is not None and fast.tzinfo is not None:
                return fast.timestamp()
        if isinstance(value, dt.datetime):
            return (value if value.tzinfo else value.replace(tzinfo=_UTC)).timestamp()
        if isinstance(value, bool):
            return None
        fmt = self.format
        try:
            if fmt == "epoch_seconds":
                return float(value)
            if fmt == "epoch_millis":
                return float(value) / 1000.0
            if not isinstance(value, str):
                return None
            if fmt == "iso8601":
                parsed = dt.datetime.fromisoformat(
                    value.strip().replace("Z", "+00:00").replace("z", "+00:00")
                )
            else:
                parsed = dt.datetime.strptime(value.strip(), fmt)
        except (ValueError, TypeError, OverflowError):
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=_UTC)
        return parsed.timestamp()


def to_iso(seconds: float) -> str:
    """Epoch seconds -> ``2026-11-27T10:00:00Z``."""
    return dt.datetime.fromtimestamp(seconds, _UTC).isoformat().replace("+00:00", "Z")
