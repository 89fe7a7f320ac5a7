"""JSON-lines files from an unbounded PCollection (streaming runs).

    batches | WriteWindowedJsonLines("gs://out/run1/dead_letter", batched=True)

A streaming job never ends, so its file outputs are cut by processing time:
every ``every_seconds`` the elements that arrived since the last cut are
written as new files (``<dir>/part-<time>-<pane>-SSSSS-of-NNNNN.jsonl``), and
the rest when the input ends. Cutting by processing time rather than by
event-time windows means a late record is written like any other (an
event-time window would drop what arrives after it closed). Batch runs use
:class:`~veilwatch.transforms.io.sinks.WriteJsonLines`.
"""

from __future__ import annotations

import time

import apache_beam as beam
from apache_beam.io import fileio
from apache_beam.transforms import trigger
from apache_beam.transforms import window as beam_window

from veilwatch.transforms.io.sinks import join_lines, to_json_line

# New files every minute per shard: records reach files within a minute or
# two, without a flood of tiny files.
DEFAULT_EVERY_SECONDS = 60


def pane_file_naming(window, pane, shard_index, total_shards, compression, destination) -> str:
    """``part-<UTC time of the cut>-<pane index>-SSSSS-of-NNNNN.jsonl``: unique per cut, sorted by time."""
    cut = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    index = pane.index if pane is not None else 0
    shard = f"-{shard_index or 0:05d}-of-{total_shards or 1:05d}"
    return f"part-{cut}-{index:06d}{shard}.jsonl"


class WriteWindowedJsonLines(beam.PTransform):
    """PCollection[list[dict]] (``batched``) or PCollection[dict] -> windowed ``.jsonl`` files under ``directory``."""

    def __init__(
        self,
        directory: str,
        batched: bool = True,
        every_seconds: float = DEFAULT_EVERY_SECONDS,
        shards: int = 1,
    ):
        super().__init__()
        self.directory = directory
        self.batched = batched
        self.every_seconds = every_seconds
        self.shards = shards

    def expand(self, pcoll: beam.PCollection) -> beam.PCollection:
        return (
            pcoll
            | "ToJsonText" >> (beam.Map(join_lines) if self.batched else beam.Map(to_json_line))
            | "DropEmpty" >> beam.Filter(bool)
            | "CutByProcessingTime"
            >> beam.WindowInto(
                beam_window.GlobalWindows(),
                trigger=trigger.Repeatedly(trigger.AfterProcessingTime(self.every_seconds)),
                accumulation_mode=trigger.AccumulationMode.DISCARDING,
            )
            | "WriteFiles"
            >> fileio.WriteToFiles(
                path=self.directory,
                file_naming=pane_file_naming,
                shards=self.shards,
            )
        )
