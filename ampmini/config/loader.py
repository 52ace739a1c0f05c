"""Finding and reading the config file: text → Config, errors naming file, line and key."""

from __future__ import annotations

import configparser
import difflib
import os
import re
from pathlib import Path
from typing import Any, NoReturn

from .errors import ConfigError, EntryError
from .keys import KEYS
from .kinds import expand_path
from .model import SECTION_TYPES, Config
from .sections import FREE_SECTIONS

ENV_CONFIG = "AMPMINI_CONFIG"


def _parser() -> configparser.ConfigParser:
    return configparser.ConfigParser(
        interpolation=None,  # '%' may appear in paths and keys
        strict=True,  # duplicate sections/keys are errors, with their line number
        empty_lines_in_values=False,  # a blank line always ends a value (same for ConfigUpdater)
        default_section="\0none",  # no magic [DEFAULT]: it would be an unknown section
    )


_SECTION_LINE = re.compile(r"\[(?P<name>.+)\]")
_KEY_LINE = re.compile(r"(?P<key>.*?)\s*[=:]")


def _line_numbers(text: str) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """First line of each section and each (section, key), found the way configparser reads:
    comment lines skipped, indented lines continue a value, keys lower-cased."""
    sections: dict[str, int] = {}
    keys: dict[tuple[str, str], int] = {}
    section = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped[0] in "#;" or line[0].isspace():
            continue
        if match := _SECTION_LINE.match(stripped):
            section = match["name"]
            sections.setdefault(section, number)
        elif section is not None and (match := _KEY_LINE.match(stripped)):
            keys.setdefault((section, match["key"].strip().lower()), number)
    return sections, keys


def _suggest(word: str, options: Any) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def find_config_path(path: Path | None = None) -> Path | None:
    """The file to read: ``path``, else ``$AMPMINI_CONFIG``, else the XDG default if it exists."""
    if path is not None:
        return Path(path)
    if env := os.environ.get(ENV_CONFIG):
        return expand_path(env) if env.startswith(("~", "$")) else Path(env)
    config_home = os.environ.get("XDG_CONFIG_HOME") or "~/.config"
    default = Path(config_home).expanduser() / "ampmini" / "ampmini.conf"
    return default if default.is_file() else None


def load_config(path: Path | None = None) -> Config:
    """Read ``path`` (or the file :func:`find_config_path` picks, or defaults) → Config."""
    source = find_config_path(path)
    if source is None:
        return parse_config("")
    try:
        text = source.read_text(encoding="utf-8-sig")  # -sig: tolerate a BOM from Windows editors
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise ConfigError(f"{source}: cannot read: {reason}", path=source) from error
    return parse_config(text, source)


def parse_config(text: str, source: Path | None = None) -> Config:
    """Config file text → Config; ``source`` is only used in messages and ``Config.source``."""
    where = str(source) if source is not None else "<config>"
    section_lines, key_lines = _line_numbers(text)

    def fail(
        message: str, section: str, key: str | None = None, line: int | None = None
    ) -> NoReturn:
        if line is None:
            line = key_lines.get((section, key)) if key else section_lines.get(section)
        prefix = f"{where}:{line}:" if line is not None else f"{where}:"
        label = f"[{section}] {key}" if key else f"[{section}]"
        raise ConfigError(
            f"{prefix} {label}: {message}", path=source, line=line, section=section, key=key
        )

    parser = _parser()
    try:
        parser.read_string(text, source=where)
    except configparser.DuplicateOptionError as error:
        fail("duplicate key", error.section, error.option, error.lineno)
    except configparser.DuplicateSectionError as error:
        fail("duplicate section", error.section, line=error.lineno)
    except configparser.MissingSectionHeaderError as error:
        raise ConfigError(
            f"{where}:{error.lineno}: a [section] header must come first",
            path=source,
            line=error.lineno,
        ) from None
    except configparser.ParsingError as error:
        line = error.errors[0][0]
        content = text.splitlines()[line - 1].strip()
        raise ConfigError(
            f"{where}:{line}: cannot parse {content!r} (expected 'key = value')",
            path=source,
            line=line,
        ) from None

    for section in parser.sections():
        if section not in SECTION_TYPES and section not in FREE_SECTIONS:
            known = [*SECTION_TYPES, *FREE_SECTIONS]
            fail(f"unknown section{_suggest(section, known)}", section)

    values: dict[str, Any] = {}
    fields: dict[str, dict[str, Any]] = {name: {} for name in SECTION_TYPES}
    for section in SECTION_TYPES:
        if not parser.has_section(section):
            continue
        for key in parser.options(section):
            if (section, key) not in KEYS:
                names = [k for s, k in KEYS if s == section]
                fail(f"unknown key{_suggest(key, names)}", section, key)
    for (section, name), key in KEYS.items():
        raw = parser.get(section, name, fallback=key.default).strip()
        try:
            fields[section][name] = key.kind.parse(raw)
        except ValueError as error:
            fail(str(error), section, name)
    for section, cls in SECTION_TYPES.items():
        values[section] = cls(**fields[section])

    for name, free in FREE_SECTIONS.items():
        if not parser.has_section(name):
            values[name] = free.absent()
            continue
        items = []
        for entry in parser.options(name):
            try:
                items.append((entry, free.parse_entry(entry, parser.get(name, entry).strip())))
            except ValueError as error:
                fail(str(error), name, entry)
        try:
            values[name] = free.build(items)
        except EntryError as error:
            fail(str(error), name, error.name)
    return Config(**values, source=source)
