"""Search every output file and the run's own output for planted values.

Each output file is read as what a reader of it would see: JSON lines re-written without
``\\u`` escapes, Avro and Parquet decoded (their pages may be compressed), anything else as
UTF-8. The text is searched lower-cased and NFKC-normalised for each plant's forms, and,
for numeric identifiers, with separators between digits removed for its digits.
"""

from __future__ import annotations

import json
import pathlib
import re
import unicodedata
from dataclasses import dataclass

from tests.reliability.plants import Plant

_BETWEEN_DIGITS = re.compile(r"(?<=\d)[\s\-./()]+(?=\d)")


@dataclass(frozen=True)
class Leak:
    plant: Plant
    form: str
    where: str  # an output file (relative to the output dir) or "stdout", "stderr", "log"
    context: str

    def __str__(self) -> str:
        return (
            f"{self.plant.kind} planted at {self.plant.position} ({self.plant.value!r}) found as {self.form!r} "
            f"in {self.where}: ...{self.context}..."
        )


def _readable(path: pathlib.Path) -> str:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            return json.dumps(pq.read_table(path).to_pylist(), ensure_ascii=False, default=str)
        except Exception:  # noqa: BLE001 - not a parquet file after all: read its bytes
            pass
    if path.suffix == ".avro":
        import fastavro

        try:
            with open(path, "rb") as handle:
                return json.dumps(list(fastavro.reader(handle)), ensure_ascii=False, default=str)
        except Exception:  # noqa: BLE001
            pass
    text = path.read_bytes().decode("utf-8", "replace")
    lines = []
    for line in text.splitlines():
        try:
            lines.append(json.dumps(json.loads(line), ensure_ascii=False))
        except (ValueError, RecursionError):
            lines.append(line)
    return "\n".join(lines) + "\n" + text


def output_texts(output_dir: pathlib.Path) -> dict[str, str]:
    return {
        str(p.relative_to(output_dir)): _readable(p) for p in sorted(output_dir.rglob("*")) if p.is_file()
    }


RECORD_OUTPUTS = ("anonymized", "dead_letter")  # where a declared field that is not PII is written as it is


def find_leaks(plants: list[Plant], texts: dict[str, str]) -> list[Leak]:
    """Every (plant, output) where a form of the plant is found; a value planted more than once counts once."""
    passing = {p.value for p in plants if p.may_pass_anonymized}
    unique = list({p.value: p for p in reversed(plants)}.values())
    leaks = []
    for where, text in texts.items():
        lowered = unicodedata.normalize("NFKC", text).lower()
        digits = _BETWEEN_DIGITS.sub("", lowered)
        in_records = where.startswith(RECORD_OUTPUTS)
        for plant in unique:
            if in_records and plant.value in passing:
                continue
            hits = [(f, lowered) for f in plant.forms() if f in lowered]
            digit_form = plant.digit_form()
            if digit_form and digit_form in digits:
                hits.append((digit_form, digits))
            for form, haystack in hits[:1]:
                at = haystack.index(form)
                leaks.append(Leak(plant, form, where, haystack[max(0, at - 60) : at + len(form) + 60]))
    return leaks
