"""How commands report failures: one wording and exit code for each kind.

Messages carry the config path, key paths and exception types, never values:
a traceback's text could quote a record.
"""

from __future__ import annotations

import logging
import sys

from veilwatch.pipelines.preflight import PreflightError
from veilwatch.transforms.config.errors import ConfigError

EXIT_PIPELINE_FAILED = 1
EXIT_BAD_START = 2  # bad config, input, keys or output: nothing was written


def report_bad_start(exc: ConfigError | PreflightError, config_path: str) -> int:
    if isinstance(exc, ConfigError):
        print(f"veilwatch: invalid dataset config {config_path}:\n{exc}", file=sys.stderr)
    else:
        print(f"veilwatch: {exc}", file=sys.stderr)
    return EXIT_BAD_START


def report_pipeline_failure(exc: BaseException, logger: logging.Logger) -> int:
    logger.error("pipeline failed: %s", type(exc).__name__)
    print(f"veilwatch: the pipeline failed ({type(exc).__name__}); see the log above", file=sys.stderr)
    return EXIT_PIPELINE_FAILED
