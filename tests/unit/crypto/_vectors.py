"""Loading the vector fixtures of ``tests/fixtures/crypto`` (see PROVENANCE.md there)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "crypto"
WYCHEPROOF = FIXTURES / "wycheproof"


def jsonl(name: str) -> list[dict[str, Any]]:
    with open(FIXTURES / name, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def wycheproof_files(pattern: str) -> list[str]:
    return sorted(p.name for p in WYCHEPROOF.glob(pattern))


def wycheproof_tests(name: str) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(group, test) pairs of one Wycheproof file."""
    with open(WYCHEPROOF / name, encoding="utf-8") as f:
        doc = json.load(f)
    for group in doc["testGroups"]:
        for test in group["tests"]:
            yield group, test
