"""How well can a perfect address detector score on a gold file? The ceiling set by its labelling.

    .venv/bin/python benchmarks/address_label_ceiling.py --gold ../shared/data/pii-dev/splits/pii_text_dev.jsonl

The presidio-research generator labels some addresses as one span
(``19 Joan Maetsuyckerstraat 15\\n Apt. 263\\n Den Haag\\n Iceland``: ADDRESS) and
others by their parts (``35`` / ``97 guildry street`` / ``apt. 818``: ADDRESS,
``galmisdale`` / ``costa rica``: LOCATION, ``67775``: ADDRESS), for the same
shapes of text. Two oracles are built from the gold spans themselves, so they
find every address exactly, and scored with ``../shared/eval/pii_score.py``:

- **whole**: every address as one STREET_ADDRESS span, street to postcode, its
  city and country inside (how Cloud DLP and most labelled data report one; what
  veilwatch reports); places that stand alone are LOCATION;
- **parts**: the gold parts as they are, and every address labelled whole
  cut at line breaks and commas, its last two pieces LOCATION.

Whatever the detector, its STREET_ADDRESS and LOCATION F1 on that file cannot
exceed its convention's oracle.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCORER = ROOT.parent / "shared" / "eval" / "pii_score.py"
PLACE_LABELS = ("LOCATION", "GPE")
_GAP = re.compile(r"[\s,.>?]*")


def _blocks(text: str, spans: list[dict]) -> list[list[dict]]:
    """Runs of address and place spans separated only by blanks and punctuation: one address each."""
    blocks: list[list[dict]] = []
    current: list[dict] = []
    for span in sorted(spans, key=lambda s: s["start"]):
        if span["entity_type"] in ("ADDRESS", "STREET_ADDRESS", *PLACE_LABELS):
            if current and _GAP.fullmatch(text[current[-1]["end"] : span["start"]]):
                current.append(span)
                continue
            if current:
                blocks.append(current)
            current = [span]
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def oracles(record: dict) -> tuple[list[dict], list[dict]]:
    """(whole-address predictions, part-by-part predictions) for one gold record."""
    text = record["text"]
    whole: list[dict] = []
    parts: list[dict] = []
    for block in _blocks(text, record["spans"]):
        if any(s["entity_type"] in ("ADDRESS", "STREET_ADDRESS") for s in block):
            whole.append({"start": block[0]["start"], "end": block[-1]["end"], "info_type": "STREET_ADDRESS"})
        else:
            whole.extend({"start": s["start"], "end": s["end"], "info_type": "LOCATION"} for s in block)
        for span in block:
            piece_text = text[span["start"] : span["end"]]
            is_address = span["entity_type"] in ("ADDRESS", "STREET_ADDRESS")
            if is_address and re.search(r"[\n,]", piece_text):
                pieces = [
                    (span["start"] + m.start(), span["start"] + m.end())
                    for m in re.finditer(r"[^\n,]+", piece_text)
                    if m.group().strip()
                ]
                for i, (start, end) in enumerate(pieces):
                    while text[start] == " ":
                        start += 1
                    kind = "STREET_ADDRESS" if i < max(1, len(pieces) - 2) else "LOCATION"
                    parts.append({"start": start, "end": end, "info_type": kind})
            else:
                parts.append(
                    {
                        "start": span["start"],
                        "end": span["end"],
                        "info_type": "STREET_ADDRESS" if is_address else "LOCATION",
                    }
                )
    return whole, parts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gold", type=Path, required=True)
    parser.add_argument("--scorer", type=Path, default=DEFAULT_SCORER)
    args = parser.parse_args(argv)
    with open(args.gold, encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        paths = {name: Path(tmp) / f"{name}.jsonl" for name in ("whole", "parts")}
        with open(paths["whole"], "w") as whole_out, open(paths["parts"], "w") as parts_out:
            for record in records:
                whole, parts = oracles(record)
                whole_out.write(json.dumps({"findings": whole}) + "\n")
                parts_out.write(json.dumps({"findings": parts}) + "\n")
        for name, path in paths.items():
            report = Path(tmp) / f"{name}.json"
            subprocess.run(
                [
                    sys.executable,
                    str(args.scorer),
                    "--gold",
                    str(args.gold),
                    "--pred",
                    str(path),
                    "--types",
                    "STREET_ADDRESS,LOCATION",
                    "--json",
                    str(report),
                ],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            scores = json.loads(report.read_text())["per_type"]
            print(
                f"perfect {name:<6} detector: "
                + ", ".join(
                    f"{t} P {m['precision']:.3f} R {m['recall']:.3f} F1 {m['f1']:.3f}"
                    for t, m in sorted(scores.items())
                )
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
