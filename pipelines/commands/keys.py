"""``veilwatch keys create``: make a dataset keyset (tink HMAC-SHA256 PRF keys).

    veilwatch keys create --out .veilwatch/demo_keyset.json

The keyset is written in clear (mode 0600) and is only for local runs and
tests; the key bytes are never printed.
"""
from __future__ import annotations

import argparse
import os
import sys

from transforms.keys.keyring import create_plaintext_keyset

NAME = "keys"
HELP = "Create dataset keysets."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    create = sub.add_parser("create", help="create a plaintext tink keyset file (local use only)",
                            description="Create a plaintext tink HMAC-SHA256 PRF keyset file (local use only).")
    create.add_argument("--out", required=True, help="file to write; refused if it exists")


def main(args: argparse.Namespace) -> int:
    if os.path.exists(args.out):
        print(f"veilwatch: {args.out} exists; refusing to overwrite a keyset", file=sys.stderr)
        return 2
    keyset = create_plaintext_keyset()  # before the file exists: a failure leaves no empty keyset behind
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(keyset)
    print(f"wrote a plaintext keyset to {args.out} (keep it private; use KMS-wrapped keys in production)")
    return 0
