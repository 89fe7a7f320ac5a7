"""Turn a raw item into a record (a dict), or say why it cannot be one."""
from __future__ import annotations

import json
from typing import Any

from transforms.records.errors import RecordError


def parse_payload(payload: Any, error: str | None) -> dict:
    """A JSONL line (bytes) or an already structured row -> dict."""
    if error is not None:
        raise RecordError("read", error)
    if isinstance(payload, (bytes, bytearray)):
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RecordError("parse", f"line is not valid UTF-8 (byte {exc.start})") from None
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            # exc.msg describes the syntax problem only; the document is not quoted.
            raise RecordError("parse", f"invalid JSON: {exc.msg} at character {exc.pos}") from None
        except RecursionError:
            raise RecordError("parse", "invalid JSON: nested too deeply") from None
    else:
        record = payload
    if not isinstance(record, dict):
        raise RecordError("parse", f"record must be a JSON object, got {type(record).__name__}")
    return record
