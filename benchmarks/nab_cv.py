"""Leave-one-category-out cross-validation of detector settings on NAB (nab_dev_harness.py --cv, nab.py --cv).

    python benchmarks/nab_dev_harness.py --data-dir ../shared/data/nab-dev/data \
        --config benchmarks/nab_detector.yaml --out /tmp/cv_detections.json \
        --cv benchmarks/nab_cv_grid.yaml --nab-root ../shared/data/nab-dev \
        --scorer ../shared/eval/nab_score.py [--extra-root /tmp/nab-synth]

Every candidate of the grid (a SMALL list of whole configs, see
``nab_cv_grid.yaml``) runs once on every file; the NAB scorer turns its
detections into a raw score, null score and perfect score per category
(standard profile). For each dev category in turn, the candidate with the
best normalised score on the *other* categories (plus every category of
``--extra-root``, e.g. synthetic series from ``nab_synthetic.py``, which are
never held out) is chosen, and its detections on the held-out category are
kept. The kept detections together are scored once more by the scorer: the
cross-validated score, printed beside the in-sample score of the candidate
the same procedure picks on all categories and of ``--config``. A category
without labelled windows (artificialNoAnomaly) has no normalised score of its
own, but its false alarms count in every score that includes it.

The merged held-out detections are written to ``--out``.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import yaml

PROFILE = "standard"
_ANOMALY_CODE = Path(__file__).resolve().parents[1] / "transforms" / "anomaly"

# One category's standard-profile totals: raw, null and perfect scores add up across categories.
Totals = dict[str, float]


def load_grid(path: Path) -> list[tuple[str, dict, dict]]:
    """(name, detector mapping, cooldown mapping) per candidate; ``config:`` names a file beside the grid."""
    raw = yaml.safe_load(path.read_text()) or {}
    out = []
    for entry in raw.get("candidates", []):
        if "config" in entry:
            conf = yaml.safe_load((path.parent / entry["config"]).read_text())
            out.append((entry["name"], conf["detector"], conf.get("cooldown", {})))
        else:
            out.append((entry["name"], entry["detector"], entry.get("cooldown", {})))
    if not out:
        raise ValueError(f"{path}: no candidates")
    return out


def category_totals(detections: dict, nab_root: Path, scorer: Path) -> dict[str, Totals]:
    """Per category {raw, null, perfect} under the standard profile, from the NAB scorer's JSON report."""
    with tempfile.TemporaryDirectory() as tmp:
        det, report = Path(tmp) / "detections.json", Path(tmp) / "report.json"
        det.write_text(json.dumps(detections))
        subprocess.run(
            [sys.executable, str(scorer), str(det), "--nab-root", str(nab_root), "--json", str(report)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        categories = json.loads(report.read_text())["categories"]
    return {c: {k: v[PROFILE][k] for k in ("raw", "null", "perfect")} for c, v in categories.items()}


def normalised(totals: dict[str, Totals], categories) -> float | None:
    """NAB's normalised score of the listed categories taken together (None when nothing is labelled)."""
    raw = sum(totals[c]["raw"] for c in categories)
    null = sum(totals[c]["null"] for c in categories)
    perfect = sum(totals[c]["perfect"] for c in categories)
    return None if perfect == null else 100 * (raw - null) / (perfect - null)


def choose(totals_by_candidate: dict[str, dict[str, Totals]], categories) -> str:
    """The candidate with the best normalised score on ``categories``; the first listed wins a tie."""
    best, best_score = None, None
    for name, totals in totals_by_candidate.items():
        score = normalised(totals, categories)
        if best_score is None or (score is not None and score > best_score):
            best, best_score = name, score
    return best


def run_cv(
    grid: list[tuple[str, dict, dict]],
    reference: tuple[dict, dict],
    detect: Callable,
    data_dir: Path,
    nab_root: Path,
    scorer: Path,
    extra_root: Path | None,
    out: Path,
    cache: Path | None = None,
) -> dict:
    """Choose per fold, score held-out; print the table; return the numbers."""
    candidates = [("shipped (--config)", *reference)] + list(grid)
    dev, extra = {}, {}
    detections = {}
    for name, detector, cooldown in candidates:
        detections[name] = _cached(cache, "dev", data_dir, detector, cooldown, detect)
        dev[name] = category_totals(detections[name], nab_root, scorer)
        if extra_root is not None:
            extra[name] = category_totals(
                _cached(cache, "extra", extra_root / "data", detector, cooldown, detect), extra_root, scorer
            )
        print(
            f"  {name:<28} dev {normalised(dev[name], dev[name]):5.1f}"
            + (f"  extra {normalised(extra[name], extra[name]):5.1f}" if extra else ""),
            file=sys.stderr,
        )
    categories = sorted(next(iter(dev.values())))
    combined = {n: {**dev[n], **{f"extra:{c}": t for c, t in extra.get(n, {}).items()}} for n in dev}
    extra_cats = [c for c in next(iter(combined.values())) if c.startswith("extra:")]
    selectable = {n: t for n, t in combined.items() if n != candidates[0][0]} if grid else combined
    chosen = {c: choose(selectable, [x for x in categories if x != c] + extra_cats) for c in categories}
    in_sample_pick = choose(selectable, categories + extra_cats)
    held_out = {}
    for c, name in chosen.items():
        held_out.update({k: v for k, v in detections[name].items() if k.split("/")[0] == c})
    out.write_text(json.dumps(held_out, indent=1, sort_keys=True))
    cv = category_totals(held_out, nab_root, scorer)
    rows = {"shipped": dev[candidates[0][0]], "in_sample": dev[in_sample_pick], "cv": cv}
    _print_table(rows, categories, chosen, in_sample_pick, extra, candidates[0][0])
    return {
        "chosen": chosen,
        "in_sample_pick": in_sample_pick,
        **{
            k: {c: normalised(v, [c]) for c in categories} | {"ALL": normalised(v, categories)}
            for k, v in rows.items()
        },
    }


def _print_table(rows, categories, chosen, in_sample_pick, extra, shipped_name) -> None:
    def fmt(x):
        return "  n/a" if x is None else f"{x:5.1f}"

    print(
        f"\nNAB standard profile, normalised; CV = leave one category out "
        f"(chosen on the other categories{' + extra' if extra else ''})"
    )
    print(f"{'category':<24} {'shipped':>8} {'in-sample':>10} {'CV':>6}   chosen for the held-out category")
    for c in categories:
        print(
            f"{c:<24} {fmt(normalised(rows['shipped'], [c])):>8} {fmt(normalised(rows['in_sample'], [c])):>10} "
            f"{fmt(normalised(rows['cv'], [c])):>6}   {chosen[c]}"
        )
    print(
        f"{'ALL':<24} {fmt(normalised(rows['shipped'], categories)):>8} "
        f"{fmt(normalised(rows['in_sample'], categories)):>10} {fmt(normalised(rows['cv'], categories)):>6}"
    )
    print(
        f"in-sample = {in_sample_pick} (picked on all categories{' + extra' if extra else ''}); "
        f"shipped = {shipped_name}"
    )
    if extra:
        for name in (in_sample_pick, shipped_name):
            t = extra[name]
            print(
                f"extra data, {name}: {fmt(normalised(t, list(t)))} "
                + " ".join(
                    f"{c.removeprefix('synthetic_')}={fmt(normalised(t, [c])).strip()}" for c in sorted(t)
                )
            )


def _cached(
    cache: Path | None, tag: str, data_dir: Path, detector: dict, cooldown: dict, detect: Callable
) -> dict:
    if cache is None:
        return detect(data_dir, detector, cooldown)
    code = sorted(
        (p.as_posix(), p.read_bytes().hex()) for p in _ANOMALY_CODE.rglob("*.py")
    )  # stale after edits
    key = hashlib.sha256(
        json.dumps([str(data_dir.resolve()), detector, cooldown, code], sort_keys=True).encode()
    )
    path = cache / f"{tag}-{key.hexdigest()[:16]}.json"
    if path.exists():
        return json.loads(path.read_text())
    result = detect(data_dir, detector, cooldown)
    cache.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result))
    return result
