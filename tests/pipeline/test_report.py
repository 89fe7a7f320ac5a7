"""report.html: written by every batch run, rebuilt by ``veilwatch report``, and free of every planted value."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import run_cli
from tests.fixtures.broken_records import LEAKY_CARD, LEAKY_EMAIL, bad_lines
from tests.pipeline.helpers import example_config, planted_values, run_with_keyset
from veilwatch.pipelines.sample_data import Anomaly, generate

pytestmark = pytest.mark.pipeline


def test_run_writes_a_report_without_any_planted_value_and_the_command_rebuilds_it(tmp_path, keyset_path):
    records, _ = generate(
        "payments", days=3, seed=5, base_per_hour=12, anomalies=(Anomaly("volume_spike", 2 * 24 + 15),)
    )
    data = tmp_path / "payments.jsonl"
    data.write_bytes(
        b"\n".join([json.dumps(r).encode() for r in records] + [line for _, line in bad_lines()]) + b"\n"
    )
    out = tmp_path / "out"
    result = run_with_keyset(example_config(tmp_path), data, out, keyset_path)
    assert result.code == 0, result.err

    page = (out / "report.html").read_text()
    assert "report.html" in json.loads((out / "run_manifest.json").read_text())["files"]
    planted = planted_values(records) | {LEAKY_EMAIL, LEAKY_CARD}
    assert len(planted) > 300
    assert sorted(v for v in planted if v in page) == []
    # Non-trivial: every scored series has a chart, the spike's series is first and marked, the sections are there.
    scored = {
        json.loads(line)["series_key"]
        for part in (out / "scores").iterdir()
        for line in part.read_text().splitlines()
    }
    charted = re.findall(r'data-series="([^"]+)"', page)
    assert len(charted) == len(scored) >= 5
    assert set(charted) == scored
    alerting = re.findall(r'data-series="([^"]+)"', page[: page.index("series without a flagged window")])
    assert "record_count" in alerting
    assert len(alerting) < len(charted)  # the spike's series open, the quiet folded
    assert "Share of anonymized records with a finding" in page
    assert "Dead-lettered records per window" in page
    assert "Dead letters by stage" in page
    assert "validate" in page
    assert 'id="dead-letters"' in page

    (out / "report.html").unlink()
    rebuilt = run_cli("report", "--output_dir", out)
    assert rebuilt.code == 0, rebuilt.err
    assert (out / "report.html").read_text() == page  # the same outputs draw the same page
