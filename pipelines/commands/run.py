"""``veilwatch run``: de-identify a dataset and flag anomalous windows.

    veilwatch run --dataset_config templates/datasets/payments.yaml \
        --output_dir out/demo --keyset .veilwatch/demo_keyset.json --allow_plaintext_keys

Any further ``--flag`` goes to Beam (``--runner DataflowRunner --project ...``).
Exit codes: 0 done, 1 the pipeline failed, 2 bad config, input or keys
(nothing written).
"""
from __future__ import annotations

import argparse
import json
import logging
import sys

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions

from pipelines.anonymize_pipeline import build_pipeline
from pipelines.preflight import PreflightError, check_input, check_keys, check_scanner, prepare_output_dir
from pipelines.summary_report import format_summary
from transforms.config.errors import ConfigError
from transforms.config.loader import ConfigOverrides, load_config
from transforms.io.sources import DEFAULT_BATCH_SIZE

NAME = "run"
HELP = "De-identify a dataset, write it out and flag anomalous windows (a Beam pipeline)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset_config", required=True, help="dataset config YAML (path or gs:// URI)")
    parser.add_argument("--input", help="input file pattern; overrides source.path")
    parser.add_argument("--output_dir", help="output directory; overrides sinks.output_dir")
    parser.add_argument("--keyset", help="tink keyset path or URI; overrides keys.keyset")
    parser.add_argument("--allow_plaintext_keys", action="store_true",
                        help="accept a plaintext keyset (local runs and tests only)")
    parser.add_argument("--overwrite", action="store_true", help="replace the outputs of a previous run in output_dir")
    parser.add_argument("--batch_size", type=int, default=DEFAULT_BATCH_SIZE,
                        help=f"records per batch element (default {DEFAULT_BATCH_SIZE})")
    parser.epilog = "Other --options are passed to Apache Beam, e.g. --runner DataflowRunner --project P --region R."
    parser.set_defaults(accepts_pipeline_args=True)


def main(args: argparse.Namespace) -> int:
    overrides = ConfigOverrides(input=args.input, output_dir=args.output_dir, keyset=args.keyset)
    try:
        config = load_config(args.dataset_config, overrides)
        check_input(config)
        check_keys(config, args.allow_plaintext_keys)
        check_scanner(config)
        prepare_output_dir(config, args.overwrite)
    except ConfigError as exc:
        print(f"veilwatch: invalid dataset config {args.dataset_config}:\n{exc}", file=sys.stderr)
        return 2
    except PreflightError as exc:
        print(f"veilwatch: {exc}", file=sys.stderr)
        return 2

    options = PipelineOptions(args.pipeline_args, save_main_session=False)
    try:
        with beam.Pipeline(options=options) as pipeline:
            build_pipeline(pipeline, config, args.allow_plaintext_keys, args.batch_size)
    except Exception as exc:  # noqa: BLE001 - report and fail; details are in the runner's log
        logging.getLogger(__name__).error("pipeline failed: %s", type(exc).__name__)
        print(f"veilwatch: the pipeline failed ({type(exc).__name__}); see the log above", file=sys.stderr)
        return 1
    summary_path = FileSystems.join(config.sinks.output_dir, "run_summary.json")
    with FileSystems.open(summary_path) as handle:
        summary = json.loads(handle.read())
    print(format_summary(summary, config.sinks.output_dir))
    return 0
