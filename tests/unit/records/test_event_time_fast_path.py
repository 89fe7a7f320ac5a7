"""The ISO 8601 event-time fast path reads every string exactly as the general path does.

``EventTimeParser.parse`` hands a string ending in ``Z`` straight to ``datetime.fromisoformat`` (Python
3.11 reads the ``Z``); the general path strips the string and replaces every ``Z``/``z`` by ``+00:00``
first. The fast path is only an optimisation: on any string, valid or not, the parser must give the
same epoch seconds, or the same ``None`` (and so the same RecordError) as the general path, which is
kept here verbatim as the reference.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from veilwatch.transforms.config.model import EventTimeSpec
from veilwatch.transforms.records.errors import RecordError
from veilwatch.transforms.records.event_time import EventTimeParser

PARSER = EventTimeParser(EventTimeSpec(field="ts", format="iso8601"))


def _general_path(value: str) -> float | None:
    """The iso8601 branch of ``EventTimeParser.parse`` before the fast path (commit 7c04a89)."""
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except (ValueError, TypeError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()


def _two(lo: int, hi: int) -> st.SearchStrategy[str]:
    return st.integers(lo, hi).map(lambda n: f"{n:02d}")


_DATE = st.one_of(
    st.builds(lambda y, m, d: f"{y:04d}-{m}-{d}", st.integers(1, 9999), _two(0, 13), _two(0, 32)),
    st.builds(lambda y: f"{y:04d}-02-29", st.integers(1, 9999)),  # leap days and non-leap Feb 29
    st.builds(lambda y, m, d: f"{y:04d}{m}{d}", st.integers(1, 9999), _two(1, 12), _two(1, 28)),
    st.sampled_from(["2026-W48-2", "2026-331", "1970-01-01", "2200-01-01", "2200-01-02", "20261"]),
)
_TIME = st.one_of(
    st.just(""),
    st.builds(
        lambda sep, h, m, s, frac: f"{sep}{h}:{m}{s}{frac}",
        st.sampled_from(["T", "t", " ", "_", "TT"]),
        _two(0, 25),
        _two(0, 60),
        st.one_of(st.just(""), _two(0, 61).map(lambda s: ":" + s)),
        st.one_of(st.just(""), st.from_regex(r"[.,][0-9]{0,9}", fullmatch=True)),
    ),
    st.builds(lambda h: f"T{h}", _two(0, 24)),
)
_ZONE = st.sampled_from(
    [
        "",
        "Z",
        "z",
        "ZZ",
        "zZ",
        "Zz",
        " Z",
        "Z ",
        "+00:00",
        "+00:00Z",
        "-05:30",
        "+0100",
        "+01:00Z",
        "-00:00Z",
        "+24:00",
    ]
)
_PADDING = st.sampled_from(["", " ", "\t", "\n", "\u00a0", "\u2003"])
_ISO_LIKE = st.builds(lambda a, d, t, z, b: a + d + t + z + b, _PADDING, _DATE, _TIME, _ZONE, _PADDING)
_NOISE = st.text(alphabet="0123456789-:T.,Zz+ tW\u00a0", max_size=32).map(lambda s: s + "Z")


@settings(max_examples=1500, deadline=None)
@given(st.one_of(_ISO_LIKE, _NOISE))
@example("2026-11-02T00:01:02.397485Z")
@example("2024-02-29T23:59:59.999999Z")
@example("2023-02-29T00:00:00Z")
@example("2026-11-02T00:01:02+00:00")
@example("2026-11-02T00:01:02z")
@example(" 2026-11-02T00:01:02Z")
@example("2026-11-02T00:01:02+01:00Z")
@example("2026-11-02T24:00:00Z")
@example("1969-12-31T23:59:59Z")
@example("2200-01-01T00:00:01Z")
@example("Z")
def test_same_seconds_or_same_refusal_as_the_general_path(value):
    assert PARSER.parse(value) == _general_path(value)


@pytest.mark.parametrize(
    "value, seconds",
    [
        ("2026-11-27T10:15:00Z", 1_795_774_500.0),
        ("2026-11-27T10:15:00.5Z", 1_795_774_500.5),
        ("2024-02-29T00:00:00Z", 1_709_164_800.0),
        ("2026-11-27T10:15:00+00:00", 1_795_774_500.0),
        ("2026-11-27T11:15:00+01:00", 1_795_774_500.0),
    ],
)
def test_known_values(value, seconds):
    assert PARSER({"ts": value}) == seconds


@pytest.mark.parametrize(
    "value", ["2023-02-29T00:00:00Z", "2026-11-27T10:15:00+01:00Z", "1969-12-31T23:59:59Z", "Z"]
)
def test_refusals_keep_their_error(value):
    with pytest.raises(RecordError) as raised:
        PARSER({"ts": value})
    assert str(raised.value) == str(
        RecordError("event_time", "event time field 'ts' is not a valid iso8601 time")
    )
