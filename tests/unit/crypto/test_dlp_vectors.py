"""Cloud DLP's token formats with DLP keys, against the input/output pairs Google publishes.

Each vector cites the sample test it comes from (GoogleCloudPlatform/<repo>, path; the
golang one at the commit that still held its fixed key). Where a sample only fixes a
token's length or shape (its key is KMS-wrapped with a key only Google holds, or random),
the test checks that shape. Property tests: DLP-format tokens made here are restored here,
FPE tokens keep the value's length and alphabet.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from veilwatch.transforms.config.model import PiiSpec
from veilwatch.transforms.deid.base import TransformationError, ValueContext
from veilwatch.transforms.deid.crypto.fpe_alphabets import FfxCommonNativeAlphabet, min_length
from veilwatch.transforms.deid.record_deidentifier import RecordDeidentifier
from veilwatch.transforms.deid.registry import build_transformation, parse_transformation
from veilwatch.transforms.deid.reidentifier import RecordReidentifier, ReidentifyPlan
from veilwatch.transforms.keys.keyring import NoKeyset

# The run's key policy: unwrapped keys are plaintext key material, accepted as with --allow_plaintext_keys.
PLAINTEXT_OK = NoKeyset(allow_plaintext_keys=True)
CTX = ValueContext(info_type="PHONE_NUMBER")
# "abcdefghijklmnop": python-docs-samples and nodejs-docs-samples write it canonically, dotnet-docs-samples
# with non-zero padding bits ("...cB=="), which protobuf's and .NET's base64 decoders accept as the same bytes.
KEY_ABC = "YWJjZGVmZ2hpamtsbW5vcA=="
KEY_ABC_DOTNET = "YWJjZGVmZ2hpamtsbW5vcB=="


def fpe(key_b64: str, alphabet: str = "NUMERIC", surrogate: str | None = "PHONE_TOKEN", **extra):
    params = {"commonAlphabet": alphabet, "cryptoKey": {"unwrapped": {"key": key_b64}}, **extra}
    if surrogate:
        params["surrogateInfoType"] = {"name": surrogate}
    return {"cryptoReplaceFfxFpeConfig": params}


def siv(key_b64: str, surrogate: str | None = "PHONE_TOKEN", **extra):
    params = {"cryptoKey": {"unwrapped": {"key": key_b64}}, **extra}
    if surrogate:
        params["surrogateInfoType"] = {"name": surrogate}
    return {"cryptoDeterministicConfig": params}


def build(config, keys=PLAINTEXT_OK):
    return build_transformation(parse_transformation(config, "t"), keys)


# -- cryptoReplaceFfxFpeConfig: DLP's output byte for byte ---------------------------------------------

# (source, key, alphabet, plaintext, annotated token)
FPE_VECTORS = [
    # dotnet-docs-samples dlp/api/Snippets.Tests/DeidentifyFreeTextWithFpeUsingSurrogateTests.cs (and
    # ReidentifyFreeTextWithFpeUsingSurrogateTests.cs, the way back)
    (
        "dotnet DeidentifyFreeTextWithFpeUsingSurrogateTests",
        KEY_ABC_DOTNET,
        "NUMERIC",
        "4359916732",
        "PHONE_TOKEN(10):9617256398",
    ),
    # python-docs-samples dlp/snippets/Deidentify/reidentify_free_text_with_fpe_using_surrogate_test.py
    # (re-identifies this token with this key; the plaintext is the deidentify test's input)
    (
        "python reidentify_free_text_with_fpe_using_surrogate_test",
        KEY_ABC,
        "NUMERIC",
        "4359916732",
        "PHONE_TOKEN(10):9617256398",
    ),
    # nodejs-docs-samples dlp/system-test/deid.test.js, dlp_deidentify_free_text_with_fpe_using_surrogate
    # and dlp_reidentify_free_text_with_fpe_using_surrogate (ALPHA_NUMERIC, unwrappedKey above)
    (
        "nodejs deid.test.js ALPHA_NUMERIC",
        KEY_ABC,
        "ALPHA_NUMERIC",
        "4359916732",
        "PHONE_TOKEN(10):Vz6T6ff4J7",
    ),
    # golang-samples dlp/snippets/deid/deid_test.go at 47442dec77ca321dab583e58b635e330d2f4ae8e,
    # TestReidentifyFreeTextWithFPEUsingSurrogate (NUMERIC in reid_free_text_with_fpe_using_surrogate.go)
    (
        "golang deid_test.go@47442dec7",
        "hu4O2y0RsY9qrVt1d2xAWEmqVqAc1P8Vk7D6peashag=",
        "NUMERIC",
        "1234567890",
        "PHONE_TOKEN(10):4169075971",
    ),
]


@pytest.mark.parametrize("source,key,alphabet,plaintext,token", FPE_VECTORS, ids=[v[0] for v in FPE_VECTORS])
def test_fpe_with_a_dlp_key_gives_dlps_token_and_restores_it(source, key, alphabet, plaintext, token):
    t = build(fpe(key, alphabet))
    assert t.transform(plaintext, CTX) == token
    assert t.reverse(token, CTX) == plaintext


def test_dotnet_free_text_vector_end_to_end_through_scanning():
    """dotnet-docs-samples dlp/api/Snippets.Tests/DeidentifyFreeTextWithFpeUsingSurrogateTests.cs, whole:
    the PHONE_NUMBER found in the text, FPE with the surrogate, and back
    (ReidentifyFreeTextWithFpeUsingSurrogateTests.cs)."""
    from veilwatch.transforms.detection.engine import DetectionEngine

    spec = parse_transformation(fpe(KEY_ABC_DOTNET), "pii.info_type_transformations.PHONE_NUMBER")
    pii = PiiSpec(scan_fields=("text",), info_type_transformations={"PHONE_NUMBER": spec})
    record = {"text": "My phone number is 4359916732."}
    RecordDeidentifier(pii, PLAINTEXT_OK, DetectionEngine()).deidentify(record)
    assert record == {"text": "My phone number is PHONE_TOKEN(10):9617256398."}
    RecordReidentifier(ReidentifyPlan.build(pii, ["text"]), PLAINTEXT_OK).reidentify(record)
    assert record == {"text": "My phone number is 4359916732."}


@pytest.mark.parametrize(
    "source,text,expected_prefix",
    [
        # java-docs-samples dlp/snippets/src/test/java/dlp/snippets/DeIdentificationTests.java and
        # python-docs-samples dlp/snippets/Deidentify/reidentify_fpe_test.py: "My SSN is SSN_TOKEN(9):731997681"
        # (KMS-wrapped key: only the token's shape can be checked)
        ("java DeIdentificationTests / python reidentify_fpe_test", "372819127", "SSN_TOKEN(9):"),
        # golang-samples dlp/snippets/deid/deid_test.go TestDeIdentifyFreeTextWithFPEUsingSurrogate (random key):
        # "output: My phone number is PHONE_TOKEN(10):"
        ("golang deid_test.go", "5555551212", "PHONE_TOKEN(10):"),
    ],
)
def test_fpe_surrogate_length_is_the_value_length(source, text, expected_prefix):
    name = expected_prefix.split("(")[0]
    token = build(fpe(base64.b64encode(bytes(range(32))).decode(), surrogate=name)).transform(text, CTX)
    assert token.startswith(expected_prefix)
    body = token[len(expected_prefix) :]
    assert len(body) == len(text)
    assert body.isdigit()
    assert body != text


# -- cryptoDeterministicConfig: DLP's token shape --------------------------------------------------------


@pytest.mark.parametrize(
    "source,plaintext,surrogate,annotated_length,padding",
    [
        # golang-samples dlp/snippets/deid/deid_deterministic_test.go: "Jack's phone number is 5555551212"
        # -> "...PHONE_TOKEN(36):" (KMS-wrapped key)
        ("golang deid_deterministic_test.go", "5555551212", "PHONE_TOKEN", 36, ""),
        # python-docs-samples dlp/snippets/Deidentify/deidentify_deterministic_test.py ("My SSN is 372819127")
        # and reidentify_deterministic_test.py: "SSN_TOKEN(36):ATeRUd3WWnAHHFtjtl1bv+CT09FZ7hyqNas=" (26 bytes)
        ("python *_deterministic_test.py", "372819127", "SSN_TOKEN", 36, "="),
        # BigQuery's DLP-compatible DLP_DETERMINISTIC_ENCRYPT (docs reference/standard-sql/dlp_functions):
        # 'Plaintext' -> "your_surrogate(36):AWDeSznl9C7+NzTaCgiqiEAZ8Y55fZSuvCQ=" (26 bytes)
        ("bigquery dlp_functions DLP_DETERMINISTIC_ENCRYPT", "Plaintext", "your_surrogate", 36, "="),
    ],
)
def test_deterministic_token_has_dlps_length_and_layout(
    source, plaintext, surrogate, annotated_length, padding
):
    token = build(siv(KEY_ABC, surrogate)).transform(plaintext, CTX)
    assert token.startswith(f"{surrogate}({annotated_length}):")
    body = token.split(":", 1)[1]
    assert len(body) == annotated_length
    assert body.endswith(padding)
    assert not body.endswith(padding + "=")
    raw = base64.b64decode(body)
    # DLP's layout: version byte 0x01 || SIV (16 bytes) || ciphertext (as long as the plaintext); no key id
    assert raw[0] == 0x01
    assert len(raw) == 1 + 16 + len(plaintext.encode())


def test_published_deterministic_tokens_have_the_same_layout():
    """The two DLP tokens published with their plaintexts start with the version byte 0x01 and are
    1 + 16 + 9 bytes long (python-docs-samples reidentify_deterministic_test.py, BigQuery's docs)."""
    for token, plaintext in (
        ("ATeRUd3WWnAHHFtjtl1bv+CT09FZ7hyqNas=", "372819127"),
        ("AWDeSznl9C7+NzTaCgiqiEAZ8Y55fZSuvCQ=", "Plaintext"),
    ):
        raw = base64.b64decode(token)
        assert raw[0] == 0x01
        assert len(raw) == 1 + 16 + len(plaintext)


def test_deterministic_with_a_dlp_key_restores_and_binds_the_context():
    config = siv(KEY_ABC, context={"name": "customer_id"})
    t = build(config)
    a = ValueContext("PHONE_NUMBER", {"customer_id": "c-1"}, "phone")
    b = ValueContext("PHONE_NUMBER", {"customer_id": "c-2"}, "phone")
    token = t.transform("5555551212", a)
    assert token != t.transform("5555551212", b)  # DLP: another context, another surrogate
    assert build(config).reverse(token, a) == "5555551212"  # same key and context: restored
    with pytest.raises(TransformationError, match="cryptoDeterministicConfig"):
        t.reverse(token, b)  # DLP: "same context must be provided during decryption"


# -- cryptoHashConfig ---------------------------------------------------------------------------------


def test_hash_with_a_dlp_key_is_hmac_sha256_base64_as_dlp_documents():
    """DLP's CryptoHashConfig docs: SHA-256, key 32 or 64 bytes, output base64 like
    L7k0BHmF1ha5U3NfGykjro4xWi1MPVQPjhMAZbSV9mM= (44 characters: 32 bytes)."""
    for key in (bytes(range(32)), bytes(range(64))):
        b64 = base64.b64encode(key).decode()
        token = build({"cryptoHashConfig": {"cryptoKey": {"unwrapped": {"key": b64}}}}).transform(
            "4359916732", CTX
        )
        assert token == base64.b64encode(hmac.new(key, b"4359916732", hashlib.sha256).digest()).decode()
        assert len(token) == len("L7k0BHmF1ha5U3NfGykjro4xWi1MPVQPjhMAZbSV9mM=")


# -- properties --------------------------------------------------------------------------------------

SETTINGS = settings(max_examples=60, deadline=None)
aes_keys = st.sampled_from((16, 24, 32)).flatmap(lambda n: st.binary(min_size=n, max_size=n))
ALPHABETS = [a for a in FfxCommonNativeAlphabet]


@st.composite
def alphabet_and_text(draw):
    alphabet = draw(st.sampled_from(ALPHABETS))
    lo = min_length(len(alphabet.alphabet))
    return alphabet, draw(st.text(alphabet=alphabet.alphabet, min_size=lo, max_size=lo + 30))


@SETTINGS
@given(
    aes_keys,
    alphabet_and_text(),
    st.booleans(),
    st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1), st.text()),
)
def test_dlp_fpe_tokens_keep_length_and_alphabet_and_restore(key, at, surrogate, context):
    alphabet, text = at
    config = fpe(
        base64.b64encode(key).decode(), alphabet.name, "TOK" if surrogate else None, context={"name": "c"}
    )
    ctx = ValueContext("X", {} if context is None else {"c": context}, "f")
    t = build(config)
    token = t.transform(text, ctx)
    body = token[len(f"TOK({len(text)}):") :] if surrogate else token
    if surrogate:
        assert token.startswith(f"TOK({len(text)}):")
    assert len(body) == len(text)
    assert set(body) <= set(alphabet.alphabet)
    assert build(config).reverse(token, ctx) == text


@SETTINGS
@given(
    aes_keys,
    st.text(max_size=60),
    st.booleans(),
    st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1), st.text()),
)
def test_dlp_deterministic_tokens_restore(key, text, surrogate, context):
    config = siv(base64.b64encode(key).decode(), "TOK" if surrogate else None, context={"name": "c"})
    ctx = ValueContext("X", {} if context is None else {"c": context}, "f")
    token = build(config).transform(text, ctx)
    body = token.split(":", 1)[1] if surrogate else token
    assert len(base64.b64decode(body)) == 1 + 16 + len(text.encode())
    assert build(config).reverse(copy.copy(token), ctx) == text
