"""``veilwatch scan``: line-for-line findings, never the matched values."""

from __future__ import annotations

import json

from tests.conftest import run_cli


def test_scan_line_for_line(tmp_path):
    source = tmp_path / "texts.jsonl"
    source.write_text(
        "\n".join(
            [
                json.dumps({"text": "to: jane@example.org", "id": 7}),
                json.dumps({"text": "nothing here"}),
                "not json",
                json.dumps({"other": 1}),
                json.dumps({"text": "x" * 50}),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    config = tmp_path / "detection.yaml"
    config.write_text("detection:\n  max_text_chars: 40\n", encoding="utf-8")
    out = tmp_path / "findings.jsonl"
    result = run_cli("scan", "--input", source, "--output", out, "--detection-config", config)
    assert result.code == 0, result.err
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert lines[0] == {
        "findings": [{"start": 4, "end": 20, "info_type": "EMAIL_ADDRESS", "likelihood": "LIKELY"}]
    }
    assert lines[1] == {"findings": []}
    assert lines[2]["findings"] == []
    assert "error" in lines[2]
    assert lines[3]["findings"] == []
    assert "error" in lines[3]
    assert "max_text_chars" in lines[4]["error"]
    assert "jane@example.org" not in out.read_text(encoding="utf-8")


def test_scan_bad_config_exit_2(tmp_path):
    source = tmp_path / "texts.jsonl"
    source.write_text("{}\n", encoding="utf-8")
    config = tmp_path / "detection.yaml"
    config.write_text("detection:\n  min_likelihood: SURE\n", encoding="utf-8")
    result = run_cli(
        "scan", "--input", source, "--output", tmp_path / "o.jsonl", "--detection-config", config
    )
    assert result.code == 2
    assert "detection.min_likelihood" in result.err
