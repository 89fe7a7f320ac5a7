"""report.html built from a hand-written output directory: sections, order of series, nothing beyond the outputs."""

from __future__ import annotations

import re

import pytest

from tests.conftest import run_cli
from tests.support.report_outputs import (
    SECRET_EMAIL,
    SECRET_SOURCE,
    score_record,
    write_lines,
    write_run_outputs,
)
from veilwatch.transforms.report.outputs import ReportInputError, read_run_outputs
from veilwatch.transforms.report.write import write_report


@pytest.fixture
def run_dir(tmp_path):
    return write_run_outputs(tmp_path / "out")


def test_page_has_every_section_and_alerting_series_first_the_rest_folded(run_dir):
    page = open(write_report(str(run_dir))).read()
    for section in ("summary", "series", "findings", "dead-letters", "data-validation"):
        assert f'id="{section}"' in page
    order = re.findall(r'data-series="([^"]+)"', page)
    assert order == ["record_count", "amount_median", "per_category[merchant_category=fuel]"]
    folded = page[page.index("series without a flagged window") :]
    assert 'data-series="amount_median"' in folded
    assert 'data-series="record_count"' not in folded
    assert page.count("<svg") == 3 + 2  # one chart per series, findings per field, share with a finding
    assert "All records accounted for" in page
    assert "EMAIL_ADDRESS" in page
    assert "required field &#x27;amount&#x27; is missing or null" in page
    assert "amount: feature type changed" in page  # the TFDV anomaly, per window and feature
    assert "<script" not in page  # static SVG: nothing runs, nothing is fetched when viewed
    assert set(re.findall(r"\w+://[^\"\s]+", page)) <= {
        "http://www.w3.org/2000/svg",
        "http://www.w3.org/1999/xlink",
    }


def test_page_carries_neither_dead_letter_records_nor_sources(run_dir):
    page = open(write_report(str(run_dir))).read()
    assert len(page) > 10_000
    assert SECRET_EMAIL not in page
    assert SECRET_SOURCE not in page
    assert "jane" not in page.lower()


def test_text_from_outputs_is_escaped(run_dir):
    hostile = "<script>alert(1)</script>"
    write_lines(run_dir / "scores", [score_record(f"per_category[c={hostile}]", h, 10.0) for h in range(3)])
    page = open(write_report(str(run_dir))).read()
    assert hostile not in page
    assert "&lt;script&gt;" in page


def test_without_scores_the_series_show_the_flagged_windows_and_say_so(run_dir):
    for part in (run_dir / "scores").iterdir():
        part.unlink()
    outputs = read_run_outputs(str(run_dir))
    assert not outputs.scores_complete
    assert [s["series_key"] for s in outputs.scores] == ["record_count"]
    assert [f["series_key"] for f in outputs.validation_flags] == ["data_validation[amount]"]
    assert "flagged windows only" in open(write_report(str(run_dir))).read()


def test_report_command_rebuilds_the_page_and_refuses_a_folder_without_a_run(run_dir, tmp_path):
    result = run_cli("report", "--output_dir", run_dir)
    assert result.code == 0
    assert (run_dir / "report.html").stat().st_size > 10_000
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_cli("report", "--output_dir", empty)
    assert result.code == 2
    assert "run_summary.json not found" in result.err
    assert not (empty / "report.html").exists()
    with pytest.raises(ReportInputError, match=r"run_summary\.json not "):
        read_run_outputs(str(empty))


@pytest.mark.parametrize(
    "damage",
    [
        "empty summary",
        "summary not an object",
        "summary nested too deep",
        "broken score line",
        "scores not UTF-8",
    ],
)
def test_damaged_outputs_exit_2_naming_the_file_and_no_value(run_dir, damage):
    scores = run_dir / "scores" / "part-00000-of-00001.jsonl"
    summary = run_dir / "run_summary.json"
    if damage == "empty summary":
        summary.write_text("")
    elif damage == "summary not an object":
        summary.write_text("[1, 2]")
    elif damage == "summary nested too deep":
        summary.write_text("[" * 100_000 + "]" * 100_000)
    elif damage == "broken score line":
        scores.write_text(scores.read_text() + '{"series_key": "' + SECRET_EMAIL + '", broken\n')
    else:
        scores.write_bytes(scores.read_bytes() + b"\xff\xfe" + SECRET_EMAIL.encode() + b"\n")
    result = run_cli("report", "--output_dir", run_dir)
    assert result.code == 2, result.err
    where = "run_summary.json" if "summary" in damage else "scores"
    assert where in result.err
    assert SECRET_EMAIL not in result.err + result.out
    assert "Traceback" not in result.err
    assert not (run_dir / "report.html").exists()


def test_dead_letters_nested_too_deep_for_json_or_holding_unicode_line_breaks_are_read(tmp_path):
    # The JSONL sink (to_json_line) writes U+2028 as it is; a record may be nested deeper than json reads.
    import json as _json

    from tests.support.report_outputs import write_run_outputs
    from veilwatch.transforms.io.sinks import to_json_line
    from veilwatch.transforms.report.outputs import read_run_outputs

    out = write_run_outputs(tmp_path / "run")
    deep = "[" * 5_000 + '"leaf"' + "]" * 5_000
    lines = [
        to_json_line(
            {"stage": "parse", "error": "nested deeper than 64 levels", "source": "s", "record": None}
        ).replace('"record":null', f'"record":{deep}'),
        to_json_line(
            {"stage": "validate", "error": "line\u2028break", "source": "s", "record": {"k": "a\u2028b"}}
        ),
        "not json at all",
    ]
    (out / "dead_letter" / "part-00000-of-00001.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    scores = out / "scores" / "part-00000-of-00001.jsonl"
    scores.write_text(
        scores.read_text()
        + _json.dumps(
            {
                "series_key": "per_category[merchant_category=a\u2028b]",
                "metric": "per_category",
                "window_start": "2026-11-02T09:00:00Z",
                "observed": 1.0,
            },
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )

    outputs = read_run_outputs(str(out))

    assert outputs.dead_letter_reasons == {
        ("parse", "nested deeper than 64 levels"): 1,
        ("validate", "line\u2028break"): 1,
        ("(unknown)", "(a dead letter the report could not read)"): 1,
    }
    assert any(s["series_key"] == "per_category[merchant_category=a\u2028b]" for s in outputs.scores)
