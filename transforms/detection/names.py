"""The rule layer over a NER model: people, places and organisations in free text.

A statistical model alone misses much of what matters here (measured on the
presidio-research style dev texts, ``en_core_web_sm`` gives PERSON F1 0.70,
LOCATION 0.39, ORGANIZATION 0.25): it calls a lone given name an organisation
("Aimee is from Vitalchek"), reads nothing in lower-cased chat text
("add christine fiorentino as guardian"), joins two names across "to", and
loses country lines under an address. This module turns the model's entities
into findings and adds what context and lexicons make certain:

- model entities are trimmed (punctuation, possessive ``'s``, line breaks),
  split where the model ran over a lower-case word, dropped inside e-mail
  addresses, URLs and handles, and dropped when they are PII keywords the
  model mistook for names ("SSN", "IBAN");
- a model ORG/GPE/... whose first word is a known given name (and not a
  place) becomes PERSON_NAME; a country becomes LOCATION;
- rules add names the model missed: after a title (``Mr.``, ``Dr.``), after
  a cue (``Name:``, ``Dear``, ``my name is``, ``call me``, ``Regards,``), a
  given name followed by a family name (also lower-cased), and lists of
  given names; countries anywhere, and places after ``in``/``from``/``at``
  or on an address line of their own; organisations by their legal or
  sector suffix (``Inc``, ``GmbH``, ``Labs``, ``Associates``).

Lexicons (``transforms/detection/lexicons``) are evidence, never a detector
on their own: a lower-cased word that is also an ordinary English word
("mark", "grace") counts as a name only where a cue says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from veilwatch.transforms.detection.findings import Finding, Likelihood
from veilwatch.transforms.detection.intervals import DisjointSpans
from veilwatch.transforms.detection.lexicons import english_words, first_names, last_names, places

PERSON, LOCATION, ORGANIZATION = "PERSON_NAME", "LOCATION", "ORGANIZATION_NAME"
NER_INFO_TYPES = (PERSON, LOCATION, ORGANIZATION)

# spaCy (OntoNotes) labels -> Cloud DLP infoTypes
MODEL_LABELS = {"PERSON": PERSON, "GPE": LOCATION, "LOC": LOCATION, "FAC": LOCATION, "ORG": ORGANIZATION}
# labels the model gives names it does not recognise as people; re-read with the lexicons
_RELABEL_FROM = {"ORG", "GPE", "LOC", "FAC", "NORP", "PRODUCT", "WORK_OF_ART", "EVENT", "LAW", "LANGUAGE"}


@dataclass(frozen=True, slots=True)
class Entity:
    """One entity of the model's output: ``text[start:end]`` with the model's label."""

    start: int
    end: int
    label: str


# A word: letters (any script), inner apostrophes, hyphens and dots ("O'Neil", "Jean-Luc", "St.").
_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['’\-](?=[^\W\d_]))*")
# Matches start only where a token starts, and a token is read once (possessive quantifiers):
# linear in the text, however long a run without spaces is.
_BLOCKED = re.compile(
    r"(?<!\S)[^\s@]*+@\S++|\b(?:https?|ftp)://\S++|\bwww\.\S++"
    r"|(?<!\S)[^\s.]++(?:\.[^\s.]++)*?\.(?:com|org|net|io|de|uk)\b\S*+",
    re.IGNORECASE,
)
_TITLE = re.compile(
    r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Madam|Mme|Mlle|Herr|Frau|Sr|Sra|Srta|Mister|Doctor|Professor)"
    r"(?:\.|\b)[ \t]*",
    re.IGNORECASE,
)
# cues after which the next words name a person
_PERSON_CUE = re.compile(
    r"(?:\bname(?:\s+is|\s*:)|\bnamed|\bcalled|\bcall\s+me|\bthis\s+is|\bi\s+am|\bi['’]m|\bdear|\bhi|\bhello|\bhey"
    r"|\bthanks|\bthank\s+you|\bregards|\bcheers|\bsincerely|\bsigned|\battn\.?|\battention|\bcontact\s*:"
    r"|\bguardian|\bpartner['’]s\s+name|\bmaiden\s+name(?:\s+is)?|\bsaid|\bby|\bwith|\bfrom|\bfor|\bto|\band)"
    r"(?:(?<=:)|\b)[ \t]*[,:]?[ \t\n]*",
    re.IGNORECASE,
)
_STRONG_CUES = {
    "name is",
    "name:",
    "named",
    "called",
    "call me",
    "dear",
    "signed",
    "regards",
    "sincerely",
    "maiden name",
    "maiden name is",
    "partner's name",
    "partner’s name",
    "attn",
    "attn.",
    "attention",
    "contact:",
}
_PLACE_CUE = re.compile(
    r"\b(?:in|from|at|near|to|into|via|visit(?:ing)?|city\s+of|moved\s+to|lives?\s+in|based\s+in)"
    r"[ \t]+$",
    re.IGNORECASE,
)
_ORG_SUFFIX = re.compile(
    r"^(?:Inc|Inc\.|Incorporated|LLC|L\.L\.C\.|Ltd|Ltd\.|Limited|GmbH|AG|SA|S\.A\.|SAS|SARL|BV|B\.V\.|NV|N\.V\.|PLC"
    r"|Pty|Corp|Corp\.|Corporation|Co|Co\.|Company|Group|Holdings|Systems|Technologies|Technology|Solutions"
    r"|International|Labs|Laboratories|Partners|Associates|Consulting|Bank|Foundation|Institute|University"
    r"|Ministry|Agency|Services|Industries|Enterprises|Networks|Software|Analytics|Media|Energy|Capital)$"
)
# particles inside names: "Ludwig van Beethoven", "Maria da Silva"
_PARTICLES = {
    "van",
    "von",
    "der",
    "den",
    "de",
    "del",
    "della",
    "di",
    "da",
    "dos",
    "das",
    "du",
    "la",
    "le",
    "bin",
    "ibn",
    "al",
    "el",
    "ter",
    "ten",
    "y",
    "zu",
    "af",
}
# words the model takes for names that are PII keywords or labels, not names
_NOT_NAMES = {
    "ssn",
    "iban",
    "swift",
    "bic",
    "pin",
    "cvv",
    "cvc",
    "atm",
    "id",
    "dob",
    "ip",
    "mac",
    "url",
    "email",
    "e-mail",
    "phone",
    "fax",
    "mobile",
    "tel",
    "card",
    "visa",
    "mastercard",
    "amex",
    "ach",
    "aba",
    "vat",
    "tin",
    "itin",
    "ein",
    "nhs",
    "nino",
    "passport",
    "license",
    "licence",
    "address",
    "name",
    "street",
    "apt",
    "suite",
    "unit",
    "box",
    "po",
    "zip",
    "office",
    "the",
    "hi",
    "hello",
    "dear",
    "thanks",
    "regards",
    # calendar words follow the same cues as names do ("signed March 5")
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "today",
    "tomorrow",
    "yesterday",
}
_MAX_NAME_WORDS = 4
# closed-class words that start sentences and are no names ("Can I ...", "My Baby")
_FUNCTION_WORDS = {
    "i",
    "me",
    "my",
    "we",
    "our",
    "you",
    "your",
    "he",
    "him",
    "his",
    "she",
    "her",
    "it",
    "its",
    "they",
    "them",
    "their",
    "this",
    "that",
    "these",
    "those",
    "a",
    "an",
    "the",
    "and",
    "or",
    "but",
    "if",
    "of",
    "in",
    "on",
    "at",
    "to",
    "for",
    "from",
    "with",
    "by",
    "as",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "am",
    "do",
    "does",
    "did",
    "can",
    "could",
    "will",
    "would",
    "shall",
    "should",
    "may",
    "might",
    "must",
    "not",
    "no",
    "yes",
    "so",
    "please",
    "what",
    "who",
    "whom",
    "which",
    "when",
    "where",
    "why",
    "how",
    "all",
    "any",
    "some",
    "one",
    "here",
    "there",
}


def _is_cap(word: str) -> bool:
    return word[:1].isupper()


def _words(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int, str]]:
    return [
        (m.start(), m.end(), m.group())
        for m in _WORD.finditer(text, start, len(text) if end is None else end)
    ]


def _given(word: str, cased_context: bool) -> bool:
    """Whether ``word`` reads as a given name: in the lexicon and, when written in lower case
    (or all capitals), not also an ordinary English word."""
    low = word.lower()
    if "-" in low and low not in first_names():  # "Jean-Luc", "Adélaïde-Colette": every part a given name
        parts = low.split("-")
        return (
            all(part in first_names() and part not in english_words() for part in parts if part)
            and len(parts) > 1
        )
    if low not in first_names() or low in _NOT_NAMES or low in _FUNCTION_WORDS or len(low) < 2:
        return False
    return low not in english_words()


def _family(word: str, cased_context: bool) -> bool:
    low = word.lower()
    if low in _NOT_NAMES or low in _FUNCTION_WORDS or len(low) < 2:
        return False
    if cased_context and _is_cap(word) and not word.isupper() and low not in english_words():
        return True  # a capitalised word after a given name, and no English word: a family name
    if low in last_names():
        return low not in english_words() or _is_cap(word)
    return low not in english_words()  # "kadyrov": no English word, so a name


def _place(text: str) -> bool:
    return text.lower() in places()


class _Spans:
    """Collected findings: the first claim on a stretch of text wins (rules run strongest first)."""

    def __init__(self, blocked: list[tuple[int, int]]) -> None:
        self.items: list[Finding] = []
        self._blocked = DisjointSpans()
        for start, end in blocked:  # regex matches: disjoint and in order
            self._blocked.add(start, end)
        self._taken = DisjointSpans()

    def free(self, start: int, end: int) -> bool:
        return not self._blocked.overlaps(start, end) and not self._taken.overlaps(start, end)

    def add(self, start: int, end: int, info_type: str, likelihood: Likelihood) -> bool:
        if end <= start or not self.free(start, end):
            return False
        self.items.append(Finding(start, end, info_type, likelihood))
        self._taken.add(start, end)
        return True

    def overlapping(self, start: int, end: int) -> list[Finding]:
        """The findings that overlap ``[start, end)`` (a rule that extends a span replaces them)."""
        return [f for f in self.items if f.start < end and start < f.end]

    def remove(self, finding: Finding) -> None:
        self.items.remove(finding)
        self._taken.remove(finding.start, finding.end)


def refine(text: str, entities: Sequence[Entity]) -> list[Finding]:
    """Findings of PERSON_NAME, LOCATION and ORGANIZATION_NAME in ``text`` from the model's
    ``entities`` and the rules above (sorted by start, non-overlapping)."""
    blocked = [(m.start(), m.end()) for m in _BLOCKED.finditer(text)]
    spans = _Spans(blocked)
    cased = any(ch.isupper() for ch in text) and not text.isupper()
    _titled_people(text, spans)
    _cued_people(text, spans, cased)
    for entity in _model_entities(text, entities, cased):
        spans.add(*entity)
    _org_suffixes(text, spans)
    _firms(text, spans)
    _paired_people(text, spans, cased)
    _listed_people(text, spans, cased)
    _places(text, spans)
    _cued_places(text, spans, cased)
    return sorted(spans.items, key=lambda f: f.start)


# ---------------------------------------------------------------- people


def _name_run(text: str, start: int, cased: bool, *, lexicon_first: bool) -> tuple[int, int] | None:
    """The name that starts at ``start``: 1 to 4 words on one line, a given name first when
    ``lexicon_first`` (else a capitalised word), then capitalised words, particles or family names."""
    words = _words(text, start, min(len(text), start + 80))
    if not words or words[0][0] != start:
        return None
    first = words[0][2]
    if first.lower() in _NOT_NAMES or _TITLE.fullmatch(first):
        return None
    if lexicon_first and not _given(first, cased):
        return None
    if not lexicon_first and not (_is_cap(first) or _given(first, cased)):
        return None
    end = words[0][1]
    taken = 1
    if first.endswith(("'s", "’s")):
        return start, end - 2
    for s, e, word in words[1:]:
        gap = text[end:s]
        if taken >= _MAX_NAME_WORDS or gap not in (" ", " ", "-"):
            break
        if word.lower() in _PARTICLES and taken < _MAX_NAME_WORDS - 1:
            end = e  # kept only if a name word follows (trailing particles are cut below)
            taken += 1
            continue
        if word.lower() in _NOT_NAMES or _ORG_SUFFIX.match(word):
            break
        if (_is_cap(word) and cased and word.lower() not in english_words()) or _family(word, cased):
            end = e
            taken += 1
            if word.endswith(("'s", "’s")):  # "Jeremy Oohara's Cautionary Tales": the name ends here
                end -= 2
                break
            continue
        break
    # never end on a particle
    while True:
        tail = _words(text, start, end)
        if len(tail) > 1 and tail[-1][2].lower() in _PARTICLES:
            end = tail[-2][1]
            continue
        return start, end


def _titled_people(text: str, spans: _Spans) -> None:
    for match in _TITLE.finditer(text):
        run = _name_run(text, match.end(), True, lexicon_first=False)
        if run is not None:
            spans.add(run[0], run[1], PERSON, Likelihood.VERY_LIKELY)


def _cued_people(text: str, spans: _Spans, cased: bool) -> None:
    for match in _PERSON_CUE.finditer(text):
        cue = re.sub(r"[\s,:]+$", "", match.group().lower())
        cue = re.sub(r"\s+", " ", cue)
        strong = cue in _STRONG_CUES or cue.endswith(":")
        run = _name_run(text, match.end(), cased, lexicon_first=not strong)
        if run is None:
            continue
        if strong:
            spans.add(run[0], run[1], PERSON, Likelihood.VERY_LIKELY)
        elif len(_words(text, *run)) > 1 or _given(text[run[0] : run[1]], cased):
            spans.add(run[0], run[1], PERSON, Likelihood.LIKELY)


def _paired_people(text: str, spans: _Spans, cased: bool) -> None:
    """A given name followed by a family name ("claudia nakajima", "Kosara Reisl", "Mark Hansen")."""
    words = _words(text)
    for i, (s, e, word) in enumerate(words[:-1]):
        low = word.lower()
        if (
            (low not in first_names() and not _given(word, cased))
            or low in _FUNCTION_WORDS
            or low in _NOT_NAMES
            or not spans.free(s, e)
        ):
            continue
        if _given(word, cased):
            run = _name_run(text, s, cased, lexicon_first=True)
            if run is None or run[1] == e:
                continue
            last = _words(text, *run)[-1][2]
            if _family(last, False) or (cased and _is_cap(word) and _is_cap(last)):
                spans.add(run[0], run[1], PERSON, Likelihood.LIKELY)
            continue
        # a given name that is also an English word ("Mark", "Grace"): capitalised, before a known family name
        ns, ne, following = words[i + 1]
        if (
            _is_cap(word)
            and _is_cap(following)
            and text[e:ns] == " "
            and following.lower() in last_names()
            and following.lower() not in english_words()
        ):
            spans.add(s, ne, PERSON, Likelihood.LIKELY)


# "a, b, c and d": items start at word starts, are read once, and a list has at most 12 of them
# (linear in the text: a long run of commas cannot make each start rescan it)
_LIST = re.compile(
    r"(?<![\w'’-])[^\W\d_][\w'’-]*+(?:[ \t]*,[ \t]*[^\W\d_][\w'’-]*+){1,12}"
    r"(?:,?[ \t]+(?:and|&)[ \t]+[^\W\d_][\w'’-]*+)"
)


def _listed_people(text: str, spans: _Spans, cased: bool) -> None:
    """Lists of three or more single words, most of them given names ("they had 6: natalina,
    thomas, crystal, omar, zachary and brandy")."""
    for match in _LIST.finditer(text):
        items = _words(text, match.start(), match.end())
        items = [w for w in items if w[2].lower() not in ("and",)]
        if len(items) < 3:
            continue
        givens = [w for w in items if w[2].lower() in first_names()]
        if len(givens) * 3 < len(items) * 2:
            continue
        for s, e, word in items:
            if word.lower() in first_names() or (cased and _is_cap(word)):
                spans.add(s, e, PERSON, Likelihood.LIKELY)


def _model_entities(
    text: str, entities: Sequence[Entity], cased: bool
) -> Iterator[tuple[int, int, str, Likelihood]]:
    for entity in entities:
        for start, end in _pieces(text, entity):
            if entity.label == "PERSON":  # the model often stops after the given name: "Bianca | Togliatti"
                run = _name_run(text, start, cased, lexicon_first=False)
                if run is not None and run[1] > end:
                    end = run[1]
            piece = text[start:end]
            if (
                piece.lower() in _NOT_NAMES
                or not any(ch.isalpha() for ch in piece)
                or _acronym(piece)
                or _code_like(_token_of(text, start, end))
                or _field_label(text, piece, end)
            ):
                continue
            info_type = _relabel(piece, entity.label, cased)
            if info_type is None:
                continue
            likelihood = Likelihood.LIKELY if info_type != ORGANIZATION else Likelihood.POSSIBLE
            yield start, end, info_type, likelihood


def _field_label(text: str, piece: str, end: int) -> bool:
    """An ordinary word before a colon ("Date: 1984-06-15", "Where: ..."): a form's label."""
    return text[end : end + 1] == ":" and piece.lower() in english_words()


def _acronym(piece: str) -> bool:
    """One short all-capital word ("EUR", "GET", "WARN", "IBM"): codes, log levels and acronyms,
    which the model calls organisations; none of them names a person or a place."""
    return " " not in piece and piece.isupper() and len(piece) <= 4


def _token_of(text: str, start: int, end: int) -> str:
    """``text[start:end]`` widened to whitespace on both sides ("NL" inside "NL-AmRKB")."""
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace():
        end += 1
    return text[start:end]


def _code_like(piece: str) -> bool:
    """Identifiers and codes the model takes for names: digits inside ("Building 7B"), or a word
    with capitals inside that is no name ("GB-UkTeS"; "McDonald" and "DeVries" pass)."""
    if any(ch.isdigit() for ch in piece):
        return True
    for word in piece.split():
        inner = sum(1 for ch in word[1:] if ch.isupper())
        if inner >= 2 and not word.isupper():
            return True
    return False


def _pieces(text: str, entity: Entity) -> Iterator[tuple[int, int]]:
    """The entity split at line breaks and (for people) at lower-case words that are no particle;
    each piece trimmed of punctuation, a leading "the" and a trailing possessive."""
    start, end = entity.start, entity.end
    for part in re.finditer(r"[^\n]+", text[start:end]):
        s, e = start + part.start(), start + part.end()
        words = _words(text, s, e)
        if entity.label == "PERSON":
            runs: list[list[tuple[int, int, str]]] = [[]]
            for w in words:
                if w[2].islower() and w[2] not in _PARTICLES and any(_is_cap(x[2]) for x in words):
                    runs.append([])
                else:
                    runs[-1].append(w)
        else:
            runs = [words]
        for run in runs:
            while run and (
                run[0][2].lower() in _FUNCTION_WORDS
                or run[0][2].lower() == "ex"
                or _TITLE.fullmatch(run[0][2])
            ):
                run = run[1:]
            if not run:
                continue
            rs, re_ = run[0][0], run[-1][1]
            possessive = re.search(r"['’]s\b", text[rs:re_])
            if possessive and entity.label == "PERSON":
                re_ = rs + possessive.start()
            while len(run) > 1 and run[-1][2].lower() in ("and", "of", "the", "&"):
                run = run[:-1]
                re_ = run[-1][1]
            if text[re_ - 2 : re_] in ("'s", "’s"):
                re_ -= 2
            yield rs, re_


def _relabel(piece: str, label: str, cased: bool) -> str | None:
    words = [w[2] for w in _words(piece)]
    if not words:
        return None
    if _ORG_SUFFIX.match(words[-1]) and len(words) > 1:
        return ORGANIZATION
    if label == "PERSON":
        low = piece.lower()
        if (
            len(words) == 1
            and low in english_words()
            and low not in first_names()
            and low not in last_names()
        ):
            return None  # "Tales", "Thai": an ordinary word the model took for a name
        if (
            len(words) == 1
            and _place(piece)
            and piece.lower() not in first_names()
            and piece.lower() not in last_names()
        ):
            return LOCATION
        return PERSON
    if label in _RELABEL_FROM and len(words) <= 3 and not _ORG_SUFFIX.match(words[-1]):
        first = words[0]
        if _given(first, cased) and not _place(first) and not _place(piece):
            if len(words) == 1 or _family(words[-1], cased):
                return PERSON
    if label == "ORG" and _place(piece) and not _ORG_SUFFIX.match(words[-1]):
        return LOCATION
    return MODEL_LABELS.get(label)


# ---------------------------------------------------------------- organisations


# "Jones, Mitchell and Williams", "Li, Hensley and Morgan": firms named after their partners, when
# the sentence treats them as one thing ("the ... office", "... account", "at ...")
_FIRM = re.compile(
    r"\b([A-Z][\w'’-]+, [A-Z][\w'’-]+,? (?:and|&) [A-Z][\w'’-]+)"
    r"(?=\s+(?:office|offices|account|team|firm|reception|group|company|store|branch|headquarters)\b)"
)


def _firms(text: str, spans: _Spans) -> None:
    for match in _FIRM.finditer(text):
        for f in spans.overlapping(match.start(1), match.end(1)):
            if f.likelihood < Likelihood.VERY_LIKELY:
                spans.remove(f)
        spans.add(match.start(1), match.end(1), ORGANIZATION, Likelihood.LIKELY)


def _org_suffixes(text: str, spans: _Spans) -> None:
    """Capitalised words ending in a legal or sector suffix: "Junar Inc", "Impaq International"."""
    words = _words(text)
    for i, (_, e, word) in enumerate(words):
        if i == 0 or not _ORG_SUFFIX.match(word):
            continue
        j = i
        while j > 0 and i - j < 4:
            ps, pe, prev = words[j - 1]
            gap = text[pe : words[j][0]]
            if gap.strip(" &") or "\n" in gap or not (_is_cap(prev) or prev.lower() in ("and", "of", "&")):
                break
            j -= 1
        while j < i and words[j][2].lower() in ("and", "of"):
            j += 1
        if j == i:
            continue
        end = e + 1 if text[e : e + 1] == "." and word in ("Inc", "Ltd", "Corp", "Co") else e
        # extend over a model entity that covers only part of the name
        for f in spans.overlapping(words[j][0], end):
            if f.info_type != PERSON:
                spans.remove(f)
        spans.add(words[j][0], end, ORGANIZATION, Likelihood.LIKELY)


# ---------------------------------------------------------------- places

_COUNTRY_MAX_WORDS = 5


def _places(text: str, spans: _Spans) -> None:
    """Known places: multi-word first ("Costa Rica", "People's Republic of China"); a place that
    is also a given name or an ordinary word only after a cue or alone on an address line."""
    words = _words(text)
    i = 0
    while i < len(words):
        found = False
        for n in range(min(_COUNTRY_MAX_WORDS, len(words) - i), 0, -1):
            s, e = words[i][0], words[i + n - 1][1]
            phrase = text[s:e]
            if "\n" in phrase or not _place(phrase):
                continue
            low = phrase.lower()
            capitalised = _is_cap(phrase)
            line = _line_of(text, s, e)
            alone = bool(re.fullmatch(r"[\W\d_]*", line.replace(phrase, "", 1)))
            cue = bool(_PLACE_CUE.search(text[max(0, s - 20) : s]))
            ambiguous = low in english_words() or low in first_names() or low in last_names()
            if not capitalised and not alone and not cue:
                continue
            if ambiguous and not (cue or alone) and n == 1:
                continue
            likelihood = Likelihood.LIKELY if (cue or alone or n > 1) else Likelihood.POSSIBLE
            if spans.add(s, e, LOCATION, likelihood):
                i += n
                found = True
                break
        if not found:
            i += 1


_LOCATIVE = re.compile(
    r"\b(?:[Ii]n|[Ff]rom|[Nn]ear|[Ii]nto|[Vv]isit(?:ing|ed)?|[Mm]oved\s+to|[Ll]ives?\s+in"
    r"|[Bb]ased\s+in|[Tt]rip\s+to|[Ff]lying\s+to|[Aa]rrived\s+(?:at|in))\s+"
)
# words that may sit inside a place name without being capitalised
_PLACE_JOINERS = {
    "de",
    "del",
    "la",
    "le",
    "les",
    "di",
    "da",
    "do",
    "dos",
    "das",
    "du",
    "of",
    "on",
    "upon",
    "am",
    "an",
    "im",
    "bei",
    "sur",
    "en",
    "y",
    "u",
    "nad",
    "pod",
    "van",
    "aan",
    "den",
}


def _cued_places(text: str, spans: _Spans, cased: bool) -> None:
    """A name nobody knows after a locative cue ("I am in Tystberga", "moved here from Cite
    Essanaouber"): capitalised (or, in mixed-case text, all-capital) words that are no English
    word, no given name and no organisation."""
    if not cased:
        return
    for cue in _LOCATIVE.finditer(text):
        words = _words(text, cue.end(), min(len(text), cue.end() + 60))
        run: list[tuple[int, int, str]] = []
        for s, e, word in words:
            if run and (text[run[-1][1] : s] not in (" ", "-")):
                break
            if word.lower() in _PLACE_JOINERS and run:
                run.append((s, e, word))
                continue
            if not _is_cap(word) or word.lower() in _FUNCTION_WORDS or word.lower() in _NOT_NAMES:
                break
            if word.isupper() and len(word) < 4:
                break  # an acronym
            run.append((s, e, word))
            if len(run) >= 5:
                break
        while run and run[-1][2].lower() in _PLACE_JOINERS:
            run.pop()
        if not run or run[0][0] != cue.end():
            continue
        first = run[0][2]
        content = [w for w in run if w[2].lower() not in _PLACE_JOINERS]
        if (
            all(w[2].lower() in english_words() for w in content)
            or _given(first, True)
            or _ORG_SUFFIX.match(run[-1][2])
        ):
            continue
        spans.add(run[0][0], run[-1][1], LOCATION, Likelihood.POSSIBLE)


def _line_of(text: str, start: int, end: int) -> str:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    return text[line_start : line_end if line_end >= 0 else len(text)]


def entities_from_doc(doc: object) -> list[Entity]:
    """The entities of a spaCy ``Doc`` as plain values (no spaCy types leave the recognizer)."""
    return [Entity(ent.start_char, ent.end_char, ent.label_) for ent in doc.ents]  # type: ignore[attr-defined]
