"""STREET_ADDRESS accuracy on generated texts, under both labelling conventions, and on the dev set.

    .venv/bin/python benchmarks/address_eval.py --seed 11 --texts 1500 \\
        [--dev ../shared/data/pii-dev/splits/pii_text_dev.jsonl]

Texts are written here from Faker values (many locales; Faker is a benchmark-only
dependency) poured into sentence shapes of our own: tickets, chats (some lower-cased),
e-mails with signature blocks, forms, logs, CRM notes; a third are negatives (numbers
next to capitalised words that are not addresses: versions, quantities, times, order
numbers, product names, rooms). Every address text is labelled twice:

* ``whole``: the whole address (street line to postcode and city) is one STREET_ADDRESS
  span, a country after it a LOCATION (synth_dataset_v2's convention);
* ``parts``: the street line, the unit and the postcode are separate STREET_ADDRESS
  spans, city and country LOCATION (the convention of part of presidio-research's
  generated data).

Both span rules of the recognizer are scored against both conventions
(``AddressRecognizer(parts=True)`` reports the parts): the default engine reports the
rule that generalises. Scoring is ``../shared/eval/pii_score.py --types STREET_ADDRESS``
(called, never copied); the engine runs without NER (addresses are pattern-found).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SCORER = ROOT.parent / "shared" / "eval" / "pii_score.py"

LOCALES = [
    "en_US",
    "en_GB",
    "en_CA",
    "en_AU",
    "en_IE",
    "de_DE",
    "de_AT",
    "de_CH",
    "fr_FR",
    "it_IT",
    "es_ES",
    "nl_NL",
    "nl_BE",
    "pt_BR",
    "pt_PT",
    "pl_PL",
    "sv_SE",
    "da_DK",
]
NORTH_AMERICA = {"en_US", "en_CA", "en_AU"}

# {addr} is replaced by the address; shapes of the texts a feed carries
POSITIVE_SHAPES = [
    "Hi, please update my shipping address to {addr}. Thanks!",
    "Ticket #{n}: customer moved, new address is {addr}",
    "Please ship the replacement to {addr} and call me if nobody answers.",
    "Address: {addr}",
    "Name: {name}\nAddress: {addr}\nPhone: {phone}",
    "Kind regards,\n{name}\n{company}\n{addr}\nTel: {phone}",
    "{name}\n{addr}",
    "The package was delivered to {addr} yesterday but nobody was home.",
    '{ts} INFO customer_update id={n} addr="{addr}"',
    "can you send it to {addr} please",
    "We are located at {addr}, opposite the station.",
    "Billing address:\n{addr}\n\nOrder {n} total {amount} EUR",
    "Meet me at {addr} at {time}.",
    "{name} lives at {addr}.",
]
NEGATIVE_SHAPES = [
    "Upgraded {count} Dell Latitude laptops to Windows 11 Pro, build {n}.",
    "Order {n} shipped {count} Large Boxes via DHL Express on {date}.",
    "Meeting in Room {count} at {time} with the Sales Team.",
    "Version {ver} of Python fixes {count} Critical Bugs in Release {count2}.",
    "Chapter {count} Section {count2} covers the Main Street Journal case study.",
    "We sold {count} Green Apples and {count2} Red Pears at Market Day.",
    "Please restart Server {count} in Rack {count2} before {time}.",
    "Invoice {n} for {count} units of Model X{count2} Pro is overdue.",
    "iPhone {count2} Pro Max and Galaxy S{count} Ultra prices dropped by {count} Percent.",
    "Flight LH {n} departs Gate {count} at {time}, Terminal {count2}.",
    "The Top {count} Park Rangers of {year} were honoured in City Hall.",
    "Patch {ver} closes ticket {n}; see Build {count} Notes.",
]


def _address(fake, locale: str, rng: random.Random) -> tuple[list[tuple[str, str]], str]:
    """An address as (text, role) pieces and the separator style; roles: street, unit, postcode, city, region,
    country, sep."""
    street = fake.street_address()
    pieces: list[tuple[str, str]] = [(street, "street")]
    multi = rng.random() < 0.4
    sep = "\n" if multi else ", "
    if rng.random() < 0.35:
        unit = (
            fake.secondary_address()
            if locale in NORTH_AMERICA or locale == "en_GB" and hasattr(fake, "secondary_address")
            else rng.choice(["Apt. ", "Suite ", "Unit ", "Flat "]) + str(rng.randint(1, 999))
        )
        pieces += [(sep if multi else (rng.choice([", ", " "])), "sep"), (unit, "unit")]
    city, postcode = fake.city(), fake.postcode()
    pieces.append((sep, "sep"))
    if locale in NORTH_AMERICA:
        region = fake.state_abbr() if hasattr(fake, "state_abbr") else fake.province_abbr()
        pieces += [(city, "city"), (", ", "sep"), (region, "region"), (" ", "sep"), (postcode, "postcode")]
    elif locale in ("en_GB", "en_IE"):
        pieces += [(city, "city"), (sep if rng.random() < 0.5 else " ", "sep"), (postcode, "postcode")]
    else:
        pieces += [(postcode, "postcode"), (" ", "sep"), (city, "city")]
    if rng.random() < 0.3:
        pieces += [
            (sep, "sep"),
            (fake.current_country() if hasattr(fake, "current_country") else fake.country(), "country"),
        ]
    return pieces, sep


def generate(seed: int, count: int) -> list[dict]:
    """``count`` records: text, spans_whole, spans_parts (gold spans of both conventions)."""
    from faker import Faker

    rng = random.Random(seed)
    fakers = {}
    for locale in LOCALES:
        fake = Faker(locale)
        fake.seed_instance(seed)
        fakers[locale] = fake
    en = fakers["en_US"]
    records = []
    for _ in range(count):
        locale = rng.choice(LOCALES)
        fake = fakers[locale]
        fill = dict(
            n=rng.randint(1000, 999999),
            name=fake.name(),
            company=fake.company(),
            phone=en.phone_number(),
            ts=f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T10:{rng.randint(10, 59)}:00Z",
            amount=f"{rng.randint(5, 900)}.{rng.randint(10, 99)}",
            time=f"{rng.randint(1, 12)}:{rng.randint(10, 59)}",
            count=rng.randint(2, 40),
            count2=rng.randint(2, 20),
            ver=f"{rng.randint(1, 9)}.{rng.randint(0, 20)}",
            date=f"{rng.randint(1, 28)} March",
            year=rng.randint(1990, 2030),
        )
        if rng.random() < 1 / 3:
            text = rng.choice(NEGATIVE_SHAPES).format(**fill)
            records.append({"text": text, "spans_whole": [], "spans_parts": [], "kind": "negative"})
            continue
        shape = rng.choice(POSITIVE_SHAPES)
        pieces, _ = _address(fake, locale, rng)
        lower = shape.startswith("can you") or rng.random() < 0.08
        head, tail = shape.split("{addr}")
        head = head.format(**fill)
        text = head
        offsets = []
        for piece, role in pieces:
            offsets.append((len(text), len(text) + len(piece), role))
            text += piece
        text += tail.format(**fill)
        if lower:
            text = text.lower()
        located = [o for o in offsets if o[2] != "sep"]
        country = [o for o in located if o[2] == "country"]
        body = [o for o in located if o[2] != "country"]
        whole = [{"start": body[0][0], "end": max(o[1] for o in body), "entity_type": "STREET_ADDRESS"}]
        whole += [{"start": s, "end": e, "entity_type": "LOCATION"} for s, e, _ in country]
        parts = [
            {
                "start": s,
                "end": e,
                "entity_type": "STREET_ADDRESS" if r in ("street", "unit", "postcode") else "LOCATION",
            }
            for s, e, r in located
            if r != "region"
        ]
        records.append({"text": text, "spans_whole": whole, "spans_parts": parts, "kind": locale})
    return records


def _engine(parts: bool):
    """The default engine without NER; with ``parts``, its address recognizer reports the parts rule."""
    from veilwatch.transforms.detection import DetectionEngine
    from veilwatch.transforms.detection.recognizers import address
    from veilwatch.transforms.detection.settings import DetectionSettings

    settings = DetectionSettings(use_ner=False, result_cache_size=0)
    if not parts:
        return DetectionEngine(settings)
    default = address.recognizers
    address.recognizers = lambda: [address.AddressRecognizer(parts=True), address.CornerAddressRecognizer()]
    try:  # the catalog asks address.recognizers() while the engine is built
        return DetectionEngine(settings)
    finally:
        address.recognizers = default


def score(gold: list[dict], predictions: list[list[dict]]) -> dict:
    """pii_score.py's STREET_ADDRESS precision / recall / F1 for ``predictions`` against ``gold``."""
    with tempfile.TemporaryDirectory() as tmp:
        gold_path, pred_path, out = Path(tmp, "gold.jsonl"), Path(tmp, "pred.jsonl"), Path(tmp, "report.json")
        gold_path.write_text("".join(json.dumps(g) + "\n" for g in gold))
        pred_path.write_text("".join(json.dumps({"findings": p}) + "\n" for p in predictions))
        subprocess.run(
            [
                sys.executable,
                str(SCORER),
                "--gold",
                str(gold_path),
                "--pred",
                str(pred_path),
                "--types",
                "STREET_ADDRESS",
                "--json",
                str(out),
            ],
            check=True,
            capture_output=True,
        )
        report = json.loads(out.read_text())
    return _type_row(report, "STREET_ADDRESS")


def _type_row(report: dict, name: str) -> dict:
    for key in ("per_type", "types", "by_type"):
        if key in report and name in report[key]:
            return report[key][name]
    return report


def scan_all(engine, texts: list[str]) -> list[list[dict]]:
    out = []
    for text in texts:
        out.append(
            [
                {"start": f.start, "end": f.end, "info_type": f.info_type, "likelihood": f.likelihood.name}
                for f in engine.scan(text)
            ]
        )
    return out


def _fmt(row: dict) -> str:
    return " ".join(
        f"{k}={row[k]:.3f}" if isinstance(row.get(k), float) else f"{k}={row.get(k)}"
        for k in ("precision", "recall", "f1", "tp", "fp", "fn")
        if k in row
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--texts", type=int, default=1500)
    parser.add_argument("--dev", type=Path, help="pii_text_dev.jsonl: also score the dev set")
    parser.add_argument("--out", type=Path, help="write the generated records (JSONL) here")
    parser.add_argument("--show-errors", type=int, default=0, help="print this many misses / false positives")
    args = parser.parse_args(argv)

    records = generate(args.seed, args.texts)
    if args.out:
        args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    texts = [r["text"] for r in records]
    print(
        f"generated: {len(records)} texts (seed {args.seed}), "
        f"{sum(r['kind'] != 'negative' for r in records)} with an address"
    )
    for rule in ("whole", "parts"):
        predictions = scan_all(_engine(rule == "parts"), texts)
        for convention in ("whole", "parts"):
            gold = [{"text": r["text"], "spans": r[f"spans_{convention}"]} for r in records]
            print(f"  span rule {rule:5s} vs labels {convention:5s}: {_fmt(score(gold, predictions))}")
        if rule == "whole" and args.show_errors:
            _show_errors(records, predictions, args.show_errors)
    if args.dev:
        dev = [json.loads(line) for line in args.dev.open() if line.strip()]
        for rule in ("whole", "parts"):
            predictions = scan_all(_engine(rule == "parts"), [d["text"] for d in dev])
            with tempfile.TemporaryDirectory() as tmp:
                pred = Path(tmp, "pred.jsonl")
                pred.write_text("".join(json.dumps({"findings": p}) + "\n" for p in predictions))
                report = Path(tmp, "r.json")
                subprocess.run(
                    [
                        sys.executable,
                        str(SCORER),
                        "--gold",
                        str(args.dev),
                        "--pred",
                        str(pred),
                        "--types",
                        "STREET_ADDRESS",
                        "--json",
                        str(report),
                    ],
                    check=True,
                    capture_output=True,
                )
                row = _type_row(json.loads(report.read_text()), "STREET_ADDRESS")
                print(f"  dev, span rule {rule:5s}: {_fmt(row)}")
    return 0


def _show_errors(records: list[dict], predictions: list[list[dict]], limit: int) -> None:
    shown = 0
    for record, found in zip(records, predictions, strict=True):
        gold = [(s["start"], s["end"]) for s in record["spans_whole"] if s["entity_type"] == "STREET_ADDRESS"]
        pred = [(f["start"], f["end"]) for f in found if f["info_type"] == "STREET_ADDRESS"]

        def iou(a, b):
            inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
            return inter / (max(a[1], b[1]) - min(a[0], b[0]))

        if all(any(iou(g, p) >= 0.5 for p in pred) for g in gold) and all(
            any(iou(g, p) >= 0.5 for g in gold) for p in pred
        ):
            continue
        text = record["text"]
        print("---", record["kind"], repr(text))
        print("    gold:", [text[s:e] for s, e in gold], " pred:", [text[s:e] for s, e in pred])
        shown += 1
        if shown >= limit:
            return


if __name__ == "__main__":
    raise SystemExit(main())
