"""From field statistics to proposals: type, required, PII infoType, transformation, free text, event time.

The rules, in the order they apply to a field:

1. **type**: the JSON types of its non-null values: all booleans ``boolean``;
   all integers ``integer``; numbers ``float``; strings that (>= 95 %) parse as
   ISO-8601 date-times ``timestamp``; from a CSV source, strings that all read
   as integers, numbers or booleans get that type; other strings ``string``; a mix, or an
   object/list somewhere, ``json``. Objects and lists themselves are not
   proposed (their leaves are, ``customer.email``, ``items[].sku``).
2. **required**: non-null and non-empty in every sampled record.
3. **PII from values**: the infoType that whole values are most often
   (see ``profile.classify``), when its hit rate (values that are one / non-null
   values) is at least ``min_hit_rate``. DATE alone is not proposed: a date is
   not personal without birth context (a ``dob`` column gets DATE_OF_BIRTH).
4. **PII from the field name** (:mod:`~veilwatch.transforms.discovery.hints`), only when
   the values said nothing; reported as such, with no hit rate.
5. **free text to scan**: a string field that is not itself PII, whose values
   mostly hold several words or carry PII inside them, and which is not a short
   list of categories (more than ``min_distinct_free_text`` distinct values).
6. **event time**: a required timestamp field, preferring the usual names
   (``ts``, ``timestamp``, ``event_time`` ...).

Transformations default per infoType (:data:`DEFAULT_TRANSFORMATIONS`): values
that serve as join keys (emails, ids, IP addresses, IBANs) get a keyed hash,
so per-user metrics still work; card and phone numbers are masked but for
their last digits; names are redacted; anything else is replaced by its
infoType name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from veilwatch.transforms.discovery.hints import name_hint
from veilwatch.transforms.discovery.profile import FieldProfiles, FieldStats

DEFAULT_MIN_HIT_RATE = 0.6
TIMESTAMP_SHARE = 0.95  # strings that must parse as date-times for a timestamp field
FREE_TEXT_PROSE_SHARE = 0.3  # values with several words, for a free-text field
DEFAULT_MIN_DISTINCT_FREE_TEXT = 20  # fewer distinct values: categories, not text
NOT_PII_ALONE = frozenset({"DATE", "DOMAIN_NAME"})  # real findings, but not personal data by themselves
EVENT_TIME_NAMES = (
    "event_time",
    "ts",
    "timestamp",
    "time",
    "event_ts",
    "created_at",
    "occurred_at",
    "datetime",
)

# transformation per infoType: the YAML-ready mapping and whether it needs the keyset
_HASH: dict[str, Any] = {"cryptoHashConfig": {}}
DEFAULT_TRANSFORMATIONS: dict[str, Any] = {
    "EMAIL_ADDRESS": _HASH,
    "GENERIC_ID": _HASH,
    "IP_ADDRESS": _HASH,
    "IBAN_CODE": _HASH,
    "MAC_ADDRESS": _HASH,
    "CREDIT_CARD_NUMBER": {"characterMaskConfig": {"maskingCharacter": "*", "numberToMask": -4}},
    "PHONE_NUMBER": {"characterMaskConfig": {"maskingCharacter": "#", "numberToMask": -2}},
    "PERSON_NAME": "redactConfig",
    "FIRST_NAME": "redactConfig",
    "LAST_NAME": "redactConfig",
    "STREET_ADDRESS": "redactConfig",
    "DATE_OF_BIRTH": {"timePartConfig": {"partToExtract": "YEAR"}},
}
FALLBACK_TRANSFORMATION = "replaceWithInfoTypeConfig"
KEYED = frozenset(
    {
        "cryptoHashConfig",
        "cryptoDeterministicConfig",
        "cryptoReplaceFfxFpeConfig",
        "replaceDictionaryConfig",
        "dateShiftConfig",
    }
)


def transformation_for(info_type: str) -> Any:
    return DEFAULT_TRANSFORMATIONS.get(info_type, FALLBACK_TRANSFORMATION)


def is_keyed(transformation: Any) -> bool:
    name = transformation if isinstance(transformation, str) else next(iter(transformation))
    return name in KEYED


@dataclass(frozen=True)
class FieldProposal:
    """What discovery proposes for one field path."""

    path: str
    type: str
    required: bool
    present_rate: float  # records carrying a non-null value / sampled records
    info_type: str | None = None  # None: not PII
    evidence: str | None = None  # "values" or "field name"
    hit_rate: float | None = None  # values that are the infoType / non-null values (evidence "values")
    transformation: Any = None
    scan: bool = False  # free text to scan
    embedded: tuple[tuple[str, float], ...] = ()  # infoTypes found inside values, with their rates
    distinct: int = 0

    @property
    def is_pii(self) -> bool:
        return self.info_type is not None


@dataclass(frozen=True)
class DatasetProposal:
    records: int
    fields: tuple[FieldProposal, ...]
    event_time: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    event_time_span_seconds: float = 0.0  # latest minus earliest event time in the sample

    @property
    def pii_fields(self) -> tuple[FieldProposal, ...]:
        return tuple(f for f in self.fields if f.is_pii)

    @property
    def scan_fields(self) -> tuple[str, ...]:
        return tuple(f.path for f in self.fields if f.scan)

    @property
    def needs_keys(self) -> bool:
        return any(f.is_pii and is_keyed(f.transformation) for f in self.fields)


def field_type(stats: FieldStats, strings_only: bool = False) -> str | None:
    """The schema type of a field, or None for an object/list that only has leaves.

    ``strings_only``: the format has no other scalar type (CSV), so strings that all
    read as integers, numbers or booleans give that type."""
    types = stats.types
    if stats.values == 0:
        return None if stats.containers else "string"
    if stats.containers:
        return "json"
    kinds = set(types)
    if kinds == {"boolean"}:
        return "boolean"
    if kinds == {"integer"}:
        return "integer"
    if kinds <= {"integer", "float"}:
        return "float"
    if kinds == {"string"}:
        if stats.timestamps >= TIMESTAMP_SHARE * stats.strings:
            return "timestamp"
        read_as = stats.numeric_strings
        # identifiers written in digits (card, phone, national numbers) stay strings
        identifiers = sum(stats.whole.values()) > 0.5 * stats.strings
        if strings_only and sum(read_as.values()) == stats.strings and not identifiers:
            if set(read_as) == {"boolean"}:
                return "boolean"
            if set(read_as) == {"integer"}:
                return "integer"
            if set(read_as) <= {"integer", "float"}:
                return "float"
        return "string"
    return "json"


def _value_info_type(stats: FieldStats, min_hit_rate: float) -> tuple[str | None, float | None]:
    candidates = [(count, t) for t, count in stats.whole.items() if t not in NOT_PII_ALONE]
    if not candidates or not stats.values:
        return None, None
    count, info_type = max(candidates)
    rate = count / stats.values
    return (info_type, rate) if rate >= min_hit_rate else (None, None)


def propose(
    profiles: FieldProfiles,
    *,
    min_hit_rate: float = DEFAULT_MIN_HIT_RATE,
    min_distinct_free_text: int = DEFAULT_MIN_DISTINCT_FREE_TEXT,
    strings_only: bool = False,
) -> DatasetProposal:
    """The proposal for a profiled sample (``strings_only``: a CSV source, see ``field_type``)."""
    total = profiles.records
    proposals: list[FieldProposal] = []
    for path in profiles.order:
        stats = profiles.fields[path]
        ftype = field_type(stats, strings_only)
        if ftype is None:
            continue
        present = stats.records / total if total else 0.0
        info_type, rate = _value_info_type(stats, min_hit_rate)
        evidence = "values" if info_type else None
        if info_type is None and ftype in ("string", "integer", "timestamp"):
            hinted = name_hint(path)
            if hinted and (hinted != "DATE_OF_BIRTH" or ftype != "integer"):
                info_type, evidence = hinted, "field name"
        embedded = (
            tuple(
                sorted(
                    ((t, n / stats.values) for t, n in stats.embedded.items() if t not in NOT_PII_ALONE),
                    key=lambda item: -item[1],
                )
            )
            if stats.values
            else ()
        )
        scan = (
            ftype == "string"
            and info_type is None
            and (stats.prose >= FREE_TEXT_PROSE_SHARE * stats.strings or bool(embedded))
            and stats.distinct_count > min_distinct_free_text
        )
        proposals.append(
            FieldProposal(
                path=path,
                type=ftype,
                required=bool(total) and stats.records == total and stats.nulls == 0,
                present_rate=present,
                info_type=info_type,
                evidence=evidence,
                hit_rate=rate,
                transformation=transformation_for(info_type) if info_type else None,
                scan=scan,
                embedded=embedded,
                distinct=stats.distinct_count,
            )
        )
    event_time = _event_time(proposals)
    span = profiles.fields[event_time].time_span_seconds if event_time else 0.0
    return DatasetProposal(total, tuple(proposals), event_time, event_time_span_seconds=span)


def _event_time(fields: list[FieldProposal]) -> str | None:
    candidates = [f for f in fields if f.type == "timestamp" and f.required and not f.is_pii]
    if not candidates:
        return None

    def rank(f: FieldProposal) -> tuple[int, int]:
        leaf = f.path.rsplit(".", 1)[-1].lower()
        return (
            EVENT_TIME_NAMES.index(leaf) if leaf in EVENT_TIME_NAMES else len(EVENT_TIME_NAMES),
            f.path.count("."),
        )

    return min(candidates, key=rank).path
