"""Scoring cost per window and JSON state per series, for each detector type and a config file.

    nice -n 19 .venv/bin/python benchmarks/detector_cost.py [--windows 20000] [--repeats 3] \
        [--config benchmarks/nab_detector.yaml]

One long generated series (5-minute windows: a daily cycle, noise, a spike
every few days and a level shift half-way; seeded, the same every run) is
scored window by window in this one process, pinned to one CPU, by each
detector type at its defaults (``season: day`` for ``seasonal``; an
``ensemble`` of ewma and iqr; ``likelihood`` and ``cusum`` of an ewma) and
by the ``detector`` of ``--config``. Printed per detector:

- windows/s of ``observe`` alone (median of ``--repeats``): what a batch run
  pays, where a series' state is read and written as JSON once per release;
- windows/s of ``observe`` plus a JSON round trip of the state per window:
  what streaming pays when each window is released on its own (the scorer's
  state is JSON text, see ``transforms/anomaly/score.py``);
- the JSON state per series in bytes: its maximum over the whole series, and
  its maximum over the first quarter. State must be bounded by the config
  (history lengths, periods), not grow with the series: the two maxima agree
  once every buffer is full, and the command exits 1 if the state of the
  last quarter is more than 10 % above the maximum of the second quarter.

Cooldown, silence and the Beam DoFn around the detector are not counted
(they are O(1) per window); ``benchmarks/throughput.py`` measures a whole run.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from veilwatch.transforms.anomaly.base import Observation  # noqa: E402
from veilwatch.transforms.anomaly.registry import build_detector, parse_detector  # noqa: E402

STEP = 300.0  # 5-minute windows: 288 a day
EWMA = {"type": "ewma"}
TYPES: dict[str, dict] = {
    "robust_zscore": {"type": "robust_zscore"},
    "ewma": EWMA,
    "seasonal": {"type": "seasonal", "season": "day"},
    "iqr": {"type": "iqr"},
    "cusum": {"type": "cusum"},
    "beam": {"type": "beam"},
    "ensemble": {"type": "ensemble", "members": [EWMA, {"type": "iqr"}]},
    "likelihood": {"type": "likelihood", "detector": EWMA},
    "cusum(ewma)": {"type": "cusum", "detector": EWMA},
    "art": {"type": "art"},
    "art(warmup 300)": {"type": "art", "warmup": 300},
    "volatility": {"type": "volatility"},
    "extreme": {"type": "extreme"},
    "quiet": {"type": "quiet"},
}


def series(windows: int, seed: int = 7) -> list[Observation]:
    """A daily cycle with noise, a spike every ~3 days and a level shift half-way."""
    rng = random.Random(seed)
    out = []
    for i in range(windows):
        t = 1_700_000_000.0 - 1_700_000_000.0 % 86_400 + i * STEP
        value = 100 + 40 * math.sin(2 * math.pi * (i % 288) / 288) + rng.gauss(0, 5)
        value += 60 if i >= windows // 2 else 0
        value += 300 if rng.random() < 1 / 900 else 0
        out.append(Observation(t, t + STEP, value))
    return out


def observe_only(detector, observations) -> float:
    state = detector.initial_state()
    started = time.process_time()
    for obs in observations:
        _, state = detector.observe(state, obs)
    return time.process_time() - started


def observe_with_state(detector, observations) -> tuple[float, list[int]]:
    """CPU seconds of observe + json round trip per window, and the state's JSON size after each window."""
    text = json.dumps(detector.initial_state())
    sizes = []
    started = time.process_time()
    for obs in observations:
        _, state = detector.observe(json.loads(text), obs)
        text = json.dumps(state)
        sizes.append(len(text.encode()))
    return time.process_time() - started, sizes


def measure(name: str, mapping: dict, observations: list[Observation], repeats: int) -> dict:
    detector = build_detector(parse_detector(mapping, name))
    n = len(observations)
    observe_only(detector, observations[:100])  # warm-up: lazy imports (beam), caches
    plain = statistics.median(observe_only(detector, observations) for _ in range(repeats))
    with_json, sizes = observe_with_state(detector, observations)
    q = n // 4
    return {
        "name": name,
        "windows_per_s": n / plain,
        "with_json_per_s": n / with_json,
        "state_max": max(sizes),
        "state_max_first_quarter": max(sizes[:q]),
        "state_max_second_quarter": max(sizes[q : 2 * q]),
        "state_max_last_quarter": max(sizes[3 * q :]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--windows", type=int, default=20_000, help="windows in the series (default 20,000: 69 days)"
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--config", type=Path, default=Path(__file__).resolve().parent / "nab_detector.yaml")
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    observations = series(args.windows)
    candidates = dict(TYPES)
    candidates[args.config.name] = (yaml.safe_load(args.config.read_text()) or {})["detector"]
    print(f"{args.windows:,} windows of {STEP:.0f}s, one core; CPU time, observe median of {args.repeats}")
    print(f"{'detector':<22} {'windows/s':>10} {'+JSON/window':>13} {'state max B':>12} {'1st quarter':>12}")
    unbounded = []
    for name, mapping in candidates.items():
        r = measure(name, mapping, observations, args.repeats)
        print(
            f"{name:<22} {r['windows_per_s']:>10,.0f} {r['with_json_per_s']:>13,.0f} "
            f"{r['state_max']:>12,} {r['state_max_first_quarter']:>12,}",
            flush=True,
        )
        if r["state_max_last_quarter"] > 1.1 * r["state_max_second_quarter"]:
            unbounded.append(name)
    if unbounded:
        print(f"state still growing in the last quarter: {', '.join(unbounded)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
