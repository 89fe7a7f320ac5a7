"""``veilwatch discover`` on the bundled samples proposes what the hand-written example configs declare."""

from __future__ import annotations

import pytest
import yaml

from tests.conftest import REPO, run_cli

pytestmark = pytest.mark.pipeline

SAMPLES = {
    "payments": REPO / "templates" / "sample_data" / "payments.jsonl",
    "app_logs": REPO / "templates" / "sample_data" / "app_logs.jsonl",
}
SAMPLE_SIZE = "600"


@pytest.fixture(scope="module", params=sorted(SAMPLES))
def discovered(request, tmp_path_factory):
    name = request.param
    directory = tmp_path_factory.mktemp(f"discover-{name}")
    output = directory / "proposed.yaml"
    result = run_cli(
        "discover",
        "--input",
        str(SAMPLES[name]),
        "--sample",
        SAMPLE_SIZE,
        "--output",
        str(output),
        "--dataset",
        name,
        "--keyset",
        str(directory / "keyset.json"),
    )
    assert result.code == 0, result.err
    declared = yaml.safe_load((REPO / "templates" / "datasets" / f"{name}.yaml").read_text())
    return name, output, yaml.safe_load(output.read_text()), declared, result


def test_every_declared_pii_field_gets_its_info_type(discovered):
    _, _, proposed, declared, _ = discovered
    want = {f["path"]: f["info_type"] for f in declared["pii"]["fields"]}
    got = {f["path"]: f["info_type"] for f in proposed["pii"]["fields"]}
    assert got == want  # the right infoType for every PII field, and no PII infoType for any other


def test_free_text_fields_are_the_declared_scan_fields(discovered):
    _, _, proposed, declared, _ = discovered
    assert proposed["pii"]["scan_fields"] == declared["pii"]["scan_fields"]


def test_schema_types_required_and_event_time(discovered):
    _, _, proposed, declared, _ = discovered
    got = {f["name"]: f for f in proposed["schema"]["fields"]}
    for field in declared["schema"]["fields"]:
        assert got[field["name"]]["type"] == field["type"], field["name"]
        if field.get("required"):  # required in the example: present in every sampled record
            assert got[field["name"]].get("required") is True, field["name"]
    assert proposed["event_time"]["field"] == declared["event_time"]["field"]


def test_evidence_is_stated_per_proposal(discovered):
    name, output, _, _, result = discovered
    text = output.read_text()
    # people's names are recognised in the values (the NER model); an internal user id only by its field name
    path, evidence = {
        "payments": ("customer.name", "from values: hit rate"),
        "app_logs": ("user_id", "from the field name"),
    }[name]
    assert f'path: "{path}"' in text
    line = text.split(f'path: "{path}"', 1)[1].splitlines()[1]
    assert evidence in line
    assert "from values: hit rate" in text
    assert "values 100.0%" in result.out  # the printed table


def test_the_proposal_is_a_valid_config(discovered, tmp_path):
    _, output, _, _, _ = discovered
    result = run_cli("validate-config", str(output), "--output_dir", str(tmp_path / "out"))
    assert result.code == 0, result.err


def test_existing_output_and_missing_input_exit_2(tmp_path):
    output = tmp_path / "p.yaml"
    output.write_text("x")
    assert run_cli("discover", "--input", str(SAMPLES["payments"]), "--output", str(output)).code == 2
    assert (
        run_cli(
            "discover", "--input", str(tmp_path / "none-*.jsonl"), "--output", str(tmp_path / "q.yaml")
        ).code
        == 2
    )


def test_a_bare_output_file_name_is_written_in_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_cli(
        "discover", "--input", str(SAMPLES["payments"]), "--sample", "50", "--output", "proposed.yaml"
    )
    assert result.code == 0, result.err
    assert "proposed config written to proposed.yaml" in result.out
    assert run_cli("validate-config", "proposed.yaml", "--output_dir", str(tmp_path / "out")).code == 0
