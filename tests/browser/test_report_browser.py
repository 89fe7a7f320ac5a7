"""report.html in a real headless Chromium (Debian's ``chromium`` package): no console error, a drawn page.

Run with ``pytest -m browser tests/browser``; skipped when no Chromium is installed
(``apt-get install -y chromium``). Chromium logs each console message as a
``:CONSOLE`` line on stderr (``--enable-logging=stderr``); the first test checks
that this catches a page's error, so that the report test can fail.
"""

from __future__ import annotations

import pathlib
import shutil
import subprocess

import pytest

from tests.support.report_outputs import write_run_outputs
from veilwatch.transforms.report.write import write_report

CHROMIUM = next(
    (shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome") if shutil.which(name)),
    None,
)
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium on PATH: apt-get install -y chromium"),
]
ALERT_RED = (0xC0, 0x39, 0x2B)  # figures.FLAGGED: the marker of an alerting window


def _load(page: pathlib.Path, screenshot: pathlib.Path) -> list[str]:
    """Loads ``page`` headless with the network unresolvable, saves a screenshot; returns the console lines."""
    run = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--enable-logging=stderr",
            "--v=0",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--window-size=1100,1400",
            f"--screenshot={screenshot}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=page.parent,
    )
    assert screenshot.exists(), run.stderr[-2000:]
    return [line for line in run.stderr.splitlines() if ":CONSOLE" in line]


def test_a_console_error_is_caught(tmp_path):
    page = tmp_path / "broken.html"
    page.write_text('<html><body><script>console.error("report-test"); undefinedFn();</script></body></html>')
    console = _load(page, tmp_path / "broken.png")
    assert any("report-test" in line for line in console)
    assert any("ReferenceError" in line for line in console)


def test_report_loads_without_console_errors_and_draws_the_flagged_series(tmp_path):
    from PIL import Image

    out = write_run_outputs(tmp_path / "out")
    page = pathlib.Path(write_report(str(out)))
    shot = tmp_path / "report.png"
    assert _load(page, shot) == []
    image = Image.open(shot).convert("RGB")
    assert image.size == (1100, 1400)
    colors = image.getcolors(maxcolors=1_000_000)
    assert len(colors) > 50  # text and charts, not a blank page
    # The first chart is the alerting series: its red marker is on screen.
    assert any(sum(abs(a - b) for a, b in zip(rgb, ALERT_RED, strict=True)) < 40 for _, rgb in colors)
