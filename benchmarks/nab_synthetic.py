"""Labelled synthetic series in NAB's layout: extra data for choosing detector settings.

    python benchmarks/nab_synthetic.py --out /tmp/nab-synth --seed 13 --per-kind 4
    python3 ../shared/eval/nab_score.py detections.json --nab-root /tmp/nab-synth

Writes ``<out>/data/synthetic_<kind>/<kind>_<n>.csv`` (timestamp,value),
``<out>/labels/combined_windows.json`` and ``<out>/config/profiles.json``
(NAB's three cost profiles), so the NAB scorer and the harness read it as
they read the dev set. One category per kind of event:

| kind | event, in units of the series' noise sigma |
|---|---|
| spike | one to three windows 6-12 sigma beyond the daily range |
| level_shift | a lasting step of 3-6 sigma |
| drift | a ramp reaching 6-10 sigma over 100-400 windows, then holding |
| variance_change | the noise grows 3-5 times and stays |
| seasonality_break | the daily pattern stops (flat at its mean) for one to two days |
| silence | the feed reads 0 for 12-72 windows |
| none | no event (false alarms only) |

Every series is a level, on half of them a daily pattern (amplitude 4-8
sigma; always for ``seasonality_break``), Gaussian or heavy-tailed (Student
t, 3 degrees of freedom) noise and, on a third of them, a slow random walk; 5-minute
windows, 4,032 rows (two weeks, as most NAB files). The event starts after
NAB's probationary 15% at a random place; its label window is centred on the
start and 10% of the file long (NAB's convention for one anomaly). The
numbers are drawn from ``--seed`` only: the same seed gives the same files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import sys
from pathlib import Path

KINDS = ("spike", "level_shift", "drift", "variance_change", "seasonality_break", "silence", "none")
ROWS = 4032  # two weeks of 5-minute windows, the length of most NAB files
STEP = 300  # seconds
DAY = 288  # windows per day
PROBATION = 0.15  # NAB's probationary share: events start after it
NAB_TIME = "%Y-%m-%d %H:%M:%S"
PROFILES = {
    "standard": {"CostMatrix": {"tpWeight": 1.0, "fnWeight": 1.0, "fpWeight": 0.11, "tnWeight": 1.0}},
    "reward_low_FP_rate": {
        "CostMatrix": {"tpWeight": 1.0, "fnWeight": 1.0, "fpWeight": 0.22, "tnWeight": 1.0}
    },
    "reward_low_FN_rate": {
        "CostMatrix": {"tpWeight": 1.0, "fnWeight": 2.0, "fpWeight": 0.11, "tnWeight": 1.0}
    },
}


def series(kind: str, rng: random.Random) -> tuple[list[float], int | None]:
    """Values of one series and the row where its event starts (None for ``none``)."""
    sigma = 10 ** rng.uniform(-1, 3)
    level = sigma * rng.uniform(20, 200)
    seasonal = kind == "seasonality_break" or rng.random() < 0.5
    amplitude = sigma * rng.uniform(4, 8) if seasonal else 0.0
    phase = rng.uniform(0, 2 * math.pi)
    heavy = rng.random() < 0.3
    walk_step = sigma * 0.05 if rng.random() < 1 / 3 else 0.0
    start = rng.randrange(int(ROWS * PROBATION) + DAY // 2, ROWS - DAY) if kind != "none" else None
    values, walk = [], 0.0
    for i in range(ROWS):
        walk += rng.gauss(0, walk_step) if walk_step else 0.0
        noise = _student_t3(rng) / math.sqrt(3) if heavy else rng.gauss(0, 1)
        values.append(level + walk + amplitude * math.sin(2 * math.pi * i / DAY + phase) + sigma * noise)
    if start is not None:
        _inject(kind, values, start, rng, sigma, level, amplitude, phase)
    return values, start


def _inject(kind, values, start, rng, sigma, level, amplitude, phase) -> None:
    n = len(values)
    if kind == "spike":
        size = rng.choice((-1, 1)) * (sigma * rng.uniform(6, 12) + amplitude)  # beyond the daily range
        for i in range(start, min(n, start + rng.randint(1, 3))):
            values[i] += size
    elif kind == "level_shift":
        size = rng.choice((-1, 1)) * sigma * rng.uniform(3, 6)
        for i in range(start, n):
            values[i] += size
    elif kind == "drift":
        size, length = rng.choice((-1, 1)) * sigma * rng.uniform(6, 10), rng.randint(100, 400)
        for i in range(start, n):
            values[i] += size * min(1.0, (i - start) / length)
    elif kind == "variance_change":
        factor = rng.uniform(3, 5) - 1
        for i in range(start, n):
            values[i] += sigma * factor * rng.gauss(0, 1)
    elif kind == "seasonality_break":
        for i in range(start, min(n, start + rng.randint(DAY, 2 * DAY))):
            values[i] -= amplitude * math.sin(2 * math.pi * i / DAY + phase)
    elif kind == "silence":
        for i in range(start, min(n, start + rng.randint(12, 72))):
            values[i] = 0.0


def _student_t3(rng: random.Random) -> float:
    """Student t with 3 degrees of freedom (variance 3)."""
    chi2 = sum(rng.gauss(0, 1) ** 2 for _ in range(3))
    return rng.gauss(0, 1) / math.sqrt(chi2 / 3)


def label_window(stamps: list[str], start: int) -> list[str]:
    """NAB's window around an event starting at row ``start``: 10% of the file, centred."""
    half = len(stamps) // 20
    lo, hi = max(0, start - half), min(len(stamps) - 1, start + half)
    return [stamps[lo] + ".000000", stamps[hi] + ".000000"]


def generate(out: Path, seed: int, per_kind: int, kinds=KINDS) -> dict[str, list]:
    """Write the corpus under ``out``; return its labels."""
    rng = random.Random(seed)
    labels: dict[str, list] = {}
    for kind in kinds:
        folder = out / "data" / f"synthetic_{kind}"
        folder.mkdir(parents=True, exist_ok=True)
        for n in range(per_kind):
            values, start = series(kind, rng)
            t0 = dt.datetime(2015, 1, 1) + dt.timedelta(days=rng.randrange(365))
            stamps = [(t0 + dt.timedelta(seconds=STEP * i)).strftime(NAB_TIME) for i in range(len(values))]
            name = f"synthetic_{kind}/{kind}_{n}.csv"
            (out / "data" / name).write_text(
                "timestamp,value\n" + "".join(f"{s},{v:.6g}\n" for s, v in zip(stamps, values, strict=True))
            )
            labels[name] = [] if start is None else [label_window(stamps, start)]
    (out / "labels").mkdir(parents=True, exist_ok=True)
    (out / "labels" / "combined_windows.json").write_text(json.dumps(labels, indent=1, sort_keys=True))
    (out / "config").mkdir(parents=True, exist_ok=True)
    (out / "config" / "profiles.json").write_text(json.dumps(PROFILES, indent=1))
    return labels


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--per-kind", type=int, default=4, help="series per kind of event")
    args = parser.parse_args(argv)
    labels = generate(args.out, args.seed, args.per_kind)
    print(f"{len(labels)} series, {sum(map(len, labels.values()))} labelled windows -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
