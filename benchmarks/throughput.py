"""Throughput: the full veilwatch pipeline against a no-op Beam pipeline on the same input.

    python benchmarks/throughput.py --records 100000 [--repeats 3] [--config templates/datasets/payments.yaml]

Generates N payment records (JSONL), then in this one process runs on the
DirectRunner, ``--repeats`` times each, alternating:

  (a) no-op:  ReadFromText -> json.loads -> json.dumps -> WriteToText
  (b) full:   veilwatch's build_pipeline (read, parse, validate, de-identify,
              scan, write; window metrics, scoring, summary)

and prints records/s for each (median of the repeats), their ratio, and the
process's peak RSS after each phase.

    python benchmarks/throughput.py --memory 100000,1000000 [--data-dir DIR]
    python benchmarks/throughput.py --memory 10000000 --data-dir /tmp/vw-bench   # ~10 min, 4.3 GB of input

Memory with input size: for each size, one fresh process writes the input
(streamed to disk, kept in ``--data-dir`` for the next call) and then one fresh
process per pipeline runs it once and reports its own peak RSS
(``ru_maxrss``), so no size inherits another's heap.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from veilwatch.pipelines.anonymize_pipeline import build_pipeline  # noqa: E402
from veilwatch.pipelines.sample_data import iter_bulk, write_jsonl  # noqa: E402
from veilwatch.transforms.config_loading.loader import ConfigOverrides, load_config  # noqa: E402
from veilwatch.transforms.keys.keyring import create_plaintext_keyset  # noqa: E402


def options() -> PipelineOptions:
    return PipelineOptions(["--runner=DirectRunner", "--direct_running_mode=in_memory"])


def run_noop(data: pathlib.Path, out: pathlib.Path) -> float:
    start = time.perf_counter()
    with beam.Pipeline(options=options()) as p:
        (
            p
            | "Read" >> beam.io.ReadFromText(str(data))
            | "Parse" >> beam.Map(json.loads)
            | "Serialize" >> beam.Map(json.dumps)
            | "Write" >> beam.io.WriteToText(str(out / "part"), file_name_suffix=".jsonl")
        )
    return time.perf_counter() - start


def run_full(config_path: str, data: pathlib.Path, out: pathlib.Path, keyset: pathlib.Path) -> float:
    config = load_config(
        config_path, ConfigOverrides(input=str(data), output_dir=str(out), keyset=str(keyset))
    )
    start = time.perf_counter()
    with beam.Pipeline(options=options()) as p:
        build_pipeline(p, config, allow_plaintext_keys=True)
    elapsed = time.perf_counter() - start
    summary = json.loads((out / "run_summary.json").read_text())
    assert summary["records_read"] == (
        summary["records_anonymized"] + summary["records_dead_lettered"] + summary["records_suppressed"]
    )
    return elapsed


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_input(path: pathlib.Path, records: int) -> None:
    """``records`` payment records as JSONL, streamed to disk (never a list of them all)."""
    write_jsonl(str(path), iter_bulk("payments", records))


def run_child(args: argparse.Namespace) -> None:
    """One job of the memory measurement, in this fresh process: prints a JSON line."""
    data = pathlib.Path(args.data)
    if args.child == "generate":
        if not data.exists():
            partial = data.with_suffix(".partial")
            write_input(partial, args.records)
            partial.rename(data)
        print(json.dumps({"bytes": data.stat().st_size}))
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        if args.child == "noop":
            elapsed = run_noop(data, work / "noop")
        else:
            keyset = work / "keyset.json"
            keyset.write_text(create_plaintext_keyset())
            elapsed = run_full(args.config, data, work / "full", keyset)
    print(json.dumps({"seconds": elapsed, "peak_rss_mib": peak_rss_mib()}))


def _child(*argv: str) -> dict:
    result = subprocess.run([sys.executable, __file__, *argv], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"{' '.join(argv[:2])} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure_memory(sizes: list[int], data_dir: pathlib.Path, config: str) -> None:
    """Peak RSS of one run per input size, each pipeline in its own process."""
    data_dir.mkdir(parents=True, exist_ok=True)
    print("records      MB JSONL  pipeline   seconds   records/s  peak RSS MiB")
    for n in sizes:
        data = data_dir / f"payments-{n}.jsonl"
        size = _child("--child", "generate", "--data", str(data), "--records", str(n))["bytes"]
        for pipeline in ("noop", "full"):
            run = _child("--child", pipeline, "--data", str(data), "--config", config)
            name = "no-op" if pipeline == "noop" else "veilwatch"
            print(
                f"{n:<12,} {size / 1e6:>8.1f}  {name:<9} {run['seconds']:>8.1f} "
                f"{n / run['seconds']:>11,.0f}  {run['peak_rss_mib']:>12.0f}",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--config", default=str(REPO / "templates" / "datasets" / "payments.yaml"))
    parser.add_argument(
        "--memory",
        metavar="N,N,...",
        help="instead of the throughput comparison: peak RSS of one run per input size",
    )
    parser.add_argument(
        "--data-dir",
        type=pathlib.Path,
        default=pathlib.Path(tempfile.gettempdir()) / "veilwatch-throughput",
        help="where --memory keeps its generated inputs (reused across calls)",
    )
    parser.add_argument("--child", choices=["generate", "noop", "full"], help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()

    import logging

    logging.getLogger().setLevel(logging.ERROR)
    if args.child:
        run_child(args)
        return
    if args.memory:
        measure_memory([int(n) for n in args.memory.split(",")], args.data_dir, args.config)
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        data = work / "input.jsonl"
        write_input(data, args.records)
        keyset = work / "keyset.json"
        keyset.write_text(create_plaintext_keyset())
        size_mb = data.stat().st_size / 1e6
        noop, full, rss = [], [], {}
        for i in range(args.repeats):
            noop.append(run_noop(data, work / f"noop-{i}"))
            rss["noop"] = peak_rss_mib()
            full.append(run_full(args.config, data, work / f"full-{i}", keyset))
            rss["full"] = peak_rss_mib()
    n = args.records
    noop_rate, full_rate = n / statistics.median(noop), n / statistics.median(full)
    print(f"records: {n:,} ({size_mb:.1f} MB JSONL), DirectRunner in_memory, median of {args.repeats}")
    print(f"{'pipeline':<10} {'median s':>9} {'records/s':>11}  runs (s)")
    print(
        f"{'no-op':<10} {statistics.median(noop):>9.2f} {noop_rate:>11,.0f}  {', '.join(f'{t:.2f}' for t in noop)}"
    )
    print(
        f"{'veilwatch':<10} {statistics.median(full):>9.2f} {full_rate:>11,.0f}  {', '.join(f'{t:.2f}' for t in full)}"
    )
    print(f"ratio veilwatch / no-op records/s: {full_rate / noop_rate:.2f}")
    print(f"peak RSS after no-op runs: {rss['noop']:.0f} MiB; after veilwatch runs: {rss['full']:.0f} MiB")


if __name__ == "__main__":
    main()
