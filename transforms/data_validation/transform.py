"""The Beam side of the data-validation stage.

    outputs = anonymized_batches | ValidateWindowStatistics(config)
    outputs.flagged   # dict per anomalous (window, field): the flagged-window shape
    outputs.counts    # one dict of counts for the run summary

TFDV's ``GenerateStatistics`` combines globally, so windows are not Beam
windows here: every record carries the start of its window step as a column,
and TFDV's feature-value slicer gives one statistics dataset per window. That
needs the whole run's input, so batch runs use this transform and streaming runs
``streaming.ValidateStreamingWindows`` (statistics per Beam window, the same checks).
The schema used and all statistics are written to
``<output_dir>/data_validation/`` (``schema.pbtxt``, loadable with
``tfdv.load_schema_text`` and reusable as ``data_validation.schema``;
``statistics.binpb``, with ``tfdv.load_stats_binary``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from veilwatch.transforms.config.model import DatasetConfig
from veilwatch.transforms.data_validation.checks import (
    baseline_schema,
    checked_windows,
    flagged_records,
    split_windows,
    window_anomalies,
)
from veilwatch.transforms.data_validation.features import (
    WINDOW_COLUMN,
    profiled_columns,
    to_record_batch,
    window_step_seconds,
)
from veilwatch.transforms.data_validation.redact import redact_schema_domains, redact_statistics
from veilwatch.transforms.data_validation.tfdv_loader import import_tfdv

COUNTS = "counts"
# The counts output's keys, and the Beam counters' names (namespace veilwatch) they become.
COUNTED = ("data_validation_windows", "data_validation_windows_checked", "data_validation_flagged")
ARTIFACTS_DIR = "data_validation"


class ValidationOutputs(NamedTuple):
    flagged: beam.PCollection  # dict per anomalous (window, field)
    counts: beam.PCollection  # dict of run-summary counts


def load_schema(path: str) -> Any:
    """A TFDV schema in text format, from a local path or any Beam filesystem (gs://)."""
    from google.protobuf import text_format
    from tensorflow_metadata.proto.v0 import schema_pb2

    with FileSystems.open(path) as handle:
        return text_format.Parse(handle.read().decode("utf-8"), schema_pb2.Schema())


class ToRecordBatchFn(beam.DoFn):
    """AnonymizedBatch -> one Arrow RecordBatch of its records (none for a batch of only dead letters)."""

    def __init__(self, config: DatasetConfig):
        self.columns = profiled_columns(config)
        self.step = window_step_seconds(config)

    def process(self, batch) -> Iterator[Any]:
        if batch.records:
            yield to_record_batch(batch.records, batch.event_times, self.columns, self.step)


class CheckWindowsFn(beam.DoFn):
    """Sliced statistics of the run -> flagged windows, counts, and the schema and statistics files."""

    def __init__(self, config: DatasetConfig):
        self.config = config

    def setup(self) -> None:
        from veilwatch.transforms.detection.labels import label_scanner

        spec = self.config.data_validation
        assert spec is not None, "built only when data_validation is configured"
        self.columns = profiled_columns(self.config)
        self.step = window_step_seconds(self.config)
        self.given = load_schema(spec.schema_path) if spec.schema_path else None
        self.scan = label_scanner(self.config.pii.detection)

    def process(self, stats_list) -> Iterator[Any]:
        spec = self.config.data_validation
        assert spec is not None, "built only when data_validation is configured"
        windows = split_windows(stats_list)
        flagged = 0
        checked = []
        if windows:
            schema = baseline_schema(windows, spec, self.columns, self.given)
            self._write_artifacts(schema, stats_list)
            checked = checked_windows(windows, spec, self.given is not None)
            for start, stats, previous in checked:
                for record in flagged_records(
                    window_anomalies(stats, schema, previous),
                    self.config.dataset,
                    start,
                    self.step,
                    self.columns,
                ):
                    flagged += 1
                    yield record
        yield pvalue.TaggedOutput(
            COUNTS,
            {
                "data_validation_windows": len(windows),
                "data_validation_windows_checked": len(checked),
                "data_validation_flagged": flagged,
            },
        )

    def _write_artifacts(self, original_schema, original_stats) -> None:
        """``schema.pbtxt`` and ``statistics.binpb``, with PII scrubbed (see ``redact.py``)."""
        output_dir = self.config.sinks.output_dir
        if not output_dir:
            return
        write_schema(original_schema, output_dir, self.scan)
        stats_list = type(original_stats)()
        stats_list.CopyFrom(original_stats)
        redact_statistics(stats_list, self.scan)
        with FileSystems.create(FileSystems.join(output_dir, ARTIFACTS_DIR, "statistics.binpb")) as handle:
            handle.write(stats_list.SerializeToString())


def write_schema(original_schema: Any, output_dir: str, scan: Any) -> None:
    """``<output_dir>/data_validation/schema.pbtxt``, domain values holding a finding left out
    (see ``redact.py``; ``original_schema`` is not changed)."""
    from google.protobuf import text_format

    schema = type(original_schema)()
    schema.CopyFrom(original_schema)
    redact_schema_domains(schema, scan)
    directory = FileSystems.join(output_dir, ARTIFACTS_DIR)
    if not FileSystems.exists(directory):
        FileSystems.mkdirs(directory)
    with FileSystems.create(FileSystems.join(directory, "schema.pbtxt")) as handle:
        handle.write(text_format.MessageToString(schema).encode("utf-8"))


class CountersFn(beam.DoFn):
    """Counts -> Beam counters of the same names (Dataflow's job page, Cloud Monitoring); passed on."""

    def __init__(self):
        self.counters = {name: Metrics.counter("veilwatch", name) for name in COUNTED}

    def process(self, counts: dict) -> Iterator[dict]:
        for name, value in counts.items():
            self.counters[name].inc(value)
        yield counts


class ValidateWindowStatistics(beam.PTransform):
    """PCollection[AnonymizedBatch] -> ValidationOutputs (see module docstring)."""

    def __init__(self, config: DatasetConfig):
        super().__init__()
        self.config = config

    def expand(self, batches: beam.PCollection) -> ValidationOutputs:
        import pyarrow as pa

        tfdv = import_tfdv()  # quiet: no CUDA/TensorRT/IPython lines
        from tensorflow_data_validation.utils import slicing_util

        # No feature_allowlist: it applies before slicing, and would hide the window column
        # from the slicer. The window column's own statistics are dropped in split_windows.
        options = tfdv.StatsOptions(
            experimental_slice_functions=[slicing_util.get_feature_value_slicer({WINDOW_COLUMN: None})],
        )
        results = (
            batches
            | "ToArrow" >> beam.ParDo(ToRecordBatchFn(self.config)).with_output_types(pa.RecordBatch)
            | "GenerateStatistics" >> tfdv.GenerateStatistics(options)
            | "CheckWindows" >> beam.ParDo(CheckWindowsFn(self.config)).with_outputs(COUNTS, main="flagged")
        )
        counts = results[COUNTS] | "ToCounters" >> beam.ParDo(CountersFn())
        return ValidationOutputs(results.flagged, counts)
