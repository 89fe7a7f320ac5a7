"""The ``veilwatch`` command line.

    veilwatch run --dataset_config templates/datasets/payments.yaml --output_dir out/demo
    veilwatch validate-config templates/datasets/payments.yaml
    veilwatch <command> --help

Each subcommand lives in ``pipelines/commands/<name>.py`` and exposes
``NAME``, ``HELP``, ``add_arguments(parser)`` and ``main(args) -> int``.
Exit codes: 0 success, 1 the run failed, 2 bad usage or bad configuration.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings
from collections.abc import Sequence

# The Google client libraries warn at import about future Python and grpcio
# support; that is noise for a command-line user, not something to act on.
warnings.filterwarnings("ignore", category=FutureWarning, module=r"google\..*")

# Module names under veilwatch.pipelines.commands, in the order --help lists them.
COMMAND_MODULES = (
    "run",
    "validate_config",
    "config_schema",
    "generate_sample",
    "keys",
    "scan",
    "reidentify",
    "discover",
    "dlp",
    "report",
)


def _load_commands():
    return [importlib.import_module(f"veilwatch.pipelines.commands.{m}") for m in COMMAND_MODULES]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="veilwatch",
        description="De-identify PII in records and flag anomalous windows (Apache Beam).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _load_commands():
        cmd = sub.add_parser(
            module.NAME, help=module.HELP, description=getattr(module, "DESCRIPTION", module.HELP)
        )
        module.add_arguments(cmd)
        cmd.set_defaults(_handler=module.main)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    args.pipeline_args = extra
    if extra and not getattr(args, "accepts_pipeline_args", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return int(args._handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
