"""Why a record could not be processed, in words safe to store next to it.

A :class:`RecordError` message names stages, field paths and types, never a
value: it is written to the dead letters, which must carry no PII.
"""

from __future__ import annotations


class RecordError(ValueError):
    def __init__(self, stage: str, message: str):
        super().__init__(message)
        self.stage = stage
        self.message = message
