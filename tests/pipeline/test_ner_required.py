"""A config that scans text for names needs the NER model: without it the run stops before any output.

"Without a model" is made real two ways: a model name that is not installed,
and a Python in which spaCy itself cannot be imported (a subprocess whose
import system refuses ``spacy``), as on a machine without the 'ner' extra.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from tests.conftest import REPO, run_cli
from tests.pipeline.helpers import example_config

pytestmark = pytest.mark.pipeline
SAMPLE = str(REPO / "templates" / "sample_data" / "payments.jsonl")


def _config_without_model(tmp_path, **detection):
    return example_config(tmp_path, pii={"detection": {"min_likelihood": "POSSIBLE", **detection}})


def test_a_missing_model_stops_the_run_with_exit_2_and_the_install_command(tmp_path, keyset_path):
    config = _config_without_model(tmp_path, ner_model="en_core_web_no_such_model")
    out = tmp_path / "out"
    result = run_cli(
        "run",
        "--dataset_config",
        str(config),
        "--input",
        SAMPLE,
        "--output_dir",
        str(out),
        "--keyset",
        str(keyset_path),
        "--allow_plaintext_keys",
    )
    assert result.code == 2
    assert "pii.detection.use_ner" in result.err
    assert "pip install" in result.err
    assert "en_core_web_no_such_model" in result.err
    assert not out.exists()


def test_use_ner_false_runs_without_the_model(tmp_path, keyset_path):
    config = _config_without_model(tmp_path, ner_model="en_core_web_no_such_model", use_ner=False)
    result = run_cli(
        "run",
        "--dataset_config",
        str(config),
        "--input",
        SAMPLE,
        "--output_dir",
        str(tmp_path / "out"),
        "--keyset",
        str(keyset_path),
        "--allow_plaintext_keys",
    )
    assert result.code == 0, result.err


BLOCK_SPACY = textwrap.dedent("""
    import importlib.abc, sys
    class _NoSpacy(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "spacy" or name.startswith("spacy."):
                raise ModuleNotFoundError("No module named 'spacy'", name="spacy")
    sys.meta_path.insert(0, _NoSpacy())
    from veilwatch.pipelines.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def _cli_without_spacy(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", BLOCK_SPACY, *argv], cwd=REPO, capture_output=True, text=True, timeout=300
    )


def test_without_spacy_the_run_stops_and_scan_warns(tmp_path, keyset_path):
    config = example_config(tmp_path)
    out = tmp_path / "out"
    done = _cli_without_spacy(
        "run",
        "--dataset_config",
        str(config),
        "--input",
        SAMPLE,
        "--output_dir",
        str(out),
        "--keyset",
        str(keyset_path),
        "--allow_plaintext_keys",
    )
    assert done.returncode == 2, done.stderr
    assert "spaCy is not installed" in done.stderr
    assert "pip install" in done.stderr
    assert not out.exists()

    texts = tmp_path / "texts.jsonl"
    texts.write_text('{"text": "Anna Karlsson wrote from anna@example.org"}\n')
    done = _cli_without_spacy("scan", "--input", str(texts), "--output", "-")
    assert done.returncode == 0, done.stderr
    assert "PERSON_NAME, LOCATION and ORGANIZATION_NAME are not detected" in done.stderr
    assert "EMAIL_ADDRESS" in done.stdout
    assert "PERSON_NAME" not in done.stdout


def test_scan_finds_names_when_the_model_is_installed(tmp_path):
    texts = tmp_path / "texts.jsonl"
    texts.write_text('{"text": "Anna Karlsson wrote from anna@example.org"}\n')
    result = run_cli("scan", "--input", str(texts), "--output", str(tmp_path / "found.jsonl"))
    assert result.code == 0, result.err
    assert "PERSON_NAME" in (tmp_path / "found.jsonl").read_text()
