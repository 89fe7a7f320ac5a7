"""One fuzz run: draw a batch, write it in a format, run ``veilwatch run`` on it, check the invariants.

Shared by the test suite and ``benchmarks/reliability_soak.py``. The run is the real CLI
in-process (``tests.conftest.run_cli``) on the DirectRunner; its stdout, stderr and every
log record are captured and searched for planted values like the output files.
"""

from __future__ import annotations

import json
import logging
import pathlib
import time
from dataclasses import dataclass, field

import yaml

from tests.conftest import REPO, run_cli
from tests.reliability.leaks import Leak, find_leaks, output_texts
from tests.reliability.plants import Plant
from tests.reliability.records import deep_records, draw_batch, huge_records, payment_record
from tests.reliability.writers import WRITERS

# a tabular sink cannot carry fields outside the schema (refused at validation under keep and scan)
CARRIES_UNKNOWN_FIELDS = ("keep", "scan")


@dataclass
class FuzzRun:
    fmt: str
    policy: str
    records: int
    plants: list[Plant]
    code: int
    summary: dict
    leaks: list[Leak]
    problems: list[str] = field(default_factory=list)
    seconds: dict = field(default_factory=dict)


class _LogCapture(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        try:
            self.lines.append(record.getMessage())
        except Exception:  # noqa: BLE001 - a badly formatted log call is not our finding
            self.lines.append(str(record.msg))


def payments_config(tmp_path: pathlib.Path, fmt: str, policy: str, **extra) -> pathlib.Path:
    doc = yaml.safe_load((REPO / "templates" / "datasets" / "payments.yaml").read_text())
    doc["source"]["format"] = fmt
    doc["schema"]["unknown_fields"] = policy
    doc["sinks"]["anonymized_format"] = "jsonl" if policy in CARRIES_UNKNOWN_FIELDS else fmt
    doc["sinks"]["write_all_scores"] = True  # scores/ carries the group_by values: searched too
    for key, value in extra.items():
        doc[key] = value
    path = tmp_path / f"config-{fmt}-{policy}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    return path


def run_cli_captured(*argv) -> tuple[int, dict[str, str]]:
    """``run_cli`` plus every log record emitted during the run."""
    handler = _LogCapture()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        result = run_cli(*argv)
    finally:
        root.removeHandler(handler)
    return result.code, {"stdout": result.out, "stderr": result.err, "log": "\n".join(handler.lines)}


def fuzz_run(
    tmp_path: pathlib.Path,
    keyset: pathlib.Path,
    fmt: str,
    policy: str,
    count: int,
    run_seed: int,
    with_deep: bool = False,
) -> FuzzRun:
    started = time.perf_counter()
    batch = draw_batch(payment_record(fmt, policy), count, run_seed)
    batch += huge_records(run_seed)
    if with_deep:
        batch += deep_records()
    generated = time.perf_counter()
    records = [r for r, _ in batch]
    plants = [p for _, ps in batch for p in ps]
    data = tmp_path / f"in-{fmt}-{policy}.{fmt}"
    WRITERS[fmt](data, records)
    out = tmp_path / f"out-{fmt}-{policy}"
    code, own_output = run_cli_captured(
        "run",
        "--dataset_config",
        payments_config(tmp_path, fmt, policy),
        "--input",
        data,
        "--output_dir",
        out,
        "--keyset",
        keyset,
        "--allow_plaintext_keys",
    )
    ran = time.perf_counter()
    problems = []
    summary: dict = {}
    if code != 0:
        problems.append(f"exit {code}: {own_output['stderr'][-2000:]}")
    summary_path = out / "run_summary.json"
    if summary_path.exists():
        summary = json.loads(summary_path.read_text())
        read, anonymized, dead = (
            summary.get(k) for k in ("records_read", "records_anonymized", "records_dead_lettered")
        )
        dead += summary.get("records_suppressed", 0)  # pii.record_suppressions: left out on purpose
        if read != anonymized + dead or summary.get("all_records_accounted_for") is not True:
            problems.append(f"not accounted for: read {read}, anonymized {anonymized}, dead-lettered {dead}")
        if read != len(records):
            problems.append(f"records_read {read}, {len(records)} written")
    else:
        problems.append("no run_summary.json")
    texts = {**(output_texts(out) if out.exists() else {}), **own_output}
    leaks = find_leaks(plants, texts)
    checked = time.perf_counter()
    return FuzzRun(
        fmt,
        policy,
        len(records),
        plants,
        code,
        summary,
        leaks,
        problems,
        {"generate": generated - started, "run": ran - generated, "check": checked - ran},
    )
