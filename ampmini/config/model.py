"""The typed values a loaded config is made of: one frozen dataclass per section, and Config.

To add a section: a dataclass, an entry in :data:`SECTION_TYPES` and a ``Config`` field.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ampmini import acl as acl_rules
from ampmini.acl import Acl


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
