"""Recognizers for the custom infoTypes a dataset config declares (regex + validator, or words)."""
from __future__ import annotations

import re

from transforms.detection.context import words_pattern
from transforms.detection.recognizer import Recognizer, RegexRecognizer
from transforms.detection.settings import CustomInfoType
from transforms.detection.validators import named_validator


def build_custom(spec: CustomInfoType) -> Recognizer:
    """The recognizer for one custom infoType (its config was validated by the settings parser)."""
    if spec.words:
        return RegexRecognizer(spec.name, words_pattern(spec.words), likelihood=spec.likelihood)
    flags = re.IGNORECASE if spec.ignore_case else 0
    validator = named_validator(spec.validator) if spec.validator else None
    return RegexRecognizer(spec.name, re.compile(spec.regex, flags), likelihood=spec.likelihood, validator=validator)
