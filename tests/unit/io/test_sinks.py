"""CSV sink formula neutralisation, its config switch, and the run summary's unreadable files."""

from __future__ import annotations

import csv
import io

import pytest
import yaml

from tests.conftest import FIXTURES
from veilwatch.pipelines.summary_report import format_summary
from veilwatch.transforms.config.errors import ConfigError
from veilwatch.transforms.config_loading.loader import parse_config
from veilwatch.transforms.elements import AnonymizedBatch
from veilwatch.transforms.io.sinks import csv_text, neutralize_formula, summary_document

HOSTILE = ['=HYPERLINK("http://evil.example","x")', "+SUM(A1:A9)", "-2+3", "@cmd", "\tx", "\rx", "-", "=1+1"]


@pytest.mark.parametrize("cell", HOSTILE)
def test_formula_leading_text_is_prefixed_with_a_quote(cell):
    assert neutralize_formula(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["-12.5", "+3", "-0.5e-3", "-7", ".5", "plain", "", "a=b", "12-3"])
def test_numbers_and_ordinary_text_are_left_alone(cell):
    assert neutralize_formula(cell) == cell


@pytest.mark.parametrize("value", [-12.5, -3, True, None])
def test_non_text_values_are_left_alone(value):
    assert neutralize_formula(value) == value


def _rows(text):
    return list(csv.reader(io.StringIO(text)))


def test_csv_text_neutralises_every_formula_cell_unless_switched_off():
    batch = AnonymizedBatch(
        (
            {"id": '=HYPERLINK("http://e")', "n": {"note": "@cmd"}, "amount": -12.5},
            {"id": "+SUM(1)", "n": {"note": "\tx"}, "amount": "-4"},
        ),
        (0.0, 0.0),
    )
    header = ["id", "n.note", "amount"]
    assert _rows(csv_text(batch, header, ",")) == [
        ['\'=HYPERLINK("http://e")', "'@cmd", "-12.5"],
        ["'+SUM(1)", "'\tx", "-4"],
    ]
    assert _rows(csv_text(batch, header, ",", neutralize_formulas=False)) == [
        ['=HYPERLINK("http://e")', "@cmd", "-12.5"],
        ["+SUM(1)", "\tx", "-4"],
    ]


def _doc(**sinks):
    doc = yaml.safe_load((FIXTURES / "configs" / "minimal.yaml").read_text())
    doc["sinks"] = {"output_dir": "out", **sinks}
    return doc


def test_the_switch_defaults_to_on_and_is_validated():
    assert parse_config(_doc()).sinks.csv_neutralize_formulas is True
    assert parse_config(_doc(csv_neutralize_formulas=False)).sinks.csv_neutralize_formulas is False
    with pytest.raises(
        ConfigError, match=r"sinks\.csv_neutralize_formulas: expected true or false, got"
    ) as info:
        parse_config(_doc(csv_neutralize_formulas="no"))
    assert [str(i) for i in info.value.issues] == [
        "sinks.csv_neutralize_formulas: expected true or false, got a string"
    ]


def test_the_run_summary_counts_each_unreadable_file_once():
    counts = {
        "records_read": 10,
        "records_anonymized": 7,
        "records_dead_lettered": 3,
        "unreadable_file|/in/a.avro": 1,
        "unreadable_file|/in/b.parquet": 2,
    }  # b: two ranges failed
    document = summary_document("d", counts)
    assert document["files_unreadable"] == 2
    assert document["all_records_accounted_for"] is True
    assert not any("/in/" in str(v) for v in document.values())
    text = format_summary({**document, "windows_scored": 0}, "/nonexistent-out")
    assert "  files unreadable             2   (file-level dead letters, stage file)" in text


def test_json_bytes_are_the_json_lines_encoded():
    """The file sinks write ``to_json_bytes`` (no round trip through str): byte for byte what
    ``to_json_line`` gives, encoded, on every path (orjson, and json for integers beyond 64 bits)."""
    import datetime as dt
    import decimal

    from veilwatch.transforms.io.sinks import join_line_bytes, join_lines, to_json_bytes, to_json_line

    records = [
        {"a": 1, "b": "plain"},
        {"name": "Zoë Ødegård 山田", "emoji": "🙂", "nested": {"list": [1, 2.5, None, True]}},
        {"big": 2**70, "text": "ü"},  # beyond 64 bits: the json path
        {"when": dt.date(2026, 12, 1), "amount": decimal.Decimal("1.10"), "raw": b"\x00\xff"},
    ]
    for record in records:
        assert to_json_bytes(record) == to_json_line(record).encode("utf-8")
    assert join_line_bytes(records) == join_lines(records).encode("utf-8")
    assert join_line_bytes([]) == b""
