"""The Hyperscan prefilter only decides which recognizers run: findings must not change."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from veilwatch.transforms.detection import DetectionEngine, DetectionSettings
from veilwatch.transforms.detection.prefilter import Condition, build_prefilter, python_to_hyperscan, widen
from veilwatch.transforms.detection.settings import CustomInfoType

FAST = DetectionEngine()
PLAIN = DetectionEngine(DetectionSettings(use_prefilter=False))

_PIECES = st.sampled_from(
    [
        "4111 1111 1111 1111",
        "5500-0000-0000-0004",
        "GB29 NWBK 6016 1331 9268 19",
        "jane@example.org",
        "+44 20 7123 4567",
        "(212) 555-0187",
        "0 7 2 0 1 4 6 8 2 0",
        "078-05-1123",
        "192.168.0.1",
        "fe80::1",
        "00:1A:2B:3C:4D:5E",
        "https://x.io/a",
        "www.example.com",
        "2024-03-01",
        "March 1, 2024",
        "aged 42",
        "DE 136 695 976",
        "CHE-116.281.710 MWST",
        "131052-308T",
        "RSSMRA85T10A562S",
        "ABCPE1234F",
        "DEUTDEFF500",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_nature",
        "AKIAIOSFODNN7EXAMPLE",
        "-----BEGIN PRIVATE KEY-----",
        "SSN",
        "driver's license",
        "passport",
        "born",
        "BSN",
        "D1234567",
        "123456789",
        "97-12-1234",
        " ",
        "-",
        ".",
        ":",
        "@",
        "\n",
        "\x1c",
        "١٢٣٤٥٦٧٨٩٠",
        "٣٣١-١٠٥-٢٦٨",
        "𝟙𝟚𝟛",
        "é",
    ]
)
_TEXT = st.lists(st.one_of(st.text(max_size=8), _PIECES), max_size=10).map(" ".join)

# Texts in which nothing is found, with or without the prefilter (it may only skip, never add):
# boundary cases kept beside the ones with PII, which must be found for their comparison to count.
_NOTHING_TO_FIND = frozenset(
    {
        "plain words only, nothing to see",
        "",
        "29-02-2023",  # no such day
        "2024-03/01",  # mixed separators
        "xGB29NWBK60161331926819",  # glued to a letter
        "éGB29NWBK60161331926819",
        "2125550187",  # bare digits without context
        "078051123",
        "1984 was a year",
        "51 824 753 5564",
        "ŁÓDŹ 12 Piotrkowska 3",
    }
)


def test_the_default_engine_uses_it():
    assert FAST.prefiltered
    assert not PLAIN.prefiltered


@pytest.mark.parametrize(
    "text",
    [
        "Card 4111 1111 1111 1111, mail jane@example.org, call +44 20 7123 4567",
        "my driver's license is D1234567 and my SSN 078-05-1123",
        "IBAN GB29 NWBK 6016 1331 9268 19 / VAT DE 136 695 976 / BSN 111222333",
        "0 7 2 0 1 4 6 8 2 0 0 0 0 0 0 1 0 6 2 3 4 0",  # spaced digits: no run of two
        "٣٣١-١٠٥-٢٦٨",  # Arabic-Indic digits are digits for Python's re
        "plain words only, nothing to see",
        "",
        "\ud800 lone surrogate 4111 1111 1111 1111",  # scanned with an ASCII stand-in
    ],
)
def test_same_findings_as_without_it(text):
    assert FAST.scan(text) == PLAIN.scan(text)
    if text not in _NOTHING_TO_FIND:  # the comparison must not pass by both finding nothing
        assert PLAIN.scan(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT)
def test_same_findings_on_arbitrary_text(text):
    assert FAST.scan(text) == PLAIN.scan(text)


def test_widen_drops_lookarounds_and_backreferences():
    assert widen(r"(?<![\w\-])AIza\d(?![\w])") == r"(?:)AIza\d(?:)"
    # a back-reference becomes its group's body when that is plain, else "anything"
    assert widen(r"\d{3}([ \-])\d\1\d") == r"\d{3}([ \-])\d(?:[ \-])\d"
    assert widen(r"(?P<s>[\-/])\d(?P=s)") == r"(?P<s>[\-/])\d(?:[\-/])"
    assert widen(r"([^)(])(x)\1\2") == r"([^)(])(x)(?:[^)(])(?:x)"
    assert widen(r"(a$)\1") == r"(a$)[\s\S]*"  # an anchor means something else elsewhere
    assert widen(r"(a(?=b))\1") == r"(a(?:))[\s\S]*"
    assert widen(r"(?:(a)|b)\1") == r"(?:(a)|b)(?:a)"  # an unset group matches nothing: still a superset
    assert widen(r"[(?!]x") == r"[(?!]x"  # inside a class, not a group
    assert widen(r"\bx{2,30}y{1,3}") == r"x{2,}y{1,3}"  # word boundaries dropped, wide repeats opened


def test_python_whitespace_is_kept():
    source = python_to_hyperscan(r"a\sb[\s,]")
    assert source == r"a[\s\x1c-\x1f]b[\s\x1c-\x1f,]"
    assert re.fullmatch(source, "a\x1cb,")


def test_conditions_are_anded():
    prefilter = build_prefilter(
        [
            Condition(min_digits=12, gate=r"\d{4}[ \-]?\d{4}"),
            Condition(gate="@"),
            Condition(hotwords=frozenset({"passport"}), patterns=((r"[A-Z]\d{7}", 0),)),
            Condition(),  # unconditional
        ]
    )
    assert prefilter.scan("4111 1111 1111 1111") == [0, 3]
    assert prefilter.scan("x@y") == [1, 3]
    assert prefilter.scan("PASSPORT: X1234567") == [2, 3]
    assert prefilter.scan("X1234567") == [3]
    # non-ASCII characters are scanned as ASCII stand-ins of the same kind: Arabic-Indic digits are digits
    assert prefilter.scan("é ٤١١١ ١١١١ ١١١١ ١١١١") == [0, 3]
    assert prefilter.scan("PAſſPORT X1234567") == [2, 3]  # IGNORECASE: the long s is an s


def test_stand_ins_keep_what_python_re_matches():
    from veilwatch.transforms.detection.prefilter import _ASCII_STAND_INS

    for char in "é٣\u00a0€\ud800İıſ\u212a²":
        stand_in = char.translate(_ASCII_STAND_INS)
        assert stand_in.isascii()
        assert len(stand_in) == 1
        for construct in (r"\d", r"\w", r"\s", r"[^\w]", r"[^\s<>]", r"[^\d.]", "."):
            if re.fullmatch(construct, char):
                assert re.fullmatch(construct, stand_in), (char, construct)


def test_negated_classes_of_letters_still_hold_for_non_ascii_text():
    settings = DetectionSettings(custom_info_types=(CustomInfoType("TICKET", regex=r"T[^a-z0-9]\d{4}"),))
    fast, plain = (
        DetectionEngine(settings),
        DetectionEngine(DetectionSettings(**{**vars(settings), "use_prefilter": False})),
    )
    for text in ("ticket Té1234", "ticket T-1234", "ticket Ta1234"):
        assert fast.scan(text) == plain.scan(text)
    assert [f.info_type for f in fast.scan("ticket Té1234")] == ["TICKET"]


def test_a_second_engine_does_not_translate_the_patterns_again(monkeypatch):
    # one engine per DoFn instance: after the first, building one costs no regex translation
    from veilwatch.transforms.detection import prefilter

    DetectionEngine()  # the process's first engine of these settings (or an earlier one) fills the caches
    calls = []
    monkeypatch.setattr(prefilter, "widen", lambda source: calls.append(source) or source)
    engine = DetectionEngine()
    assert engine.prefiltered
    assert calls == []
    assert engine.scan("call +44 20 7123 4567") == PLAIN.scan("call +44 20 7123 4567") != []


def test_engine_pickles_and_caches_results():
    import pickle

    copy = pickle.loads(pickle.dumps(FAST))
    text = "call +44 20 7123 4567"
    assert copy.prefiltered
    assert copy.scan(text) == FAST.scan(text) == PLAIN.scan(text)
    first = FAST.scan(text)
    first.clear()  # callers get their own list, the cached findings stay
    assert FAST.scan(text) == PLAIN.scan(text)


def test_hotwords_with_non_ascii_letters_are_looked_for_as_their_stand_ins():
    prefilter = build_prefilter([Condition(hotwords=frozenset({"numéro", "주민등록번호"})), Condition()])
    assert prefilter.scan("NUMÉRO 123") == [0, 1]
    assert prefilter.scan("주민등록번호: 123") == [0, 1]
    assert prefilter.scan("numero 123") == [1]  # not the same word
    assert prefilter.scan("xnuméro 123") == [1]  # not a whole word


@pytest.mark.parametrize(
    "text",
    [
        "born 2024-03-01",
        "on 1.3.2024.",
        "3/4/21 at noon",
        "29-02-2023",
        "2024-03/01",
        "Sept. 3rd, 1999",
        "1st of MARCH 2024",
        "Mar 2024",
        "deCEMBER 31 1999",
        "ſeptember 3, 2021",
        "IBAN GB29 NWBK 6016 1331 9268 19",
        "gb29nwbk60161331926819",
        "xGB29NWBK60161331926819",
        "€GB29NWBK60161331926819",
        "éGB29NWBK60161331926819",
        "at 11 Paso Rivero 7301, Tomas",
        "VAT DE 136 695 976",
        "CHE-116.281.710 MWST",
        "974 760 673 MVA",
        "NINO QQ 12 34 56 C",
        "call 2125550187",
        "2125550187",
        "SSN 078051123",
        "078051123",
        "078-05-1123",
        "numéro d'assurance sociale 046 454 286",
        "046 454 286",
        # context words as gates: US_PASSPORT and FINANCIAL_ACCOUNT_NUMBER need one
        "Passport: 123456789",
        "TRAVEL  DOCUMENT 123456789",
        "paſſport 123456789",  # long s: IGNORECASE matches it with "s"
        "Acct #: 000123456789",
        "KONTO 12345678",
        "a/c 12345678",
        # STREET_ADDRESS: every path to an address core (address._prefilter_patterns)
        "4521 Oak Street, Springfield, IL 62704",
        "ship to 12 3rd Street Apt. 4",
        "12, Rue de Rivoli 75001 Paris",
        "Hauptstraße 12\n10115 Berlin",
        "Kerkstraat 45, 1017 GC Amsterdam",
        "Rákóczi út 81. Suite 540",
        "Flat 58\nBethany Path\nLondon",
        "Studio 3, Davis Fork",
        "P.O. Box 101, Springfield",
        "Postfach 12 34, 10115 Berlin",
        "USS Dam\nFPO AE 94560",
        "My zip code is 35649",
        "código postal 28013",
        "P.O. Box #7",  # only the word-gated patterns lead here
        "Apt.5\nMain Street",
        "zip:62704",
        "Postfach#1234",
        "4521 oak street, springfield",
        "Ellahof 34, 7174JF Urmond",
        "78 Camiño Ancho 91, 28013 Madrid",
        "ŁÓDŹ 12 Piotrkowska 3",
        "1984 was a year",
        "51 824 753 5564",
        # PHONE_NUMBER: the candidate's start (phone._CANDIDATE_START) and the 7-digit cluster gate
        "call +44 20 7123 4567",
        "Phone: (08264) 32797",
        "Phone: 555-0199",
        "tel 020 7946 0958 ext. 12",
        "IBAN DE89 3704 0044 0532 0130 00, call 212 555 0187",
        "+1 (415) 555-0132",
    ],
)
def test_same_findings_with_the_tighter_conditions(text):
    assert FAST.scan(text) == PLAIN.scan(text)
    if text not in _NOTHING_TO_FIND:  # the comparison must not pass by both finding nothing
        assert PLAIN.scan(text)
    for prefix in ("", "x", "-", "é", "٣", " "):
        assert FAST.scan(prefix + text) == PLAIN.scan(prefix + text)
