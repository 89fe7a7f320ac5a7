"""The parameters of the Beam YAML transforms: the dataset config (a file or inline) and the rest.

Every problem raises :class:`~veilwatch.transforms.config.errors.ConfigError` naming the
parameter or the config key and what is wrong, never the value: Beam YAML
reports it as ``Invalid transform specification at "NAME" at line N: ...``
while the pipeline is built, before anything is read or written. Keys of an
inline config are named from the transform's parameters (``config.windowing.size``).
"""

from __future__ import annotations

from typing import Any

from veilwatch.transforms.config.errors import ConfigError, ConfigIssue
from veilwatch.transforms.config.model import DatasetConfig
from veilwatch.transforms.config_loading.loader import ConfigOverrides, load_config, parse_config

# The YAML pipeline reads and writes: the config's source path and output directory play no
# part, so they need not be set (these stand in for them; nothing is read from or written there).
_NOT_USED = "(read and written by the Beam YAML pipeline)"


def dataset_config(
    config_path: Any, config: Any, keyset: str | None = None, kms_key_uri: str | None = None
) -> DatasetConfig:
    """The dataset config from exactly one of ``config_path`` (a file, local or any Beam
    FileSystems URI; its relative paths are relative to it) and ``config`` (inline; relative
    paths are relative to the working directory; ``source`` may be left out). Neither needs
    ``source.path`` nor ``sinks.output_dir``."""
    overrides = ConfigOverrides(input=_NOT_USED, output_dir=_NOT_USED, keyset=keyset, kms_key_uri=kms_key_uri)
    if (config_path is None) == (config is None):
        raise ConfigError(
            ConfigIssue(
                "config_path",
                "set exactly one of config_path (a dataset config file) or config (the dataset config inline)",
            )
        )
    if config_path is not None:
        if not isinstance(config_path, str) or not config_path.strip():
            raise ConfigError(ConfigIssue("config_path", "must be the path of a dataset config file"))
        return load_config(config_path, overrides)
    if not isinstance(config, dict):
        raise ConfigError(ConfigIssue("config", "must be a mapping (a dataset config inline)"))
    try:
        return parse_config({"source": {"format": "jsonl"}, **config}, overrides=overrides)
    except ConfigError as exc:
        raise ConfigError(
            [ConfigIssue(f"config.{i.path}" if i.path else "config", i.message) for i in exc.issues]
        ) from None


def check_flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(ConfigIssue(name, "must be true or false"))
    return value


def check_text(name: str, value: Any) -> str | None:
    """An optional non-empty text parameter (a field name, a path)."""
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ConfigError(ConfigIssue(name, "must be a non-empty string"))
    return value


def check_positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(ConfigIssue(name, "must be a whole number of at least 1"))
    return value


def dead_letter_output(error_handling: Any, default: str) -> str:
    """The name of the dead-letter output: Beam YAML's ``error_handling: {output: NAME}``, else ``default``."""
    if error_handling is None:
        return default
    if not isinstance(error_handling, dict) or set(error_handling) != {"output"}:
        raise ConfigError(
            ConfigIssue(
                "error_handling", "must be a mapping with one key, output (the dead-letter output's name)"
            )
        )
    name = error_handling["output"]
    if not isinstance(name, str) or not name.isidentifier():
        raise ConfigError(ConfigIssue("error_handling.output", "must be a name (letters, digits, _)"))
    return name
