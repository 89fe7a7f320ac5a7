"""Checks that run before any pipeline object exists, so a bad run writes nothing.

Each raises :class:`PreflightError` with a message naming what is wrong.
"""
from __future__ import annotations

from apache_beam.io.filesystems import FileSystems

from transforms.anonymize import build_scanner, load_keys
from transforms.config.model import DatasetConfig
from transforms.io.sources import match_count
from transforms.keys.keyring import KeysetError

OUTPUT_PARTS = ("anonymized", "dead_letter", "findings", "flagged_windows", "scores", "run_summary.json")


class PreflightError(ValueError):
    pass


def check_input(config: DatasetConfig) -> None:
    if match_count(config.source.path) == 0:
        raise PreflightError(f"source.path: no input files match {config.source.path}")


def check_keys(config: DatasetConfig, allow_plaintext_keys: bool) -> None:
    try:
        load_keys(config, allow_plaintext_keys)
    except KeysetError as exc:
        raise PreflightError(f"keys.keyset: {exc}") from None


def check_scanner(config: DatasetConfig) -> None:
    try:
        build_scanner(config)
    except ImportError as exc:
        raise PreflightError(f"pii.scan_fields: the detection engine cannot be loaded ({exc.name})") from None


def prepare_output_dir(config: DatasetConfig, overwrite: bool) -> None:
    """Refuse to mix two runs' files; with ``overwrite`` remove the previous run's outputs."""
    out = config.sinks.output_dir
    existing = [part for part in OUTPUT_PARTS if _exists(FileSystems.join(out, part))]
    if existing and not overwrite:
        raise PreflightError(
            f"sinks.output_dir: {out} already holds a run's outputs ({', '.join(existing)}); "
            "pass --overwrite to replace them or choose another --output_dir"
        )
    for part in existing:
        FileSystems.delete([FileSystems.join(out, part)])


def _exists(path: str) -> bool:
    try:
        return FileSystems.exists(path)
    except Exception:  # noqa: BLE001
        return False
