"""``veilwatch report``: rebuild report.html from a finished batch run's outputs.

    veilwatch report --output_dir out/demo

Reads only the outputs a run already wrote PII-free (run_summary.json,
scores/, flagged_windows/, dead_letter/), never the anonymized records, and
writes ``<output_dir>/report.html``. Exit codes: 0 written, 2 no run there.
"""

from __future__ import annotations

import argparse
import sys

from veilwatch.pipelines.commands.reporting import EXIT_BAD_START
from veilwatch.transforms.report.outputs import ReportInputError
from veilwatch.transforms.report.write import write_report

NAME = "report"
HELP = "Rebuild report.html (charts of the series, findings, dead letters) from a batch run's outputs."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output_dir",
        required=True,
        help="the output directory of a finished batch run (local path or gs://)",
    )


def main(args: argparse.Namespace) -> int:
    try:
        path = write_report(args.output_dir)
    except ReportInputError as exc:
        print(f"veilwatch: {exc}", file=sys.stderr)
        return EXIT_BAD_START
    print(f"veilwatch: wrote {path}")
    return 0
