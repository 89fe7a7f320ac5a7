"""STREET_ADDRESS: postal addresses in free text, found by their shape.

An address is recognised from its *core*, then extended over what follows it:

* core, number first: ``4521 Oak Street``, ``221B Baker Street``, ``12 Rue de Rivoli``,
  ``56 ul. Karpacka 69``; name first (the European layouts): ``Hauptstraße 12``,
  ``Kerkstraat 45``, ``Via Roma 3``, ``Rue de Rivoli 10``, ``Gosposka ulica 47``;
  a PO box (``P.O. Box 101``, ``PO Box 7``, ``Postfach 12 34``, ``PSC 7004, Box 8380``), a US
  military address (``USS Dam / FPO AE 94560``), a postcode after its label (``zip code: 62704``);
  and, weaker, a number, capitalised words and a number with no street type
  (``78 Camiño Ancho 91``: only kept with a unit, postcode or city after it);
* then, separated by spaces, commas or line breaks: a unit (``Apt. 977``, ``Suite 616``,
  ``Unit 5``, ``Flat 2``, ``#12``), postcodes (US, UK, Canada, Netherlands, four to six
  digits, ``12-345``), a region (``IL``) and city / region / country names (capitalised
  words; in an all-lower-case text, short word groups that end a line or a clause).
  A line after a line break is taken only when the whole line reads as address parts,
  so a signature block's address is taken and the phone line after it is not.

``the corner of X and Y Street`` is a second, separately gated recognizer
(:class:`CornerAddressRecognizer`).

The finding is the whole address, street to country (one span), because that is
how addresses are labelled as a whole and what must disappear together; cities and
countries on their own are the NER's LOCATION, not this recognizer's. Likelihood:
a street type (or PO box) with a unit, postcode or place after it is LIKELY, a
street type alone POSSIBLE (UNLIKELY for weak types such as ``Park`` or ``View``),
a typeless core with a unit or postcode and a place POSSIBLE; hotwords (``address``,
``ship to`` ...; catalog.DEFAULT_HOTWORDS) raise it a level.

Cost: the recognizer needs a digit (``min_digits = 1``), and with the Hyperscan prefilter
one of the shapes every address core starts from (``_prefilter_patterns``: a number next
to a word, or a unit / PO box / postcode word), so a text of bare numbers never reaches it;
one regex picks the numbers that can be house numbers (a digit group of a phone or card
number, a number glued to a word or after ``:``/``.`` is skipped there); the name-first
regex only runs where a word before the number is a street type, and only over the last
``_NAME_WORDS`` words before it (a match holds no more), so a text without an address
costs a few microseconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from veilwatch.transforms.detection.findings import Finding, Likelihood
from veilwatch.transforms.detection.recognizer import Recognizer

INFO_TYPE = "STREET_ADDRESS"

# Street types written after the name ("Oak Street"); "weak" ones are also ordinary words.
_SUFFIX_TYPES = (
    "street|st|road|rd|avenue|ave|av|lane|ln|drive|dr|boulevard|blvd|way|court|ct|place|pl|terrace|ter|"
    "square|sq|highway|hwy|parkway|pkwy|crescent|cres|close|circle|cir|trail|trl|alley|aly|mews|wharf|quay|"
    "plaza|pike|expressway|expy|freeway|fwy|causeway|heights|hts|gardens|grove|brook|estates?|"
    "ulica|utca|út|ut|u(?=\\.)|tér|körút|krt|iela|gatve|vei|veien|gaten|straat|laan|weg|gasse|straße|strasse|str|"
    "vej|gade|gata|gatan|vägen|katu|tie|"
    "steenweg|dreef|kade|baan|plein|gracht|allee|platz"
)
# USPS / Australia Post suffixes that are also ordinary words: only with a unit, postcode or place
_WEAK_SUFFIX_PATTERN = (
    "park|view|views|hill|hills|point|points|green|greens|row|walk|walks|rise|loop|path|ridge|ridges|landing|"
    "crossing|center|centre|meadows?|branch|bridge|brooks|burg|bypass|camp|canyon|cape|cliffs?|club|common|"
    "corners?|course|coves?|creek|crest|curve|dale|dam|divide|extensions?|falls?|ferry|fields?|flats?|fords?|"
    "forest|forges?|forks?|fort|garden|gateway|glens?|groves|harbou?rs?|haven|hollow|inlet|islands?|isle|"
    "junctions?|keys?|knolls?|lakes?|land|lights?|locks?|lodge|mall|manors?|mills?|mission|motorway|mount|"
    "mountains?|neck|orchard|oval|overpass|parks|pass|passage|pines?|plains?|ports?|prairie|ramp|ranch|"
    "rapids?|rest|river|route|run|shoals?|shores?|skyway|springs?|spurs?|station|stravenue|stream|summit|"
    "trace|track|trafficway|tunnel|turnpike|underpass|unions?|valleys?|viaduct|villages?|ville|vista|wall|"
    "ways|wells?|parade|esplanade|promenade|circuit|chase|approach|arcade|grange|wynd|brae|end|way|burgs|"
    "laneway|tollway|interchange|frontage|cruiseway|rue|gate"
)


def _spellings(alternative: str) -> list[str]:
    """Every spelling of a regex alternative whose only operator is an optional letter ("harbou?rs?")."""
    words = [""]
    for i, char in enumerate(alternative):
        if char == "?":
            continue
        optional = i + 1 < len(alternative) and alternative[i + 1] == "?"
        words = [w + char for w in words] + (words if optional else [])
    return words


_WEAK_SUFFIX_TYPES = frozenset(w for alt in _WEAK_SUFFIX_PATTERN.split("|") for w in _spellings(alt))
# Street types written before the name ("Via Roma", "Rue de Rivoli", "ul. Karpacka").
_PREFIX_TYPES = (
    "calle|c/|avenida|avda|av|rua|travessa|largo|via|viale|piazza|piazzale|corso|vicolo|strada|contrada|rue|"
    "chemin|allée|impasse|quai|boulevard|bd|avenue|route|ul|ulica|aleja|al|plac|plaza|paseo|pasaje|camino|"
    "carrer|ronda|glorieta|travesía|pasadizo|callejón|carretera|praça|rodovia|estrada|alameda|avenida|vila|"
    "quadra|borgo|rotonda|incrocio|stretto|rambla|cuesta|urbanización|parque|setor|passarela|esplanada|trg|odos|leoforos|calea|bulevardul|pl|os|osiedle|rr|rural route"
)
# Endings of compound street names ("Hauptstraße", "Kerkstraat", "Lille Vibyvej").
_COMPOUND_ENDINGS = (
    "straße|strasse|str\\.|gasse|weg|platz|allee|damm|ufer|chaussee|straat|laan|plein|gracht|kade|dreef|singel|"
    "steenweg|steeg|pad|hof|baan|boulevard|-ring|vej|gade|gata|gatan|vägen|väg|gränd|stigen|torget|backen|katu|tie|kuja|polku|utca|iela|gatve|ulica"
)
_UPPER = "A-ZÀ-ÖØ-ÞĀĂĄĆČĎĐĒĘĚĞĪİŁŃŇŌŐŒŘŚŞŠŢŤŪŮŰŹŻŽΆΈ-ΏΑ-ΩА-Я"
_PARTICLES = (
    "de|del|la|las|los|le|les|di|da|do|dos|das|van|der|den|von|du|des|y|e|of|the|am|an|im|zu|della|delle|dei|"
    "degli|ter|'t|nad|pod|u|sur|sous|en|bei|op|aan|upon"
)
_NUMBER = r"\d{1,6}(?:[A-Za-z](?![\w]))?(?:[\-/]\d{1,5}[A-Za-z]?)?"
_ORDINAL = r"\d{1,4}(?:st|nd|rd|th)"

# Words that end an address when they come where a city or country could (capitalised forms).
_STOP_WORDS = frozenset(
    """
the this that these those thanks thank please regards best cheers kind call phone tel telephone email e-mail mail
fax mobile cell office work home i we you he she it they my our your his her their if and or but for to from at in
on by with dear hi hello hey name address date order ticket card account invoice ref reference monday tuesday
wednesday thursday friday saturday sunday today tomorrow yesterday tonight is are was were be been will would can
could should may might must do does did has have had not no yes ok okay also then there here when where what who
why how as so all any each every some a an let just note sent send ship deliver delivery via per about after
before since until while during near around between into onto over under up down out off again sincerely best
warm attn attention re subject cc bcc sku version v model qty total price amount item items meeting room
""".split()
)


_UNIT_WORDS = (
    "apt|apartment|suite|ste|unit|flat|studio|room|rm|floor|fl|bldg|building|app|appt|apto|apartamento|"
    "appartamento|piano|wohnung|whg|piso|puerta|planta|andar|bloco|sala|interno|int|scala|escalera|esc|étage|etage|"
    "bus|box|lot|dept|department|lgh"
)


_REGEX_SPECIAL = set("\\()[]{}.^$*+?|")


def _first_letter_groups(alternation: str, ignore_case: bool) -> dict[str, list[str]] | None:
    """The alternatives of a regex alternation grouped by first letter (lower-cased with
    ``ignore_case``), each group's rests in their order; None when that cannot be done safely:
    an alternative that starts with a regex operator or an optional letter, or holds a group
    other than one look-ahead, or two first letters that match each other in another case."""
    groups: dict[str, list[str]] = {}
    for alternative in alternation.split("|"):
        first, second = alternative[:1], alternative[1:2]
        if not first or first in _REGEX_SPECIAL or second in ("?", "*", "+", "{"):
            return None
        if "(" in alternative and not (alternative.count("(") == 1 and "(?=" in alternative):
            return None
        groups.setdefault(first.lower() if ignore_case else first, []).append(alternative[1:])
    if ignore_case:
        keys = list(groups)
        for i, one in enumerate(keys):
            if any(re.fullmatch(f"(?i:{re.escape(one)})", other) for other in keys[i + 1 :]):
                return None  # (cannot happen for the word lists here)
    return groups


def _rests(rests: list[str]) -> str:
    return "(?:" + "|".join(rests) + ")" if rests != [""] else ""


def _by_first_letter(alternation: str, ignore_case: bool = True) -> str:
    """The regex alternation ``alternation`` ("street|st|road") written with its alternatives
    grouped by first letter ("s(?:treet|t)|r(?:oad)"), keeping their order inside each group.

    The same language, and the same match at every position: two alternatives with different
    first letters never both match at one position (``ignore_case``: not even in another case),
    so the alternatives a regex engine tries there, and their order, are those of one group. It
    is faster because Python's regex engine tries the alternatives of an alternation one by one:
    at a position, one test per group instead of one per word (the street type alternations
    have some 250 words). An alternation it cannot regroup safely (see ``_first_letter_groups``)
    is returned as it is."""
    groups = _first_letter_groups(alternation, ignore_case)
    if groups is None:
        return alternation
    return "|".join(re.escape(key) + _rests(rests) for key, rests in groups.items())


# the word alternations as compiled into the patterns below (see _by_first_letter)
_PARTICLE_GROUPS = _by_first_letter(_PARTICLES, ignore_case=False)
_UNIT_GROUPS = _by_first_letter(_UNIT_WORDS)


def _core_patterns(upper: str):
    """The compiled core patterns for one casing mode (``upper``: the class of a name's first letter)."""
    cap = f"[{upper}]"
    word = rf"(?:{cap}[\w'’\-]*\.?|{_ORDINAL}|(?:{_PARTICLE_GROUPS})(?![\w]))"
    first_word = rf"(?:{cap}[\w'’\-]*\.?|{_ORDINAL})"
    suffix = rf"(?i:{_by_first_letter(_SUFFIX_TYPES + '|' + _WEAK_SUFFIX_PATTERN)})"
    prefix = rf"(?i:{_by_first_letter(_PREFIX_TYPES)})"
    compound = rf"{cap}[\w'’\-]*(?i:{_by_first_letter(_COMPOUND_ENDINGS)})"
    sep = r"[ \t]+"
    number_first = re.compile(
        rf"(?P<num>{_NUMBER}),?{sep}(?:"
        # prefix type then name (and maybe a second number): "12 Rue de Rivoli", "56 ul. Karpacka 69"
        rf"(?P<ptype>{prefix})\.?{sep}(?:{word}{sep}){{0,5}}{first_word}(?:{sep}(?P<num2>{_NUMBER}))?(?![\w])"
        # name then suffix type: "4521 Oak Street", "491 St. John Street"
        rf"|(?:{first_word}{sep}(?:{word}{sep}){{0,3}}?)?{first_word}{sep}(?P<stype>{suffix})\.?"
        rf"(?:{sep}(?P<num4>{_NUMBER})(?![\w]))?(?![\w])"
        rf"|(?P<ctype>(?:{word}{sep}){{0,2}}{compound})(?:{sep}(?P<num3>{_NUMBER}))?(?![\w])"
        # no type at all: "78 Camiño Ancho 91" (needs more evidence after it)
        rf"|(?P<bare>{first_word}(?:{sep}{word}){{0,3}}{sep}{_NUMBER})(?![\w])"
        rf"|(?P<bare2>{first_word}(?:{sep}{word}){{0,2}}?(?:{sep}{first_word})?)(?![\w])"
        r")"
    )
    # no type: "Ellahof 34, 7174JF Urmond", "Stretto Paloma, 89" (needs a postcode and a place after it)
    name_first_bare = re.compile(
        rf"(?:{first_word}{sep}(?:(?:{_PARTICLE_GROUPS}){sep})?){{0,3}}{first_word},?{sep}(?P<num>{_NUMBER})\Z"
    )
    name_first = re.compile(
        rf"(?:(?P<ptype>{prefix})\.?{sep}(?:{word}{sep}){{0,4}}?{first_word}"
        rf"|(?P<ctype>(?:{word}{sep}){{0,2}}{compound})"
        rf"|(?:{first_word}{sep}){{1,3}}(?P<stype>{suffix})\.?"
        # "Bergerring 6": weak, "-ring" also ends English words ("Offering 5")
        rf"|(?:{first_word}{sep}){{0,2}}{cap}[\w'’\-]{{3,}}(?P<wtype>ring)"
        rf"),?{sep}(?P<num>{_NUMBER})\Z"
    )
    # a unit, then the street without a number: "Flat 58\nBethany Path", "Studio 3, Davis Fork"
    unit_first = re.compile(
        rf"(?<![\w])(?i:{_UNIT_GROUPS})\.?[ \t]*\d[\w\-]{{0,5}}[ \t]*[,\n]?[ \t]*"
        rf"(?:{first_word}{sep}){{1,3}}(?P<stype>{suffix})\.?(?![\w])"
    )
    letters = r"(?:[^\W\d_]|['’\-])*"
    abbrev_or_word = rf"(?:{cap}[^\W\d_]{{0,2}}\.|{cap}{letters})"  # "St." but not "Berlin."
    place = re.compile(
        rf"{abbrev_or_word}(?:[ \t]+(?:{abbrev_or_word}|(?:{_PARTICLE_GROUPS})(?![\w])|[A-Z](?![\w]))){{0,3}}(?![\w])"
    )
    return number_first, name_first, name_first_bare, unit_first, place


_CASED = _core_patterns(_UPPER)
_LOWER = _core_patterns(r"^\W\d_")  # an all-lower-case text: any word may be a name

_UNIT = re.compile(
    rf"(?i:{_UNIT_GROUPS})\.?[ \t]*(?:#|no\.?)?[ \t]*\d[\w\-]{{0,5}}(?![\w])"
    r"|#[ \t]?\d{1,5}[A-Za-z]?(?![\w])"
)
# a unit written before the street line ("Unit 84 191 Rodriguez Frontage", "Studio 6\nFord Roads")
_UNIT_BEFORE = re.compile(
    rf"(?<![\w])(?i:{_UNIT_GROUPS})\.?[ \t]*(?:#|no\.?)?[ \t]*\d[\w\-/]{{0,5}}[ \t]*(?:[,\n][ \t]*)?\Z"
)
_POSTCODE = re.compile(
    r"(?:[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2}"  # UK
    r"|[A-Z]\d[A-Z][ \t]?\d[A-Z]\d"  # Canada
    r"|\d{4}[ \t]?[A-Z]{2}"  # Netherlands
    r"|\d{5}-\d{3,4}|\d{4}-\d{3}|\d{2}-\d{3}|\d{8}"  # US ZIP+4, Brazil, Portugal, Poland
    r"|(?:[A-Z]{1,2}-)?\d{4,6}"  # most others ("D-10115")
    r"|\d{3}[ \t]\d{2})(?![\w]|[ \t\-/.]\d)"  # Sweden, Greece, Czechia; no digits after
)
_POSTCODE_ANY_CASE = re.compile(_POSTCODE.pattern, re.IGNORECASE)  # an all-lower-case text: "1017 gc"
_REGION = re.compile(r"[A-Z]{2,3}(?![\w])")
_PO_BOX = re.compile(
    r"(?i:p\.?[ \t]?o\.?[ \t]?box|post[ \t]office[ \t]box|postfach|apartado(?:[ \t]de[ \t]correos)?|"
    r"caixa[ \t]postal|case[ \t]postale|postbus|(?:psc|unit|cmr)[ \t]\d{1,5},?[ \t]box)"
    r"[ \t]*#?[ \t]*\d[\d \t]{0,8}(?<![ \t])(?![\w])"
)
_PO_BOX_WORDS = (
    "box",
    "Box",
    "BOX",
    "Postfach",
    "postfach",
    "Apartado",
    "apartado",
    "Caixa",
    "caixa",
    "Postbus",
    "postbus",
    "postale",
)
# US military addresses: "USS Dam\nFPO AE 94560" (the unit forms take the PO box path)
_MILITARY = re.compile(
    r"(?<![\w])(?i:us[sn]?[vs]?|uscgc)[ \t]+[^\W\d_][\w'’\-]*(?:[ \t]+[^\W\d_][\w'’\-]*)?,?[ \t]*\n?[ \t]*"
    r"(?i:[afd]po)[ \t]+(?i:a[aep])[ \t]+\d{5}(?![\w])"
)
# a postcode after its label, no street given: "My zip code is 35649", "PLZ: 10115"
_LABELLED_POSTCODE_WORDS = (
    "zip",
    "Zip",
    "ZIP",
    "ostcode",
    "ostal code",
    "PLZ",
    "Postleitzahl",
    "CEP",
    "código postal",
)
_LABELLED_POSTCODE = re.compile(
    r"(?i:zip(?:[ \t]?code)?|post(?:al)?[ \t]?code|plz|postleitzahl|cep|código[ \t]postal)"
    r"(?:[ \t]+(?i:is|was|will be))?[ \t]*[:#=]?[ \t]*"
    r"(\d{5}(?:-\d{4})?|\d{4}[ \t]?[A-Z]{2}|[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2}|\d{5}-\d{3}|\d{2}-\d{3})(?![\w])"
)
_SEPARATOR = re.compile(r"[ \t]*(?:,[ \t]*)?(?:\n[ \t>]*(?:,[ \t]*)?)?|[ \t]+")
_LINE_END = re.compile(r"[ \t]*(?:\n|\Z|[,.;:!?)])")

# A digit run that can be a house number: one to six digits standing alone (not glued to a word
# or after "._-/:$€£+": "v1.2", "10:30", "$5"; ``\w`` is ``str.isalnum()`` or "_"), and not a
# digit group of a longer number: "555 123 4567", "555-123-4567", "3.14" (but "4589 40th", "47-26"
# are kept). One regex instead of a Python test per digit run (most runs are not house numbers).
# (Written ``\d(?<![...]\d)\d{0,5}`` rather than ``(?<![...])\d{1,6}``, the same language: a pattern
# that starts with ``\d`` lets the regex engine skip straight to the digits.)
_HOUSE_NUMBER = re.compile(r"\d(?<![\w.\-/:$€£+]\d)\d{0,5}(?!\d)(?!(?:[ \-.]\d+){2}|\.\d| \d+(?!\w))")
_DIGIT = re.compile(r"\d")
_UNIT_FIRST_WORDS = (
    "Flat",
    "Studio",
    "Apt",
    "Unit",
    "Suite",
    "Apartment",
    "flat",
    "studio",
    "apt",
    "unit",
    "suite",
    "FLAT",
    "APT",
    "UNIT",
    "SUITE",
)
# The words ``_word_gated`` tests for (and the prefilter looks for, ``_prefilter_patterns``).
_GATED_WORDS = tuple(
    dict.fromkeys((*_UNIT_FIRST_WORDS, "PO ", "po ", *_LABELLED_POSTCODE_WORDS, *_PO_BOX_WORDS))
)
# Any of them as one regex (grouped by first letter, case kept): one search instead of some forty
# substring tests in the many texts that hold none of them.
_GATE_WORDS = re.compile(_by_first_letter("|".join(map(re.escape, _GATED_WORDS)), ignore_case=False))
_MAX_TAIL_PARTS = 6
_MAX_PLACES = 3


# The most words (runs between blanks: the regexes' separators are ``[ \t]+`` and no word holds a
# blank) a ``name_first`` or ``name_first_bare`` match can hold: a two-word street type ("rural
# route"), four words and a first word, then the number (``name_first``), or three first words each
# with a particle after it, a first word and the number (``name_first_bare``).
_NAME_WORDS = 8


def _prefilter_patterns() -> tuple[tuple[str, int], ...]:
    """Necessary conditions for the Hyperscan prefilter (``Recognizer.prefilter_patterns``):
    ``AddressRecognizer.find`` yields nothing in a text where none of them matches.

    Every address grows from a core, and every core comes from one of: a word-gated pattern
    (a unit word, ``PO``, a postcode label, a PO box word: the literals ``find`` tests, the
    non-ASCII ``código postal`` as its ASCII tail); a number followed by a street name
    (``number_first``: after the number, its optional letter or ``-12``, a comma and blanks,
    comes a letter, the ``'`` of ``'t`` or an ordinal such as ``3rd``); or a number after a
    name (``name_first``: a letter, ``.`` or ``,`` then one blank before the number). Both
    numbers are house numbers (``_HOUSE_NUMBER``: a run of at most six digits, not glued to a
    word), so a text whose only numbers are card, phone or account numbers never gets here.
    Non-ASCII letters and digits are scanned as ASCII stand-ins of their kind (prefilter.py)."""
    words = [w if w.isascii() else w[w.index("digo") :] for w in _GATED_WORDS]  # ASCII tails (see above)
    assert all(w.isascii() and re.escape(w) == w.replace(" ", "\\ ") for w in words), "plain literals"
    literals: list[str] = []
    for word in dict.fromkeys(words):
        if literals and len(literals[-1]) + len(word) + 1 <= 150:
            literals[-1] += "|" + word
        else:
            literals.append(word)
    # a house number (``_HOUSE_NUMBER``): one to six digits, not after a word character or one of
    # ``.-/:$+`` (nor ``€£``, left out here: their ASCII stand-in is NUL); spelled without a
    # bounded repeat, which the prefilter would open up to ``\d+`` (prefilter.widen)
    number = r"(?:^|[^\w.\-/:$+])\d(?:\d(?:\d(?:\d(?:\d\d?)?)?)?)?"
    return (
        (number + r"[A-Za-z]?(?:[\-/]\d+[A-Za-z]?)?,?[ \t]+(?:[A-Za-z']|\d{1,4}(?:st|nd|rd|th))", 0),
        (r"[A-Za-z.,][ \t]\d(?:\d(?:\d(?:\d(?:\d\d?)?)?)?)?(?:\D|$)", 0),
        *((f"(?:{group})", 0) for group in literals),
    )


class AddressRecognizer(Recognizer):
    """Street addresses (see module docstring)."""

    info_types = (INFO_TYPE,)
    min_digits = 1
    likelihood = Likelihood.LIKELY
    prefilter_patterns = _prefilter_patterns()

    def __init__(self, parts: bool = False) -> None:
        #: experiment switch for benchmarks/address_eval.py: report the street line, the
        #: unit and the postcode as separate spans instead of the whole address
        self.parts = parts

    def find(self, text: str) -> Iterator[Finding]:
        lower_mode = text == text.lower()  # no capital letter at all: names cannot be told by their case
        number_first, name_first, name_first_bare, unit_first, place = _LOWER if lower_mode else _CASED
        taken_until = 0
        size = len(text)
        candidates: list[tuple[int, int, str]] = []  # (start, end, kind)
        if _GATE_WORDS.search(text) is not None:
            taken_until = self._word_gated(text, unit_first, candidates)
        for m in _HOUSE_NUMBER.finditer(text):
            start, end = m.span()
            if start < taken_until:
                continue
            before = text[start - 1] if start else " "
            after = text[end] if end < size else "\n"
            core = None
            # number first: "4521 Oak Street", "12 Rue de Rivoli", "78 Camiño Ancho 91"
            following = end
            while following < size and text[following] in " \t,":
                following += 1
            if following < size and (text[following].isalnum() or after in "-/"):
                found = number_first.match(text, start)
                if found is not None and _first_name_word(text, m.end(), found.end()) in _STOP_WORDS:
                    found = None  # "2 of the Main Street Journal", "3 the main street"
                if found is not None:
                    kind = (
                        "bare"
                        if found.group("bare") or found.group("bare2")
                        else (
                            "weak"
                            if found.group("stype") and found.group("stype").lower() in _WEAK_SUFFIX_TYPES
                            else "typed"
                        )
                    )
                    core = (start, found.end(), kind)
            # name first: "Hauptstraße 12", "Via Roma 3", "Kerkstraat 45"
            if (
                (core is None or core[2] == "bare")
                and start >= 2
                and before in " \t"
                and (text[start - 2].isalpha() or text[start - 2] in ".,")
            ):
                line_start = text.rfind("\n", 0, start) + 1
                window = max(line_start, start - 70)
                num_end = m.end()
                while (
                    num_end < size
                    and (text[num_end].isalnum() or text[num_end] in "-/")
                    and num_end - start < 12
                ):
                    num_end += 1
                found = None
                if _names_street_type(text[window:start]):  # the regex only where a type word is
                    found = _search_ending_at(name_first, text, window, num_end, lower_mode, _NAME_WORDS)
                if found is not None:
                    kind = (
                        "weak"
                        if found.group("wtype")
                        or found.group("stype")
                        and found.group("stype").lower() in _WEAK_SUFFIX_TYPES
                        else "typed"
                    )
                    core = (found.start(), found.end(), kind)
                elif _POSTCODE_AHEAD.match(text, num_end):  # typeless: a postcode or unit must follow
                    found = _search_ending_at(name_first_bare, text, window, num_end, lower_mode, _NAME_WORDS)
                    if found is not None:  # "Borgo Endrizzi, 3 Piano 6": the name before the number
                        core = (found.start(), found.end(), "bare")
            if core is not None and _DIGIT.search(text, max(0, core[0] - 24), core[0]):  # a unit has one
                unit = _search_ending_at(_UNIT_BEFORE, text, max(0, core[0] - 24), core[0])
                if unit is not None and unit.start() >= taken_until:
                    core = (unit.start(), core[1], core[2])
            if core is not None:
                candidates.append(core)
                taken_until = core[1]
        if not candidates:
            return
        candidates.sort()
        last_end = -1
        for start, end, kind in candidates:
            if start < last_end:
                continue
            finding = self._extend(text, start, end, kind, place, lower_mode)
            if finding is None:
                continue
            for f in finding:
                last_end = max(last_end, f.end)
                yield f

    @staticmethod
    def _word_gated(text: str, unit_first: re.Pattern, candidates: list[tuple[int, int, str]]) -> int:
        """Add the cores that a word must announce (a unit before the street, a military
        address, a labelled postcode, a PO box) to ``candidates``; where the unit-first cores
        end (the house numbers before that belong to them). Only called when one of those
        words occurs (``_GATE_WORDS``)."""
        taken_until = 0
        if any(map(text.__contains__, _UNIT_FIRST_WORDS)):
            for m in unit_first.finditer(text):
                weak = m.group("stype").lower() in _WEAK_SUFFIX_TYPES
                candidates.append((m.start(), m.end(), "weak" if weak else "typed"))
                taken_until = max(taken_until, m.end())
        if "PO " in text or "po " in text:
            for m in _MILITARY.finditer(text):
                candidates.append((m.start(), m.end(), "box"))
        if any(map(text.__contains__, _LABELLED_POSTCODE_WORDS)):
            for m in _LABELLED_POSTCODE.finditer(text):
                candidates.append((m.start(1), m.end(1), "postcode"))
        if any(map(text.__contains__, _PO_BOX_WORDS)):
            for m in _PO_BOX.finditer(text):
                if m.start() and text[m.start() - 1].isalnum():
                    continue
                candidates.append((m.start(), m.end(), "box"))
        return taken_until

    def _extend(
        self, text: str, start: int, end: int, kind: str, place: re.Pattern, lower_mode: bool
    ) -> list[Finding] | None:
        """The address that starts with the core ``text[start:end]``, or None when too weak."""
        if (
            end + 1 < len(text)
            and text[end] == "."
            and text[end - 1].isdigit()
            and (text[end + 1] == "\n" or _UNIT.match(text, end + 2) is not None)
        ):
            end += 1  # "Rákóczi út 81. Suite 540": the house number's own dot
        parts: list[tuple[int, int, str]] = [(start, end, "street")]
        line: list[tuple[int, int, str]] | None = None  # parts of a line reached through a line break
        pos = end
        places = count = 0
        size = len(text)
        while count < _MAX_TAIL_PARTS and pos < size:
            sep = _SEPARATOR.match(text, pos)
            sep_end = sep.end() if sep is not None else pos
            if sep_end == pos:
                break
            separator = text[pos:sep_end]
            if "\n" in separator:
                if line is not None:  # the previous line ended with address parts only
                    parts.extend(line)
                line = []
                if text.count("\n", pos, sep_end) > 1:
                    break
            spaced_only = "\n" not in separator and "," not in separator
            if spaced_only and text[pos - 1] == "." and not (text[pos - 2].isdigit() and pos == end):
                # "Berlin. Danke": a sentence ends
                break
            # every part taken so far (``count`` of them, none dropped inside this loop) is a
            # unit, postcode, region or place: ``count`` says whether the street has one beside it
            part = None
            m = _UNIT.match(text, sep_end)
            if m is not None:
                part = (m.start(), m.end(), "unit")
            if part is None:
                m = (_POSTCODE_ANY_CASE if lower_mode else _POSTCODE).match(text, sep_end)
                if m is not None and not (spaced_only and kind == "bare" and not count):
                    part = (m.start(), m.end(), "postcode")
            if part is None and (not spaced_only or lower_mode or kind in ("typed", "box") or count):
                m = None if lower_mode else _REGION.match(text, sep_end)
                if m is not None and m.group() not in ("I", "OK", "THE", "AND", "FOR", "TO"):
                    part = (m.start(), m.end(), "region")
                elif places < _MAX_PLACES:
                    m = place.match(text, sep_end)
                    place_end = _place_end(text, m.start(), m.end(), lower_mode) if m is not None else None
                    if (
                        m is not None
                        and place_end is not None
                        and not (
                            lower_mode
                            and spaced_only
                            and not _LINE_END.match(text, place_end)
                            and place_end == m.end()
                        )
                    ):
                        part = (m.start(), place_end, "place")
            if part is None:
                break
            count += 1
            places += part[2] == "place"
            (parts if line is None else line).append(part)
            pos = part[1]
        if line:
            # the last line reached through a line break: kept when it ends there, or holds a unit or postcode
            if (
                _at_line_end(text, pos)
                or pos < size
                and text[pos] in ",.;:!?)"
                or any(p[2] in ("unit", "postcode") for p in line)
            ):
                parts.extend(line)
        kinds = {p[2] for p in parts}
        has_unit, has_postcode, has_place = (
            "unit" in kinds,
            "postcode" in kinds,
            "place" in kinds or "region" in kinds,
        )
        extras = has_unit + has_postcode + has_place
        if kind in ("typed", "box"):
            level = Likelihood.LIKELY if extras else Likelihood.POSSIBLE
        elif kind == "weak":
            level = (
                Likelihood.LIKELY if extras >= 2 else Likelihood.POSSIBLE if extras else Likelihood.UNLIKELY
            )
            if level == Likelihood.UNLIKELY and _alone_on_its_line(text, start, max(p[1] for p in parts)):
                # a line (a field, a form line "Street: ...") that is nothing but "3685 Escobar Mountains"
                level = Likelihood.POSSIBLE
        elif kind == "postcode":  # a postcode after its label ("zip code: 62704")
            return [Finding(start, end, INFO_TYPE, Likelihood.POSSIBLE)]
        else:  # bare: number, words, number
            places = sum(p[2] in ("place", "region") for p in parts)
            if not ((has_unit or has_postcode) and extras >= 2 or places >= 2 and "," in text[start:end]):
                return None
            level = Likelihood.LIKELY if has_unit and extras >= 2 else Likelihood.POSSIBLE
        end = max(p[1] for p in parts)
        if not self.parts:
            return [Finding(start, end, INFO_TYPE, level)]
        return [
            Finding(p[0], p[1], INFO_TYPE, level) for p in parts if p[2] in ("street", "unit", "postcode")
        ]


def _at_line_end(text: str, pos: int) -> bool:
    nl = text.find("\n", pos)
    rest = text[pos : nl if nl >= 0 else len(text)]
    return not rest.strip()


_LINE_LABEL = re.compile(r"[ \t]*(?:[^\W\d_][\w .#/\-]{0,30}:[ \t]*)?")


def _alone_on_its_line(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` fills its line, after at most a label ("x1: ", "Street: ")."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    rest = text[end : line_end if line_end >= 0 else len(text)]
    label = _LINE_LABEL.match(text, line_start, start)
    return not rest.strip() and label is not None and label.end() == start


def _first_name_word(text: str, start: int, end: int) -> str:
    """The first word after a house number (lower case, without punctuation)."""
    words = text[start:end].replace(",", " ").split()
    return words[0].strip(".").lower() if words else ""


_NON_BLANK = re.compile(r"\S+")
_NEXT_WORD = re.compile(r"[ \t]+(\S+)")


def _place_end(text: str, start: int, end: int, lower_mode: bool) -> int | None:
    """Where the city / region / country words in ``text[start:end]`` end: before the first sentence
    word ("Calgary AB last", "erwetegem please"), or None when the first word is one."""
    pos = start
    for word in _NON_BLANK.finditer(text[start:end]):
        if not _is_place(word.group(), lower_mode):
            break
        pos = start + word.end()
    if pos == start:
        return None
    if not lower_mode or pos == end:
        return pos
    # an all-lower-case text: what follows the trimmed words must be a sentence word
    following = _NEXT_WORD.match(text[pos:end])
    return pos if following and following.group(1).lower() in _STOP_WORDS else None


def _is_place(words: str, lower_mode: bool) -> bool:
    """Whether a run of words can be a city, region or country (no sentence word in it)."""
    tokens = words.replace(".", " ").lower().split()
    if not tokens or tokens[0] in _STOP_WORDS:
        return False
    if lower_mode:
        return len(tokens) <= 3 and not any(t in _STOP_WORDS for t in tokens)
    return not any(t in _STOP_WORDS and not t.islower() for t in words.split()) and not any(
        t in _STOP_WORDS for t in tokens if t not in _PARTICLE_SET
    )


_PARTICLE_SET = frozenset(_PARTICLES.split("|"))


_TYPE_WORDS = (
    frozenset(
        w
        for group in (_SUFFIX_TYPES, _PREFIX_TYPES)
        for alt in group.split("|")
        if "(" not in alt
        for w in _spellings(alt)
    )
    | _WEAK_SUFFIX_TYPES
    | {"u"}
)
_COMPOUND_SUFFIXES = tuple(e.replace("\\", "").rstrip(".") for e in _COMPOUND_ENDINGS.split("|")) + ("ring",)
_TOKEN_SPLIT = re.compile(r"[\s,]+")
# what a typeless street line needs right after its number: a unit, or a postcode on the next part
_POSTCODE_AHEAD = re.compile(
    r"[ \t]*(?:,[ \t]*|\n[ \t>]*|[ \t]+)(?:(?:[A-Za-z]{1,2}-?)?\d|(?i:" + _UNIT_GROUPS + r")(?![^\W\d_]))"
)


def _names_street_type(words: str) -> bool:
    """Whether one of ``words`` is a street type or ends like a compound street name (a cheap test
    before the name-first regex)."""
    for token in _TOKEN_SPLIT.split(words.lower()):
        token = token.strip(".")
        if token in _TYPE_WORDS or len(token) > 4 and token.endswith(_COMPOUND_SUFFIXES):
            return True
    return False


def _search_ending_at(
    pattern: re.Pattern, text: str, start: int, end: int, shortest: bool = False, max_words: int = 0
) -> re.Match | None:
    """A match of ``pattern`` (anchored with ``\\Z``) within ``text[start:end]`` that starts at a word:
    the leftmost, or with ``shortest`` the rightmost (an all-lower-case text, where the words before a
    street's name cannot be told from it by their case). ``max_words``: no match of ``pattern`` holds
    more words (runs of characters between blanks) than this, so none starts before the last
    ``max_words`` words of ``text[start:end]`` (0: no such bound). Those far starts are where the
    regex tries longest before it fails."""
    if max_words:
        start = _last_words_start(text, start, end, max_words)
    if shortest:
        pos = end
        while pos > start:
            pos = max(text.rfind(" ", start, pos - 1), text.rfind("\t", start, pos - 1), start - 1) + 1
            found = pattern.match(text, pos, end)
            if found is not None:
                return found
            pos -= 1
        return None
    # The leftmost match that starts at a word: ``pattern.match`` tried at the word starts only
    # (the same match ``pattern.search`` would find there), not the regex at every character.
    for word in _WORD_START.finditer(text, start, end):
        found = pattern.match(text, word.start(), end)
        if found is not None:
            return found
    return None


# Where ``_search_ending_at`` tries its patterns: the text's start or a position after neither a
# letter, a digit nor one of ``'’-`` (``[^\W_]`` is ``str.isalnum()``), holding a word character or
# the ``'`` of ``'t``: the only characters a match of ``name_first``, ``name_first_bare`` or
# ``_UNIT_BEFORE`` starts with (a capital, a street type or unit word, an ordinal, a particle).
# (The look-behind sees the text before the search window, as the test it replaces did.)
_WORD_START = re.compile(r"(?<![^\W_]|['’\-])(?=[\w'])")


def _last_words_start(text: str, start: int, end: int, words: int) -> int:
    """Where the last ``words`` words (runs of characters between spaces and tabs) of
    ``text[start:end]`` begin: ``start`` when it holds fewer."""
    pos = end
    while pos > start:
        blank = max(text.rfind(" ", start, pos), text.rfind("\t", start, pos))
        if blank + 1 < pos:  # a word ends at pos
            words -= 1
            if not words:
                return max(blank + 1, start)
        pos = blank
    return start


_CORNER = re.compile(
    r"(?i:the[ \t]+)?(?i:corner)[ \t]+(?i:of)[ \t]+([^\n]{2,60}?)[ \t]+(?:and|&)[ \t]+"
    r"((?:[\w'’.\-]+[ \t]+){0,4}?(?i:"
    + _SUFFIX_TYPES
    + r")\.?(?![\w])|(?:["
    + _UPPER
    + r"][\w'’.\-]*[ \t]*){1,4})"
)


_STREET_TYPE_WORDS = frozenset(_SUFFIX_TYPES.split("|"))


class CornerAddressRecognizer(Recognizer):
    """``the corner of X and Y Street``: a place given by two streets, digits or not."""

    info_types = (INFO_TYPE,)
    gate = ("corner", "Corner", "CORNER")
    likelihood = Likelihood.LIKELY
    prefilter_patterns = ((r"corner[ \t]+of", re.IGNORECASE),)

    def find(self, text: str) -> Iterator[Finding]:
        for m in _CORNER.finditer(text):
            end = m.end()
            while end > m.start(2) and text[end - 1] in " \t":
                end -= 1
            words = m.group(2).lower().replace(".", " ").split()
            typed = bool(words) and words[-1] in _STREET_TYPE_WORDS
            yield Finding(m.start(), end, INFO_TYPE, Likelihood.LIKELY if typed else Likelihood.POSSIBLE)


def recognizers() -> list:
    """The STREET_ADDRESS recognizers of the default catalog."""
    return [AddressRecognizer(), CornerAddressRecognizer()]
