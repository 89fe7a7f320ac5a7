"""Detectors by name: validate a YAML mapping into a DetectorSpec, build a Detector.

    spec = parse_detector({"type": "seasonal", "threshold": 4, "direction": "both",
                           "min_abs_change": 5, "warmup": 8, "season": "week"},
                          path="datasets.orders.anomaly.detector")
    detector = build_detector(spec)

    parse_detector({"type": "ensemble", "mode": "all", "members": [
        {"type": "seasonal", "season": "day"}, {"type": "robust_zscore", "history": 96}]}, "d")

Every problem found is reported at once as a ``ConfigError`` whose issues
name the key path ("d.members[1].history") and say what is wrong; values are
never echoed (they could be personal data), only key names, types and choices.
A spec turns back into its mapping with :meth:`DetectorSpec.to_dict`, so it
travels to workers as plain JSON.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from veilwatch.transforms.anomaly.base import Detector, Direction
from veilwatch.transforms.anomaly.cooldown import Cooldown
from veilwatch.transforms.anomaly.detectors.art import Art, ArtParams, is_power_of_two
from veilwatch.transforms.anomaly.detectors.beam_adapter import BeamDetector, BeamDetectorParams
from veilwatch.transforms.anomaly.detectors.bocpd import Bocpd, BocpdParams
from veilwatch.transforms.anomaly.detectors.context import Context, ContextParams
from veilwatch.transforms.anomaly.detectors.cusum import Cusum, CusumParams
from veilwatch.transforms.anomaly.detectors.ensemble import Ensemble, EnsembleParams
from veilwatch.transforms.anomaly.detectors.ewma import Ewma, EwmaParams
from veilwatch.transforms.anomaly.detectors.extreme import Extreme, ExtremeParams
from veilwatch.transforms.anomaly.detectors.iqr import Iqr, IqrParams
from veilwatch.transforms.anomaly.detectors.likelihood import Likelihood, LikelihoodParams
from veilwatch.transforms.anomaly.detectors.multiscale import Multiscale, MultiscaleParams
from veilwatch.transforms.anomaly.detectors.quiet import Quiet, QuietParams
from veilwatch.transforms.anomaly.detectors.relative_entropy import RelativeEntropy, RelativeEntropyParams
from veilwatch.transforms.anomaly.detectors.robust_zscore import RobustZScore, RobustZScoreParams
from veilwatch.transforms.anomaly.detectors.seasonal import Seasonal, SeasonalParams
from veilwatch.transforms.anomaly.detectors.volatility import Volatility, VolatilityParams
from veilwatch.transforms.config.errors import ConfigError, ConfigIssue

# type name -> (detector class, params class); "ensemble" is built from its members,
# "likelihood" from the one detector (key ``detector``) whose raw scores it models; "cusum"
# sums its own z-scores, or a member detector's scores when it has a ``detector``; "multiscale"
# runs its ``detector`` on aggregates of the last ``scale`` windows.
DETECTORS: dict[str, tuple[type, type]] = {
    "robust_zscore": (RobustZScore, RobustZScoreParams),
    "ewma": (Ewma, EwmaParams),
    "seasonal": (Seasonal, SeasonalParams),
    "iqr": (Iqr, IqrParams),
    "cusum": (Cusum, CusumParams),
    "bocpd": (Bocpd, BocpdParams),
    "beam": (BeamDetector, BeamDetectorParams),
    "ensemble": (Ensemble, EnsembleParams),
    "likelihood": (Likelihood, LikelihoodParams),
    "context": (Context, ContextParams),
    "relative_entropy": (RelativeEntropy, RelativeEntropyParams),
    "multiscale": (Multiscale, MultiscaleParams),
    "art": (Art, ArtParams),
    "volatility": (Volatility, VolatilityParams),
    "extreme": (Extreme, ExtremeParams),
    "quiet": (Quiet, QuietParams),
}

# types that wrap one detector given under the key ``detector`` (required unless cusum)
WRAPPERS = ("likelihood", "cusum", "multiscale", "bocpd")
REQUIRED_MEMBER = {
    "likelihood": "expected the detector whose raw scores are modelled",
    "multiscale": "expected the detector that scores the aggregated windows",
}


@dataclass(frozen=True)
class DetectorSpec:
    """A validated detector config: its type, typed params and (ensembles only) members."""

    type: str
    params: Any
    members: tuple[DetectorSpec, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        for f in dataclasses.fields(self.params):
            value = getattr(self.params, f.name)
            out[f.name] = value.value if isinstance(value, enum.Enum) else value
        if self.type == "ensemble":
            out["members"] = [m.to_dict() for m in self.members]
        if self.type in WRAPPERS and self.members:
            out["detector"] = self.members[0].to_dict()
        return out


def parse_detector(mapping: Any, path: str) -> DetectorSpec:
    """Validate one detector mapping; raise ConfigError naming every bad key."""
    issues: list[ConfigIssue] = []
    spec = _parse(mapping, path, issues)
    if issues or spec is None:  # _parse returns None only with an issue recorded
        raise ConfigError(issues)
    return spec


def build_detector(spec: DetectorSpec) -> Detector:
    detector_cls, _ = DETECTORS[spec.type]
    if spec.type == "ensemble":
        return Ensemble([build_detector(m) for m in spec.members], spec.params)
    if spec.type == "likelihood":
        return Likelihood(build_detector(spec.members[0]), spec.params)
    if spec.type == "multiscale":
        return Multiscale(build_detector(spec.members[0]), spec.params)
    if spec.type == "cusum":
        return Cusum(spec.params, build_detector(spec.members[0]) if spec.members else None)
    if spec.type == "bocpd":
        return Bocpd(spec.params, build_detector(spec.members[0]) if spec.members else None)
    return detector_cls(spec.params)


def parse_cooldown(mapping: Any, path: str) -> Cooldown:
    """Validate ``{seconds: ..., windows: ...}`` (either or both) into a Cooldown."""
    issues: list[ConfigIssue] = []
    if not isinstance(mapping, Mapping):
        raise ConfigError(ConfigIssue(path, f"expected a mapping, got {type(mapping).__name__}"))
    kwargs = _fields(Cooldown, mapping, path, issues)
    if issues:
        raise ConfigError(issues)
    return Cooldown(**kwargs)


def _parse(mapping: Any, path: str, issues: list[ConfigIssue]) -> DetectorSpec | None:
    if not isinstance(mapping, Mapping):
        issues.append(ConfigIssue(path, f"expected a mapping, got {type(mapping).__name__}"))
        return None
    kind = mapping.get("type")
    if kind not in DETECTORS:
        issues.append(ConfigIssue(path + ".type", f"expected one of {', '.join(DETECTORS)}"))
        return None
    _, params_cls = DETECTORS[kind]
    nested = "detector" if kind in WRAPPERS else "members"
    rest = {k: v for k, v in mapping.items() if k not in ("type", nested)}
    members: tuple[DetectorSpec, ...] = ()
    if kind == "ensemble":
        members = _parse_members(mapping.get("members"), path + ".members", issues)
    elif kind in REQUIRED_MEMBER:
        if mapping.get("detector") is None:
            issues.append(ConfigIssue(path + ".detector", REQUIRED_MEMBER[kind]))
        else:
            member = _parse(mapping["detector"], path + ".detector", issues)
            members = () if member is None else (member,)
    elif kind in ("cusum", "bocpd") and mapping.get("detector") is not None:  # optional: of a member's scores
        member = _parse(mapping["detector"], path + ".detector", issues)
        members = () if member is None else (member,)
    elif "members" in mapping:
        issues.append(ConfigIssue(path + ".members", f"only an ensemble has members, not {kind}"))
    before = len(issues)
    kwargs = _fields(params_cls, rest, path, issues)
    if len(issues) > before:
        return None
    params = params_cls(**kwargs)
    _check_combination(kind, params, members, path, issues)
    return DetectorSpec(kind, params, members)


def _parse_members(raw: Any, path: str, issues: list[ConfigIssue]) -> tuple[DetectorSpec, ...]:
    if not isinstance(raw, list) or not raw:
        issues.append(ConfigIssue(path, "expected a non-empty list of detector mappings"))
        return ()
    parsed = [_parse(m, f"{path}[{i}]", issues) for i, m in enumerate(raw)]
    return tuple(m for m in parsed if m is not None)


def _fields(params_cls: type, mapping: Mapping, path: str, issues: list[ConfigIssue]) -> dict[str, Any]:
    """Type- and range-check ``mapping`` against a params dataclass's fields."""
    fields = {f.name: f for f in dataclasses.fields(params_cls)}
    kwargs: dict[str, Any] = {}
    for key, value in mapping.items():
        where = f"{path}.{key}"
        f = fields.get(key)
        if f is None:
            issues.append(ConfigIssue(where, f"unknown key; expected one of {', '.join(fields)}"))
            continue
        problem, converted = _check(f, value)
        if problem:
            issues.append(ConfigIssue(where, problem))
        else:
            kwargs[key] = converted
    return kwargs


def _check(f: dataclasses.Field, value: Any) -> tuple[str | None, Any]:
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
    if kind == "Direction":
        directions = [d.value for d in Direction]
        if value not in directions:
            return f"expected one of {', '.join(directions)}", None
        return None, Direction(value)
    if kind == "str":
        choices = f.metadata.get("choices")
        if not isinstance(value, str) or (choices and value not in choices):
            return f"expected one of {', '.join(choices)}" if choices else "expected a string", None
        return None, value
    if kind == "bool":
        if not isinstance(value, bool):
            return f"expected true or false, got {type(value).__name__}", None
        return None, value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return f"expected an integer, got {type(value).__name__}", None
    elif kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"expected a number, got {type(value).__name__}", None
        value = float(value)
    lo, hi = f.metadata.get("min"), f.metadata.get("max")
    if lo is not None and value < lo:
        return f"must be at least {lo}", None
    if hi is not None and value > hi:
        return f"must be at most {hi}", None
    return None, value


def _check_combination(kind: str, params: Any, members: tuple, path: str, issues: list[ConfigIssue]) -> None:
    if kind == "seasonal" and params.min_periods > params.periods:
        issues.append(ConfigIssue(path + ".min_periods", "must not exceed periods"))
    if kind == "art" and not is_power_of_two(params.window):
        issues.append(ConfigIssue(path + ".window", "must be a power of two (4, 8, 16 or 32)"))
    if kind == "ensemble" and params.mode == "k" and params.k > len(members):
        issues.append(ConfigIssue(path + ".k", "exceeds the number of members"))


def params_json_schema(params_cls: type) -> dict[str, dict[str, Any]]:
    """JSON Schema of each key of a params dataclass, by the rules :func:`_check` applies
    (type, choices, inclusive bounds) and with the field's help as its description."""
    properties: dict[str, dict[str, Any]] = {}
    for f in dataclasses.fields(params_cls):
        kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
        schema: dict[str, Any]
        if kind == "Direction":
            schema = {"enum": [d.value for d in Direction]}
        elif kind == "str":
            choices = f.metadata.get("choices")
            schema = {"enum": list(choices)} if choices else {"type": "string"}
        else:
            schema = {"type": {"bool": "boolean", "int": "integer", "float": "number"}[kind]}
        if f.metadata.get("min") is not None:
            schema["minimum"] = f.metadata["min"]
        if f.metadata.get("max") is not None:
            schema["maximum"] = f.metadata["max"]
        if f.metadata.get("help"):
            schema["description"] = f.metadata["help"]
        properties[f.name] = schema
    return properties


def detector_json_schema(ref: str) -> dict[str, Any]:
    """JSON Schema of a detector mapping (``{type: ..., <params>}``): per type, the keys
    :func:`parse_detector` accepts; ``ref`` points at this schema, for members and wrapped detectors."""
    cases = []
    for kind, (_, params_cls) in DETECTORS.items():
        properties: dict[str, Any] = {"type": {"const": kind}, **params_json_schema(params_cls)}
        required = ["type"]
        if kind == "ensemble":
            properties["members"] = {"type": "array", "minItems": 1, "items": {"$ref": ref}}
        elif kind in WRAPPERS:
            properties["detector"] = {"$ref": ref}
            if kind in REQUIRED_MEMBER:
                required.append("detector")
        cases.append(
            {
                "if": {"properties": {"type": {"const": kind}}, "required": ["type"]},
                "then": {"properties": properties, "required": required, "additionalProperties": False},
            }
        )
    return {
        "type": "object",
        "properties": {"type": {"enum": list(DETECTORS)}},
        "required": ["type"],
        "allOf": cases,
    }
