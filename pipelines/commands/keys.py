"""``veilwatch keys``: create, rotate and list a dataset keyset (tink HMAC-SHA256 PRF keys).

    veilwatch keys create --out .veilwatch/demo_keyset.json
    veilwatch keys rotate --keyset .veilwatch/demo_keyset.json
    veilwatch keys list --keyset .veilwatch/demo_keyset.json
    veilwatch keys create --out keyset.enc.json \
        --kms_key_uri gcp-kms://projects/P/locations/L/keyRings/R/cryptoKeys/K

``create`` writes the keyset in clear (mode 0600; local runs and tests only)
or, with ``--kms_key_uri``, encrypted by that Cloud KMS key (tink's encrypted
keyset, as tinkey writes it). ``rotate`` adds a new primary key and keeps the
old ones, so tokens made before still re-identify; it rewrites the file
atomically. ``list`` prints key ids and status. Key bytes are never printed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

from veilwatch.transforms.config.model import KeysSpec
from veilwatch.transforms.keys.keyring import (
    KeysetError,
    describe,
    load_handle,
    new_keyset_handle,
    rotate,
    serialize_keyset,
)

NAME = "keys"
HELP = "Create, rotate and list dataset keysets."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    create = sub.add_parser(
        "create",
        help="create a tink keyset file (plaintext unless --kms_key_uri)",
        description="Create a tink HMAC-SHA256 PRF keyset file.",
    )
    create.add_argument("--out", required=True, help="file to write; refused if it exists")
    create.add_argument("--kms_key_uri", help="encrypt the keyset with this Cloud KMS key (gcp-kms://...)")
    for name, text in (
        ("rotate", "add a new primary key to a keyset file; old keys stay for re-identification"),
        ("list", "list the key ids of a keyset (no key material)"),
    ):
        cmd = sub.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        cmd.add_argument("--keyset", required=True, help="keyset file (local path)")
        cmd.add_argument(
            "--kms_key_uri", help="the Cloud KMS key the keyset is encrypted with (gcp-kms://...)"
        )


def main(args: argparse.Namespace) -> int:
    try:
        return {"create": _create, "rotate": _rotate, "list": _list}[args.keys_command](args)
    except KeysetError as exc:
        print(f"veilwatch: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a folder that cannot be made, a read-only disk ...: the path and the reason
        where = args.out if args.keys_command == "create" else args.keyset
        print(
            f"veilwatch: keys {args.keys_command}: cannot write {where} ({exc.strerror or type(exc).__name__})",
            file=sys.stderr,
        )
        return 2


def _create(args: argparse.Namespace) -> int:
    if os.path.lexists(args.out):  # lexists: a symbolic link, even one pointing nowhere, is refused too
        kind = "is a symbolic link" if os.path.islink(args.out) else "exists"
        print(f"veilwatch: {args.out} {kind}; refusing to overwrite a keyset", file=sys.stderr)
        return 2
    # Serialized before the file exists: a failure leaves no empty keyset behind.
    keyset = serialize_keyset(new_keyset_handle(), args.kms_key_uri)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(keyset)
    if args.kms_key_uri:
        print(f"wrote a KMS-encrypted keyset to {args.out}")
    else:
        print(f"wrote a plaintext keyset to {args.out} (keep it private; use KMS-wrapped keys in production)")
    return 0


def _load(args: argparse.Namespace):
    if "://" in args.keyset:
        raise KeysetError(
            "keys rotate/list work on a local keyset file; for Secret Manager, rotate a local "
            "copy and add it as a new secret version"
        )
    # The operator names the file on the command line: a plaintext keyset is expected here.
    return load_handle(KeysSpec(args.keyset, args.kms_key_uri), allow_plaintext=True)


def _rotate(args: argparse.Namespace) -> int:
    handle, new_id = rotate(_load(args))
    text = serialize_keyset(handle, args.kms_key_uri)
    directory = os.path.dirname(os.path.abspath(args.keyset))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".keyset-", suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text)
        os.replace(tmp, args.keyset)
    except BaseException:
        os.unlink(tmp)
        raise
    print(
        f"rotated {args.keyset}: new primary key id {new_id}; "
        f"{len(describe(handle)) - 1} older key(s) kept for re-identification"
    )
    return 0


def _list(args: argparse.Namespace) -> int:
    for key in describe(_load(args)):
        print(f"{key['key_id']:>10}  {key['status']:<8} {key['type']}{'  primary' if key['primary'] else ''}")
    return 0
