#!/usr/bin/env python3
# Provenance: a verbatim copy of the developers' NAB scorer, eval/nab_score.py of the shared
# evaluation kit that sits beside a developer's checkout (not part of a clone; sha256
# 8f6731dda613f38361e1cfc60fe6864d27051f85a957c4d43e8b337cf99edf9d), copied 2026-12-01 so that
# tests/pipeline/test_nab_cv_command.py runs on any clone. Test fixture only: the benchmarks and
# the published figures use the kit's scorer itself. Do not edit; refresh it by copying again.
"""Score anomaly detections with the Numenta Anomaly Benchmark (NAB) method.

Standard library only. Written from the method described in NAB's papers and
documentation (Lavin & Ahmad 2015, "Evaluating Real-time Anomaly Detection
Algorithms"; Ahmad et al. 2017) and checked row by row against NAB's published
result files (README.md beside this file says how far).

Input
  DETECTIONS   JSON object {"<category>/<file>.csv": ["<timestamp>", ...]}
               listing the rows a detector flagged as anomalous. Timestamps are
               written as in the NAB CSV ("2014-04-10 07:15:00"); any ISO-8601
               form that names the same instant is accepted. A timestamp flags
               every row that carries it (8 NAB files repeat a few timestamps).
               An integer in the list is taken as a 0-based data row index. A
               file missing from the object counts as "no detections"; a
               timestamp that matches no row is an error unless
               --ignore-unmatched is given.
  --data-dir   NAB data directory holding <category>/<file>.csv
               (columns timestamp,value)
  --labels     NAB window labels (labels/combined_windows.json)
  --profiles   NAB cost matrices (config/profiles.json); default: the NAB
               weights built in below.
  --nab-root   shortcut: DIR/data, DIR/labels/combined_windows.json,
               DIR/config/profiles.json

Method (per file, per profile with weights tp, fp, fn)
  * Probation: the first min(floor(0.15 * rows), 0.15 * 5000) rows are not
    scored (detections there are ignored; windows entirely inside it are not
    counted as misses).
  * Each labelled window scores only its earliest detection:
        tp * sigma(y) / sigma(-1),  sigma(y) = 2 / (1 + exp(5 y)) - 1,
    where y = -(right - i + 1) / width is the relative position of row i in the
    window (y = -1 at the left edge). A window with no detection scores -fn.
  * Every detection outside a window scores fp * sigma(y): y measures the
    distance past the right edge of the preceding window in units of that
    window's width minus one (sigma(y) = -1 when y > 3 or when no window
    precedes it).
  * Raw score S = sum over files. Normalised score over the scored set:
        100 * (S - S_null) / (S_perfect - S_null)
    where S_null is the score of a detector that flags nothing and
    S_perfect = tp * (number of labelled windows), both on the same set of
    files (NAB's own definition). A set without windows has no normalised
    score ("n/a"); its raw score (only false-positive penalties) is printed.

Examples
  python3 eval/nab_score.py detections.json --nab-root data/nab-dev
  python3 eval/nab_score.py detections.json --data-dir data/nab-dev/data \
      --labels data/nab-dev/labels/combined_windows.json \
      --files-from realAWSCloudwatch,realAdExchange --per-file --json out.json
"""
import argparse
import csv
import json
import math
import os
import sys
from datetime import datetime, timezone

# NAB's config/profiles.json (used when no --profiles file is given).
DEFAULT_PROFILES = {
    "standard": {"tpWeight": 1.0, "fnWeight": 1.0, "fpWeight": 0.11, "tnWeight": 1.0},
    "reward_low_FP_rate": {"tpWeight": 1.0, "fnWeight": 1.0, "fpWeight": 0.22, "tnWeight": 1.0},
    "reward_low_FN_rate": {"tpWeight": 1.0, "fnWeight": 2.0, "fpWeight": 0.11, "tnWeight": 1.0},
}
PROFILE_ORDER = ("standard", "reward_low_FP_rate", "reward_low_FN_rate")
# NAB leaves the first 15 % of each file unscored (the detector's learning
# period), at most 0.15 * 5000 = 750 rows.
PROBATION_PERCENT = 0.15
PROBATION_CAP_ROWS = 5000


class NabError(Exception):
    """Bad input: a message meant for the user."""


# --------------------------------------------------------------------------
# Reading inputs
# --------------------------------------------------------------------------
def parse_timestamp(text):
    """Parse a NAB timestamp (or any ISO-8601 form) to a naive UTC datetime."""
    text = str(text).strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise NabError("cannot parse timestamp %r" % text) from None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def read_series_timestamps(path):
    """Return the list of row timestamps (datetime) of one NAB data CSV."""
    with open(path, newline="") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise NabError("%s is empty" % path) from None
        try:
            column = [h.strip() for h in header].index("timestamp")
        except ValueError:
            raise NabError("%s has no 'timestamp' column" % path) from None
        return [parse_timestamp(row[column]) for row in reader if row]


def load_profiles(path=None):
    """Return {profile: {"tpWeight", "fpWeight", "fnWeight"}}."""
    if path is None:
        return {name: dict(DEFAULT_PROFILES[name]) for name in PROFILE_ORDER}
    with open(path) as handle:
        raw = json.load(handle)
    profiles = {}
    for name, body in raw.items():
        matrix = body.get("CostMatrix", body)
        profiles[name] = {k: float(matrix[k]) for k in ("tpWeight", "fpWeight", "fnWeight")}
    order = [p for p in PROFILE_ORDER if p in profiles] + sorted(set(profiles) - set(PROFILE_ORDER))
    return {name: profiles[name] for name in order}


def load_windows(path):
    """Return {relative path: [(start datetime, end datetime), ...]}."""
    with open(path) as handle:
        raw = json.load(handle)
    windows = {}
    for rel, pairs in raw.items():
        parsed = []
        for pair in pairs:
            if len(pair) != 2:
                raise NabError("%s: window %r of %s is not [start, end]" % (path, pair, rel))
            parsed.append((parse_timestamp(pair[0]), parse_timestamp(pair[1])))
        windows[normalise_relpath(rel)] = sorted(parsed)
    return windows


def normalise_relpath(rel):
    rel = rel.replace("\\", "/").lstrip("./")
    if rel.startswith("data/"):
        rel = rel[len("data/"):]
    return rel


def category_of(rel):
    return rel.split("/", 1)[0] if "/" in rel else "."


# --------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------
def scaled_sigmoid(position):
    """NAB's scaled sigmoid: ~1 at the left window edge, 0 at the right edge,
    negative past it, -1 far away."""
    if position > 3.0:
        return -1.0
    return 2.0 * (1.0 / (1.0 + math.exp(5.0 * position))) - 1.0


def probation_rows(n_rows, percent=PROBATION_PERCENT):
    """Number of leading rows that are not scored."""
    return min(math.floor(percent * n_rows), percent * PROBATION_CAP_ROWS)


class FileLayout(object):
    """Per-row window membership and unweighted position scores of one file."""

    def __init__(self, rel, timestamps, windows, probation_percent=PROBATION_PERCENT):
        self.rel = rel
        self.timestamps = timestamps
        self.n = len(timestamps)
        self.probation = probation_rows(self.n, probation_percent)
        # rows_at: timestamp -> every row carrying it (a few NAB files repeat
        # timestamps); index: timestamp -> its first row (used for windows, as NAB does).
        self.rows_at = {}
        for i, t in enumerate(timestamps):
            self.rows_at.setdefault(t, []).append(i)
        self.index = {t: rows[0] for t, rows in self.rows_at.items()}
        self.duplicate_rows = self.n - len(self.index)
        # Window bounds as row indices.
        self.windows = []
        for start, end in windows:
            if start not in self.index or end not in self.index:
                raise NabError("%s: window [%s, %s] does not start and end on timestamps "
                               "present in the data file" % (rel, start, end))
            left, right = self.index[start], self.index[end]
            if right < left:
                raise NabError("%s: window [%s, %s] ends before it starts" % (rel, start, end))
            if self.windows and left <= self.windows[-1][1]:
                raise NabError("%s: windows overlap at %s" % (rel, start))
            self.windows.append((left, right))
        # window_of[i]: index of the window holding row i, or -1.
        # unweighted[i]: scaled sigmoid of row i's relative position.
        self.window_of = [-1] * self.n
        self.unweighted = [0.0] * self.n
        prev_right = None
        prev_width = None
        w = 0
        i = 0
        while i < self.n:
            if w < len(self.windows) and i == self.windows[w][0]:
                left, right = self.windows[w]
                width = float(right - left + 1)
                for j in range(left, right + 1):
                    self.window_of[j] = w
                    self.unweighted[j] = scaled_sigmoid(-(right - j + 1) / width)
                prev_right, prev_width = right, width
                w += 1
                i = right + 1
                continue
            if prev_right is None:
                self.unweighted[i] = -1.0
            elif prev_width > 1:
                self.unweighted[i] = scaled_sigmoid(abs(prev_right - i) / (prev_width - 1.0))
            else:  # a one-row window: every later row is "far" from it
                self.unweighted[i] = -1.0
            i += 1
        self.scored_windows = sorted({self.window_of[i] for i in range(self.n)
                                      if i >= self.probation and self.window_of[i] >= 0})

    def row_scores(self, cost):
        """Weighted per-row score (what NAB writes as S(t)_<profile>)."""
        max_tp = scaled_sigmoid(-1.0)
        out = []
        for i in range(self.n):
            if self.window_of[i] >= 0:
                out.append(self.unweighted[i] * cost["tpWeight"] / max_tp)
            else:
                out.append(self.unweighted[i] * cost["fpWeight"])
        return out

    def row_contributions(self, flagged_rows, cost):
        """Per-row share of the file's raw score (sums to score()["score"]): each
        scored window's score sits on its first row, each false positive on its
        own row, every other row is 0."""
        out = [0.0] * self.n
        max_tp = scaled_sigmoid(-1.0)
        best = {}
        for i in flagged_rows:
            if i < self.probation:
                continue
            w = self.window_of[i]
            if w >= 0:
                value = self.unweighted[i] * cost["tpWeight"] / max_tp
                best[w] = max(best.get(w, value), value)
            else:
                out[i] = self.unweighted[i] * cost["fpWeight"]
        for w in self.scored_windows:
            out[self.windows[w][0]] = best.get(w, -cost["fnWeight"])
        return out

    def flags_from(self, detections):
        """Turn a list of timestamps / row indices into a set of row indices.
        Returns (rows, unmatched values)."""
        rows, unmatched = set(), []
        for value in detections:
            if isinstance(value, bool):
                unmatched.append(value)
            elif isinstance(value, int):
                if 0 <= value < self.n:
                    rows.add(value)
                else:
                    unmatched.append(value)
            else:
                try:
                    t = parse_timestamp(value)
                except NabError:
                    unmatched.append(value)
                    continue
                if t in self.rows_at:
                    rows.update(self.rows_at[t])
                else:
                    unmatched.append(value)
        return rows, unmatched

    def score(self, flagged_rows, cost):
        """Score one file for one profile. Returns a dict of raw score and counts."""
        max_tp = scaled_sigmoid(-1.0)
        best = {}
        fp_sum = 0.0
        tp = fp = 0
        for i in flagged_rows:
            if i < self.probation:
                continue
            w = self.window_of[i]
            if w >= 0:
                tp += 1
                value = self.unweighted[i] * cost["tpWeight"] / max_tp
                if w not in best or value > best[w]:
                    best[w] = value
            else:
                fp += 1
                fp_sum += self.unweighted[i] * cost["fpWeight"]
        window_part = 0.0
        for w in self.scored_windows:
            window_part += best.get(w, -cost["fnWeight"])
        scored_rows = self.n - int(math.ceil(self.probation)) if self.n else 0
        in_window = sum(1 for i in range(int(math.ceil(self.probation)), self.n)
                        if self.window_of[i] >= 0)
        return {
            "score": window_part + fp_sum,
            "tp": tp,
            "fp": fp,
            "fn": in_window - tp,
            "tn": scored_rows - in_window - fp,
            "windows": len(self.windows),
            "windows_scored": len(self.scored_windows),
            "windows_detected": len(best),
            "fp_penalty": fp_sum,
        }


def score_corpus(layouts, detections, profiles, ignore_unmatched=False):
    """Score every file in `layouts` (rel -> FileLayout) for every profile.

    detections: {rel: [timestamp or row index, ...]}.
    Returns {"files": {rel: {profile: result}}, "unmatched": {rel: [...]}}.
    """
    per_file = {}
    unmatched_all = {}
    for rel, layout in layouts.items():
        rows, unmatched = layout.flags_from(detections.get(rel, []))
        if unmatched:
            unmatched_all[rel] = unmatched
        per_file[rel] = {p: layout.score(rows, cost) for p, cost in profiles.items()}
    if unmatched_all and not ignore_unmatched:
        lines = ["%s: %d value(s) match no row, e.g. %r" % (rel, len(v), v[:3])
                 for rel, v in sorted(unmatched_all.items())]
        raise NabError("detections that match no data row (use --ignore-unmatched to "
                       "drop them):\n  " + "\n  ".join(lines))
    return {"files": per_file, "unmatched": unmatched_all}


def aggregate(layouts, per_file, profiles, group_of):
    """Sum raw scores per group and normalise against null and perfect detectors
    computed on the same files. group_of(rel) -> group name."""
    groups = {}
    for rel in layouts:
        groups.setdefault(group_of(rel), []).append(rel)
    result = {}
    for group, rels in groups.items():
        result[group] = {}
        for p, cost in profiles.items():
            raw = sum(per_file[rel][p]["score"] for rel in rels)
            null = 0.0 - cost["fnWeight"] * sum(len(layouts[rel].scored_windows) for rel in rels)
            null = null if null else 0.0   # no "-0.0"
            perfect = cost["tpWeight"] * sum(len(layouts[rel].windows) for rel in rels)
            denom = perfect - null
            entry = {
                "files": len(rels),
                "raw": raw,
                "null": null,
                "perfect": perfect,
                "normalised": (100.0 * (raw - null) / denom) if denom > 0 else None,
            }
            for key in ("tp", "fp", "fn", "tn", "windows", "windows_detected"):
                entry[key] = sum(per_file[rel][p][key] for rel in rels)
            result[group][p] = entry
    return result


# --------------------------------------------------------------------------
# File selection
# --------------------------------------------------------------------------
def select_files(data_dir, windows, files_from=None):
    """Return the sorted relative paths to score.

    Default: every labelled file that exists under data_dir. files_from: a
    comma-separated list of categories and/or <category>/<file>.csv paths, or
    the path of a text file with one such entry per line."""
    available = sorted(rel for rel in windows if os.path.isfile(os.path.join(data_dir, rel)))
    missing = sorted(rel for rel in windows if rel not in available)
    if files_from is None:
        if not available:
            raise NabError("no labelled file exists under %s" % data_dir)
        if missing:
            print("note: %d labelled file(s) are not under %s and are not scored "
                  "(categories: %s)" % (len(missing), data_dir,
                                        ",".join(sorted({category_of(m) for m in missing}))),
                  file=sys.stderr)
        return available
    if os.path.isfile(files_from):
        with open(files_from) as handle:
            wanted = [line.strip() for line in handle if line.strip() and not line.startswith("#")]
    else:
        wanted = [w.strip() for w in files_from.split(",") if w.strip()]
    chosen = []
    for entry in wanted:
        entry = normalise_relpath(entry).rstrip("/")
        if entry.endswith(".csv"):
            if entry not in windows:
                raise NabError("--files-from: %s has no entry in the labels file" % entry)
            if entry not in available:
                raise NabError("--files-from: %s is not under %s" % (entry, data_dir))
            matches = [entry]
        else:
            matches = [rel for rel in available if category_of(rel) == entry]
            if not matches:
                known = sorted({category_of(r) for r in windows})
                raise NabError("--files-from: no labelled file of category %r under %s "
                               "(labelled categories: %s)" % (entry, data_dir, ", ".join(known)))
        for rel in matches:
            if rel not in chosen:
                chosen.append(rel)
    return sorted(chosen)


def build_layouts(data_dir, windows, rels, probation_percent=PROBATION_PERCENT):
    return {rel: FileLayout(rel, read_series_timestamps(os.path.join(data_dir, rel)),
                            windows.get(rel, []), probation_percent)
            for rel in rels}


def load_detections(path):
    with open(path) as handle:
        try:
            raw = json.load(handle)
        except json.JSONDecodeError as exc:
            raise NabError("%s is not valid JSON: %s" % (path, exc)) from None
    if not isinstance(raw, dict):
        raise NabError("%s must hold a JSON object {\"<category>/<file>.csv\": [timestamps]}"
                       % path)
    detections = {}
    for key, values in raw.items():
        if not isinstance(values, list):
            raise NabError("%s: value for %r must be a list of timestamps" % (path, key))
        detections.setdefault(normalise_relpath(key), []).extend(values)
    return detections


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------
def _fmt(value, width=9, digits=1):
    if value is None:
        return "n/a".rjust(width)
    return ("%.*f" % (digits, value)).rjust(width)


def render(report, per_file=False):
    profiles = report["profiles"]
    cats = report["categories"]
    overall = report["overall"]
    lines = []
    lines.append("NAB score: %d file(s), %d labelled window(s), probation %.0f%% (max %d rows)"
                 % (overall[profiles[0]]["files"], overall[profiles[0]]["windows"],
                    100 * report["probation_percent"],
                    int(report["probation_percent"] * PROBATION_CAP_ROWS)))
    lines.append("")
    lines.append("Normalised score (100 = perfect detector, 0 = null detector that flags nothing)")
    header = "%-24s %5s %7s" % ("category", "files", "windows")
    for p in profiles:
        header += " %19s" % p
    lines.append(header)
    for name in sorted(cats) + ["ALL"]:
        entry = overall if name == "ALL" else cats[name]
        first = entry[profiles[0]]
        row = "%-24s %5d %7d" % (name, first["files"], first["windows"])
        for p in profiles:
            row += " %19s" % _fmt(entry[p]["normalised"]).strip()
        lines.append(row)
    for p in profiles:
        lines.append("")
        lines.append("Profile %s (weights tp=%g fp=%g fn=%g): raw scores and counts"
                     % (p, report["weights"][p]["tpWeight"], report["weights"][p]["fpWeight"],
                        report["weights"][p]["fnWeight"]))
        lines.append("%-24s %9s %9s %9s %10s %8s %6s %6s %8s %8s" % (
            "category", "raw", "null", "perfect", "normalised", "win_det", "TP", "FP", "FN",
            "TN"))
        for name in sorted(cats) + ["ALL"]:
            e = (overall if name == "ALL" else cats[name])[p]
            lines.append("%-24s %9s %9s %9s %10s %8s %6d %6d %8d %8d" % (
                name, _fmt(e["raw"], digits=3), _fmt(e["null"], digits=1),
                _fmt(e["perfect"], digits=1), _fmt(e["normalised"], 10, 2),
                "%d/%d" % (e["windows_detected"], e["windows"]), e["tp"], e["fp"], e["fn"],
                e["tn"]))
    if per_file:
        lines.append("")
        lines.append("Per file: raw score per profile; windows detected / labelled; row "
                     "counts after the probation period")
        head = "%-58s" % "file"
        for p in profiles:
            head += " %19s" % p
        head += " %8s %6s %6s %8s %8s" % ("win_det", "TP", "FP", "FN", "TN")
        lines.append(head)
        for rel in sorted(report["files"]):
            f = report["files"][rel]
            row = "%-58s" % rel
            for p in profiles:
                row += " %19s" % ("%.4f" % f[p]["score"])
            e = f[profiles[0]]
            row += " %8s %6d %6d %8d %8d" % ("%d/%d" % (e["windows_detected"], e["windows"]),
                                             e["tp"], e["fp"], e["fn"], e["tn"])
            lines.append(row)
    if report["unmatched"]:
        lines.append("")
        lines.append("Ignored detections that match no row: %s" % ", ".join(
            "%s (%d)" % (rel, n) for rel, n in sorted(report["unmatched"].items())))
    if report["unscored_keys"]:
        keys = report["unscored_keys"]
        lines.append("Detections for %d file(s) outside the scored set were ignored (e.g. %s)"
                     % (len(keys), ", ".join(keys[:3])))
    return "\n".join(lines)


def run(detections, data_dir, labels, profiles_path=None, files_from=None,
        probation_percent=PROBATION_PERCENT, ignore_unmatched=False):
    """Score `detections` ({rel: [timestamps]}) and return the report dict."""
    windows = load_windows(labels)
    profiles = load_profiles(profiles_path)
    rels = select_files(data_dir, windows, files_from)
    layouts = build_layouts(data_dir, windows, rels, probation_percent)
    scored = score_corpus(layouts, detections, profiles, ignore_unmatched)
    per_file = scored["files"]
    cats = aggregate(layouts, per_file, profiles, category_of)
    overall = aggregate(layouts, per_file, profiles, lambda rel: "ALL")["ALL"]
    return {
        "profiles": list(profiles),
        "weights": profiles,
        "probation_percent": probation_percent,
        "files": per_file,
        "categories": cats,
        "overall": overall,
        "unmatched": {rel: len(v) for rel, v in scored["unmatched"].items()},
        "unscored_keys": sorted(k for k in detections if k not in layouts),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Score anomaly detections with the NAB method (standard library only).",
        epilog="Example: python3 eval/nab_score.py detections.json --nab-root data/nab-dev")
    parser.add_argument("detections", help="JSON {\"<category>/<file>.csv\": [\"<timestamp>\", ...]}")
    parser.add_argument("--nab-root", help="directory with data/, labels/combined_windows.json "
                        "and config/profiles.json")
    parser.add_argument("--data-dir", help="NAB data directory (<category>/<file>.csv)")
    parser.add_argument("--labels", help="NAB window labels JSON (combined_windows.json)")
    parser.add_argument("--profiles", help="NAB profiles JSON (default: NAB's weights)")
    parser.add_argument("--files-from", metavar="CATEGORY[,CATEGORY]",
                        help="score only these categories (or <category>/<file>.csv entries, or "
                             "a text file listing them); null and perfect are computed on the "
                             "same subset")
    parser.add_argument("--per-file", action="store_true", help="also print per-file results")
    parser.add_argument("--json", metavar="OUT", help="write the full report as JSON to OUT")
    parser.add_argument("--probation-percent", type=float, default=PROBATION_PERCENT,
                        help="share of each file not scored (NAB: 0.15)")
    parser.add_argument("--ignore-unmatched", action="store_true",
                        help="drop detections whose timestamp matches no row instead of failing")
    args = parser.parse_args(argv)

    data_dir, labels, profiles_path = args.data_dir, args.labels, args.profiles
    if args.nab_root:
        data_dir = data_dir or os.path.join(args.nab_root, "data")
        labels = labels or os.path.join(args.nab_root, "labels", "combined_windows.json")
        candidate = os.path.join(args.nab_root, "config", "profiles.json")
        if profiles_path is None and os.path.isfile(candidate):
            profiles_path = candidate
    if not data_dir or not labels:
        parser.error("give --nab-root, or both --data-dir and --labels")
    try:
        detections = load_detections(args.detections)
        report = run(detections, data_dir, labels, profiles_path, args.files_from,
                     args.probation_percent, args.ignore_unmatched)
    except (NabError, OSError) as exc:
        print("nab_score: error: %s" % exc, file=sys.stderr)
        return 2
    print(render(report, args.per_file))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(report, handle, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
