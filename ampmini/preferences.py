"""Typed preferences: what each one is, who may change it, and its value for a user (spec §8.19).

A preference is *offered* (listed by the API, editable) only once the code that honours it has
called :func:`offer` — so a client never sees a setting ampmini ignores. Ampache's metadata for
the preferences ampmini knows (names, ids, levels, categories) is in :data:`CATALOG`; custom
preferences made with ``preference_create`` live in the ``preference`` table (ids ≥ 1000).

Values resolve user value → server default (``preference_edit default=1``) → built-in default.
Server switches (``[features]`` in the config file) are preferences too, read-only over the API:
their value is the config's, and the file is where they are changed.

Readers call :func:`get` (typed: bool / int / str)::

    from ampmini import preferences
    preferences.offer("popular_threshold")          # at import time, next to the reader
    limit = preferences.get(conn, user_id, "popular_threshold")
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import Config
    from .db import Database

TYPES = ("boolean", "integer", "string", "special")
CATEGORIES = ("interface", "internal", "options", "playlist", "plugins", "streaming", "system")
SERVER_DEFAULT = 0  # preference_value.user_id of the server-wide default
CUSTOM_MIN_ID = 1000
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,127}$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class PreferenceError(ValueError):
    """A refused preference change; `param` is the request parameter to blame (errorType)."""

    def __init__(self, message: str, param: str = "system") -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True, slots=True)
class Pref:
    """One preference as Ampache describes it."""

    id: int
    name: str
    level: int
    type: str
    category: str
    subcategory: str | None
    default: str
    description: str
    values: Mapping[str, str] = field(default_factory=dict)  # `special`: allowed value → label
    system: bool = False  # server-wide only (no per-user value); admins edit it
    feature: str | None = None  # a [features] config switch: read-only, value from the config
    custom: bool = False  # made by preference_create (deletable)


def _switch(pid: int, name: str, description: str) -> Pref:
    return Pref(pid, name, 100, "boolean", "system", "feature", "0", description,
                system=True, feature=name)


# Ampache's own ids where it has the preference, so clients that cache ids are not confused.
CATALOG: dict[str, Pref] = {p.name: p for p in (
    Pref(168, "api_force_version", 25, "special", "options", "api", "0",
         "Force a specific API response no matter what version you send",
         {"0": "Off", "5": "API5", "6": "API6"}),
    Pref(90, "allow_personal_info_now", 25, "boolean", "interface", "privacy", "1",
         "Share Now Playing information"),
    Pref(91, "allow_personal_info_recent", 25, "boolean", "interface", "privacy", "1",
         "Share Recently Played information"),
    Pref(92, "allow_personal_info_time", 25, "boolean", "interface", "privacy", "1",
         "Share Recently Played information - Allow access to streaming date/time"),
    Pref(93, "allow_personal_info_agent", 25, "boolean", "interface", "privacy", "1",
         "Share Recently Played information - Allow access to streaming agent"),
    Pref(4, "popular_threshold", 25, "integer", "interface", "query", "10",
         "Popular Threshold"),
    Pref(47, "stats_threshold", 75, "integer", "interface", "query", "7",
         "Statistics Day Threshold"),
    Pref(55, "transcode", 25, "special", "streaming", "transcoding", "default",
         "Allow Transcoding",
         {"never": "Never", "default": "Default", "always": "Always"}),
    Pref(19, "transcode_bitrate", 25, "integer", "streaming", "transcoding", "128",
         "Transcode Bitrate (kbit/s)"),
    Pref(56, "transcode_to", 25, "special", "streaming", "transcoding", "mp3",
         "Transcode format", {"mp3": "MP3", "opus": "Opus", "ogg": "Ogg Vorbis", "aac": "AAC"}),
    Pref(44, "allow_stream_playback", 100, "boolean", "options", "feature", "1",
         "Allow Streaming"),
    # [features] share_expire in the config file (read by share_create)
    Pref(103, "share_expire", 100, "integer", "system", "share", "7",
         "Share links default expiration days (0=never)", system=True,
         feature="share_expire"),
    _switch(1, "download", "Allow Downloads"),
    _switch(102, "share", "Allow Share"),
    _switch(121, "allow_video", "Allow Video Features"),
    _switch(901, "ratings", "Allow Ratings and favourites"),
    _switch(902, "sociable", "Allow Social features (follows, timeline, shouts)"),
    _switch(903, "podcast", "Allow Podcasts"),
    _switch(904, "live_stream", "Allow Radio Stations"),
    _switch(905, "label", "Allow Labels"),
    _switch(906, "licensing", "Allow Licenses"),
    _switch(907, "allow_public_registration", "Allow public user registration"),
    _switch(908, "delete_from_disk", "Allow deleting songs from disk (song_delete)"),
)}  # fmt: skip

_OFFERED: dict[str, Pref] = {}


def offer(name: str) -> Pref:
    """Start offering catalog preference `name`: call it from the module that honours it."""
    pref = CATALOG[name]
    _OFFERED[name] = pref
    return pref


def _offer_switches() -> None:
    """Config-backed preferences the config has: the switches are honoured by the
    dispatcher's feature gate, the other [features] values by the actions that read them."""
    from .config import FeaturesConfig

    known = set(FeaturesConfig.__dataclass_fields__)
    for pref in CATALOG.values():
        if pref.feature in known:
            offer(pref.name)


_offer_switches()


# ---------------------------------------------------------------------------------- values


def normalise(pref: Pref, raw: str) -> str:
    """`raw` as stored for `pref`'s type; PreferenceError(param='value') when invalid."""
    text = raw.strip()
    if pref.type == "boolean":
        low = text.lower()
        if low in _TRUE:
            return "1"
        if low in _FALSE:
            return "0"
        raise PreferenceError(raw, "value")
    if pref.type == "integer":
        if not re.fullmatch(r"-?\d{1,12}", text):
            raise PreferenceError(raw, "value")
        return str(int(text))
    if pref.type == "special" and pref.values:
        if text not in pref.values:
            raise PreferenceError(raw, "value")
        return text
    if len(raw) > 255:
        raise PreferenceError(raw[:32] + "…", "value")
    return raw


def typed(pref: Pref, value: str) -> bool | int | str:
    if pref.type == "boolean":
        return value == "1"
    if pref.type == "integer":
        try:
            return int(value)
        except ValueError:
            return int(pref.default or 0)
    return value


def _custom(conn: sqlite3.Connection, name: str | None = None) -> list[Pref]:
    sql = "SELECT * FROM preference"
    rows = conn.execute(sql + " WHERE name = ? COLLATE NOCASE" if name else sql,
                        (name,) if name else ()).fetchall()
    return [
        Pref(r["id"], r["name"], r["level"], r["type"], r["category"], r["subcategory"],
             r["value"], r["description"], system=r["category"] == "system", custom=True)
        for r in rows
    ]


def all_prefs(conn: sqlite3.Connection) -> list[Pref]:
    """Every offered preference, built-in and custom, by id."""
    return sorted([*_OFFERED.values(), *_custom(conn)], key=lambda p: p.id)


def find(conn: sqlite3.Connection, name: str) -> Pref | None:
    """An offered preference by name (case-insensitive), or None."""
    key = name.strip().lower()
    if key in _OFFERED:
        return _OFFERED[key]
    found = _custom(conn, key)
    return found[0] if found else None


def _stored(conn: sqlite3.Connection, user_id: int) -> dict[tuple[str, int], str]:
    rows = conn.execute(
        "SELECT name, user_id, value FROM preference_value WHERE user_id IN (?, ?)",
        (SERVER_DEFAULT, user_id),
    )
    return {(r[0], r[1]): r[2] for r in rows}


def _resolve(pref: Pref, stored: Mapping[tuple[str, int], str], user_id: int,
             config: Config | None) -> str:
    if pref.feature is not None:
        if config is None:
            raise ValueError(f"{pref.name} is a config switch: pass the config")
        value = getattr(config.features, pref.feature)
        if isinstance(value, bool):
            return "1" if value else "0"
        return str(value)
    if not pref.system and (pref.name, user_id) in stored:
        return stored[pref.name, user_id]
    return stored.get((pref.name, SERVER_DEFAULT), pref.default)


def values_for(
    conn: sqlite3.Connection, user_id: int, prefs: Iterable[Pref], config: Config | None = None
) -> list[tuple[Pref, str]]:
    """(pref, raw value) for `user_id` (SERVER_DEFAULT: the server values), one query."""
    stored = _stored(conn, user_id)
    return [(p, _resolve(p, stored, user_id, config)) for p in prefs]


def get(
    conn: sqlite3.Connection, user_id: int, name: str, config: Config | None = None
) -> bool | int | str:
    """The typed value of catalog or custom preference `name` for `user_id`.

    Reading works whether or not the preference is offered (its reader may load before the
    module that offers it); an unknown name is a programming error (KeyError).
    """
    return get_many(conn, user_id, (name,), config)[name]


def get_many(
    conn: sqlite3.Connection, user_id: int, names: Iterable[str], config: Config | None = None
) -> dict[str, bool | int | str]:
    """`get` for several preferences with one read of the user's stored values."""
    prefs = []
    for name in names:
        pref = CATALOG.get(name) or find(conn, name)
        if pref is None:
            raise KeyError(name)
        prefs.append(pref)
    return {pref.name: typed(pref, raw) for pref, raw in values_for(conn, user_id, prefs, config)}


# ---------------------------------------------------------------------------------- changes


def set_value(db: Database, pref: Pref, raw: str, *, user_ids: Iterable[int]) -> str:
    """Store `raw` (validated) for each of `user_ids` (SERVER_DEFAULT = the server default)."""
    if pref.feature is not None:
        raise PreferenceError(f"{pref.name} is set in the config file ([features])", "filter")
    value = normalise(pref, raw)
    with db.writer() as conn:
        conn.executemany(
            "INSERT INTO preference_value (name, user_id, value) VALUES (?, ?, ?)"
            " ON CONFLICT (name, user_id) DO UPDATE SET value = excluded.value",
            [(pref.name, uid, value) for uid in user_ids],
        )
    return value


def create(
    db: Database,
    name: str,
    type_: str,
    default: str,
    category: str,
    *,
    description: str = "",
    subcategory: str | None = None,
    level: int = 100,
) -> Pref:
    """A custom preference; PreferenceError names the parameter at fault."""
    key = name.strip()
    if not _NAME.match(key) or key in CATALOG:
        raise PreferenceError(name, "filter")
    if type_ not in TYPES:
        raise PreferenceError(type_, "type")
    if category not in CATEGORIES:
        raise PreferenceError(category, "category")
    if not 0 <= level <= 100:
        raise PreferenceError(str(level), "level")
    probe = Pref(0, key, level, type_, category, subcategory, default, description)
    value = normalise(probe, default)
    with db.writer() as conn:
        if _custom(conn, key):
            raise PreferenceError(name, "filter")
        cur = conn.execute(
            "INSERT INTO preference (id, name, level, description, value, type, category,"
            " subcategory) VALUES ((SELECT MAX(?, COALESCE(MAX(id) + 1, 0)) FROM preference),"
            " ?, ?, ?, ?, ?, ?, ?)",
            (CUSTOM_MIN_ID, key, level, description, value, type_, category, subcategory),
        )
        new_id = int(cur.lastrowid or 0)
    return replace(probe, id=new_id, default=value, system=category == "system", custom=True)


def delete(db: Database, pref: Pref) -> None:
    """Remove a custom preference and every value stored for it; built-ins are protected."""
    if not pref.custom:
        raise PreferenceError(pref.name, "filter")
    with db.writer() as conn:
        conn.execute("DELETE FROM preference_value WHERE name = ?", (pref.name,))
        conn.execute("DELETE FROM preference WHERE id = ?", (pref.id,))


def item(pref: Pref, value: str, access: int | None = None) -> dict[str, Any]:
    """The API object (spec §8.19); `access` given → `has_access` (and `values` for special)."""
    out: dict[str, Any] = {
        "id": pref.id,
        "name": pref.name,
        "level": pref.level,
        "description": pref.description,
        "value": value,
        "type": pref.type,
        "category": pref.category,
        "subcategory": pref.subcategory,
    }
    if access is not None:
        out["has_access"] = access >= pref.level and pref.feature is None
    return out
