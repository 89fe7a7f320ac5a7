"""Fast NAB development harness: veilwatch's detectors in pure Python, no Beam.

    python benchmarks/nab_dev_harness.py --data-dir ../shared/data/nab-dev/data \
        --config benchmarks/nab_detector.yaml --out detections.json
    python3 ../shared/eval/nab_score.py detections.json --nab-root ../shared/data/nab-dev

Every ``*.csv`` (columns timestamp,value) under ``--data-dir`` is one series;
each row is one window whose length is the file's median sampling interval
(the only per-file setting). One detector config serves every file:

    detector: {type: robust_zscore, threshold: 5, ...}   # see transforms/anomaly/registry.py
    cooldown: {windows: 144}                              # optional, see transforms/anomaly/cooldown.py

A row is written to ``--out`` when its window alerts: anomalous and not
within the cooldown of an earlier alert. Labels are never read, except by the
NAB scorer under ``--cv GRID`` (leave-one-category-out cross-validation of a
small grid of configs, see ``nab_cv.py``; needs ``--nab-root`` and ``--scorer``). The real
benchmark (``benchmarks/nab.py``, issue 5) runs the same detectors through the
pipeline; this harness only makes iterating on detector configs quick.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import itertools
import json
import statistics
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(1, str(Path(__file__).resolve().parent))  # nab_cv beside this file

from veilwatch.transforms.anomaly.base import Observation  # noqa: E402
from veilwatch.transforms.anomaly.cooldown import Cooldown  # noqa: E402
from veilwatch.transforms.anomaly.registry import build_detector, parse_cooldown, parse_detector  # noqa: E402
from veilwatch.transforms.config.errors import ConfigError, ConfigIssue  # noqa: E402


def load_config(path: Path) -> tuple[dict, dict]:
    """The validated detector mapping and cooldown mapping of a config file."""
    raw = yaml.safe_load(path.read_text()) or {}
    unknown = sorted(set(raw) - {"detector", "cooldown"})
    if unknown:
        raise ConfigError([ConfigIssue(k, "unknown key; expected detector, cooldown") for k in unknown])
    spec = parse_detector(raw.get("detector"), "detector")
    parse_cooldown(raw.get("cooldown", {}), "cooldown")
    return spec.to_dict(), raw.get("cooldown", {})


def read_series(path: Path) -> tuple[list[str], list[float], list[float]]:
    """Timestamps as written, epoch seconds (naive = UTC) and values."""
    stamps, times, values = [], [], []
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            stamps.append(row["timestamp"])
            t = dt.datetime.fromisoformat(row["timestamp"]).replace(tzinfo=dt.UTC)
            times.append(t.timestamp())
            values.append(float(row["value"]))
    return stamps, times, values


def detect_file(path: Path, detector_cfg: dict, cooldown_cfg: dict) -> list[str]:
    """Timestamps of the rows of one file whose window alerts."""
    detector = build_detector(parse_detector(detector_cfg, "detector"))
    cooldown: Cooldown = parse_cooldown(cooldown_cfg, "cooldown")
    stamps, times, values = read_series(path)
    gaps = [b - a for a, b in itertools.pairwise(times) if b > a]
    window = statistics.median(gaps) if gaps else 1.0
    state, cool_state, flagged = detector.initial_state(), cooldown.initial_state(), []
    for stamp, start, value in zip(stamps, times, values, strict=True):
        verdict, state = detector.observe(state, Observation(start, start + window, value))
        alert, cool_state = cooldown.apply(
            cool_state, Observation(start, start + window, value), verdict.is_anomaly, verdict.sources
        )
        if alert:
            flagged.append(stamp)
    return flagged


def detect_dir(
    data_dir: Path, detector_cfg: dict, cooldown_cfg: dict, workers: int = 2
) -> dict[str, list[str]]:
    """Flagged timestamps per ``<category>/<file>.csv`` under ``data_dir``, one config for all."""
    files = sorted(data_dir.rglob("*.csv"))
    jobs = (files, [detector_cfg] * len(files), [cooldown_cfg] * len(files))
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(detect_file, *jobs))
    else:
        results = list(map(detect_file, *jobs))
    return {f.relative_to(data_dir).as_posix(): r for f, r in zip(files, results, strict=True)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=2, help="processes (1 = run in this process)")
    parser.add_argument("--cv", type=Path, help="grid of configs: leave-one-category-out cross-validation")
    parser.add_argument(
        "--nab-root", type=Path, help="--cv: NAB root of --data-dir (data/, labels/, config/)"
    )
    parser.add_argument("--scorer", type=Path, help="--cv: path of nab_score.py")
    parser.add_argument("--extra-root", type=Path, help="--cv: NAB-shaped root of extra selection data")
    parser.add_argument("--cache", type=Path, help="--cv: reuse detections of unchanged configs and code")
    args = parser.parse_args(argv)
    try:
        detector_cfg, cooldown_cfg = load_config(args.config)
    except ConfigError as err:
        print(f"invalid config {args.config}:\n{err}", file=sys.stderr)
        return 2
    if args.cv:
        if not (args.nab_root and args.scorer):
            parser.error("--cv needs --nab-root and --scorer")
        from nab_cv import load_grid, run_cv  # noqa: PLC0415 - only the CV mode needs it

        def detect(data_dir, detector, cooldown):
            return detect_dir(data_dir, detector, cooldown, args.workers)

        run_cv(
            load_grid(args.cv),
            (detector_cfg, cooldown_cfg),
            detect,
            args.data_dir,
            args.nab_root,
            args.scorer,
            args.extra_root,
            args.out,
            args.cache,
        )
        return 0
    detections = detect_dir(args.data_dir, detector_cfg, cooldown_cfg, args.workers)
    args.out.write_text(json.dumps(detections, indent=1, sort_keys=True))
    print(f"{len(detections)} files, {sum(map(len, detections.values()))} flagged rows -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
