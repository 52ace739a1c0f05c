"""Value kinds: how a value is written in the file, as a docs name and a text → value parser.

Parsers raise ValueError with a message that names the problem; the loader adds file and line.
"""

from __future__ import annotations

import configparser
import contextlib
import ipaddress
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class Kind:
    """How one value is written in the file: ``name`` for the docs, ``parse`` for the loader."""

    name: str
    parse: Callable[[str], Any]


def integer(minimum: int, maximum: int | None = None) -> Kind:
    """A decimal integer in ``[minimum, maximum]``."""

    def parse(text: str) -> int:
        try:
            value = int(text, 10)
        except ValueError:
            raise ValueError(f"{text!r} is not an integer") from None
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
            raise ValueError(f"{value} is not {bounds}")
        return value

    name = f"int {minimum}-{maximum}" if maximum is not None else f"int ≥ {minimum}"
    return Kind(name, parse)


def _parse_bool(text: str) -> bool:
    # configparser's own spellings, so `getboolean` habits carry over.
    value = configparser.ConfigParser.BOOLEAN_STATES.get(text.lower())
    if value is None:
        raise ValueError(f"{text!r} is not a boolean (true/false, yes/no, on/off, 1/0)")
    return value


def choice(*options: str) -> Kind:
    """One of ``options``, case-insensitive; the value is lower-cased."""

    def parse(text: str) -> str:
        if text.lower() not in options:
            raise ValueError(f"{text!r} is not one of {', '.join(options)}")
        return text.lower()

    return Kind(" | ".join(options), parse)


# XDG says an unset (or empty) variable means the fallback; systemd services often have none set.
_XDG_FALLBACKS = {
    "XDG_DATA_HOME": "~/.local/share",
    "XDG_CONFIG_HOME": "~/.config",
    "XDG_STATE_HOME": "~/.local/state",
    "XDG_CACHE_HOME": "~/.cache",
}
_ENV_VAR = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


def expand_path(text: str) -> Path:
    """``$VAR``/``${VAR}`` (XDG ones with their fallbacks) then ``~``; must end up absolute."""

    def variable(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        value = os.environ.get(name) or _XDG_FALLBACKS.get(name)
        if value is None:
            raise ValueError(f"{text!r}: environment variable ${name} is not set")
        return value

    try:
        path = Path(_ENV_VAR.sub(variable, text.strip())).expanduser()
    except RuntimeError:  # "~someone" for an unknown user
        raise ValueError(f"{text!r}: cannot expand '~'") from None
    if not path.is_absolute():
        # A relative path would depend on the working directory, which differs under systemd.
        raise ValueError(f"{text!r} is not an absolute path")
    return path


def _parse_paths(text: str) -> tuple[Path, ...]:
    # One per line when the value spans lines (so a folder name may contain a comma);
    # a one-line value is comma-separated.
    items = text.splitlines() if "\n" in text.strip() else text.split(",")
    paths: list[Path] = []
    for item in (i.strip() for i in items):
        if item and (path := expand_path(item)) not in paths:
            paths.append(path)
    if not paths:
        raise ValueError("at least one folder is needed")
    return tuple(paths)


def _parse_command(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValueError("the command is empty")
    if "/" in text or text.startswith("~"):
        return str(expand_path(text))
    return text  # a bare name is looked up on $PATH when it is run


_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)


def _is_host(text: str) -> bool:
    with contextlib.suppress(ValueError):
        ipaddress.ip_address(text)
        return True
    return bool(_HOSTNAME.match(text))


def _parse_host(text: str) -> str:
    if not _is_host(text):
        raise ValueError(f"{text!r} is not an IP address or host name")
    return text


def _parse_optional_url(text: str) -> str | None:
    """``http(s)://host[:port][/path]`` without a trailing slash, or None when empty."""
    if not text:
        return None
    bad = ValueError(f"{text!r} is not an http(s)://host[:port][/path] URL")
    if any(c.isspace() for c in text):
        raise bad
    parts = urlsplit(text)
    try:
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        raise bad from None
    host = parts.hostname or ""
    if (
        parts.scheme not in ("http", "https")
        or not port_ok
        or not _is_host(host)
        or parts.username is not None
        or parts.query
        or parts.fragment
        or "?" in text
        or "#" in text
    ):
        raise bad
    return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")


def _parse_optional_ip(text: str) -> str | None:
    if not text:
        return None
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        # waitress also takes '*', but trusting everyone's X-Forwarded-For defeats the ACL.
        raise ValueError(f"{text!r} is not an IP address") from None


TEXT = Kind("text", str)
BOOL = Kind("bool", _parse_bool)
PATH = Kind("path", expand_path)
PATHS = Kind("paths", _parse_paths)
COMMAND = Kind("command or path", _parse_command)
HOST = Kind("host", _parse_host)
URL = Kind("URL (optional)", _parse_optional_url)
IP = Kind("IP address (optional)", _parse_optional_ip)


def _parse_mpd_host(text: str) -> str:
    """MPD's address: empty (no controller), a host name or IP, an absolute unix socket path,
    or `@name` (a Linux abstract socket), the spellings MPD_HOST accepts too."""
    if not text:
        return ""
    if text.startswith("@") and len(text) > 1:
        return text
    if text.startswith(("/", "~", "$")):
        return str(expand_path(text))
    return _parse_host(text)


def _parse_optional_path(text: str) -> Path | None:
    return expand_path(text) if text else None


MPD_HOST = Kind("host, socket path or empty", _parse_mpd_host)
OPTIONAL_PATH = Kind("path (optional)", _parse_optional_path)
