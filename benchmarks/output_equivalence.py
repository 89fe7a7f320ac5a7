"""Do two veilwatch builds write the same outputs? Issue #15's check that speed changed nothing.

    .venv/bin/python benchmarks/output_equivalence.py run --out /tmp/before    # at the old commit
    .venv/bin/python benchmarks/output_equivalence.py run --out /tmp/after     # at the new one
    .venv/bin/python benchmarks/output_equivalence.py compare /tmp/before /tmp/after

``run`` runs ``veilwatch run`` (in-process, DirectRunner) on the bundled samples
(``templates/datasets/payments.yaml``, ``app_logs.yaml``) and on the test suite's
broken-records file (400 good payments mixed with every kind of bad line), each
with the same fixed keyset, into ``OUT/<case>/``. ``compare`` reads every output
file of each case, sorts its lines (shard names and order are the runner's
choice) and compares them, and compares ``run_summary.json`` as JSON. It prints
one line per case and output folder and exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parent.parent

# A fixed plaintext keyset, so tokens and hashes are comparable across runs.
KEYSET_SEED_CMD = (
    "from veilwatch.transforms.keys.keyring import create_plaintext_keyset; print(create_plaintext_keyset())"
)


def _cases(work: pathlib.Path) -> dict[str, list[str]]:
    sys.path.insert(0, str(REPO))
    from tests.fixtures.broken_records import write_broken_records

    broken, _, _ = write_broken_records(work)
    return {
        "payments": ["--dataset_config", "templates/datasets/payments.yaml"],
        "app_logs": ["--dataset_config", "templates/datasets/app_logs.yaml"],
        "broken_records": [
            "--dataset_config",
            "templates/datasets/payments.yaml",
            "--input",
            str(broken),
        ],
    }


def run(out: pathlib.Path, keyset: pathlib.Path | None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    # One fixed path for the generated input: dead letters and findings name the file they came from.
    work = pathlib.Path(tempfile.gettempdir()) / "veilwatch_output_equivalence"
    work.mkdir(exist_ok=True)
    if keyset is None:
        keyset = out / "keyset.json"
        if not keyset.exists():
            keyset.write_text(
                subprocess.check_output([sys.executable, "-c", KEYSET_SEED_CMD], cwd=REPO, text=True)
            )
    for name, args in _cases(work).items():
        cmd = [sys.executable, "-m", "veilwatch.pipelines.cli", "run", *args]
        cmd += ["--output_dir", str(out / name), "--keyset", str(keyset), "--allow_plaintext_keys"]
        cmd += ["--overwrite"]
        result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
        print(f"{name}: exit {result.returncode}")
        if result.returncode != 0:
            print(result.stderr[-3000:])
            sys.exit(1)


# Dead letters and findings name their source file: the bundled samples' path depends on the checkout.
_CHECKOUT = re.compile(r'"source":"[^"]*?/(templates/sample_data/)')


def _lines(folder: pathlib.Path) -> list[str]:
    lines: list[str] = []
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            lines.extend(
                _CHECKOUT.sub(r'"source":"\1', line) for line in path.read_text(errors="replace").splitlines()
            )
    return sorted(lines)


def compare(a: pathlib.Path, b: pathlib.Path) -> int:
    differences = 0
    for case in sorted(p.name for p in a.iterdir() if p.is_dir()):
        left, right = a / case, b / case
        folders = sorted(
            {p.name for p in left.iterdir() if p.is_dir()} | {p.name for p in right.iterdir() if p.is_dir()}
        )
        for folder in folders:
            la, lb = _lines(left / folder), _lines(right / folder)
            same = la == lb
            differences += not same
            print(f"{case}/{folder}: {len(la)} vs {len(lb)} lines, {'same' if same else 'DIFFERENT'}")
        sa = json.loads((left / "run_summary.json").read_text())
        sb = json.loads((right / "run_summary.json").read_text())
        same = sa == sb
        differences += not same
        print(f"{case}/run_summary.json: {'same' if same else 'DIFFERENT'}")
        if not same:
            for key in sorted(set(sa) | set(sb)):
                if sa.get(key) != sb.get(key):
                    print(f"  {key}: {str(sa.get(key))[:200]} vs {str(sb.get(key))[:200]}")
    return 1 if differences else 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run")
    run_parser.add_argument("--out", type=pathlib.Path, required=True)
    run_parser.add_argument("--keyset", type=pathlib.Path, help="default: OUT/keyset.json, made once")
    compare_parser = sub.add_parser("compare")
    compare_parser.add_argument("a", type=pathlib.Path)
    compare_parser.add_argument("b", type=pathlib.Path)
    args = parser.parse_args()
    if args.command == "run":
        run(args.out, args.keyset)
    else:
        sys.exit(compare(args.a, args.b))


if __name__ == "__main__":
    main()
