"""transforms/ is the reusable layer: it must never import pipelines/."""

from __future__ import annotations

import ast

from tests.conftest import REPO


def test_transforms_never_import_pipelines():
    offenders = []
    for path in sorted((REPO / "transforms").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.relative_to(REPO)}: {n}" for n in names if n.split(".")[0] == "pipelines"]
    assert offenders == []


def test_code_imports_veilwatch_names_only():
    """The installed import names are ``veilwatch.transforms`` and ``veilwatch.pipelines`` (setup.py):
    a bare ``transforms``/``pipelines`` import works only from the repository root and would load a
    second copy of every module (or another package's ``transforms`` on a Dataflow worker)."""
    offenders = []
    for folder in ("transforms", "pipelines", "tests", "benchmarks"):
        for path in sorted((REPO / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names = [node.module]
                offenders += [
                    f"{path.relative_to(REPO)}: {n}"
                    for n in names
                    if n.split(".")[0] in ("transforms", "pipelines")
                ]
    assert offenders == []
