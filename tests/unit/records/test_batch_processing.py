"""RecordProcessor.process_batch: a batch parsed once gives what record-by-record processing gives.

The anonymizing DoFn hands whole batches to the processor, which parses every
line once, lets the NER model read the batch's free text in one go, then
validates and de-identifies record by record. Outcomes, dead-letter reasons and
their order must be exactly those of ``process`` item by item.
"""

from __future__ import annotations

import json

from veilwatch.transforms.anonymize import AnonymizeBatchFn
from veilwatch.transforms.config_loading.loader import parse_config
from veilwatch.transforms.elements import RawBatch, RawItem
from veilwatch.transforms.processing import record_processor
from veilwatch.transforms.processing.record_processor import (
    Anonymized,
    RecordProcessor,
    Rejected,
    Suppressed,
    build_scanner,
)

EMAIL = "jane.doe@example.org"


def _config(max_depth: int = 4):
    return parse_config(
        {
            "dataset": "t",
            "source": {"format": "jsonl", "path": "in.jsonl", "max_depth": max_depth},
            "schema": {
                "fields": [
                    {"name": "ts", "type": "timestamp", "required": True},
                    {"name": "email", "type": "string"},
                    {"name": "amount", "type": "float"},
                    {"name": "note", "type": "string"},
                    {"name": "blob", "type": "json"},
                ]
            },
            "event_time": {"field": "ts"},
            "pii": {
                "fields": [{"path": "email", "info_type": "EMAIL_ADDRESS", "transformation": "redactConfig"}],
                "scan_fields": ["note"],
                "record_suppressions": [
                    {
                        "condition": {
                            "expressions": {
                                "conditions": {
                                    "conditions": [
                                        {
                                            "field": {"name": "amount"},
                                            "operator": "EQUAL_TO",
                                            "value": {"floatValue": -1},
                                        }
                                    ]
                                }
                            }
                        }
                    }
                ],
            },
            "sinks": {"output_dir": "o"},
        }
    )


def _line(**fields) -> bytes:
    return json.dumps({"ts": "2026-11-02T10:00:00Z", **fields}).encode()


ITEMS = [
    RawItem("f@0", _line(email=EMAIL, note=f"Anneliese Vogt wrote from {EMAIL}"), 1),
    RawItem("f@1", b'{"ts": "2026-11-02T10:00:00Z", "email": "' + EMAIL.encode() + b'"', 1),  # bad JSON
    RawItem("f@2", b'["' + EMAIL.encode() + b'"]', 1),  # not an object
    RawItem("f@3", None, 9, "record larger than max_record_bytes (8)"),  # read error
    RawItem("f@4", _line(blob={"a": {"b": {"c": {"d": 1}}}}), 1),  # deeper than max_depth
    RawItem("f@5", _line(email=42, note="Call Mr. Bakshi"), 1),  # wrong type
    RawItem("f@6", json.dumps({"ts": "never", "email": EMAIL}).encode(), 1),  # bad event time
    RawItem("f@7", _line(amount=-1, note="Anneliese Vogt"), 1),  # suppressed
    RawItem("f@8", b'{"ts": "2026-11-02T10:00:00Z", "amount": NaN}', 1),  # not finite
    RawItem("f@9", b'{"ts": "2026-11-02T10:00:00Z", "note": "\\ud800 Anneliese Vogt"}', 1),  # lone surrogate
    RawItem("f@10", b'{"ts": "2026-11-02T10:00:00Z", "amount": 123456789012345678901234567890}', 1),  # exact
    RawItem("f@11", b"\xff\xfe{}", 1),  # not UTF-8
    RawItem("f@12", _line(email=EMAIL, note=f"Anneliese Vogt wrote from {EMAIL}"), 1),  # a repeat
    RawItem("f@13", {"ts": "2026-11-02T10:00:00Z", "note": "a structured row"}, 0),  # CSV/Avro-like
]


def test_a_batch_gives_exactly_what_record_by_record_processing_gives():
    config = _config()
    by_batch = list(RecordProcessor(config, None, build_scanner(config)).process_batch(ITEMS))
    one_by_one_processor = RecordProcessor(config, None, build_scanner(config))
    one_by_one = [one_by_one_processor.process(item) for item in ITEMS]
    assert by_batch == one_by_one
    kinds = [type(outcome).__name__ for outcome in by_batch]
    assert kinds == ["Anonymized"] + ["Rejected"] * 6 + ["Suppressed", "Rejected", "Rejected"] + [
        "Anonymized",
        "Rejected",
        "Anonymized",
        "Anonymized",
    ]
    stages = [o.dead_letter["stage"] for o in by_batch if isinstance(o, Rejected)]
    assert stages == [
        "parse",
        "parse",
        "read",
        "parse",
        "validate",
        "event_time",
        "validate",
        "parse",
        "parse",
    ]
    assert not any(EMAIL in json.dumps(o.dead_letter) for o in by_batch if isinstance(o, Rejected))
    first = by_batch[0]
    assert isinstance(first, Anonymized) and isinstance(by_batch[7], Suppressed)
    assert first.record["note"] == by_batch[12].record["note"]
    assert "Anneliese" not in first.record["note"] and EMAIL not in first.record["note"]


def test_the_dofn_parses_each_line_once_even_when_the_ner_model_reads_the_batch_first(monkeypatch):
    config = _config()
    processor = RecordProcessor(config, None, build_scanner(config))
    assert processor.deidentifier.scanner.uses_ner  # the batch's texts go to the model first
    calls = []
    real_parse = record_processor.parse_payload

    def counting_parse(payload, error, *args):
        calls.append(payload)
        return real_parse(payload, error, *args)

    monkeypatch.setattr(record_processor, "parse_payload", counting_parse)
    fn = AnonymizeBatchFn(lambda: processor)
    fn.setup()
    outputs = list(fn.process(RawBatch("jsonl", tuple(ITEMS))))
    assert len(calls) == len(ITEMS)
    stats = outputs[-1].value
    assert stats["records_read"] == len(ITEMS)
    assert stats["records_anonymized"] + stats["records_dead_lettered"] + stats["records_suppressed"] == len(
        ITEMS
    )


def test_with_stats_per_bundle_the_dofn_emits_the_bundles_sum_once_in_the_global_window():
    """#15: the run summary's side input holds one stats dict per bundle, summed where it is counted."""
    from apache_beam.transforms.window import GlobalWindow

    from veilwatch.transforms.anonymize import STATS
    from veilwatch.transforms.io.sinks import merge_counts

    config = _config()
    processor = RecordProcessor(config, None, build_scanner(config))
    batches = [RawBatch("jsonl", tuple(ITEMS[:2])), RawBatch("jsonl", tuple(ITEMS[2:]))]
    per_batch = AnonymizeBatchFn(lambda: processor)
    per_batch.setup()
    per_batch.start_bundle()
    expected = [o.value for b in batches for o in per_batch.process(b) if getattr(o, "tag", None) == STATS]
    assert len(expected) == 2 and per_batch.finish_bundle() == []
    summed = AnonymizeBatchFn(lambda: processor, stats_per_bundle=True)
    summed.setup()
    summed.start_bundle()
    outputs = [o for b in batches for o in summed.process(b)]
    assert not [o for o in outputs if getattr(o, "tag", None) == STATS]
    (last,) = summed.finish_bundle()
    assert last.tag == STATS and last.value.windows == (GlobalWindow(),)
    assert last.value.value == merge_counts(expected)
    assert last.value.value["records_read"] == len(ITEMS)
    summed.start_bundle()
    assert summed.finish_bundle() == []
