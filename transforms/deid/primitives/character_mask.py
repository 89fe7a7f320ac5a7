"""characterMaskConfig: mask characters with a fixed character, as Cloud DLP does.

Parameters (DLP names): ``maskingCharacter`` (default ``*``, also when ``""``), ``numberToMask``
(0 or absent: all; negative: all but the last ``-n``, or the first ``-n`` with
``reverseOrder``), ``reverseOrder`` (mask from the end), ``charactersToIgnore``
(a list of ``{charactersToSkip: "-"}`` or ``{commonCharactersToIgnore:
NUMERIC|ALPHA_UPPER_CASE|ALPHA_LOWER_CASE|PUNCTUATION|WHITESPACE}``): skipped
characters are neither masked nor counted.

    1234-5678-9012-3456, numberToMask: -4, charactersToIgnore: [{charactersToSkip: "-"}]
    -> ****-****-****-3456
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from veilwatch.transforms.config.errors import ConfigError, ConfigIssue
from veilwatch.transforms.config.reader import Node
from veilwatch.transforms.deid.base import PrimitiveSpec, Transformation, ValueContext

COMMON_CHARACTERS = {
    "NUMERIC": frozenset(string.digits),
    "ALPHA_UPPER_CASE": frozenset(string.ascii_uppercase),
    "ALPHA_LOWER_CASE": frozenset(string.ascii_lowercase),
    "PUNCTUATION": frozenset(string.punctuation),
    "WHITESPACE": frozenset(string.whitespace),
}
_KEYS = ("maskingCharacter", "numberToMask", "reverseOrder", "charactersToIgnore")


@dataclass(frozen=True)
class CharacterMaskParams:
    masking_character: str = "*"
    number_to_mask: int = 0
    reverse_order: bool = False
    characters_to_ignore: frozenset[str] = frozenset()


def parse_character_mask(params: Mapping[str, Any] | None, path: str) -> CharacterMaskParams:
    params = params or {}
    if not isinstance(params, Mapping):
        raise ConfigError(ConfigIssue(path, "expected a mapping of characterMaskConfig parameters"))
    issues: list[ConfigIssue] = []
    Node(dict(params), path, issues).reject_unknown(_KEYS)
    # "" is DLP's unset character (proto3 cannot tell them apart: the Go samples pass ""): the default.
    char = params.get("maskingCharacter", "*")
    if char == "":
        char = "*"
    if not isinstance(char, str) or len(char) != 1:
        issues.append(ConfigIssue(f"{path}.maskingCharacter", "must be exactly one character"))
    number = params.get("numberToMask", 0)
    if not isinstance(number, int) or isinstance(number, bool):
        issues.append(ConfigIssue(f"{path}.numberToMask", "must be an integer"))
    reverse = params.get("reverseOrder", False)
    if not isinstance(reverse, bool):
        issues.append(ConfigIssue(f"{path}.reverseOrder", "must be true or false"))
    ignore: set[str] = set()
    to_ignore = params.get("charactersToIgnore", [])
    if not isinstance(to_ignore, list):
        issues.append(ConfigIssue(f"{path}.charactersToIgnore", "expected a list"))
        to_ignore = []
    for i, item in enumerate(to_ignore):
        where = f"{path}.charactersToIgnore[{i}]"
        if isinstance(item, Mapping) and isinstance(item.get("charactersToSkip"), str) and len(item) == 1:
            ignore.update(item["charactersToSkip"])
        elif (
            isinstance(item, Mapping)
            and len(item) == 1
            and item.get("commonCharactersToIgnore") in COMMON_CHARACTERS
        ):
            ignore.update(COMMON_CHARACTERS[item["commonCharactersToIgnore"]])
        else:
            issues.append(
                ConfigIssue(
                    where,
                    "must be {charactersToSkip: <chars>} or {commonCharactersToIgnore: "
                    f"{'|'.join(COMMON_CHARACTERS)}}}",
                )
            )
    if issues:
        raise ConfigError(issues)
    return CharacterMaskParams(char, number, reverse, frozenset(ignore))


class CharacterMask(Transformation):
    def __init__(self, params: CharacterMaskParams):
        self.p = params

    def transform(self, value: Any, ctx: ValueContext) -> Any:
        text = value if isinstance(value, str) else str(value)
        p = self.p
        maskable = [i for i, ch in enumerate(text) if ch not in p.characters_to_ignore]
        n = p.number_to_mask
        if n == 0:
            chosen = maskable
        elif n > 0:
            chosen = maskable[-n:] if p.reverse_order else maskable[:n]
        else:  # negative: mask all but |n| characters at the far end
            keep = -n
            chosen = maskable[keep:] if p.reverse_order else maskable[: max(len(maskable) - keep, 0)]
        if not chosen:
            return text
        chars = list(text)
        for i in chosen:
            chars[i] = p.masking_character
        return "".join(chars)


CHARACTER_MASK = PrimitiveSpec("characterMaskConfig", parse_character_mask, lambda p, keys: CharacterMask(p))
