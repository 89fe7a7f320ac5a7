"""Hypothesis strategies for hostile records carrying planted PII, and a way to draw a batch of them.

A record is drawn as one hypothesis example: declared fields (some missing, of the wrong
type, not finite), free text with PII at its start, middle and end next to punctuation,
fields outside the schema nested at random (objects, lists, dotted keys) with PII in
their values and in their KEY NAMES, PII in the event time and in the group_by field,
and unicode of every kind (full-width forms, right-to-left text, emoji, zero-width and
bidi controls, lone surrogate escapes in JSON). Each planted value is a
:class:`Planted` string (or int) that remembers its :class:`~tests.reliability.plants.Plant`;
:func:`draw_batch` collects the records, turns the markers back into plain values and
returns the plants, so the caller knows exactly what must not come out.

A batch is many hypothesis examples collected into one file: a pipeline run costs
seconds, a record microseconds.
"""

from __future__ import annotations

import functools
import math
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from tests.reliability.plants import KINDS, Plant, make

FORMATS = ("jsonl", "csv", "avro", "parquet")
RAW_PREFIX = "\x00raw-json:"  # a JSONL number json.dumps cannot write (1e999), replaced after dumping
NON_FINITE_TEXT = ("1e999", "-1e999", "1E400", "NaN", "Infinity", "-Infinity")

UNICODE = [
    "ＦＵＬＬ　ｗｉｄｔｈ １２３",
    "שלום עולם",
    "مرحبا بالعالم",
    "\u202egnp.exe\u202c",
    "zero\u200bwidth\u200d",
    "👩‍👩‍👧‍👦 🏳️‍🌈",
    "e\u0301\u0301\u0301",
    "ǅ ß ﬁ Ⅻ",
    "\ufeffbom",
    "tab\tnew\nline\r\n",
    "nul\x00byte",
    "ℌ𝔢𝔩𝔩𝔬",
    "日本語テキスト",
    "한국어",
    "   ",
    "",
]
SEPARATORS = [
    " ",
    ", ",
    ". ",
    "; ",
    ": ",
    " (",
    ") ",
    " [",
    "] ",
    ' "',
    '" ',
    " '",
    "' ",
    "! ",
    "? ",
    " / ",
    "\n",
    "\t",
    " - ",
    "，",
    "。",
    " « ",
    " » ",
    " 😀 ",
    " \u200f",
    "<",
    ">",
    " |",
    "=",
    " #",
]
CATEGORIES = ["grocery", "travel", "fuel", "electronics", "restaurants", "pharmacy"]
# top-level names of the payments schema: a field outside the schema must not take one
DECLARED_TOP = {
    "transaction_id",
    "ts",
    "customer",
    "card_number",
    "iban",
    "ip_address",
    "amount",
    "currency",
    "merchant_category",
    "merchant_reference",
    "country",
    "note",
}
DEEP = 500  # the depth of the few very deep JSONL records


class Planted(str):
    """A string holding planted values (``plants``)."""

    plants: tuple[Plant, ...] = ()


class PlantedInt(int):
    plants: tuple[Plant, ...] = ()


def _planted(text: str, plants: list[Plant]) -> Planted:
    out = Planted(text)
    out.plants = tuple(plants)
    return out


# Strategies are built once (functools.cache): building one per draw costs hypothesis a validation each time.
@functools.cache
def plant(
    kinds=KINDS, position: str = "value", may_pass_anonymized: bool = False
) -> st.SearchStrategy[Plant]:
    return st.builds(
        lambda k, s: make(k, s, position, may_pass_anonymized=may_pass_anonymized),
        st.sampled_from(kinds),
        st.integers(0, 2**31),
    )


@functools.cache
def noise(fmt: str) -> st.SearchStrategy[str]:
    """Short text: random characters, or a fragment of hostile unicode; in JSONL now and then a lone surrogate."""
    text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=24)
    fragment = st.sampled_from(UNICODE)
    surrogate = st.sampled_from(["\ud83d", "lone \udc00 low", "\udbff\udbff"])  # written as \uXXXX escapes
    return st.integers(0, 99).flatmap(
        lambda roll: surrogate if fmt == "jsonl" and roll == 50 else fragment if roll < 30 else text
    )


@functools.cache
def free_text(fmt: str, position: str = "text") -> st.SearchStrategy[Planted]:
    return _free_text(fmt, position)


@st.composite
def _free_text(draw, fmt: str, position: str) -> Planted:
    separators = SEPARATORS
    """Noise with 1-3 planted values at the start, in the middle and at the end, next to punctuation."""
    words = draw(st.lists(noise(fmt), min_size=1, max_size=4))
    plants = []
    for where in draw(st.lists(st.sampled_from(["start", "middle", "end"]), min_size=1, max_size=3)):
        p = draw(plant(KINDS, f"{position}:{where}"))
        sep_before, sep_after = draw(st.sampled_from(separators)), draw(st.sampled_from(separators))
        piece = f"{sep_before}{p.value}{sep_after}"
        if where == "start":
            words.insert(0, piece.lstrip())
        elif where == "end":
            words.append(piece.rstrip())
        else:
            words.insert(len(words) // 2 + 1, piece)
        plants.append(p)
    return _planted(" ".join(words), plants)


@functools.cache
def _scalar(fmt: str, with_pii: bool) -> st.SearchStrategy[Any]:
    options = [
        st.none(),
        st.booleans(),
        st.integers(),
        noise(fmt),
        st.floats(allow_nan=fmt == "jsonl", allow_infinity=fmt == "jsonl"),
    ]
    if fmt == "jsonl":
        options.append(st.sampled_from(NON_FINITE_TEXT[:3]).map(lambda t: RAW_PREFIX + t))
    if with_pii:
        options += [
            plant(KINDS, "unknown:value").map(lambda p: _planted(p.value, [p])),
            free_text(fmt, "unknown:text"),
            plant(("card",), "unknown:int").filter(lambda p: p.value.isdigit()).map(_planted_int),
        ]
    return st.one_of(*options)


def _planted_int(p: Plant) -> PlantedInt:
    out = PlantedInt(int(p.value))
    out.plants = (p,)
    return out


@functools.cache
def _key(fmt: str, top: bool) -> st.SearchStrategy[str]:
    plain = st.one_of(
        st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
        st.sampled_from(
            [
                "a.b",
                "x.y.z",
                "items[]",
                "__proto__",
                "0",
                "$ref",
                "ｆｕｌｌ",
                "ключ",
                "مفتاح",
                "🔑",
                ".",
                "..",
                "a..b",
                "customer.extra",
                " ",
            ]
        ),
    )
    planted = plant(KINDS, "key-name").map(lambda p: _planted(p.value, [p]))
    key = st.one_of(plain, plain, planted)
    return key.filter(lambda k: k not in DECLARED_TOP) if top else key


@functools.cache
def unknown_tree(fmt: str, with_pii: bool) -> st.SearchStrategy[Any]:
    return st.recursive(
        _scalar(fmt, with_pii),
        lambda children: st.one_of(
            st.lists(children, max_size=4), st.dictionaries(_key(fmt, top=False), children, max_size=4)
        ),
        max_leaves=10,
    )


def _timestamp(minute: int) -> str:
    day, rest = divmod(minute, 24 * 60)
    return f"2026-11-{1 + day:02d}T{rest // 60:02d}:{rest % 60:02d}:00Z"


@st.composite
def payment_record(draw, fmt: str, policy: str) -> dict:
    """A payments record (templates/datasets/payments.yaml) with PII in every position."""

    def maybe(strategy):
        roll = draw(
            st.integers(0, 999)
        )  # missing or of the wrong type 1.5% each (away from 0: hypothesis favours it)
        if 500 <= roll < 515:
            return _MISSING
        if 515 <= roll < 530:
            return draw(_wrong_type(fmt))
        return draw(strategy)

    record: dict = {
        "transaction_id": maybe(st.integers(0, 10**9).map(lambda n: f"t-{n}")),
        "ts": draw(_event_time(fmt)),
        "customer": {
            "name": maybe(declared("name")),
            "email": maybe(declared("email")),
            "phone": maybe(declared("phone")),
        },
        "card_number": maybe(declared("card")),
        "iban": maybe(declared("iban")),
        "ip_address": maybe(declared("ip")),
        "amount": maybe(_amount(fmt)),
        "currency": maybe(st.sampled_from(["EUR", "USD", "GBP"]) | noise(fmt)),
        "merchant_category": maybe(_category()),
        "merchant_reference": maybe(noise(fmt)),
        "country": maybe(st.sampled_from(["DE", "FR", "NL", "GB", "US"]) | noise(fmt)),
        "note": maybe(free_text(fmt, "text")),
    }
    record["customer"] = {k: v for k, v in record["customer"].items() if v is not _MISSING}
    record = {k: v for k, v in record.items() if v is not _MISSING}
    if draw(st.integers(0, 9)) < 4:  # fields outside the schema
        extras = draw(
            st.dictionaries(
                _key(fmt, top=True), unknown_tree(fmt, with_pii=policy != "keep"), min_size=1, max_size=3
            )
        )
        record.update(extras)
    return record


_MISSING = object()


def _one_in(n: int, rare: st.SearchStrategy, common: st.SearchStrategy) -> st.SearchStrategy:
    return st.integers(0, n - 1).flatmap(lambda roll: rare if roll == n // 2 else common)


@functools.cache
def declared(kind: str) -> st.SearchStrategy[Planted]:
    """A declared PII field's value; card numbers as digits (FF1 takes digits only) but now and then formatted."""
    strategy = plant((kind,), f"declared:{kind}")
    if kind == "card":
        strategy = _one_in(8, strategy, strategy.filter(lambda p: p.value.isdigit()))
    return strategy.map(lambda p: _planted(p.value, [p]))


@functools.cache
def _wrong_type(fmt: str) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), st.integers(), st.lists(st.integers(), max_size=2), noise(fmt))


@functools.cache
def _event_time(fmt: str) -> st.SearchStrategy[Any]:
    valid = st.integers(0, 2 * 24 * 60 - 1).map(_timestamp)
    planted = plant(KINDS, "event_time").map(lambda p: _planted(p.value, [p]))
    return _one_in(25, planted, _one_in(40, noise(fmt), valid))


@functools.cache
def _amount(fmt: str) -> st.SearchStrategy[Any]:
    return _one_in(
        25,
        st.sampled_from(NON_FINITE_TEXT).map(_non_finite(fmt)),
        st.one_of(st.floats(0, 10_000), st.integers(0, 10**6)),
    )


@functools.cache
def _category() -> st.SearchStrategy[Any]:
    planted = plant(KINDS, "group_by", may_pass_anonymized=True).map(lambda p: _planted(p.value, [p]))
    return _one_in(15, planted, st.sampled_from(CATEGORIES))


def _non_finite(fmt: str):
    def convert(text: str):
        if fmt == "jsonl":
            return RAW_PREFIX + text
        if fmt == "csv":
            return text
        return float(text)  # Avro and Parquet doubles hold inf and nan

    return convert


def deep_records() -> list[tuple[dict, list[Plant]]]:
    """Three JSONL records nested ~500 levels deep in fields outside the schema, PII at the bottom."""
    out = []
    for i, (kind, key_kind) in enumerate([("email", "name"), ("card", "email"), ("ssn", "phone")]):
        value, key = make(kind, 7_000 + i, "deep:value"), make(key_kind, 8_000 + i, "deep:key-name")
        node: Any = {key.value: f"see {value.value}."}
        for level in range(DEEP):
            node = [node] if level % 2 else {"k": node}
        record = {
            "transaction_id": f"deep-{i}",
            "ts": _timestamp(60 * i),
            "amount": 1.0,
            "customer": {"email": "nobody@nowhere.invalid"},
            "card_number": "4111111111111111",
            ("deep" if i < 2 else "customer"): node if i < 2 else {"email": "x@y.invalid", "deep": node},
        }
        out.append((record, [value, key]))
    return out


def huge_records(run_seed: int, sizes: tuple[int, ...] = (20_000,)) -> list[tuple[dict, list[Plant]]]:
    """A record with a huge note (``size`` characters; the NER model makes a long text cost seconds), PII at
    its start, middle and end."""
    out = []
    for i, size in enumerate(sizes):
        found = [
            make(kind, run_seed * 100 + i * 10 + j, f"huge-text:{where}")
            for j, (kind, where) in enumerate([("email", "start"), ("iban", "middle"), ("ssn", "end")])
        ]
        filler = ("lorem ipsum ｆｕｌｌ שלום 😀 " * (size // 26))[: size // 2]
        note = f"{found[0].value}, {filler} ({found[1].value}) {filler} {found[2].value}."
        record = {
            "transaction_id": f"huge-{i}",
            "ts": _timestamp(90 + i),
            "amount": 2.5,
            "customer": {"email": make("email", run_seed + i, "declared:email").value},
            "card_number": "4111111111111111",
            "note": note,
        }
        out.append((record, found + [make("email", run_seed + i, "declared:email")]))
    return out


def strip_markers(record: Any) -> tuple[Any, list[Plant]]:
    """The record with plain str/int values, and the plants it holds (a walk without recursion)."""
    plants: list[Plant] = []

    def plain(value):
        if isinstance(value, (Planted, PlantedInt)):
            plants.extend(value.plants)
            return str(value) if isinstance(value, Planted) else int(value)
        return value

    root: list = [record]
    stack = [(root, 0)]
    while stack:
        container, index = stack.pop()
        value = container[index]
        if isinstance(value, dict):
            rebuilt = {plain(k): v for k, v in value.items()}
            container[index] = rebuilt
            stack.extend((rebuilt, k) for k in rebuilt)
        elif isinstance(value, list):
            rebuilt_list = list(value)
            container[index] = rebuilt_list
            stack.extend((rebuilt_list, i) for i in range(len(rebuilt_list)))
        else:
            container[index] = plain(value)
    return root[0], plants


def draw_batch(
    strategy: st.SearchStrategy[dict], count: int, run_seed: int
) -> list[tuple[dict, list[Plant]]]:
    """``count`` hypothesis examples of ``strategy`` (reproducible: a fixed seed, no database)."""
    batch: list[tuple[dict, list[Plant]]] = []

    @seed(run_seed)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(record):
        batch.append(strip_markers(record))

    collect()
    return batch


def is_finite_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
