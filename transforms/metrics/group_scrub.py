"""Group names and metric details leave the metrics stage without PII, by the TFDV stage's rule.

A metric's ``group_by`` value names its series (``record_count[merchant=...]``)
and so reaches ``scores/``, ``flagged_windows/``, alerts and the end-of-run
report; a heavy hitter's ``detail`` is a field's most frequent value. Neither
field need be declared PII, yet either may carry an email or a card number in
some records. The data-validation stage scans the top values it writes with the
detection engine and replaces each finding by ``[INFO_TYPE]``; this does the
same (one rule for both) with the same engine and settings, places and organisations
left as they are (``veilwatch.transforms.detection.labels``). A group value is
scrubbed before records are grouped, so every value holding a finding of one
type falls into one series (``record_count[merchant=[EMAIL_ADDRESS]]``) rather
than two series under the same name.

Values of an opaque declared field (``config.clear_values.opaque_fields``: tokenized, hashed,
encrypted or replaced whole, in every record) are left as they are: they hold nothing of the raw
value, they are written as they are to ``anonymized/``, and a heavy hitter's token is only useful
whole (to re-identify it with the key, or to find its records); scanning them would cost an NER
pass over every token (base64 has capitals) and could cut one apart.

    scrub = ValueScrubber(config)
    scrub("jane@example.org via web")   # '[EMAIL_ADDRESS] via web'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from veilwatch.transforms.config.clear_values import opaque_fields
from veilwatch.transforms.config.model import DatasetConfig
from veilwatch.transforms.data_validation.redact import redact_text

if TYPE_CHECKING:
    from veilwatch.transforms.detection.labels import LabelScanner

# Distinct values remembered per worker: group values repeat in every batch, and a
# scan costs far more than a lookup. Bounded, as a group_by field may be high-cardinality.
_CACHE_SIZE = 10_000
# What stands for a value too long to scan (the engine's max_text_chars): nothing of it is kept.
TOO_LONG = "[TEXT_TOO_LONG]"


class ValueScrubber:
    """``text`` with every finding of the config's detection engine replaced by ``[INFO_TYPE]``.

    Picklable; the engine is built on first use (on the worker), not in the constructor.
    """

    def __init__(self, config: DatasetConfig):
        self.detection = config.pii.detection
        self.opaque_fields = opaque_fields(config.pii)
        self._engine: LabelScanner | None = None
        self._cache: dict[str, str] = {}

    def __getstate__(self) -> dict:
        return {"detection": self.detection, "opaque_fields": self.opaque_fields}

    def __setstate__(self, state: dict) -> None:
        self.detection = state["detection"]
        self.opaque_fields = state["opaque_fields"]
        self._engine = None
        self._cache = {}

    def scrubs(self, field: str | None) -> bool:
        """Whether values of ``field`` are scrubbed: all but those of an opaque declared field
        (``config.clear_values.opaque_fields``: a token, hash or replacement, written as it is to
        ``anonymized/`` too, which a scan could only cut apart)."""
        return field not in self.opaque_fields

    def _scanner(self) -> LabelScanner:
        if self._engine is None:
            from veilwatch.transforms.detection.labels import LabelScanner

            self._engine = LabelScanner(self.detection)
        return self._engine

    def _scan(self, text: str) -> str:
        scanner = self._scanner()
        if scanner.text_too_long(text):
            return TOO_LONG
        return redact_text(text, scanner.scan)

    def prepare(self, texts: Iterable[str]) -> None:
        """Let the engine read the texts not scrubbed yet as one batch before they are scrubbed one by
        one: its NER model reads a batch several times faster than one text at a time. The result
        of each call that follows is the same as without it."""
        cache = self._cache
        unseen = list(dict.fromkeys(text for text in texts if text not in cache))
        if len(unseen) > 1:
            self._scanner().prepare(unseen)

    def __call__(self, text: str) -> str:
        scrubbed = self._cache.get(text)
        if scrubbed is None:
            scrubbed = self._scan(text)
            if len(self._cache) < _CACHE_SIZE:
                self._cache[text] = scrubbed
        return scrubbed
