"""Scanned texts remembered whole: a recurring text is scanned and replaced once, and never
hands back an answer that depended on more than the text.

RecordDeidentifier keeps, per (field, text, the field scan's own transformations), the replaced
text and its findings, when the scanner's findings depend on the text alone (its result cache)
and every replacement was context-free and succeeded. These tests check that a recurring note
skips the scanner, that its output and findings equal a fresh de-identifier's, and that the
field, a context field and a failing transformation each keep answers apart.
"""

from __future__ import annotations

from tests.unit.deid.keys import keyring
from veilwatch.transforms.config_loading.loader import parse_config
from veilwatch.transforms.deid.record_deidentifier import TEXT_CACHE_SIZE, RecordDeidentifier
from veilwatch.transforms.detection.engine import DetectionEngine
from veilwatch.transforms.detection.settings import DetectionSettings

EMAIL = "jane.doe@example.org"
PHONE = "+44 20 7946 0958"


class CountingEngine(DetectionEngine):
    """The real engine, counting the texts it is asked to scan."""

    def __init__(self, settings: DetectionSettings):
        super().__init__(settings)
        self.scanned: list[str] = []

    def scan(self, text: str):
        self.scanned.append(text)
        return super().scan(text)


def _settings(**extra) -> DetectionSettings:
    return DetectionSettings(info_types=("EMAIL_ADDRESS", "PHONE_NUMBER"), use_ner=False, **extra)


def _deidentifier(pii: dict, scanner: DetectionEngine | None = None) -> RecordDeidentifier:
    doc = {
        "dataset": "t",
        "source": {"format": "jsonl", "path": "in.jsonl"},
        "schema": {
            "fields": [
                {"name": "ts", "type": "timestamp"},
                {"name": "contact", "type": "string"},
                {"name": "note", "type": "string"},
                {"name": "memo", "type": "string"},
            ]
        },
        "event_time": {"field": "ts"},
        "pii": pii,
        "keys": {"keyset": "keyset.json"},
        "sinks": {"output_dir": "out"},
    }
    return RecordDeidentifier(parse_config(doc).pii, _RING, scanner or DetectionEngine(_settings()))


_RING = keyring()
_TOKENS = {
    "scan_fields": ["note"],
    "info_type_transformations": {"EMAIL_ADDRESS": {"cryptoDeterministicConfig": {}}},
}


def test_a_recurring_text_is_scanned_once_with_the_same_text_and_findings_each_time():
    engine = CountingEngine(_settings())
    deid = _deidentifier(_TOKENS, engine)
    text = f"mail {EMAIL} or call {PHONE}"
    results = []
    for _ in range(3):
        record = {"note": text}
        results.append((deid.deidentify(record), record))
    assert engine.scanned == [text]  # the later records reuse the first answer
    fresh = {"note": text}
    fresh_findings = _deidentifier(_TOKENS).deidentify(fresh)
    assert len(fresh_findings) == 2
    for findings, record in results:
        assert record == fresh and EMAIL not in record["note"]
        assert findings == fresh_findings


def test_a_text_without_findings_is_remembered_too():
    engine = CountingEngine(_settings())
    deid = _deidentifier(_TOKENS, engine)
    for _ in range(3):
        record = {"note": "gift"}
        assert deid.deidentify(record) == []
        assert record == {"note": "gift"}
    assert engine.scanned == ["gift"]


def test_the_same_text_in_another_field_reports_that_field():
    pii = {**_TOKENS, "scan_fields": ["note", "memo"]}
    deid = _deidentifier(pii)
    text = f"to {EMAIL}"
    record = {"note": text, "memo": text}
    findings = deid.deidentify(record)
    assert [f.field for f in findings] == ["note", "memo"]
    assert record["note"] == record["memo"] != text
    again = {"memo": text}
    assert [f.field for f in deid.deidentify(again)] == ["memo"]


def test_a_replacement_reading_a_context_field_is_never_remembered():
    pii = {
        "scan_fields": ["note"],
        "info_type_transformations": {
            "EMAIL_ADDRESS": {"cryptoDeterministicConfig": {"context": {"name": "contact"}}}
        },
    }
    engine = CountingEngine(_settings())
    deid = _deidentifier(pii, engine)
    text = f"to {EMAIL}"
    first = {"contact": "a", "note": text}
    second = {"contact": "b", "note": text}
    deid.deidentify(first)
    deid.deidentify(second)
    assert first["note"] != second["note"]  # each record's own context, not the first answer
    assert len(engine.scanned) == 2
    fresh = {"contact": "b", "note": text}
    _deidentifier(pii).deidentify(fresh)
    assert second["note"] == fresh["note"]


def test_a_failing_replacement_is_never_remembered_and_every_failure_is_counted():
    pii = {
        "scan_fields": ["note"],
        "info_type_transformations": {
            "EMAIL_ADDRESS": {"cryptoReplaceFfxFpeConfig": {"commonAlphabet": "NUMERIC"}}
        },
        "transformation_error_handling": {"leaveUntransformed": {}},
    }
    deid = _deidentifier(pii)
    text = f"to {EMAIL}"
    for _ in range(3):
        record = {"note": text}
        assert len(deid.deidentify(record)) == 1
        assert record == {"note": text}
    counts = deid.transformation_errors.drain()
    assert sum(n for key, n in counts.items() if "|note|" in key) == 3


def test_without_the_scanners_result_cache_texts_are_scanned_each_time():
    engine = CountingEngine(_settings(result_cache_size=0))
    deid = _deidentifier(_TOKENS, engine)
    for _ in range(2):
        deid.deidentify({"note": "gift"})
    assert engine.scanned == ["gift", "gift"]


def test_long_texts_are_not_remembered_and_the_cache_is_bounded():
    engine = CountingEngine(_settings())
    deid = _deidentifier(_TOKENS, engine)
    long_text = "x" * (engine.result_cache_chars + 1)
    for _ in range(2):
        deid.deidentify({"note": long_text})
    assert engine.scanned == [long_text, long_text]
    for i in range(TEXT_CACHE_SIZE + 5):
        deid.deidentify({"note": f"n{i}"})
    assert 0 < len(deid._texts) <= TEXT_CACHE_SIZE
