"""veilwatch's run options: one table for ``veilwatch run``, Beam and the flex template.

    veilwatch run --dataset_config gs://cfg/payments.yaml --input 'gs://in/*.jsonl' \
        --output_dir gs://out/run1 --runner DataflowRunner --project P --region R

:data:`RUN_OPTIONS` defines every option ``veilwatch run`` takes besides
Beam's own; ``templates/metadata.json`` declares the same names as flex
template parameters (a test keeps them in step). A flex template passes each
parameter as ``--name=value``, so switches also accept ``--name=true`` and
``--name=false``.

An option whose help says "overrides KEY" is a value for that key of the dataset
config: ``veilwatch run`` writes it into the config document before the document is
validated (``transforms/config/overrides.py``), so a bad value is refused with the
key's path, exactly as in the file.
"""

from __future__ import annotations

import argparse
from typing import Any

from apache_beam.options.pipeline_options import PipelineOptions

DEFAULT_BATCH_SIZE = 1000  # veilwatch.transforms.io.sources.DEFAULT_BATCH_SIZE: the same value

_TRUE = ("true", "yes", "1", "on")
_FALSE = ("false", "no", "0", "off")


def parse_bool(text: str) -> bool:
    value = str(text).strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def _switch(help_text: str) -> dict[str, Any]:
    """``--flag``, ``--flag=true`` or ``--flag=false``."""
    return {
        "nargs": "?",
        "const": True,
        "default": False,
        "type": parse_bool,
        "metavar": "BOOL",
        "help": help_text,
    }


# (flag, argparse keyword arguments). ``required`` options must appear in the template's metadata as non-optional.
RUN_OPTIONS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("--dataset_config", {"required": True, "help": "dataset config YAML (path or gs:// URI)"}),
    ("--input", {"help": "input file pattern; overrides source.path (file sources)"}),
    (
        "--input_subscription",
        {"help": "Pub/Sub subscription projects/P/subscriptions/S; overrides source.pubsub"},
    ),
    (
        "--input_topic",
        {
            "help": "Pub/Sub topic projects/P/topics/T to read (Beam makes a subscription); "
            "overrides source.pubsub"
        },
    ),
    ("--input_table", {"help": "BigQuery table P:D.T to read; overrides source.bigquery"}),
    ("--output_dir", {"help": "output directory; overrides sinks.output_dir"}),
    (
        "--output_table",
        {"help": "BigQuery table P:D.T for anonymized records; overrides sinks.bigquery.anonymized_table"},
    ),
    (
        "--output_topic",
        {"help": "Pub/Sub topic for anonymized records; overrides sinks.pubsub.anonymized_topic"},
    ),
    (
        "--flagged_windows_table",
        {"help": "BigQuery table P:D.T for flagged windows; overrides sinks.bigquery.flagged_windows_table"},
    ),
    ("--alerts_topic", {"help": "Pub/Sub topic for flagged windows; overrides sinks.pubsub.alerts_topic"}),
    (
        "--dead_letter_table",
        {"help": "BigQuery table P:D.T for dead letters; overrides sinks.bigquery.dead_letter_table"},
    ),
    ("--keyset", {"help": "tink keyset path or URI; overrides keys.keyset"}),
    (
        "--kms_key_uri",
        {"help": "Cloud KMS key wrapping the keyset (gcp-kms://projects/...); overrides keys.kms_key_uri"},
    ),
    (
        "--allow_plaintext_keys",
        _switch(
            "accept plaintext key material: a plaintext keyset, DLP unwrapped cryptoKeys "
            "(local runs and tests only)"
        ),
    ),
    ("--streaming", _switch("run as a streaming job (required for a Pub/Sub source)")),
    (
        "--overwrite",
        _switch(
            "replace the outputs of a previous run in output_dir (only the files its run_manifest.json lists)"
        ),
    ),
    (
        "--batch_size",
        {
            "type": int,
            "default": DEFAULT_BATCH_SIZE,
            "help": f"records per batch element (default {DEFAULT_BATCH_SIZE})",
        },
    ),
    (
        "--dry_run",
        _switch(
            "check config and flags, build the graph, print its steps and exit without running "
            "or writing anything (no Google Cloud access)"
        ),
    ),
    (
        "--progress_interval",
        {
            "type": float,
            "default": 10.0,
            "metavar": "SECONDS",
            "help": "local batch runs: print records read, rate and elapsed time to stderr every "
            "SECONDS when it is a terminal (default 10; 0: never)",
        },
    ),
)

# Options for the terminal of a local run only: not flex template parameters.
LOCAL_ONLY_OPTIONS = ("--dry_run", "--progress_interval")

# Options the command line spells with a dash too (``--dry-run``).
ALIASES = {"--dry_run": ("--dry-run",)}


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    for flag, kwargs in RUN_OPTIONS:
        parser.add_argument(flag, *ALIASES.get(flag, ()), **kwargs)


class VeilwatchOptions(PipelineOptions):
    """The same options as a Beam options view (``options.view_as(VeilwatchOptions)``)."""

    @classmethod
    def _add_argparse_args(cls, parser) -> None:
        for flag, kwargs in RUN_OPTIONS:
            try:
                parser.add_argument(flag, **{k: v for k, v in kwargs.items() if k != "required"})
            except argparse.ArgumentError:  # Beam defines it already (--streaming, --dry_run): keep Beam's
                continue
