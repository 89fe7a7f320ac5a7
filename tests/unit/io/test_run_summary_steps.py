"""The run summary and the input's extent: the same values as their CombineGlobally forms, in fewer steps."""

from __future__ import annotations

import json

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.util import assert_that, equal_to

from veilwatch.transforms.anomaly.coverage import InputExtent, _ExtentPerBundleFn, input_extent
from veilwatch.transforms.elements import AnonymizedBatch
from veilwatch.transforms.io.sinks import WriteRunSummary, merge_counts
from veilwatch.transforms.report.timeline import TimelineCounts

BATCHES = [
    AnonymizedBatch(records=({}, {}), event_times=(50.0, 20.0)),
    AnonymizedBatch(records=(), event_times=(), dead_letter_times=(5.0,)),
    AnonymizedBatch(records=({},), event_times=(90.0,)),
    AnonymizedBatch(records=(), event_times=()),
]


def _options() -> PipelineOptions:
    return PipelineOptions(["--runner=DirectRunner", "--direct_running_mode=in_memory"])


def _leaves(build) -> list[str]:
    p = beam.Pipeline(options=_options())
    build(p | beam.Create([], reshuffle=False))
    transforms = p.to_runner_api().components.transforms.values()
    return [t.spec.urn for t in transforms if not t.subtransforms and t.unique_name.startswith("Step/")]


def _extent_of(batches: list, bundles: int = 1) -> object:
    """InputExtent over ``batches`` cut into ``bundles`` bundles, merged as its consumers merge it."""
    per_bundle: list = []
    for i in range(bundles):
        fn = _ExtentPerBundleFn()
        fn.start_bundle()
        for batch in batches[i::bundles]:
            fn.process(batch)
        per_bundle += [wv.value for wv in fn.finish_bundle()]  # no timeline asked: the extent only
    return input_extent(per_bundle)


def test_the_extent_is_the_first_and_last_time_of_records_and_dead_letters():
    assert _extent_of(BATCHES) == _extent_of(BATCHES, bundles=3) == (5.0, 90.0)
    with beam.Pipeline(options=_options()) as p:
        per_bundle = p | beam.Create(BATCHES, reshuffle=False) | InputExtent()
        assert_that(per_bundle | beam.combiners.ToList() | beam.Map(input_extent), equal_to([(5.0, 90.0)]))


def test_the_extent_of_no_input_or_no_time_is_none():
    assert _extent_of([]) is None
    assert _extent_of([AnonymizedBatch(records=(), event_times=())], bundles=2) is None
    with beam.Pipeline(options=_options()) as p:
        per_bundle = (
            p | beam.Create([AnonymizedBatch(records=(), event_times=())], reshuffle=False) | InputExtent()
        )
        assert_that(per_bundle, equal_to([]))  # no bundle saw a time


def test_the_extent_is_one_step_without_a_shuffle():
    urns = _leaves(lambda pcoll: pcoll | "Step" >> InputExtent())
    assert urns == ["beam:transform:pardo:v1"], urns


def test_the_summary_is_two_steps_without_a_shuffle(tmp_path):
    """#15: an Impulse and the write; the partial counts are summed per bundle where they are counted."""
    urns = _leaves(lambda pcoll: pcoll | "Step" >> WriteRunSummary(str(tmp_path), "d"))
    assert sorted(urns) == ["beam:transform:impulse:v1", "beam:transform:pardo:v1"], urns


def test_the_summary_sums_every_partial_count(tmp_path):
    counts = [{"records_read": 2, "records_anonymized": 2}, {"records_read": 1, "records_dead_lettered": 1}]
    counts += [{"windows_scored": 1, "windows_flagged": 0, "alerts": 0}] * 3
    with beam.Pipeline(options=_options()) as p:
        p | beam.Create(counts, reshuffle=False) | WriteRunSummary(str(tmp_path), "d")
    summary = json.loads((tmp_path / "run_summary.json").read_text())
    assert (summary["records_read"], summary["records_anonymized"], summary["records_dead_lettered"]) == (
        3,
        2,
        1,
    )
    assert summary["all_records_accounted_for"] is True
    assert (summary["windows_scored"], summary["windows_flagged"]) == (3, 0)


def test_no_counts_at_all_still_write_a_summary_of_zeros(tmp_path):
    with beam.Pipeline(options=_options()) as p:
        p | beam.Create([], reshuffle=False) | WriteRunSummary(str(tmp_path), "d")
    summary = json.loads((tmp_path / "run_summary.json").read_text())
    assert summary["dataset"] == "d"
    assert summary["records_read"] == 0 and summary["all_records_accounted_for"] is True


def test_the_extent_step_also_counts_the_timeline_when_asked():
    """#15: the summary's timeline counts come out of the extent's step, summed per bundle: the same
    sum as its own Map of every batch."""
    timeline = TimelineCounts(10.0)
    with beam.Pipeline(options=_options()) as p:
        outputs = p | beam.Create(BATCHES, reshuffle=False) | InputExtent(timeline=timeline)
        assert_that(
            outputs.extent | beam.combiners.ToList() | beam.Map(input_extent),
            equal_to([(5.0, 90.0)]),
            label="Extent",
        )
        assert_that(
            outputs.timeline | "AllTimeline" >> beam.combiners.ToList() | "Sum" >> beam.Map(merge_counts),
            equal_to([merge_counts(timeline(b) for b in BATCHES)]),
            label="Timeline",
        )
        # one dict per bundle, not one per batch: the summary's side input stays small
        assert_that(
            outputs.timeline | "Count" >> beam.combiners.Count.Globally(), equal_to([1]), label="PerBundle"
        )
    assert [timeline(b) for b in BATCHES] == [
        {"timeline|50|records": 1, "timeline|20|records": 1},
        {"timeline|0|dead_lettered": 1},
        {"timeline|90|records": 1},
        {},
    ]


def test_the_extent_with_the_timeline_is_still_one_step():
    urns = _leaves(lambda pcoll: pcoll | "Step" >> InputExtent(timeline=TimelineCounts(10.0)))
    assert urns == ["beam:transform:pardo:v1"], urns
