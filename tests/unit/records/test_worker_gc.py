"""AnonymizeBatchFn.setup() tunes the garbage collector once per process (``processing.worker_gc``).

Full collections walk every tracked object; after setup most are the model, tables and modules, alive
for the whole run. ``gc.freeze()`` takes them out of the walk. It is process-wide, so it happens at
the first setup only: later setups (more DoFn instances, more pipelines in one process) must not
freeze again, or what each left behind would pile up in the permanent generation. The young
generation is widened past a batch's allocations, so that a batch in use is not promoted and walked
again and again; a larger threshold already set is kept.

Each check runs in a fresh interpreter: the freeze is once per process, and this test process may
already have run a pipeline.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

_SCRIPT = textwrap.dedent(
    """
    import gc, json, sys
    if len(sys.argv) > 1:
        gc.set_threshold(int(sys.argv[1]), 10, 10)  # what the process had before the pipeline
    from veilwatch.transforms.anonymize import AnonymizeBatchFn, ProcessorFactory
    from veilwatch.transforms.config_loading.loader import parse_config
    from veilwatch.transforms.elements import RawBatch, RawItem

    config = parse_config({
        "dataset": "t",
        "source": {"format": "jsonl", "path": "in.jsonl"},
        "schema": {"fields": [{"name": "ts", "type": "timestamp", "required": True},
                              {"name": "email", "type": "string"}]},
        "event_time": {"field": "ts"},
        "pii": {"fields": [{"path": "email", "info_type": "EMAIL_ADDRESS",
                            "transformation": "redactConfig"}]},
        "sinks": {"output_dir": "o"},
    })
    line = json.dumps({"ts": "2026-11-27T10:15:00Z", "email": "jane.doe@example.org"}).encode()
    batch = RawBatch("jsonl", (RawItem("in.jsonl:1", line, len(line)),))
    report = {"before": gc.get_freeze_count(), "threshold_before": gc.get_threshold()}
    counts, frozen_processor, outputs, thresholds = [], [], [], []
    for _ in range(3):  # three DoFn instances in one process, as pipelines run one after another
        fn = AnonymizeBatchFn(ProcessorFactory(config, False))
        fn.setup()
        counts.append(gc.get_freeze_count())
        thresholds.append(gc.get_threshold())
        tracked = gc.get_objects()  # the young and old generations: frozen objects are not in them
        frozen_processor.append(not any(o is fn.processor for o in tracked))
        del tracked
        outputs.append(len(list(fn.process(batch))))
        del fn
    report.update(counts=counts, frozen_processor=frozen_processor, outputs=outputs, thresholds=thresholds)
    print(json.dumps(report))
    """
)


def _run(*args: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT, *args], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_first_setup_freezes_what_it_built_and_later_setups_freeze_nothing_more():
    report = _run()
    assert report["before"] == 0
    first, *later = report["counts"]
    assert first > 1000  # the modules, config and processor built by then
    # bounded: a second or third setup adds nothing to the frozen set (it shrinks a little: the first
    # processor's frozen objects without a reference cycle are freed by reference counting when it goes)
    assert first >= later[0] == later[1]
    # the first processor is out of the collector's walk; later ones are collected as usual
    assert report["frozen_processor"] == [True, False, False]
    assert report["outputs"] == [2, 2, 2]  # anonymized batch + stats, after the freeze as before


def test_first_setup_widens_the_young_generation_past_a_batch_and_keeps_the_rest():
    report = _run()
    assert report["threshold_before"] == [700, 10, 10]  # CPython's default
    assert report["thresholds"] == [[10_000, 10, 10]] * 3


def test_a_wider_young_generation_set_by_the_process_is_kept():
    report = _run("50000")
    assert report["threshold_before"] == [50_000, 10, 10]
    assert report["thresholds"] == [[50_000, 10, 10]] * 3
