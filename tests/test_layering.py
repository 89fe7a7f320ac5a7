"""The layer order of veilwatch's modules, as data, and the rules that enforce it.

A module may import modules of its own layer and of the layers below it, never
one above. Every import counts, at module level or inside a function (a nested
import does not hide a cycle, it only delays it) and under ``TYPE_CHECKING``.
Lowest first:

- elements: the leaf modules (element types and their coders, value descriptions, URI test); they import
  nothing of ours but each other.
- config model: the dataset config's types, errors and readers (``config``).
- records: per-record basics every engine needs (paths, parsing, event time, schema).
- engines: detection, de-identification, DLP, metrics calculators, detectors, keys,
  windows, data validation, discovery, dead-letter redaction, report rendering.
- config loading: ``config_loading.loader`` composes the engines' parsers into one validated config
  (``config_loading.json_schema`` builds the config's JSON Schema from the same tables).
- io: sources, sinks, Pub/Sub and BigQuery adapters.
- record processing: the per-record pipeline (parse, validate, de-identify) locally or with DLP.
- composites: the Beam PTransforms that wire the above (anonymize, window metrics, scoring ...).
- pipelines: the runnable pipelines and the CLI.

A module belongs to the layer of the longest prefix below that names it.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

# Lowest layer first: (layer name, module prefixes relative to ``veilwatch``).
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "elements",
        ("transforms.elements", "transforms.element_coders", "transforms.values", "transforms.locations"),
    ),
    ("config model", ("transforms.config",)),
    (
        "records",
        (
            "transforms.records",
            "transforms.windows",
        ),
    ),
    (
        "engines",
        (
            "transforms.detection",
            "transforms.deid",
            "transforms.dlp",
            "transforms.keys",
            "transforms.metrics",
            "transforms.anomaly",
            "transforms.data_validation",
            "transforms.discovery",
            "transforms.deadletter",
            "transforms.report",
        ),
    ),
    ("config loading", ("transforms.config_loading",)),
    ("io", ("transforms.io",)),
    ("record processing", ("transforms.processing",)),
    (
        "composites",
        (
            "transforms",  # the package itself
            "transforms.anonymize",
            "transforms.dead_letter_routes",
            "transforms.stage_checks",
            "transforms.metrics.window_metrics",
            "transforms.anomaly.score",
            "transforms.anomaly.coverage",
            "transforms.report.window_counts",
            "transforms.deid.reidentify",
            "transforms.data_validation.transform",
            "transforms.data_validation.streaming",
            "transforms.beam_yaml",
        ),
    ),
    ("pipelines", ("pipelines",)),
)
LAYER_NAMES = [name for name, _ in LAYERS]
_RANK = {prefix: rank for rank, (_, prefixes) in enumerate(LAYERS) for prefix in prefixes}


def layer_of(module: str) -> int | None:
    """The rank of ``module``'s layer (``transforms.x.y``): its longest listed prefix's."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        rank = _RANK.get(".".join(parts[:n]))
        if rank is not None:
            return rank
    return None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def our_modules() -> list[tuple[str, Path]]:
    return [
        (module_name(path), path)
        for folder in ("transforms", "pipelines")
        for path in sorted((REPO / folder).rglob("*.py"))
    ]


def imports_of(module: str, path: Path) -> Iterator[tuple[int, str]]:
    """(line, imported module without the ``veilwatch.`` prefix) of every import of ours, at any
    depth; ``from x import y`` yields ``x.y`` too (``y`` may be a module)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                names = [target] + [f"{target}.{alias.name}" for alias in node.names]
                names = ["veilwatch." + n for n in names]
            else:
                names = [node.module or ""]
                names += [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name.startswith("veilwatch."):
                yield node.lineno, name.removeprefix("veilwatch.")


def violations(rank: int) -> list[str]:
    """Imports by modules of layer ``rank`` of a module in a higher layer."""
    found = []
    for module, path in our_modules():
        if layer_of(module) != rank:
            continue
        for line, name in imports_of(module, path):
            # ``from a.b import c``: judges ``a.b`` and, if ``c`` is a module, ``a.b.c``
            target = layer_of(name)
            if target is not None and target > rank and _is_module(name):
                found.append(f"{path.relative_to(REPO)}:{line} imports {name} ({LAYER_NAMES[target]})")
    return found


def _is_module(name: str) -> bool:
    """Whether ``transforms.x.y`` names one of our modules or packages (not an attribute)."""
    relative = Path(*name.split("."))
    return (REPO / relative).with_suffix(".py").is_file() or (REPO / relative / "__init__.py").is_file()


def test_every_module_has_a_layer():
    unplaced = [module for module, _ in our_modules() if layer_of(module) is None]
    assert unplaced == []


@pytest.mark.parametrize("rank", range(len(LAYERS)), ids=LAYER_NAMES)
def test_layer_imports_nothing_above_it(rank):
    assert violations(rank) == []


def test_elements_import_nothing_of_ours():
    """The leaf layer is a leaf: its modules import no module of ours outside it (the batch coders
    import the element types they encode; ``elements.py`` itself imports nothing of ours)."""
    offenders = [
        f"{path.relative_to(REPO)}:{line} imports {name}"
        for module, path in our_modules()
        if layer_of(module) == 0
        for line, name in imports_of(module, path)
        if layer_of(name) != 0
    ]
    assert offenders == []


def test_the_rules_catch_an_upward_import(tmp_path, monkeypatch):
    """The checker itself can fail: a records module importing io is reported."""
    fake = tmp_path / "transforms" / "records" / "upward.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("def f():\n    from veilwatch.transforms.io.sources import RawBatch\n", encoding="utf-8")
    (tmp_path / "transforms" / "io").mkdir()
    (tmp_path / "transforms" / "io" / "sources.py").write_text("", encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "REPO", tmp_path)
    assert violations(LAYER_NAMES.index("records")) == [
        "transforms/records/upward.py:2 imports transforms.io.sources (io)"
    ]


def test_transforms_never_import_pipelines():
    offenders = []
    for path in sorted((REPO / "transforms").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [
                f"{path.relative_to(REPO)}: {n}"
                for n in names
                if n.split(".")[:2] == ["veilwatch", "pipelines"]
            ]
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
