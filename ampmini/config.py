"""Read the INI config file into frozen dataclasses; embedded defaults; errors name file and line.

Everything the file may contain is declared once, below: :data:`KEYS` (one :class:`Key` per
``(section, key)``) and :data:`FREE_SECTIONS` (sections whose key names are chosen by the user,
``[acl]`` and ``[apikeys]``). The loader, the example file (:data:`DEFAULT_CONFIG_TEXT`) and the
reference (``docs/config.md``, :func:`render_reference_markdown`) are all generated from them.

To add a key: add a ``Key(...)`` to the table and a field of the same name to the section's
dataclass. To add a section: a dataclass, an entry in :data:`SECTION_TYPES` and a ``Config`` field.

Also here: :class:`ConfigHolder` (live reload on file change or SIGHUP) and :func:`set_apikey`
(rewrites the file in place, keeping comments, atomically).
"""

from __future__ import annotations

import argparse
import configparser
import contextlib
import dataclasses
import difflib
import hmac
import ipaddress
import logging
import os
import re
import secrets
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, MappingProxyType
from typing import Any, NoReturn
from urllib.parse import urlsplit

from ampmini import acl as acl_rules
from ampmini.acl import Acl, AclRule

log = logging.getLogger(__name__)

ENV_CONFIG = "AMPMINI_CONFIG"
APIKEY_MIN_LENGTH = 16


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


# --------------------------------------------------------------------------------------------
# Value kinds: a name for the docs and a parser text → value that raises ValueError.


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


# --------------------------------------------------------------------------------------------
# The key table.


@dataclass(frozen=True, slots=True)
class Key:
    """One ``[section] name`` of the file: its kind, default (as written in the file), meaning."""

    section: str
    name: str
    kind: Kind
    default: str
    doc: str
    #: True when a new value only takes effect after a restart (logged on reload).
    restart: bool = False


def _table(*keys: Key) -> dict[tuple[str, str], Key]:
    return {(k.section, k.name): k for k in keys}


KEYS: dict[tuple[str, str], Key] = _table(
    Key("server", "host", HOST, "0.0.0.0",  # noqa: S104 (the ACL limits who)
        "Address to listen on; 0.0.0.0 so phones on the LAN can connect ([acl] limits who).",
        restart=True),
    Key("server", "port", integer(0, 65535), "4647", "TCP port to listen on.", restart=True),
    Key("server", "public_url", URL, "",
        "Base URL clients see (behind a reverse proxy), used in `url`/`art` fields; "
        "empty = derived from each request."),
    Key("server", "threads", integer(1, 64), "4", "waitress worker threads.", restart=True),
    Key("server", "trusted_proxy", IP, "",
        "Address of a reverse proxy whose X-Forwarded-* headers waitress may trust.",
        restart=True),
    Key("server", "log_level", choice("debug", "info", "warning", "error"), "info",
        "Log verbosity."),
    Key("server", "session_length", integer(1), "3600",
        "Seconds an API session lasts without use."),
    Key("server", "stream_length", integer(1), "7200",
        "Seconds a stream/download URL stays valid."),
    Key("database", "path", PATH, "$XDG_DATA_HOME/ampmini/ampmini.db",
        "SQLite database file ($XDG_DATA_HOME defaults to ~/.local/share).", restart=True),
    Key("library", "roots", PATHS, "~/Music",
        "Music folders: comma-separated, or one per line (indented continuation lines)."),
    Key("library", "rescan_interval", integer(0), "3600",
        "Seconds between full rescans; 0 = never."),
    Key("library", "watch", BOOL, "true", "Watch the folders and rescan changes as they happen.",
        restart=True),
    Key("transcode", "ffmpeg", COMMAND, "ffmpeg", "ffmpeg program: a name on $PATH or a path."),
    Key("transcode", "max_bitrate", integer(0), "0",
        "Cap on transcoded bit rate in bits per second (e.g. 192000); 0 = no cap."),
    Key("features", "ratings", BOOL, "true", "Ratings and favourites (Ampache `ratings`)."),
    Key("features", "sociable", BOOL, "true", "Play history and now playing (`sociable`)."),
    Key("features", "share", BOOL, "true", "Shares (`share`)."),
    Key("features", "live_stream", BOOL, "true", "Radio stations (`live_stream`)."),
    Key("features", "podcast", BOOL, "true", "Podcasts (`podcast`)."),
    Key("features", "allow_video", BOOL, "false", "Videos (`allow_video`)."),
    Key("features", "label", BOOL, "false", "Record labels (`label`)."),
    Key("features", "licensing", BOOL, "false", "Licences (`licensing`)."),
    Key("features", "share_expire", integer(0), "7",
        "Days a new share stays valid when share_create names none; 0 = never expires."),
    Key("features", "share_max_counter", integer(0), "0",
        "Visits a new share allows before it stops working; 0 = unlimited."),
    Key("features", "delete_from_disk", BOOL, "false",
        "Let content managers delete music files from disk (catalog_file/catalog_folder "
        "`remove`; Ampache `delete_from_disk`)."),
    Key("features", "download", BOOL, "true", "Downloads of original files (`download`)."),
    Key("features", "allow_public_registration", BOOL, "false",
        "Let anyone create an account with the API's `register` (new accounts stay disabled "
        "until an admin enables them)."),
    Key("localplay", "host", MPD_HOST, "",
        "MPD to drive with `localplay` (the Pi's own speakers): host name or IP, or the path of "
        "its unix socket (`/run/mpd/socket`); empty = no localplay controller."),
    Key("localplay", "port", integer(1, 65535), "6600", "MPD's TCP port (ignored for a socket)."),
    Key("localplay", "password", TEXT, "",
        "MPD's password, when its mpd.conf sets one; empty = none."),
    Key("localplay", "timeout", integer(1, 60), "3",
        "Seconds to wait for MPD before `localplay` answers 4710 (never a hung worker)."),
    Key("localplay", "volume_step", integer(1, 100), "5",
        "Volume change of `volume_up`/`volume_down`, in percent."),
    Key("localplay", "localplay_level", integer(0, 100), "100",
        "Lowest user level allowed to use `localplay` and `localplay_songs` (Ampache's "
        "`localplay_level`; 100 = admins only)."),
    Key("localplay", "music_directory", OPTIONAL_PATH, "",
        "The folder MPD's `music_directory` points at, as ampmini sees it (usually one of "
        "[library] roots). Songs below it are handed to MPD by relative path, no HTTP in "
        "between; others, and everything when empty, by an ampmini stream URL."),
    Key("democratic", "cooldown", integer(0), "30",
        "Minutes before a song played by democratic play may be played by it again."),
    Key("democratic", "base_playlist", integer(0), "0",
        "Playlist id democratic play picks random songs from when nobody has voted; "
        "0 = random songs of the whole library."),
    Key("podcast", "refresh_interval", integer(0), "86400",
        "Seconds between refreshes of every podcast feed; 0 = only on request."),
    Key("podcast", "keep_episodes", integer(0), "10",
        "Download the newest N episodes of each podcast into its catalog folder; older ones "
        "(and all, with 0) are streamed from the feed's own URL."),
    Key("podcast", "max_episode_size", integer(1), "536870912",
        "Largest episode file downloaded, in bytes; bigger ones are streamed remotely."),
    Key("podcast", "max_feed_size", integer(1), "10485760",
        "Largest feed document accepted, in bytes."),
    Key("podcast", "timeout", integer(1, 3600), "30",
        "Seconds to wait on a silent feed or episode server before giving up."),
)  # fmt: skip


# --------------------------------------------------------------------------------------------
# Section values.


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """``[server]``: the HTTP listener and API sessions."""

    host: str
    port: int
    public_url: str | None
    threads: int
    trusted_proxy: str | None
    log_level: str
    session_length: int
    stream_length: int


@dataclass(frozen=True, slots=True)
class DatabaseConfig:
    """``[database]``: where the SQLite file lives."""

    path: Path


@dataclass(frozen=True, slots=True)
class LibraryConfig:
    """``[library]``: the music folders and how they are kept up to date."""

    roots: tuple[Path, ...]
    rescan_interval: int
    watch: bool


@dataclass(frozen=True, slots=True)
class TranscodeConfig:
    """``[transcode]``: the ffmpeg pipe."""

    ffmpeg: str
    max_bitrate: int


@dataclass(frozen=True, slots=True)
class FeaturesConfig:
    """``[features]``: Ampache feature switches, reported to clients by name."""

    ratings: bool
    sociable: bool
    share: bool
    live_stream: bool
    podcast: bool
    allow_video: bool
    label: bool
    licensing: bool
    download: bool = True  # defaults: tests build FeaturesConfig without them
    allow_public_registration: bool = False
    delete_from_disk: bool = False  # last: it has a default
    share_expire: int = 7  # defaults: tests build FeaturesConfig without them
    share_max_counter: int = 0


@dataclass(frozen=True, slots=True, repr=False)
class LocalplayConfig:
    """``[localplay]``: the MPD that `localplay` drives. The repr never shows the password."""

    host: str = ""
    port: int = 6600
    password: str = ""
    timeout: int = 3
    volume_step: int = 5
    localplay_level: int = 100
    music_directory: Path | None = None

    def __repr__(self) -> str:
        return (
            f"LocalplayConfig(host={self.host!r}, port={self.port}, "
            f"password={'***' if self.password else ''!r}, timeout={self.timeout}, "
            f"volume_step={self.volume_step}, localplay_level={self.localplay_level}, "
            f"music_directory={self.music_directory!r})"
        )


@dataclass(frozen=True, slots=True)
class DemocraticConfig:
    """``[democratic]``: the shared voting queue."""

    cooldown: int = 30
    base_playlist: int = 0


@dataclass(frozen=True, slots=True)
class PodcastConfig:
    """``[podcast]``: feed refresh and episode downloads (ampmini/podcasts.py)."""

    refresh_interval: int = 86400
    keep_episodes: int = 10
    max_episode_size: int = 536870912
    max_feed_size: int = 10485760
    timeout: int = 30


@dataclass(frozen=True, slots=True, repr=False)
class ApiKeys(Mapping[str, str]):
    """``[apikeys]``: username (case-insensitive) → API key. The repr never shows the keys."""

    by_user: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        lowered = {user.lower(): key for user, key in dict(self.by_user).items()}
        object.__setattr__(self, "by_user", MappingProxyType(lowered))

    def __getitem__(self, username: str) -> str:
        return self.by_user[username.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self.by_user)

    def __len__(self) -> int:
        return len(self.by_user)

    def __contains__(self, username: object) -> bool:
        return isinstance(username, str) and username.lower() in self.by_user

    def __repr__(self) -> str:
        return f"ApiKeys(users={sorted(self.by_user)!r})"

    def user_for_key(self, key: str) -> str | None:
        """The user owning ``key`` (for a handshake without a user name), compared in constant
        time per entry so the answer time does not leak how much of a key was right."""
        found = None
        for user, candidate in self.by_user.items():
            if hmac.compare_digest(candidate.encode(), key.encode()):
                found = user
        return found


@dataclass(frozen=True, slots=True)
class StreamLimits:
    """`[stream_limits]`: bit-rate caps by client address range (e.g. phones on mobile data
    reaching home through a VPN range), applied to every stream from those addresses."""

    rules: tuple[tuple[str, Any, Any, int], ...] = ()  # (name, first, last, bits/s)

    def cap_for(self, ip: str) -> int | None:
        """The lowest cap of the ranges holding `ip`, or None when no range does."""
        address = acl_rules.parse_client(ip)
        if address is None:
            return None
        caps = [cap for _name, first, last, cap in self.rules
                if first.version == address.version and first <= address <= last]
        return min(caps) if caps else None


@dataclass(frozen=True, slots=True)
class Config:
    """The whole configuration; ``source`` is the file it came from (None = built-in defaults)."""

    server: ServerConfig
    database: DatabaseConfig
    library: LibraryConfig
    acl: Acl
    apikeys: ApiKeys
    transcode: TranscodeConfig
    features: FeaturesConfig
    source: Path | None = None
    stream_limits: StreamLimits = field(default_factory=StreamLimits)
    localplay: LocalplayConfig = field(default_factory=LocalplayConfig)
    democratic: DemocraticConfig = field(default_factory=DemocraticConfig)
    podcast: PodcastConfig = field(default_factory=PodcastConfig)


#: Fixed sections, in file order; each Key's section must be here with a field per key.
SECTION_TYPES: dict[str, type] = {
    "server": ServerConfig,
    "database": DatabaseConfig,
    "library": LibraryConfig,
    "transcode": TranscodeConfig,
    "features": FeaturesConfig,
    "localplay": LocalplayConfig,
    "democratic": DemocraticConfig,
    "podcast": PodcastConfig,
}


# --------------------------------------------------------------------------------------------
# Free-form sections: the user picks the key names.


@dataclass(frozen=True, slots=True)
class FreeSection:
    """A section of user-named entries: how one entry parses and how entries combine."""

    name: str
    syntax: str
    doc: str
    #: (entry name, value text) → item; ValueError on a bad value (messages must not echo secrets).
    parse_entry: Callable[[str, str], Any]
    #: items in file order → the section's value; EntryError blames one entry.
    build: Callable[[list[tuple[str, Any]]], Any]
    #: the section's value when the file does not have the section.
    absent: Callable[[], Any]
    #: lines for the example file, written commented out.
    example: tuple[str, ...] = ()
    #: True: show the ``[name]`` header uncommented in the example (an empty section is harmless).
    header_in_example: bool = False


def _build_acl(items: list[tuple[str, AclRule]]) -> Acl:
    if not items:
        log.warning("[acl] has no rules: every request will be refused")
    return Acl(rule for _, rule in items)


def _parse_apikey(_user: str, text: str) -> str:
    # Messages never include the value: it is a secret and errors end up in logs.
    if not text:
        raise ValueError("the key is empty")
    if any(c.isspace() for c in text):
        raise ValueError("the key contains white space")
    if len(text) < APIKEY_MIN_LENGTH:
        raise ValueError(
            f"the key is shorter than {APIKEY_MIN_LENGTH} characters "
            "(`ampmini adduser --apikey` generates one)"
        )
    return text


def _build_apikeys(items: list[tuple[str, str]]) -> ApiKeys:
    owner: dict[str, str] = {}
    for user, key in items:
        if key in owner:
            # A handshake may send only the key, so each key must name exactly one user.
            raise EntryError(user, f"has the same key as [apikeys] {owner[key]}")
        owner[key] = user
    return ApiKeys(dict(items))


def _parse_stream_limit(_name: str, text: str) -> tuple[Any, Any, int]:
    parts = text.split()
    if len(parts) != 2:
        raise ValueError(f"expected RANGE BITRATE, got {text!r}")
    first, last = acl_rules.parse_range(parts[0])
    if not parts[1].isdigit() or int(parts[1]) < 8000:
        raise ValueError(f"bit rate {parts[1]!r} is not a number of bits per second >= 8000")
    return first, last, int(parts[1])


def _build_stream_limits(items: list[tuple[str, tuple[Any, Any, int]]]) -> StreamLimits:
    return StreamLimits(tuple((name, *value) for name, value in items))


FREE_SECTIONS: dict[str, FreeSection] = {
    "acl": FreeSection(
        name="acl",
        syntax="NAME = RANGE ACCESS LEVEL",
        doc=(
            "Which client addresses may use ampmini. NAME is any label. RANGE is a CIDR "
            "(`192.168.0.0/16`), a `start-end` pair (`10.0.0.10-10.0.0.50`) or one address, IPv4 "
            "or IPv6. ACCESS is `rpc` (the API), `stream` (/play, downloads, art) or `all`. "
            "LEVEL (0-100; Ampache uses 0, 5, 25, 50, 75, 100) is the highest user level the "
            "rule lets through: a request needing level L for access T is allowed when some rule "
            "matching the client covers T with a level ≥ L. IPv4-mapped IPv6 clients "
            "(`::ffff:192.168.1.5`) match IPv4 rules. An `[acl]` section in the file replaces "
            "the defaults below entirely; an empty one refuses everyone."
        ),
        parse_entry=lambda name, text: acl_rules.parse_rule(text, name),
        build=_build_acl,
        absent=acl_rules.default_acl,
        example=tuple(f"{n} = {t}" for n, t in acl_rules.DEFAULT_RULES_TEXT.items()),
    ),
    "apikeys": FreeSection(
        name="apikeys",
        syntax="USERNAME = KEY",
        doc=(
            "API keys for `handshake` with `auth=KEY`. Usernames are case-insensitive; each key "
            f"must be unique, at least {APIKEY_MIN_LENGTH} characters, no spaces. Written by "
            "`ampmini adduser --apikey` and the API's `reset_apikey` (the file is rewritten "
            "keeping its comments). Keys are secrets: keep the file mode 0600."
        ),
        parse_entry=_parse_apikey,
        build=_build_apikeys,
        absent=ApiKeys,
        example=("alice = 0123456789abcdef0123456789abcdef",),
        header_in_example=True,
    ),
    "stream_limits": FreeSection(
        name="stream_limits",
        syntax="NAME = RANGE BITRATE",
        doc=(
            "Cap the bit rate of every stream to clients in RANGE (CIDR, `start-end` or one "
            "address, as in `[acl]`) at BITRATE bits per second: such streams are transcoded "
            "down (e.g. phones reaching home over a mobile-data VPN). The lowest matching cap "
            "wins; `[transcode] max_bitrate` and a user's own limit still apply."
        ),
        parse_entry=_parse_stream_limit,
        build=_build_stream_limits,
        absent=StreamLimits,
        example=("mobile_vpn = 10.8.0.0/24 128000",),
    ),
}


# --------------------------------------------------------------------------------------------
# Loading.


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


# --------------------------------------------------------------------------------------------
# Live reload.

_Stamp = tuple[int, int, int] | None


def _stamp(path: Path | None) -> _Stamp:
    """What changes when the file is edited or replaced; None when it is missing."""
    if path is None:
        return None
    try:
        st = path.stat()
    except OSError:
        return None
    # The inode catches os.replace() within one mtime tick (set_apikey does exactly that).
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def restart_changes(old: Config, new: Config) -> list[str]:
    """Human-readable ``[section] key`` changes that only a restart applies."""
    changes = []
    for (section, name), key in KEYS.items():
        if not key.restart:
            continue
        before = getattr(getattr(old, section), name)
        after = getattr(getattr(new, section), name)
        if before != after:
            changes.append(f"[{section}] {name}: {before} → {after}")
    return changes


class ConfigHolder:
    """The current Config, swapped for a fresh one on :meth:`reload` (file edit or SIGHUP).

    A file that fails to load is logged and the previous Config stays in use, so a typo in a
    running server's config never takes it down.
    """

    def __init__(self, path: Path | None = None) -> None:
        self._requested = path
        self._lock = threading.Lock()  # one reload at a time
        # SIGHUP bumps _wanted; a reload records the _wanted it started from once it is done,
        # so a reader arriving mid-reload waits for it and a SIGHUP during a reload is not lost.
        self._wanted = 0
        self._done = 0
        source = find_config_path(path)
        self._stamp = _stamp(source)
        self._config = load_config(path)

    @property
    def current(self) -> Config:
        """The Config in use (first applying a SIGHUP reload that is still pending)."""
        if self._done != self._wanted:
            self._reload_pending()
        return self._config

    def changed(self) -> bool:
        """True when the file was edited, replaced or removed since the last (re)load attempt.
        One stat() call: cheap enough for every request or a 2-second timer."""
        return _stamp(find_config_path(self._requested)) != self._stamp

    def reload(self) -> bool:
        """Re-read the file; True when a new Config is in use, False (logged) when it is broken."""
        with self._lock:
            return self._reload_locked()

    def _reload_locked(self) -> bool:
        wanted = self._wanted
        source = find_config_path(self._requested)
        # Stamp before reading: an edit made while we read shows up as a change next time.
        self._stamp = _stamp(source)
        old = self._config
        try:
            new = load_config(self._requested)
        except ConfigError as error:
            log.error("config not reloaded, still using the previous one: %s", error)
            return False
        finally:
            self._done = wanted
        self._config = new
        log.info("config reloaded from %s", new.source or "built-in defaults")
        for change in restart_changes(old, new):
            log.warning("%s — takes effect after a restart", change)
        return True

    def reload_if_changed(self) -> bool:
        """:meth:`reload` when the file changed or a SIGHUP is pending; for a periodic timer."""
        if self._done != self._wanted or self.changed():
            return self.reload()
        return False

    def install_sighup(self) -> None:
        """Make SIGHUP (``systemctl reload``) reload the config. Main thread only."""
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("signal handlers can only be installed from the main thread")
        signal.signal(signal.SIGHUP, self._on_sighup)

    def _on_sighup(self, _signum: int, _frame: FrameType | None) -> None:
        # The handler runs in the main thread between two bytecodes, possibly while that thread
        # holds self._lock: only bump the counter and let another thread take the lock and
        # reload, so `systemctl reload` is applied and logged at once, not at the next request.
        self._wanted += 1
        threading.Thread(target=self._reload_pending, name="config-reload", daemon=True).start()

    def _reload_pending(self) -> None:
        with self._lock:
            if self._done != self._wanted:  # else another thread already did it
                self._reload_locked()


# --------------------------------------------------------------------------------------------
# Writing API keys.

_WRITE_LOCK = threading.Lock()  # reset_apikey from two API threads must not lose an update
_USERNAME = re.compile(r"^[^\s=:\[\]#;][^\s=:]*$")


def generate_apikey() -> str:
    """A new random API key: 32 hex digits."""
    return secrets.token_hex(16)


def _with_apikey(text: str, username: str, key: str | None) -> str:
    """``text`` with ``[apikeys] username`` set to ``key`` (None: removed), all else kept."""
    # Imported here: configupdater (with importlib.metadata) is 5 MB of idle RSS on a Pi,
    # for a write that happens when an admin changes a key.
    from configupdater import ConfigUpdater

    updater = ConfigUpdater(strict=True, empty_lines_in_values=False)
    if key is not None and not re.search(r"(?m)^\[apikeys\]", text):
        if text and not text.endswith("\n"):
            text += "\n"
        text += ("\n" if text.strip() else "") + "[apikeys]\n"
    updater.read_string(text)
    if not updater.has_section("apikeys"):
        return text  # removing from a file without keys: nothing to do
    section = updater["apikeys"]
    if section.has_option(username):  # case-insensitive, like the loader
        if key is None:
            del section[username]
        else:
            section[username].value = key
    elif key is not None:
        options = section.option_blocks()
        if options:
            # After the last key, not after trailing comments that introduce the next section.
            options[-1].add_after.option(username, key)
        else:
            section.set(username, key)
    return str(updater)


def set_apikey(path: Path, username: str, key: str | None) -> None:
    """Set (``key=None``: remove) the API key of ``username`` in the config file at ``path``.

    The file is rewritten with configupdater, so comments, blank lines and key order stay as
    they were; it is replaced atomically (temp file in the same directory with the same mode
    and owner, fsync, rename), and the result is checked with the loader first, so a running
    server never sees a half-written or invalid file. Missing file: created with mode 0600.
    """
    if not _USERNAME.match(username):
        raise ConfigError(f"{username!r} cannot be used as a user name in [apikeys]")
    if key is not None:
        try:
            _parse_apikey(username, key)
        except ValueError as error:
            raise ConfigError(f"[apikeys] {username}: {error}") from None
    path = Path(path)
    target = Path(os.path.realpath(path))  # write through a symlink instead of replacing it
    with _WRITE_LOCK:
        try:
            text = target.read_text(encoding="utf-8") if target.exists() else ""
            st = target.stat() if target.exists() else None
        except OSError as error:
            raise ConfigError(f"{path}: cannot read: {error.strerror}", path=path) from error
        if st is not None and not os.access(target, os.W_OK):
            raise ConfigError(f"{path}: cannot write: the file is not writable", path=path)
        # A BOM (Windows editors) would hide the first [section] from the parser; keep it aside.
        bom = "\ufeff" if text.startswith("\ufeff") else ""
        text = text.removeprefix(bom)
        try:
            new_text = _with_apikey(text, username, key)
        except configparser.Error as error:
            raise ConfigError(f"{path}: cannot update: {error}", path=path) from None
        if new_text == text:
            return
        parse_config(new_text, path)  # raises ConfigError naming the problem; nothing written
        mode = stat.S_IMODE(st.st_mode) if st is not None else 0o600
        owner = (st.st_uid, st.st_gid) if st is not None else None
        _write_atomically(target, bom + new_text, mode, owner)


def _write_atomically(path: Path, text: str, mode: int, owner: tuple[int, int] | None) -> None:
    try:
        fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as error:
        raise ConfigError(
            f"{path}: cannot write in {path.parent}: {error.strerror}", path=path
        ) from error
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            os.fchmod(file.fileno(), mode)
            if owner is not None and owner != (os.geteuid(), os.getegid()):
                # Only root may give a file away (e.g. `sudo ampmini adduser` on the service's
                # file); for others the mode alone keeps the secret.
                with contextlib.suppress(PermissionError):
                    os.fchown(file.fileno(), *owner)
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except OSError as error:
        temp.unlink(missing_ok=True)
        raise ConfigError(f"{path}: cannot write: {error.strerror}", path=path) from error
    # The rename itself must reach the disk too (a Pi loses power at awkward moments).
    with contextlib.suppress(OSError):
        directory = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


# --------------------------------------------------------------------------------------------
# Generated text: the example file and the reference.


def _wrap_comment(text: str, width: int = 98) -> list[str]:
    lines, line = [], "#"
    for word in text.split():
        if len(line) + 1 + len(word) > width and line != "#":
            lines.append(line)
            line = "#"
        line += " " + word
    lines.append(line)
    return lines


def render_example_config() -> str:
    """A config file with every key commented out at its default value."""
    out = [
        "# ampmini configuration. Every key is shown commented out with its default value;",
        "# uncomment and edit what you need. Reference: docs/config.md",
        "# Changes apply on save or `systemctl reload ampmini` (SIGHUP), except keys marked",
        "# (restart), which need a restart.",
    ]
    for section in SECTION_TYPES:
        out += ["", f"[{section}]"]
        for key in (k for (s, _), k in KEYS.items() if s == section):
            doc = key.doc + (" (restart)" if key.restart else "")
            out += _wrap_comment(doc)
            out.append(f"#{key.name} = {key.default}".rstrip())
    for free in FREE_SECTIONS.values():
        out += ["", *_wrap_comment(f"{free.syntax}. {free.doc}")]
        out.append(f"[{free.name}]" if free.header_in_example else f"#[{free.name}]")
        out += [f"#{line}" for line in free.example]
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_reference_markdown() -> str:
    """The config reference (``docs/config.md``): every key, plus the free-form sections."""
    out = [
        "# ampmini configuration reference",
        "",
        "<!-- Generated from the key table in ampmini/config.py by "
        "`python -m ampmini.config --markdown > docs/config.md`; do not edit by hand. -->",
        "",
        "ampmini reads one INI file: the `--config PATH` option, else `$AMPMINI_CONFIG`, else "
        "`$XDG_CONFIG_HOME/ampmini/ampmini.conf` (`~/.config/ampmini/ampmini.conf`) if it "
        "exists; with no file every key has its default. `python -m ampmini.config --example` "
        "prints a file with every key commented out at its default.",
        "",
        "Values are written `key = value`; a value may continue on indented lines. Paths expand "
        "`~` and `$VARIABLES` and must be absolute. Booleans are true/false, yes/no, on/off, "
        "1/0. An unknown section or key, a duplicate or a bad value stops the program with "
        "`FILE:LINE: [section] key: problem`.",
        "",
        "Saving the file (or `systemctl reload ampmini`, i.e. SIGHUP) applies it to the running "
        "server; if the new file has an error it is logged and the previous settings stay. "
        "Keys marked *restart* only take effect after a restart.",
        "",
        "## Keys",
        "",
        "| Section | Key | Type | Default | Applied | Meaning |",
        "|---|---|---|---|---|---|",
    ]
    for section in SECTION_TYPES:
        for key in (k for (s, _), k in KEYS.items() if s == section):
            default = f"`{key.default}`" if key.default else "(empty)"
            applied = "restart" if key.restart else "live"
            out.append(
                f"| `[{section}]` | `{key.name}` | {_cell(key.kind.name)} | {_cell(default)} | "
                f"{applied} | {_cell(key.doc)} |"
            )
    for free in FREE_SECTIONS.values():
        out += ["", f"## [{free.name}]", "", f"`{free.syntax}`", "", free.doc, ""]
        if free.name == "acl":
            out += [
                "Default rules (used only when the file has no `[acl]` section):",
                "",
                "```ini",
                "[acl]",
                *free.example,
                "```",
            ]
        else:
            out += ["```ini", f"[{free.name}]", *free.example, "```"]
    return "\n".join(out) + "\n"


DEFAULT_CONFIG_TEXT: str = render_example_config()


def _self_check() -> None:
    """Every Key belongs to a known section whose dataclass has a field of that name."""
    for section, name in KEYS:
        cls = SECTION_TYPES.get(section)
        if cls is None or name not in {f.name for f in dataclasses.fields(cls)}:
            raise AssertionError(f"KEYS has [{section}] {name} but no matching dataclass field")


_self_check()


def main(argv: list[str] | None = None) -> int:
    """``python -m ampmini.config``: print the reference or example, or check a file."""
    parser = argparse.ArgumentParser(prog="python -m ampmini.config", description=__doc__)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--markdown", action="store_true", help="print docs/config.md")
    group.add_argument("--example", action="store_true", help="print an example config file")
    group.add_argument("--check", type=Path, metavar="FILE", help="load FILE, report errors")
    args = parser.parse_args(argv)
    if args.markdown:
        sys.stdout.write(render_reference_markdown())
    elif args.example:
        sys.stdout.write(DEFAULT_CONFIG_TEXT)
    else:
        try:
            config = load_config(args.check)
        except ConfigError as error:
            print(error, file=sys.stderr)
            return 1
        print(f"{config.source}: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
