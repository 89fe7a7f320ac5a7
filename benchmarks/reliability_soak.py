"""A longer soak of the reliability fuzz: more records and runs than CI's suite, same checks.

    .venv/bin/python benchmarks/reliability_soak.py --records 5000 --runs 4 [--formats jsonl,csv,avro,parquet]

Each run draws ``--records`` hypothesis-generated records (nesting, odd keys
and types, unicode, non-finite numbers, PII planted in every position: see
``tests/reliability/records.py``), writes them in one source format, runs the
real ``veilwatch run`` on them under an ``unknown_fields`` policy, and checks
exit 0, read == anonymized + dead-lettered, and that no planted value (exact,
lower-cased, NFKC, digits-only, e-mail stem) is in any output file, stdout,
stderr or log. Runs cycle through formats and policies with a new seed each.
Prints one line per run and the totals; exit 1 on any problem or leak (names
the NER missed are counted apart, as the suite does).
"""

from __future__ import annotations

import argparse
import itertools
import pathlib
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
POLICIES = {
    "jsonl": ("scan", "keep", "reject", "drop"),
    "csv": ("scan", "drop"),
    "avro": ("scan", "reject"),
    "parquet": ("scan", "drop"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=5000, help="records per run")
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--formats", default="jsonl,csv,avro,parquet")
    parser.add_argument("--seed", type=int, default=1000)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from tests.conftest import run_cli
    from tests.reliability.harness import fuzz_run

    formats = args.formats.split(",")
    plans = [
        (fmt, POLICIES[fmt][i]) for i in range(4) for fmt in formats if i < len(POLICIES[fmt])
    ]  # round robin
    totals = {"records": 0, "planted": 0, "leaks": 0, "names missed": 0, "problems": 0, "seconds": 0.0}
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        keyset = work / "keyset.json"
        if run_cli("keys", "create", "--out", keyset).code != 0:
            print("could not create a keyset", file=sys.stderr)
            return 2
        for i, (fmt, policy) in zip(range(args.runs), itertools.cycle(plans)):
            directory = work / f"run-{i}"
            directory.mkdir()
            run = fuzz_run(
                directory, keyset, fmt, policy, args.records, args.seed + i, with_deep=fmt == "jsonl"
            )
            names = [leak for leak in run.leaks if leak.plant.kind == "name"]
            others = [leak for leak in run.leaks if leak.plant.kind != "name"]
            seconds = sum(run.seconds.values())
            print(
                f"run {i}: {fmt}/{policy}: {run.records} records, {len(run.plants)} planted, "
                f"{len(others)} leaks, {len(names)} names missed, problems {run.problems or 'none'}, "
                f"run {run.seconds['run']:.1f}s"
            )
            totals["records"] += run.records
            totals["planted"] += len(run.plants)
            totals["leaks"] += len(others)
            totals["names missed"] += len(names)
            totals["problems"] += len(run.problems)
            totals["seconds"] += seconds
    print(
        "totals: "
        + ", ".join(f"{k} {v:,.0f}" if isinstance(v, float) else f"{k} {v:,}" for k, v in totals.items())
    )
    return 1 if totals["leaks"] or totals["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
