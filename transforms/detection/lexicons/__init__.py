"""Name and place lexicons: evidence for the NER rule layer (see ``build_lexicons.py`` for provenance).

    from veilwatch.transforms.detection.lexicons import first_names
    "christine" in first_names()   # True

Each list is read once per process, on first use (a few hundred KB each), and
holds lower-cased NFC entries.
"""

from __future__ import annotations

import functools
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def _load(name: str) -> frozenset[str]:
    with open(_HERE / name, encoding="utf-8") as handle:
        return frozenset(line.rstrip("\n") for line in handle if line.strip())


@functools.cache
def first_names() -> frozenset[str]:
    """Given names of many countries and scripts (gender-guesser's nam_dict, Faker)."""
    return _load("first_names.txt")


@functools.cache
def last_names() -> frozenset[str]:
    """Family names of many locales (Faker)."""
    return _load("last_names.txt")


@functools.cache
def places() -> frozenset[str]:
    """Countries, US states and cities of 15,000 people or more (GeoNames)."""
    return _load("places.txt")


@functools.cache
def english_words() -> frozenset[str]:
    """Ordinary lower-case English words (SCOWL), "mark" and "mobile" among them."""
    return _load("english_words.txt")
