"""Checks that run before any pipeline object exists, so a bad run writes nothing.

Each raises :class:`PreflightError` with a message naming what is wrong.
"""
from __future__ import annotations

from apache_beam.io.filesystems import FileSystems

from transforms.anonymize import build_scanner, load_keys
from transforms.config.model import DatasetConfig
from transforms.deid.base import TransformationError
from transforms.deid.crypto.errors import CryptoError
from transforms.deid.record_deidentifier import RecordDeidentifier
from transforms.deid.reidentifier import ReidentifyPlan, ReidentifyRefused
from transforms.io.sources import match_count
from transforms.keys.keyring import KeysetError

OUTPUT_PARTS = ("anonymized", "dead_letter", "findings", "flagged_windows", "scores", "data_validation",
                "run_summary.json")


class PreflightError(ValueError):
    pass


def check_input(config: DatasetConfig) -> None:
    if match_count(config.source.path) == 0:
        raise PreflightError(f"source.path: no input files match {config.source.path}")


def check_input_pattern(pattern: str, what: str) -> None:
    if match_count(pattern) == 0:
        raise PreflightError(f"{what}: no input files match {pattern}")


def check_keys(config: DatasetConfig, allow_plaintext_keys: bool, key_id: int | None = None) -> None:
    """Load the keyset (file, KMS, Secret Manager) and build every transformation with it,
    so a missing, unreadable or wrong-type key stops the run here, before any output."""
    try:
        keys = load_keys(config, allow_plaintext_keys)
        if keys is not None and key_id is not None:
            keys = keys.pinned(key_id)
        RecordDeidentifier(config.pii, keys, scanner=_NoScanner())
    except KeysetError as exc:
        raise PreflightError(f"keys.keyset: {exc}") from None
    except (CryptoError, TransformationError, LookupError) as exc:
        raise PreflightError(f"pii: a transformation cannot be built with the keyset ({exc})") from None


class _NoScanner:
    """Stands in for the detection engine: check_keys only builds the primitives."""

    def scan(self, text: str) -> list:
        return []

    def text_too_long(self, text: str) -> bool:
        return False


def plan_reidentify(config: DatasetConfig, fields: list[str]) -> ReidentifyPlan:
    try:
        return ReidentifyPlan.build(config.pii, fields)
    except ReidentifyRefused as exc:
        raise PreflightError(f"reidentify refused: {exc}") from None


def check_scanner(config: DatasetConfig) -> None:
    try:
        build_scanner(config)
    except ImportError as exc:
        raise PreflightError(f"pii.scan_fields: the detection engine cannot be loaded ({exc.name})") from None


def check_data_validation(config: DatasetConfig, streaming: bool) -> None:
    """The data_validation stage can run: bounded input, TFDV importable, a given schema readable."""
    spec = config.data_validation
    if spec is None:
        return
    if streaming:
        raise PreflightError("data_validation: runs on bounded input only (statistics and the schema cover the "
                             "whole run); leave the section out of streaming runs")
    try:
        import tensorflow_data_validation  # noqa: F401
    except ImportError as exc:
        raise PreflightError(f"data_validation: TensorFlow Data Validation cannot be loaded ({exc.name})") from None
    if spec.schema_path:
        from google.protobuf.message import DecodeError
        from google.protobuf.text_format import ParseError

        from transforms.data_validation.transform import load_schema

        try:
            load_schema(spec.schema_path)
        except (OSError, ParseError, DecodeError, UnicodeDecodeError) as exc:
            raise PreflightError(f"data_validation.schema: {spec.schema_path} is not a readable TFDV schema "
                                 f"in text format ({type(exc).__name__})") from None


def prepare_output_dir(config: DatasetConfig, overwrite: bool) -> None:
    """Refuse to mix two runs' files; with ``overwrite`` remove the previous run's outputs."""
    prepare_dir(config.sinks.output_dir, OUTPUT_PARTS, overwrite, "sinks.output_dir", "--output_dir")


def prepare_dir(out: str, parts: tuple[str, ...], overwrite: bool, what: str, flag: str | None = None) -> None:
    existing = [part for part in parts if _exists(FileSystems.join(out, part))]
    if existing and not overwrite:
        raise PreflightError(
            f"{what}: {out} already holds a run's outputs ({', '.join(existing)}); "
            f"pass --overwrite to replace them or choose another {flag or what}"
        )
    for part in existing:
        FileSystems.delete([FileSystems.join(out, part)])


def _exists(path: str) -> bool:
    try:
        return FileSystems.exists(path)
    except Exception:  # noqa: BLE001
        return False
