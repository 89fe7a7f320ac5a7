"""``veilwatch validate-config FILE``: check a dataset config without running anything.

Exit 0 when valid (prints a one-line summary), 2 with one line per problem
(key path: what is wrong) when not.
"""

from __future__ import annotations

import argparse
import sys

from veilwatch.transforms.config.errors import ConfigError
from veilwatch.transforms.config_loading.loader import ConfigOverrides, load_config

NAME = "validate-config"
HELP = "Check a dataset config and report every problem by key path (exit 2 if invalid)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="dataset config YAML (path or gs:// URI)")
    parser.add_argument(
        "--output_dir", help="as for run: satisfies sinks.output_dir when the file leaves it out"
    )
    parser.add_argument("--keyset", help="as for run: satisfies keys.keyset when the file leaves it out")


def main(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config, ConfigOverrides(output_dir=args.output_dir, keyset=args.keyset))
    except ConfigError as exc:
        print(f"veilwatch: invalid dataset config {args.config}:\n{exc}", file=sys.stderr)
        return 2
    print(
        f"{args.config}: valid dataset config '{config.dataset}' ({len(config.fields)} fields, "
        f"{len(config.pii.fields)} declared PII fields, {len(config.pii.scan_fields)} scanned, "
        f"{len(config.metrics)} metrics, detector {config.detector.type})"
    )
    return 0
