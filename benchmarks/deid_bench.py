"""Microbenchmark of every DLP primitive transformation: values per second, median of 5 runs.

Measures ``Transformation.transform`` (and ``reverse`` for the reversible
ones) as a de-identification DoFn calls it once its primitives are built
(keys loaded, ciphers keyed): one value at a time, distinct random values,
no FieldRewriter cache (what a never-repeating value costs). The keyset is a
fresh in-memory tink HMAC-SHA256 PRF keyset.

Usage::

    python benchmarks/deid_bench.py [--values 20000] [--runs 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import string
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from veilwatch.transforms.deid.base import ValueContext  # noqa: E402
from veilwatch.transforms.deid.registry import build_transformation, parse_transformation  # noqa: E402
from veilwatch.transforms.keys.keyring import KeyRing, new_keyset_handle  # noqa: E402


def _cards(rng: random.Random, n: int) -> list[str]:
    return ["".join(rng.choice(string.digits) for _ in range(16)) for _ in range(n)]


def _emails(rng: random.Random, n: int) -> list[str]:
    return [
        f"{''.join(rng.choice(string.ascii_lowercase) for _ in range(10))}{i}@example.org" for i in range(n)
    ]


def _dates(rng: random.Random, n: int) -> list[str]:
    return [
        f"{rng.randint(1950, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T"
        f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00Z"
        for _ in range(n)
    ]


def _amounts(rng: random.Random, n: int) -> list[float]:
    return [round(rng.uniform(0, 500), 2) for _ in range(n)]


# (label, config, input generator, context field value or None)
CASES: list[tuple[str, Any, Callable[[random.Random, int], list], bool]] = [
    ("redactConfig", "redactConfig", _emails, False),
    ("replaceConfig", {"replaceConfig": {"newValue": {"stringValue": "n/a"}}}, _emails, False),
    ("replaceWithInfoTypeConfig", "replaceWithInfoTypeConfig", _emails, False),
    ("characterMaskConfig (-4)", {"characterMaskConfig": {"numberToMask": -4}}, _cards, False),
    (
        "replaceDictionaryConfig (100 words)",
        {"replaceDictionaryConfig": {"wordList": {"words": [f"w{i}" for i in range(100)]}}},
        _emails,
        False,
    ),
    ("cryptoHashConfig", {"cryptoHashConfig": {}}, _emails, False),
    (
        "cryptoDeterministicConfig (surrogate)",
        {"cryptoDeterministicConfig": {"surrogateInfoType": {"name": "EMAIL_TOKEN"}}},
        _emails,
        False,
    ),
    (
        "cryptoDeterministicConfig (context)",
        {"cryptoDeterministicConfig": {"context": {"name": "ctx"}}},
        _emails,
        True,
    ),
    (
        "cryptoReplaceFfxFpeConfig NUMERIC 16",
        {"cryptoReplaceFfxFpeConfig": {"commonAlphabet": "NUMERIC"}},
        _cards,
        False,
    ),
    (
        "cryptoReplaceFfxFpeConfig NUMERIC 16 (surrogate, context)",
        {
            "cryptoReplaceFfxFpeConfig": {
                "commonAlphabet": "NUMERIC",
                "surrogateInfoType": {"name": "CARD"},
                "context": {"name": "ctx"},
            }
        },
        _cards,
        True,
    ),
    (
        "dateShiftConfig (context)",
        {"dateShiftConfig": {"upperBoundDays": 30, "lowerBoundDays": -30, "context": {"name": "ctx"}}},
        _dates,
        True,
    ),
    (
        "fixedSizeBucketingConfig",
        {"fixedSizeBucketingConfig": {"lowerBound": 10, "upperBound": 400, "bucketSize": 10}},
        _amounts,
        False,
    ),
    (
        "bucketingConfig (3 buckets)",
        {
            "bucketingConfig": {
                "buckets": [
                    {"max": 50, "replacementValue": "LOW"},
                    {"min": 50, "max": 200, "replacementValue": "MEDIUM"},
                    {"min": 200, "replacementValue": "HIGH"},
                ]
            }
        },
        _amounts,
        False,
    ),
    ("timePartConfig (HOUR_OF_DAY)", {"timePartConfig": {"partToExtract": "HOUR_OF_DAY"}}, _dates, False),
]


def _rate(
    fn: Callable[[Any, ValueContext], Any], pairs: Sequence[tuple[Any, ValueContext]], runs: int
) -> float:
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        for value, ctx in pairs:
            fn(value, ctx)
        rates.append(len(pairs) / (time.perf_counter() - start))
    return statistics.median(rates)


def run(values: int, runs: int) -> list[dict]:
    keys = KeyRing(new_keyset_handle())
    rng = random.Random(1234)
    results = []
    for label, config, make_inputs, with_context in CASES:
        t = build_transformation(parse_transformation(config, "bench"), keys)
        inputs = make_inputs(rng, values)
        # A context value per record (a customer id); 1,000 distinct ones, as records repeat customers.
        pairs = [
            (v, ValueContext("X", {"ctx": f"c-{i % 1000}"} if with_context else {}, "f"))
            for i, v in enumerate(inputs)
        ]
        row = {"transformation": label, "transform_per_s": _rate(t.transform, pairs, runs)}
        if t.reversible:
            tokens = [(t.transform(v, ctx), ctx) for v, ctx in pairs]
            row["reverse_per_s"] = _rate(t.reverse, tokens, runs)
        results.append(row)
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--values", type=int, default=20_000, help="values per run")
    parser.add_argument("--runs", type=int, default=5, help="runs; the median is reported")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    results = run(args.values, args.runs)
    print(f"values/second, median of {args.runs} runs of {args.values:,} distinct values (one core)")
    print(f"{'transformation':<58} {'transform':>12} {'reverse':>12}")
    for row in results:
        reverse = f"{row['reverse_per_s']:>12,.0f}" if "reverse_per_s" in row else f"{'-':>12}"
        print(f"{row['transformation']:<58} {row['transform_per_s']:>12,.0f} {reverse}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
