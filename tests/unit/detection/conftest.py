"""One default engine per test session: building it compiles every pattern once (~0.3 s)."""

from __future__ import annotations

import pytest

from veilwatch.transforms.detection import DetectionEngine


@pytest.fixture(scope="session")
def engine() -> DetectionEngine:
    return DetectionEngine()


def spans(engine: DetectionEngine, text: str) -> list[tuple[str, str]]:
    """(matched text, infoType) of every finding: readable assertions."""
    return [(text[f.start : f.end], f.info_type) for f in engine.scan(text)]
