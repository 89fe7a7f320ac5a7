"""Shared test helpers: paths to fixtures and a command-line runner."""

from __future__ import annotations

import io
import pathlib
from contextlib import redirect_stderr, redirect_stdout

import pytest

from veilwatch.pipelines.cli import main as cli_main

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
REPO = pathlib.Path(__file__).parent.parent


class CliResult:
    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err


def run_cli(*argv: str) -> CliResult:
    """Run ``veilwatch ARGV`` in-process (argparse exits become exit codes)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = cli_main([str(a) for a in argv])
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def keyset_path(tmp_path):
    path = tmp_path / "keys" / "keyset.json"
    assert run_cli("keys", "create", "--out", path).code == 0
    return path
