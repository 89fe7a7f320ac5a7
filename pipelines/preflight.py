"""Checks that run before any pipeline object exists, so a bad run writes nothing.

Each raises :class:`PreflightError` with a message naming what is wrong.
"""
from __future__ import annotations

from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions, SetupOptions, WorkerOptions

from pipelines.output_manifest import remove_previous_outputs, remove_staging
from transforms.anonymize import build_scanner, load_keys
from transforms.config.model import DatasetConfig
from transforms.deid.base import TransformationError
from transforms.deid.crypto.errors import CryptoError
from transforms.deid.crypto_key import CryptoKeyError
from transforms.deid.record_deidentifier import RecordDeidentifier
from transforms.deid.reidentifier import ReidentifyPlan, ReidentifyRefused
from transforms.io.sources import match_count
from transforms.keys.keyring import KeysetError

OUTPUT_PARTS = ("anonymized", "dead_letter", "findings", "flagged_windows", "scores", "data_validation",
                "report.html", "run_summary.json")


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
    except CryptoKeyError as exc:  # a DLP cryptoKey: the message names its config path
        raise PreflightError(str(exc)) from None
    except (CryptoError, TransformationError, LookupError) as exc:
        raise PreflightError(f"pii: a transformation cannot be built with the keyset ({exc})") from None


def check_keyset_holds(config: DatasetConfig, allow_plaintext_keys: bool, key_ids: list[int]) -> None:
    """The keyset holds every key that made records of the run (``records_by_primary_key_id`` of
    its run_summary.json): without one, those records could only be dead-lettered."""
    if not key_ids:
        return
    keys = load_keys(config, allow_plaintext_keys)
    held = set(keys.key_ids()) if keys is not None else set()
    missing = [key_id for key_id in key_ids if key_id not in held]
    if missing:
        raise PreflightError(
            f"keys.keyset: the keyset has no key {', '.join(map(str, missing))}, which made records of this run "
            f"(records_by_primary_key_id in the run's run_summary.json); pass the keyset the run used, or a "
            f"rotation of it (veilwatch keys list shows a keyset's key ids)")


class _NoScanner:
    """Stands in for the detection engine: check_keys only builds the primitives."""

    def scan(self, text: str) -> list:
        return []

    def text_too_long(self, text: str) -> bool:
        return False


def check_worker_packages(options: PipelineOptions, runner: str) -> None:
    """A Dataflow job's workers need veilwatch and its pinned dependencies: shipped with
    ``--setup_file`` (or ``--extra_package``) or baked into ``--sdk_container_image``."""
    if runner != "DataflowRunner":
        return
    setup = options.view_as(SetupOptions)
    image = options.view_as(WorkerOptions).sdk_container_image
    if not (setup.setup_file or setup.extra_packages or image):
        raise PreflightError(
            "--runner DataflowRunner: the workers would start without veilwatch and its dependencies; add "
            "--setup_file ./setup.py, or --sdk_container_image with the flex template image (templates/README.md)")


def plan_reidentify(config: DatasetConfig, fields: list[str]) -> ReidentifyPlan:
    try:
        plan = ReidentifyPlan.build(config.pii, fields)
    except ReidentifyRefused as exc:
        raise PreflightError(f"reidentify refused: {exc}") from None
    if config.pii.dlp is not None and config.pii.dlp.fields is not None:
        from transforms.dlp.reidentify import restored_by_dlp

        try:
            restored_by_dlp(config, plan)
        except ValueError as exc:
            raise PreflightError(f"reidentify refused: {exc}") from None
    return plan


def check_scanner(config: DatasetConfig) -> None:
    """The detection engine loads, with the NER model when the config's scope has names in it."""
    from transforms.detection.ner import NerUnavailable

    try:
        build_scanner(config)
    except ImportError as exc:
        raise PreflightError(f"pii.scan_fields: the detection engine cannot be loaded ({exc.name})") from None
    except NerUnavailable as exc:
        raise PreflightError(
            f"pii.detection.use_ner: scanned text is searched for PERSON_NAME, LOCATION and ORGANIZATION_NAME, "
            f"but {exc} (or set pii.detection.use_ner: false to scan without them)") from None


def check_data_validation(config: DatasetConfig, streaming: bool) -> None:
    """The data_validation stage can run: bounded input, TFDV importable, a given schema readable."""
    spec = config.data_validation
    if spec is None:
        return
    if streaming:
        raise PreflightError("data_validation: runs on bounded input only (statistics and the schema cover the "
                             "whole run); leave the section out of streaming runs")
    try:
        from transforms.data_validation.tfdv_loader import import_tfdv

        import_tfdv()  # quiet: TensorFlow's C++ log and TFDV's IPython note are silenced
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


def manifest_name(parts: tuple[str, ...]) -> str:
    """``run_manifest.json`` beside ``run_summary.json`` (the last part names the command's summary)."""
    return parts[-1].replace("_summary.json", "_manifest.json")


def prepare_dir(out: str, parts: tuple[str, ...], overwrite: bool, what: str, flag: str | None = None) -> None:
    """Clear Beam staging debris; refuse a directory holding a run's outputs unless ``overwrite``,
    which deletes only the files that run's manifest lists (see ``output_manifest``)."""
    remove_staging(out, parts)
    existing = [part for part in parts if _exists(FileSystems.join(out, part))]
    if existing and not overwrite:
        raise PreflightError(
            f"{what}: {out} already holds a run's outputs ({', '.join(existing)}); "
            f"pass --overwrite to replace them or choose another {flag or what}"
        )
    if existing:
        remove_previous_outputs(out, parts, manifest_name(parts))


def _exists(path: str) -> bool:
    try:
        return FileSystems.exists(path)
    except Exception:  # noqa: BLE001
        return False
