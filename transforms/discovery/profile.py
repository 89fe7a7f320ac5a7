"""Per-field statistics of sampled records, mergeable across workers.

For every field path (see :mod:`~veilwatch.transforms.discovery.paths`) a
:class:`FieldStats` counts the records that carry it, its JSON types, how many
of its strings read as timestamps or look like prose, and, from the detection
engine, how many values *are* a given infoType (a finding covering at least
:data:`WHOLE_VALUE_SHARE` of the value) and how many merely *contain* one
(free text with PII inside). The field's own name is put in front of each value
as context, as a column header would be, so that context-only infoTypes
(passport, driver's licence, bare national numbers) can be recognised in a
column named for them; findings inside that prefix are ignored.

No value is kept: distinct values are counted through 64-bit hashes (a
bounded set), so a profile can be logged or shipped between workers. The one
exception is the earliest and latest time of a timestamp field whose name does
not suggest personal data (``dob`` does): the sample's time span, from which
``discover`` chooses the detector it proposes.

``ProfileFields`` is the CombineFn: one accumulator per worker bundle, merged
into one :class:`FieldProfiles` for the whole sample.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import apache_beam as beam

from veilwatch.transforms.detection import DetectionEngine, DetectionSettings, Finding, Likelihood
from veilwatch.transforms.discovery.hints import name_hint
from veilwatch.transforms.discovery.paths import CONTAINER, leaves

# A value "is" an infoType when one finding covers at least this share of it
# (separators and a word or two around a number may remain: "tel. +44 ...").
WHOLE_VALUE_SHARE = 0.8
# Distinct hashes remembered per field: enough to tell categories from free
# text and identifiers, bounded so a profile stays small.
MAX_DISTINCT = 1000
# Strings longer than this are profiled by their first part only.
MAX_VALUE_CHARS = 4096
# Integers with at least this many digits are also classified (card numbers,
# phone numbers and national ids stored as numbers).
MIN_NUMBER_DIGITS = 6


@dataclass
class FieldStats:
    """Counts for one field path over the sampled records (no values)."""

    records: int = 0  # records in which the path holds a non-null value
    nulls: int = 0  # null occurrences
    values: int = 0  # non-null scalar occurrences
    containers: int = 0  # occurrences as an object or a list
    types: Counter = field(default_factory=Counter)  # string / integer / float / boolean
    timestamps: int = 0  # strings that parse as ISO-8601 date-times
    numeric_strings: Counter = field(
        default_factory=Counter
    )  # integer / float / boolean: strings that read as one (CSV)
    prose: int = 0  # strings with whitespace between words
    chars: int = 0  # total length of the strings
    whole: Counter = field(default_factory=Counter)  # infoType -> values that are one
    embedded: Counter = field(default_factory=Counter)  # infoType -> values that contain one
    distinct: set = field(default_factory=set)  # 64-bit hashes of values (bounded)
    distinct_overflow: bool = False
    first_time: float | None = None  # earliest / latest timestamp string, epoch seconds (naive = UTC)
    last_time: float | None = None

    @property
    def time_span_seconds(self) -> float:
        """Seconds between the earliest and the latest timestamp value (0 without two)."""
        if self.first_time is None or self.last_time is None:  # set together
            return 0.0
        return self.last_time - self.first_time

    def _add_time(self, t: float) -> None:
        self.first_time = t if self.first_time is None else min(self.first_time, t)
        self.last_time = t if self.last_time is None else max(self.last_time, t)

    def merge(self, other: FieldStats) -> None:
        self.records += other.records
        self.nulls += other.nulls
        self.values += other.values
        self.containers += other.containers
        self.types.update(other.types)
        self.timestamps += other.timestamps
        self.numeric_strings.update(other.numeric_strings)
        self.prose += other.prose
        self.chars += other.chars
        self.whole.update(other.whole)
        self.embedded.update(other.embedded)
        self._add_hashes(other.distinct)
        self.distinct_overflow |= other.distinct_overflow
        if other.first_time is not None and other.last_time is not None:  # set together
            self._add_time(other.first_time)
            self._add_time(other.last_time)

    def _add_hashes(self, hashes: Iterable[int]) -> None:
        for h in hashes:
            if len(self.distinct) >= MAX_DISTINCT:
                self.distinct_overflow = True
                return
            self.distinct.add(h)

    @property
    def distinct_count(self) -> int:
        """Distinct values seen (a lower bound when more than MAX_DISTINCT)."""
        return len(self.distinct)

    @property
    def strings(self) -> int:
        return self.types.get("string", 0)


def _stable_hash(value: Any) -> int:
    # Python's hash() is salted per process: workers would not agree on it.
    return int.from_bytes(
        hashlib.blake2b(repr(value).encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big"
    )


def _timestamp(text: str) -> float | None:
    """Epoch seconds of an ISO-8601 date-time string (naive = UTC), else None."""
    if not 10 <= len(text) <= 40 or not text[:4].isdigit():
        return None
    try:
        t = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=datetime.UTC)
    try:
        return t.timestamp()
    except (OverflowError, ValueError, OSError):
        return None


@functools.lru_cache(maxsize=4096)
def _may_keep_times(path: str) -> bool:
    """Whether a timestamp field's earliest and latest values may be kept: not when its name says personal."""
    return name_hint(path) is None


_BOOLEANS = frozenset({"true", "false"})


def _scalar_kind(text: str) -> str | None:
    """What a string reads as when a format has only strings (CSV): integer, float, boolean or None."""
    stripped = text.strip()
    if stripped.lower() in _BOOLEANS:
        return "boolean"
    try:
        int(stripped)
        return "integer"
    except ValueError:
        pass
    try:
        float(stripped)
    except ValueError:
        return None
    return "float" if stripped.lower() not in ("nan", "inf", "-inf", "infinity", "-infinity") else None


def _context_prefix(path: str) -> str:
    """``customer.passport_no`` -> ``"passport no: "``: the field name as context words."""
    leaf = path.rsplit(".", 1)[-1].replace("[]", "")
    return leaf.replace("_", " ").replace("-", " ") + ": "


def classify(engine: DetectionEngine, path: str, value: str) -> tuple[str | None, set[str]]:
    """(infoType the whole value is, or None; infoTypes found inside it) for one value."""
    stripped = value.strip()
    if not stripped:
        return None, set()
    prefix = _context_prefix(path)
    findings: list[Finding] = [f for f in engine.scan(prefix + stripped) if f.start >= len(prefix)]
    whole, best = None, 0.0
    inside: set[str] = set()
    for f in findings:
        share = (f.end - f.start) / len(stripped)
        if share >= WHOLE_VALUE_SHARE and (
            share > best or (share == best and f.likelihood > Likelihood.POSSIBLE)
        ):
            whole, best = f.info_type, share
        else:
            inside.add(f.info_type)
    return whole, inside


class FieldProfiles:
    """Statistics per field path over a set of records; ``merge`` combines two."""

    def __init__(self) -> None:
        self.records = 0
        self.fields: dict[str, FieldStats] = {}
        self.order: list[str] = []  # paths in first-seen order (the proposal keeps it)

    def _stats(self, path: str) -> FieldStats:
        stats = self.fields.get(path)
        if stats is None:
            stats = self.fields[path] = FieldStats()
            self.order.append(path)
        return stats

    def add(self, record: dict, engine: DetectionEngine) -> None:
        """Profile one record."""
        self.records += 1
        present: set[str] = set()
        for path, value in leaves(record):
            stats = self._stats(path)
            if value is None or (isinstance(value, str) and not value.strip()):
                stats.nulls += 1  # an empty string (an empty CSV cell) is no value either
                continue
            if value is CONTAINER:
                stats.containers += 1
                present.add(path)
                continue
            present.add(path)
            stats.values += 1
            if len(stats.distinct) < MAX_DISTINCT:
                stats._add_hashes((_stable_hash(value),))
            else:
                stats.distinct_overflow = True
            if isinstance(value, bool):
                stats.types["boolean"] += 1
                continue
            if isinstance(value, int):
                stats.types["integer"] += 1
                if len(str(abs(value))) >= MIN_NUMBER_DIGITS:
                    whole, _ = classify(engine, path, str(value))
                    if whole:
                        stats.whole[whole] += 1
                continue
            if isinstance(value, float):
                stats.types["float"] += 1
                continue
            text = str(value)[:MAX_VALUE_CHARS]
            stats.types["string"] += 1
            stats.chars += len(text)
            when = _timestamp(text)
            if when is not None:
                stats.timestamps += 1
                if _may_keep_times(path):
                    stats._add_time(when)
                continue
            kind = _scalar_kind(text)
            if kind:
                stats.numeric_strings[kind] += 1
            if " " in text.strip() or "\n" in text.strip():
                stats.prose += 1
            whole, inside = classify(engine, path, text)
            if whole:
                stats.whole[whole] += 1
            for info_type in inside:
                stats.embedded[info_type] += 1
        for path in present:
            self.fields[path].records += 1

    def merge(self, other: FieldProfiles) -> FieldProfiles:
        self.records += other.records
        for path in other.order:
            self._stats(path).merge(other.fields[path])
        return self


def discovery_engine() -> DetectionEngine:
    """The default catalog, names included when the NER model is installed (a warning on stderr
    says when it is not: a name column then gets no PERSON_NAME proposal from its values)."""
    return DetectionEngine(DetectionSettings(use_ner=None))


class ProfileFields(beam.CombineFn):
    """records -> one :class:`FieldProfiles` (the engine is built once per worker)."""

    def __init__(self, engine_factory=discovery_engine) -> None:
        super().__init__()
        self._factory = engine_factory
        self._engine: DetectionEngine | None = None

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_engine"] = None  # compiled native patterns do not pickle; rebuilt on the worker
        return state

    def setup(self) -> None:
        self._engine = self._factory()

    def _get_engine(self) -> DetectionEngine:
        if self._engine is None:
            self._engine = self._factory()
        return self._engine

    def create_accumulator(self) -> FieldProfiles:
        return FieldProfiles()

    def add_input(self, accumulator: FieldProfiles, record: dict) -> FieldProfiles:
        accumulator.add(record, self._get_engine())
        return accumulator

    def merge_accumulators(self, accumulators: Iterable[FieldProfiles]) -> FieldProfiles:
        merged = FieldProfiles()
        for accumulator in accumulators:
            merged.merge(accumulator)
        return merged

    def extract_output(self, accumulator: FieldProfiles) -> FieldProfiles:
        return accumulator
