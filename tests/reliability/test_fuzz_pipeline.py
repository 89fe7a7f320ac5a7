"""Hypothesis-fuzzed records through the real ``veilwatch run``, every source format, every unknown_fields policy.

Each run draws a batch of hostile records (tests/reliability/records.py) with PII planted
in every position: declared PII fields, free text (start, middle, end, next to
punctuation), fields outside the schema (nested objects, lists, dotted keys, key
names), the event time and the group_by field; JSONL runs add records nested 500 deep.
Every run must exit 0, account for every record read, and leave no planted value
(exact, lower-cased, NFKC, digits only) in any output file, its stdout, stderr or log.

Sinks: anonymized/ is written in the source's format under drop and reject (a tabular sink cannot carry
fields outside the schema) and as JSONL under keep and scan. Under ``keep`` the values of fields outside the schema are passed on by design, so
that policy plants PII only in their key names (JSONL, where the structure is kept).
A group_by field is a declared field that is not PII: its values reach anonymized/ by
design, and must reach no other output. The soak version is benchmarks/reliability_soak.py.
"""

from __future__ import annotations

import pytest

from tests.reliability.conftest import CHECKED
from tests.reliability.harness import fuzz_run

pytestmark = pytest.mark.pipeline

RECORDS_PER_RUN = 200
# Names are found by a statistical model: a few in odd contexts (a bare name as a JSON string value,
# after "x [ ") are missed (tests/reliability/test_known_misses.py). Every other kind must never leak.
NAME_MISS_BUDGET = 0.02
RUNS = [  # (format, policy, hypothesis seed)
    ("jsonl", "drop", 101),
    ("jsonl", "keep", 102),
    ("jsonl", "scan", 103),
    ("jsonl", "reject", 104),
    ("csv", "scan", 201),
    ("csv", "drop", 202),
    ("avro", "scan", 301),
    ("avro", "reject", 302),
    ("parquet", "scan", 401),
    ("parquet", "drop", 402),
]


@pytest.mark.parametrize("fmt,policy,run_seed", RUNS, ids=[f"{f}-{p}" for f, p, _ in RUNS])
def test_fuzzed_records_are_accounted_for_and_leak_nothing(tmp_path, keyset_path, fmt, policy, run_seed):
    run = fuzz_run(tmp_path, keyset_path, fmt, policy, RECORDS_PER_RUN, run_seed, with_deep=fmt == "jsonl")
    CHECKED["runs"] += 1
    CHECKED["records"] += run.records
    CHECKED["planted values"] += len(run.plants)
    CHECKED["distinct planted values"] += len({p.value for p in run.plants})
    name_leaks = {leak.plant.value for leak in run.leaks if leak.plant.kind == "name"}
    other_leaks = [leak for leak in run.leaks if leak.plant.kind != "name"]
    names = {p.value for p in run.plants if p.kind == "name"}
    CHECKED["leaks (not names)"] += len(other_leaks)
    CHECKED["names missed"] += len(name_leaks)
    CHECKED["names planted"] += len(names)
    print(
        f"\n{fmt}/{policy}: {run.records} records, {len(run.plants)} planted values, {len(other_leaks)} leaks, "
        f"{len(name_leaks)} of {len(names)} names missed, "
        f"read {run.summary.get('records_read')} anonymized {run.summary.get('records_anonymized')} "
        f"dead-lettered {run.summary.get('records_dead_lettered')}; "
        + ", ".join(f"{k} {v:.1f}s" for k, v in run.seconds.items())
    )
    assert not run.problems, run.problems
    if (
        policy == "reject" and fmt != "jsonl"
    ):  # every row of a file with extra columns has fields outside the schema
        assert run.summary["dead_letters_by_stage"].get("validate", 0) > 0
    else:
        assert run.summary["records_anonymized"] > 0  # the leak check below is about real output
    for leak in run.leaks:
        print(f"  {leak}")
    assert not other_leaks, "\n".join(str(leak) for leak in other_leaks[:20])
    assert len(name_leaks) <= NAME_MISS_BUDGET * len(names), "\n".join(str(leak) for leak in run.leaks[:20])
