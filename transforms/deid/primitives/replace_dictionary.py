"""replaceDictionaryConfig: replace a value with a word from a list, as Cloud DLP.

Parameters (DLP names): ``wordList: {words: [...]}``.

DLP picks the word at random; veilwatch picks it with a keyed HMAC of the
value (the dataset keyset's primary key), so the same value always gets the
same word across records and runs (groups and joins survive) while the word
reveals nothing without the key. One-way: several values share a word.

    replaceDictionaryConfig: {wordList: {words: [Alex, Sam, Kim]}}
    "Jane Doe" -> "Kim" (always, for this key)
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from veilwatch.transforms.config.errors import ConfigIssue
from veilwatch.transforms.deid.base import (
    KeyProvider,
    PrimitiveSpec,
    Transformation,
    ValueContext,
    require_keys,
)
from veilwatch.transforms.deid.primitives.common import as_mapping, raise_issues, reject_unknown

NAME = "replaceDictionaryConfig"
# DLP's limit on a dictionary is far larger; a word list in a YAML config of
# more than this is better kept as a file, which the local engine does not read.
MAX_WORDS = 100_000


@dataclass(frozen=True)
class ReplaceDictionaryParams:
    words: tuple[str, ...]


def parse_replace_dictionary(params: Mapping[str, Any] | None, path: str) -> ReplaceDictionaryParams:
    issues: list[ConfigIssue] = []
    params = as_mapping(params, path, NAME, issues)
    reject_unknown(params, ("wordList",), path, issues)
    words: tuple[str, ...] = ()
    word_list = params.get("wordList")
    if not (
        isinstance(word_list, Mapping)
        and set(word_list) == {"words"}
        and isinstance(word_list["words"], list)
    ):
        issues.append(ConfigIssue(f"{path}.wordList", "is required: {words: [<word>, ...]}"))
    elif not word_list["words"] or len(word_list["words"]) > MAX_WORDS:
        issues.append(ConfigIssue(f"{path}.wordList.words", f"must hold 1 to {MAX_WORDS} words"))
    elif not all(isinstance(w, str) for w in word_list["words"]):
        issues.append(ConfigIssue(f"{path}.wordList.words", "must be a list of strings"))
    else:
        words = tuple(word_list["words"])
    raise_issues(issues)
    return ReplaceDictionaryParams(words)


class ReplaceDictionary(Transformation):
    def __init__(self, params: ReplaceDictionaryParams, keys: KeyProvider | None):
        self._words = params.words
        self._key = require_keys(keys, NAME).raw_key(None, NAME)

    def transform(self, value: Any, ctx: ValueContext) -> Any:
        data = value.encode("utf-8") if isinstance(value, str) else str(value).encode("utf-8")
        digest = hmac.new(self._key, data, hashlib.sha256).digest()
        # 64 bits modulo a list of at most 1e5 words: the bias is below 1e-14.
        return self._words[int.from_bytes(digest[:8], "big") % len(self._words)]


REPLACE_DICTIONARY = PrimitiveSpec(
    NAME, parse_replace_dictionary, lambda p, keys: ReplaceDictionary(p, keys), needs_keys=True
)
