"""The exceptions the config loader and writer raise."""

from __future__ import annotations

from pathlib import Path


class ConfigError(Exception):
    """A config file that cannot be used; the message names the file, line and key."""

    def __init__(
        self,
        message: str,
        *,
        path: Path | None = None,
        line: int | None = None,
        section: str | None = None,
        key: str | None = None,
    ) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.section = section
        self.key = key


class EntryError(ValueError):
    """Raised by a free section's ``build`` to blame one entry (so the error gets its line)."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name
