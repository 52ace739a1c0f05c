"""Lyrics, raw tags and metadata upkeep: get_lyrics, song_tags, get_external_metadata,
update_from_tags, update_art, update_artist_info (spec §6.14, §8.17).

Everything is answered from local data: ampmini calls no metadata provider, so plugin
sections stay empty rather than invented.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ...library import tags
from ...library.scanner import scan
from .. import library
from ..errors import BadRequest, MissingParameter, NotFound
from ..objects.media import SONG_TAG, SONG_TAG_KEYS
from ..registry import Context, Level, action
from ..shapes import EmptyResult, KeyValues, Single, Success
from .browse import require_row

LYRICS_SUFFIXES = (".lrc", ".txt")
_MAX_LYRICS_FILE = 256 * 1024  # a lyrics file is text; anything bigger is not lyrics
# update_from_tags / update_art / get_external_metadata: type → table.
_TYPES = {"song": "song", "album": "album", "artist": "artist"}


def _typed_target(ctx: Context, allowed: dict[str, str], *id_params: str) -> tuple[str, int]:
    kind = (ctx.params.get("type") or "").strip().lower()
    if not kind:
        raise MissingParameter("type")
    table = allowed.get(kind)
    if table is None:
        raise BadRequest(kind, "type")
    raw = ctx.params.required(*id_params)
    if not raw.strip().isdigit():
        raise NotFound(raw, id_params[0])
    object_id = int(raw)
    # table comes from the whitelist above.
    found = ctx.conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (object_id,)).fetchone()  # noqa: S608
    if found is None:
        raise NotFound(object_id, id_params[0])
    return kind, object_id


def lyrics_file(song_path: str) -> str | None:
    """Lyrics from `song.lrc` / `song.txt` beside the file (synced .lrc kept as text)."""
    stem = os.path.splitext(song_path)[0]
    for suffix in LYRICS_SUFFIXES:
        candidate = stem + suffix
        try:
            if os.path.getsize(candidate) > _MAX_LYRICS_FILE:
                continue
            with open(candidate, "rb") as handle:
                text = handle.read().decode("utf-8", errors="replace").strip()
        except OSError:
            continue
        if text:
            return text
    return None


@action("get_lyrics", api6_only=True)
def get_lyrics(ctx: Context) -> KeyValues:
    song_id = require_row(ctx, "song")
    row = ctx.conn.execute("SELECT path, lyrics FROM song WHERE id = ?", (song_id,)).fetchone()
    text = row["lyrics"] or lyrics_file(row["path"])
    plugin: Any = {"database": {"text": text}} if text else []
    return KeyValues({"object_id": song_id, "object_type": "song", "plugin": plugin})


def _song_tag(song_id: int, path: str, catalog_id: int) -> dict[str, Any]:
    stat = os.stat(path)
    track = tags.read_tags(path, stat)
    raw = tags.TinyTag.get(path)
    values: dict[str, Any] = dict.fromkeys(SONG_TAG_KEYS)
    values.update(
        {
            "id": song_id,
            "albumartist": track.albumartist or "",
            "album": track.album or "",
            "artist": track.artist or "",
            "artists": list(track.artists[1:]) or None,
            "art": "",
            "audio_codec": track.format,
            "barcode": "",
            "bitrate": track.bitrate,
            "catalog_number": "",
            "channels": track.channels,
            "comment": track.comment or "",
            "composer": track.composer or "",
            "description": "",
            "disk": track.disc,
            "disksubtitle": track.disksubtitle or "",
            "display_x": 0,
            "display_y": 0,
            "encoding": "UTF-8",
            "file": path,
            "frame_rate": 0,
            "genre": list(track.genres),
            "language": track.language or "",
            "lyrics": track.lyrics,
            "mb_albumartistid": track.albumartist_mbid or "",
            "mb_albumid_group": track.release_group_mbid or "",
            "mb_albumid": track.album_mbid or "",
            "mb_artistid": track.artist_mbid or "",
            "mb_trackid": track.mbid or "",
            "mime": track.mime,
            "mode": track.mode,
            "original_name": "",
            "original_year": "",
            "publisher": track.publisher or "",
            "r128_album_gain": track.r128_album_gain,
            "r128_track_gain": track.r128_track_gain,
            "rate": track.samplerate,
            "release_status": "",
            "release_type": track.release_type or "",
            "replaygain_album_gain": track.replaygain_album_gain,
            "replaygain_album_peak": track.replaygain_album_peak,
            "replaygain_track_gain": track.replaygain_track_gain,
            "replaygain_track_peak": track.replaygain_track_peak,
            "size": stat.st_size,
            "version": "",
            "time": track.duration,
            "title": track.title,
            "totaldisks": int(raw.disc_total or 0),
            "totaltracks": int(raw.track_total or 0),
            "track": track.track,
            "year": track.year,
        }
    )
    return values


@action("song_tags", api6_only=True)
def song_tags(ctx: Context) -> Single:
    song_id = require_row(ctx, "song")
    row = ctx.conn.execute(
        "SELECT path, catalog_id FROM song WHERE id = ?", (song_id,)
    ).fetchone()
    try:
        item = _song_tag(song_id, row["path"], row["catalog_id"])
    except (OSError, tags.TagError, tags.TinyTagException):
        raise NotFound(song_id, "filter") from None  # the file is gone or unreadable now
    return Single(SONG_TAG, item)


@action("get_external_metadata", api6_only=True)
def get_external_metadata(ctx: Context) -> EmptyResult:
    _typed_target(ctx, {**_TYPES, "label": "label"}, "filter")
    return EmptyResult()  # no metadata provider configured: nothing to report


def _folders(ctx: Context, kind: str, object_id: int) -> list[Path]:
    where = {
        "song": "id = ?",
        "album": "album_id = ?",
        "artist": "id IN (SELECT song_id FROM song_artist WHERE artist_id = ?)"
                  " OR album_id IN (SELECT id FROM album WHERE album_artist_id = ?)",
    }[kind]
    args = (object_id, object_id) if kind == "artist" else (object_id,)
    rows = ctx.conn.execute(f"SELECT DISTINCT folder FROM song WHERE {where}", args)  # noqa: S608
    return [Path(r[0]) for r in rows]


def rescan(ctx: Context, kind: str, object_id: int) -> None:
    """Re-read every file of the object through the scanner (tags, art, album grouping)."""
    folders = _folders(ctx, kind, object_id)
    if folders:
        scan(ctx.db, ctx.config.library.roots, full=True, folders=folders)


@action("update_from_tags")
def update_from_tags(ctx: Context) -> Success:
    kind, object_id = _typed_target(ctx, _TYPES, "id", "filter")
    rescan(ctx, kind, object_id)
    return Success(f"Updated tags for: {object_id} ({kind})")


@action("update_art", level=Level.CATALOG_MANAGER)
def update_art(ctx: Context) -> Success:
    kind, object_id = _typed_target(ctx, {"album": "album", "artist": "artist"}, "id", "filter")
    rescan(ctx, kind, object_id)
    if kind == "album":
        sql = ("SELECT 1 FROM album WHERE id = ?"
               " AND (art_path IS NOT NULL OR art_song_id IS NOT NULL)")
    else:
        sql = ("SELECT 1 FROM album WHERE album_artist_id = ?"
               " AND (art_path IS NOT NULL OR art_song_id IS NOT NULL)")
    if ctx.db.reader().execute(sql, (object_id,)).fetchone() is None:
        raise BadRequest(f"no art found for {object_id} ({kind})", "id")
    art = library.url_builder(ctx).art(kind, object_id)
    return Success(f"Gathered new art for: {object_id} ({kind})", {"art": art})


@action("update_artist_info", level=Level.CATALOG_MANAGER)
def update_artist_info(ctx: Context) -> Success:
    artist_id = require_row(ctx, "artist", "id", "filter")
    # Artist facts come from the library's own tags; there is no provider to ask.
    return Success(f"Updated artist info: {artist_id}")
