"""The run summary's timeline: records, records with a finding and dead letters per window-sized bucket."""

from __future__ import annotations

from veilwatch.transforms.config.model import WindowKind, WindowSpec
from veilwatch.transforms.elements import AnonymizedBatch
from veilwatch.transforms.io.sinks import merge_counts, summary_document
from veilwatch.transforms.report.timeline import TimelineCounts, bucket_seconds, timeline_entries

HOUR = 3600.0
DAY0 = 1_793_491_200.0  # 2026-11-01T00:00:00Z


def test_records_findings_and_dead_letters_are_counted_per_bucket_and_summed_across_batches():
    count = TimelineCounts(HOUR)
    first = AnonymizedBatch(
        records=({}, {}, {}),
        event_times=(DAY0 + 10, DAY0 + 3599, DAY0 + HOUR),
        findings=(frozenset({("note", "EMAIL_ADDRESS")}), frozenset(), frozenset()),
        dead_letter_times=(DAY0 + HOUR + 5,),
    )
    second = AnonymizedBatch(
        records=({},), event_times=(DAY0 + 20,), findings=(frozenset({("note", "PHONE_NUMBER")}),)
    )
    entries = timeline_entries(merge_counts([count(first), count(second), {"records_read": 5}]))
    assert entries == [
        {"start": "2026-11-01T00:00:00Z", "records": 3, "with_findings": 2, "dead_lettered": 0},
        {"start": "2026-11-01T01:00:00Z", "records": 1, "with_findings": 0, "dead_lettered": 1},
    ]


def test_bucket_is_the_window_size_or_a_sliding_period_or_an_hour_for_sessions():
    assert bucket_seconds(WindowSpec(WindowKind.FIXED, 900.0)) == 900.0
    assert bucket_seconds(WindowSpec(WindowKind.SLIDING, 7200.0, period_seconds=600.0)) == 600.0
    assert bucket_seconds(WindowSpec(WindowKind.SESSIONS, 0.0, gap_seconds=300.0)) == HOUR


def test_summary_document_carries_the_timeline_in_time_order():
    counts = {
        "timeline|7200|records": 4,
        "timeline|3600|records": 2,
        "timeline|3600|with_findings": 1,
        "records_read": 6,
        "records_anonymized": 6,
    }
    timeline = summary_document("d", counts)["timeline"]
    assert [t["start"] for t in timeline] == ["1970-01-01T01:00:00Z", "1970-01-01T02:00:00Z"]
    assert timeline[0]["with_findings"] == 1
    assert timeline[1]["records"] == 4
