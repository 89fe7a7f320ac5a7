"""``veilwatch run``: de-identify a dataset and flag anomalous windows.

    veilwatch run --dataset_config templates/datasets/payments.yaml \
        --output_dir out/demo --keyset .veilwatch/demo_keyset.json --allow_plaintext_keys
    veilwatch run --dataset_config gs://b/cfg/payments.yaml --input 'gs://b/in/*.jsonl' \
        --output_dir gs://b/out/run1 --keyset gs://b/keys/payments.json \
        --runner DataflowRunner --project P --region R --temp_location gs://b/tmp --setup_file ./setup.py
    veilwatch run ... --dry-run      # build the graph for any runner, print its steps, run nothing

A local batch run prints its progress to stderr when that is a terminal
(records read, rate, elapsed; every ``--progress_interval`` seconds, 10 by
default, 0 for none: ``pipelines/progress.py``).

Any further ``--flag`` goes to Beam (``--runner DataflowRunner --project ...``).
Exit codes: 0 done (or submitted, on a remote runner), 1 the pipeline failed
(the files it had written are removed), 2 bad config, input or keys (nothing
written). A finished run lists its files in ``run_manifest.json``; ``--overwrite``
deletes only those (see ``pipelines/output_manifest.py``).
"""

from __future__ import annotations

import argparse
import json
import logging

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.runners.runner import PipelineRunner

from veilwatch.pipelines.anonymize_pipeline import build_pipeline
from veilwatch.pipelines.commands.reporting import report_bad_start, report_pipeline_failure
from veilwatch.pipelines.options import add_run_arguments
from veilwatch.pipelines.output_manifest import output_files, record_outputs, remove_new_files
from veilwatch.pipelines.preflight import (
    OUTPUT_PARTS,
    PreflightError,
    check_data_validation,
    check_input,
    check_keys,
    check_scanner,
    check_worker_packages,
    manifest_name,
    prepare_output_dir,
)
from veilwatch.pipelines.progress import ProgressLine
from veilwatch.pipelines.summary_report import format_summary
from veilwatch.transforms.config.errors import ConfigError
from veilwatch.transforms.config.model import DatasetConfig, SourceFormat
from veilwatch.transforms.config.overrides import OVERRIDE_KEYS
from veilwatch.transforms.config_loading.loader import ConfigOverrides, load_config
from veilwatch.transforms.locations import is_uri

NAME = "run"
HELP = "De-identify a dataset, write it out and flag anomalous windows (a Beam pipeline)."

# Runners that execute in this process, reading local paths as they are.
LOCAL_RUNNERS = ("DirectRunner", "BundleBasedDirectRunner", "SwitchingDirectRunner", "PrismRunner", "")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_run_arguments(parser)
    parser.epilog = (
        "Other --options are passed to Apache Beam, e.g. --runner DataflowRunner --project P --region R."
    )
    parser.set_defaults(accepts_pipeline_args=True)


def _overrides(args: argparse.Namespace) -> ConfigOverrides:
    """Every ``--NAME`` that overrides a config key; load_config writes them into the document."""
    return ConfigOverrides(**{name: getattr(args, name) for name in OVERRIDE_KEYS})


def main(args: argparse.Namespace) -> int:
    options = PipelineOptions(args.pipeline_args, save_main_session=False)
    standard = options.view_as(StandardOptions)
    streaming = bool(args.streaming or standard.streaming)
    standard.streaming = streaming
    runner = _runner_name(standard.runner)
    try:
        config = load_config(args.dataset_config, _overrides(args))
        check_run_options(config, args, streaming, runner)
        if not args.dry_run:
            check_worker_packages(options, runner)
            if config.source.is_file:
                check_input(config)
            check_keys(config, args.allow_plaintext_keys)
            check_scanner(config)
            check_data_validation(config)
            if config.sinks.output_dir:
                prepare_output_dir(config, args.overwrite)
        elif config.keys.keyset and not is_uri(config.keys.keyset):
            check_keys(
                config, args.allow_plaintext_keys
            )  # a local keyset is checked without touching the network
    except (ConfigError, PreflightError) as exc:
        return report_bad_start(exc, args.dataset_config)

    if args.dry_run:
        # A runner-neutral pipeline object: the graph is the same, and nothing validates
        # options against the service (which would reach for GCS) or runs.
        pipeline = beam.Pipeline(runner=PipelineRunner(), options=options)
        build_pipeline(pipeline, config, args.allow_plaintext_keys, args.batch_size, streaming)
        print(describe_steps(pipeline, config, runner or "DirectRunner", streaming))
        return 0
    out = config.sinks.output_dir
    before = output_files(out, OUTPUT_PARTS) if out else []  # files someone else left there stay
    try:
        pipeline = beam.Pipeline(options=options)
        build_pipeline(pipeline, config, args.allow_plaintext_keys, args.batch_size, streaming)
        # A local batch run prints its progress on a terminal; a submitted job reports on the service.
        local_batch = runner in LOCAL_RUNNERS and not streaming
        with ProgressLine(args.progress_interval if local_batch else 0):
            result = pipeline.run()
            if runner not in LOCAL_RUNNERS:  # submitted; the job runs (and reports) on the service
                print(f"veilwatch: submitted dataset '{config.dataset}' to {runner}{_job_suffix(result)}")
                return 0
            result.wait_until_finish()
        if out and not streaming:
            from veilwatch.transforms.report.write import (
                write_report,
            )  # matplotlib: only when a report is written

            write_report(out)  # report.html, from the outputs just written
    except Exception as exc:  # noqa: BLE001 - report and fail; details are in the runner's log
        if out:
            remove_new_files(out, OUTPUT_PARTS, before)  # a failed run leaves no partial output behind
        return report_pipeline_failure(exc, logging.getLogger(__name__))
    if out:
        record_outputs(out, OUTPUT_PARTS, manifest_name(OUTPUT_PARTS), before)
    if not config.sinks.output_dir or streaming:
        print(f"veilwatch: run of dataset '{config.dataset}' finished")
        return 0
    summary_path = FileSystems.join(config.sinks.output_dir, "run_summary.json")
    with FileSystems.open(summary_path) as handle:
        summary = json.loads(handle.read())
    print(format_summary(summary, config.sinks.output_dir))
    return 0


def check_run_options(config: DatasetConfig, args: argparse.Namespace, streaming: bool, runner: str) -> None:
    """Combinations of config and options that cannot run; raises PreflightError naming the option or key."""
    fmt = config.source.format
    overrides = {
        "--input": (args.input, config.source.is_file),
        "--input_subscription": (args.input_subscription, fmt is SourceFormat.PUBSUB),
        "--input_topic": (args.input_topic, fmt is SourceFormat.PUBSUB),
        "--input_table": (args.input_table, fmt is SourceFormat.BIGQUERY),
    }
    for flag, (value, applies) in overrides.items():
        if value and not applies:
            raise PreflightError(f"{flag} does not apply to source.format {fmt.value}")
    if args.input_subscription and args.input_topic:
        raise PreflightError("pass either --input_subscription or --input_topic, not both")
    if fmt is SourceFormat.PUBSUB and not streaming:
        raise PreflightError("source.format pubsub is unbounded: run it with --streaming")
    if streaming and fmt is SourceFormat.BIGQUERY:
        raise PreflightError("source.format bigquery is read once: run it without --streaming")
    if streaming and config.source.is_file:
        raise PreflightError(
            f"--streaming does not apply to source.format {fmt.value}: files are read once, "
            "as a batch run; run without --streaming, or read a Pub/Sub source"
        )
    if (
        streaming
        and config.sinks.anonymized_to_files
        and config.sinks.anonymized_format is not SourceFormat.JSONL
    ):
        raise PreflightError("sinks.anonymized_format: streaming runs write anonymized files as jsonl only")
    if args.batch_size <= 0:
        raise PreflightError("--batch_size must be a positive number of records")
    if not args.progress_interval >= 0:  # NaN too
        raise PreflightError("--progress_interval must be 0 (no progress) or a positive number of seconds")
    if runner not in LOCAL_RUNNERS:
        _check_remote_paths(config)


def _check_remote_paths(config: DatasetConfig) -> None:
    """Workers read the input and the keyset themselves: a path on this machine is not there."""
    paths = {
        "keys.keyset (--keyset)": config.keys.keyset,
        "sinks.output_dir (--output_dir)": config.sinks.output_dir,
    }
    if config.source.is_file:
        paths["source.path (--input)"] = config.source.path
    local = [name for name, path in paths.items() if path and not is_uri(path)]
    if local:
        raise PreflightError(
            f"{', '.join(local)}: a remote runner's workers cannot read a local path; use a gs:// URI"
        )


def _job_suffix(result) -> str:
    try:
        job = result.job_id()
    except Exception:  # noqa: BLE001 - no job id (e.g. a flex template launch writes a job spec instead)
        return ""
    return f" as job {job}" if job else ""


def _runner_name(runner) -> str:
    if runner is None:
        return ""
    return runner if isinstance(runner, str) else type(runner).__name__


def describe_steps(pipeline: beam.Pipeline, config: DatasetConfig, runner: str, streaming: bool) -> str:
    """The graph's steps (composites to two levels) for ``--dry-run``."""
    lines = [
        f"veilwatch dry run of dataset '{config.dataset}' for {runner} "
        f"({'streaming' if streaming else 'batch'}); nothing was run or written",
        "steps:",
    ]

    class _Visitor(beam.pipeline.PipelineVisitor):
        def enter_composite_transform(self, node) -> None:
            self._add(node)

        def visit_transform(self, node) -> None:
            self._add(node)

        def _add(self, node) -> None:
            label = node.full_label
            depth = label.count("/")
            if label and depth <= 1:
                lines.append(f"  {'  ' * depth}{label.split('/')[-1]}")

    pipeline.visit(_Visitor())
    return "\n".join(lines)
