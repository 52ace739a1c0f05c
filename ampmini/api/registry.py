"""The action table: `@action` registers one function per Ampache action, with its rules."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .params import Params
from .shapes import Document

if TYPE_CHECKING:
    from ..config import Config
    from ..db import Database


class Level:
    """Ampache access levels (spec §4.2)."""

    GUEST = 5
    USER = 25
    CONTENT_MANAGER = 50
    CATALOG_MANAGER = 75
    ADMIN = 100


@dataclass(slots=True)
class Context:
    """Everything one action call may use; built by dispatch, never from globals."""

    db: Database
    conn: sqlite3.Connection  # this thread's read-only connection
    config: Config
    params: Params
    action: str
    fmt: str  # "xml" | "json"
    api: int  # 5 or 6: the document shape answered
    base_url: str  # scheme://host[:port][/prefix] for url/art fields
    ip: str
    user: sqlite3.Row | None = None
    session: str | None = None  # API session token, when the caller has one
    numeric_version: bool = False  # the client sent a numeric build (echo 691014)
    headers: dict[str, str] = field(default_factory=dict)
    services: dict[str, Any] = field(default_factory=dict)  # scanner, watcher… (set by app)
    cache: dict[str, Any] = field(default_factory=dict)  # per-request memo (URL builder …)
    http: Any = None  # the web request, for binary actions that answer with file bytes
    server: Any = None  # the dispatch Server (config holder, services) for binary actions
    # The catalogs this user may see (issue 9), None = all; dispatch also puts them in
    # listing.catalog_scope, which the list, search and loader code reads.
    allowed_catalogs: tuple[int, ...] | None = None

    @property
    def user_id(self) -> int:
        assert self.user is not None
        return int(self.user["id"])

    @property
    def access(self) -> int:
        return int(self.user["access"]) if self.user is not None else 0

    @property
    def is_admin(self) -> bool:
        return self.access >= Level.ADMIN


ActionFunc = Callable[[Context], Document]


@dataclass(frozen=True, slots=True)
class Action:
    name: str
    func: ActionFunc
    level: int = Level.GUEST
    public: bool = False  # no session needed (handshake, ping, register, lost_password)
    feature: str | None = None  # config feature switch that must be on (else 4703)
    api6_only: bool = False  # absent from API5 (spec §11): 4705 in an API5 session


ACTIONS: dict[str, Action] = {}

# Removed in API5/6: they answer 4706 (spec §6.16, Decision 4).
DEPRECATED = frozenset({"tag", "tags", "tag_songs", "tag_albums", "tag_artists"})


# API6's REST spellings (spec §6.16): aliases only an API6 session knows (4705 in API5, §11).
REST_SPELLINGS = frozenset({
    "bookmarks_create", "bookmarks_delete", "bookmarks_edit", "catalogs_create",
    "catalogs_delete", "live_streams_create", "live_streams_delete", "live_streams_edit",
    "playlist_add_edit", "playlist_add_song_edit", "playlist_remove_song_edit",
    "playlists_create", "playlists_delete", "playlists_edit", "podcast_episodes_delete",
    "podcasts_create", "podcasts_delete", "podcasts_edit", "preferences_create",
    "preferences_delete", "preferences_edit", "shares_create", "shares_delete", "shares_edit",
    "smartlists_delete", "songs_delete", "update", "users_create", "users_delete", "users_edit",
})


def action(
    name: str,
    *,
    level: int = Level.GUEST,
    public: bool = False,
    feature: str | None = None,
    api6_only: bool = False,
    aliases: tuple[str, ...] = (),
) -> Callable[[ActionFunc], ActionFunc]:
    """Register `func` as the handler of action `name` (and its alias spellings)."""

    def register(func: ActionFunc) -> ActionFunc:
        for alias in (name, *aliases):
            if alias in ACTIONS:
                raise RuntimeError(f"action {alias!r} registered twice")
            only6 = api6_only or alias in REST_SPELLINGS
            ACTIONS[alias] = Action(alias, func, level, public, feature, only6)
        return func

    return register
