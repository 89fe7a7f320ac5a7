"""``veilwatch scan``: run the detection engine over a JSONL file of texts.

    veilwatch scan --input texts.jsonl --output findings.jsonl [--detection-config cfg.yaml]

Each input line is ``{"text": ...}`` (other keys are ignored); each output line,
in the same order, is ``{"findings": [{"start", "end", "info_type",
"likelihood"}]}``. No matched value is ever written or logged. A line that is
not a JSON object with a string ``text``, or a text longer than
``max_text_chars``, gets ``{"findings": [], "error": "<reason>"}`` so that the
output stays line-for-line with the input. It uses the same engine and default
catalog as the pipeline; it is what the accuracy benchmark runs.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time

from transforms.config.errors import ConfigError
from transforms.detection import DetectionEngine, parse_detection_settings

NAME = "scan"
HELP = "Scan texts (JSONL lines with a 'text' key) for PII and write findings line for line."

LOG = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", required=True, help="JSONL file, one {\"text\": ...} per line ('-' = stdin)")
    parser.add_argument("--output", required=True, help="JSONL file for the findings ('-' = stdout)")
    parser.add_argument(
        "--detection-config",
        help="YAML file: a 'detection' mapping (or a dataset config containing one); default: built-in catalog",
    )
    parser.add_argument("--min-likelihood", help="override min_likelihood (VERY_UNLIKELY .. VERY_LIKELY)")


def _load_settings(args: argparse.Namespace):
    mapping = None
    path = "detection"
    if args.detection_config:
        import yaml

        with open(args.detection_config, encoding="utf-8") as handle:
            doc = yaml.safe_load(handle) or {}
        mapping = doc.get("detection", doc) if isinstance(doc, dict) else doc
        if not isinstance(doc, dict) or "detection" not in doc:
            path = "detection"
    if args.min_likelihood:
        mapping = dict(mapping or {})
        mapping["min_likelihood"] = args.min_likelihood
    return parse_detection_settings(mapping, path)


def _open(path: str, mode: str):
    if path == "-":
        return sys.stdin if "r" in mode else sys.stdout
    return open(path, mode, encoding="utf-8")


def main(args: argparse.Namespace) -> int:
    try:
        settings = _load_settings(args)
    except ConfigError as exc:
        print(f"veilwatch scan: invalid detection config:\n{exc}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"veilwatch scan: cannot read the detection config ({type(exc).__name__})", file=sys.stderr)
        return 2
    engine = DetectionEngine(settings)
    lines = errors = findings = 0
    started = time.perf_counter()
    try:
        source, sink = _open(args.input, "r"), _open(args.output, "w")
    except OSError as exc:
        print(f"veilwatch scan: {exc.strerror}: {exc.filename}", file=sys.stderr)
        return 2
    with source, sink:
        for line_number, line in enumerate(source, 1):
            if not line.strip():
                continue
            lines += 1
            out: dict = {"findings": []}
            try:
                record = json.loads(line)
                text = record.get("text") if isinstance(record, dict) else None
            except ValueError:
                text = None
                out["error"] = "not a JSON line"
            if text is None and "error" not in out:
                out["error"] = "no string 'text' key"
            elif isinstance(text, str):
                if engine.text_too_long(text):
                    out["error"] = f"text longer than max_text_chars ({settings.max_text_chars})"
                else:
                    found = engine.scan(text)
                    findings += len(found)
                    out["findings"] = [f.to_json() for f in found]
            elif "error" not in out:
                out["error"] = "'text' is not a string"
            if "error" in out:
                errors += 1
                LOG.warning("line %d skipped: %s", line_number, out["error"])
            sink.write(json.dumps(out) + "\n")
    elapsed = time.perf_counter() - started
    print(
        f"scanned {lines} lines ({errors} skipped), {findings} findings in {elapsed:.2f}s",
        file=sys.stderr,
    )
    return 0
