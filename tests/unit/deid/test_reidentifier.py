"""Re-identification: plans (what can be restored, what is refused) and record round trips."""

from __future__ import annotations

import copy

import pytest

from tests.unit.deid.keys import keyring, make, rotated, spec
from veilwatch.transforms.config.model import FieldPolicy, PiiSpec
from veilwatch.transforms.deid.base import ValueContext
from veilwatch.transforms.deid.record_deidentifier import RecordDeidentifier
from veilwatch.transforms.deid.reidentifier import RecordReidentifier, ReidentifyPlan, ReidentifyRefused
from veilwatch.transforms.records.errors import RecordError

SIV = {"cryptoDeterministicConfig": {"surrogateInfoType": {"name": "EMAIL_TOKEN"}}}
FPE = {"cryptoReplaceFfxFpeConfig": {"commonAlphabet": "NUMERIC", "context": {"name": "merchant"}}}
FPE_SURROGATE = {
    "cryptoReplaceFfxFpeConfig": {
        "radix": 62,
        "surrogateInfoType": {"name": "ACCT_TOKEN"},
        "context": {"name": "customer.id"},
    }
}


class _Finding:
    def __init__(self, start, end, info_type):
        self.start, self.end, self.info_type, self.likelihood = start, end, info_type, "LIKELY"


class EmailScanner:
    """Finds the one email the test notes contain."""

    def scan(self, text):
        i = text.find("jane@example.com")
        return [] if i < 0 else [_Finding(i, i + 16, "EMAIL_ADDRESS")]

    def text_too_long(self, text):
        return False


def pii() -> PiiSpec:
    return PiiSpec(
        fields=(
            FieldPolicy("customer.email", "EMAIL_ADDRESS", spec(SIV)),
            FieldPolicy("card", "CREDIT_CARD_NUMBER", spec(FPE)),
            FieldPolicy("customer.account", "ACCOUNT", spec(FPE_SURROGATE)),
            FieldPolicy("customer.id", "PERSON_ID", spec(SIV)),  # the account's context, itself tokenized
            FieldPolicy("customer.name", "PERSON_NAME", spec("redactConfig")),
            FieldPolicy("phone", "PHONE_NUMBER", spec({"cryptoHashConfig": {}})),
        ),
        scan_fields=("note",),
        info_type_transformations={"EMAIL_ADDRESS": spec(SIV)},
    )


RECORD = {
    "customer": {"email": "jane@example.com", "account": "Acc0unt42xyz", "id": "c-17", "name": "Jane"},
    "card": "4111111111111111",
    "merchant": "m-9",
    "phone": "+1 555 0100",
    "note": "refund to jane@example.com please",
}
ALL = ["customer.email", "card", "customer.account", "customer.id", "note"]


def anonymize(keys, record=RECORD):
    out = copy.deepcopy(record)
    RecordDeidentifier(pii(), keys, EmailScanner()).deidentify(out)
    return out


def test_every_reversible_field_round_trips_including_context_fields():
    keys = keyring()
    anon = anonymize(keys)
    assert anon["customer"]["email"].startswith("EMAIL_TOKEN(")
    assert anon["card"].isdigit()
    assert "jane@example.com" not in anon["note"]
    assert "EMAIL_TOKEN(" in anon["note"]
    restored = copy.deepcopy(anon)
    RecordReidentifier(ReidentifyPlan.build(pii(), ALL), keys).reidentify(restored)
    expected = copy.deepcopy(RECORD)
    expected["customer"]["name"], expected["phone"] = anon["customer"]["name"], anon["phone"]
    assert restored == expected


def test_round_trip_across_a_key_rotation():
    keys = keyring()
    anon = anonymize(keys)
    later = rotated(keys)
    # Annotated and prefixed tokens name their key; the bare FF1 card needs the old key pinned.
    restored = copy.deepcopy(anon)
    RecordReidentifier(ReidentifyPlan.build(pii(), [f for f in ALL if f != "card"]), later).reidentify(
        restored
    )
    assert restored["customer"]["email"] == "jane@example.com"
    assert restored["customer"]["account"] == "Acc0unt42xyz"
    assert restored["note"] == RECORD["note"]
    card = copy.deepcopy(anon)
    RecordReidentifier(ReidentifyPlan.build(pii(), ["card"]), later.pinned(keys.primary_key_id())).reidentify(
        card
    )
    assert card["card"] == "4111111111111111"
    # New records after the rotation are made with the new key and restore too.
    new = anonymize(later)
    assert new["customer"]["email"] != anon["customer"]["email"]
    RecordReidentifier(ReidentifyPlan.build(pii(), ALL), later).reidentify(new)
    assert new["customer"]["email"] == "jane@example.com"
    assert new["card"] == "4111111111111111"


def test_context_is_the_original_value_even_when_the_context_field_is_tokenized():
    keys = keyring()
    anon = anonymize(keys)
    assert anon["customer"]["id"].startswith("EMAIL_TOKEN(")  # the context field was tokenized too ...
    direct = make(FPE_SURROGATE, keys).transform(
        "Acc0unt42xyz", ValueContext("ACCOUNT", {"customer": {"id": "c-17"}})
    )
    assert anon["customer"]["account"] == direct  # ... but the account's tweak is its original value
    other = anonymize(keys, {**RECORD, "customer": {**RECORD["customer"], "id": "c-18"}})
    assert anon["customer"]["account"] != other["customer"]["account"]  # the context changes the token


@pytest.mark.parametrize(
    "fields,message",
    [
        (["customer.name"], "field 'customer.name' uses redactConfig, which is not reversible"),
        (["phone"], "field 'phone' uses cryptoHashConfig, which is not reversible"),
        (["amount"], "field 'amount' is neither a declared PII field"),
        (
            ["customer.account"],
            "context field 'customer.id', which was itself de-identified "
            "(cryptoDeterministicConfig); add it to --fields",
        ),
        ([], "name at least one field"),
    ],
)
def test_refusals_name_the_field_and_why(fields, message):
    with pytest.raises(ReidentifyRefused, match=message.replace("(", "\\(").replace(")", "\\)")):
        ReidentifyPlan.build(pii(), fields)


def test_context_fields_are_restored_first_whatever_the_order_asked():
    plan = ReidentifyPlan.build(pii(), ["customer.account", "customer.id"])
    assert [s.path for s in plan.fields] == ["customer.id", "customer.account"]


def test_scanned_text_without_a_reversible_surrogate_is_refused():
    plain = PiiSpec(fields=(), scan_fields=("note",))
    with pytest.raises(ReidentifyRefused, match="field 'note' is scanned text"):
        ReidentifyPlan.build(plain, ["note"])


def test_wrong_key_or_tampered_token_is_a_record_error_without_the_value():
    keys = keyring()
    anon = anonymize(keys)
    with pytest.raises(
        RecordError, match=r"field 'customer\.email': cryptoDeterministicConfig token was"
    ) as info:
        RecordReidentifier(ReidentifyPlan.build(pii(), ["customer.email"]), keyring()).reidentify(
            copy.deepcopy(anon)
        )
    assert info.value.stage == "reidentify"
    assert "not in the keyset" in info.value.message
    tampered = copy.deepcopy(anon)
    tampered["customer"]["email"] = tampered["customer"]["email"][:-6] + "AAAAA="
    with pytest.raises(RecordError, match="authentication failed") as info:
        RecordReidentifier(ReidentifyPlan.build(pii(), ["customer.email"]), keys).reidentify(tampered)
    assert "jane" not in info.value.message


def test_a_context_field_scanned_with_its_own_info_type_transformations_is_refused_by_name():
    """The context field is a pii.fields item without a whole-value transformation (scanned with
    its own infoTypeTransformations): the refusal names it, rather than failing on the missing
    transformation (an AttributeError before the fix, found by mypy)."""
    scanned_context = PiiSpec(
        fields=(
            FieldPolicy("card", "CREDIT_CARD_NUMBER", spec(FPE)),
            FieldPolicy("merchant", "MERCHANT", None, info_type_transformations={"EMAIL_ADDRESS": spec(SIV)}),
        ),
    )
    message = "field 'card' uses context field 'merchant', which was itself de-identified (text scanning)"
    with pytest.raises(ReidentifyRefused, match=message.replace("(", "\\(").replace(")", "\\)")) as refused:
        ReidentifyPlan.build(scanned_context, ["card"])
    assert "is not reversible, so 'card' cannot be restored" in str(refused.value)
