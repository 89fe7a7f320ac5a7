"""Field-name hints: what a field's *name* says it holds, for what values cannot show.

Person names (and addresses) cannot be recognised from values without a
named-entity model, and a person's internal id (``u-96658``) looks like any
other reference. Their field names usually say what they are, so discovery
uses the name as a separate, weaker signal, reported as such ("from the field
name"), never mixed with value evidence:

* ``name`` under a person-like parent (``customer.name``, ``user.name``) or at
  the top level, ``full_name``, ``customer_name`` ... -> PERSON_NAME;
  ``first_name``/``given_name`` -> FIRST_NAME, ``last_name``/``surname`` -> LAST_NAME;
* ids of people: ``user_id``, ``customer_id``, ``patient_id`` ..., or ``id``
  under a person-like parent -> GENERIC_ID. Ids of things and events
  (``transaction_id``, ``order_id``, ``request_id``, ``session_id``) are not
  personal and are not matched;
* ``date_of_birth``, ``dob``, ``birth_date`` -> DATE_OF_BIRTH;
  ``street``/``address`` -> STREET_ADDRESS.

Names are compared lower-cased with ``-`` and camelCase turned into ``_``.
"""

from __future__ import annotations

import re

# Parents whose "name"/"id" child is a person's.
PERSON_ENTITIES = frozenset(
    {
        "customer",
        "user",
        "person",
        "patient",
        "employee",
        "client",
        "member",
        "contact",
        "owner",
        "holder",
        "cardholder",
        "account_holder",
        "sender",
        "recipient",
        "payer",
        "payee",
        "buyer",
        "seller",
        "subscriber",
        "student",
        "applicant",
        "beneficiary",
        "author",
        "driver",
        "passenger",
        "guest",
        "player",
        "citizen",
    }
)

_PERSON_NAME_FIELDS = frozenset(
    {
        "full_name",
        "fullname",
        "display_name",
        "person_name",
        "legal_name",
        "contact_name",
        "holder_name",
        "cardholder_name",
        "maiden_name",
    }
)
_FIRST_NAME_FIELDS = frozenset({"first_name", "firstname", "given_name", "forename", "middle_name"})
_LAST_NAME_FIELDS = frozenset({"last_name", "lastname", "surname", "family_name"})
_DOB_FIELDS = frozenset({"dob", "date_of_birth", "birth_date", "birthdate", "birthday", "born_on"})
_ADDRESS_FIELDS = frozenset(
    {
        "address",
        "street",
        "street_address",
        "address_line",
        "address_line1",
        "address_line_1",
        "address_line2",
        "address_line_2",
        "home_address",
    }
)

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _norm(name: str) -> str:
    return _CAMEL.sub("_", name.replace("[]", "")).replace("-", "_").lower()


def name_hint(path: str) -> str | None:
    """The infoType a field's name suggests, or None."""
    parts = [_norm(p) for p in path.split(".")]
    leaf = parts[-1]
    parent = parts[-2] if len(parts) > 1 else None
    if leaf == "name":
        return "PERSON_NAME" if parent is None or parent in PERSON_ENTITIES else None
    if leaf in _PERSON_NAME_FIELDS or (leaf.endswith("_name") and leaf[:-5] in PERSON_ENTITIES):
        return "PERSON_NAME"
    if leaf in _FIRST_NAME_FIELDS:
        return "FIRST_NAME"
    if leaf in _LAST_NAME_FIELDS:
        return "LAST_NAME"
    if leaf == "id" and parent in PERSON_ENTITIES:
        return "GENERIC_ID"
    for suffix in ("_id", "_uuid", "_guid", "id"):
        if leaf.endswith(suffix) and leaf[: -len(suffix)].rstrip("_") in PERSON_ENTITIES:
            return "GENERIC_ID"
    if leaf in _DOB_FIELDS:
        return "DATE_OF_BIRTH"
    if leaf in _ADDRESS_FIELDS:
        return "STREET_ADDRESS"
    return None
