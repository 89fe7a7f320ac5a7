"""Option combinations ``run`` and ``reidentify`` refuse before anything is written (exit 2)."""

from __future__ import annotations

import socket

import pytest

from tests.conftest import run_cli
from tests.pipeline.helpers import example_config

pytestmark = pytest.mark.pipeline

DATAFLOW = ("--runner", "DataflowRunner", "--project", "p", "--region", "r", "--temp_location", "gs://b/t")


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("preflight tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_streaming_with_a_file_source_is_refused_before_any_output(tmp_path, keyset_path):
    data = tmp_path / "in.jsonl"
    data.write_text('{"transaction_id": "t1"}\n', encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli(
        "run",
        "--dataset_config",
        example_config(tmp_path),
        "--input",
        data,
        "--output_dir",
        out,
        "--keyset",
        keyset_path,
        "--allow_plaintext_keys",
        "--streaming",
    )
    assert result.code == 2, (result.code, result.err)
    assert "--streaming" in result.err
    assert "source.format jsonl" in result.err
    assert "pipeline failed" not in result.err
    assert not out.exists()


def test_dataflow_run_without_a_way_to_ship_the_package_is_refused(tmp_path, no_network):
    args = (
        "run",
        "--dataset_config",
        example_config(tmp_path),
        "--input",
        "gs://b/in/*.jsonl",
        "--output_dir",
        "gs://b/out",
        "--keyset",
        "gs://b/keys/k.json",
        *DATAFLOW,
    )
    result = run_cli(*args)
    assert result.code == 2, (result.code, result.err)
    assert "--setup_file" in result.err
    assert "--sdk_container_image" in result.err


def test_dataflow_reidentify_without_a_way_to_ship_the_package_is_refused(tmp_path, no_network):
    result = run_cli(
        "reidentify",
        "--dataset_config",
        example_config(tmp_path),
        "--input",
        "gs://b/run/anonymized",
        "--fields",
        "customer.email",
        "--output",
        "gs://b/reid",
        "--keyset",
        "gs://b/keys/k.json",
        *DATAFLOW,
    )
    assert result.code == 2, (result.code, result.err)
    assert "--setup_file" in result.err
    assert "--sdk_container_image" in result.err
