"""Seeded generator of realistic sample feeds, with labelled injected anomalies.

Two datasets match the example configs in ``templates/datasets/``:

* ``payments``: card payments with a customer (name, email, phone), card
  number (Luhn-valid, real issuer prefixes), IBAN (valid mod-97), IP address,
  amount, merchant category and a free-text note.
* ``app_logs``: application log lines with a user id, client IP, level,
  latency and a free-text message that sometimes carries an email, a phone
  number, an IP or a card number.

Volume follows a daily cycle (quiet nights, busy afternoons) with Poisson
noise. Anomalies are injected into chosen hours and returned as labels:
``volume_spike``, ``volume_drop``, ``outage`` (no record at all), ``null_rate`` (a field goes missing),
``pii_leak`` (card numbers appear in a field that never carries them),
``value_shift`` (amounts jump tenfold) and ``token_burst`` (one customer does
a hundred times the usual).

    records, labels = generate("payments", days=5, seed=7, anomalies=DEFAULT_ANOMALIES["payments"])
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from stdnum import iban as stdnum_iban

_FIRST = (
    "Olivia Liam Emma Noah Ava Elijah Sophia Mateo Amelia Lucas Mia Levi Harper Ezra Evelyn Luca Aria Asher "
    "Chloe Leo Nora Hugo Zoe Arjun Ines Kenji Aisha Mohammed Fatima Chen Priya Diego Lea Jonas Sofia Omar"
).split()
_LAST = (
    "Smith Johnson Garcia Brown Martinez Davis Lopez Wilson Anderson Thomas Moore Jackson Martin Lee Thompson "
    "White Harris Clark Lewis Walker Hall Young King Wright Scott Green Baker Adams Nelson Hill Campbell Mitchell "
    "Roberts Carter Phillips Evans Turner Torres Parker Collins Edwards Stewart Morris Nguyen Murphy Rivera "
    "Cook Rogers Morgan Peterson Cooper Reed Bailey Bell Gomez Kelly Howard Ward Cox Diaz Richardson Wood "
    "Watson Brooks Bennett Gray James Reyes Cruz Hughes Price Myers Long Foster Sanders Ross Morales Powell "
    "Sullivan Russell Ortiz Jenkins Gutierrez Perry Butler Barnes Fisher Henderson Coleman Simmons Patterson "
    "Jordan Reynolds Hamilton Graham Kim Gonzales Alexander Ramos Wallace Griffin West Cole Hayes Chavez "
    "Gibson Bryant Ellis Stevens Murray Ford Marshall Owens McDonald Harrison Ruiz Kennedy Wells Alvarez "
    "Woods Mendoza Castillo Olson Webb Washington Tucker Freeman Burns Henry Vasquez Snyder Simpson Crawford "
    "Jimenez Porter Mason Shaw Gordon Wagner Hunter Romero Hicks Dixon Hunt Palmer Robertson Black Holmes "
    "Stone Meyer Boyd Mills Warren Fox Rose Rice Moreno Schmidt Patel Ferguson Nichols Herrera Medina Ryan "
    "Fernandez Weaver Daniels Stephens Gardner Payne Kelley Dunn Pierce Arnold Tran Spencer Peters Hawkins "
    "Grant Hansen Castro Hoffman Hart Elliott Cunningham Knight Bradley"
).split()
_MAIL_DOMAINS = ("example.com", "mail.example.org", "corp.example.net", "example.co.uk", "post.example.de")
_US_AREAS = ("212", "415", "646", "312", "617", "206", "303", "404", "512", "718")
_CATEGORIES = ("grocery", "fuel", "restaurants", "travel", "electronics", "pharmacy", "clothing", "utilities")
_CATEGORY_WEIGHTS = (30, 12, 20, 5, 6, 10, 9, 8)
_CURRENCIES = ("EUR", "USD", "GBP")
_COUNTRIES = ("DE", "FR", "GB", "US", "NL", "ES")
_SERVICES = ("checkout", "auth", "search", "catalog", "payments-api")
_ENDPOINTS = ("/api/cart", "/api/login", "/api/search", "/api/items", "/api/pay", "/api/profile")
_CARD_PREFIXES = (
    ("4", 16),
    ("51", 16),
    ("52", 16),
    ("55", 16),
    ("2221", 16),
    ("34", 15),
    ("37", 15),
    ("6011", 16),
)

DATASETS = ("payments", "app_logs")


@dataclass(frozen=True)
class Anomaly:
    """An injected anomaly: ``kind`` in the hour starting ``hour`` hours after the start."""

    kind: str
    hour: int
    field: str | None = None


@dataclass(frozen=True)
class Label:
    kind: str
    window_start: str
    window_end: str
    field: str | None = None


DEFAULT_ANOMALIES: dict[str, tuple[Anomaly, ...]] = {
    "payments": (Anomaly("volume_spike", 4 * 24 + 15),),
    "app_logs": (Anomaly("volume_drop", 3 * 24 + 14),),
}
ALL_ANOMALIES: dict[str, tuple[Anomaly, ...]] = {
    "payments": (
        Anomaly("volume_spike", 3 * 24 + 15),
        Anomaly("volume_drop", 4 * 24 + 13),
        Anomaly("null_rate", 4 * 24 + 17, "customer.phone"),
        Anomaly("pii_leak", 5 * 24 + 11, "merchant_reference"),
        Anomaly("value_shift", 5 * 24 + 15, "amount"),
        Anomaly("token_burst", 5 * 24 + 19, "customer.email"),
    ),
    "app_logs": (
        Anomaly("volume_spike", 3 * 24 + 15),
        Anomaly("volume_drop", 4 * 24 + 14),
        Anomaly("null_rate", 4 * 24 + 18, "user_id"),
        Anomaly("pii_leak", 5 * 24 + 11, "service"),
    ),
}


class _Faker:
    """Just enough realistic identity data, all derived from one seeded Random."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def person(self) -> dict[str, str]:
        first, last = self.rng.choice(_FIRST), self.rng.choice(_LAST)
        sep = self.rng.choice((".", "_", ""))
        email = (
            f"{first.lower()}{sep}{last.lower()}{self.rng.randint(1, 999)}@{self.rng.choice(_MAIL_DOMAINS)}"
        )
        return {"name": f"{first} {last}", "email": email, "phone": self.phone()}

    def phone(self) -> str:
        r = self.rng
        if r.random() < 0.6:
            return f"+1 {r.choice(_US_AREAS)}-{r.randint(200, 989)}-{r.randint(1000, 9999)}"
        return f"+44 20 7{r.randint(100, 999)} {r.randint(1000, 9999)}"

    def card(self) -> str:
        prefix, length = self.rng.choice(_CARD_PREFIXES)
        body = prefix + "".join(str(self.rng.randint(0, 9)) for _ in range(length - len(prefix) - 1))
        return body + _luhn_digit(body)

    def iban(self) -> str:
        bban = "".join(str(self.rng.randint(0, 9)) for _ in range(18))
        return "DE" + stdnum_iban.calc_check_digits("DE00" + bban) + bban

    def ip(self) -> str:
        r = self.rng
        return f"{r.choice((81, 92, 145, 176, 203, 198))}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"


def _luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def hourly_rate(hour_of_day: int, base: float) -> float:
    """Daily cycle: about 0.25x base at 4am, 1.75x at 4pm."""
    return base * (1.0 + 0.75 * math.sin(2 * math.pi * (hour_of_day - 10) / 24))


def generate(
    dataset: str,
    days: int = 5,
    seed: int = 7,
    base_per_hour: float = 40.0,
    anomalies: tuple[Anomaly, ...] = (),
    start: dt.datetime = dt.datetime(2026, 11, 2, tzinfo=dt.UTC),
) -> tuple[list[dict[str, Any]], list[Label]]:
    """Records in event-time order and the labels of the injected anomalies."""
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}")
    rng = random.Random(seed)
    faker = _Faker(rng)
    customers = [faker.person() | {"card": faker.card(), "iban": faker.iban()} for _ in range(400)]
    by_hour = {a.hour: a for a in anomalies}
    records: list[dict[str, Any]] = []
    labels: list[Label] = []
    for hour in range(days * 24):
        t0 = start + dt.timedelta(hours=hour)
        anomaly = by_hour.get(hour)
        rate = hourly_rate(t0.hour, base_per_hour)
        if anomaly and anomaly.kind == "volume_spike":
            rate *= 6
        elif anomaly and anomaly.kind == "volume_drop":
            rate *= 0.05
        elif anomaly and anomaly.kind == "outage":
            rate = 0.0  # the feed is silent for the hour
        n = _poisson(rng, rate)
        burst = customers[0] if anomaly and anomaly.kind == "token_burst" else None
        if burst is not None:
            n += 100
        seconds = sorted(rng.uniform(0, 3600) for _ in range(n))
        for i, s in enumerate(seconds):
            ts = t0 + dt.timedelta(seconds=s)
            customer = burst if burst is not None and i % 2 == 0 else rng.choice(customers)
            make = _payment if dataset == "payments" else _log_line
            record = make(rng, faker, customer, ts, len(records))
            _inject(record, anomaly, faker, rng)
            records.append(record)
        if anomaly:
            labels.append(Label(anomaly.kind, _iso(t0), _iso(t0 + dt.timedelta(hours=1)), anomaly.field))
    return records, labels


def _payment(
    rng: random.Random, faker: _Faker, customer: dict, ts: dt.datetime, index: int
) -> dict[str, Any]:
    category = rng.choices(_CATEGORIES, _CATEGORY_WEIGHTS)[0]
    note = rng.choice(
        (
            None,
            None,
            None,
            "gift",
            "recurring payment",
            "split with flatmate",
            f"refund requested by {customer['email']}",
            f"call back on {customer['phone']}",
        )
    )
    return {
        "transaction_id": f"tx-{index:08d}",
        "ts": _iso(ts),
        "customer": {"name": customer["name"], "email": customer["email"], "phone": customer["phone"]},
        "card_number": customer["card"],
        "iban": customer["iban"],
        "ip_address": faker.ip(),
        "amount": round(rng.lognormvariate(3.2, 0.8), 2),
        "currency": rng.choice(_CURRENCIES),
        "merchant_category": category,
        "merchant_reference": f"M-{rng.randint(10000, 99999)}",
        "country": rng.choice(_COUNTRIES),
        "note": note,
    }


def _log_line(
    rng: random.Random, faker: _Faker, customer: dict, ts: dt.datetime, index: int
) -> dict[str, Any]:
    service = rng.choice(_SERVICES)
    status = rng.choices((200, 201, 400, 401, 404, 500), (70, 10, 6, 5, 6, 3))[0]
    endpoint = rng.choice(_ENDPOINTS)
    templates = (
        f"GET {endpoint} {status}",
        f"user {customer['email']} logged in",
        f"password reset sent to {customer['email']}",
        f"SMS verification to {customer['phone']} delivered",
        f"request from {faker.ip()} rejected by rate limiter",
        f"payment declined for card {customer['card']}",
        f"cache miss for {endpoint}",
        "health check ok",
    )
    message = rng.choices(templates, (40, 12, 5, 5, 6, 3, 20, 9))[0]
    return {
        "ts": _iso(ts),
        "service": service,
        "level": "ERROR" if status >= 500 else "WARN" if status >= 400 else "INFO",
        "user_id": f"u-{customers_id(customer)}",
        "client_ip": faker.ip(),
        "http": {"method": "GET", "path": endpoint, "status": status},
        "latency_ms": round(rng.lognormvariate(4.0, 0.5), 1),
        "message": message,
    }


def customers_id(customer: dict) -> int:
    return sum(ord(c) for c in customer["email"]) * 31 % 100000


def _inject(record: dict, anomaly: Anomaly | None, faker: _Faker, rng: random.Random) -> None:
    if anomaly is None:
        return
    if anomaly.kind == "null_rate" and anomaly.field:
        _set_path(record, anomaly.field, None)
    elif anomaly.kind == "pii_leak" and anomaly.field and rng.random() < 0.5:
        _set_path(record, anomaly.field, faker.card())
    elif anomaly.kind == "value_shift" and anomaly.field:
        _set_path(record, anomaly.field, round(record[anomaly.field] * 10, 2))


def _set_path(record: dict, path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = record
    for name in parents:
        node = node[name]
    node[leaf] = value


def _poisson(rng: random.Random, lam: float) -> int:
    # Normal approximation is fine at these rates; keep small rates exact.
    if lam < 30:
        limit, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= rng.random()
            if p <= limit:
                return k
            k += 1
    return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def write_jsonl(path: str, records: Iterable[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def write_labels(path: str, labels: list[Label]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump([asdict(label) for label in labels], handle, indent=2)
        handle.write("\n")


BULK_CHUNK = 250_000


def iter_bulk(dataset: str, n: int, seed: int = 11) -> Iterator[dict[str, Any]]:
    """Exactly ``n`` records for benchmarks and large tests (four-day cycles, no anomalies)."""
    produced = 0
    while produced < n:
        # At most BULK_CHUNK records per generated cycle: memory stays flat however large n is.
        chunk = min(n - produced, BULK_CHUNK)
        records, _ = generate(dataset, days=4, seed=seed, base_per_hour=max(1.0, chunk / 96 * 1.1))
        take = records[: n - produced]
        yield from take
        produced += len(take)
        seed += 1
