"""Run-time overrides (``veilwatch run --output_table ...``) written into the config document.

    document = write_overrides(yaml.safe_load(text), ConfigOverrides(output_table="p:d.t"))
    # -> {..., "sinks": {..., "bigquery": {..., "anonymized_table": "p:d.t"}}}

An override is a value for one key of the dataset config (see :data:`OVERRIDE_KEYS`). It is
written into the parsed YAML document at that key before the document is validated, so a
value from the command line is checked by the same code, and refused with the same message
and key path, as the same value written in the file; there is no second merge after
validation.

One difference is kept on purpose: a relative path in the file is relative to the file's
folder, while a path given on the command line is taken as given (relative to the working
directory). Override paths are written as :class:`GivenPath`, which the loader does not
re-anchor.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from veilwatch.transforms.config.model import FILE_FORMATS, SourceFormat

# Override name (a ConfigOverrides field and ``veilwatch run --NAME``) -> its key path in the config.
OVERRIDE_KEYS: dict[str, tuple[str, ...]] = {
    "input": ("source", "path"),
    "input_subscription": ("source", "pubsub", "subscription"),
    "input_topic": ("source", "pubsub", "topic"),
    "input_table": ("source", "bigquery", "table"),
    "output_dir": ("sinks", "output_dir"),
    "output_table": ("sinks", "bigquery", "anonymized_table"),
    "output_topic": ("sinks", "pubsub", "anonymized_topic"),
    "flagged_windows_table": ("sinks", "bigquery", "flagged_windows_table"),
    "alerts_topic": ("sinks", "pubsub", "alerts_topic"),
    "dead_letter_table": ("sinks", "bigquery", "dead_letter_table"),
    "keyset": ("keys", "keyset"),
    "kms_key_uri": ("keys", "kms_key_uri"),
}

# Overrides that are paths: taken as given, not relative to the config's folder.
_PATHS = ("input", "output_dir", "keyset")

# A source override names the source in place of the file's own way of naming it: a
# subscription replaces the file's topic (and the other way round), a table its query.
_REPLACES = {"input_subscription": "topic", "input_topic": "subscription", "input_table": "query"}

# Source overrides apply to one kind of source (source.format). Where the file's source is of
# another kind the value is not written: ``veilwatch run`` refuses it naming the flag.
_FILE_FORMATS = tuple(f.value for f in FILE_FORMATS)
_APPLIES_TO = {
    "input": _FILE_FORMATS,
    "input_subscription": ("pubsub",),
    "input_topic": ("pubsub",),
    "input_table": ("bigquery",),
}
_KNOWN_FORMATS = tuple(f.value for f in SourceFormat)


class GivenPath(str):
    """A path from the command line: taken as given (a relative one is relative to the working
    directory), where a relative path in the file is relative to the file's folder."""


@dataclass(frozen=True)
class ConfigOverrides:
    """Run-time values for keys of the config (one config, many runs); None: not given."""

    input: str | None = None  # source.path (file sources)
    output_dir: str | None = None  # sinks.output_dir
    keyset: str | None = None  # keys.keyset
    kms_key_uri: str | None = None  # keys.kms_key_uri
    input_subscription: str | None = None  # source.pubsub.subscription (format pubsub)
    input_topic: str | None = None  # source.pubsub.topic (format pubsub)
    input_table: str | None = None  # source.bigquery.table (format bigquery)
    output_table: str | None = None  # sinks.bigquery.anonymized_table
    output_topic: str | None = None  # sinks.pubsub.anonymized_topic
    flagged_windows_table: str | None = None  # sinks.bigquery.flagged_windows_table
    alerts_topic: str | None = None  # sinks.pubsub.alerts_topic
    dead_letter_table: str | None = None  # sinks.bigquery.dead_letter_table

    def given(self) -> dict[str, Any]:
        """The overrides that were given, by name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


def write_overrides(document: Any, overrides: ConfigOverrides) -> Any:
    """``document`` with every given override written at its key path (the input is not changed).

    Mappings on the way are created where the file leaves them out (or null); where the file
    has something else there (``sinks: [..]``) the override is not written, so validation
    reports the file's mistake at its key path.
    """
    given = overrides.given()
    if not given or not isinstance(document, dict):
        return document
    result = dict(document)
    source = result.get("source")
    source_format = source.get("format") if isinstance(source, dict) else None
    for name, value in given.items():
        applies = _APPLIES_TO.get(name)
        if applies and source_format in _KNOWN_FORMATS and source_format not in applies:
            continue
        *parents, key = OVERRIDE_KEYS[name]
        mapping = _mapping_at(result, parents)
        if mapping is None:
            continue
        mapping[key] = GivenPath(value) if name in _PATHS and isinstance(value, str) else value
        replaced = _REPLACES.get(name)
        if replaced and _override_for(parents, replaced) not in given:
            mapping.pop(replaced, None)
    return result


def _override_for(parents: list[str], key: str) -> str | None:
    """The override name that writes ``parents.key``, if any."""
    for name, path in OVERRIDE_KEYS.items():
        if path == (*parents, key):
            return name
    return None


def _mapping_at(document: dict, parents: list[str]) -> dict | None:
    """The mapping at ``parents`` in ``document``, copied on the way so the caller's stays as it was."""
    mapping = document
    for key in parents:
        child = mapping.get(key)
        if child is None:
            child = {}
        elif isinstance(child, dict):
            child = dict(child)
        else:
            return None
        mapping[key] = child
        mapping = child
    return mapping
