"""``veilwatch config-schema``: print the dataset config's JSON Schema, for editors.

    veilwatch config-schema > dataset-config.schema.json

The same schema is checked in as ``templates/dataset-config.schema.json``; the
example configs name it in their first line (``# yaml-language-server: $schema=...``),
which editors with the YAML language server (VS Code's YAML extension, IntelliJ)
read for completion and checks as you type. ``veilwatch validate-config`` remains
the authority: it also checks what involves more than one key.
"""

from __future__ import annotations

import argparse
import sys

from veilwatch.transforms.config_loading.json_schema import schema_text

NAME = "config-schema"
HELP = "Print the JSON Schema of the dataset config (for editors; validate-config checks more)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", help="write it to this file instead of standard output")


def main(args: argparse.Namespace) -> int:
    text = schema_text()
    if args.out:
        try:
            with open(args.out, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            print(f"veilwatch config-schema: cannot write {args.out}: {type(exc).__name__}", file=sys.stderr)
            return 2
    else:
        sys.stdout.write(text)
    return 0
