"""Key helpers for the de-identification tests: in-memory keyrings, rotation."""

from __future__ import annotations

from veilwatch.transforms.config.model import TransformationSpec
from veilwatch.transforms.deid.base import Transformation
from veilwatch.transforms.deid.registry import build_transformation, parse_transformation
from veilwatch.transforms.keys.keyring import KeyRing, new_keyset_handle, rotate


def keyring() -> KeyRing:
    return KeyRing(new_keyset_handle())


def rotated(ring: KeyRing) -> KeyRing:
    """``ring``'s keyset with a new primary key (the old one kept)."""
    return KeyRing(rotate(ring._handle)[0])


def spec(config) -> TransformationSpec:
    return parse_transformation(config, "t")


def make(config, keys=None) -> Transformation:
    return build_transformation(spec(config), keys)
