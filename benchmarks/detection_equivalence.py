"""The detection engine's findings before and after a change: identical, or where they differ.

    .venv/bin/python benchmarks/generate_pii_texts.py --out /tmp/held_out.jsonl --texts 2000 --seed 101
    .venv/bin/python benchmarks/detection_equivalence.py save /tmp/findings_before.json.gz \\
        --gold ../shared/data/pii-dev/splits/pii_text_dev.jsonl --held-out /tmp/held_out.jsonl \\
        --identifiers ../shared/data/pii-dev/splits/identifiers_dev.jsonl
    # ... change the engine ...
    .venv/bin/python benchmarks/detection_equivalence.py check /tmp/findings_before.json.gz (same inputs)

A speed change to the engine (prefilter conditions, recognizer shortcuts, caches) must not
change a single finding. ``save`` records, for every text, the findings (start, end, infoType,
likelihood) of several engines: the default one without NER and its result cache, without the
Hyperscan prefilter (the pure-Python gates), at VERY_UNLIKELY (every candidate reported), with a
dataset's hotwords, exclusions and custom infoTypes, with an infoType subset, with the result
cache (each text scanned twice) and, unless ``--no-ner``, with the NER model. The texts: the dev
set, the held-out generated texts, the identifiers (scanned, and classified as whole values) and
variants of them (upper case, full-width digits, escaped line breaks, several texts joined).
``check`` computes the same and lists the (engine, corpus) pairs whose findings differ.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from veilwatch.transforms.detection import DetectionEngine, DetectionSettings  # noqa: E402
from veilwatch.transforms.detection.findings import Finding, Likelihood  # noqa: E402
from veilwatch.transforms.detection.settings import (  # noqa: E402
    CustomInfoType,
    ExclusionRule,
    HotwordRule,
)

_FULL_WIDTH = str.maketrans("0123456789@", "０１２３４５６７８９＠")
_VARIANTS = 800  # texts per variant corpus


def _read(path: Path | None, key: str) -> list[str]:
    if path is None:
        return []
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line)[key] for line in handle if line.strip()]


def corpora(gold: Path, held_out: Path | None, identifiers: Path | None) -> dict[str, list[str]]:
    """The texts to scan, by corpus name."""
    dev = _read(gold, "text")
    held = _read(held_out, "text")
    texts = {
        "dev": dev,
        "dev_upper": [t.upper() for t in dev[:_VARIANTS]],
        "dev_fullwidth": [t.translate(_FULL_WIDTH) for t in dev[:_VARIANTS]],
        "dev_joined": [" | ".join(dev[i : i + 5]) for i in range(0, min(len(dev), 1000), 5)],
    }
    if held:
        texts["held"] = held
        texts["held_escaped"] = [t.replace(" ", "\\n", 3) for t in held[:_VARIANTS]]
    if identifiers is not None:
        texts["ids"] = _read(identifiers, "value")
    return texts


def engines(with_ner: bool) -> dict[str, DetectionSettings]:
    """The engine settings compared, by name."""
    plain = {"use_ner": False, "result_cache_size": 0}
    settings = {
        "default": DetectionSettings(**plain),
        "no_prefilter": DetectionSettings(**plain, use_prefilter=False),
        "very_unlikely": DetectionSettings(**plain, min_likelihood=Likelihood.VERY_UNLIKELY),
        "very_unlikely_no_prefilter": DetectionSettings(
            **plain, use_prefilter=False, min_likelihood=Likelihood.VERY_UNLIKELY
        ),
        "rules": DetectionSettings(
            **plain,
            min_likelihood=Likelihood.LIKELY,
            hotwords=(
                HotwordRule("US_DRIVERS_LICENSE_NUMBER", ("permit",), 40, 20, Likelihood.LIKELY, 1),
                HotwordRule("EMAIL_ADDRESS", ("contact",), 50, 20, None, 1),
            ),
            exclusions=(
                ExclusionRule("CREDIT_CARD_NUMBER", ("4111 1111 1111 1111",)),
                ExclusionRule("EMAIL_ADDRESS", (), (".*@example\\.com",)),
            ),
            custom_info_types=(
                CustomInfoType("EMPLOYEE_ID", regex="EMP-\\d{7}", validator="luhn"),
                CustomInfoType("PROJECT_CODENAME", words=("bluebird", "nightjar")),
            ),
        ),
        "subset": DetectionSettings(
            **plain,
            info_types=(
                "EMAIL_ADDRESS",
                "PHONE_NUMBER",
                "CREDIT_CARD_NUMBER",
                "US_SOCIAL_SECURITY_NUMBER",
                "STREET_ADDRESS",
            ),
        ),
        "result_cache": DetectionSettings(use_ner=False),
    }
    if with_ner:
        settings["ner"] = DetectionSettings(use_ner=True, result_cache_size=0)
    return settings


def _rows(findings: list[Finding]) -> list[list]:
    return [[f.start, f.end, f.info_type, int(f.likelihood)] for f in findings]


def findings(texts: dict[str, list[str]], with_ner: bool) -> dict[str, list]:
    """``{"engine/corpus": [findings of each scan, in order]}``."""
    out: dict[str, list] = {}
    for name, settings in engines(with_ner).items():
        engine = DetectionEngine(settings)
        for corpus, items in texts.items():
            if name == "ner" and corpus not in ("dev", "held", "dev_upper"):
                continue  # the model's cost: the corpora that hold names
            started = time.process_time()
            if name == "ner":
                engine.prepare(items)
            rows = []
            for text in items:
                rows.append(_rows(engine.scan(text)))
                if name == "result_cache":  # the second scan comes from the cache
                    rows.append(_rows(engine.scan(text)))
                if corpus == "ids":
                    rows.append(_rows(engine.classify_value(f"  {text} ")))
            out[f"{name}/{corpus}"] = rows
            print(
                f"{name}/{corpus}: {len(items)} texts, {sum(map(len, rows))} findings, "
                f"{time.process_time() - started:.2f} s",
                file=sys.stderr,
            )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["save", "check"])
    parser.add_argument(
        "path", type=Path, help="the recorded findings (.json.gz): written by save, read by check"
    )
    parser.add_argument("--gold", type=Path, required=True, help="pii_text_dev.jsonl")
    parser.add_argument("--held-out", type=Path, help="generate_pii_texts.py output")
    parser.add_argument("--identifiers", type=Path, help="identifiers_dev.jsonl")
    parser.add_argument("--no-ner", action="store_true", help="leave out the engine with the NER model")
    args = parser.parse_args(argv)

    now = findings(corpora(args.gold, args.held_out, args.identifiers), not args.no_ner)
    if args.mode == "save":
        with gzip.open(args.path, "wt", encoding="utf-8") as handle:
            json.dump(now, handle)
        print(f"saved {len(now)} engine/corpus pairs to {args.path}")
        return 0
    with gzip.open(args.path, "rt", encoding="utf-8") as handle:
        before = json.load(handle)
    different = 0
    for key, rows in now.items():
        if key not in before:
            print(f"NOT RECORDED {key}")
            different += 1
        elif before[key] != rows:
            changed = [i for i, (a, b) in enumerate(zip(before[key], rows, strict=False)) if a != b]
            print(
                f"DIFFERENT {key}: {len(changed)} scans (first at {changed[:5]}), {len(before[key])} -> {len(rows)}"
            )
            different += 1
    print("IDENTICAL" if not different else f"{different} DIFFERENT", f"({len(now)} engine/corpus pairs)")
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
