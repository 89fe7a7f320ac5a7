"""FF1 below NIST's minimum domain (radix**length < 1,000,000, e.g. a 5-digit ZIP in NUMERIC):
a clear, configurable outcome (veilwatchSmallDomain), never a silent dead letter."""

from __future__ import annotations

import base64

import apache_beam as beam
import pytest
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from tests.unit.deid.keys import keyring, spec
from veilwatch.transforms.config.errors import ConfigError
from veilwatch.transforms.config.model import FieldPolicy, PiiSpec, TransformationErrorHandling
from veilwatch.transforms.deid.base import ValueContext
from veilwatch.transforms.deid.record_deidentifier import RecordDeidentifier
from veilwatch.transforms.deid.registry import build_transformation, parse_transformation
from veilwatch.transforms.keys.keyring import NoKeyset
from veilwatch.transforms.records.errors import RecordError

CTX = ValueContext(info_type="ZIP")
DLP_KEY = {"unwrapped": {"key": base64.b64encode(bytes(range(16))).decode()}}
PLAINTEXT_OK = NoKeyset(allow_plaintext_keys=True)


def zip_fpe(choice=None, dlp_key=False, surrogate=False):
    params = {"commonAlphabet": "NUMERIC"}
    if choice:
        params["veilwatchSmallDomain"] = choice
    if dlp_key:
        params["cryptoKey"] = DLP_KEY
    if surrogate:
        params["surrogateInfoType"] = {"name": "ZIP_TOKEN"}
    return {"cryptoReplaceFfxFpeConfig": params}


def keys_for(dlp_key):
    return PLAINTEXT_OK if dlp_key else keyring()


@pytest.mark.parametrize("dlp_key", [False, True])
def test_default_is_a_transformation_error_naming_field_and_minimum_domain(dlp_key):
    pii = PiiSpec(fields=(FieldPolicy("address.zip", "ZIP", spec(zip_fpe(dlp_key=dlp_key))),))
    deidentifier = RecordDeidentifier(pii, keys_for(dlp_key))
    with pytest.raises(
        RecordError, match=r"field 'address\.zip': cryptoReplaceFfxFpeConfig: a value"
    ) as info:
        deidentifier.deidentify({"address": {"zip": "94043"}})
    message = str(info.value.message)
    assert "field 'address.zip'" in message
    assert "below FF1's minimum domain" in message
    assert "veilwatchSmallDomain" in message
    assert "94043" not in message
    counts = deidentifier.transformation_errors.drain()
    assert [k for k in counts if "address.zip" in k and "below FF1's minimum domain" in k]
    assert sum(counts.values()) == 1
    record = {"address": {"zip": "940431"}}  # six digits: inside the domain
    deidentifier.deidentify(record)
    assert record["address"]["zip"] != "940431"
    assert len(record["address"]["zip"]) == 6


@pytest.mark.parametrize("dlp_key", [False, True])
@pytest.mark.parametrize("surrogate", [False, True])
def test_leave_untransformed_and_redact(dlp_key, surrogate):
    keys = keys_for(dlp_key)
    leave = build_transformation(
        parse_transformation(zip_fpe("leaveUntransformed", dlp_key, surrogate), "t"), keys
    )
    redact = build_transformation(parse_transformation(zip_fpe("redact", dlp_key, surrogate), "t"), keys)
    assert leave.transform("94043", CTX) == "94043"
    assert leave.reverse("94043", CTX) == "94043"
    assert redact.transform("94043", CTX) == ""
    assert redact.reverse("", CTX) == ""
    token = leave.transform("9404312", CTX)  # long enough values are still encrypted and restored
    assert token != "9404312"
    assert leave.reverse(token, CTX) == "9404312"


def test_leave_untransformed_by_record_handling_restores_as_is():
    """pii.transformation_error_handling leaveUntransformed keeps a short ZIP in clear; reversal keeps it too."""
    config = zip_fpe()
    pii = PiiSpec(
        fields=(FieldPolicy("zip", "ZIP", spec(config)),),
        transformation_error_handling=TransformationErrorHandling.LEAVE_UNTRANSFORMED,
    )
    keys = keyring()
    record = {"zip": "94043"}
    RecordDeidentifier(pii, keys).deidentify(record)
    assert record == {"zip": "94043"}
    assert build_transformation(spec(config), keys).reverse("94043", CTX) == "94043"


def test_a_bad_choice_is_named():
    with pytest.raises(
        ConfigError, match=r"pii\.fields\[0\]\.transformation\.cryptoReplaceFfxFpeConfig\.veilw"
    ) as info:
        parse_transformation(zip_fpe("skip"), "pii.fields[0].transformation")
    assert [i.path for i in info.value.issues] == [
        "pii.fields[0].transformation.cryptoReplaceFfxFpeConfig.veilwatchSmallDomain"
    ]
    assert "transformationError, leaveUntransformed, redact" in str(info.value)


class _Apply(beam.DoFn):
    def __init__(self, config):
        self.config = config

    def setup(self):
        self.t = build_transformation(parse_transformation(self.config, "t"), PLAINTEXT_OK)

    def process(self, value):
        yield self.t.transform(value, CTX)


@pytest.mark.parametrize(
    "choice,counter,expected",
    [
        ("leaveUntransformed", "ff1_small_domain_left_untransformed", ["94043", "10001"]),
        ("redact", "ff1_small_domain_redacted", ["", ""]),
    ],
)
def test_values_let_through_are_counted_in_the_job_metrics(choice, counter, expected):
    p = TestPipeline()
    out = p | beam.Create(["94043", "10001", "123456789"]) | beam.ParDo(_Apply(zip_fpe(choice, dlp_key=True)))
    assert_that(out | beam.Filter(lambda v: len(v) < 6), equal_to(expected))
    result = p.run()
    result.wait_until_finish()
    counters = result.metrics().query(MetricsFilter().with_name(counter))["counters"]
    assert [c.committed for c in counters] == [2]
