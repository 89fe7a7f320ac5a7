"""Checks that run before any pipeline object exists, so a bad run writes nothing.

Each raises :class:`PreflightError` with a message naming what is wrong.
"""

from __future__ import annotations

from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions, SetupOptions, WorkerOptions

from veilwatch.pipelines.output_manifest import remove_previous_outputs, remove_staging
from veilwatch.transforms import stage_checks
from veilwatch.transforms.anonymize import load_keys
from veilwatch.transforms.config.model import DatasetConfig
from veilwatch.transforms.deid.reidentifier import ReidentifyPlan, ReidentifyRefused
from veilwatch.transforms.io.sources import match_count

OUTPUT_PARTS = (
    "anonymized",
    "dead_letter",
    "findings",
    "flagged_windows",
    "scores",
    "data_validation",
    "report.html",
    "run_summary.json",
)


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
    so a missing, unreadable or wrong-type key stops the run here, before any output
    (:func:`veilwatch.transforms.stage_checks.check_keys`)."""
    try:
        stage_checks.check_keys(config, allow_plaintext_keys, key_id)
    except stage_checks.StageCheckError as exc:
        raise PreflightError(str(exc)) from None


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
            f"rotation of it (veilwatch keys list shows a keyset's key ids)"
        )


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
            "--setup_file ./setup.py, or --sdk_container_image with the flex template image (templates/README.md)"
        )


def plan_reidentify(config: DatasetConfig, fields: list[str]) -> ReidentifyPlan:
    try:
        plan = ReidentifyPlan.build(config.pii, fields)
    except ReidentifyRefused as exc:
        raise PreflightError(f"reidentify refused: {exc}") from None
    if config.pii.dlp is not None and config.pii.dlp.fields is not None:
        from veilwatch.transforms.dlp.reidentify import restored_by_dlp

        try:
            restored_by_dlp(config, plan)
        except ValueError as exc:
            raise PreflightError(f"reidentify refused: {exc}") from None
    return plan


def check_scanner(config: DatasetConfig) -> None:
    """The detection engine loads, with the NER model when the config's scope has names in it
    (:func:`veilwatch.transforms.stage_checks.check_scanner`)."""
    try:
        stage_checks.check_scanner(config)
    except stage_checks.StageCheckError as exc:
        raise PreflightError(str(exc)) from None


def check_data_validation(config: DatasetConfig) -> None:
    """The data_validation stage can run: TFDV importable, a given schema readable (batch and
    streaming alike: streaming computes statistics per Beam window)."""
    spec = config.data_validation
    if spec is None:
        return
    try:
        from veilwatch.transforms.data_validation.tfdv_loader import import_tfdv

        import_tfdv()  # quiet: TensorFlow's C++ log and TFDV's IPython note are silenced
    except ImportError as exc:
        raise PreflightError(
            f"data_validation: TensorFlow Data Validation cannot be loaded ({exc.name})"
        ) from None
    if spec.schema_path:
        from google.protobuf.message import DecodeError
        from google.protobuf.text_format import ParseError

        from veilwatch.transforms.data_validation.transform import load_schema

        try:
            load_schema(spec.schema_path)
        except (OSError, ParseError, DecodeError, UnicodeDecodeError) as exc:
            raise PreflightError(
                f"data_validation.schema: {spec.schema_path} is not a readable TFDV schema "
                f"in text format ({type(exc).__name__})"
            ) from None


def prepare_output_dir(config: DatasetConfig, overwrite: bool) -> None:
    """Refuse to mix two runs' files; with ``overwrite`` remove the previous run's outputs."""
    output_dir = config.sinks.output_dir
    assert output_dir is not None, "called only for a run with sinks.output_dir"
    prepare_dir(output_dir, OUTPUT_PARTS, overwrite, "sinks.output_dir", "--output_dir")


def manifest_name(parts: tuple[str, ...]) -> str:
    """``run_manifest.json`` beside ``run_summary.json`` (the last part names the command's summary)."""
    return parts[-1].replace("_summary.json", "_manifest.json")


def prepare_dir(
    out: str, parts: tuple[str, ...], overwrite: bool, what: str, flag: str | None = None
) -> None:
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
