"""The JSONL file sink: same files and lines as WriteToText, in three steps, nothing final before finalize."""

from __future__ import annotations

import json
import pathlib

import apache_beam as beam
import pytest
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.util import assert_that, equal_to

from veilwatch.transforms.io.jsonl_files import SharedFinalize, WriteJsonlFiles, _FinalizeFn
from veilwatch.transforms.io.sinks import RunSummaryWriter, WriteJsonLines, join_lines, to_json_line

BATCHES = [
    [{"id": b * 10 + i, "name": f"n{b}-{i}", "amount": b + i / 4} for i in range(7)] for b in range(40)
]


def _options() -> PipelineOptions:
    return PipelineOptions(["--runner=DirectRunner", "--direct_running_mode=in_memory"])


def _run(elements: list, write: beam.PTransform) -> None:
    with beam.Pipeline(options=_options()) as p:
        p | beam.Create(elements, reshuffle=False) | write


def _files(directory: pathlib.Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()
    }


def _lines(directory: pathlib.Path) -> list[str]:
    return sorted(line for data in _files(directory).values() for line in data.decode().splitlines())


def _leaf_steps(write: beam.PTransform) -> list[str]:
    p = beam.Pipeline(options=_options())
    p | beam.Create([[{"a": 1}]], reshuffle=False) | "Sink" >> write
    transforms = p.to_runner_api().components.transforms.values()
    return [t.unique_name for t in transforms if not t.subtransforms and t.unique_name.startswith("Sink/")]


def test_the_sink_is_three_steps_where_write_to_text_is_twelve(tmp_path):
    assert len(_leaf_steps(beam.io.WriteToText(str(tmp_path / "a" / "part")))) == 12
    assert len(_leaf_steps(WriteJsonLines(str(tmp_path / "b" / "part")))) == 3


@pytest.mark.parametrize("batched", [True, False])
def test_same_file_names_and_lines_as_write_to_text(tmp_path, batched):
    elements = BATCHES if batched else [r for batch in BATCHES for r in batch]
    to_text = join_lines if batched else to_json_line
    _run(
        elements,
        beam.Map(to_text) | beam.io.WriteToText(str(tmp_path / "old" / "part"), file_name_suffix=".jsonl"),
    )
    _run(elements, WriteJsonLines(str(tmp_path / "new" / "part"), batched=batched))
    old, new = _files(tmp_path / "old"), _files(tmp_path / "new")
    assert sorted(new) == sorted(old) == ["part-00000-of-00001.jsonl"]
    assert _lines(tmp_path / "new") == _lines(tmp_path / "old")
    assert len(_lines(tmp_path / "new")) == 40 * 7
    assert new["part-00000-of-00001.jsonl"].endswith(b"\n")
    assert [json.loads(line)["id"] for line in _lines(tmp_path / "new")] != []


def test_an_empty_input_writes_one_empty_shard_as_write_to_text_does(tmp_path):
    _run([], beam.io.WriteToText(str(tmp_path / "old" / "part"), file_name_suffix=".jsonl"))
    _run([], WriteJsonLines(str(tmp_path / "new" / "part")))
    assert _files(tmp_path / "new") == _files(tmp_path / "old") == {"part-00000-of-00001.jsonl": b""}


def test_batches_without_records_write_no_blank_line(tmp_path):
    _run([[], [{"a": 1}], []], WriteJsonLines(str(tmp_path / "out" / "part")))
    assert _files(tmp_path / "out") == {"part-00000-of-00001.jsonl": b'{"a":1}\n'}


class _Boom(Exception):
    pass


def _fail_on_batch_30(batch: list) -> str:
    if batch and batch[0]["id"] == 300:
        raise _Boom("injected fault")
    return join_lines(batch)


def test_a_failing_write_leaves_no_final_file(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(Exception, match="injected fault"):
        _run(BATCHES, WriteJsonlFiles(str(out / "part"), _fail_on_batch_30))
    written = _files(out) if out.exists() else {}
    assert not [name for name in written if name.startswith("part-")]
    assert all(name.startswith("beam-temp-part-") for name in written)  # staging only (may be none)


def test_a_rerun_replaces_the_files_of_the_same_shard_count_as_write_to_text_does(tmp_path):
    results = {}
    for name, write in (
        ("old", lambda prefix: beam.Map(join_lines) | beam.io.WriteToText(prefix, file_name_suffix=".jsonl")),
        ("new", lambda prefix: WriteJsonLines(prefix)),
    ):
        out = tmp_path / name
        out.mkdir()
        (out / "part-00000-of-00001.jsonl").write_text('{"stale":true}\n')
        (out / "part-00000-of-00002.jsonl").write_text("another shard count: left in place\n")
        _run(BATCHES[:2], write(str(out / "part")))
        results[name] = _files(out)
    assert results["new"] == results["old"]
    files = results["new"]
    assert sorted(files) == ["part-00000-of-00001.jsonl", "part-00000-of-00002.jsonl"]
    assert len(files["part-00000-of-00001.jsonl"].decode().splitlines()) == 14
    assert b"stale" not in files["part-00000-of-00001.jsonl"]


def _temp_files(staging: pathlib.Path, texts: list[str]) -> list[str]:
    staging.mkdir(parents=True)
    paths = []
    for i, text in enumerate(texts):
        path = staging / f"t{i}"
        path.write_text(text)
        paths.append(str(path))
    return paths


def test_finalize_names_one_shard_per_temp_file_and_removes_the_staging_folder(tmp_path):
    staging = tmp_path / "beam-temp-part-x"
    temps = _temp_files(staging, ["a\n", "b\n", "c\n"])
    finalize = _FinalizeFn(str(tmp_path / "part"), ".jsonl", str(staging))
    finals = list(finalize.process(b"", list(reversed(temps))))
    assert [pathlib.Path(f).name for f in finals] == [f"part-0000{i}-of-00003.jsonl" for i in range(3)]
    assert [pathlib.Path(f).read_text() for f in finals] == ["a\n", "b\n", "c\n"]
    assert not staging.exists()


def test_a_retried_finalize_keeps_what_an_earlier_attempt_renamed(tmp_path):
    staging = tmp_path / "beam-temp-part-x"
    temps = _temp_files(staging, ["a\n", "b\n"])
    (tmp_path / "part-00000-of-00002.jsonl").write_text("a\n")  # an attempt that renamed the first shard
    pathlib.Path(temps[0]).unlink()
    finalize = _FinalizeFn(str(tmp_path / "part"), ".jsonl", str(staging))
    list(finalize.process(b"", temps))
    assert _files(tmp_path) == {"part-00000-of-00002.jsonl": b"a\n", "part-00001-of-00002.jsonl": b"b\n"}
    list(finalize.process(b"", temps))  # and once more, after everything was renamed
    assert _files(tmp_path) == {"part-00000-of-00002.jsonl": b"a\n", "part-00001-of-00002.jsonl": b"b\n"}


def test_finalize_refuses_a_shard_whose_temp_and_final_files_are_both_missing(tmp_path):
    staging = tmp_path / "beam-temp-part-x"
    temps = _temp_files(staging, ["a\n"])
    pathlib.Path(temps[0]).unlink()
    with pytest.raises(OSError, match="both missing"):
        list(_FinalizeFn(str(tmp_path / "part"), ".jsonl", str(staging)).process(b"", temps))


def _run_shared(tmp_path: pathlib.Path, to_text_b) -> None:
    """Two outputs (a: batches, b: records) renamed into place by one shared finalize step."""
    with beam.Pipeline(options=_options()) as p:
        finalize = SharedFinalize()
        batches = p | "Batches" >> beam.Create(BATCHES, reshuffle=False)
        records = p | "Records" >> beam.Create([r for b in BATCHES for r in b], reshuffle=False)
        batches | "WriteA" >> WriteJsonlFiles(str(tmp_path / "a" / "part"), join_lines, finalize=finalize)
        records | "WriteB" >> WriteJsonlFiles(str(tmp_path / "b" / "part"), to_text_b, finalize=finalize)
        finalize.apply(p, "FinalizeFiles")


def test_one_shared_finalize_writes_each_output_as_its_own_finalize_does(tmp_path):
    _run_shared(tmp_path / "shared", to_json_line)
    _run(BATCHES, WriteJsonLines(str(tmp_path / "alone" / "a" / "part")))
    _run(
        [r for b in BATCHES for r in b], WriteJsonLines(str(tmp_path / "alone" / "b" / "part"), batched=False)
    )
    for output in ("a", "b"):
        shared, alone = _files(tmp_path / "shared" / output), _files(tmp_path / "alone" / output)
        assert sorted(shared) == sorted(alone) == ["part-00000-of-00001.jsonl"], output
        assert _lines(tmp_path / "shared" / output) == _lines(tmp_path / "alone" / output)
        assert len(_lines(tmp_path / "shared" / output)) == 40 * 7


def _fail_on_record_300(record: dict) -> str:
    if record["id"] == 300:
        raise _Boom("injected fault")
    return to_json_line(record)


def test_with_a_shared_finalize_one_failing_output_leaves_no_output_renamed(tmp_path):
    with pytest.raises(Exception, match="injected fault"):
        _run_shared(tmp_path, _fail_on_record_300)
    for output in ("a", "b"):
        written = _files(tmp_path / output) if (tmp_path / output).exists() else {}
        assert not [name for name in written if name.startswith("part-")], output


def test_a_shared_finalize_is_one_step_for_all_outputs(tmp_path):
    p = beam.Pipeline(options=_options())
    finalize = SharedFinalize()
    for name in ("a", "b", "c"):
        (
            p
            | f"Create{name}" >> beam.Create([[{"a": 1}]], reshuffle=False)
            | f"Sink{name}" >> WriteJsonLines(str(tmp_path / name / "part"), finalize=finalize)
        )
    finalize.apply(p, "FinalizeFiles")
    leaves = [t.unique_name for t in p.to_runner_api().components.transforms.values() if not t.subtransforms]
    assert sorted(n for n in leaves if n.startswith("Sink")) == [
        f"Sink{n}/WriteText/WriteTempFiles" for n in "abc"
    ]
    assert sorted(n for n in leaves if n.startswith("FinalizeFiles")) == [
        "FinalizeFiles/Finalize/ParDo(_FinalizeEachFn)",
        "FinalizeFiles/Once",
    ]
    assert not tmp_path.joinpath("a").exists()  # building the graph writes nothing


class _WhatIsInPlace:
    """An ``after_renames`` step that reports the files under ``root`` when it runs, and sums its inputs."""

    def __init__(self, root: str):
        self.root = root

    def __call__(self, counts) -> dict:
        root = pathlib.Path(self.root)
        return {
            "parts": sorted(str(p.relative_to(root)) for p in root.rglob("part-*")),
            "staging": sorted(str(p.relative_to(root)) for p in root.rglob("beam-temp-*")),
            "total": sum(c["n"] for c in counts),
        }


def _run_shared_then(tmp_path: pathlib.Path, after, expected_after: list) -> None:
    """``_run_shared``'s two outputs, and ``after`` over three partial counts after the renames."""
    with beam.Pipeline(options=_options()) as p:
        finalize = SharedFinalize()
        batches = p | "Batches" >> beam.Create(BATCHES, reshuffle=False)
        batches | "WriteA" >> WriteJsonlFiles(str(tmp_path / "a" / "part"), join_lines, finalize=finalize)
        batches | "WriteB" >> WriteJsonlFiles(str(tmp_path / "b" / "part"), join_lines, finalize=finalize)
        counts = p | "Counts" >> beam.Create([{"n": 1}, {"n": 2}, {"n": 4}], reshuffle=False)
        finalize.after_renames(after, counts)
        outputs = finalize.apply(p, "FinalizeFiles")
        assert outputs is not None and outputs.after_renames is not None
        assert_that(outputs.after_renames, equal_to(expected_after), label="AfterRenames")
        assert_that(
            outputs.paths,
            equal_to([str(tmp_path / o / "part-00000-of-00001.jsonl") for o in "ab"]),
            label="Paths",
        )


def test_the_step_after_the_renames_runs_once_every_output_is_in_place(tmp_path):
    """#15: the run summary, written in the shared finalize step, sees every output complete."""
    in_place = {
        "parts": ["a/part-00000-of-00001.jsonl", "b/part-00000-of-00001.jsonl"],
        "staging": [],  # each output's staging folder removed too
        "total": 7,  # every partial count read
    }
    _run_shared_then(tmp_path, _WhatIsInPlace(str(tmp_path)), [in_place])


def test_a_failing_rename_runs_no_step_after_the_renames(tmp_path, monkeypatch):
    """A run whose outputs could not be put in place writes no run_summary.json."""

    def fail(*_):
        raise _Boom("injected rename fault")

    monkeypatch.setattr(FileSystems, "rename", staticmethod(fail))
    with pytest.raises(Exception, match="injected rename fault"):
        _run_shared_then(tmp_path, RunSummaryWriter(str(tmp_path), "d"), [])
    assert not (tmp_path / "run_summary.json").exists()
    assert not list(tmp_path.rglob("part-*"))
