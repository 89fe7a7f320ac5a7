"""National identifiers validated by python-stdnum (checksums, embedded dates, ranges).

Two tables. ``_FORMATTED``: layouts with letters or separators, one regex
each. ``BARE_ROWS``: the same numbers written as a plain digit run, checked by
one shared :class:`~veilwatch.transforms.detection.recognizer.BareNumberRecognizer` that
dispatches on the run's length. The likelihood a *valid* match gets without
context follows how much a valid match says on its own:

* LIKELY: a layout nobody else uses plus a check character (Finnish HETU
  ``131052-308T``, Italian codice fiscale, Spanish NIE, ``YYMMDD-NNNNNNN``);
* POSSIBLE: digits only, but a date and one or two check digits (PESEL,
  Turkish TC Kimlik, Swedish personnummer, South African ID), or the NHS
  number's own 3-3-4 grouping with its mod-11 check digit (bare, the same ten
  digits stay UNLIKELY: without the grouping they are any ten-digit number);
* UNLIKELY: nine to eleven bare digits behind a single mod-11/Luhn digit (BSN,
  SIN, TFN, NHS ...): one random number in ten passes, so only context words
  (see ``catalog.DEFAULT_HOTWORDS``) lift these to a reportable level.
"""

from __future__ import annotations

import re

from veilwatch.transforms.detection.findings import Finding, Likelihood
from veilwatch.transforms.detection.recognizer import Recognizer, RegexRecognizer, Validator
from veilwatch.transforms.detection.validators import stdnum_validator

L, P, U = Likelihood.LIKELY, Likelihood.POSSIBLE, Likelihood.UNLIKELY
_E = r"(?![\w]|[\-./]\d)"  # right boundary; the left one is checked by RegexRecognizer(not_after=...)

# (infoType, stdnum module, regex, likelihood when valid, min digit run)
# min digit run: the longest run of consecutive digits every match contains;
# the engine skips the row for texts without such a run (a cheap prefilter).
_FORMATTED: tuple[tuple[str, str, str, Likelihood, int], ...] = (
    ("FINLAND_NATIONAL_ID_NUMBER", "fi.hetu", r"\d{6}[\-+ABCDEFYXWVU]\d{3}[0-9A-Y]", L, 6),
    ("SWEDEN_NATIONAL_ID_NUMBER", "se.personnummer", r"\d{6}(?:\d{2})?[\-+]\d{4}", L, 6),
    ("NORWAY_NI_NUMBER", "no.fodselsnummer", r"\d{6}[ \-]\d{5}", P, 6),
    ("DENMARK_CPR_NUMBER", "dk.cpr", r"\d{6}-\d{4}", U, 6),
    ("KOREA_RRN", "kr.rrn", r"\d{6}-\d{7}", L, 6),
    ("SOUTH_AFRICA_ID_NUMBER", "za.idnr", r"\d{6} \d{4} \d{2} \d", P, 6),
    (
        "ITALY_FISCAL_CODE",
        "it.codicefiscale",
        r"[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]",
        L,
        0,
    ),
    ("SPAIN_NIF_NUMBER", "es.nif", r"\d{8}[ \-]?[A-Za-z]", L, 8),
    ("SPAIN_NIF_NUMBER", "es.nif_klm", r"[KLM]\d{7}[A-Z]", L, 7),
    ("SPAIN_NIE_NUMBER", "es.nie", r"[XYZ][ \-]?\d{7}[ \-]?[A-Z]", L, 7),
    ("INDIA_PAN_INDIVIDUAL", "in_.pan", r"[A-Z]{3}[ABCFGHLJPTK][A-Z]\d{4}[A-Z]", P, 4),
    ("INDIA_GST_INDIVIDUAL", "in_.gstin", r"\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]", L, 4),
    ("INDIA_AADHAAR_INDIVIDUAL", "in_.aadhaar", r"[2-9]\d{3}([ \-])\d{4}\1\d{4}", P, 4),
    ("CHINA_RESIDENT_ID_NUMBER", "cn.ric", r"\d{17}[Xx]", P, 17),
    ("MEXICO_CURP_NUMBER", "mx.curp", r"[A-Z]{4}\d{6}[HMX][A-Z]{5}[0-9A-Z]\d", L, 6),
    ("BRAZIL_CPF_NUMBER", "br.cpf", r"\d{3}\.\d{3}\.\d{3}-\d{2}", L, 3),
    ("CANADA_SOCIAL_INSURANCE_NUMBER", "ca.sin", r"\d{3}([ \-])\d{3}\1\d{3}", P, 3),
    ("NETHERLANDS_BSN_NUMBER", "nl.bsn", r"\d{4}\.\d{2}\.\d{3}", U, 4),
    ("FRANCE_NIR", "fr.nir", r"[12] ?\d{2} ?\d{2} ?(?:\d{2}|2[ABab]) ?\d{3} ?\d{3} ?\d{2}", P, 2),
    ("BELGIUM_NATIONAL_ID_CARD_NUMBER", "be.nn", r"\d{2}\.\d{2}\.\d{2}-\d{3}\.\d{2}", L, 2),
    ("UK_NATIONAL_HEALTH_SERVICE_NUMBER", "gb.nhs", r"\d{3}([ \-])\d{3}\1\d{4}", P, 3),  # 3-3-4 + mod 11
    ("UK_TAXPAYER_REFERENCE", "gb.utr", r"\d{5} \d{5}", U, 5),
    ("GERMANY_TAXPAYER_IDENTIFICATION_NUMBER", "de.idnr", r"\d{2} \d{3} \d{3} \d{3}", U, 2),
    ("PORTUGAL_CDC_NUMBER", "pt.cc", r"\d{8} ?\d ?[A-Z]{2}\d", L, 8),
    ("AUSTRALIA_TAX_FILE_NUMBER", "au.tfn", r"\d{3} \d{3} \d{2,3}", U, 3),
    ("THAILAND_NATIONAL_ID_NUMBER", "th.pin", r"\d([ \-])\d{4}\1\d{5}\1\d{2}\1\d", L, 1),
    ("CHILE_CDI_NUMBER", "cl.rut", r"\d{1,2}\.\d{3}\.\d{3}-[\dkK]|\d{7,8}-[\dkK]", P, 3),
    ("IRELAND_PPSN", "ie.pps", r"\d{7}[A-W][ABWTXZ]?", P, 7),
)

# (infoType, stdnum module, digit-run lengths, likelihood when valid)
_BARE: tuple[tuple[str, str, tuple[int, ...], Likelihood], ...] = (
    ("SWEDEN_NATIONAL_ID_NUMBER", "se.personnummer", (10, 12), P),
    ("NORWAY_NI_NUMBER", "no.fodselsnummer", (11,), P),
    ("DENMARK_CPR_NUMBER", "dk.cpr", (10,), U),
    ("KOREA_RRN", "kr.rrn", (13,), P),
    ("TURKEY_ID_NUMBER", "tr.tckimlik", (11,), P),
    ("POLAND_PESEL_NUMBER", "pl.pesel", (11,), P),
    ("SOUTH_AFRICA_ID_NUMBER", "za.idnr", (13,), P),
    ("THAILAND_NATIONAL_ID_NUMBER", "th.pin", (13,), P),
    ("CHINA_RESIDENT_ID_NUMBER", "cn.ric", (18,), P),
    ("INDIA_AADHAAR_INDIVIDUAL", "in_.aadhaar", (12,), U),
    ("BRAZIL_CPF_NUMBER", "br.cpf", (11,), U),
    ("CANADA_SOCIAL_INSURANCE_NUMBER", "ca.sin", (9,), U),
    ("NETHERLANDS_BSN_NUMBER", "nl.bsn", (9,), U),
    ("BELGIUM_NATIONAL_ID_CARD_NUMBER", "be.nn", (11,), U),
    ("UK_NATIONAL_HEALTH_SERVICE_NUMBER", "gb.nhs", (10,), U),
    ("UK_TAXPAYER_REFERENCE", "gb.utr", (10,), U),
    ("GERMANY_TAXPAYER_IDENTIFICATION_NUMBER", "de.idnr", (11,), U),
    ("ISRAEL_IDENTITY_CARD_NUMBER", "il.idnr", (9,), U),
    ("CROATIA_PERSONAL_ID_NUMBER", "hr.oib", (11,), U),
    ("AUSTRALIA_TAX_FILE_NUMBER", "au.tfn", (8, 9), U),
)


# Digits in the shortest match of a formatted layout, where they all sit in one
# digit cluster (see Recognizer.min_digits); layouts broken up by letters use
# their min digit run instead.
_MIN_DIGITS = {
    "fi.hetu": 6,
    "se.personnummer": 6,
    "no.fodselsnummer": 11,
    "dk.cpr": 10,
    "kr.rrn": 13,
    "za.idnr": 13,
    "es.nif": 8,
    "in_.aadhaar": 12,
    "cn.ric": 17,
    "br.cpf": 11,
    "ca.sin": 9,
    "nl.bsn": 9,
    "be.nn": 11,
    "gb.nhs": 10,
    "gb.utr": 10,
    "de.idnr": 11,
    "pt.cc": 9,
    "au.tfn": 8,
    "th.pin": 13,
    "cl.rut": 7,
    # letters split these into clusters; the largest cluster of the shortest layout:
    "fr.nir": 8,
    "es.nie": 7,
    "es.nif_klm": 7,
    "ie.pps": 7,
    "mx.curp": 6,
    "in_.pan": 4,
    "in_.gstin": 4,
}


# layouts with letters: a cheap shape check before the full pattern
_GATES = {
    "it.codicefiscale": r"[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-EHLMPR-T]",
    "in_.pan": r"[A-Z]{5}\d{4}[A-Z]",
    "in_.gstin": r"\d{2}[A-Z]{5}\d{4}",
    "mx.curp": r"[A-Z]{4}\d{6}[HMX]",
    "es.nie": r"[XYZ][ \-]?\d{7}",
    "es.nif_klm": r"[KLM]\d{7}[A-Z]",
    "pt.cc": r"\d ?[A-Z]{2}\d",
    "ie.pps": r"\d{7}[A-W]",
    "fi.hetu": r"\d{6}[\-+A-Y]\d{3}",
    "cl.rut": r"\d-[\dkK](?!\d)",
}


def bare_rows(level: Likelihood) -> list[tuple[str, frozenset[int], Validator, Likelihood]]:
    """Rows of one likelihood for a shared BareNumberRecognizer."""
    return [
        (t, frozenset(lengths), stdnum_validator(module), lv)
        for t, module, lengths, lv in _BARE
        if lv is level
    ]


# UK National Insurance number: stdnum has no module for it, so the published
# rules are written here: two prefix letters (D, F, I, Q, U, V never; O not
# second; BG, GB, KN, NK, NT, TN, ZZ never allocated), six digits, suffix A-D.
_NINO = re.compile(
    r"[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z](?<!BG|GB|KN|NK|NT|TN|ZZ) ?\d{2} ?\d{2} ?\d{2} ?[A-D]" + _E
)

# UK driving licence: 5 surname characters (9-padded), a date-coded 6 digits
# (decade, month + 50 for women, day, year), 2 initials, a digit, 2 check letters.
_UK_DL = re.compile(r"[A-Z9]{5}(\d)([0156]\d)([0-3]\d)(\d)[A-Z9]{2}\d[A-Z]{2}" + _E)


class UkDriversLicenceRecognizer(Recognizer):
    """UK driving licence numbers whose embedded birth month and day are real."""

    info_types = ("UK_DRIVERS_LICENSE_NUMBER",)
    gate = r"[A-Z9]{5}\d{6}"
    min_digit_run = 6
    prefilter_patterns = ((_UK_DL.pattern, 0),)

    def find(self, text: str):
        for match in _UK_DL.finditer(text):
            start = match.start()
            if start and (text[start - 1].isalnum() or text[start - 1] in "_-./"):
                continue
            month = int(match.group(2)) % 50
            day = int(match.group(3))
            if 1 <= month <= 12 and 1 <= day <= 31:
                yield Finding(start, match.end(), "UK_DRIVERS_LICENSE_NUMBER", Likelihood.LIKELY)


# Module options: temporary HETUs (individual number 900-999) identify people too.
_OPTIONS: dict[str, dict[str, object]] = {"fi.hetu": {"allow_temporary": True}}


def recognizers() -> list[Recognizer]:
    """One recognizer per formatted layout, plus the UK layouts stdnum does not cover.

    The bare-digit layouts are served by the catalog's shared BareNumberRecognizer (``bare_rows``).
    """
    out: list[Recognizer] = [
        RegexRecognizer(
            info_type,
            f"(?:{body}){_E}",
            likelihood=level,
            validator=stdnum_validator(module.replace("_klm", ""), **_OPTIONS.get(module, {})),
            min_digit_run=run,
            min_digits=_MIN_DIGITS.get(module, 0),
            not_after="-./",
            gate=_GATES.get(module),
            needs_context=level is U,
        )
        for info_type, module, body, level, run in _FORMATTED
    ]
    out.append(
        RegexRecognizer(
            "UK_NATIONAL_INSURANCE_NUMBER",
            _NINO,
            likelihood=Likelihood.POSSIBLE,
            min_digit_run=2,
            min_digits=6,
            not_after="-./",
        )
    )
    out.append(UkDriversLicenceRecognizer())
    return out
