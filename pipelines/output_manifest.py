"""Which files in an output directory a run wrote, so that only those are ever replaced or removed.

A command that finishes writes ``<command>_manifest.json`` beside its outputs:
the relative paths of every file it wrote under its output parts. ``--overwrite``
deletes exactly the files a manifest lists (a file someone else put into
``anonymized/`` stays); a run that fails deletes the files it had written and
Beam's ``beam-temp-*`` staging folders, so the next run starts clean.

    before = output_files(out, parts)              # after preflight, before the pipeline
    try:
        ... run ...
    except Exception:
        remove_new_files(out, parts, before)      # a failed run leaves nothing behind
        raise
    write_manifest(out, "run_manifest.json", sorted(set(output_files(out, parts)) - set(before)))

Without a manifest (a job submitted to a remote runner, whose launcher does not
see the end; an older run) the files named as a run names its outputs count as
the run's: ``part-*`` files inside the output folders, the summary file and
the data-validation artifacts.
"""

from __future__ import annotations

import json
import os

from apache_beam.io.filesystems import FileSystems

# Beam stages each file write in a folder named so; it is debris once a write ended or failed.
BEAM_TEMP_PREFIX = "beam-temp-"
# Files a run writes under its output folders besides part-* files (data_validation/).
_ARTIFACT_NAMES = ("schema.pbtxt", "statistics.binpb")


def _relative(out: str, path: str) -> str:
    root = out.rstrip("/") + "/"
    return path[len(root) :] if path.startswith(root) else path


def output_files(out: str, parts: tuple[str, ...]) -> list[str]:
    """Relative paths of every file now under ``out``'s output ``parts`` (folders or single files)."""
    try:
        matched = FileSystems.match([FileSystems.join(out, "**")])[0].metadata_list
    except Exception:  # noqa: BLE001 - no such directory yet
        return []
    files = []
    for metadata in matched:
        relative = _relative(out, metadata.path).replace(os.sep, "/")
        if relative.split("/", 1)[0] in parts:
            files.append(relative)
    return sorted(files)


def is_staging(relative: str) -> bool:
    """Whether a file sits in one of Beam's staging folders (left by a failed or killed write)."""
    return any(part.startswith(BEAM_TEMP_PREFIX) for part in relative.split("/"))


def _looks_like_run_output(relative: str, parts: tuple[str, ...]) -> bool:
    pieces = relative.split("/")
    if len(pieces) == 1:
        return pieces[0] in parts
    return pieces[-1].startswith("part-") or (len(pieces) == 2 and pieces[-1] in _ARTIFACT_NAMES)


def read_manifest(out: str, name: str) -> list[str] | None:
    """The files a manifest lists, or None when there is none (or it is unreadable)."""
    try:
        with FileSystems.open(FileSystems.join(out, name)) as handle:
            listed = json.loads(handle.read()).get("files")
    except Exception:  # noqa: BLE001 - missing or damaged: as if there were none
        return None
    return [f for f in listed if isinstance(f, str)] if isinstance(listed, list) else None


def write_manifest(out: str, name: str, files: list[str]) -> None:
    with FileSystems.create(FileSystems.join(out, name)) as handle:
        handle.write(json.dumps({"files": sorted(files)}, indent=2).encode("utf-8"))


def _delete(out: str, relatives: list[str]) -> None:
    paths = [FileSystems.join(out, r) for r in relatives]
    for path in paths:
        try:
            FileSystems.delete([path])
        except Exception:  # noqa: BLE001 - already gone
            pass


def _remove_empty_folders(out: str, parts: tuple[str, ...]) -> None:
    """Local paths only (object stores have no empty folders): empty folders left under the parts."""
    if "://" in out:
        return
    for part in parts:
        top = os.path.join(out, part)
        if not os.path.isdir(top):
            continue
        for directory, _, _ in sorted(os.walk(top), key=lambda entry: -len(entry[0])):
            try:
                os.rmdir(directory)  # only succeeds when empty
            except OSError:
                pass


def remove_staging(out: str, parts: tuple[str, ...]) -> None:
    """Delete what failed or killed writes left in Beam's staging folders."""
    _delete(out, [f for f in output_files(out, parts) if is_staging(f)])
    _remove_empty_folders(out, parts)


def remove_previous_outputs(out: str, parts: tuple[str, ...], manifest: str) -> None:
    """Delete the files an earlier run wrote (its manifest's list), and nothing else."""
    listed = read_manifest(out, manifest)
    present = output_files(out, parts)
    if listed is None:
        doomed = [f for f in present if _looks_like_run_output(f, parts)]
    else:
        doomed = sorted(set(listed) & set(present))
    _delete(out, doomed + [manifest])
    _remove_empty_folders(out, parts)


def remove_new_files(out: str, parts: tuple[str, ...], before: list[str]) -> None:
    """After a failure: delete every file under the parts that was not there before the run."""
    kept = set(before)
    _delete(out, [f for f in output_files(out, parts) if f not in kept])
    _remove_empty_folders(out, parts)


def record_outputs(out: str, parts: tuple[str, ...], manifest: str, before: list[str]) -> None:
    """After a finished run: its manifest lists the files under the parts that it added."""
    kept = set(before)
    write_manifest(out, manifest, [f for f in output_files(out, parts) if f not in kept])
