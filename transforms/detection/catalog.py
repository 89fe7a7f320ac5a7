"""The default infoType catalog: which recognizers exist and their built-in context words.

``DEFAULT_CATALOG`` lists every infoType the default engine can report.
``DEFAULT_HOTWORDS`` are the context rules shipped with it: for types whose
pattern means little alone (driver's licence, passport, date of birth, bare
national numbers) they are what lifts a candidate above ``min_likelihood``;
for the others they raise a valid match one or two levels. A dataset config
adds its own rules on top (settings.hotwords).

Non-personal identifiers that python-stdnum also validates (ISIN, ISBN,
SEDOL, WKN, ISIL, LEI, company registers ...) are deliberately absent: flagging
them would be a false positive in a real feed.
"""

from __future__ import annotations

from veilwatch.transforms.detection.findings import Likelihood
from veilwatch.transforms.detection.recognizer import BareNumberRecognizer, Recognizer
from veilwatch.transforms.detection.recognizers import (
    address,
    financial,
    national_ids,
    network,
    phone,
    secrets,
    temporal,
    us_ids,
    vat,
)
from veilwatch.transforms.detection.settings import DetectionSettings, HotwordRule

_FIXED_LIKELY = Likelihood.LIKELY


def _rule(
    info_type: str,
    words: str,
    *,
    boost: int = 1,
    fixed: Likelihood | None = None,
    before: int = 50,
    after: int = 20,
) -> HotwordRule:
    return HotwordRule(info_type, tuple(w.strip() for w in words.split("|")), before, after, fixed, boost)


DEFAULT_HOTWORDS: tuple[HotwordRule, ...] = (
    # context-only types: a hotword is what makes them reportable
    _rule(
        "US_DRIVERS_LICENSE_NUMBER",
        "driver|drivers|driver's|driving|license|licence|licenses|dl|dln|dl#",
        fixed=_FIXED_LIKELY,
        before=60,
        after=10,
    ),
    # (US_PASSPORT checks its own context: recognizers/us_ids.py PASSPORT_WORDS)
    _rule(
        "PASSPORT",
        "passport|passports|passport#|passport no|travel document",
        fixed=_FIXED_LIKELY,
        before=50,
        after=10,
    ),
    _rule(
        "DATE_OF_BIRTH",
        "born|birth|birthday|birthdate|dob|d.o.b|date of birth|geboren|né|née",
        fixed=_FIXED_LIKELY,
        before=40,
        after=10,
    ),
    # valid on their own, stronger with context
    _rule(
        "CREDIT_CARD_NUMBER",
        "card|cards|credit|debit|visa|mastercard|amex|american express|cc|payment|pan|cvv",
    ),
    _rule("IBAN_CODE", "iban|account|bank|transfer|wire"),
    _rule("PHONE_NUMBER", "phone|telephone|tel|mobile|cell|cellphone|call|fax|contact|number|whatsapp|sms"),
    _rule("US_SOCIAL_SECURITY_NUMBER", "ssn|ssns|ssn#|ss#|social security|social sec|social", boost=2),
    _rule("US_INDIVIDUAL_TAXPAYER_IDENTIFICATION_NUMBER", "itin|taxpayer|tax id|tin", boost=2),
    _rule("SWIFT_CODE", "swift|bic|swift code|bank code", boost=2),
    _rule("US_BANK_ROUTING_MICR", "routing|aba|rtn|transit|routing number|bank", boost=2),
    _rule("EMAIL_ADDRESS", "email|e-mail|mail", boost=1),
    _rule(
        "STREET_ADDRESS",
        "address|addresses|lives at|live at|living at|ship to|shipping|deliver to|delivery|"
        "send to|sent to|mail to|mailing|billing|located at|moved to|postal|adresse|anschrift|wohnhaft|"
        "dirección|direccion|indirizzo|adres|endereço|endereco",
        boost=1,
        before=60,
        after=10,
    ),
    # national numbers: bare digits need the country's name for them
    _rule("CANADA_SOCIAL_INSURANCE_NUMBER", "sin|social insurance|numéro d'assurance sociale|nas", boost=2),
    _rule("NETHERLANDS_BSN_NUMBER", "bsn|burgerservicenummer|sofinummer|sofi", boost=2),
    _rule("UK_NATIONAL_HEALTH_SERVICE_NUMBER", "nhs|national health", boost=2),
    _rule("UK_TAXPAYER_REFERENCE", "utr|tax reference|unique taxpayer", boost=2),
    _rule(
        "GERMANY_TAXPAYER_IDENTIFICATION_NUMBER",
        "steuer|steuerid|steuer-id|idnr|identifikationsnummer|steueridentifikationsnummer|tax id",
        boost=2,
    ),
    _rule("ISRAEL_IDENTITY_CARD_NUMBER", "teudat|zehut|israeli id|israel id", boost=2),
    _rule("CROATIA_PERSONAL_ID_NUMBER", "oib|osobni identifikacijski", boost=2),
    _rule("AUSTRALIA_TAX_FILE_NUMBER", "tfn|tax file", boost=2),
    _rule("BRAZIL_CPF_NUMBER", "cpf|cadastro de pessoas", boost=2),
    _rule("INDIA_AADHAAR_INDIVIDUAL", "aadhaar|aadhar|uidai|uid", boost=2),
    _rule("DENMARK_CPR_NUMBER", "cpr|personnummer|cpr-nummer", boost=2),
    _rule(
        "BELGIUM_NATIONAL_ID_CARD_NUMBER",
        "rijksregisternummer|national number|numéro national|insz|niss",
        boost=2,
    ),
    _rule("KOREA_RRN", "rrn|resident registration|주민등록번호", boost=1),
    _rule("TURKEY_ID_NUMBER", "tc kimlik|kimlik|tckn|t.c.", boost=1),
    _rule("POLAND_PESEL_NUMBER", "pesel", boost=1),
    _rule("SWEDEN_NATIONAL_ID_NUMBER", "personnummer|personal identity number", boost=1),
    _rule("NORWAY_NI_NUMBER", "fødselsnummer|fodselsnummer|personnummer", boost=1),
    _rule("FINLAND_NATIONAL_ID_NUMBER", "hetu|henkilötunnus|personal identity code", boost=1),
    _rule("SOUTH_AFRICA_ID_NUMBER", "id number|identity number|south african id", boost=1),
    _rule("CHINA_RESIDENT_ID_NUMBER", "身份证|resident id|ric", boost=1),
    _rule("THAILAND_NATIONAL_ID_NUMBER", "thai id|เลขประจำตัวประชาชน|national id", boost=1),
    _rule("INDIA_PAN_INDIVIDUAL", "pan|permanent account number|income tax", boost=1),
)


def all_recognizers(settings: DetectionSettings) -> list[Recognizer]:
    """Every built-in recognizer (before filtering by ``settings.info_types``)."""
    wanted = frozenset(settings.info_types) if settings.info_types is not None else frozenset(DEFAULT_CATALOG)
    return [
        *secrets.recognizers(),
        *network.recognizers(),
        *financial.recognizers(),
        *us_ids.recognizers(),
        *national_ids.recognizers(),
        BareNumberRecognizer(national_ids.bare_rows(Likelihood.POSSIBLE), min_length=10),
        BareNumberRecognizer(
            national_ids.bare_rows(Likelihood.UNLIKELY) + financial.BARE_ROWS,
            min_length=8,
            needs_context=True,
        ),
        *vat.recognizers(),
        phone.PhoneRecognizer(settings.phone_regions),  # after the IDs: on a tie, the ID layout wins
        temporal.DateRecognizer(wanted),
        temporal.AgeRecognizer(),
        *address.recognizers(),  # last: on a tie, an identifier's own layout wins
    ]


def _catalog() -> tuple[str, ...]:
    names: list[str] = []
    for recognizer in all_recognizers(DetectionSettings(info_types=("DATE", "DATE_OF_BIRTH"))):
        for name in recognizer.info_types:
            if name not in names:
                names.append(name)
    return tuple(names)


#: every infoType the default engine reports (NER types are added only when spaCy is installed)
DEFAULT_CATALOG: tuple[str, ...] = _catalog()
