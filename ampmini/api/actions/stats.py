"""stats and get_similar: newest, highest, frequent, recent, forgotten, flagged, random."""

from __future__ import annotations

import time

from ... import preferences
from ...accounts import find_user
from .. import library
from ..errors import BadRequest, NotFound
from ..listing import is_visible, paginate
from ..objects import ALBUM, ARTIST, SONG
from ..registry import Context, action
from ..shapes import ObjectList
from .browse import object_list

# `stats_threshold` (days counted as recent) and `popular_threshold` (default `limit`,
# spec §3.5) are per-user preferences, as in Ampache.
preferences.offer("stats_threshold")
preferences.offer("popular_threshold")

# type → (table alias expression, id column, added column, enabled filter)
_TABLES = {
    "song": ("song", "id", "added", "enabled = 1"),
    "album": ("album", "id", "added", "1"),
    "artist": ("artist", "id", "added", "1"),
}


def _ids(ctx: Context, kind: str, how: str, user_id: int) -> list[int]:
    table, id_col, added, enabled = _TABLES[kind]
    conn = ctx.conn
    # table/column names come from the _TABLES whitelist; values are bound.
    if how == "newest":
        sql = f"SELECT {id_col} FROM {table} WHERE {enabled} ORDER BY {added} DESC, id DESC"  # noqa: S608
        return [r[0] for r in conn.execute(sql)]
    if how == "random":
        sql = f"SELECT {id_col} FROM {table} WHERE {enabled} ORDER BY RANDOM()"  # noqa: S608
        return [r[0] for r in conn.execute(sql)]
    if how == "highest":
        rows = conn.execute(
            "SELECT object_id FROM rating WHERE object_type = ? AND user_id = ?"
            " ORDER BY rating DESC, object_id",
            (kind, user_id),
        )
        return [r[0] for r in rows]
    if how == "flagged":
        rows = conn.execute(
            "SELECT object_id FROM flag WHERE object_type = ? AND user_id = ? ORDER BY date DESC",
            (kind, user_id),
        )
        return [r[0] for r in rows]
    if kind == "song":
        song_expr = "object_id"
    elif kind == "album":
        song_expr = "(SELECT album_id FROM song WHERE id = object_id)"
    else:
        song_expr = "(SELECT artist_id FROM song WHERE id = object_id)"
    days = int(preferences.get(conn, user_id, "stats_threshold", ctx.config))
    since = int(time.time()) - days * 86400
    if how == "frequent":
        rows = conn.execute(
            f"SELECT {song_expr} AS oid, COUNT(*) AS n FROM play WHERE object_type = 'song'"  # noqa: S608
            " AND kind = 'play' AND date >= ? GROUP BY oid ORDER BY n DESC, MAX(date) DESC",
            (since,),
        )
        return [r[0] for r in rows if r[0] is not None]
    if how in ("recent", "forgotten"):
        order = "DESC" if how == "recent" else "ASC"
        having = "" if how == "recent" else " HAVING MAX(date) < ?"
        args: tuple = (user_id,) if how == "recent" else (user_id, since)
        rows = conn.execute(
            f"SELECT {song_expr} AS oid, MAX(date) AS last FROM play"  # noqa: S608
            " WHERE object_type = 'song' AND kind = 'play' AND user_id = ?"
            f" GROUP BY oid{having} ORDER BY last {order}",
            args,
        )
        return [r[0] for r in rows if r[0] is not None]
    raise BadRequest(how, "filter")


@action("stats")
def stats(ctx: Context) -> ObjectList:
    kind = ctx.params.required("type").strip().lower()
    if kind not in _TABLES:
        raise BadRequest(kind, "type")
    how = (ctx.params.get("filter") or "random").strip().lower()
    if how not in ("newest", "highest", "frequent", "recent", "forgotten", "flagged", "random"):
        raise BadRequest(how, "filter")
    user_id = ctx.user_id
    other = ctx.params.get("user_id", "username")
    if other:
        found = find_user(ctx.conn, other)
        if found is None:
            raise NotFound(other, "username")
        user_id = found["id"]
    popular = int(preferences.get(ctx.conn, ctx.user_id, "popular_threshold", ctx.config))
    # A catalog-restricted user's totals count only what they may see (issue 9).
    ids = library.visible_ids(ctx.conn, kind, _ids(ctx, kind, how, user_id))
    page = paginate(list(ids), ctx.params.paging(popular))
    if kind == "song":
        return object_list(SONG, library.song_page(ctx, page.page_ids), page)
    if kind == "album":
        return object_list(ALBUM, library.load_albums(ctx, page.page_ids), page)
    return object_list(ARTIST, library.load_artists(ctx, page.page_ids), page)


@action("get_similar")
def get_similar(ctx: Context) -> ObjectList:
    """Without Last.fm, 'similar' means sharing the most genres (artists), or songs by
    those artists — a local stand-in for Ampache's recommendation plugin."""
    kind = ctx.params.required("type").strip().lower()
    if kind not in ("song", "artist"):
        raise BadRequest(kind, "type")
    object_id = ctx.params.object_id("filter", "id")
    if kind == "artist":
        exists = ctx.conn.execute("SELECT 1 FROM artist WHERE id = ?", (object_id,)).fetchone()
        artist_id = object_id
    else:
        exists = ctx.conn.execute(
            "SELECT artist_id FROM song WHERE id = ?", (object_id,)
        ).fetchone()
        artist_id = exists[0] if exists else 0
    if exists is None or not is_visible(ctx.conn, kind, object_id):
        raise NotFound(object_id, "filter")
    similar = [
        r[0]
        for r in ctx.conn.execute(
            "SELECT b.artist_id FROM artist_genre a JOIN artist_genre b ON b.genre_id = a.genre_id"
            " WHERE a.artist_id = ? AND b.artist_id != ? GROUP BY b.artist_id"
            " ORDER BY COUNT(*) DESC, b.artist_id LIMIT 50",
            (artist_id, artist_id),
        )
    ]
    similar = list(library.visible_ids(ctx.conn, "artist", similar))
    if kind == "artist":
        page = paginate(similar, ctx.params.paging(10))
        return object_list(ARTIST, library.load_artists(ctx, page.page_ids), page)
    songs = [
        r[0]
        for r in ctx.conn.execute(
            "SELECT s.id FROM json_each(?) j JOIN song s ON s.artist_id = j.value"
            " WHERE s.enabled = 1 AND s.id != ? ORDER BY j.key, s.id LIMIT 200",
            (library.id_json(similar), object_id),
        )
    ]
    songs = list(library.visible_ids(ctx.conn, "song", songs))
    page = paginate(songs, ctx.params.paging(10))
    answer = object_list(SONG, library.song_page(ctx, page.page_ids), page)
    answer.json_array_api5 = True  # API5 similar songs: a bare array (api5 example)
    return answer
