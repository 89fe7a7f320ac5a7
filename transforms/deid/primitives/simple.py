"""Keyless DLP primitives: replaceConfig, redactConfig, replaceWithInfoTypeConfig.

Each follows Cloud DLP's semantics for a whole value; applied to a finding in
free text, the value is the matched span and the result replaces it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from veilwatch.transforms.config.errors import ConfigError, ConfigIssue
from veilwatch.transforms.config.reader import Node
from veilwatch.transforms.deid.base import PrimitiveSpec, Transformation, ValueContext
from veilwatch.transforms.deid.primitives.common import parse_value, raise_issues


@dataclass(frozen=True)
class ReplaceParams:
    new_value: Any


def parse_replace(params: Mapping[str, Any] | None, path: str) -> ReplaceParams:
    """``replaceConfig: {newValue: {stringValue: "n/a"}}``: every kind of DLP ``Value`` in DLP's JSON
    form (``{integerValue: "10"}``, ``{dateValue: {year: 2016, month: 1, day: 15}}`` ...), written into
    the record in its natural JSON form (see :func:`~veilwatch.transforms.deid.primitives.common.parse_value`);
    a bare scalar is accepted too."""
    if not isinstance(params, Mapping) or "newValue" not in params:
        raise ConfigError(
            ConfigIssue(f"{path}.newValue", "is required (e.g. newValue: {stringValue: 'n/a'})")
        )
    issues: list[ConfigIssue] = []
    Node(dict(params), path, issues).reject_unknown(("newValue",))
    if issues:  # the first unknown key by name, as before
        raise ConfigError(min(issues, key=lambda issue: issue.path))
    value = parse_value(params["newValue"], f"{path}.newValue", issues)
    raise_issues(issues)
    return ReplaceParams(value)


class Replace(Transformation):
    constant_output = True

    def __init__(self, params: ReplaceParams):
        self.new_value = params.new_value

    def transform(self, value: Any, ctx: ValueContext) -> Any:
        return self.new_value


class Redact(Transformation):
    """Removes the value: an empty string for a field, nothing for a span of text."""

    constant_output = True

    def transform(self, value: Any, ctx: ValueContext) -> Any:
        return ""


class ReplaceWithInfoType(Transformation):
    """Replaces the value with its infoType in brackets, as DLP does: ``[EMAIL_ADDRESS]``."""

    constant_output = True  # the infoType is the field's, fixed

    def transform(self, value: Any, ctx: ValueContext) -> Any:
        return f"[{ctx.info_type or 'REDACTED'}]"


def parse_no_params(params: Mapping[str, Any] | None, path: str) -> None:
    if params not in (None, {}):
        raise ConfigError(ConfigIssue(path, "takes no parameters (write {} or nothing)"))
    return None


REPLACE = PrimitiveSpec("replaceConfig", parse_replace, lambda p, keys: Replace(p))
REDACT = PrimitiveSpec("redactConfig", parse_no_params, lambda p, keys: Redact())
REPLACE_WITH_INFO_TYPE = PrimitiveSpec(
    "replaceWithInfoTypeConfig", parse_no_params, lambda p, keys: ReplaceWithInfoType()
)
