"""Helpers for end-to-end runs of the real CLI on small generated data."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import yaml

from tests.conftest import REPO


def read_jsonl_dir(directory: pathlib.Path) -> list[dict[str, Any]]:
    records = []
    for path in sorted(directory.glob("part-*")):
        records.extend(
            json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
        )
    return records


def all_output_text(output_dir: pathlib.Path) -> str:
    """Every byte written under the output dir, decoded leniently (binary sinks included).

    Leak tests search this text: it must hold something, or a run that wrote nothing would pass them."""
    text = "\n".join(
        p.read_bytes().decode("utf-8", "replace") for p in sorted(output_dir.rglob("*")) if p.is_file()
    )
    assert text.strip(), f"nothing was written under {output_dir.name}"
    return text


def example_config(tmp_path: pathlib.Path, name: str = "payments.yaml", **changes: Any) -> pathlib.Path:
    """A copy of an example config with top-level sections replaced or updated."""
    doc = yaml.safe_load((REPO / "templates" / "datasets" / name).read_text())
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(doc.get(key), dict):
            doc[key] = {**doc[key], **value}
        else:
            doc[key] = value
    path = tmp_path / f"config-{len(list(tmp_path.glob('config-*')))}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def write_payments_feed(
    directory: pathlib.Path, *, seed: int, base_per_hour: int, days: int = 1, anomalies: tuple = ()
) -> tuple[pathlib.Path, list[dict[str, Any]], Any]:
    """Generated payments written to ``directory/payments.jsonl``: (path, records, labels)."""
    from veilwatch.pipelines.sample_data import generate, write_jsonl

    records, labels = generate(
        "payments", days=days, seed=seed, base_per_hour=base_per_hour, anomalies=anomalies
    )
    path = directory / "payments.jsonl"
    write_jsonl(str(path), records)
    return path, records, labels


def run_with_keyset(config: Any, data: Any, out: Any, keyset: Any, *extra: Any) -> Any:
    """``veilwatch run`` of ``config`` over ``data`` into ``out`` with a plaintext keyset."""
    from tests.conftest import run_cli

    return run_cli(
        "run",
        "--dataset_config",
        config,
        "--input",
        data,
        "--output_dir",
        out,
        "--keyset",
        keyset,
        "--allow_plaintext_keys",
        *extra,
    )


def visits_config(
    tmp_path: pathlib.Path,
    data: pathlib.Path,
    *,
    handling: dict | None = None,
    dlp: dict | None = None,
    name: str = "config",
) -> pathlib.Path:
    """A one-field dataset: ``visit`` dates shifted by exactly 3 days (a value that is no date cannot be),
    with ``pii.transformation_error_handling`` ``handling`` and, given ``dlp``, ``pii.engine: dlp``."""
    doc: dict[str, Any] = {
        "dataset": "visits",
        "source": {"format": "jsonl", "path": str(data)},
        "schema": {
            "fields": [
                {"name": "ts", "type": "timestamp", "required": True},
                {"name": "visit", "type": "string"},
            ]
        },
        "event_time": {"field": "ts"},
        "pii": {
            "fields": [
                {
                    "path": "visit",
                    "info_type": "DATE",
                    "transformation": {"dateShiftConfig": {"lowerBoundDays": 3, "upperBoundDays": 3}},
                }
            ]
        },
        "windowing": {"type": "fixed", "size": "1h"},
        "metrics": [{"name": "record_count", "type": "count"}],
    }
    if handling is not None:
        doc["pii"]["transformation_error_handling"] = handling
    if dlp is not None:
        doc["pii"]["engine"] = "dlp"
        doc["pii"]["dlp"] = dlp
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


# Where the generated payments records hold PII (pipelines/sample_data.py).
PAYMENTS_PII_PATHS = (
    ("customer", "name"),
    ("customer", "email"),
    ("customer", "phone"),
    ("card_number",),
    ("iban",),
    ("ip_address",),
)


def planted_values(records: list[dict[str, Any]], paths: tuple = PAYMENTS_PII_PATHS) -> set[Any]:
    """Every non-empty value at ``paths`` in ``records``: what no output but anonymized/ may hold."""
    values = set()
    for record in records:
        for path in paths:
            value: Any = record
            for name in path:
                value = value.get(name) if isinstance(value, dict) else None
            values.add(value)
    return values - {None, ""}
