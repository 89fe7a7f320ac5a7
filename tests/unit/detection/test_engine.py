"""Engine behaviour: likelihood scale, hotwords, min_likelihood, exclusions, overlaps, custom types."""

from __future__ import annotations

import itertools
import json

from tests.conftest import FIXTURES
from tests.unit.detection.conftest import spans
from veilwatch.transforms.detection import (
    DEFAULT_CATALOG,
    DetectionEngine,
    DetectionSettings,
    Finding,
    Likelihood,
    parse_detection_settings,
)
from veilwatch.transforms.detection.overlap import resolve_overlaps


def _level(engine: DetectionEngine, text: str, info_type: str) -> Likelihood | None:
    for f in engine.scan(text):
        if f.info_type == info_type:
            return f.likelihood
    return None


def test_catalog_names_and_no_non_personal_types():
    for name in (
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "CREDIT_CARD_NUMBER",
        "IBAN_CODE",
        "SWIFT_CODE",
        "US_SOCIAL_SECURITY_NUMBER",
        "US_INDIVIDUAL_TAXPAYER_IDENTIFICATION_NUMBER",
        "US_DRIVERS_LICENSE_NUMBER",
        "US_BANK_ROUTING_MICR",
        "IP_ADDRESS",
        "MAC_ADDRESS",
        "URL",
        "DOMAIN_NAME",
        "DATE",
        "DATE_OF_BIRTH",
        "AGE",
        "PASSPORT",
        "VAT_NUMBER",
        "JSON_WEB_TOKEN",
        "AUTH_TOKEN",
        "GCP_API_KEY",
        "AWS_CREDENTIALS",
        "ENCRYPTION_KEY",
    ):
        assert name in DEFAULT_CATALOG
    national = [n for n in DEFAULT_CATALOG if n.split("_")[0] not in ("US", "EMAIL", "PHONE")]
    assert len({n.split("_")[0] for n in national}) >= 20  # countries with checksummed identifiers
    for name in ("ISIN", "ISBN", "SEDOL", "WKN", "ISIL", "LEI"):
        assert not any(name in n for n in DEFAULT_CATALOG)


def test_likelihood_pattern_then_checksum_then_context(engine):
    # bare nine digits: SSN layout but no separators -> UNLIKELY, filtered at POSSIBLE ...
    assert _level(engine, "ref 536904399", "US_SOCIAL_SECURITY_NUMBER") is None
    # ... a formatted valid SSN is LIKELY, and the hotword lifts it further
    assert _level(engine, "ref 536-90-4399", "US_SOCIAL_SECURITY_NUMBER") == Likelihood.LIKELY
    assert _level(engine, "SSN: 536-90-4399", "US_SOCIAL_SECURITY_NUMBER") == Likelihood.VERY_LIKELY


def test_hotwords_any_case_within_window(engine):
    assert _level(engine, "DRIVER'S LICENSE: 50473044", "US_DRIVERS_LICENSE_NUMBER") == Likelihood.LIKELY
    far = "driver's license" + " filler" * 20 + " 50473044"
    assert _level(engine, far, "US_DRIVERS_LICENSE_NUMBER") is None


def test_min_likelihood_filters():
    strict = DetectionEngine(DetectionSettings(min_likelihood=Likelihood.VERY_LIKELY))
    assert strict.scan("call (415) 555-0132") == []
    lax = DetectionEngine(DetectionSettings(min_likelihood=Likelihood.VERY_UNLIKELY))
    assert ("US_DRIVERS_LICENSE_NUMBER", Likelihood.VERY_UNLIKELY) in [
        (f.info_type, f.likelihood) for f in lax.scan("reference A5047304")
    ]


def test_overlap_prefers_likelihood_then_length():
    a = Finding(0, 10, "A", Likelihood.POSSIBLE)
    b = Finding(5, 12, "B", Likelihood.LIKELY)
    c = Finding(20, 30, "C", Likelihood.LIKELY)
    d = Finding(20, 25, "D", Likelihood.LIKELY)
    assert resolve_overlaps([a, b, c, d], {}) == [b, c]


def test_card_beats_phone_and_email_beats_domain(engine):
    assert spans(engine, "4111 1111 1111 1111") == [("4111 1111 1111 1111", "CREDIT_CARD_NUMBER")]
    assert spans(engine, "mail bob@example.com") == [("bob@example.com", "EMAIL_ADDRESS")]


def test_findings_sorted_and_disjoint(engine):
    text = "jane@example.org, +44 20 7123 4567, 4111-1111-1111-1111, GB29NWBK60161331926819, 10.0.0.1"
    found = engine.scan(text)
    assert [f.info_type for f in found] == [
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "CREDIT_CARD_NUMBER",
        "IBAN_CODE",
        "IP_ADDRESS",
    ]
    assert all(a.end <= b.start for a, b in itertools.pairwise(found))


def test_exclusions_dictionary_and_regex():
    settings = parse_detection_settings(
        {
            "exclusions": {
                "CREDIT_CARD_NUMBER": {"dictionary": ["4111 1111 1111 1111"]},
                "EMAIL_ADDRESS": {"regex": [r".*@example\.com"]},
            }
        },
        "detection",
    )
    engine = DetectionEngine(settings)
    assert engine.scan("4111 1111 1111 1111 and noreply@example.com") == []
    assert [f.info_type for f in engine.scan("5555 5555 5555 4444 and a@corp.io")] == [
        "CREDIT_CARD_NUMBER",
        "EMAIL_ADDRESS",
    ]


def test_custom_info_types_regex_with_validator_and_words():
    settings = parse_detection_settings(
        {
            "custom_info_types": {
                "EMPLOYEE_ID": {"regex": r"EMP-\d{8}", "validator": "luhn", "likelihood": "LIKELY"},
                "PROJECT_CODENAME": {"words": ["bluebird", "night jar"]},
            }
        },
        "detection",
    )
    engine = DetectionEngine(settings)
    text = "EMP-12345674 and EMP-12345675 on Bluebird and NIGHT  JAR"
    assert spans(engine, text) == [
        ("EMP-12345674", "EMPLOYEE_ID"),
        ("Bluebird", "PROJECT_CODENAME"),
        ("NIGHT  JAR", "PROJECT_CODENAME"),
    ]


def test_user_hotwords_add_to_builtin():
    settings = parse_detection_settings(
        {
            "hotwords": {
                "US_DRIVERS_LICENSE_NUMBER": {
                    "words": ["permit"],
                    "window_before": 20,
                    "likelihood": "LIKELY",
                }
            }
        },
        "detection",
    )
    assert [f.info_type for f in DetectionEngine(settings).scan("permit 50473044")] == [
        "US_DRIVERS_LICENSE_NUMBER"
    ]


def test_info_types_selects_recognizers():
    engine = DetectionEngine(DetectionSettings(info_types=("EMAIL_ADDRESS",)))
    assert engine.info_types == ("EMAIL_ADDRESS",)
    assert [f.info_type for f in engine.scan("a@b.io 4111 1111 1111 1111")] == ["EMAIL_ADDRESS"]


def test_classify_value_offsets_refer_to_the_value(engine):
    value = "  jane@example.org \n"
    (finding,) = engine.classify_value(value)
    assert value[finding.start : finding.end] == "jane@example.org"


def test_text_too_long():
    engine = DetectionEngine(DetectionSettings(max_text_chars=10))
    assert engine.text_too_long("x" * 11)
    assert not engine.text_too_long("x" * 10)


def test_empty_and_non_string(engine):
    assert engine.scan("") == []
    assert engine.scan(None) == []  # type: ignore[arg-type]


def test_identifier_fixture(engine):
    """Valid identifiers of the claimed types are found whole; invalid and non-personal ones are not."""
    with open(FIXTURES / "detection" / "identifiers_sample.jsonl", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    wrong = []
    for row in rows:
        value = row["value"]
        found = any(
            (min(f.end, len(value)) - max(f.start, 0)) / max(f.end, len(value)) >= 0.5
            for f in engine.scan(value)
        )
        if found != (row["valid"] and row["personal"]):
            wrong.append((row["type"], row["valid"]))
    assert wrong == []


def test_weak_candidates_are_only_validated_where_context_could_lift_them():
    """Bare digit runs (UNLIKELY phone numbers and SSNs) are skipped where no hotword of
    their type occurs: the findings are the same as if they were found and filtered."""
    from veilwatch.transforms.detection.settings import HotwordRule

    engine = DetectionEngine()
    assert engine.scan("2125550187") == []
    assert [f.info_type for f in engine.scan("call 2125550187")] == ["PHONE_NUMBER"]
    assert [f.info_type for f in engine.scan("SSN 078051123")] == ["US_SOCIAL_SECURITY_NUMBER"]
    low = DetectionEngine(DetectionSettings(min_likelihood=Likelihood.UNLIKELY))
    assert [(f.info_type, f.likelihood) for f in low.scan("2125550187")] == [
        ("PHONE_NUMBER", Likelihood.UNLIKELY)
    ]
    custom = DetectionEngine(
        DetectionSettings(hotwords=(HotwordRule("PHONE_NUMBER", ("ring me",), 30, 10, None, 1),))
    )
    assert [f.info_type for f in custom.scan("ring me at 2125550187")] == ["PHONE_NUMBER"]
