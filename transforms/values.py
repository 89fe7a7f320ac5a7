"""Describe a value for an error message without revealing it."""

from __future__ import annotations

from typing import Any


def kind_of(value: Any, mapping_word: str = "a mapping") -> str:
    """``"a string"``, ``"a number"`` ...: a value's kind, never the value (it may be personal data)."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return mapping_word
    if isinstance(value, list):
        return "a list"
    return type(value).__name__
