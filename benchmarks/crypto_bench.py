"""Microbenchmark of the crypto core: values per second, median of 5 runs.

Measures what a de-identification DoFn pays per value once its primitives are
built: FF1 encrypt/decrypt on 16-digit numbers (NUMERIC, card-number sized)
and 12-character ALPHA_NUMERIC ids, AES-SIV encrypt/decrypt on 20-byte
strings, and HMAC-SHA256 from the standard library as a reference point
(cryptoHashConfig's cost). Keys are random per run; inputs are distinct
random values, so no cache helps beyond the per-(length, tweak) precompute.

Usage::

    python benchmarks/crypto_bench.py [--values 20000] [--runs 5]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from veilwatch.transforms.deid.crypto.aes_siv import AesSiv  # noqa: E402
from veilwatch.transforms.deid.crypto.ff1 import FF1  # noqa: E402
from veilwatch.transforms.deid.crypto.fpe_alphabets import FfxCommonNativeAlphabet  # noqa: E402

NUMERIC = FfxCommonNativeAlphabet.NUMERIC.alphabet
ALPHA_NUMERIC = FfxCommonNativeAlphabet.ALPHA_NUMERIC.alphabet


def _rate(fn: Callable[[object], object], inputs: Sequence[object], runs: int) -> float:
    """Median values/second of ``fn`` over ``inputs`` across ``runs`` runs."""
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        for x in inputs:
            fn(x)
        rates.append(len(inputs) / (time.perf_counter() - start))
    return statistics.median(rates)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--values", type=int, default=20_000, help="values per run")
    parser.add_argument("--runs", type=int, default=5, help="runs; the median is reported")
    args = parser.parse_args(argv)
    rng = random.Random(1234)
    n = args.values

    numeric = FF1(os.urandom(32), alphabet=NUMERIC)
    alnum = FF1(os.urandom(32), alphabet=ALPHA_NUMERIC)
    siv = AesSiv(os.urandom(64))
    hmac_key = os.urandom(32)

    nums = ["".join(rng.choice(NUMERIC) for _ in range(16)) for _ in range(n)]
    ids = ["".join(rng.choice(ALPHA_NUMERIC) for _ in range(12)) for _ in range(n)]
    blobs = [rng.randbytes(20) for _ in range(n)]
    num_ct = [numeric.encrypt(x) for x in nums]
    id_ct = [alnum.encrypt(x) for x in ids]
    siv_ct = [siv.encrypt(x, [b"ctx"]) for x in blobs]

    cases = [
        ("FF1 NUMERIC 16 digits, encrypt", numeric.encrypt, nums),
        ("FF1 NUMERIC 16 digits, decrypt", numeric.decrypt, num_ct),
        ("FF1 ALPHA_NUMERIC 12 chars, encrypt", alnum.encrypt, ids),
        ("FF1 ALPHA_NUMERIC 12 chars, decrypt", alnum.decrypt, id_ct),
        ("AES-SIV-512 20 bytes, encrypt", lambda x: siv.encrypt(x, [b"ctx"]), blobs),
        ("AES-SIV-512 20 bytes, decrypt", lambda x: siv.decrypt(x, [b"ctx"]), siv_ct),
        (
            "HMAC-SHA256 20 bytes (hmac stdlib)",
            lambda x: hmac.new(hmac_key, x, hashlib.sha256).digest(),
            blobs,
        ),
        ("HMAC-SHA256 20 bytes (hmac.digest)", lambda x: hmac.digest(hmac_key, x, "sha256"), blobs),
    ]
    print(f"python {sys.version.split()[0]}, {n} values per run, median of {args.runs} runs")
    for label, fn, inputs in cases:
        print(f"{label:<40} {_rate(fn, inputs, args.runs):>12,.0f} values/s")


if __name__ == "__main__":
    main()
