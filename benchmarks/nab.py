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
of the first row inside it. Labels are never read.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
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

from pipelines.anonymize_pipeline import build_pipeline  # noqa: E402
from transforms.config.loader import parse_config  # noqa: E402

NAB_TIME = "%Y-%m-%d %H:%M:%S"


def read_rows(path: pathlib.Path) -> list[tuple[str, float, float]]:
    """(timestamp as written, epoch seconds UTC, value) per row."""
    rows = []
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            t = dt.datetime.strptime(row["timestamp"], NAB_TIME).replace(tzinfo=dt.timezone.utc).timestamp()
            rows.append((row["timestamp"], t, float(row["value"])))
    return rows


def median_interval(rows: list[tuple[str, float, float]]) -> float:
    gaps = [b[1] - a[1] for a, b in zip(rows, rows[1:]) if b[1] > a[1]]
    return statistics.median(gaps) if gaps else 60.0


def dataset_config(data: pathlib.Path, out: pathlib.Path, window_seconds: float, detector: dict, cooldown: dict):
    return parse_config({
        "dataset": "nab",
        "source": {"format": "jsonl", "path": str(data)},
        "schema": {"fields": [{"name": "file", "type": "string", "required": True},
                              {"name": "timestamp", "type": "timestamp", "required": True},
                              {"name": "value", "type": "float", "required": True}]},
        "event_time": {"field": "timestamp", "format": NAB_TIME},
        "windowing": {"type": "fixed", "size": window_seconds},
        "metrics": [{"name": "value", "type": "mean", "field": "value", "group_by": "file"}],
        "detector": detector,
        "cooldown": cooldown,
        "sinks": {"output_dir": str(out)},
    })


def run_group(files: dict[str, list], window: float, detector: dict, cooldown: dict, work: pathlib.Path) -> dict:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", required=True, type=pathlib.Path)
    parser.add_argument("--out", required=True, type=pathlib.Path)
    parser.add_argument("--config", type=pathlib.Path, default=REPO / "benchmarks" / "nab_detector.yaml")
    args = parser.parse_args()
    settings = yaml.safe_load(args.config.read_text())
    groups: dict[float, dict[str, list]] = defaultdict(dict)
    for path in sorted(args.data_dir.rglob("*.csv")):
        rows = read_rows(path)
        groups[median_interval(rows)][str(path.relative_to(args.data_dir))] = rows
    detections: dict[str, list[str]] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for window, files in sorted(groups.items()):
            group_started = time.perf_counter()
            detections.update(run_group(files, window, settings["detector"], settings.get("cooldown", {}),
                                        pathlib.Path(tmp)))
            print(f"window {window:>6.0f}s: {len(files):>2} files, "
                  f"{sum(len(r) for r in files.values()):>6} rows, {time.perf_counter() - group_started:.1f}s",
                  file=sys.stderr)
    args.out.write_text(json.dumps(detections, indent=1) + "\n")
    print(f"{sum(len(v) for v in detections.values())} detections in {len(detections)} files "
          f"({time.perf_counter() - started:.0f}s) -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
