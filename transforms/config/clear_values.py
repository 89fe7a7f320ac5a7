"""Declared PII fields whose anonymized values may still hold clear text, and why.

Metrics copy field values into flagged-window records (a ``group_by`` value names
a series, a ``heavy_hitter``'s ``detail`` is the field's most frequent value), and
the data-validation stage writes top string values into its statistics. A field
in ``pii.fields`` is normally always de-identified, so what travels there is a
token; these are the cases where it is not:

* the field is *scanned* (an item with ``info_type_transformations``): its text keeps
  everything the detectors did not recognise, as a ``pii.scan_fields`` field does;
* every item naming the field has a ``condition``: where none holds, the value
  stays as it was (DLP's RecordCondition semantics);
* ``pii.transformation_error_handling: {leaveUntransformed: {}}``: a value the
  primitive cannot take (a date shift of a non-date ...) stays as it was;
* ``cryptoReplaceFfxFpeConfig`` with ``veilwatchSmallDomain: leaveUntransformed``:
  values below FF1's minimum domain stay as they were.

The config loader refuses such a field as ``group_by``, ``heavy_hitter`` field or
``data_validation`` field (and leaves it out of data_validation's default fields).

    why = fields_left_in_clear(config.pii)
    why.get("merchant_reference")  # 'is de-identified only where its pii.fields[3] condition holds ...'

The other end: :func:`opaque_fields`, the declared fields whose anonymized values hold nothing at
all of the raw value (a token, a hash, a replacement): the metrics stage writes their values as
they are instead of scanning them again (``metrics.group_scrub``).
"""

from __future__ import annotations

from veilwatch.transforms.config.model import FieldPolicy, PiiSpec, TransformationErrorHandling

# The primitive and parameter value that leave short FF1 values in clear (crypto_ffx_fpe's names).
_FF1 = "cryptoReplaceFfxFpeConfig"
_FF1_LEAVE = "leaveUntransformed"


# Primitives whose output holds nothing of the value it replaces (DLP's names): cipher texts and
# hashes under the dataset's keys, a redaction, or a value taken from the config.
OPAQUE_PRIMITIVES = frozenset(
    {
        "cryptoDeterministicConfig",
        "cryptoHashConfig",
        "cryptoReplaceFfxFpeConfig",
        "redactConfig",
        "replaceConfig",
        "replaceWithInfoTypeConfig",
        "replaceDictionaryConfig",
    }
)


def fields_left_in_clear(pii: PiiSpec) -> dict[str, str]:
    """Declared field path -> why some of its anonymized values may be clear text (no value quoted)."""
    why: dict[str, str] = {}
    leave = pii.transformation_error_handling is TransformationErrorHandling.LEAVE_UNTRANSFORMED
    for path, policies in _policies_by_path(pii).items():
        reason = _reason(policies, leave)
        if reason:
            why[path] = reason
    return why


def opaque_fields(pii: PiiSpec) -> frozenset[str]:
    """Declared field paths whose anonymized values hold nothing of the raw value: never left in
    clear (:func:`fields_left_in_clear`: every value is transformed by one of the items naming the
    field), and every such item transforms it whole with one of :data:`OPAQUE_PRIMITIVES`. A field
    masked in part (``characterMaskConfig`` keeps the unmasked characters), date-shifted or
    bucketed keeps some of its value, and is not opaque. With a DLP de-identify template
    (``pii.dlp.deidentify_template_name``) the template, not ``pii.fields``, says what happens to
    each field and to a value it cannot transform: no field is opaque then."""
    if pii.dlp is not None and pii.dlp.deidentify_template_name:
        return frozenset()
    clear = fields_left_in_clear(pii)
    return frozenset(
        path
        for path, policies in _policies_by_path(pii).items()
        if path not in clear
        and all(
            p.transformation is not None and p.transformation.dlp_name in OPAQUE_PRIMITIVES for p in policies
        )
    )


def _policies_by_path(pii: PiiSpec) -> dict[str, list[FieldPolicy]]:
    by_path: dict[str, list[FieldPolicy]] = {}
    for policy in pii.fields:
        by_path.setdefault(policy.path, []).append(policy)
    return by_path


def _reason(policies: list[FieldPolicy], leave_untransformed: bool) -> str | None:
    scanning = [p for p in policies if p.scans]
    if scanning:
        return (
            f"is scanned (pii.fields[{scanning[0].group}] info_type_transformations): its de-identified "
            "text keeps what the detectors did not recognise"
        )
    if all(p.condition is not None for p in policies):
        return (
            f"is de-identified only where its pii.fields[{policies[0].group}] condition holds: "
            "elsewhere its value stays in clear"
        )
    if leave_untransformed:
        return (
            "is declared PII and pii.transformation_error_handling is leaveUntransformed: a value "
            "that cannot be transformed stays in clear"
        )
    for p in policies:
        if (
            p.transformation is not None
            and p.transformation.dlp_name == _FF1
            and getattr(p.transformation.params, "small_domain", None) == _FF1_LEAVE
        ):
            return (
                f"uses pii.fields[{p.group}] cryptoReplaceFfxFpeConfig with veilwatchSmallDomain "
                "leaveUntransformed: values below FF1's minimum domain stay in clear"
            )
    return None
