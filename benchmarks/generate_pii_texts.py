"""Generate labelled free text with people, places, organisations, addresses and identifiers.

    .venv/bin/python benchmarks/generate_pii_texts.py --out benchmarks/results/generated_pii.jsonl \\
        --texts 2000 --seed 7

Held-out texts for ``benchmarks/pii_accuracy.py --held-out``: written here from
Faker values (many locales) poured into sentence shapes of our own (support
tickets, chats, e-mails with signature blocks, forms, logs, CRM notes), never
copied from the dev set. The gold format is ``pii_text_dev.jsonl``'s: ``text``
and ``spans`` with ``start``, ``end``, ``entity_type`` (Presidio label names,
which ``../shared/eval/pii_score.py`` maps: PERSON, LOCATION, ORGANIZATION,
STREET_ADDRESS, EMAIL_ADDRESS, PHONE_NUMBER, CREDIT_CARD, IBAN_CODE, US_SSN,
IP_ADDRESS, URL).

Labelling convention: a whole postal address (street line, unit, postcode,
city) is one STREET_ADDRESS span; a city or country named on its own is
LOCATION; a person's name without title is PERSON. Some texts are lower-cased
(chat), some upper-cased (log lines), and some carry no PII at all.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

LOCALES = [
    "en_US",
    "en_GB",
    "en_CA",
    "en_AU",
    "en_IE",
    "en_IN",
    "de_DE",
    "de_AT",
    "fr_FR",
    "es_ES",
    "it_IT",
    "nl_NL",
    "pt_BR",
    "pt_PT",
    "pl_PL",
    "sv_SE",
    "da_DK",
    "fi_FI",
    "no_NO",
    "cs_CZ",
]

# {slot} -> kind; each template is a sentence shape of a kind of text a feed carries.
TEMPLATES = [
    "Ticket #{num}: customer {person} reports that the invoice sent to {email} was never received.",
    "Hi {first}, thanks for reaching out. We have updated the delivery address to {address}.",
    "Please ship the replacement to {address} and call {phone} if nobody answers.",
    "{person} called from {city} about a refund for card ending {last4}.",
    "Meeting notes: {person} ({org}) and {person2} agreed to move the launch to {city}.",
    "From: {person} <{email}>\nTo: support\nSubject: wrong charge\n\nMy card {card} was charged twice. Regards,\n{person}",
    "Kind regards,\n{person}\n{job}, {org}\n{address}\nTel: {phone}",
    "Name: {person}\nAddress: {address}\nEmail: {email}",
    "user={email} ip={ip} action=login status=failed city={city}",
    "Transfer of 250 EUR from {iban} requested by {person} on behalf of {org}.",
    "Customer {person} lives in {city}, {country} and works for {org}.",
    "{org} opened a new office in {city} last spring; {person} leads it.",
    "Can you check why {person}'s order to {address} is still pending?",
    "chat: hey it's {first_lower}, can u resend the code to {email}",
    "chat: my name is {person_lower} and i moved to {city_lower} last week",
    "Contact {person} at {phone} or {email} for the {city} warehouse.",
    "Escalated by {person}: SSN {ssn} shows up in the notes field, please redact.",
    "The courier left the parcel at {address} instead of the {org} reception.",
    "Visit {url} to confirm, {first}. Your account manager is {person2}.",
    "We are flying to {country} next month to meet {person} from {org}.",
    "Returned mail: {address} (addressee {person} unknown).",
    "{person} has been with {org} since 2019 and is based in {city}.",
    "Dear {title} {last},\nyour package to {city} has been delayed.",
    "Attendees: {person}, {person2} and {person3}.",
    "WARN delivery failed for {person_upper} at {city_upper}",
    "The {org} account was closed after {person} moved to {country}.",
    "Billing address: {address}. Card on file: {card}.",
    "Order 4411 shipped: {person}, {address}.",
    "Please forward this to {first} in the {city} office of {org}.",
    "No personal data here: order 8841 shipped in 3 boxes, total 42.50 EUR, ETA Tuesday.",
    "Server restarted at 02:14, 3 workers, queue length 1200, nothing else to report.",
    "Version 2.4.1 of the Reporting Service is live; see the release notes.",
]


def _pick(rng: random.Random, fakes: dict, locale: str | None = None):
    return fakes[locale or rng.choice(LOCALES)]


def _address(fake) -> str:
    value = fake.address()
    if random.random() < 0.5:
        value = value.replace("\n", ", ")
    return value


def _values(rng: random.Random, fakes: dict) -> dict:
    fake = _pick(rng, fakes)
    other = _pick(rng, fakes)
    third = _pick(rng, fakes)
    first, last = fake.first_name(), fake.last_name()
    person = f"{first} {last}"
    city = fake.city()
    return {
        "person": (person, "PERSON"),
        "person2": (f"{other.first_name()} {other.last_name()}", "PERSON"),
        "person3": (f"{third.first_name()} {third.last_name()}", "PERSON"),
        "first": (first, "PERSON"),
        "last": (last, "PERSON"),
        "title": (rng.choice(["Mr.", "Ms.", "Dr.", "Mrs."]), None),
        "first_lower": (first.lower(), "PERSON"),
        "person_lower": (person.lower(), "PERSON"),
        "person_upper": (person.upper(), "PERSON"),
        "city": (city, "LOCATION"),
        "city_lower": (city.lower(), "LOCATION"),
        "city_upper": (city.upper(), "LOCATION"),
        "country": (fake.country(), "LOCATION"),
        "org": (fake.company(), "ORGANIZATION"),
        "address": (_address(fake), "STREET_ADDRESS"),
        "email": (fake.email(), "EMAIL_ADDRESS"),
        "phone": (fake.phone_number(), "PHONE_NUMBER"),
        "card": (fake.credit_card_number(), "CREDIT_CARD"),
        "last4": (str(rng.randint(1000, 9999)), None),
        "iban": (fakes["de_DE"].iban(), "IBAN_CODE"),
        "ssn": (fakes["en_US"].ssn(), "US_SSN"),
        "ip": (fake.ipv4_public(), "IP_ADDRESS"),
        "url": (f"https://{fake.domain_name()}/account/{rng.randint(100, 999)}", "URL"),
        "job": (fake.job().split(",")[0], None),
        "num": (str(rng.randint(10000, 99999)), None),
    }


def render(template: str, values: dict) -> dict:
    text, spans, cursor = "", [], 0
    for match in re.finditer(r"\{(\w+)\}", template):
        text += template[cursor : match.start()]
        value, label = values[match.group(1)]
        if label:
            spans.append({"start": len(text), "end": len(text) + len(value), "entity_type": label})
        text += value
        cursor = match.end()
    text += template[cursor:]
    return {"text": text, "spans": spans, "entity_types_in_scope": None, "origin": "veilwatch_generated"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    try:
        from faker import Faker
    except ImportError:
        print("needs Faker (the project's 'test' extra)", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    random.seed(args.seed)
    fakes = {}
    for locale in LOCALES:
        fakes[locale] = Faker(locale)
        fakes[locale].seed_instance(rng.randint(0, 1 << 30))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as sink:
        for _ in range(args.texts):
            record = render(rng.choice(TEMPLATES), _values(rng, fakes))
            sink.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"{args.texts} texts -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
