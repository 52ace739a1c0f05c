"""rate, flag, record_play, scrobble: what a listener says about the library (spec §6.7)."""

from __future__ import annotations

import time

from ... import plays
from ...accounts import find_user
from ..errors import BadRequest, Forbidden, NotFound
from ..registry import Context, Level, action
from ..shapes import Success

# Object type → the table holding it (a whitelist: the name goes into the SQL).
RATEABLE = {
    "song": "song",
    "album": "album",
    "artist": "artist",
    "playlist": "playlist",
    "podcast": "podcast",
    "podcast_episode": "podcast_episode",
    "video": "video",
}


def _target(ctx: Context) -> tuple[str, int]:
    kind = ctx.params.required("type").strip().lower()
    table = RATEABLE.get(kind)
    if table is None:
        raise BadRequest(kind, "type")
    raw = ctx.params.required("id", "filter")
    if not raw.strip().isdigit():
        raise NotFound(raw, "id")
    object_id = int(raw)
    # table comes from the RATEABLE whitelist above.
    found = ctx.conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (object_id,)).fetchone()  # noqa: S608
    if found is None:
        raise NotFound(object_id, "id")
    return kind, object_id


@action("rate", feature="ratings")
def rate(ctx: Context) -> Success:
    kind, object_id = _target(ctx)
    raw = ctx.params.required("rating").strip()
    if not raw.isdigit() or not 0 <= int(raw) <= 5:
        raise BadRequest(raw, "rating")
    rating = int(raw)
    with ctx.db.writer() as conn:
        if rating == 0:
            conn.execute(
                "DELETE FROM rating WHERE object_type = ? AND object_id = ? AND user_id = ?",
                (kind, object_id, ctx.user_id),
            )
        else:
            conn.execute(
                "INSERT INTO rating (object_type, object_id, user_id, rating) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (object_type, object_id, user_id) DO UPDATE SET rating = ?",
                (kind, object_id, ctx.user_id, rating, rating),
            )
    return Success(f"rating set to {rating} for {object_id}")


@action("flag", feature="ratings")
def flag(ctx: Context) -> Success:
    kind, object_id = _target(ctx)
    raw = ctx.params.required("flag").strip()
    if raw not in ("0", "1"):
        raise BadRequest(raw, "flag")
    date = ctx.params.int("date") or int(time.time())
    with ctx.db.writer() as conn:
        if raw == "1":
            conn.execute(
                "INSERT OR IGNORE INTO flag (object_type, object_id, user_id, date)"
                " VALUES (?, ?, ?, ?)",
                (kind, object_id, ctx.user_id, date),
            )
        else:
            conn.execute(
                "DELETE FROM flag WHERE object_type = ? AND object_id = ? AND user_id = ?",
                (kind, object_id, ctx.user_id),
            )
    verb = "ADDED to" if raw == "1" else "REMOVED from"
    return Success(f"flag {verb} {object_id}")


@action("record_play")
def record_play(ctx: Context) -> Success:
    raw = ctx.params.required("id", "filter")
    if not raw.strip().isdigit():
        raise NotFound(raw, "id")
    song_id = int(raw)
    if ctx.conn.execute("SELECT 1 FROM song WHERE id = ?", (song_id,)).fetchone() is None:
        raise NotFound(song_id, "id")
    user = ctx.user
    wanted = ctx.params.get("user")
    if wanted:
        user = find_user(ctx.conn, wanted)
        if user is None:
            raise NotFound(wanted, "user")
        if user["id"] != ctx.user_id and not ctx.is_admin:
            raise Forbidden(Level.ADMIN)
    assert user is not None
    plays.record(
        ctx.db, user["id"], "song", song_id,
        date=ctx.params.int("date") or None, client=ctx.params.get("client"),
    )
    return Success(f"successfully recorded play: {song_id} for: {user['username']}")


@action("scrobble")
def scrobble(ctx: Context) -> Success:
    title = ctx.params.required("song")
    artist = ctx.params.required("artist")
    album = ctx.params.required("album")
    row = ctx.conn.execute(
        "SELECT s.id FROM song s JOIN album al ON al.id = s.album_id"
        " JOIN artist ar ON ar.id = s.artist_id"
        " WHERE fold(s.title) = fold(?) AND fold(ar.name) = fold(?) AND fold(al.name) = fold(?)"
        " ORDER BY s.id LIMIT 1",
        (title, artist, album),
    ).fetchone()
    if row is None:
        mbid = ctx.params.get("song_mbid", "songmbid")
        if mbid:
            row = ctx.conn.execute("SELECT id FROM song WHERE mbid = ?", (mbid,)).fetchone()
    if row is None:
        raise NotFound(title, "song")
    plays.record(
        ctx.db, ctx.user_id, "song", row["id"],
        date=ctx.params.int("date") or None, client=ctx.params.get("client"),
    )
    return Success(f"successfully scrobbled: {row['id']}")
