"""Property tests: the scanner never raises, and every finding is a sane slice of its input."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from veilwatch.transforms.detection import DetectionEngine, Likelihood

# text that often contains PII-shaped pieces, glued with arbitrary unicode
_PIECES = st.sampled_from(
    [
        "4111 1111 1111 1111",
        "GB29 NWBK 6016 1331 9268 19",
        "jane@example.org",
        "+44 20 7123 4567",
        "078-05-1123",
        "192.168.0.1",
        "fe80::1",
        "00:1A:2B:3C:4D:5E",
        "https://x.io/a",
        "2024-03-01",
        "DE 136 695 976",
        "131052-308T",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_nature",
        "-----BEGIN PRIVATE KEY-----",
        "SSN",
        "driver's license",
        "born",
        " ",
        "-",
        ".",
        ":",
        "@",
        "\n",
        "١٢٣٤٥٦٧٨٩٠",
        "٫",
        "𝟙𝟚𝟛",
    ]
)
_TEXT = st.lists(st.one_of(st.text(max_size=12), _PIECES), max_size=12).map("".join)


def _check(engine: DetectionEngine, text: str) -> None:
    findings = engine.scan(text)
    previous_end = 0
    for f in findings:
        assert 0 <= f.start < f.end <= len(text)
        assert f.start >= previous_end  # sorted, non-overlapping
        previous_end = f.end
        assert isinstance(f.likelihood, Likelihood)
        assert f.likelihood >= Likelihood.POSSIBLE
        value = text[f.start : f.end]
        assert value == value.strip() or f.info_type == "ENCRYPTION_KEY"
        if f.info_type == "EMAIL_ADDRESS":
            assert "@" in value
        if f.info_type in ("CREDIT_CARD_NUMBER", "PHONE_NUMBER", "US_SOCIAL_SECURITY_NUMBER", "IBAN_CODE"):
            assert re.search(r"\d", value)


ENGINE = DetectionEngine()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT)
def test_scan_never_raises_and_offsets_slice(text):
    _check(ENGINE, text)


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=200))
def test_arbitrary_unicode(text):
    _check(ENGINE, text)


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=300))
def test_binary_looking_values(data):
    _check(ENGINE, data.decode("latin-1"))
    assert ENGINE.classify_value(data.decode("utf-8", errors="replace")) is not None


def test_very_long_text_is_linear_enough():
    text = ("4" * 5000 + " a@b.c " + "1." * 3000 + ":" * 2000 + "A" * 5000) * 3
    _check(ENGINE, text)
