"""Run-time overrides are written into the config document and validated with it, once.

A bad value given as a ``veilwatch run`` flag exits 2 with exactly the message the same value
gets in the YAML file (the key path and what is wrong, never the value), before anything is
written; a good one reaches the config.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any, NamedTuple

import pytest
import yaml

from tests.conftest import REPO, run_cli
from veilwatch.pipelines.options import RUN_OPTIONS
from veilwatch.transforms.config.errors import ConfigError
from veilwatch.transforms.config.overrides import OVERRIDE_KEYS, write_overrides
from veilwatch.transforms.config_loading.loader import ConfigOverrides, load_config, parse_config

PUBSUB = {"format": "pubsub", "pubsub": {"subscription": "projects/my-project/subscriptions/payments-in"}}
BIGQUERY = {"format": "bigquery", "bigquery": {"query": "SELECT * FROM raw.payments"}}
KMS_KEY = "gcp-kms://projects/my-project/locations/global/keyRings/veilwatch/cryptoKeys/keyset-kek"


class Case(NamedTuple):
    flag: str
    source: dict | None  # the base config's source (None: the example's jsonl file)
    yaml_edit: Any  # (document, value) -> the same value written in the file
    bad: str
    good: str
    reaches: Any  # config -> where the good value must arrive


def _set(*path: str, drop: str | None = None):
    def edit(doc: dict, value: str) -> None:
        for key in path[:-1]:
            doc = doc.setdefault(key, {})
        doc[path[-1]] = value
        if drop:
            doc.pop(drop, None)

    return edit


CASES = [
    Case(
        "--input",
        None,
        _set("source", "path"),
        "/nonexistent/veilwatch-input/*.jsonl",
        "gs://b/in/*.jsonl",
        lambda c: c.source.path,
    ),
    Case(
        "--input_subscription",
        PUBSUB,
        _set("source", "pubsub", "subscription", drop="topic"),
        "payments-in",
        "projects/my-project/subscriptions/other-in",
        lambda c: c.source.pubsub.subscription,
    ),
    Case(
        "--input_topic",
        PUBSUB,
        _set("source", "pubsub", "topic", drop="subscription"),
        "payments",
        "projects/my-project/topics/payments",
        lambda c: c.source.pubsub.topic,
    ),
    Case(
        "--input_table",
        BIGQUERY,
        _set("source", "bigquery", "table", drop="query"),
        "not a table",
        "my-project:raw.payments",
        lambda c: c.source.bigquery.table,
    ),
    Case("--output_dir", None, _set("sinks", "output_dir"), "", "gs://b/out", lambda c: c.sinks.output_dir),
    Case(
        "--output_table",
        None,
        _set("sinks", "bigquery", "anonymized_table"),
        "not a table",
        "my-project:veilwatch.payments_anonymized",
        lambda c: c.sinks.bigquery.anonymized_table,
    ),
    Case(
        "--output_topic",
        None,
        _set("sinks", "pubsub", "anonymized_topic"),
        "jane@example.com",
        "projects/my-project/topics/anonymized",
        lambda c: c.sinks.pubsub.anonymized_topic,
    ),
    Case(
        "--flagged_windows_table",
        None,
        _set("sinks", "bigquery", "flagged_windows_table"),
        "flagged windows",
        "my-project:veilwatch.flagged_windows",
        lambda c: c.sinks.bigquery.flagged_windows_table,
    ),
    Case(
        "--alerts_topic",
        None,
        _set("sinks", "pubsub", "alerts_topic"),
        "projects/my-project/subscriptions/alerts",
        "projects/my-project/topics/alerts",
        lambda c: c.sinks.pubsub.alerts_topic,
    ),
    Case(
        "--dead_letter_table",
        None,
        _set("sinks", "bigquery", "dead_letter_table"),
        "dead letters",
        "my-project:veilwatch.dead_letters",
        lambda c: c.sinks.bigquery.dead_letter_table,
    ),
    Case("--keyset", None, _set("keys", "keyset"), "", "gs://b/keys/payments.json", lambda c: c.keys.keyset),
    Case(
        "--kms_key_uri",
        None,
        _set("keys", "kms_key_uri"),
        "projects/my-project/locations/global/keyRings/veilwatch/cryptoKeys/keyset-kek",
        KMS_KEY,
        lambda c: c.keys.kms_key_uri,
    ),
]


def _base(tmp_path, keyset_path, source: dict | None) -> dict:
    doc = yaml.safe_load((REPO / "templates" / "datasets" / "payments.yaml").read_text())
    doc["source"]["path"] = str(REPO / "templates" / "sample_data" / "payments.jsonl")
    if source is not None:
        doc["source"] = copy.deepcopy(source)
    doc["keys"] = {"keyset": str(keyset_path)}
    doc["sinks"]["output_dir"] = str(tmp_path / "out")
    return doc


def _write(path, doc: dict):
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def _run(config, *flags: str):
    streaming = ("--streaming",) if yaml.safe_load(config.read_text())["source"]["format"] == "pubsub" else ()
    result = run_cli("run", "--dataset_config", config, *flags, *streaming, "--allow_plaintext_keys")
    return result.code, result.err.replace(str(config), "CONFIG")


def test_every_override_flag_has_a_case():
    overriding = {flag for flag, kwargs in RUN_OPTIONS if "overrides" in kwargs.get("help", "")}
    assert overriding == {case.flag for case in CASES}
    assert {f"--{name}" for name in OVERRIDE_KEYS} == overriding
    assert set(OVERRIDE_KEYS) == {f.name for f in dataclasses.fields(ConfigOverrides)}


@pytest.mark.parametrize("case", CASES, ids=[c.flag for c in CASES])
def test_a_bad_override_is_refused_as_the_same_value_in_the_file(case, tmp_path, keyset_path):
    base = _base(tmp_path, keyset_path, case.source)
    in_file = copy.deepcopy(base)
    case.yaml_edit(in_file, case.bad)

    flag_code, flag_err = _run(_write(tmp_path / "base.yaml", base), case.flag, case.bad)
    file_code, file_err = _run(_write(tmp_path / "in_file.yaml", in_file))

    assert file_code == 2, file_err
    assert flag_code == 2, flag_err
    assert flag_err == file_err
    assert "Traceback" not in flag_err
    if (
        "invalid dataset config" in flag_err
    ):  # the validator's: the key path and what is wrong, never the value
        assert ".".join(OVERRIDE_KEYS[case.flag[2:]]) + ": " in flag_err
        assert not case.bad or case.bad not in flag_err
    assert not (tmp_path / "out").exists()  # refused before any output


@pytest.mark.parametrize("case", CASES, ids=[c.flag for c in CASES])
def test_a_good_override_reaches_the_config(case, tmp_path, keyset_path):
    config = _write(tmp_path / "base.yaml", _base(tmp_path, keyset_path, case.source))
    name = case.flag.removeprefix("--")
    loaded = load_config(str(config), ConfigOverrides(**{name: case.good}))
    assert case.reaches(loaded) == case.good


def test_the_output_table_flag_names_the_key_and_shape(tmp_path, keyset_path):
    config = _write(tmp_path / "base.yaml", _base(tmp_path, keyset_path, None))
    code, err = _run(config, "--output_table", "not a table")
    assert code == 2
    assert "sinks.bigquery.anonymized_table: must look like PROJECT:DATASET.TABLE" in err


def test_a_source_override_replaces_the_files_other_way_of_naming_the_source():
    doc = {"source": {"format": "pubsub", "pubsub": {"topic": "t", "event_time_attribute": "ts"}}}
    written = write_overrides(doc, ConfigOverrides(input_subscription="s"))
    assert written["source"]["pubsub"] == {"subscription": "s", "event_time_attribute": "ts"}
    both = write_overrides(doc, ConfigOverrides(input_subscription="s", input_topic="u"))
    assert both["source"]["pubsub"] == {"subscription": "s", "topic": "u", "event_time_attribute": "ts"}
    table = write_overrides(
        {"source": {"format": "bigquery", "bigquery": {"query": "q"}}}, ConfigOverrides(input_table="p:d.t")
    )
    assert table["source"]["bigquery"] == {"table": "p:d.t"}


def test_writing_overrides_leaves_the_callers_document_as_it_was():
    doc = {"source": {"format": "jsonl", "path": "a"}, "sinks": {"bigquery": {"scores_table": "p:d.s"}}}
    before = copy.deepcopy(doc)
    written = write_overrides(doc, ConfigOverrides(input="b", output_table="p:d.t", keyset="k"))
    assert doc == before
    assert written["sinks"]["bigquery"] == {"scores_table": "p:d.s", "anonymized_table": "p:d.t"}
    assert written["keys"] == {"keyset": "k"}


def test_a_source_override_for_another_kind_of_source_is_not_written():
    # `veilwatch run` refuses it naming the flag (test_dry_run.py); the file's source stays as it is
    doc = {"source": {"format": "jsonl", "path": "a"}}
    assert write_overrides(doc, ConfigOverrides(input_subscription="s", input_table="t")) == doc


def test_an_override_under_a_section_that_is_not_a_mapping_leaves_the_mistake_to_validation():
    doc = {"dataset": "d", "source": {"format": "jsonl", "path": "x"}, "sinks": ["out"]}
    with pytest.raises(ConfigError, match=r"schema: expected a mapping, got nothing") as info:
        parse_config(doc, overrides=ConfigOverrides(output_dir="o"))
    assert "sinks: expected a mapping, got a list" in [str(i) for i in info.value.issues]


def test_override_paths_are_taken_as_given_and_file_paths_relative_to_the_file(tmp_path):
    doc = {
        "dataset": "d",
        "source": {"format": "jsonl", "path": "in.jsonl"},
        "schema": {"fields": [{"name": "ts", "type": "timestamp"}]},
        "event_time": {"field": "ts"},
        "keys": {"keyset": "k.json"},
        "sinks": {"output_dir": "out"},
    }
    from_file = parse_config(doc, base_dir=str(tmp_path))
    assert from_file.source.path == str(tmp_path / "in.jsonl")
    assert from_file.keys.keyset == str(tmp_path / "k.json")
    assert from_file.sinks.output_dir == str(tmp_path / "out")
    given = parse_config(
        doc,
        base_dir=str(tmp_path),
        overrides=ConfigOverrides(input="in2.jsonl", keyset="k2.json", output_dir="o2"),
    )
    assert (given.source.path, given.keys.keyset, given.sinks.output_dir) == ("in2.jsonl", "k2.json", "o2")
    assert type(given.source.path) is str  # a plain string in the config, whatever marked it on the way
