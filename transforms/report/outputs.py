"""Reads what report.html is drawn from: a run's summary, scores, flagged windows, findings and dead letters.

Only outputs that are PII-free by construction are read (never ``anonymized/``),
and of those only the fields the page shows: series keys, window times and
numbers, dead-letter stages and reasons (findings per field and infoType come
from the summary). A dead letter's ``source`` and ``record`` are not kept.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from apache_beam.io.filesystems import FileSystems

from veilwatch.transforms.data_validation.checks import DETECTOR as TFDV_DETECTOR

_SCORE_FIELDS = (
    "series_key",
    "metric",
    "window_start",
    "window_end",
    "observed",
    "expected",
    "spread",
    "threshold",
    "is_anomaly",
    "alert",
    "detector",
    "explanation",
)


class ReportInputError(ValueError):
    """The output directory has no run summary to build a report from, or an output is not what a run writes."""


def _parsed(text: str | bytes, where: str) -> Any:
    """``text`` as JSON; a ReportInputError naming ``where`` (never the text) when it is not."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise ReportInputError(f"{where}: not valid JSON (a run writes none such: was it changed?)") from None


@dataclass
class RunOutputs:
    summary: dict[str, Any]
    scores: list[dict[str, Any]] = field(default_factory=list)  # every scored window (or only flagged ones)
    scores_complete: bool = False  # False: scores/ was not written, the series show flagged windows only
    validation_flags: list[dict[str, Any]] = field(
        default_factory=list
    )  # TFDV anomalies, per window and feature
    dead_letter_reasons: Counter = field(default_factory=Counter)  # (stage, reason) -> dead letters


# A dead letter line as the JSONL sink writes it (transforms/deadletter.py: stage and error first):
# its stage and error are read without parsing the record, which may be nested too deep for json.
_DEAD_LETTER_HEAD = re.compile(
    r'\{\s*"stage"\s*:\s*("(?:[^"\\]|\\.)*")\s*,\s*"error"\s*:\s*("(?:[^"\\]|\\.)*")'
)
UNREADABLE = ("(unknown)", "(a dead letter the report could not read)")


def _lines(output_dir: str, folder: str) -> Iterator[str]:
    """The non-empty lines of ``folder``'s shards. Only "\\n" ends a line: the sinks write U+2028 and
    other Unicode line breaks as they are (ensure_ascii=False), inside JSON strings."""
    pattern = FileSystems.join(output_dir, folder, "part*")
    try:
        matched = FileSystems.match([pattern])[0].metadata_list
    except Exception:  # noqa: BLE001 - no such folder: the run did not write this output
        return
    for metadata in sorted(matched, key=lambda m: m.path):
        with FileSystems.open(metadata.path) as handle:
            try:
                text = handle.read().decode("utf-8")
            except UnicodeDecodeError:
                raise ReportInputError(
                    f"{metadata.path}: not UTF-8 (a run writes none such: was it changed?)"
                ) from None
        for line in text.split("\n"):
            if line.strip():
                yield line


def _json_lines(output_dir: str, folder: str) -> Iterator[dict[str, Any]]:
    where = FileSystems.join(output_dir, folder)
    for line in _lines(output_dir, folder):
        record = _parsed(line, where)
        if isinstance(record, dict):
            yield record


def _dead_letter_reason(line: str) -> tuple[str, str]:
    """(stage, error) of one dead letter line, whatever its record holds."""
    head = _DEAD_LETTER_HEAD.match(line)
    if head is None:
        return UNREADABLE
    return json.loads(head.group(1)), json.loads(head.group(2))


def _keep(record: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: record.get(name) for name in names}


def read_run_outputs(output_dir: str) -> RunOutputs:
    """The outputs of the batch run in ``output_dir``; raises ReportInputError without run_summary.json."""
    summary_path = FileSystems.join(output_dir, "run_summary.json")
    if not FileSystems.exists(summary_path):
        raise ReportInputError(f"{summary_path} not found: not the output directory of a finished batch run")
    with FileSystems.open(summary_path) as handle:
        summary = _parsed(handle.read(), summary_path)
    if not isinstance(summary, dict):
        raise ReportInputError(f"{summary_path}: not a run summary (a JSON object)")
    outputs = RunOutputs(summary=summary)
    scores = [_keep(r, _SCORE_FIELDS) for r in _json_lines(output_dir, "scores")]
    flagged = list(_json_lines(output_dir, "flagged_windows"))
    outputs.validation_flags = [
        _keep(r, ("series_key", "window_start", "detail", "explanation"))
        for r in flagged
        if r.get("detector") == TFDV_DETECTOR
    ]
    outputs.scores_complete = bool(scores)
    outputs.scores = scores or [
        _keep(r, _SCORE_FIELDS) for r in flagged if r.get("detector") != TFDV_DETECTOR
    ]
    # findings per field and infoType are in the summary (findings/ is not read); dead letters by stage and reason:
    outputs.dead_letter_reasons = Counter(
        _dead_letter_reason(line) for line in _lines(output_dir, "dead_letter")
    )
    return outputs
