"""Configuration errors that name the key path and what is wrong with it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConfigIssue:
    """One problem in a dataset config: where (a key path) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '<root>'}: {self.message}"


class ConfigError(ValueError):
    """A dataset config is invalid. Carries every issue found, not just the first.

    Messages name key paths and expected shapes; they never quote a value
    that could be personal data (only key names, type names and allowed
    choices are echoed back).
    """

    def __init__(self, issues: list[ConfigIssue] | ConfigIssue):
        self.issues = [issues] if isinstance(issues, ConfigIssue) else list(issues)
        super().__init__("\n".join(str(i) for i in self.issues))
