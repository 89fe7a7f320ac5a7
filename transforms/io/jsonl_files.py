"""JSON-lines files from a bounded PCollection in three steps: write temp files, then rename them into place once.

    batches | WriteJsonlFiles("out/findings/part", join_lines)   # -> out/findings/part-SSSSS-of-NNNNN.jsonl

Why not ``beam.io.WriteToText``: it expands to 12 steps (8 ParDos, a
GroupByKey, a WindowInto and a ``Create`` of its own), plus veilwatch's step
turning elements into text, and the runner pays for every one of them at
graph translation and per bundle. A veilwatch run has five such sinks; this
one has three steps: a ParDo writing each bundle's
elements to one temp file, an ``Impulse``, and a ParDo that renames the temp
files into place once they are all written.

Review against ``apache_beam/io/iobase.py`` (``WriteImpl._expand_bounded``,
``_WriteBundleDoFn``, ``_finalize_write``) and ``filebasedsink.py``
(``FileBasedSink``), Beam 2.72:

Kept
  * Temp files, then finalize: each bundle writes one file named by a fresh
    uuid4 under ``<dir>/beam-temp-<name>-<uuid1>/`` (Beam's staging folder name,
    which ``pipelines/output_manifest.py`` cleans up after a failed run), and
    emits its path from ``finish_bundle`` in the global window, as
    ``_WriteBundleDoFn`` does. A bundle that fails and is retried leaves an
    orphan temp file that no one lists; the finalize step deletes the whole
    staging folder.
  * Finalize once, after all shards are written: the finalize ParDo reads the
    temp paths as a side input (``AsList``), which a runner makes available
    only when every bundle of the writing step has committed; its main input
    is one ``Impulse`` element, so it runs exactly once (a retry of it is
    handled below). No output file exists under its final name before then,
    so a run that fails earlier leaves only the staging folder.
  * Sharding: one shard per bundle (WriteToText's default, ``num_shards=0``),
    named ``<prefix>-SSSSS-of-NNNNN<suffix>`` in the sorted order of the temp
    paths; an empty input still writes one empty shard (``_finalize_write``
    with ``min_shards=1``): ``dead_letter/part-00000-of-00001.jsonl`` exists,
    empty, after a clean run.
  * Overwrite: files matching ``<prefix>-*-of-NNNNN<suffix>`` for this run's
    shard count are replaced, others left (``FileBasedSink.pre_finalize``).
  * A finalize that is retried after renaming some files: a shard whose temp
    file is gone but whose final file exists was renamed already and is kept
    (``_check_state_for_finalize_write``); both missing is an error.
  * Every path goes through ``FileSystems`` (local paths, ``gs://``), and no
    step relies on state held in one process across workers: the staging
    folder's name is fixed when the graph is built, the list of temp files
    travels as a side input.

Dropped, and why
  * ``InitializeWrite`` (a ``Create`` + Map that makes the staging folder and
    passes its name as a singleton side input): the name is chosen when the
    graph is built (uuid1, as Beam's), and ``FileSystems.create`` makes the
    local folders it needs (object stores have none to make). A Flex Template
    builds the graph per launch, so every job has its own staging folder; one
    graph run twice at once into the same folder would share it, but two such
    jobs clash over the same output files anyway.
  * ``Pair`` + ``GroupByKey`` + ``Extract`` before finalize: the side input
    already waits for the whole written PCollection; the grouping only
    gathered the temp paths in one place, which ``AsList`` does.
  * ``PreFinalize`` as a step of its own: its deletion of the old files of
    the same shard count is done in the finalize step, after the retry check
    above, so a retried finalize never deletes a file it renamed itself.
  * Checksum comparison of a temp file with an existing final file (GCS's
    non-atomic rename): when both exist, the final one is deleted and the
    temp one renamed onto it, which gives the same result.
  * Renaming in chunks on a pool of up to 64 threads: one ``FileSystems.rename``
    call takes all the shards (GCS batches its copies and deletes itself); a
    rename that fails fails the step, which the runner retries as above.
  * Compression, headers and footers, ``max_records_per_shard`` /
    ``max_bytes_per_shard``, shard name templates, a fixed ``num_shards``,
    windowed (streaming) writes, lineage reports: veilwatch's JSONL outputs use
    none of them (streaming runs use :mod:`veilwatch.transforms.io.windowed_files`).
  * The separate text conversion step: the writing ParDo turns each element
    into its text itself (``to_text``), so the runner samples and sizes no
    intermediate PCollection of text. An element whose text is empty (a batch
    without records) writes nothing, not an empty line.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO, NamedTuple

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.transforms import window as beam_window
from apache_beam.utils.windowed_value import WindowedValue

# The staging folder's name starts so: Beam's own, which the output manifest treats as debris.
STAGING_PREFIX = "beam-temp-"
# Buffered text is written to the temp file in pieces of about this many bytes.
_FLUSH_BYTES = 1 << 20


def staging_dir(prefix: str) -> str:
    """``<dir of prefix>/beam-temp-<last part of prefix>-<uuid1>``: a new folder name per graph built."""
    directory, name = FileSystems.split(prefix)
    return FileSystems.join(directory, f"{STAGING_PREFIX}{name}-{uuid.uuid1().hex}")


def shard_name(prefix: str, index: int, count: int, suffix: str) -> str:
    return f"{prefix}-{index:05d}-of-{count:05d}{suffix}"


class _WriteTempFileFn(beam.DoFn):
    """Each bundle's elements, as text lines, into one new temp file; emits its path when the bundle ends."""

    def __init__(self, temp_dir: str, to_text: Callable[[Any], str | bytes]):
        self.temp_dir = temp_dir
        self.to_text = to_text

    def start_bundle(self) -> None:
        self._handle: BinaryIO | None = None
        self._path: str | None = None
        self._pending: list[bytes] = []
        self._pending_bytes = 0

    def process(self, element: Any) -> None:
        text = self.to_text(element)  # str, or UTF-8 bytes already (sinks.to_json_bytes)
        if not text:
            return
        data = (text.encode("utf-8") if isinstance(text, str) else text) + b"\n"
        self._pending.append(data)
        self._pending_bytes += len(data)
        if self._pending_bytes >= _FLUSH_BYTES:
            self._flush()

    def _flush(self) -> None:
        if self._handle is None:
            self._path = FileSystems.join(self.temp_dir, uuid.uuid4().hex)
            self._handle = FileSystems.create(
                self._path, mime_type="text/plain", compression_type=CompressionTypes.UNCOMPRESSED
            )
        self._handle.write(b"".join(self._pending))
        self._pending = []
        self._pending_bytes = 0

    def finish_bundle(self) -> Iterator[WindowedValue]:
        if self._pending:
            self._flush()
        if self._handle is None:
            return
        self._handle.close()
        self._handle = None
        yield WindowedValue(
            self._path, beam_window.GlobalWindow().max_timestamp(), (beam_window.GlobalWindow(),)
        )


class _FinalizeFn(beam.DoFn):
    """Once, after every temp file is written: rename them to ``<prefix>-SSSSS-of-NNNNN<suffix>``."""

    def __init__(self, prefix: str, suffix: str, temp_dir: str):
        self.prefix = prefix
        self.suffix = suffix
        self.temp_dir = temp_dir

    def process(self, _: bytes, temp_paths: list[str]) -> Iterator[str]:
        sources = sorted(set(temp_paths))
        if not sources:  # an empty input still writes one empty shard, as WriteToText does
            empty = FileSystems.join(self.temp_dir, uuid.uuid4().hex)
            FileSystems.create(empty, mime_type="text/plain").close()
            sources = [empty]
        count = len(sources)
        finals = [shard_name(self.prefix, i, count, self.suffix) for i in range(count)]
        existing_sources = _matching(FileSystems.join(self.temp_dir, "*"))
        existing_finals = _matching(f"{self.prefix}-*-of-{count:05d}{self.suffix}")
        to_rename: list[tuple[str, str]] = []
        renamed_before: set[str] = set()
        for source, final in zip(sources, finals, strict=True):
            if source in existing_sources:
                to_rename.append((source, final))
            elif final not in existing_finals:
                raise OSError(f"temp file and output file both missing for shard {final}")
            else:  # renamed by an earlier attempt of this step: kept
                renamed_before.add(final)
        stale = sorted(existing_finals - renamed_before)
        if stale:
            FileSystems.delete(stale)
        if to_rename:
            FileSystems.rename([s for s, _ in to_rename], [f for _, f in to_rename])
        try:
            # What is left in the staging folder (temp files of failed bundle attempts) by name:
            # on GCS the folder's bare name matches no object, so deleting it alone would leave them.
            leftovers = _matching(FileSystems.join(self.temp_dir, "*"))
            if leftovers:
                FileSystems.delete(sorted(leftovers))
            FileSystems.delete([self.temp_dir])  # the local folder
        except OSError:  # not serious: the folder is debris the output manifest also removes
            pass
        yield from finals


# SharedFinalize's tagged output: what its ``after_renames`` step returned.
AFTER_RENAMES = "after_renames"


class _FinalizeEachFn(beam.DoFn):
    """Once, after every temp file of every output is written: each output's ``_FinalizeFn`` with
    its own temp paths (one side input per output, in the same order); then, with ``after_renames``,
    that step over the last side input, once every output is in place (its result tagged
    ``AFTER_RENAMES``). A rename that fails fails the step before ``after_renames`` runs. Side
    inputs between the temp paths and that last one are writes the step only waits for (``wait_for``)."""

    def __init__(self, finalizers: list[_FinalizeFn], after_renames: Callable[[Iterable[Any]], Any] | None):
        self.finalizers = finalizers
        self.after_renames = after_renames

    def process(self, _: bytes, *side_inputs: Any) -> Iterator[Any]:
        temp_paths = side_inputs[: len(self.finalizers)]
        # every output renamed into place (the list, not a generator: all of them first) ...
        finals = [
            final
            for finalizer, paths in zip(self.finalizers, temp_paths, strict=True)
            for final in finalizer.process(_, paths)
        ]
        # ... and only then the step that announces the run complete (run_summary.json)
        if self.after_renames is not None:
            inputs = side_inputs[-1]  # SharedFinalize.apply puts after_renames' inputs last
            yield pvalue.TaggedOutput(AFTER_RENAMES, self.after_renames(inputs))
        yield from finals


class FinalizeOutputs(NamedTuple):
    paths: beam.PCollection  # every output's final file paths
    after_renames: beam.PCollection | None  # what ``after_renames`` returned (None without one)


class SharedFinalize:
    """The finalize step of several ``WriteJsonlFiles`` of one bounded pipeline, run as one step.

        finalize = SharedFinalize()
        findings | "WriteFindings" >> WriteJsonlFiles(prefix_a, join_lines, finalize=finalize)
        scores | "WriteScores" >> WriteJsonlFiles(prefix_b, to_json_line, finalize=finalize)
        finalize.after_renames(write_summary, counts)  # optional: write_summary(counts), last
        finalize.apply(pipeline, "FinalizeFiles")  # -> FinalizeOutputs (final paths, summary)

    Each output keeps its own staging folder, shards and retry checks (``_FinalizeFn``); what is
    shared is the ``Impulse`` and the step, which reads each output's temp paths as a side input
    of its own. The runner pays per step and per stage before any record: five
    outputs finalized apart were five more stages. No output is renamed before every output's temp
    files are written, so a run that fails earlier leaves none of them under its final name.

    ``after_renames(step, inputs)`` runs ``step(inputs)`` (``inputs`` read as a side input,
    ``AsIter``) in the same step once every output is renamed into place: the run summary, so that
    a consumer that sees run_summary.json knows every output is complete, and a run whose renames
    fail writes none (a stage of its own would have been unordered with the renames, and one more
    stage). A retried step renames what is left and runs ``step`` again: it must be idempotent.
    ``wait_for(written)`` makes the step wait for another write that finalizes itself (Beam's
    ``WriteToText`` of a CSV output, say): read as a side input, its final paths must all be there first."""

    def __init__(self) -> None:
        self._finalizers: list[_FinalizeFn] = []
        self._written: list[beam.PCollection] = []
        self._waits: list[beam.PCollection] = []
        self._after: tuple[Callable[[Iterable[Any]], Any], beam.PCollection] | None = None
        self._applied = False

    @property
    def has_outputs(self) -> bool:
        return bool(self._written)

    def add(self, finalizer: _FinalizeFn, written: beam.PCollection) -> None:
        assert not self._applied, "an output added after the shared finalize step was built"
        self._finalizers.append(finalizer)
        self._written.append(written)

    def wait_for(self, written: beam.PCollection) -> None:
        """Run the step only once ``written`` (another write's final paths) is complete."""
        assert not self._applied, "a write to wait for added after the shared finalize step was built"
        self._waits.append(written)

    def after_renames(self, step: Callable[[Iterable[Any]], Any], inputs: beam.PCollection) -> None:
        """Run ``step(inputs)`` in the finalize step, after every output is in place (see above)."""
        assert not self._applied and self._after is None, "one step after the renames, before apply"
        self._after = (step, inputs)

    def apply(self, pipeline: beam.Pipeline, label: str) -> FinalizeOutputs | None:
        """The one finalize step (None when no output was added)."""
        self._applied = True
        if not self._written:
            return None
        side_inputs: list[Any] = [beam.pvalue.AsList(written) for written in self._written]
        side_inputs += [beam.pvalue.AsIter(written) for written in self._waits]
        step, inputs = self._after if self._after is not None else (None, None)
        if inputs is not None:
            side_inputs.append(beam.pvalue.AsIter(inputs))
        outputs = (
            pipeline
            | f"{label}/Once" >> beam.Impulse()
            | f"{label}/Finalize"
            >> beam.ParDo(_FinalizeEachFn(self._finalizers, step), *side_inputs).with_outputs(
                AFTER_RENAMES, main="paths"
            )
        )
        return FinalizeOutputs(outputs.paths, outputs[AFTER_RENAMES] if step is not None else None)


def _matching(pattern: str) -> set[str]:
    try:
        return {m.path for m in FileSystems.match([pattern])[0].metadata_list}
    except Exception:  # noqa: BLE001 - nothing there yet (a local folder that does not exist)
        return set()


class WriteJsonlFiles(beam.PTransform):
    """Bounded PCollection -> ``<prefix>-SSSSS-of-NNNNN<suffix>``, one text line per element
    (``to_text(element)``; may hold several lines, empty writes nothing). Returns the final paths;
    with ``finalize`` (a ``SharedFinalize``), only writes the temp files (returns their paths) and
    leaves the renaming to that shared step."""

    def __init__(
        self,
        prefix: str,
        to_text: Callable[[Any], str | bytes],
        suffix: str = ".jsonl",
        finalize: SharedFinalize | None = None,
    ):
        super().__init__()
        self.prefix = prefix
        self.to_text = to_text
        self.suffix = suffix
        self.finalize = finalize

    def expand(self, pcoll: beam.PCollection) -> beam.PCollection[str]:
        temp_dir = staging_dir(self.prefix)
        if not isinstance(pcoll.windowing.windowfn, beam_window.GlobalWindows):
            pcoll = pcoll | "IntoGlobalWindow" >> beam.WindowInto(beam_window.GlobalWindows())
        written = pcoll | "WriteTempFiles" >> beam.ParDo(
            _WriteTempFileFn(temp_dir, self.to_text)
        ).with_output_types(str)
        if self.finalize is not None:
            self.finalize.add(_FinalizeFn(self.prefix, self.suffix, temp_dir), written)
            return written
        return (
            pcoll.pipeline
            | "Once" >> beam.Impulse()
            | "Finalize"
            >> beam.ParDo(
                _FinalizeFn(self.prefix, self.suffix, temp_dir), beam.pvalue.AsList(written)
            ).with_output_types(str)
        )
