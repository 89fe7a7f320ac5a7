"""Window-by-window TFDV checks as windows arrive: the streaming stage's bookkeeping (no Beam).

    checker = StreamingChecker(config, given_schema)   # given_schema: a loaded schema, or None
    state = CheckerState()
    outcome = checker.observe(state, start, stats)      # windows in event-time order, panes again
    outcome.flagged                                     # flagged-window records new for this window

The checks are the batch run's (``checks.py``): the schema is given (every window is
checked), or inferred from the first ``baseline_windows`` windows that hold records
(those are not checked); each later window is validated against it and, for the
``drift`` fields, against the previous window that held records. What differs is that
windows arrive one at a time, and may arrive again:

- a late pane (records within the allowed lateness) carries its window's corrected
  statistics: the window is validated again and only anomalies not flagged for it
  before are emitted (later windows keep the drift they were checked with);
- a window with no records has no statistics, so it is neither checked nor flagged
  (as in batch, where TFDV has no slice for it); the count metrics watch volume.

The pane that completes the baseline carries the inferred schema (``inferred_schema``),
for the stage to write where a batch run writes its own.

State is bounded: the baseline's statistics until the schema is inferred, the schema,
and the windows a late pane can still reach (the allowed lateness plus one step, for
the previous window of the oldest) with their statistics and the anomalies flagged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from veilwatch.transforms.config.model import DatasetConfig
from veilwatch.transforms.data_validation.checks import baseline_schema, flagged_records, window_anomalies
from veilwatch.transforms.data_validation.features import profiled_columns, window_step_seconds


@dataclass
class RecentWindow:
    stats: bytes  # a serialized DatasetFeatureStatisticsList
    flagged: frozenset | None  # (series_key, detail) flagged for it; None: a baseline window, not checked


@dataclass
class CheckerState:
    """What the checker keeps between windows (serialized protos: small, and pickle as bytes)."""

    baseline: dict[float, bytes] = field(default_factory=dict)  # start -> statistics, until the schema exists
    schema: bytes | None = None  # the inferred schema
    recent: dict[float, RecentWindow] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    flagged: list[dict]  # flagged-window records not emitted before for this window
    new_window: bool  # the window's first pane
    first_check: bool  # the window was validated for the first time
    inferred_schema: Any = None  # the schema, on the pane that completed the baseline


class StreamingChecker:
    """Validates windows against the schema and their predecessor (see module docstring)."""

    def __init__(self, config: DatasetConfig, given_schema: Any = None):
        spec = config.data_validation
        assert spec is not None, "built only when data_validation is configured"
        self.spec = spec
        self.dataset = config.dataset
        self.columns = profiled_columns(config)
        self.step = window_step_seconds(config)
        # A late pane reaches back this far; its previous window one step further.
        self.keep_seconds = config.window.allowed_lateness_seconds + self.step
        self.given = (
            baseline_schema([], self.spec, self.columns, given_schema) if given_schema is not None else None
        )
        self._parsed: tuple[bytes, Any] | None = None

    def observe(self, state: CheckerState, start: float, stats: Any) -> Outcome:
        """One pane's statistics of the window starting at ``start`` (state is updated in place)."""
        serialized = stats.SerializeToString()
        entry = state.recent.get(start)
        schema = self._schema(state)
        if schema is None or (entry is not None and entry.flagged is None):
            return self._baseline(state, start, serialized, entry is None and start not in state.baseline)
        previous = max((s for s in state.recent if s < start), default=None)
        previous_stats = _parse_stats(state.recent[previous].stats) if previous is not None else None
        records = flagged_records(
            window_anomalies(stats, schema, previous_stats), self.dataset, start, self.step, self.columns
        )
        before = entry.flagged if entry is not None else frozenset()
        assert before is not None, "a window still in its baseline returned above"
        new = [r for r in records if (r["series_key"], r["detail"]) not in before]
        state.recent[start] = RecentWindow(serialized, before | {(r["series_key"], r["detail"]) for r in new})
        self._trim(state)
        return Outcome(new, entry is None, entry is None)

    def _baseline(self, state: CheckerState, start: float, serialized: bytes, new_window: bool) -> Outcome:
        """A baseline window (or a late pane of one): kept for the schema while it is being inferred."""
        state.recent[start] = RecentWindow(serialized, None)  # never checked
        inferred = None
        if state.schema is None and self.given is None:
            state.baseline[start] = serialized
            if len(state.baseline) >= self.spec.baseline_windows:
                windows = [(s, _parse_stats(b)) for s, b in sorted(state.baseline.items())]
                inferred = baseline_schema(windows, self.spec, self.columns)
                state.schema = inferred.SerializeToString()
                state.baseline = {}
        self._trim(state)
        return Outcome([], new_window, False, inferred)

    def _schema(self, state: CheckerState) -> Any:
        if self.given is not None:
            return self.given
        if state.schema is None:
            return None
        if self._parsed is None or self._parsed[0] != state.schema:
            from tensorflow_metadata.proto.v0 import schema_pb2

            self._parsed = (state.schema, schema_pb2.Schema.FromString(state.schema))
        return self._parsed[1]

    def _trim(self, state: CheckerState) -> None:
        newest = max(state.recent)
        for start in [s for s in state.recent if s < newest - self.keep_seconds]:
            del state.recent[start]


def _parse_stats(serialized: bytes) -> Any:
    from tensorflow_metadata.proto.v0 import statistics_pb2

    return statistics_pb2.DatasetFeatureStatisticsList.FromString(serialized)
