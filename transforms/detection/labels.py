"""The scanner for values that name things in outputs: group values, heavy hitters, TFDV top values.

A ``group_by`` value names a series (``record_count[merchant=...]``) and TFDV
lists a field's most frequent values; both reach flagged windows, scores and
reports. They are scrubbed with the dataset's own detection engine, one rule
for both, with one difference from free text: places and organisations
(LOCATION, ORGANIZATION_NAME) are what series are grouped by ("Germany",
"ACME Corp"), not personal data on their own, so they stay; people's names
and every identifier are replaced.

    scan = label_scanner(config.pii.detection)
    scan("jane@example.org in Germany")   # [Finding(0, 16, 'EMAIL_ADDRESS', ...)]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from veilwatch.transforms.detection.engine import DetectionEngine
from veilwatch.transforms.detection.findings import Finding
from veilwatch.transforms.detection.settings import DetectionSettings

GROUPING_TYPES = frozenset({"LOCATION", "ORGANIZATION_NAME"})


class LabelScanner:
    """``scan(text)``: the engine's findings in a label, places and organisations left out."""

    def __init__(self, settings: DetectionSettings | None) -> None:
        self.engine = DetectionEngine(settings) if settings is not None else DetectionEngine()

    def text_too_long(self, text: str) -> bool:
        return self.engine.text_too_long(text)

    def prepare(self, texts: Iterable[str]) -> None:
        """Let the NER model read ``texts`` as one batch before they are scanned one by one
        (``DetectionEngine.prepare``). A label scanned alone costs the model about 2.5 ms; in a
        batch, about 0.4 ms: a caller holding several labels (a bundle's heavy hitters) passes them
        here first. Without the model this does nothing; the findings are the same either way."""
        self.engine.prepare(texts)

    def scan(self, text: str) -> list[Finding]:
        return [f for f in self.engine.scan(text) if f.info_type not in GROUPING_TYPES]


def label_scanner(settings: DetectionSettings | None) -> Callable[[str], list[Finding]]:
    return LabelScanner(settings).scan
