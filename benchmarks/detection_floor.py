"""How close can detection get to 100x Presidio? The per-text cost the engine cannot avoid.

    .venv/bin/python benchmarks/detection_floor.py \\
        --gold ../shared/data/pii-dev/splits/pii_text_dev.jsonl [--repeats 5] [--no-presidio]

Issue #3 asks for detection throughput of at least 100 times Presidio's on the
dev texts. This benchmark splits veilwatch's per-text CPU time into the parts
that no implementation of the *specified* engine (validation by phonenumbers
and python-stdnum, in CPython) can drop, and compares their sum with the
per-text budget that 100x leaves:

* ``validation of reported spans``: phonenumbers (``parse`` + ``is_valid_number``,
  trying the engine's regions in order, as the engine does) on every reported
  PHONE_NUMBER, ``stdnum.iban.is_valid`` on every IBAN_CODE and ``stdnum.luhn``
  on every CREDIT_CARD_NUMBER: the library calls needed just to confirm what
  is reported, once each, ignoring every rejected candidate and every other
  infoType (so a lower bound);
* ``native multi-pattern pass``: Hyperscan scanning each text with the engine's
  compiled database and no Python callback (the native work of finding out
  which recognizers can match at all);
* ``Python call per text``: a loop calling a function that returns ``[]``.

All figures are CPU time per text (``time.process_time``), medians of
``--repeats`` runs. ``--breakdown`` adds where the engine's time goes: each
recognizer's ``find`` and the prefilter pass timed inside real scans (thread CPU
time, the timer's own cost subtracted), the rest being the engine's own work
(hotwords, overlaps, the loop); that extra run does not change the figures above.
Presidio's rate comes from the same runner as ``pii_accuracy.py`` (``.venv-presidio``; ``--no-presidio`` skips it and
``--presidio-rate`` takes a measured one).
"""

from __future__ import annotations

import argparse
import collections
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import phonenumbers  # noqa: E402
from pii_accuracy import DEFAULT_PRESIDIO_VENV, _read_texts, _write_texts, run_presidio  # noqa: E402
from stdnum import iban, luhn  # noqa: E402

from veilwatch.transforms.detection import DetectionEngine, DetectionSettings  # noqa: E402
from veilwatch.transforms.detection.recognizers.phone import PhoneRecognizer  # noqa: E402


def cpu_per_item(run: Callable[[], None], items: int, repeats: int) -> float:
    """Median CPU microseconds per item of ``run()`` over ``repeats`` runs."""
    times = []
    for _ in range(repeats):
        started = time.process_time()
        run()
        times.append(time.process_time() - started)
    return statistics.median(times) / items * 1e6


def phone_regions(engine: DetectionEngine) -> tuple[str, ...]:
    """The regions the engine's phone recognizer tries for numbers without ``+``."""
    for step in engine._all_steps:  # the engine's planned recognizer steps (find is a bound method)
        owner = getattr(step[2], "__self__", None)
        if isinstance(owner, PhoneRecognizer):
            return owner.regions
    return ("US",)


def library_calls(engine: DetectionEngine, texts: list[str]) -> list[Callable[[], bool]]:
    """One zero-argument call per reported span of the three library-validated types."""
    regions = phone_regions(engine)

    def phone(span: str) -> Callable[[], bool]:
        def check() -> bool:
            for region in (None,) if span.startswith("+") else regions:
                try:
                    if phonenumbers.is_valid_number(phonenumbers.parse(span, region)):
                        return True
                except phonenumbers.NumberParseException:
                    continue
            return False

        return check

    calls: list[Callable[[], bool]] = []
    for text in texts:
        for finding in engine.scan(text):
            span = text[finding.start : finding.end]
            if finding.info_type == "PHONE_NUMBER":
                calls.append(phone(span))
            elif finding.info_type == "IBAN_CODE":
                calls.append(lambda span=span: iban.is_valid(span))
            elif finding.info_type == "CREDIT_CARD_NUMBER":
                digits = "".join(c for c in span if c.isdigit())
                calls.append(lambda digits=digits: luhn.is_valid(digits))
    return calls


def _step_name(find: Callable) -> str:
    owner = getattr(find, "__self__", None)
    return f"{type(owner).__name__} ({', '.join(getattr(owner, 'info_types', ()))[:48]})"


def engine_breakdown(texts: list[str], repeats: int) -> tuple[list[tuple[float, str]], float, float]:
    """Per-text CPU microseconds of each recognizer step's ``find`` (its results consumed) and of
    the prefilter pass, measured inside real scans with fresh engines (medians of ``repeats``),
    and the engine's total in those runs. Thread CPU time around each call, its own cost
    (calibrated) subtracted: an estimate, a few percent."""
    clock = time.thread_time_ns
    samples = []
    for _ in range(20000):
        started = clock()
        samples.append(clock() - started)
    cost = statistics.median(samples)
    per: dict[str, list[float]] = collections.defaultdict(list)
    prefilter_ns, totals = [], []
    for _ in range(repeats):
        engine = DetectionEngine(DetectionSettings(result_cache_size=0, use_ner=False))
        spent: collections.Counter[str] = collections.Counter()

        def timed(find: Callable, name: str, spent: collections.Counter[str] = spent) -> Callable:
            def call(*args, **kwargs):
                started = clock()
                found = list(find(*args, **kwargs))
                spent[name] += clock() - started - cost
                return found

            return call

        engine._all_steps = tuple(
            step._replace(find=timed(step[2], _step_name(step[2]))) for step in engine._all_steps
        )
        prefilter = engine._prefilter
        scanned = [0.0]
        if prefilter is not None:
            native_scan = prefilter.scan

            def prefilter_scan(text: str, native_scan=native_scan, scanned: list[float] = scanned):
                started = clock()
                hits = native_scan(text)
                scanned[0] += clock() - started - cost
                return hits

            prefilter.scan = prefilter_scan  # (the Prefilter is shared by engines: restored below)
        started = clock()
        for text in texts:
            engine.scan(text)
        totals.append(clock() - started)
        if prefilter is not None:
            del prefilter.scan
        prefilter_ns.append(scanned[0])
        for name in set(spent) | set(per):
            per[name].append(spent.get(name, 0))
    n = len(texts)
    rows = sorted(((statistics.median(v) / n / 1e3, name) for name, v in per.items()), reverse=True)
    return rows, statistics.median(prefilter_ns) / n / 1e3, statistics.median(totals) / n / 1e3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gold", type=Path, required=True, help="pii_text_dev.jsonl")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--presidio-venv", type=Path, default=DEFAULT_PRESIDIO_VENV)
    parser.add_argument("--presidio-rate", type=float, help="Presidio texts per CPU-second, already measured")
    parser.add_argument("--no-presidio", action="store_true")
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="also print the engine's time per recognizer (a separate run)",
    )
    args = parser.parse_args(argv)

    texts = _read_texts(args.gold, "text")
    n = len(texts)
    # A fresh engine per timed run (built outside the timer), as pii_accuracy.py does: the
    # engine's own caches (phone and VAT validity) must not carry over from run to run.
    engine_times = []
    for _ in range(args.repeats):
        scan = DetectionEngine(DetectionSettings(result_cache_size=0, use_ner=False)).scan
        started = time.process_time()
        for text in texts:
            scan(text)
        engine_times.append(time.process_time() - started)
    engine_us = statistics.median(engine_times) / n * 1e6
    engine = DetectionEngine(DetectionSettings(result_cache_size=0, use_ner=False))

    calls = library_calls(engine, texts)

    def validate_all() -> None:
        for call in calls:
            call()

    validation_us = cpu_per_item(validate_all, n, args.repeats)

    native_us = 0.0
    prefilter = getattr(engine, "_prefilter", None)
    database = getattr(prefilter, "_database", None)
    if database is not None:
        encoded = [text.encode("utf-8", "replace") for text in texts]

        def native_all() -> None:
            for data in encoded:
                try:
                    database.scan(data)
                except Exception:  # early termination is reported as an exception
                    pass

        native_us = cpu_per_item(native_all, n, args.repeats)

    def nothing(text: str) -> list:
        return []

    def call_all() -> None:
        for text in texts:
            nothing(text)

    call_us = cpu_per_item(call_all, n, args.repeats)

    presidio_rate = args.presidio_rate
    if presidio_rate is None and not args.no_presidio:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "texts.jsonl"
            _write_texts(texts, path)
            presidio_rate = statistics.median(
                run_presidio(args.presidio_venv, path, Path(tmp) / "p.jsonl", 3)
            )

    floor = validation_us + native_us + call_us
    print(f"{n} texts, CPU microseconds per text, median of {args.repeats}")
    print(f"  veilwatch engine (no result cache)       {engine_us:7.2f}")
    print(f"  floor: validation of reported spans      {validation_us:7.2f}  ({len(calls)} library calls)")
    print(f"  floor: native multi-pattern pass         {native_us:7.2f}")
    print(f"  floor: Python call per text              {call_us:7.2f}")
    print(f"  floor total                              {floor:7.2f}")
    if args.breakdown:
        rows, prefilter_us, total_us = engine_breakdown(texts, args.repeats)
        print(f"  engine breakdown (thread CPU inside scans, total {total_us:.2f} with the timers):")
        for us, name in rows:
            if us >= 0.05:
                print(f"    {us:7.2f}  {name}")
        print(
            f"    {sum(us for us, _ in rows if us < 0.05):7.2f}  {sum(us < 0.05 for us, _ in rows)} other recognizers"
        )
        print(f"    {prefilter_us:7.2f}  prefilter pass (Hyperscan and its Python wrapper)")
        rest = total_us - sum(us for us, _ in rows) - prefilter_us
        print(f"    {rest:7.2f}  the engine's own work (hotwords, overlaps, the step loop) and the timers")
    if presidio_rate:
        budget = 1e6 / (100 * presidio_rate)
        print(
            f"  Presidio: {presidio_rate:,.0f} texts/CPU-s = {1e6 / presidio_rate:,.0f} us/text; "
            f"100x leaves {budget:.2f} us/text"
        )
        print(f"  left for finding, context, overlaps and output at 100x: {budget - floor:.2f} us/text")
        print(f"  engine now: {(1e6 / engine_us) / presidio_rate:.1f}x Presidio")
    return 0


if __name__ == "__main__":
    sys.exit(main())
