"""The DLP primitive transformations the local engine knows, by DLP name.

``parse_transformation`` validates the config form ``{<dlpName>: {params}}``
(or a bare name for parameterless ones); ``build_transformation`` makes the
runnable primitive on a worker.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from veilwatch.transforms.config.errors import ConfigError, ConfigIssue
from veilwatch.transforms.config.model import TransformationSpec
from veilwatch.transforms.config.reader import did_you_mean
from veilwatch.transforms.deid.base import KeyProvider, PrimitiveSpec, Transformation
from veilwatch.transforms.deid.primitives.bucketing import BUCKETING
from veilwatch.transforms.deid.primitives.character_mask import CHARACTER_MASK
from veilwatch.transforms.deid.primitives.crypto_deterministic import CRYPTO_DETERMINISTIC
from veilwatch.transforms.deid.primitives.crypto_ffx_fpe import CRYPTO_REPLACE_FFX_FPE
from veilwatch.transforms.deid.primitives.crypto_hash import CRYPTO_HASH
from veilwatch.transforms.deid.primitives.date_shift import DATE_SHIFT
from veilwatch.transforms.deid.primitives.fixed_size_bucketing import FIXED_SIZE_BUCKETING
from veilwatch.transforms.deid.primitives.replace_dictionary import REPLACE_DICTIONARY
from veilwatch.transforms.deid.primitives.simple import REDACT, REPLACE, REPLACE_WITH_INFO_TYPE
from veilwatch.transforms.deid.primitives.time_part import TIME_PART

# All twelve of Cloud DLP's primitive transformations.
PRIMITIVES: dict[str, PrimitiveSpec] = {
    spec.dlp_name: spec
    for spec in (
        REPLACE,
        REDACT,
        REPLACE_WITH_INFO_TYPE,
        CHARACTER_MASK,
        REPLACE_DICTIONARY,
        CRYPTO_HASH,
        CRYPTO_DETERMINISTIC,
        CRYPTO_REPLACE_FFX_FPE,
        DATE_SHIFT,
        FIXED_SIZE_BUCKETING,
        BUCKETING,
        TIME_PART,
    )
}

# Cloud DLP primitives the local engine does not implement yet: named so that a
# config using one gets "not supported yet" rather than "unknown". None left.
NOT_YET_LOCAL: tuple[str, ...] = ()


def parse_transformation(value: Any, path: str) -> TransformationSpec:
    """``{characterMaskConfig: {...}}`` or ``redactConfig`` -> TransformationSpec."""
    if isinstance(value, str):
        name, params = value, None
    elif isinstance(value, Mapping) and len(value) == 1:
        name, params = next(iter(value.items()))
    else:
        raise ConfigError(
            ConfigIssue(
                path,
                "must name exactly one DLP primitive transformation, "
                "e.g. {characterMaskConfig: {maskingCharacter: '#'}}",
            )
        )
    if name in NOT_YET_LOCAL:
        raise ConfigError(
            ConfigIssue(
                path,
                f"transformation '{name}' is not supported by the local engine yet "
                f"(supported: {', '.join(PRIMITIVES)})",
            )
        )
    spec = PRIMITIVES.get(name)
    if spec is None:
        raise ConfigError(
            ConfigIssue(
                path,
                f"unknown transformation{did_you_mean(name, PRIMITIVES)} (supported: {', '.join(PRIMITIVES)})",
            )
        )
    return TransformationSpec(name, spec.parse(params, f"{path}.{name}"), source={name: params})


def needs_keys(spec: TransformationSpec) -> bool:
    """Whether the transformation needs the dataset's keyset: a keyed primitive that names
    its own DLP ``cryptoKey`` (its params' ``crypto_key``) does not, nor one whose params use
    no key at all (``dateShiftConfig`` without a context)."""
    return (
        PRIMITIVES[spec.dlp_name].uses_keyset(spec.params)
        and getattr(spec.params, "crypto_key", None) is None
    )


def is_reversible(spec: TransformationSpec) -> bool:
    return PRIMITIVES[spec.dlp_name].reversible


def build_transformation(spec: TransformationSpec, keys: KeyProvider | None) -> Transformation:
    return PRIMITIVES[spec.dlp_name].build(spec.params, keys)
