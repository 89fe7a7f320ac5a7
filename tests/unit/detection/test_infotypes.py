"""Per-infoType positives and negatives, including near misses (checksum off by one digit)."""

from __future__ import annotations

import pytest

from tests.unit.detection.conftest import spans

# (text, expected matched text, infoType)
POSITIVES = [
    ("write to jane.doe+news@example.co.uk today", "jane.doe+news@example.co.uk", "EMAIL_ADDRESS"),
    ("a@xn--d1acufc.xn--p1ai", "a@xn--d1acufc.xn--p1ai", "EMAIL_ADDRESS"),
    ("call (415) 555-0132 now", "(415) 555-0132", "PHONE_NUMBER"),
    ("international +44 20 7123 4567", "+44 20 7123 4567", "PHONE_NUMBER"),
    ("Tel. +49 30 1234567", "+49 30 1234567", "PHONE_NUMBER"),
    ("card 4111 1111 1111 1111 expires", "4111 1111 1111 1111", "CREDIT_CARD_NUMBER"),
    ("amex 378282246310005", "378282246310005", "CREDIT_CARD_NUMBER"),
    ("mc 5555-5555-5555-4444", "5555-5555-5555-4444", "CREDIT_CARD_NUMBER"),
    ("IBAN GB29 NWBK 6016 1331 9268 19.", "GB29 NWBK 6016 1331 9268 19", "IBAN_CODE"),
    ("DE89370400440532013000", "DE89370400440532013000", "IBAN_CODE"),
    ("NO 0560110516994", "NO 0560110516994", "IBAN_CODE"),
    ("swift code DEUTDEFF500", "DEUTDEFF500", "SWIFT_CODE"),
    ("SSN 078-05-1123", "078-05-1123", "US_SOCIAL_SECURITY_NUMBER"),
    ("my social security number is 536904399", "536904399", "US_SOCIAL_SECURITY_NUMBER"),
    ("ITIN 912-70-1234 on file", "912-70-1234", "US_INDIVIDUAL_TAXPAYER_IDENTIFICATION_NUMBER"),
    ("My driver's license number is M943688896309", "M943688896309", "US_DRIVERS_LICENSE_NUMBER"),
    ("routing number 121000358", "121000358", "US_BANK_ROUTING_MICR"),
    ("MICR 0711-0130-7", "0711-0130-7", "US_BANK_ROUTING_MICR"),
    ("from 192.168.1.1, port 80", "192.168.1.1", "IP_ADDRESS"),
    ("Connect to [2001:db8::1]:8080", "2001:db8::1", "IP_ADDRESS"),
    ("fe80::1%eth0 up", "fe80::1%eth0", "IP_ADDRESS"),
    # found by tests/reliability: an IPv6 address before a colon (end of a clause) was missed
    (
        "blocked 2a02:8fd2:c515:3137:5247:921a:9b06:9be6: too many requests",
        "2a02:8fd2:c515:3137:5247:921a:9b06:9be6",
        "IP_ADDRESS",
    ),
    ("peer fe80::1:", "fe80::1", "IP_ADDRESS"),
    ("MAC 00:1A:2B:3C:4D:5E", "00:1A:2B:3C:4D:5E", "MAC_ADDRESS"),
    ("Cisco 0012.3456.789A", "0012.3456.789A", "MAC_ADDRESS"),
    ("see https://www.example.com/a?b=1.", "https://www.example.com/a?b=1", "URL"),
    ("my domains: microsoft.com", "microsoft.com", "DOMAIN_NAME"),
    ("met on 2024-03-01 at noon", "2024-03-01", "DATE"),
    ("signed March 5, 2021", "March 5, 2021", "DATE"),
    ("at 2024-03-15T14:30:00.123+02:00 the job failed", "2024-03-15T14:30:00.123+02:00", "DATE"),
    ("ts=2024-03-15T14:30Z", "2024-03-15T14:30Z", "DATE"),
    ("HIRED 05-MAY-2021", "05-MAY-2021", "DATE"),
    ("since May-2021", "May-2021", "DATE"),
    ("born on 12/03/1985", "12/03/1985", "DATE_OF_BIRTH"),
    ("she is 42 years old", "42", "AGE"),
    ("passport number X12345678", "X12345678", "US_PASSPORT"),  # next-generation US layout
    ("passport number XA1234567", "XA1234567", "PASSPORT"),  # not a US layout
    ("henkilötunnus 131052-308T", "131052-308T", "FINLAND_NATIONAL_ID_NUMBER"),
    ("temporary hetu 010594Y9032.", "010594Y9032", "FINLAND_NATIONAL_ID_NUMBER"),  # 2023 separator, 9xx
    ("personnummer 880320+0016", "880320+0016", "SWEDEN_NATIONAL_ID_NUMBER"),  # + = over 100 years old
    ("ITIN 911-53-1234", "911-53-1234", "US_INDIVIDUAL_TAXPAYER_IDENTIFICATION_NUMBER"),  # 2011 group range
    ("codice fiscale RCCMNL83S18D969H", "RCCMNL83S18D969H", "ITALY_FISCAL_CODE"),
    ("NIE X-2482300-W", "X-2482300-W", "SPAIN_NIE_NUMBER"),
    ("PESEL 44051401458", "44051401458", "POLAND_PESEL_NUMBER"),
    ("TC 35209878136", "35209878136", "TURKEY_ID_NUMBER"),
    ("RRN 810819-6901483", "810819-6901483", "KOREA_RRN"),
    ("PAN AAKFD7113K", "AAKFD7113K", "INDIA_PAN_INDIVIDUAL"),
    ("personnummer 880320-0016", "880320-0016", "SWEDEN_NATIONAL_ID_NUMBER"),
    ("South African identity number 7405035028087", "7405035028087", "SOUTH_AFRICA_ID_NUMBER"),
    ("SIN 130 692 544", "130 692 544", "CANADA_SOCIAL_INSURANCE_NUMBER"),
    ("BSN 111222333", "111222333", "NETHERLANDS_BSN_NUMBER"),
    ("NINO AB 12 34 56 C", "AB 12 34 56 C", "UK_NATIONAL_INSURANCE_NUMBER"),
    ("VAT DE 136 695 976", "DE 136 695 976", "VAT_NUMBER"),
    ("TVA CHE-105.838.471 MWST", "CHE-105.838.471 MWST", "VAT_NUMBER"),
    ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.abcdefghij_KLMNOP", None, "JSON_WEB_TOKEN"),
    ("key=AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI", "AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI", "GCP_API_KEY"),
    ("aws AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE", "AWS_CREDENTIALS"),
    ("Authorization: Bearer abcdef0123456789abcdef", "abcdef0123456789abcdef", "AUTH_TOKEN"),
]


@pytest.mark.parametrize(
    "text, expected, info_type", POSITIVES, ids=[p[2] + ":" + p[0][:20] for p in POSITIVES]
)
def test_positive(engine, text, expected, info_type):
    found = spans(engine, text)
    types = [t for _, t in found]
    assert info_type in types, found
    if expected is not None:
        assert (expected, info_type) in found


def test_pem_private_key_block(engine):
    text = "cfg\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\nrest"
    (finding,) = engine.scan(text)
    assert finding.info_type == "ENCRYPTION_KEY"
    assert text[finding.start : finding.end].startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert text[finding.start : finding.end].endswith("-----END RSA PRIVATE KEY-----")


# (text, infoType that must not be reported there)
NEGATIVES = [
    ("card 4111 1111 1111 1112", "CREDIT_CARD_NUMBER"),  # 16 digits failing Luhn
    ("order 9111111111111111", "CREDIT_CARD_NUMBER"),  # Luhn-valid, no issuer starts with 9
    ("IBAN GB28 NWBK 6016 1331 9268 19", "IBAN_CODE"),  # wrong check digits
    ("LV80 bANK 0000 4351 9500 1", "IBAN_CODE"),  # mixed case
    ("SSN 666-12-3456", "US_SOCIAL_SECURITY_NUMBER"),  # area 666 is never issued
    ("SSN 078-05-1120", "US_SOCIAL_SECURITY_NUMBER"),  # the retired Woolworth sample
    ("SSN 123-00-4567", "US_SOCIAL_SECURITY_NUMBER"),  # group 00
    ("693-09.4444", "US_SOCIAL_SECURITY_NUMBER"),  # two different separators
    ("my ip: 192.168.0", "IP_ADDRESS"),
    ("256.256.256.256", "IP_ADDRESS"),
    ("Time 12:34:56", "IP_ADDRESS"),
    ("Time 12:34:56: done", "IP_ADDRESS"),
    ("std::cout << x", "IP_ADDRESS"),
    ("Broadcast: FF:FF:FF:FF:FF:FF", "MAC_ADDRESS"),
    ("Not a MAC: 00:1A:2B:3C:4D", "MAC_ADDRESS"),
    ("my email is info@presidio.", "EMAIL_ADDRESS"),
    ("http://microsoft", "URL"),
    ("open config.yaml and main.py", "DOMAIN_NAME"),
    ("My license number is 12345", "US_DRIVERS_LICENSE_NUMBER"),  # too short
    ("reference 50473044", "US_DRIVERS_LICENSE_NUMBER"),  # no context
    ("henkilötunnus 131052-308U", "FINLAND_NATIONAL_ID_NUMBER"),  # wrong check character
    ("PESEL 44051401459", "POLAND_PESEL_NUMBER"),
    ("VAT DE 136 695 977", "VAT_NUMBER"),
    ("date 2023-02-30", "DATE"),  # no such day
    ("at 2023-02-30T10:00Z", "DATE"),  # no such day, with a time
    ("at 2024-03-15T25:00Z", "DATE"),  # no such hour: the date is not cut off from it either
    ("call Mayday-2021", "DATE"),  # not a month name
    ("call 555-0132", "PHONE_NUMBER"),  # too short to be a number with an area code
    ("version 2024-01-15 14:30", "PHONE_NUMBER"),
    ("eyJub3QiOiJqd3QifQ.eyJzdWIiOiIxMjM0In0.abcdefghij", "JSON_WEB_TOKEN"),  # header has no alg
]


@pytest.mark.parametrize("text, info_type", NEGATIVES, ids=[n[1] + ":" + n[0][:20] for n in NEGATIVES])
def test_negative(engine, text, info_type):
    assert info_type not in [t for _, t in spans(engine, text)], spans(engine, text)


@pytest.mark.parametrize("value", ["US0378331005", "978-0-306-40615-7", "0263494", "A0MNRK", "NL-AmRKB"])
def test_non_personal_identifiers_not_flagged(engine, value):
    """ISIN, ISBN, SEDOL, WKN, ISIL: python-stdnum validates them, but they are not PII."""
    assert engine.scan(value) == []


def test_the_iban_checksum_prefilter_agrees_with_iso_7064():
    # financial._mod97_ok reads the letters with one translate table: the same verdict as
    # reading them one by one (A = 10 ... Z = 35), on valid, off-by-one and odd candidates
    from veilwatch.transforms.detection.recognizers.financial import _mod97_ok

    def one_by_one(text: str) -> bool:
        compact = text.replace(" ", "").replace("-", "").replace(".", "")
        try:
            return int("".join(str(int(c, 36)) for c in compact[4:] + compact[:4])) % 97 == 1
        except ValueError:
            return False

    valid = ["GB29 NWBK 6016 1331 9268 19", "gb29nwbk60161331926819", "DE89370400440532013000"]
    others = [
        "GB29 NWBK 6016 1331 9268 18",
        "DE89370400440532013001",
        "DE89_3704",
        "DE89é3704",
        "DE89٣704",
        "",
    ]
    assert [_mod97_ok(t) for t in valid] == [True, True, True]
    assert [_mod97_ok(t) for t in valid + others] == [one_by_one(t) for t in valid + others]
