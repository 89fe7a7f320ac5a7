"""Cut a list of rows into requests that respect every DLP limit at once.

Each row has a serialized size (bytes it adds to the request), a number of
table values and an estimate of its findings. A batch closes before any of the
three would pass its limit (``limits.py``); a row that alone passes one still
gets a batch of its own (the API then answers, and the caller dead-letters it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from veilwatch.transforms.dlp.limits import MAX_FINDINGS, MAX_REQUEST_BYTES, MAX_TABLE_VALUES

# Bytes kept free for what the size of a row does not count (the item and table wrappers).
SIZE_MARGIN = 1024


class RowCost(NamedTuple):
    size: int  # serialized bytes, with the field tag and length prefix
    values: int
    findings: int  # estimate


class Limits(NamedTuple):
    max_bytes: int = MAX_REQUEST_BYTES
    max_values: int = MAX_TABLE_VALUES
    max_findings: int = MAX_FINDINGS


DLP_LIMITS = Limits()  # DLP's own request limits, the default everywhere


def plan_batches(costs: Sequence[RowCost], overhead_bytes: int, limits: Limits = DLP_LIMITS) -> list[range]:
    """Consecutive index ranges of ``costs``, each within the limits (see module docstring)."""
    budget = limits.max_bytes - overhead_bytes - SIZE_MARGIN
    batches: list[range] = []
    start = 0
    size = values = findings = 0
    for i, cost in enumerate(costs):
        if i > start and (
            size + cost.size > budget
            or values + cost.values > limits.max_values
            or findings + cost.findings > limits.max_findings
        ):
            batches.append(range(start, i))
            start, size, values, findings = i, 0, 0, 0
        size += cost.size
        values += cost.values
        findings += cost.findings
    if start < len(costs):
        batches.append(range(start, len(costs)))
    return batches


def varint_size(n: int) -> int:
    size = 1
    while n >= 0x80:
        n >>= 7
        size += 1
    return size


def field_size(payload_bytes: int) -> int:
    """Bytes a length-delimited field of ``payload_bytes`` takes on the wire (tag < 16)."""
    return 1 + varint_size(payload_bytes) + payload_bytes
