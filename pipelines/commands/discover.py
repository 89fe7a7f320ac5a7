"""``veilwatch discover``: sample an unknown feed and propose its dataset config.

    veilwatch discover --input 'data/*.jsonl' --sample 1000 --output proposed.yaml [--dataset orders]
    veilwatch validate-config proposed.yaml --output_dir out/orders

Runs a Beam pipeline (DirectRunner by default; further ``--option``s are
pipeline options, e.g. ``--runner DataflowRunner ...`` for a large feed) that
samples N records, runs every detector over every field path and writes a
dataset config proposing each field's type, whether it is required, whether it
is PII (infoType, hit rate or "field name", default transformation), which
fields are free text to scan and the event-time field. Prints the table of
proposals. Exit 0 done, 1 the pipeline failed, 2 bad arguments, no input or an
existing output without --overwrite.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions

from veilwatch.transforms.config.model import SourceFormat, SourceSpec
from veilwatch.transforms.discovery.rules import DEFAULT_MIN_HIT_RATE
from veilwatch.transforms.io.sources import match_count
from veilwatch.transforms.locations import is_uri

NAME = "discover"
HELP = "Sample a feed, detect PII per field and write a proposed dataset config."

LOG = logging.getLogger(__name__)
_FORMATS = ("jsonl", "csv", "avro", "parquet")
_EXTENSIONS = {
    ".jsonl": "jsonl",
    ".json": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".avro": "avro",
    ".parquet": "parquet",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", required=True, help="file or glob (local or gs://)")
    parser.add_argument("--format", choices=_FORMATS, help="default: from the file extension, else jsonl")
    parser.add_argument(
        "--sample", type=int, default=1000, help="records sampled (uniformly at random; default 1000)"
    )
    parser.add_argument("--output", required=True, help="where to write the proposed dataset config (YAML)")
    parser.add_argument("--dataset", help="dataset name in the config (default: the input file's name)")
    parser.add_argument(
        "--keyset",
        help="keys.keyset written into the config when a proposal is keyed "
        "(default: keyset.json next to the config)",
    )
    parser.add_argument("--csv_delimiter", default=",", help="CSV delimiter (default ',')")
    parser.add_argument(
        "--min_hit_rate",
        type=float,
        default=DEFAULT_MIN_HIT_RATE,
        help=f"share of values that must be an infoType to propose it (default {DEFAULT_MIN_HIT_RATE})",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --output")
    parser.set_defaults(accepts_pipeline_args=True)


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return args.format
    stem = args.input.lower().rstrip("*")
    for suffix in (".gz", ".bz2"):
        stem = stem.removesuffix(suffix)
    return _EXTENSIONS.get(os.path.splitext(stem)[1], "jsonl")


def _dataset_name(args: argparse.Namespace) -> str:
    if args.dataset:
        return args.dataset
    base = os.path.basename(args.input.rstrip("/")).split(".")[0].replace("*", "")
    return base or "discovered"


def _source_path_for(config_path: str, input_pattern: str) -> str:
    """``input_pattern`` as the config should name it: relative paths in a config are relative to the file."""
    if is_uri(input_pattern) or is_uri(config_path):
        return input_pattern
    return os.path.relpath(os.path.abspath(input_pattern), os.path.dirname(os.path.abspath(config_path)))


def print_table(config_text: str) -> None:
    """The proposals table that heads the written config."""
    for line in config_text.splitlines():
        if line.startswith("#   "):
            print(line[4:])


def _writable_path(output: str) -> str:
    """A bare local file name (``proposed.yaml``) made absolute: Beam's local file system
    creates the parent folder first, and a bare name has none (``os.makedirs('')`` fails)."""
    return output if "://" in output else os.path.abspath(output)


def main(args: argparse.Namespace) -> int:
    import apache_beam as beam

    from veilwatch.pipelines.discover_pipeline import build_pipeline, write_proposal

    if args.sample < 1:
        print("veilwatch discover: --sample must be at least 1", file=sys.stderr)
        return 2
    if not 0 < args.min_hit_rate <= 1:
        print("veilwatch discover: --min_hit_rate must be in (0, 1]", file=sys.stderr)
        return 2
    if match_count(args.input) == 0:
        print(f"veilwatch discover: no input matches {args.input}", file=sys.stderr)
        return 2
    if FileSystems.exists(args.output) and not args.overwrite:
        print(f"veilwatch discover: {args.output} exists (pass --overwrite to replace it)", file=sys.stderr)
        return 2
    fmt = _format(args)
    source = SourceSpec(SourceFormat(fmt), args.input, csv_delimiter=args.csv_delimiter)
    options = PipelineOptions(args.pipeline_args, save_main_session=False)
    try:
        with beam.Pipeline(options=options) as pipeline:
            profiles = build_pipeline(pipeline, source, args.sample)
            write_proposal(
                profiles,
                _writable_path(args.output),
                min_hit_rate=args.min_hit_rate,
                dataset=_dataset_name(args),
                source_format=fmt,
                source_path=_source_path_for(args.output, args.input),
                keyset=args.keyset,
                csv_delimiter=args.csv_delimiter if fmt == "csv" else None,
            )
    except Exception as exc:  # noqa: BLE001 - reported, exit 1
        # Only the type: a traceback's message could quote a sampled value.
        LOG.error("discover pipeline failed: %s", type(exc).__name__)
        print(f"veilwatch discover: the pipeline failed ({type(exc).__name__})", file=sys.stderr)
        return 1
    if not FileSystems.exists(args.output):
        print("veilwatch discover: no record could be read, nothing proposed", file=sys.stderr)
        return 1
    with FileSystems.open(args.output) as handle:
        text = handle.read().decode("utf-8")
    print_table(text)
    print(
        f"\nproposed config written to {args.output}; review it, then "
        f"`veilwatch validate-config {args.output} --output_dir ...`"
    )
    return 0
