"""TFDV statistics of one Beam window, as a CombineFn (the streaming side of the stage).

    stats = record_batches | beam.CombineGlobally(WindowStatisticsFn()).without_defaults()
    # one DatasetFeatureStatisticsList (one dataset) per window and pane

``tfdv.GenerateStatistics`` cannot run in non-global windows: it counts its
slices and adds a placeholder for empty input with ``CombineGlobally`` *with*
defaults, which Beam refuses outside the global window. This CombineFn runs the
same TFDV generators as ``tfdv.generate_statistics_in_memory`` (basic
statistics, and top-k / unique counts by Misra-Gries and KMV sketches, exact
below a thousand distinct values per window), so the combine happens wherever
Beam's windowing puts it: one accumulator per window, merged across workers.
Record batches are buffered up to ``BATCH_ROWS`` rows before the generators see
them: TFDV's generators cost per call, and a streaming batch may hold a few records.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import apache_beam as beam

from veilwatch.transforms.data_validation.tfdv_loader import import_tfdv

# TFDV's own default batch size for its combiners (constants.DEFAULT_DESIRED_INPUT_BATCH_SIZE).
BATCH_ROWS = 1000


class _Accumulator:
    """The generators' partial states, and record batches not yet given to them."""

    __slots__ = ("partials", "pending", "pending_rows")

    def __init__(self, partials: list[Any]):
        self.partials = partials
        self.pending: list[Any] = []
        self.pending_rows = 0


class WindowStatisticsFn(beam.CombineFn):
    """pa.RecordBatch* -> DatasetFeatureStatisticsList of one unnamed dataset (see module docstring)."""

    def __init__(self):
        self._generators = None

    def _gens(self) -> list[Any]:
        if self._generators is None:
            import_tfdv()  # quiet: no CUDA/TensorRT/IPython lines
            from tensorflow_data_validation.statistics import stats_impl, stats_options

            self._generators = stats_impl.get_generators(stats_options.StatsOptions(), in_memory=True)
            for generator in self._generators:
                generator.setup()
        return self._generators

    def setup(self) -> None:
        self._gens()

    def __getstate__(self) -> dict:
        return {"_generators": None}  # rebuilt on the worker

    def create_accumulator(self) -> _Accumulator:
        return _Accumulator([g.create_accumulator() for g in self._gens()])

    def _flush(self, acc: _Accumulator) -> None:
        if not acc.pending:
            return
        from tfx_bsl.arrow import table_util

        batch = acc.pending[0] if len(acc.pending) == 1 else table_util.MergeRecordBatches(acc.pending)
        acc.partials = [g.add_input(p, batch) for g, p in zip(self._gens(), acc.partials, strict=True)]
        acc.pending, acc.pending_rows = [], 0

    def add_input(self, acc: _Accumulator, record_batch: Any) -> _Accumulator:
        acc.pending.append(record_batch)
        acc.pending_rows += record_batch.num_rows
        if acc.pending_rows >= BATCH_ROWS:
            self._flush(acc)
        return acc

    def merge_accumulators(self, accumulators: Iterable[_Accumulator]) -> _Accumulator:
        accumulators = list(accumulators)
        out = accumulators[0]
        for acc in accumulators[1:]:
            out.pending.extend(acc.pending)
            out.pending_rows += acc.pending_rows
            out.partials = [
                g.merge_accumulators([a, b])
                for g, a, b in zip(self._gens(), out.partials, acc.partials, strict=True)
            ]
        if out.pending_rows >= BATCH_ROWS:
            self._flush(out)
        return out

    def compact(self, acc: _Accumulator) -> _Accumulator:
        self._flush(acc)
        acc.partials = [g.compact(p) for g, p in zip(self._gens(), acc.partials, strict=True)]
        return acc

    def extract_output(self, acc: _Accumulator) -> Any:
        from tfx_bsl.statistics import merge_util

        self._flush(acc)
        return merge_util.merge_dataset_feature_statistics(
            [g.extract_output(g.compact(p)) for g, p in zip(self._gens(), acc.partials, strict=True)]
        )
