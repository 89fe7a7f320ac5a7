"""The dataset config's JSON Schema: generated from the validator, checked in, and true to it."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from tests.conftest import FIXTURES, REPO, run_cli
from veilwatch.transforms.config.errors import ConfigError
from veilwatch.transforms.config_loading.json_schema import VALUES, dataset_config_schema, schema_text
from veilwatch.transforms.config_loading.loader import (
    SECTION_KEYS,
    ConfigOverrides,
    load_config,
    parse_config,
)

CHECKED_IN = REPO / "templates" / "dataset-config.schema.json"
EXAMPLES = sorted((REPO / "templates" / "datasets").glob("*.yaml"))


@pytest.fixture(scope="module")
def validator():
    schema = dataset_config_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _errors(validator, doc) -> list[str]:
    """Every error, with those under anyOf / allOf branches (where an editor points)."""
    out, todo = [], list(validator.iter_errors(doc))
    while todo:
        error = todo.pop()
        out.append(f"{'.'.join(map(str, error.absolute_path))}: {error.message}")
        todo.extend(error.context or ())
    return out


def test_the_checked_in_schema_is_the_generated_one():
    # regenerate with: veilwatch config-schema --out templates/dataset-config.schema.json
    assert CHECKED_IN.read_text(encoding="utf-8") == schema_text()
    assert json.loads(CHECKED_IN.read_text(encoding="utf-8")) == dataset_config_schema()


def test_the_command_prints_it():
    result = run_cli("config-schema")
    assert result.code == 0, result.err
    assert result.out == schema_text()


def test_every_key_the_validator_accepts_has_a_schema():
    schema = dataset_config_schema()
    for section, keys in SECTION_KEYS.items():
        for key in keys:
            path = f"{section}.{key}" if section else key
            assert path in SECTION_KEYS or path in VALUES, path
    assert set(schema["properties"]) == set(SECTION_KEYS[""])
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_config_validates_against_it(path, validator):
    assert len(EXAMPLES) >= 3
    assert _errors(validator, yaml.safe_load(path.read_text())) == []
    assert path.read_text().startswith("# yaml-language-server: $schema=../dataset-config.schema.json\n")


def test_the_valid_fixtures_validate_and_load():
    for name in ("minimal.yaml", "scenario_payments.yaml"):
        load_config(str(FIXTURES / "configs" / name), ConfigOverrides(keyset="k.json"))  # valid ...
        assert _errors(_validator(), yaml.safe_load((FIXTURES / "configs" / name).read_text())) == [], name


def _validator():
    return jsonschema.Draft202012Validator(dataset_config_schema())


BASE = {
    "dataset": "d",
    "source": {"format": "jsonl", "path": "x.jsonl"},
    "schema": {"fields": [{"name": "ts", "type": "timestamp"}, {"name": "amount", "type": "float"}]},
    "event_time": {"field": "ts"},
    "sinks": {"output_dir": "out"},
}

# (section, value, the key path both the validator and the schema refuse)
BAD = [
    ("windowing", {"type": "fixed", "size": "1h", "sise": "1h"}, "windowing"),
    ("windowing", {"type": "hourly", "size": "1h"}, "windowing.type"),
    ("windowing", {"type": "fixed", "size": "an hour"}, "windowing.size"),
    ("source", {"format": "jsonl", "path": "x", "max_record_bytes": "lots"}, "source.max_record_bytes"),
    (
        "sinks",
        {"output_dir": "o", "bigquery": {"anonymized_table": "not a table"}},
        "sinks.bigquery.anonymized_table",
    ),
    (
        "sinks",
        {"output_dir": "o", "bigquery": {"clustering": ["dataset", "colour"]}},
        "sinks.bigquery.clustering.1",
    ),
    ("keys", {"kms_key_uri": "projects/p/locations/l/keyRings/r/cryptoKeys/k"}, "keys.kms_key_uri"),
    ("detector", {"type": "robust_zscore", "threshold": -1}, "detector.threshold"),
    ("detector", {"type": "robust_zscore", "treshold": 3}, "detector"),
    ("detector", {"type": "likelihood"}, "detector"),
    ("cooldown", {"minutes": 3}, "cooldown"),
    (
        "pii",
        {"fields": [{"path": "amount", "info_type": "X", "transformation": "maskConfig"}]},
        "pii.fields.0.transformation",
    ),
    ("metrics", [{"name": "m", "type": "quantile", "field": "amount", "quantile": 2}], "metrics.0.quantile"),
]


@pytest.mark.parametrize("section, value, where", BAD, ids=[w for _, _, w in BAD])
def test_the_schema_refuses_what_the_validator_refuses(section, value, where, validator):
    doc = {**BASE, section: value}
    with pytest.raises(ConfigError):
        parse_config(doc)
    errors = _errors(validator, doc)
    assert any(e.startswith(f"{where}: ") for e in errors), errors


GOOD = [
    ("windowing", {"type": "sliding", "size": 3600, "period": "15m", "allowed_lateness": "2h"}),
    ("windowing", None),
    ("sinks", {"output_dir": "o", "bigquery": {"time_partitioning": "DAY", "clustering": None}}),
    ("detector", {"type": "ensemble", "mode": "any", "members": [{"type": "ewma"}, {"type": "iqr"}]}),
    ("detector", {"type": "likelihood", "detector": {"type": "ewma"}, "threshold": 0.5}),
    ("cooldown", {"windows": 3}),
    (
        "pii",
        {
            "fields": [
                {"path": "amount", "info_type": "X", "transformation": {"fixedSizeBucketingConfig": {}}}
            ]
        },
    ),
    ("metrics", None),
    ("keys", {"keyset": None}),
]


@pytest.mark.parametrize("section, value", GOOD, ids=[f"{s}-{i}" for i, (s, _) in enumerate(GOOD)])
def test_the_schema_accepts_the_shapes_the_validator_accepts(section, value, validator):
    doc = {**BASE, section: value}
    try:
        parse_config(doc)
    except ConfigError as exc:  # only references between keys may fail here, never a shape
        assert all("fixedSizeBucketingConfig" in i.path for i in exc.issues), str(exc)
    assert _errors(validator, doc) == []
