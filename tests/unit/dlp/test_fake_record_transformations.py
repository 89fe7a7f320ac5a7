"""The in-process DlpService (tests/support/fake_dlp.py) applies record transformations as DLP
documents them: conditions, recordSuppressions, per-field infoTypeTransformations and
replaceWithInfoTypeConfig over a whole cell, through the real google-cloud-dlp client."""

from __future__ import annotations

import json

import grpc
import pytest
from google.api_core import exceptions
from google.cloud.dlp_v2 import types as dlp

from tests.support.fake_dlp import FakeDlp

INSPECT = dlp.InspectConfig(
    info_types=[dlp.InfoType(name="EMAIL_ADDRESS")], min_likelihood=dlp.Likelihood.POSSIBLE
)
ADULT = {
    "expressions": {
        "conditions": {
            "conditions": [
                {
                    "field": {"name": "age"},
                    "operator": "GREATER_THAN_OR_EQUALS",
                    "value": {"integerValue": "18"},
                }
            ]
        }
    }
}
UNKNOWN_AGE = {
    "expressions": {"conditions": {"conditions": [{"field": {"name": "age"}, "operator": "EXISTS"}]}}
}


@pytest.fixture
def fake():
    server = FakeDlp()
    yield server
    server.stop()


def _deidentify(fake, config: dict, headers: list[str], rows: list[list]) -> list[list]:
    from veilwatch.transforms.dlp.table import from_value, to_value

    table = dlp.Table(
        headers=[dlp.FieldId(name=h) for h in headers],
        rows=[dlp.Table.Row(values=[to_value(v) for v in row]) for row in rows],
    )
    response = fake.client().deidentify_content(
        request=dlp.DeidentifyContentRequest(
            parent="projects/p/locations/global",
            item=dlp.ContentItem(table=table),
            inspect_config=INSPECT,
            deidentify_config=dlp.DeidentifyConfig.from_json(json.dumps(config)),
        )
    )
    return [[from_value(v) for v in row.values] for row in response.item.table.rows]


def test_a_condition_decides_per_row_and_reads_the_row_as_it_came_in(fake):
    config = {
        "recordTransformations": {
            "fieldTransformations": [
                # age itself is transformed first: the second item still compares the original age
                {"fields": [{"name": "age"}], "primitiveTransformation": {"redactConfig": {}}},
                {
                    "fields": [{"name": "name"}],
                    "condition": ADULT,
                    "primitiveTransformation": {"redactConfig": {}},
                },
                {
                    "fields": [{"name": "name"}],
                    "primitiveTransformation": {"replaceConfig": {"newValue": {"stringValue": "minor"}}},
                },
            ]
        }
    }
    rows = _deidentify(fake, config, ["name", "age"], [["Ann", 30], ["Bob", 12], ["Cy", "17"], ["Di", "18"]])
    assert rows == [["", ""], ["minor", ""], ["minor", ""], ["", ""]]


def test_suppressed_rows_are_left_out_of_the_answer(fake):
    config = {
        "recordTransformations": {
            "fieldTransformations": [
                {"fields": [{"name": "name"}], "primitiveTransformation": {"redactConfig": {}}}
            ],
            "recordSuppressions": [{"condition": ADULT}],
        }
    }
    rows = _deidentify(fake, config, ["name", "age"], [["Ann", 30], ["Bob", 12], ["Cy", None]])
    assert rows == [["", 12], ["", None]]


def test_a_field_a_condition_reads_must_be_a_column(fake):
    config = {
        "recordTransformations": {
            "fieldTransformations": [
                {
                    "fields": [{"name": "name"}],
                    "condition": UNKNOWN_AGE,
                    "primitiveTransformation": {"redactConfig": {}},
                }
            ]
        }
    }
    with pytest.raises(exceptions.InvalidArgument, match=r"400 Field age in the condition at") as caught:
        _deidentify(fake, config, ["name"], [["Ann"]])
    assert caught.value.grpc_status_code == grpc.StatusCode.INVALID_ARGUMENT
    assert "Field age in the condition" in caught.value.message


def test_per_field_info_type_transformations_with_a_condition(fake):
    config = {
        "recordTransformations": {
            "fieldTransformations": [
                {
                    "fields": [{"name": "note"}],
                    "condition": ADULT,
                    "infoTypeTransformations": {
                        "transformations": [
                            {
                                "infoTypes": [{"name": "EMAIL_ADDRESS"}],
                                "primitiveTransformation": {
                                    "replaceConfig": {"newValue": {"stringValue": "[mail]"}}
                                },
                            }
                        ]
                    },
                }
            ]
        }
    }
    rows = _deidentify(
        fake, config, ["note", "age"], [["mail ann@example.com", 40], ["mail bob@example.com", 9]]
    )
    assert rows == [["mail [mail]", 40], ["mail bob@example.com", 9]]


def test_replace_with_info_type_over_a_whole_cell_names_the_findings_of_the_cell(fake):
    config = {
        "recordTransformations": {
            "fieldTransformations": [
                {
                    "fields": [{"name": "contact"}],
                    "primitiveTransformation": {"replaceWithInfoTypeConfig": {}},
                }
            ]
        }
    }
    rows = _deidentify(fake, config, ["contact"], [["ann@example.com"], ["call me maybe"]])
    assert rows == [["[EMAIL_ADDRESS]"], ["call me maybe"]]


def test_the_engine_maps_the_answer_rows_back_and_counts_suppressed_rows_in_one_request(fake):
    """DLP leaves suppressed rows out of its answer without saying which: the row id column tells,
    so a batch with suppressed rows costs one request, not one per row."""
    from veilwatch.transforms.config.model import DlpEngineSpec, FieldPolicy, PiiSpec, TransformationSpec
    from veilwatch.transforms.dlp.caller import BatchCaller
    from veilwatch.transforms.dlp.engine import SUPPRESSED, DlpTableEngine
    from veilwatch.transforms.dlp.rate_limit import RateLimiter

    config = dlp.DeidentifyConfig.from_json(
        json.dumps(
            {
                "recordTransformations": {
                    "fieldTransformations": [
                        {"fields": [{"name": "name"}], "primitiveTransformation": {"redactConfig": {}}}
                    ],
                    "recordSuppressions": [{"condition": ADULT}],
                }
            }
        )
    )
    pii = PiiSpec(fields=(FieldPolicy("name", "PERSON_NAME", TransformationSpec("redactConfig", None)),))
    caller = BatchCaller(RateLimiter(60_000), sleep=lambda s: None)
    engine = DlpTableEngine(
        pii, DlpEngineSpec(project="p"), fake.client(), caller, config, INSPECT, extra_columns=["age"]
    )
    records = [{"name": f"N{i}", "age": age} for i, age in enumerate([30, 12, 40, 41, 5, 18, 2])]
    results = engine.deidentify_records(records)
    assert results == [SUPPRESSED, None, SUPPRESSED, SUPPRESSED, None, SUPPRESSED, None]
    assert [r["name"] for r, res in zip(records, results, strict=True) if res is None] == ["", "", ""]
    assert [r["name"] for r, res in zip(records, results, strict=True) if res is not None] == [
        "N0",
        "N2",
        "N3",
        "N5",
    ]
    assert fake.count("DeidentifyContent") == 1
    assert caller.totals["splits"] == 0


def test_a_declared_field_replaced_with_its_info_type_is_sent_as_that_info_type(fake):
    """replaceWithInfoTypeConfig on a declared field means its declared infoType, every value;
    DLP defines the primitive per finding, so the request says the infoType: even a value DLP
    finds nothing in becomes [IBAN_CODE], as with the local engine."""
    from tests.conftest import REPO
    from veilwatch.transforms.config_loading.loader import load_config
    from veilwatch.transforms.dlp.convert import deidentify_config_for

    config = load_config(str(REPO / "templates" / "datasets" / "payments.yaml"))
    message = deidentify_config_for(config)
    (item,) = [i for i in message.record_transformations.field_transformations if i.fields[0].name == "iban"]
    assert item.primitive_transformation.replace_config.new_value.string_value == "[IBAN_CODE]"
    document = {
        "recordTransformations": {"fieldTransformations": [json.loads(dlp.FieldTransformation.to_json(item))]}
    }
    assert _deidentify(fake, document, ["iban"], [["not an iban at all"]]) == [["[IBAN_CODE]"]]
