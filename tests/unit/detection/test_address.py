"""STREET_ADDRESS: postal addresses in free text (recognizers/address.py), hand-written cases."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veilwatch.transforms.detection import DetectionEngine
from veilwatch.transforms.detection.catalog import DEFAULT_CATALOG
from veilwatch.transforms.detection.findings import Likelihood
from veilwatch.transforms.detection.recognizers import address
from veilwatch.transforms.detection.recognizers.address import AddressRecognizer, CornerAddressRecognizer
from veilwatch.transforms.detection.settings import DetectionSettings

ENGINE = DetectionEngine(DetectionSettings(use_ner=False))


def addresses(text: str) -> list[str]:
    return [text[f.start : f.end] for f in ENGINE.scan(text) if f.info_type == "STREET_ADDRESS"]


def test_street_address_is_in_the_default_catalog():
    assert "STREET_ADDRESS" in DEFAULT_CATALOG


@pytest.mark.parametrize(
    "text, expected",
    [
        # North American, one line and multi-line
        (
            "Please ship to 4521 Oak Street, Apt 5, Springfield, IL 62704 by Friday.",
            "4521 Oak Street, Apt 5, Springfield, IL 62704",
        ),
        (
            "Kind regards,\nJane Roe\n9074 Brittany Cove Suite 000\nSouth Glendachester, VA 04307\nTel: 555-0100",
            "9074 Brittany Cove Suite 000\nSouth Glendachester, VA 04307",
        ),
        (
            "The letter arrived at 4589 40th Street Suite 603 Calgary AB last night.",
            "4589 40th Street Suite 603 Calgary AB",
        ),
        (
            "Ship to 00806 Tanya Stream Apt. 837, Transtad, NB T7M 9A2",
            "00806 Tanya Stream Apt. 837, Transtad, NB T7M 9A2",
        ),
        # UK
        ("Deliver to 221B Baker Street, London NW1 6XE thanks", "221B Baker Street, London NW1 6XE"),
        # European layouts: street name first, number after
        ("Meine Anschrift: Hauptstraße 12, 10115 Berlin. Danke!", "Hauptstraße 12, 10115 Berlin"),
        ("Adresse : Rue de Rivoli 10, 75001 Paris", "Rue de Rivoli 10, 75001 Paris"),
        ("Abito in Via Roma 3, Milano.", "Via Roma 3, Milano"),
        ("Mijn adres is Kerkstraat 45, 1017 GC Amsterdam", "Kerkstraat 45, 1017 GC Amsterdam"),
        ("Envíalo a Calle Mayor 5, 28013 Madrid", "Calle Mayor 5, 28013 Madrid"),
        ("Beckergasse 8\n63608 Zschopau", "Beckergasse 8\n63608 Zschopau"),
        ("wohnhaft ulica Paderewskiego 77, 61-668 Kołobrzeg", "ulica Paderewskiego 77, 61-668 Kołobrzeg"),
        # number first, street type first
        ("Sent to 12 rue Dupont, 69002 Lyon", "12 rue Dupont, 69002 Lyon"),
        # typeless street line, kept because a unit, postcode and place follow
        (
            "78 Camiño Ancho 91\n Suite 286\n El Tornadizo\n Gabon 66298",
            "78 Camiño Ancho 91\n Suite 286\n El Tornadizo\n Gabon 66298",
        ),
        ("Nieuw adres: Ellahof 34, 7174 JF Urmond", "Ellahof 34, 7174 JF Urmond"),
        # all lower case (chat)
        (
            "can you send it to 19 pierre delannoyplaats 211 apt. 098 erwetegem please",
            "19 pierre delannoyplaats 211 apt. 098 erwetegem",
        ),
        # PO boxes and military addresses
        ("Mail it to P.O. Box 101, Springfield, IL 62704", "P.O. Box 101, Springfield, IL 62704"),
        ("Postfach 12 34, 10115 Berlin", "Postfach 12 34, 10115 Berlin"),
        ("PSC 7004, Box 8380\nAPO AP 11949", "PSC 7004, Box 8380\nAPO AP 11949"),
        ("Send it to USS Dam\nFPO AE 94560 please", "USS Dam\nFPO AE 94560"),
        ("My zip code is 35649", "35649"),
        # Hungarian house numbers with their dot, Norwegian "vei", a city with a particle
        ("Cím: Rákóczi út 81. Suite 540 Balatonalmádi", "Rákóczi út 81. Suite 540 Balatonalmádi"),
        ("Adresse: Nordahl Rolfsens vei 187, 0470 Oslo", "Nordahl Rolfsens vei 187, 0470 Oslo"),
        (
            "60 Dašická 688\n Apt. 328\n Turkovice u Prelouce\n Bulgaria 83572",
            "60 Dašická 688\n Apt. 328\n Turkovice u Prelouce\n Bulgaria 83572",
        ),
        # two streets
        (
            "Address: the corner of Eötvös út 10. and Sinko Street",
            "the corner of Eötvös út 10. and Sinko Street",
        ),
        ("we met at the corner of Main Street and Elm Avenue", "the corner of Main Street and Elm Avenue"),
    ],
)
def test_addresses_in_each_layout_are_found_whole(text, expected):
    assert addresses(text) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "Upgraded 12 Dell Latitude laptops to Windows 11 Pro, build 22631.",
        "Order 48213 shipped 3 Large Boxes via DHL Express on 4 March.",
        "Meeting in Room 5 at 10:30 with the Sales Team.",
        "Version 2.3 of Python fixes 14 Critical Bugs in Release 7.",
        "We sold 40 Green Apples and 12 Red Pears at Market Day.",
        "Please restart Server 4 in Rack 9 before 17:00.",
        "The Top 10 Park Rangers of 2024 were honoured in City Hall.",
        "Invoice 99812 for 5 units of Model X3 Pro is overdue.",
        "Spring 2024 collection: 30 Summer Dresses, 12 Way Forward posters.",
        "See chapter 3, section 2 of the Main Street Journal.",
        "Call 555-123-4567 or +44 20 7123 4567 about ticket 4711.",
        "Flight LH 4711 departs Gate 12 at 9:45, Terminal 2.",
    ],
)
def test_numbers_next_to_capitalised_words_are_not_addresses(text):
    assert addresses(text) == []


def test_a_street_line_after_a_line_break_ends_where_the_address_does():
    text = "Best,\nAnna\nHauptstraße 12\n10115 Berlin\nThanks for the quick help!"
    assert addresses(text) == ["Hauptstraße 12\n10115 Berlin"]


def test_a_phone_line_after_a_signature_address_is_not_part_of_it():
    text = "Paula\n11 Eriksbo Västergärde 98\n Suite 568\n ANGERED\n Mali\n089 72 63 41 office"
    assert addresses(text) == ["11 Eriksbo Västergärde 98\n Suite 568\n ANGERED\n Mali"]


def test_likelihood_grows_with_the_evidence():
    rec = AddressRecognizer()
    (alone,) = rec.find("It is on 12 Oak Street now")
    (full,) = rec.find("It is on 12 Oak Street, Springfield, IL 62704 now")
    assert alone.likelihood == Likelihood.POSSIBLE
    assert full.likelihood == Likelihood.LIKELY
    # weak street types ("Park", "View") need a unit, postcode or place to be reported at all
    (weak,) = rec.find("We sold 3 Grand View tickets")
    assert weak.likelihood == Likelihood.UNLIKELY
    assert addresses("We sold 3 Grand View tickets") == []


def test_hotwords_raise_the_likelihood():
    text = "Ship to: 12 Oak Street"
    (finding,) = [f for f in ENGINE.scan(text) if f.info_type == "STREET_ADDRESS"]
    assert finding.likelihood == Likelihood.LIKELY  # POSSIBLE, raised by "ship to"


def test_house_numbers_and_postcodes_stay_inside_the_address_finding():
    text = "Address: 4521 Oak Street, Springfield, IL 62704-1234. Phone 415-555-0132"
    found = [(text[f.start : f.end], f.info_type) for f in ENGINE.scan(text)]
    assert found == [
        ("4521 Oak Street, Springfield, IL 62704-1234", "STREET_ADDRESS"),
        ("415-555-0132", "PHONE_NUMBER"),
    ]


def test_the_parts_rule_reports_street_unit_and_postcode_apart():
    text = "78 Camiño Ancho 91\n Suite 286\n El Tornadizo\n Gabon 66298"
    parts = [text[f.start : f.end] for f in AddressRecognizer(parts=True).find(text)]
    assert parts == ["78 Camiño Ancho 91", "Suite 286", "66298"]


def test_corner_recognizer_is_gated_on_the_word_corner():
    assert CornerAddressRecognizer.gate == ("corner", "Corner", "CORNER")
    assert addresses("I sat in the corner of the room and read.") == []


def test_findings_do_not_quote_anything_outside_the_text_and_cost_nothing_without_digits():
    rec = AddressRecognizer()
    assert rec.min_digits == 1  # the engine skips texts without a digit
    assert list(rec.find("")) == []
    assert list(rec.find("no numbers here, Main Street")) == []


def test_a_finding_inside_an_address_gives_way_to_the_address():
    from veilwatch.transforms.detection.findings import Finding
    from veilwatch.transforms.detection.overlap import resolve_overlaps

    address = Finding(0, 25, "STREET_ADDRESS", Likelihood.POSSIBLE)
    name = Finding(4, 16, "PERSON_NAME", Likelihood.LIKELY)  # "Lauren Falls" in "735 Lauren Falls Apt. 727"
    phone = Finding(20, 30, "PHONE_NUMBER", Likelihood.VERY_LIKELY)  # overlaps, not inside: still wins
    assert resolve_overlaps([name, address], {}) == [address]
    assert resolve_overlaps([name, address, phone], {}) == [name, phone]


_WORDS = st.sampled_from(
    "12 7 45b 3rd de la van 't rural route rue via calle street st. road weg ring hauptstraße kerkstraat "
    "bergerring oak main apt suite flat , . please send to my new address is".split()
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_WORDS, min_size=1, max_size=16), st.sampled_from([" ", "  ", "\t"]), st.booleans())
def test_the_word_bound_of_the_name_first_search_changes_no_match(words, blank, lower):
    # _search_ending_at stops after _NAME_WORDS words: the same match as searching every word start
    text = blank.join(w if lower else w.capitalize() for w in words) + blank + "45"
    patterns = (address._LOWER if lower else address._CASED)[1:3]  # name_first, name_first_bare
    for pattern in patterns:
        for start in (0, len(text) // 3):
            bounded = address._search_ending_at(pattern, text, start, len(text), lower, address._NAME_WORDS)
            unbounded = address._search_ending_at(pattern, text, start, len(text), lower)
            assert (bounded and bounded.span()) == (unbounded and unbounded.span())


def test_a_lower_case_name_first_street_is_found_after_many_words():
    text = "please could you send the new card to my new address which is hauptstraße 12, 10115 berlin"
    assert addresses(text) == ["hauptstraße 12, 10115 berlin"]


# --- the speed-ups keep the grammar: regrouped alternations, word-start search, the gate regex ---

_CASE_TWINS = "\u0130\u0131\u017f\u212a"  # İ ı ſ K: match i, i, s, k under IGNORECASE


@pytest.mark.parametrize(
    "alternation",
    [
        address._SUFFIX_TYPES + "|" + address._WEAK_SUFFIX_PATTERN,
        address._PREFIX_TYPES,
        address._COMPOUND_ENDINGS,
        address._UNIT_WORDS,
    ],
)
def test_first_letter_groups_cannot_both_match_one_character(alternation):
    """_by_first_letter keeps the match order only because two groups never match at one position:
    no character (in any case, case twins included) matches the first letters of two groups."""
    grouped = address._by_first_letter(alternation)
    assert grouped != alternation  # it was regrouped
    firsts = {alternative[0].lower() for alternative in alternation.split("|")}
    candidates = {c for f in firsts for c in (f, f.upper(), f.lower(), f.casefold())} | set(_CASE_TWINS)
    for char in candidates:
        owners = [f for f in firsts if re.fullmatch(f"(?i:{re.escape(f)})", char)]
        assert len(owners) <= 1, (char, owners)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="abcdeflmnoprstuvwyASDFRTUV. -'", max_size=24),
    st.sampled_from(["_SUFFIX", "_PREFIX_TYPES", "_COMPOUND_ENDINGS", "_UNIT_WORDS", "_PARTICLES"]),
)
def test_regrouped_alternation_matches_like_the_original(text, name):
    """Same match (and the same end) at every position as the plain alternation."""
    source = (
        address._SUFFIX_TYPES + "|" + address._WEAK_SUFFIX_PATTERN
        if name == "_SUFFIX"
        else getattr(address, name)
    )
    ignore_case = name != "_PARTICLES"
    grouped = address._by_first_letter(source, ignore_case=ignore_case)
    flags = re.IGNORECASE if ignore_case else 0
    # followed by a non-word character, as in the patterns, so that backtracking into the
    # alternation (a shorter or longer word) is exercised
    plain = re.compile(f"(?:{source})(?![\\w])", flags)
    regrouped = re.compile(f"(?:{grouped})(?![\\w])", flags)
    for pos in range(len(text) + 1):
        one, two = plain.match(text, pos), regrouped.match(text, pos)
        assert (one and one.span()) == (two and two.span())


def test_by_first_letter_leaves_what_it_cannot_regroup():
    assert address._by_first_letter("e?tage|etage") == "e?tage|etage"
    assert address._by_first_letter("(?:a|b)c|d") == "(?:a|b)c|d"
    assert address._by_first_letter("street|st|road") == "s(?:treet|t)|r(?:oad)"


@pytest.mark.parametrize(
    "text, start, expected",
    [
        ("ab cd-ef 12 x", 0, [0, 3, 9, 12]),  # not inside "cd-ef" (after "-") nor inside words
        ("ab cd-ef 12 x", 1, [3, 9, 12]),  # the look-behind sees the character before the window
        ("x 'to o’neil", 0, [0, 2, 6]),  # the ' of 't starts a word; not after ’
    ],
)
def test_word_starts_are_where_the_old_search_accepted_a_match(text, start, expected):
    found = [m.start() for m in address._WORD_START.finditer(text, start)]
    assert found == expected


def test_gate_words_regex_finds_exactly_the_gated_words():
    """One search says whether any word of the word-gated cores occurs (it must find each)."""
    words = (
        *address._UNIT_FIRST_WORDS,
        "PO ",
        "po ",
        *address._LABELLED_POSTCODE_WORDS,
        *address._PO_BOX_WORDS,
    )
    for word in words:
        assert address._GATE_WORDS.search(f"x {word} 1") is not None, word
    assert address._GATE_WORDS.search("4521 Oak Street, Springfield, IL 62704") is None


_HOUSE_NUMBER_AS_WRITTEN_BEFORE = re.compile(
    r"(?<![\w.\-/:$€£+])\d{1,6}(?!\d)(?!(?:[ \-.]\d+){2}|\.\d| \d+(?!\w))"
)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789 .-/:$€£+a_\n٣", max_size=30))
def test_house_number_pattern_starts_after_the_same_characters(text):
    """Rewritten with the look-behind after the first digit (so the regex engine can skip to
    digits): the same numbers as the look-behind-first form."""
    fixed = "12 a1 v1.2 10:30 $5 -7 /8 .9 +3 4521 90210-1234 555 123 4567 €4 £6 x 77"
    assert [m.group() for m in address._HOUSE_NUMBER.finditer(fixed)] == ["12", "10", "4567", "77"]
    for sample in (text, fixed + text, text + fixed):
        spans = [m.span() for m in address._HOUSE_NUMBER.finditer(sample)]
        assert spans == [m.span() for m in _HOUSE_NUMBER_AS_WRITTEN_BEFORE.finditer(sample)]
