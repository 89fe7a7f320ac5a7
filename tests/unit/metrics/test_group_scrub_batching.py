"""Group names and heavy-hitter details are scanned in batches: the same scrubbed text, one NER pass per batch."""

from __future__ import annotations

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.util import assert_that, equal_to

from veilwatch.transforms.config_loading.loader import parse_config
from veilwatch.transforms.elements import AnonymizedBatch
from veilwatch.transforms.metrics.group_scrub import ValueScrubber
from veilwatch.transforms.metrics.window_metrics import ComputeWindowMetrics, WindowMetric

H = 3600.0
TEXTS = ["Jane Roe", "orders via joe@mail.example.com", "web", "Margaret Oyelaran-Whitfield", "Berlin office"]


def _config():
    return parse_config(
        {
            "dataset": "d",
            "source": {"format": "jsonl", "path": "x"},
            "schema": {"fields": [{"name": "ts", "type": "timestamp"}, {"name": "shop", "type": "string"}]},
            "event_time": {"field": "ts", "format": "epoch_seconds"},
            "windowing": {"type": "fixed", "size": "1h"},
            "metrics": [
                {"name": "n_by_shop", "type": "count", "group_by": "shop"},
                {"name": "top_shop", "type": "heavy_hitter", "field": "shop"},
            ],
            "sinks": {"output_dir": "o"},
        }
    )


def _spy_on_model_reads(scrub: ValueScrubber) -> list[int]:
    """The sizes of the NER model's reads from now on (the real model; only counted)."""
    ner = scrub._scanner().engine._ner
    assert ner is not None, "the default detection settings use the NER model"
    reads: list[int] = []
    read = ner._read

    def counted(texts):
        reads.append(len(texts))
        return read(texts)

    ner._read = counted
    return reads


def test_prepared_texts_scrub_the_same_and_the_model_reads_them_in_one_batch():
    expected = [ValueScrubber(_config())(t) for t in TEXTS]
    assert expected[0] != TEXTS[0] and "[EMAIL_ADDRESS]" in expected[1] and expected[2] == "web"
    scrub = ValueScrubber(_config())
    reads = _spy_on_model_reads(scrub)
    scrub.prepare(TEXTS + TEXTS[:2])
    assert [scrub(t) for t in TEXTS] == expected
    assert len(reads) == 1 and reads[0] >= 2  # one model pass (texts that need no model are skipped)


def test_scrubbed_texts_are_not_read_again():
    scrub = ValueScrubber(_config())
    for text in TEXTS:
        scrub(text)
    reads = _spy_on_model_reads(scrub)
    scrub.prepare(TEXTS)
    assert reads == []


def test_window_metrics_scrub_groups_and_details_of_many_windows_in_batches():
    config = _config()
    plain = ValueScrubber(config)
    rows = [(h * H + 10 + i, TEXTS[(h + i) % len(TEXTS)]) for h in range(6) for i in range(3)]
    rows += [(h * H + 100, TEXTS[h % len(TEXTS)]) for h in range(6)]  # each window's most frequent shop
    batch = AnonymizedBatch(tuple({"ts": t, "shop": s} for t, s in rows), tuple(float(t) for t, _ in rows))
    expected = []
    for h in range(6):
        shops = [s for t, s in rows if h * H <= t < (h + 1) * H]
        names = [plain(s) for s in shops]
        expected += [
            WindowMetric("n_by_shop", "shop", n, h * H, (h + 1) * H, names.count(n)) for n in set(names)
        ]
        expected.append(
            WindowMetric("top_shop", None, None, h * H, (h + 1) * H, 2, plain(TEXTS[h % len(TEXTS)]))
        )
    options = PipelineOptions(["--runner=DirectRunner", "--direct_running_mode=in_memory"])
    with beam.Pipeline(options=options) as p:
        metrics = p | beam.Create([batch], reshuffle=False) | ComputeWindowMetrics(config)
        assert_that(metrics, equal_to(expected))
    assert len(expected) > 12 and any("[" in m.detail for m in expected if m.detail)
