"""Discovery's pure logic: field paths, name hints, profiles that merge, proposal rules."""

from __future__ import annotations

import pickle

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that

from veilwatch.transforms.detection import DetectionEngine
from veilwatch.transforms.discovery import FieldProfiles, ProfileFields, propose, render_config
from veilwatch.transforms.discovery.hints import name_hint
from veilwatch.transforms.discovery.paths import CONTAINER, leaves


@pytest.fixture(scope="module")
def engine():
    return DetectionEngine()


def test_leaves_name_nested_and_list_paths():
    record = {
        "a": 1,
        "customer": {"email": "x@y.io"},
        "tags": ["p", "q"],
        "items": [{"sku": "s1"}],
        "n": None,
    }
    assert list(leaves(record)) == [
        ("a", 1),
        ("customer", CONTAINER),
        ("customer.email", "x@y.io"),
        ("tags", CONTAINER),
        ("tags[]", "p"),
        ("tags[]", "q"),
        ("items", CONTAINER),
        ("items[]", CONTAINER),
        ("items[].sku", "s1"),
        ("n", None),
    ]


@pytest.mark.parametrize(
    "path, expected",
    [
        ("customer.name", "PERSON_NAME"),
        ("name", "PERSON_NAME"),
        ("full_name", "PERSON_NAME"),
        ("firstName", "FIRST_NAME"),
        ("surname", "LAST_NAME"),
        ("user_id", "GENERIC_ID"),
        ("customerId", "GENERIC_ID"),
        ("patient.id", "GENERIC_ID"),
        ("dob", "DATE_OF_BIRTH"),
        ("product.name", None),
        ("service_name", None),
        ("file_name", None),
        ("username", None),
        ("transaction_id", None),
        ("order_id", None),
        ("request_id", None),
        ("session_id", None),
    ],
)
def test_name_hints(path, expected):
    assert name_hint(path) == expected


def _records(n: int) -> list[dict]:
    out = []
    for i in range(n):
        out.append(
            {
                "id": f"ord-{i:05d}",
                "ts": f"2026-11-02T00:{i % 60:02d}:00Z",
                "flag": i % 2 == 0,
                "qty": i,
                "price": i + 0.5,
                "contact": {"email": f"user{i}@example.org", "phone": f"+44 20 7{i % 1000:03d} 4567"},
                "passport_no": f"X{1234567 + i}",
                "comment": None if i % 3 else f"customer asked twice about item {i}",
                "category": ["books", "toys"][i % 2],
                "mixed": i if i % 2 else "x",
            }
        )
    return out


def test_proposal_rules(engine):
    profiles = FieldProfiles()
    for record in _records(90):
        profiles.add(record, engine)
    proposal = propose(profiles)
    by_path = {f.path: f for f in proposal.fields}
    assert [by_path[p].type for p in ("id", "ts", "flag", "qty", "price", "mixed")] == [
        "string",
        "timestamp",
        "boolean",
        "integer",
        "float",
        "json",
    ]
    assert by_path["id"].required
    assert not by_path["comment"].required
    assert (by_path["contact.email"].info_type, by_path["contact.email"].evidence) == (
        "EMAIL_ADDRESS",
        "values",
    )
    assert by_path["contact.email"].hit_rate == 1.0
    assert by_path["contact.phone"].info_type == "PHONE_NUMBER"
    # a context-only infoType is recognised in a column named for it (the field name is its context)
    assert by_path["passport_no"].info_type == "PASSPORT"
    assert by_path["id"].info_type is None
    assert by_path["category"].info_type is None
    assert proposal.scan_fields == ("comment",)  # prose with many distinct values; categories are not
    assert proposal.event_time == "ts"
    assert proposal.needs_keys  # emails are hashed with the keyset


def test_profiles_merge_like_one_pass(engine):
    records = _records(40)
    whole = FieldProfiles()
    for r in records:
        whole.add(r, engine)
    left, right = FieldProfiles(), FieldProfiles()
    for r in records[:15]:
        left.add(r, engine)
    for r in records[15:]:
        right.add(r, engine)
    merged = pickle.loads(pickle.dumps(left)).merge(pickle.loads(pickle.dumps(right)))  # as between workers
    assert merged.records == whole.records
    assert {p: vars(s) for p, s in merged.fields.items()} == {p: vars(s) for p, s in whole.fields.items()}
    assert propose(merged) == propose(whole)


def test_combine_fn_in_a_pipeline():
    records = _records(30)

    def check(outputs):
        assert len(outputs) == 1
        proposal = propose(outputs[0])
        assert {f.path: f.info_type for f in proposal.pii_fields} == {
            "contact.email": "EMAIL_ADDRESS",
            "contact.phone": "PHONE_NUMBER",
            "passport_no": "PASSPORT",
        }

    with TestPipeline() as p:
        out = p | beam.Create(records) | beam.CombineGlobally(ProfileFields())
        assert_that(out, check)


def test_render_has_no_values(engine):
    profiles = FieldProfiles()
    for record in _records(25):
        profiles.add(record, engine)
    text = render_config(propose(profiles), dataset="orders", source_format="jsonl", source_path="o.jsonl")
    assert "example.org" not in text
    assert "4567" not in text
    assert "# from values: hit rate 100.0%" in text


def test_csv_strings_that_read_as_numbers_get_number_types(engine):
    profiles = FieldProfiles()
    for i in range(30):
        profiles.add(
            {
                "qty": str(i),
                "price": f"{i}.5",
                "ok": "true",
                "card": "4111111111111111",
                "code": f"A{i}",
                "comment": "" if i % 2 else f"note {i}",
            },
            engine,
        )
    fields = {f.path: f for f in propose(profiles, strings_only=True).fields}
    assert [fields[p].type for p in ("qty", "price", "ok", "card", "code")] == [
        "integer",
        "float",
        "boolean",
        "string",
        "string",
    ]
    assert not fields["comment"].required  # an empty cell is no value
    assert {f.path: f.type for f in propose(profiles).fields}["qty"] == "string"  # JSON strings stay strings
