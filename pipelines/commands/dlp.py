"""``veilwatch dlp import`` / ``veilwatch dlp export``: Cloud DLP templates in and out.

    veilwatch dlp import --deidentify-template t.json [--inspect-template i.json] [--output config.yaml]
    veilwatch dlp export --dataset_config templates/datasets/payments.yaml [--output out.json]

``import`` reads the JSON the DLP API and console use (a ``DeidentifyTemplate``
``{name, displayName, deidentifyConfig}`` or a bare ``DeidentifyConfig``; likewise for
inspect templates), validates it with google-cloud-dlp's own message types and writes a
dataset config: the template as ``pii`` and ``schema.fields`` sections, placeholders for
the rest, every key section flagged with ``# FILL IN`` / ``# CHECK`` comments; the notes
are printed on stderr. ``export`` prints the ``DeidentifyConfig`` and ``InspectConfig`` a
dataset config means, in the camelCase JSON ``projects.deidentifyTemplates.create`` takes,
with warnings (keys DLP cannot use, veilwatch-only settings) on stderr.

Exit codes: 0 done, 2 a bad template, config or flag (the message names the key).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys

import yaml

NAME = "dlp"
HELP = "Cloud DLP templates: import a DeidentifyTemplate as a dataset config, export a config as DLP JSON."
DESCRIPTION = __doc__.split("\n\n", 2)[2].rsplit("\n\nExit codes", 1)[0] + (
    "\n\nExit codes: 0 done, 2 a bad template, config or flag (the message names the key)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    sub = parser.add_subparsers(dest="dlp_command", metavar="ACTION", required=True)
    imp = sub.add_parser(
        "import",
        help="DLP template JSON -> a dataset config YAML (key sections flagged)",
        description="Turn a DLP DeidentifyTemplate (and optionally an InspectTemplate) into a "
        "dataset config; notes on what to fill in go to stderr.",
    )
    imp.add_argument(
        "--deidentify-template",
        "--deidentify_template",
        dest="deidentify_template",
        required=True,
        help="JSON file: a DeidentifyTemplate {name, displayName, deidentifyConfig} or a DeidentifyConfig",
    )
    imp.add_argument(
        "--inspect-template",
        "--inspect_template",
        dest="inspect_template",
        help="JSON file: an InspectTemplate {name, displayName, inspectConfig} or an InspectConfig "
        "(becomes pii.detection)",
    )
    imp.add_argument(
        "--dataset", help="dataset name (default: from the template's displayName or the file name)"
    )
    imp.add_argument("--output", help="write the YAML here (default: stdout)")
    exp = sub.add_parser(
        "export",
        help="dataset config -> {deidentifyConfig, inspectConfig} DLP JSON",
        description="Print the DeidentifyConfig and InspectConfig a dataset config means "
        "(camelCase JSON, as projects.deidentifyTemplates.create takes it); "
        "warnings on stderr.",
    )
    exp.add_argument(
        "--dataset_config",
        "--dataset-config",
        dest="dataset_config",
        required=True,
        help="dataset config YAML (path or gs:// URI)",
    )
    exp.add_argument("--output", help="write the JSON here (default: stdout)")


def main(args: argparse.Namespace) -> int:
    return _import(args) if args.dlp_command == "import" else _export(args)


def _read(path: str, flag: str) -> str | None:
    """The file's text, read no further than a template can be (a larger file fails its parse)."""
    from veilwatch.transforms.dlp.convert import MAX_TEMPLATE_CHARS

    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read(MAX_TEMPLATE_CHARS + 1)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"veilwatch dlp import: {flag}: cannot read {path} ({type(exc).__name__})", file=sys.stderr)
        return None


def _import(args: argparse.Namespace) -> int:
    from veilwatch.transforms.dlp.convert import (
        TemplateError,
        dataset_config_from_templates,
        parse_deidentify_template,
        parse_inspect_template,
    )

    text = _read(args.deidentify_template, "--deidentify-template")
    if text is None:
        return 2
    inspect_text = _read(args.inspect_template, "--inspect-template") if args.inspect_template else ""
    if inspect_text is None:
        return 2
    try:
        deidentify = parse_deidentify_template(text)
    except TemplateError as exc:
        print(
            f"veilwatch dlp import: --deidentify-template {args.deidentify_template}: {exc}", file=sys.stderr
        )
        return 2
    inspect = None
    if args.inspect_template:
        try:
            inspect = parse_inspect_template(inspect_text)
        except TemplateError as exc:
            print(f"veilwatch dlp import: --inspect-template {args.inspect_template}: {exc}", file=sys.stderr)
            return 2
    dataset = args.dataset or _dataset_name(
        getattr(deidentify, "display_name", "")
        or os.path.splitext(os.path.basename(args.deidentify_template))[0]
    )
    try:
        document, notes = dataset_config_from_templates(deidentify, inspect, dataset)
    except TemplateError as exc:
        path = args.inspect_template if exc.flag == "--inspect-template" else args.deidentify_template
        print(f"veilwatch dlp import: {exc.flag} {path}: {exc}", file=sys.stderr)
        return 2
    rendered = render_yaml(document, notes, args.deidentify_template)
    if args.output:
        if not _write(args.output, rendered, "import"):
            return 2
        print(
            f"wrote {args.output}: dataset '{dataset}', {len(document['pii'].get('fields', []))} pii.fields items; "
            f"{len(notes)} notes",
            file=sys.stderr,
        )
    else:
        sys.stdout.write(rendered)
    for note in notes:
        print(f"note: {one_line(note)}", file=sys.stderr)
    return 0


def one_line(text: str) -> str:
    """``text`` with its control characters escaped: a note is one comment line of the YAML (a
    newline from a template would start a config line) and one line of the terminal."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def _write(path: str, text: str, action: str) -> bool:
    try:
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        print(
            f"veilwatch dlp {action}: --output: cannot write {path} ({type(exc).__name__})", file=sys.stderr
        )
        return False
    return True


def _dataset_name(text: str) -> str:
    name = re.sub(r"[^a-z0-9_]+", "_", text.lower()).strip("_")
    return name or "imported"


# A line ``key: <a placeholder>`` (FILL_ME.jsonl, FILL+ME+ ...): one word holding FILL after a key.
# Not any line with FILL in it: a long value the template gives (a replaceConfig text) is folded
# over several lines, and a comment added to one of them would become part of the value.
_PLACEHOLDER_LINE = re.compile(r"(?:- )?[A-Za-z_][A-Za-z0-9_]*: '?[^\s']*FILL[^\s']*'?")


def render_yaml(document: dict, notes: list[str], source: str) -> str:
    """The config as YAML: the notes as a comment block on top, and a ``# FILL IN`` / ``# CHECK``
    comment above every key section (``cryptoKey``) and on every placeholder line."""
    header = [
        f"# Dataset config imported from the DLP template {one_line(os.path.basename(source))} by "
        "`veilwatch dlp import`.",
        "# Check every note below, then run `veilwatch validate-config` on this file.",
    ]
    header += [f"# {'' if n.startswith(('FILL IN', 'CHECK')) else 'NOTE: '}{one_line(n)}" for n in notes]
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=120)
    lines = []
    for line in body.splitlines():
        stripped = line.lstrip()
        if stripped.startswith("cryptoKey:"):
            indent = line[: len(line) - len(stripped)]
            lines.append(f"{indent}# FILL IN / CHECK: key section (see the notes at the top)")
        if _PLACEHOLDER_LINE.fullmatch(stripped):
            line = f"{line}  # FILL IN"
        lines.append(line)
    return "\n".join(header + lines) + "\n"


def _export(args: argparse.Namespace) -> int:
    from veilwatch.transforms.config.errors import ConfigError
    from veilwatch.transforms.config_loading.loader import ConfigOverrides, load_config
    from veilwatch.transforms.dlp.convert import export_document

    try:
        # Only schema and pii matter here: the run-time places are satisfied with placeholders.
        config = load_config(args.dataset_config, ConfigOverrides(output_dir="unused", keyset="unused"))
    except ConfigError as exc:
        print(f"veilwatch dlp export: invalid dataset config {args.dataset_config}:\n{exc}", file=sys.stderr)
        return 2
    document, warnings = export_document(config)
    text = json.dumps(document, indent=2) + "\n"
    if args.output:
        if not _write(args.output, text, "export"):
            return 2
    else:
        sys.stdout.write(text)
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0
