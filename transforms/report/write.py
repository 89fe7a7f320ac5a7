"""Builds ``<output_dir>/report.html`` from the run's outputs in ``output_dir``."""

from __future__ import annotations

from apache_beam.io.filesystems import FileSystems

from veilwatch.transforms.report.outputs import read_run_outputs
from veilwatch.transforms.report.page import render_page

REPORT_NAME = "report.html"


def write_report(output_dir: str) -> str:
    """Reads the run's outputs, writes the page beside them and returns its path
    (raises ReportInputError when ``output_dir`` holds no run summary)."""
    page = render_page(read_run_outputs(output_dir))
    path = FileSystems.join(output_dir, REPORT_NAME)
    with FileSystems.create(path, mime_type="text/html") as handle:
        handle.write(page.encode("utf-8"))
    return path
