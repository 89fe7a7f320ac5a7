"""Property tests (hypothesis) of the keyed primitives, at the transformation level.

* deterministic: equal value and context give equal output (fresh objects, same keyset);
* keyed: another keyset gives other outputs;
* FF1 keeps length and alphabet;
* reversible ones round-trip, also after the keyset was rotated.

Keyrings are built once per module (tink key generation is the slow part);
max_examples stay modest so the suite stays fast.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.deid.keys import keyring, make, rotated
from veilwatch.transforms.deid.base import ValueContext
from veilwatch.transforms.deid.crypto.fpe_alphabets import FfxCommonNativeAlphabet, min_length

KEYS_A = keyring()
KEYS_B = keyring()
KEYS_A_ROTATED = rotated(KEYS_A)
SETTINGS = settings(max_examples=40, deadline=None)

COMMON = [a.name for a in FfxCommonNativeAlphabet]
DETERMINISTIC = [
    {"cryptoHashConfig": {}},
    {"cryptoDeterministicConfig": {}},
    {"cryptoDeterministicConfig": {"surrogateInfoType": {"name": "TOK"}, "context": {"name": "ctx"}}},
    {"replaceDictionaryConfig": {"wordList": {"words": [f"w{i}" for i in range(1000)]}}},
]
contexts = st.none() | st.text(max_size=12) | st.integers(min_value=-(2**63), max_value=2**63 - 1)
values = st.text(min_size=1, max_size=60)


def _ctx(context) -> ValueContext:
    return ValueContext("X", {} if context is None else {"ctx": context}, "f")


@st.composite
def fpe_cases(draw):
    name = draw(st.sampled_from(COMMON))
    alphabet = FfxCommonNativeAlphabet[name].alphabet
    lo = min_length(len(alphabet))
    text = draw(st.text(alphabet=alphabet, min_size=lo, max_size=lo + 24))
    surrogate = draw(st.booleans())
    config = {"commonAlphabet": name, "context": {"name": "ctx"}}
    if surrogate:
        config["surrogateInfoType"] = {"name": "FPE_TOKEN"}
    return {"cryptoReplaceFfxFpeConfig": config}, alphabet, text, surrogate


@SETTINGS
@given(st.sampled_from(DETERMINISTIC), values, contexts)
def test_equal_inputs_and_contexts_give_equal_outputs(config, value, context):
    assert make(config, KEYS_A).transform(value, _ctx(context)) == make(config, KEYS_A).transform(
        value, _ctx(context)
    )


@SETTINGS
@given(st.sampled_from(DETERMINISTIC[:3]), values, contexts)
def test_different_keys_give_different_outputs(config, value, context):
    assert make(config, KEYS_A).transform(value, _ctx(context)) != make(config, KEYS_B).transform(
        value, _ctx(context)
    )


@SETTINGS
@given(st.lists(values, min_size=20, max_size=20, unique=True))
def test_dictionary_choice_depends_on_the_key(words_in):
    config = DETERMINISTIC[3]
    a = [make(config, KEYS_A).transform(v, _ctx(None)) for v in words_in]
    b = [make(config, KEYS_B).transform(v, _ctx(None)) for v in words_in]
    assert a != b  # 20 choices from 1000 words all equal by chance: ~1e-60


@SETTINGS
@given(fpe_cases(), contexts)
def test_ff1_keeps_length_and_alphabet_and_is_deterministic(case, context):
    config, alphabet, text, surrogate = case
    if surrogate:
        return  # annotated tokens are covered by the round trip below
    token = make(config, KEYS_A).transform(text, _ctx(context))
    assert len(token) == len(text)
    assert set(token) <= set(alphabet)
    assert token == make(config, KEYS_A).transform(text, _ctx(context))


@SETTINGS
@given(fpe_cases(), contexts)
def test_ff1_round_trips_and_survives_rotation(case, context):
    config, _, text, surrogate = case
    token = make(config, KEYS_A).transform(text, _ctx(context))
    assert make(config, KEYS_A).reverse(token, _ctx(context)) == text
    # After rotation: an annotated token names its key; a bare one needs the old key pinned.
    later = make(config, KEYS_A_ROTATED if surrogate else KEYS_A_ROTATED.pinned(KEYS_A.primary_key_id()))
    assert later.reverse(token, _ctx(context)) == text


@SETTINGS
@given(st.sampled_from(DETERMINISTIC[1:3]), values, contexts)
def test_aes_siv_round_trips_and_survives_rotation(config, value, context):
    token = make(config, KEYS_A).transform(value, _ctx(context))
    assert make(config, KEYS_A).reverse(token, _ctx(context)) == value
    assert make(config, KEYS_A_ROTATED).reverse(token, _ctx(context)) == value
    new_token = make(config, KEYS_A_ROTATED).transform(value, _ctx(context))
    assert new_token != token
    assert make(config, KEYS_A_ROTATED).reverse(new_token, _ctx(context)) == value
