"""localplay and localplay_songs: steer MPD, the Pi's own speakers, from any client (spec §6.15).

The controller (`ampmini/localplay.py`) talks to MPD; this module maps the API onto it: ids to
what MPD plays (a path below MPD's music directory, else an ampmini stream URL with the
caller's stream token), and MPD's queue back to ampmini's objects, so `status` and
`localplay_songs` name songs as ampmini knows them. Answers follow Ampache's
`{"localplay":{"command":{"<command>": result}}}`; a command MPD refuses (e.g. `next` while
stopped) answers `false` there, as Ampache does, and an unreachable MPD answers 4710 `account`.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ... import localplay as mpd_control
from ..errors import ApiError, BadRequest, FeatureDisabled, Forbidden, MissingParameter, NotFound
from ..library import UrlBuilder, id_json
from ..listing import is_visible
from ..objects.control import LOCALPLAY_SONG
from ..registry import Context, action
from ..shapes import KeyValues, ObjectList

log = logging.getLogger("ampmini.api.localplay")


class ControllerError(ApiError):
    """4710 `account`: no controller, or MPD unreachable — with the reason (spec §6.15)."""

    code = 4710

    def __init__(self, reason: str) -> None:
        super().__init__(f"Unable to connect to localplay controller: {reason}", "account")


def _controller(ctx: Context) -> mpd_control.MpdController:
    """Level check, then the configured controller (Ampache's order: access, then connect)."""
    level = ctx.config.localplay.localplay_level
    if ctx.access < level:
        raise Forbidden(level)
    try:
        return mpd_control.controller_for(ctx.config.localplay)
    except mpd_control.LocalplayError as error:
        raise ControllerError(str(error)) from None


def _attempt(work: Callable[[], Any]) -> Any:
    """Run one MPD call: unreachable → 4710; refused → False (Ampache's failed command)."""
    try:
        result = work()
    except mpd_control.LocalplayError as error:
        raise ControllerError(str(error)) from None
    except mpd_control.MpdRefusedError as error:
        log.info("MPD refused the command: %s", error)
        return False
    return True if result is None else result


# ---------------------------------------------------------------------- add: ids → MPD URIs


def _relative(ctx: Context, path: str | None) -> str | None:
    """`path` relative to MPD's music directory, when the config maps it and covers it."""
    root = ctx.config.localplay.music_directory
    if root is None or not path:
        return None
    try:
        return PurePosixPath(Path(path).relative_to(root)).as_posix()
    except ValueError:
        return None


def _fetch(conn: sqlite3.Connection, sql: str, oid: int) -> sqlite3.Row | None:
    """One row, or None — also when the feature's table does not exist in this database."""
    try:
        return conn.execute(sql, (oid,)).fetchone()
    except sqlite3.OperationalError as error:
        if "no such table" in str(error):
            return None
        raise


def _ext(path: str | None, fallback: str) -> str:
    suffix = Path(path or "").suffix.lstrip(".")
    return suffix or fallback


def _song_uris(ctx: Context, urls: UrlBuilder, oid: int) -> list[str]:
    row = _fetch(
        ctx.conn,
        "SELECT s.path, s.title, s.format, ar.name AS artist FROM song s"
        " JOIN artist ar ON ar.id = s.artist_id WHERE s.id = ? AND s.enabled = 1",
        oid,
    )
    if row is None or not is_visible(ctx.conn, "song", oid):  # issue 9: restricted users
        raise NotFound(oid, "oid")
    url = urls.play("song", oid, row["artist"], row["title"], row["format"]) + "&client=mpd"
    relative = _relative(ctx, row["path"])
    return [relative, url] if relative else [url]


def _episode_uris(ctx: Context, urls: UrlBuilder, oid: int) -> list[str]:
    if not ctx.config.features.podcast:
        raise FeatureDisabled("podcast")
    row = _fetch(
        ctx.conn,
        "SELECT e.title, e.path, e.state, p.title AS podcast FROM podcast_episode e"
        " JOIN podcast p ON p.id = e.podcast_id WHERE e.id = ?",
        oid,
    )
    if row is None:
        raise NotFound(oid, "oid")
    url = urls.play("podcast_episode", oid, row["podcast"], row["title"],
                    _ext(row["path"], "mp3")) + "&client=mpd"
    relative = _relative(ctx, row["path"]) if row["state"] == "completed" else None
    return [relative, url] if relative else [url]


def _video_uris(ctx: Context, urls: UrlBuilder, oid: int) -> list[str]:
    if not ctx.config.features.allow_video:
        raise FeatureDisabled("video")
    row = _fetch(ctx.conn, "SELECT title, path, format FROM video WHERE id = ?", oid)
    if row is None:
        raise NotFound(oid, "oid")
    url = urls.play("video", oid, "", row["title"], row["format"]) + "&client=mpd"
    relative = _relative(ctx, row["path"])
    return [relative, url] if relative else [url]


def _live_stream_uris(ctx: Context, urls: UrlBuilder, oid: int) -> list[str]:
    if not ctx.config.features.live_stream:
        raise FeatureDisabled("live_stream")
    row = _fetch(ctx.conn, "SELECT url FROM live_stream WHERE id = ?", oid)
    if row is None:
        raise NotFound(oid, "oid")
    return [row["url"]]  # MPD plays the station itself, as Ampache hands it the station URL


def _democratic_uris(ctx: Context, urls: UrlBuilder, oid: int) -> list[str]:
    from .democratic import DEMOCRATIC_ID, play_url

    if oid != DEMOCRATIC_ID:
        raise NotFound(oid, "oid")
    return [play_url(ctx)]


ADD_TYPES: dict[str, Callable[[Context, UrlBuilder, int], list[str]]] = {
    "song": _song_uris,
    "podcast_episode": _episode_uris,
    "video": _video_uris,
    "live_stream": _live_stream_uris,
    "democratic": _democratic_uris,
}


def _add(ctx: Context, controller: mpd_control.MpdController) -> bool:
    kind = (ctx.params.get("type") or "song").strip().lower()
    make = ADD_TYPES.get(kind)
    if make is None:
        raise BadRequest(ctx.params.get("type"), "type")
    if kind == "democratic":
        oid = ctx.params.int("oid", "filter", default=1)
    else:
        oid = ctx.params.object_id("oid", "filter")
    uris = make(ctx, UrlBuilder(ctx), oid)
    clear = ctx.params.flag("clear")
    return _attempt(lambda: controller.add([uris], clear=clear))


def _skip(ctx: Context, controller: mpd_control.MpdController) -> bool:
    raw = ctx.params.get("track")
    if raw is None or raw.strip() == "":
        raise MissingParameter("track")
    track = ctx.params.int("track")
    try:
        # localplay_songs numbers tracks from 1; MPD's queue from 0 (as Ampache converts).
        return _attempt(lambda: controller.skip(track - 1))
    except IndexError:
        raise NotFound(raw, "track") from None


# ---------------------------------------------------------------------- MPD queue → ampmini


@dataclass(frozen=True, slots=True)
class Known:
    """A queue entry as ampmini knows it."""

    oid: int | None
    title: str
    artist: str
    album: str


def _ampmini_url(uri: str) -> dict[str, str] | None:
    """The query of one of ampmini's play URLs (`/play/index.php?…`), else None."""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.path.endswith("/play/index.php"):
        return None
    return {k: v[0] for k, v in parse_qs(parts.query).items()}


_SONGS_BY_ID = """
SELECT s.id, s.path, s.title, ar.name AS artist, al.name AS album FROM json_each(?) j
JOIN song s ON s.id = j.value JOIN artist ar ON ar.id = s.artist_id
JOIN album al ON al.id = s.album_id
"""
_SONGS_BY_PATH = """
SELECT s.id, s.path, s.title, ar.name AS artist, al.name AS album FROM json_each(?) j
JOIN song s ON s.path = j.value JOIN artist ar ON ar.id = s.artist_id
JOIN album al ON al.id = s.album_id
"""


def identify(ctx: Context, uris: Iterable[str]) -> dict[str, Known]:
    """What ampmini knows about each MPD queue URI; two queries for the whole queue."""
    by_id: dict[str, int] = {}
    by_path: dict[str, str] = {}
    found: dict[str, Known] = {}
    root = ctx.config.localplay.music_directory
    for uri in uris:
        query = _ampmini_url(uri)
        if query is not None:
            if "demo_id" in query:
                found[uri] = Known(None, "Democratic - ampmini", "", "")
            elif (query.get("type") or "song") == "song" and query.get("oid", "").isdigit():
                by_id[uri] = int(query["oid"])
        elif root is not None and "://" not in uri:
            by_path[uri] = str(root / uri)
    songs: dict[Any, Known] = {}
    if by_id:
        for row in ctx.conn.execute(_SONGS_BY_ID, (id_json(list(by_id.values())),)):
            songs[row["id"]] = Known(row["id"], row["title"], row["artist"], row["album"])
    if by_path:
        for row in ctx.conn.execute(_SONGS_BY_PATH, (id_json(list(by_path.values())),)):
            songs[row["path"]] = Known(row["id"], row["title"], row["artist"], row["album"])
    for uri, song_id in by_id.items():
        # An id ampmini no longer has: Ampache says "Unknown" for it.
        found[uri] = songs.get(song_id) or Known(song_id, "Unknown", "Unknown", "Unknown")
    for uri, path in by_path.items():
        if path in songs:
            found[uri] = songs[path]
    return found


def _from_mpd_tags(entry: dict[str, Any]) -> Known:
    """An entry ampmini does not know: MPD's own tags (a radio's `Name`, else the URI)."""

    def tag(name: str) -> str:
        value = entry.get(name) or ""
        return value[0] if isinstance(value, list) else value

    return Known(None, tag("Title") or tag("Name") or tag("file"), tag("Artist"), tag("Album"))


def _status(ctx: Context, controller: mpd_control.MpdController) -> dict[str, Any]:
    try:
        status, current = controller.status()
    except mpd_control.LocalplayError as error:
        raise ControllerError(str(error)) from None
    except mpd_control.MpdRefusedError as error:
        raise ControllerError(f"MPD refused status: {error}") from None
    title = artist = album = ""
    track = 0
    if current.get("file"):
        track = int(status.get("song", current.get("pos", 0))) + 1
        known = identify(ctx, [current["file"]]).get(current["file"]) or _from_mpd_tags(current)
        title, artist, album = known.title, known.artist, known.album
    return {
        "state": status.get("state", "stop"),
        "volume": str(max(0, int(status.get("volume", 0)))),
        "repeat": _switch(ctx, status.get("repeat", "0")),
        "random": _switch(ctx, status.get("random", "0")),
        "track": track,
        "track_title": title,
        "track_artist": artist,
        "track_album": album,
    }


def _switch(ctx: Context, value: str) -> bool | str:
    # Ampache casts repeat/random to booleans for API6 JSON only; XML and API5 keep MPD's
    # "0"/"1" (both captured examples show it), which the renderer would blank for False.
    if ctx.fmt == "json" and ctx.api >= 6:
        return value == "1"
    return value


# ---------------------------------------------------------------------- actions

SIMPLE = {
    "next": "next",
    "prev": "previous",
    "stop": "stop",
    "play": "play",
    "delete_all": "clear",
}


def _run(ctx: Context, command: str, controller: mpd_control.MpdController) -> Any:
    if command in SIMPLE:
        return _attempt(lambda: controller.simple(SIMPLE[command]))
    step = ctx.config.localplay.volume_step
    handlers: dict[str, Callable[[], Any]] = {
        "pause": lambda: _attempt(controller.pause),
        "volume_up": lambda: _attempt(lambda: controller.change_volume(step)) is not False,
        "volume_down": lambda: _attempt(lambda: controller.change_volume(-step)) is not False,
        "volume_mute": lambda: _attempt(controller.mute) is not False,
        "add": lambda: _add(ctx, controller),
        "skip": lambda: _skip(ctx, controller),
        "status": lambda: _status(ctx, controller),
    }
    return handlers[command]()


COMMANDS = frozenset({*SIMPLE, "pause", "volume_up", "volume_down", "volume_mute", "add",
                      "skip", "status"})


@action("localplay")
def localplay(ctx: Context) -> KeyValues:
    command = ctx.params.required("command").strip().lower()
    controller = _controller(ctx)
    if command not in COMMANDS:
        raise BadRequest(ctx.params.get("command"), "command")
    result = _run(ctx, command, controller)
    return KeyValues({"localplay": {"command": {command: result}}})


@action("localplay_songs")
def localplay_songs(ctx: Context) -> ObjectList:
    controller = _controller(ctx)
    try:
        queue = controller.queue()
    except mpd_control.LocalplayError as error:
        raise ControllerError(str(error)) from None
    except mpd_control.MpdRefusedError as error:
        raise ControllerError(f"MPD refused playlistinfo: {error}") from None
    known = identify(ctx, [entry.get("file", "") for entry in queue])
    items = []
    for entry in queue:
        uri = entry.get("file", "")
        song = known.get(uri) or _from_mpd_tags(entry)
        position = int(entry.get("pos", len(items)))
        items.append(
            {
                "id": position,
                "raw": uri,
                "oid": song.oid,
                # Ampache's "Title - Album - Artist"
                "name": " - ".join(p for p in (song.title, song.album, song.artist) if p),
                "link": "",
                "track": position + 1,
            }
        )
    return ObjectList(LOCALPLAY_SONG, items, len(items), "", json_key="localplay_songs",
                      envelope=False)
