"""``veilwatch reidentify``: restore reversible fields of anonymized records (a Beam pipeline).

    veilwatch reidentify --dataset_config templates/datasets/payments.yaml \
        --input 'out/run1/anonymized/*' --fields customer.email,card_number \
        --output out/reid --keyset .veilwatch/demo_keyset.json --allow_plaintext_keys

Restores fields de-identified with ``cryptoDeterministicConfig`` or
``cryptoReplaceFfxFpeConfig`` (with their context), and surrogate-annotated
tokens inside scanned text fields; refuses other fields with a message saying
why. Tokens record the key that made them, so a keyset rotated since the run
still restores them, and a keyset that lacks a key the run recorded in its
``run_summary.json`` (``records_by_primary_key_id``) is refused before anything
is written; FF1 tokens without a surrogate carry no key id: the key
recorded in the run's ``run_summary.json`` (beside ``anonymized/``) is used,
or pass ``--key_id`` (see ``veilwatch keys list``).

Writes ``reidentified/``, ``dead_letter/`` and ``reidentify_summary.json``
under ``--output``. Exit codes: 0 done, 1 the pipeline failed, 2 bad config,
refused fields, no input, unusable keys or an output that already holds a
result (nothing written).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

from veilwatch.pipelines.commands.reporting import report_bad_start, report_pipeline_failure
from veilwatch.pipelines.output_manifest import output_files, record_outputs, remove_new_files
from veilwatch.pipelines.preflight import (
    PreflightError,
    check_input_pattern,
    check_keys,
    check_keyset_holds,
    check_worker_packages,
    manifest_name,
    plan_reidentify,
    prepare_dir,
)
from veilwatch.pipelines.reidentify_pipeline import OUTPUT_PARTS, build_reidentify_pipeline
from veilwatch.transforms.config.errors import ConfigError
from veilwatch.transforms.config_loading.loader import ConfigOverrides, load_config
from veilwatch.transforms.io.sources import DEFAULT_BATCH_SIZE

NAME = "reidentify"
HELP = "Restore reversible fields of anonymized records for the key holder (a Beam pipeline)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dataset_config", required=True, help="the dataset config the records were anonymized with"
    )
    parser.add_argument("--input", required=True, help="anonymized files: a directory or a file pattern")
    parser.add_argument("--fields", required=True, help="comma-separated field paths to restore, e.g. a.b,c")
    parser.add_argument("--output", required=True, help="output directory")
    parser.add_argument("--keyset", help="tink keyset path or URI; overrides keys.keyset")
    parser.add_argument(
        "--kms_key_uri", help="Cloud KMS key of an encrypted keyset; overrides keys.kms_key_uri"
    )
    parser.add_argument(
        "--allow_plaintext_keys",
        action="store_true",
        help="accept plaintext key material: a plaintext keyset, DLP unwrapped cryptoKeys "
        "(local runs and tests only)",
    )
    parser.add_argument(
        "--key_id",
        type=int,
        help="tink key id that made tokens without a key id (FF1 without surrogate); default primary",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace a previous result in --output")
    parser.add_argument(
        "--batch_size",
        type=int,
        default=DEFAULT_BATCH_SIZE,
        help=f"records per batch element (default {DEFAULT_BATCH_SIZE})",
    )
    parser.epilog = (
        "Other --options are passed to Apache Beam, e.g. --runner DataflowRunner --project P --region R."
    )
    parser.set_defaults(accepts_pipeline_args=True)


def recorded_key_ids(input_path: str) -> list[int]:
    """Primary key ids recorded in the run_summary.json beside an ``anonymized/`` input, if any."""
    directory = input_path.rstrip("/")
    if any(ch in directory for ch in "*?["):
        directory = directory.rsplit("/", 1)[0]
    summary_path = FileSystems.join(
        directory.rsplit("/", 1)[0] if "/" in directory else ".", "run_summary.json"
    )
    try:
        with FileSystems.open(summary_path) as handle:
            summary = json.loads(handle.read())
    except Exception:  # noqa: BLE001 - no summary (streaming run, copied files): nothing recorded
        return []
    return sorted(int(k) for k in summary.get("records_by_primary_key_id", {}))


def _input_pattern(path: str) -> str:
    """A directory (``out/run1/anonymized``) means its part files."""
    if any(ch in path for ch in "*?["):
        return path
    try:
        is_dir = FileSystems.match([FileSystems.join(path, "part-*")])[0].metadata_list
    except Exception:  # noqa: BLE001
        is_dir = []
    return FileSystems.join(path, "part-*") if is_dir else path


def _runner_name(runner) -> str:
    if runner is None:
        return ""
    return runner if isinstance(runner, str) else type(runner).__name__


def main(args: argparse.Namespace) -> int:
    # --output is where everything goes: it stands in for sinks.output_dir, which a config may leave out
    overrides = ConfigOverrides(output_dir=args.output, keyset=args.keyset, kms_key_uri=args.kms_key_uri)
    fields = [f.strip() for f in args.fields.split(",") if f.strip()]
    pattern = _input_pattern(args.input)
    options = PipelineOptions(args.pipeline_args, save_main_session=False)
    try:
        check_worker_packages(options, _runner_name(options.view_as(StandardOptions).runner))
        config = load_config(args.dataset_config, overrides)
        plan = plan_reidentify(config, fields)
        check_input_pattern(pattern, "--input")
        check_keys(config, args.allow_plaintext_keys, key_id=args.key_id)
        check_keyset_holds(config, args.allow_plaintext_keys, recorded_key_ids(args.input))
        prepare_dir(args.output, OUTPUT_PARTS, args.overwrite, "--output")
    except (ConfigError, PreflightError) as exc:
        return report_bad_start(exc, args.dataset_config)

    # FF1 tokens of the keyset without a surrogate carry no key id (a DLP cryptoKey is one key: no question)
    bare = [
        s.path
        for s in plan.fields
        if not getattr(s.spec.params, "surrogate_info_type", None)
        and s.spec.dlp_name == "cryptoReplaceFfxFpeConfig"
        and getattr(s.spec.params, "crypto_key", None) is None
    ]
    key_id = args.key_id
    if bare and key_id is None:
        recorded = recorded_key_ids(args.input)
        if len(recorded) > 1:
            print(
                f"veilwatch: {', '.join(bare)}: the run that made these records used keys "
                f"{', '.join(map(str, recorded))} (run_summary.json); FF1 tokens without a surrogate do not "
                "say which, so pass --key_id for the files of each",
                file=sys.stderr,
            )
            return 2
        if recorded:
            key_id = recorded[0]
            print(
                f"veilwatch: note: {', '.join(bare)}: FF1 tokens carry no key id; using key {key_id}, "
                "which the run's run_summary.json records",
                file=sys.stderr,
            )
        else:
            print(
                f"veilwatch: note: {', '.join(bare)}: FF1 tokens without a surrogate carry no key id and are "
                "restored with the keyset's primary key; pass --key_id if they were made before a rotation",
                file=sys.stderr,
            )
    before = output_files(args.output, OUTPUT_PARTS)
    try:
        with beam.Pipeline(options=options) as pipeline:
            build_reidentify_pipeline(
                pipeline,
                config,
                plan,
                pattern,
                args.output,
                args.allow_plaintext_keys,
                key_id,
                args.batch_size,
            )
    except Exception as exc:  # noqa: BLE001 - report and fail; details are in the runner's log
        remove_new_files(args.output, OUTPUT_PARTS, before)  # no partial output or beam-temp folders left
        return report_pipeline_failure(exc, logging.getLogger(__name__))
    record_outputs(args.output, OUTPUT_PARTS, manifest_name(OUTPUT_PARTS), before)
    with FileSystems.open(FileSystems.join(args.output, "reidentify_summary.json")) as handle:
        summary = json.loads(handle.read())
    print(
        f"veilwatch reidentify of dataset '{summary['dataset']}' ({', '.join(fields)})\n"
        f"  records read         {summary['records_read']:,}\n"
        f"  restored             {summary['records_reidentified']:,}\n"
        f"  dead-lettered        {summary['records_dead_lettered']:,}\n"
        f"  outputs in {args.output}: reidentified/ dead_letter/ reidentify_summary.json"
    )
    return 0
