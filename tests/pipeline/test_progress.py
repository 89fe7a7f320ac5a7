"""Progress of a local batch run (#14 item 2): on a terminal every interval, silent otherwise.

The real CLI runs under a pseudo-terminal (``pty``) and prints progress lines
whose last one is the run's records read; the same run with stderr not a
terminal prints none.
"""

from __future__ import annotations

import io
import json
import os
import pty
import re
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO, run_cli
from tests.pipeline.helpers import example_config
from veilwatch.pipelines.progress import ProgressLine, format_progress
from veilwatch.pipelines.sample_data import generate, write_jsonl
from veilwatch.transforms.io.progress import RecordsReadCounter, records_read_so_far

pytestmark = pytest.mark.pipeline

LINE = re.compile(r"veilwatch: ([\d,]+) records read in (\d+):(\d\d):(\d\d) \(([\d,]+) records/s\)")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_format_progress():
    assert (
        format_progress(120000, 90.4, 1450.2)
        == "veilwatch: 120,000 records read in 0:01:30 (1,450 records/s)"
    )
    assert format_progress(0, 3725, 0) == "veilwatch: 0 records read in 1:02:05 (0 records/s)"


def test_a_terminal_gets_a_line_per_interval_and_the_total_at_the_end():
    terminal = _Terminal()
    counter = RecordsReadCounter()
    with ProgressLine(interval=0.05, stream=terminal):
        for _ in range(6):
            counter.inc(100)
            time.sleep(0.05)
    lines = terminal.getvalue().splitlines()
    assert len(lines) >= 3, lines
    assert all(LINE.fullmatch(line) for line in lines), lines
    counts = [int(LINE.fullmatch(line).group(1).replace(",", "")) for line in lines]
    assert counts == sorted(counts)
    assert counts[-1] == 600 == records_read_so_far()


def test_nothing_is_printed_without_a_terminal_or_with_interval_zero():
    for stream, interval in ((io.StringIO(), 0.01), (_Terminal(), 0)):
        with ProgressLine(interval=interval, stream=stream):
            RecordsReadCounter().inc(5)
            time.sleep(0.05)
        assert stream.getvalue() == ""


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("progress")
    records, _ = generate("payments", days=1, seed=11, base_per_hour=10)
    data = tmp / "in.jsonl"
    write_jsonl(str(data), records)
    keyset = tmp / "keyset.json"
    assert run_cli("keys", "create", "--out", keyset).code == 0
    config = example_config(tmp, pii={"scan_fields": []})  # no free-text scanner: a quicker run
    return tmp, data, config, keyset, len(records)


def _run_args(tmp, data, config, keyset, out):
    return [
        "run",
        "--dataset_config",
        str(config),
        "--input",
        str(data),
        "--output_dir",
        str(out),
        "--keyset",
        str(keyset),
        "--allow_plaintext_keys",
        "--progress_interval",
        "0.2",
    ]


def test_the_cli_under_a_pseudo_terminal_prints_progress_ending_with_the_records_read(small_run):
    tmp, data, config, keyset, total = small_run
    out = tmp / "out-tty"
    code = "import sys; from veilwatch.pipelines.cli import main; sys.exit(main(sys.argv[1:]))"
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", code, *_run_args(tmp, data, config, keyset, out)],
        cwd=REPO,
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        close_fds=True,
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    assert process.wait(timeout=120) == 0, b"".join(chunks).decode(errors="replace")[-2000:]
    text = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
    lines = [m for m in (LINE.fullmatch(line.strip()) for line in text.splitlines()) if m]
    assert len(lines) >= 2, text[-2000:]
    counts = [int(m.group(1).replace(",", "")) for m in lines]
    assert counts == sorted(counts)
    summary = json.loads((out / "run_summary.json").read_text())
    assert counts[-1] == summary["records_read"] == total


def test_the_cli_without_a_terminal_prints_no_progress(small_run):
    tmp, data, config, keyset, total = small_run
    result = run_cli(*_run_args(tmp, data, config, keyset, tmp / "out-pipe"))
    assert result.code == 0, result.err
    assert "records read in" not in result.err + result.out
    assert json.loads((tmp / "out-pipe" / "run_summary.json").read_text())["records_read"] == total


def test_a_negative_interval_is_a_bad_flag(small_run):
    tmp, data, config, keyset, _ = small_run
    args = _run_args(tmp, data, config, keyset, tmp / "out-bad")
    args[-1] = "-1"
    result = run_cli(*args)
    assert result.code == 2
    assert "--progress_interval must be 0" in result.err
    assert not (tmp / "out-bad").exists()
