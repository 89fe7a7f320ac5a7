"""NAB through the real veilwatch pipeline: detections for ../shared/eval/nab_score.py.

    python benchmarks/nab.py --data-dir ../shared/data/nab-dev/data --out /tmp/detections.json \
        [--config benchmarks/nab_detector.yaml]
    python3 ../shared/eval/nab_score.py /tmp/detections.json --nab-root ../shared/data/nab-dev

Every ``*.csv`` (columns timestamp,value) under DIR is one series. Files are
grouped by their median sampling interval, which becomes the window size (the
only per-file setting); each group runs as ONE veilwatch pipeline on the
DirectRunner (``build_pipeline``) with the file as the group key: metric
``mean`` of ``value`` per window and file, the shared detector and cooldown of
``--config`` for every file. An alerting window is reported as the timestamp
of the first row inside it. Labels are never read (except by the scorer under
``--cv``).

    python benchmarks/nab.py --data-dir ../shared/data/nab-dev/data --out /tmp/detections.json \
        --cv benchmarks/nab_cv_grid.yaml --nab-root ../shared/data/nab-dev \
        --scorer ../shared/eval/nab_score.py [--extra-root /tmp/nab-synth] [--cache /tmp/nab-cv-cache]

``--cv GRID`` prints the leave-one-category-out cross-validated score next to
the in-sample score of the pipeline's run of ``--config`` (``nab_cv.py``: for
each dev category, the candidate of GRID with the best score on the other
categories is chosen and scored on the held-out one). The pipeline's own
detections of ``--config`` are what the table's "shipped" column scores; the
candidates of GRID are run through ``nab_dev_harness.py`` (the same detector
and cooldown code, called window by window without Beam: about half the CPU
of a pipeline run per candidate, spread over ``--workers`` processes). That
is only the pipeline's method
as long as the harness flags exactly the rows the pipeline flags, so the
harness first runs ``--config`` too and the command stops (exit 1, naming the
files) if any file's detections differ: no CV score is printed for a method
the pipeline does not run. The held-out detections go to ``--cv-out``
(default: beside ``--out``, ``<name>.cv.json``). On the dev data and the
shipped grid: about 6.6 CPU-minutes, some 4 minutes on two idle cores.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import itertools
import json
import pathlib
import statistics
import sys
import tempfile
import time
from collections import defaultdict

import apache_beam as beam
import yaml
from apache_beam.options.pipeline_options import PipelineOptions

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(1, str(REPO / "benchmarks"))  # nab_cv, nab_dev_harness beside this file

from veilwatch.pipelines.anonymize_pipeline import build_pipeline  # noqa: E402
from veilwatch.transforms.config_loading.loader import parse_config  # noqa: E402

NAB_TIME = "%Y-%m-%d %H:%M:%S"


def read_rows(path: pathlib.Path) -> list[tuple[str, float, float]]:
    """(timestamp as written, epoch seconds UTC, value) per row."""
    rows = []
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            t = dt.datetime.strptime(row["timestamp"], NAB_TIME).replace(tzinfo=dt.UTC).timestamp()
            rows.append((row["timestamp"], t, float(row["value"])))
    return rows


def median_interval(rows: list[tuple[str, float, float]]) -> float:
    gaps = [b[1] - a[1] for a, b in itertools.pairwise(rows) if b[1] > a[1]]
    return statistics.median(gaps) if gaps else 60.0


def dataset_config(
    data: pathlib.Path, out: pathlib.Path, window_seconds: float, detector: dict, cooldown: dict
):
    return parse_config(
        {
            "dataset": "nab",
            "source": {"format": "jsonl", "path": str(data)},
            "schema": {
                "fields": [
                    {"name": "file", "type": "string", "required": True},
                    {"name": "timestamp", "type": "timestamp", "required": True},
                    {"name": "value", "type": "float", "required": True},
                ]
            },
            "event_time": {"field": "timestamp", "format": NAB_TIME},
            "windowing": {"type": "fixed", "size": window_seconds},
            "metrics": [{"name": "value", "type": "mean", "field": "value", "group_by": "file"}],
            "detector": detector,
            "cooldown": cooldown,
            "sinks": {"output_dir": str(out)},
        }
    )


def run_group(
    files: dict[str, list], window: float, detector: dict, cooldown: dict, work: pathlib.Path
) -> dict:
    data = work / f"series-{int(window)}.jsonl"
    with data.open("w") as handle:
        for key, rows in files.items():
            for stamp, _, value in rows:
                handle.write(json.dumps({"file": key, "timestamp": stamp, "value": value}) + "\n")
    out = work / f"out-{int(window)}"
    config = dataset_config(data, out, window, detector, cooldown)
    with beam.Pipeline(options=PipelineOptions(["--direct_running_mode=in_memory"])) as p:
        build_pipeline(p, config)
    alerts = defaultdict(list)
    for part in sorted((out / "flagged_windows").glob("part-*")):
        for line in part.read_text().splitlines():
            record = json.loads(line)
            if record["alert"]:
                start = dt.datetime.fromisoformat(record["window_start"].replace("Z", "+00:00")).timestamp()
                alerts[record["group"]].append(start)
    detections = {}
    for key, rows in files.items():
        flagged = []
        for start in sorted(alerts.get(key, [])):
            inside = [stamp for stamp, t, _ in rows if start <= t < start + window]
            if inside:
                flagged.append(inside[0])
        detections[key] = flagged
    return detections


def pipeline_detections(data_dir: pathlib.Path, detector: dict, cooldown: dict) -> dict[str, list[str]]:
    """Flagged timestamps per file under ``data_dir``: one pipeline run per sampling interval."""
    groups: dict[float, dict[str, list]] = defaultdict(dict)
    for path in sorted(data_dir.rglob("*.csv")):
        rows = read_rows(path)
        groups[median_interval(rows)][path.relative_to(data_dir).as_posix()] = rows
    detections: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for window, files in sorted(groups.items()):
            group_started = time.perf_counter()
            detections.update(run_group(files, window, detector, cooldown, pathlib.Path(tmp)))
            print(
                f"window {window:>6.0f}s: {len(files):>2} files, "
                f"{sum(len(r) for r in files.values()):>6} rows, {time.perf_counter() - group_started:.1f}s",
                file=sys.stderr,
            )
    return detections


def differing_files(pipeline: dict[str, list[str]], harness: dict[str, list[str]]) -> list[str]:
    """Files whose flagged rows differ between the pipeline and the harness (or that only one has)."""
    return sorted(f for f in set(pipeline) | set(harness) if pipeline.get(f) != harness.get(f))


def cross_validate(args: argparse.Namespace, detector: dict, cooldown: dict, pipeline: dict) -> int:
    """--cv: check the harness flags what the pipeline flags on --config, then nab_cv.run_cv over the grid."""
    from nab_cv import load_grid, run_cv  # noqa: PLC0415 - only the CV mode needs them
    from nab_dev_harness import detect_dir  # noqa: PLC0415

    started = time.perf_counter()
    differ = differing_files(pipeline, detect_dir(args.data_dir, detector, cooldown, args.workers))
    if differ:
        print(
            f"--cv refused: the harness (nab_dev_harness.py) and the pipeline flag different rows of --config "
            f"on {len(differ)} file(s): {', '.join(differ[:5])}{' ...' if len(differ) > 5 else ''}; a CV score "
            f"of harness runs would not describe the pipeline",
            file=sys.stderr,
        )
        return 1
    print(
        f"harness and pipeline flag the same rows on all {len(pipeline)} files of --config "
        f"({time.perf_counter() - started:.0f}s)",
        file=sys.stderr,
    )

    def detect(data_dir, cand_detector, cand_cooldown):
        if data_dir == args.data_dir and cand_detector is detector and cand_cooldown is cooldown:
            return pipeline  # the reference row ("shipped (--config)"): the pipeline's own detections
        return detect_dir(data_dir, cand_detector, cand_cooldown, args.workers)

    cv_out = args.cv_out or args.out.with_name(args.out.stem + ".cv.json")
    result = run_cv(
        load_grid(args.cv),
        (detector, cooldown),
        detect,
        args.data_dir,
        args.nab_root,
        args.scorer,
        args.extra_root,
        cv_out,
        args.cache,
    )
    print(
        f"\npipeline, --config, in-sample: {result['shipped']['ALL']:.1f}   "
        f"leave-one-category-out CV over {args.cv.name}: {result['cv']['ALL']:.1f}   "
        f"(held-out detections -> {cv_out}; {time.perf_counter() - started:.0f}s)"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", required=True, type=pathlib.Path)
    parser.add_argument(
        "--out", required=True, type=pathlib.Path, help="the pipeline's detections of --config"
    )
    parser.add_argument("--config", type=pathlib.Path, default=REPO / "benchmarks" / "nab_detector.yaml")
    parser.add_argument(
        "--cv",
        type=pathlib.Path,
        metavar="GRID",
        help="candidates (e.g. benchmarks/nab_cv_grid.yaml): print the leave-one-category-out "
        "score next to the in-sample one; needs --nab-root and --scorer",
    )
    parser.add_argument("--nab-root", type=pathlib.Path, help="--cv: NAB root of --data-dir (data/, labels/)")
    parser.add_argument("--scorer", type=pathlib.Path, help="--cv: path of nab_score.py")
    parser.add_argument(
        "--extra-root",
        type=pathlib.Path,
        help="--cv: NAB-shaped root of extra selection data, never held out (nab_synthetic.py)",
    )
    parser.add_argument(
        "--cache", type=pathlib.Path, help="--cv: reuse harness detections of unchanged configs"
    )
    parser.add_argument(
        "--cv-out", type=pathlib.Path, help="--cv: held-out detections (default <out>.cv.json)"
    )
    parser.add_argument("--workers", type=int, default=2, help="--cv: harness processes")
    args = parser.parse_args(argv)
    if args.cv and not (args.nab_root and args.scorer):
        parser.error("--cv needs --nab-root and --scorer")
    settings = yaml.safe_load(args.config.read_text())
    detector, cooldown = settings["detector"], settings.get("cooldown", {})
    started = time.perf_counter()
    detections = pipeline_detections(args.data_dir, detector, cooldown)
    args.out.write_text(json.dumps(detections, indent=1) + "\n")
    print(
        f"{sum(len(v) for v in detections.values())} detections in {len(detections)} files "
        f"({time.perf_counter() - started:.0f}s) -> {args.out}",
        file=sys.stderr,
    )
    return cross_validate(args, detector, cooldown, detections) if args.cv else 0


if __name__ == "__main__":
    sys.exit(main())
