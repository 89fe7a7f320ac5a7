"""Cloud DLP's limits for ``content.*`` requests, and how an API error is handled.

Limits (https://cloud.google.com/dlp/limits): a request is at most 0.5 MB, a
table item at most 50,000 values, and de-identification refuses a request with
more than 3,000 findings (inspection instead stops and marks its result
``findings_truncated``). The default quota is 600 requests per minute per
project.

:func:`classify` sorts an API error into what the caller does next:

* ``RETRY``: RESOURCE_EXHAUSTED (quota), UNAVAILABLE, DEADLINE_EXCEEDED: back
  off with jitter and send the same request again, a bounded number of times.
* ``SPLIT``: INVALID_ARGUMENT saying the request is too large, holds too many
  values or has too many findings: send each half separately.
* ``ISOLATE``: any other INVALID_ARGUMENT. DLP refuses a whole request when one
  value cannot be transformed (``transformationErrorHandling: throwError``, its
  default), so the batch is split to find the rows at fault, within a budget of
  requests (a config DLP refuses fails every row: splitting must stop somewhere).
* ``FAIL``: anything else (permissions, not found): the rows go to the dead
  letter with the status name; the API's message is not copied (it may quote data).
"""

from __future__ import annotations

import enum
import re

MAX_REQUEST_BYTES = 524_288  # 0.5 MB
MAX_TABLE_VALUES = 50_000
MAX_FINDINGS = 3_000

# INVALID_ARGUMENT messages that mean "this request is too big", not "this config is wrong".
# Reported by DLP as e.g. "Content size 637480 exceeds limit of 524288" and
# "Too many findings to de-identify. Retry with a smaller request."
_TOO_BIG = re.compile(
    r"exceeds? (the )?limit|too many (findings|values|rows|cells)|too large|smaller request", re.IGNORECASE
)

RETRYABLE_CODES = frozenset({"RESOURCE_EXHAUSTED", "UNAVAILABLE", "DEADLINE_EXCEEDED"})


class Handling(enum.Enum):
    RETRY = "retry"
    SPLIT = "split"
    ISOLATE = "isolate"
    FAIL = "fail"


def status_name(exc: BaseException) -> str:
    """The gRPC status name of a google.api_core error (``UNAVAILABLE`` ...), else the type name."""
    code = getattr(exc, "grpc_status_code", None)
    if code is not None:
        return code.name
    return type(exc).__name__


def classify(exc: BaseException) -> Handling:
    name = status_name(exc)
    if name in RETRYABLE_CODES:
        return Handling.RETRY
    if name == "INVALID_ARGUMENT":
        return Handling.SPLIT if _TOO_BIG.search(str(getattr(exc, "message", "")) or "") else Handling.ISOLATE
    return Handling.FAIL
