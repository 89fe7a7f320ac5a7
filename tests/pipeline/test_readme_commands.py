"""The launch commands of README.md and templates/README.md run as written, as dry runs.

Each ``veilwatch run`` command of the README's "Streaming and Dataflow" section,
and each ``gcloud dataflow flex-template run`` of templates/README.md (its
``--parameters name=value`` are what the launcher hands ``main.py`` as
``--name=value``), is run through the real CLI with ``--dry-run`` added when it
is not there: config and flags are validated and the graph is built for the
DataflowRunner, with the network blocked. A ``gs://`` config is read from the
file the README uploads there (``gcloud storage cp LOCAL gs://...``).
"""

from __future__ import annotations

import re
import shlex

import pytest

from tests.conftest import REPO, run_cli
from tests.pipeline.test_dry_run import no_network  # noqa: F401 - the fixture

pytestmark = pytest.mark.pipeline

README = (REPO / "README.md").read_text(encoding="utf-8")
TEMPLATES_README = (REPO / "templates" / "README.md").read_text(encoding="utf-8")


def shell_commands(markdown: str, starts: str) -> list[str]:
    """Commands in the markdown's ```bash blocks that start with ``starts``, continuation lines joined."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", markdown, re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line.startswith(starts):
                commands.append(line)
    return commands


def _section(markdown: str, title: str) -> str:
    start = markdown.index(f"\n## {title}\n")
    end = markdown.find("\n## ", start + 1)
    return markdown[start : end if end > 0 else None]


def _shell_variables(markdown: str) -> dict[str, str]:
    """``NAME=value`` assignments of the markdown's bash blocks, expanded in order."""
    values: dict[str, str] = {}
    for name, value in re.findall(r"^([A-Z_]+)=(\S+)", markdown, re.M):
        values[name] = _expand(value, values)
    return values


def _expand(text: str, variables: dict[str, str]) -> str:
    return re.sub(r"\$\{?([A-Z_]+)\}?", lambda m: variables.get(m.group(1), m.group(0)), text)


def _uploads(markdown: str, variables: dict[str, str]) -> dict[str, str]:
    """gs:// URI -> local file, from the markdown's ``gcloud storage cp LOCAL gs://...`` lines."""
    uploads = {}
    for command in shell_commands(markdown, "gcloud storage cp "):
        local, remote = shlex.split(command)[3:5]
        if (REPO / local).is_file():
            uploads[_expand(remote, variables)] = str(REPO / local)
    return uploads


def _veilwatch_run_argv(command: str) -> list[str]:
    argv = shlex.split(command)
    assert argv[:2] == ["veilwatch", "run"], command
    argv = argv[1:]
    if "--dry-run" not in argv and "--dry_run" not in argv:
        argv.append("--dry-run")
    return argv


def _flex_template_argv(command: str, variables: dict[str, str], uploads: dict[str, str]) -> list[str]:
    """The ``veilwatch run`` the launcher runs for ``gcloud dataflow flex-template run ...``."""
    words = shlex.split(_expand(command, variables))
    argv = ["run", "--runner", "DataflowRunner", "--dry-run"]
    i = 5  # after: gcloud dataflow flex-template run JOB_NAME
    while i < len(words):
        word = words[i]
        if word == "--parameters":
            name, value = words[i + 1].split("=", 1)
            # sdk_container_image is Dataflow's: the launcher passes it on to Beam like the rest
            if name == "dataset_config":
                assert value in uploads, f"{value} is not uploaded by the README"
                value = uploads[value]
            argv.append(f"--{name}={value}")
            i += 2
        elif word in ("--region", "--project"):
            argv += [word, words[i + 1]]
            i += 2
        elif word == "--temp-location":
            argv += ["--temp_location", words[i + 1]]
            i += 2
        else:  # gcloud's own (--template-file-gcs-location, --service-account-email): not the launcher's
            i += 2
    return argv


STREAMING_SECTION = _section(README, "Streaming and Dataflow")
README_RUNS = shell_commands(STREAMING_SECTION, "veilwatch run ")
FLEX_RUNS = shell_commands(TEMPLATES_README, "gcloud dataflow flex-template run ")


def test_the_readme_shows_a_streaming_and_a_dry_run_example():
    assert any("--streaming" in c for c in README_RUNS), README_RUNS
    assert any("--dry-run" in c for c in README_RUNS), README_RUNS
    assert len(FLEX_RUNS) == 2
    assert any("streaming=true" in c for c in FLEX_RUNS)


@pytest.mark.parametrize("command", README_RUNS, ids=lambda c: "streaming" if "--streaming" in c else "batch")
@pytest.mark.usefixtures("no_network")
def test_readme_run_examples_pass_as_dry_runs(command, monkeypatch):
    monkeypatch.chdir(REPO)  # the examples name repository paths (templates/datasets/...)
    result = run_cli(*_veilwatch_run_argv(command))
    assert result.code == 0, result.err
    assert "for DataflowRunner" in result.out
    mode = "(streaming)" if "--streaming" in command else "(batch)"
    assert mode in result.out


def test_the_streaming_example_uses_the_shipped_pubsub_config():
    streaming = [c for c in README_RUNS if "--streaming" in c]
    assert len(streaming) == 1
    assert "--dataset_config templates/datasets/payments_stream.yaml" in streaming[0]
    uploaded = _uploads(TEMPLATES_README, _shell_variables(TEMPLATES_README))
    flex_streaming = [c for c in FLEX_RUNS if "streaming=true" in c]
    config = re.search(r"dataset_config=(\S+)", flex_streaming[0]).group(1)
    assert uploaded[config].endswith("templates/datasets/payments_stream.yaml")


@pytest.mark.parametrize(
    "command", FLEX_RUNS, ids=lambda c: "streaming" if "streaming=true" in c else "batch"
)
@pytest.mark.usefixtures("no_network")
def test_templates_readme_flex_template_runs_pass_the_launcher(command, monkeypatch):
    monkeypatch.chdir(REPO)
    variables = _shell_variables(TEMPLATES_README)
    argv = _flex_template_argv(command, variables, _uploads(TEMPLATES_README, variables))
    result = run_cli(*argv)
    assert result.code == 0, result.err
    mode = "(streaming)" if "streaming=true" in command else "(batch)"
    assert f"for DataflowRunner {mode}" in result.out
