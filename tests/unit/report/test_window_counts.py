"""The flagged windows and the run summary's window counts, out of one step (#15: they were a Filter and a Map)."""

from __future__ import annotations

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms.window import GlobalWindow

from veilwatch.transforms.io.sinks import merge_counts
from veilwatch.transforms.report.window_counts import (
    WINDOW_COUNTS,
    KeepAnomaliesAndCountWindows,
    _FlagAndCountFn,
    window_counts,
)

QUIET = {"series": "a", "score": 0.5, "is_anomaly": False, "alert": False, "explanation": "within the band"}
FLAGGED = {"series": "b", "score": 9.0, "is_anomaly": True, "alert": False, "explanation": "above the band"}
ALERT = {"series": "c", "score": 12.0, "is_anomaly": True, "alert": True, "explanation": "above the band"}
PARTIAL = {
    "series": "d",
    "score": None,
    "is_anomaly": False,
    "alert": False,
    "explanation": "no score: the input covers only 40% of this window (partial window)",
}


def _options() -> PipelineOptions:
    return PipelineOptions(["--runner=DirectRunner", "--direct_running_mode=in_memory"])


def test_each_scored_window_is_counted_once_and_a_partial_one_apart():
    assert window_counts(QUIET) == {"windows_scored": 1, "windows_flagged": 0, "alerts": 0}
    assert window_counts(FLAGGED) == {"windows_scored": 1, "windows_flagged": 1, "alerts": 0}
    assert window_counts(ALERT) == {"windows_scored": 1, "windows_flagged": 1, "alerts": 1}
    assert window_counts(PARTIAL) == {"windows_unscored_partial": 1}


def test_the_flagged_windows_and_the_counts_summed_per_bundle_come_out_of_one_step():
    scores = [QUIET, FLAGGED, PARTIAL, ALERT, QUIET]
    with beam.Pipeline(options=_options()) as p:
        out = p | beam.Create(scores, reshuffle=False) | "Step" >> KeepAnomaliesAndCountWindows()
        assert_that(out.flagged, equal_to([FLAGGED, ALERT]), label="Flagged")
        # summed per bundle in the step (one dict per bundle: no summing step of the summary's own)
        assert_that(
            out.window_counts, equal_to([merge_counts(window_counts(s) for s in scores)]), label="Counts"
        )
    p = beam.Pipeline(options=_options())
    _ = p | beam.Create([], reshuffle=False) | "Step" >> KeepAnomaliesAndCountWindows()
    leaves = [t for t in p.to_runner_api().components.transforms.values() if not t.subtransforms]
    assert [t.spec.urn for t in leaves if t.unique_name.startswith("Step/")] == ["beam:transform:pardo:v1"]


def test_the_counts_of_a_bundle_are_emitted_when_it_ends_in_the_global_window():
    fn = _FlagAndCountFn()
    fn.start_bundle()
    assert [list(fn.process(s)) for s in (QUIET, FLAGGED, PARTIAL)] == [[], [FLAGGED], []]
    (out,) = fn.finish_bundle()
    assert out.tag == WINDOW_COUNTS and out.value.windows == (GlobalWindow(),)
    assert out.value.value == {
        "windows_scored": 2,
        "windows_flagged": 1,
        "alerts": 0,
        "windows_unscored_partial": 1,
    }
    fn.start_bundle()
    assert fn.finish_bundle() == []  # a bundle without scored windows adds nothing to the side input
