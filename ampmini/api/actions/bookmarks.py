"""Bookmarks (spec §6.8, §8.15): resume positions keyed by user + object + client.

A bookmark is only ever seen by its user: another user's bookmark id answers like a missing
one (`[]` for `bookmark`, 4704 elsewhere).
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from .. import library
from ..errors import BadRequest, FeatureDisabled, NotFound
from ..listing import ids_md5
from ..objects.playlists import BOOKMARK
from ..registry import Context, action
from ..shapes import EmptyResult, ObjectList, Single, Success

MEDIA_TABLES = {"song": "song", "video": "video", "podcast_episode": "podcast_episode"}
DEFAULT_CLIENT = "AmpacheAPI"  # what Ampache stores when the client names none


def _include(ctx: Context) -> bool:
    return bool(ctx.params.include() & {"1", "true", "song", "songs", "media"})


def load_bookmarks(ctx: Context, rows: list[sqlite3.Row], include: bool) -> list[dict[str, Any]]:
    songs: dict[int, dict] = {}
    if include:
        song_ids = [r["object_id"] for r in rows if r["object_type"] == "song"]
        songs = {s["id"]: s for s in library.load_songs(ctx, song_ids)}
    name = ctx.user["username"]
    return [
        {
            "id": r["id"],
            "owner": name,
            "user": name,
            "object_type": r["object_type"],
            "object_id": r["object_id"],
            "position": r["position"],
            "client": r["client"],
            "creation_date": r["creation_date"],
            "update_date": r["update_date"],
            "song": (
                [songs[r["object_id"]]] if include and r["object_id"] in songs else None
            ),
        }
        for r in rows
    ]


def _list(ctx: Context, rows: list[sqlite3.Row]) -> ObjectList:
    ids = [r["id"] for r in rows]
    return ObjectList(BOOKMARK, load_bookmarks(ctx, rows, _include(ctx)), len(ids), ids_md5(ids),
                      xml_envelope=False)


def _single(ctx: Context, row: sqlite3.Row) -> Single:
    return Single(BOOKMARK, load_bookmarks(ctx, [row], _include(ctx))[0], envelope=False,
                  json_wrap_api5=True)


def _media(ctx: Context) -> tuple[str, int]:
    """`type` + `filter`: an existing media object (4710 type, 4703 video, 4704 filter)."""
    kind = ctx.params.required("type").strip().lower()
    table = MEDIA_TABLES.get(kind)
    if table is None:
        raise BadRequest(kind, "type")
    if kind == "video" and not ctx.config.features.allow_video:
        raise FeatureDisabled("video")
    raw = ctx.params.required("filter")
    if not raw.strip().isdigit():
        raise NotFound(raw, "filter")
    object_id = int(raw)
    try:
        # table comes from the MEDIA_TABLES whitelist.
        found = ctx.conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (object_id,)).fetchone()  # noqa: S608
    except sqlite3.OperationalError:  # that feature's table does not exist yet
        found = None
    if found is None:
        raise NotFound(object_id, "filter")
    return kind, object_id


def _client(ctx: Context) -> str:
    return (ctx.params.get("client") or "").strip() or DEFAULT_CLIENT


def _position(ctx: Context) -> int:
    raw = ctx.params.required("position").strip()
    if not raw.isdigit():
        raise BadRequest(raw, "position")
    return int(raw)


def _find(ctx: Context, kind: str, object_id: int, client: str) -> sqlite3.Row | None:
    return ctx.conn.execute(
        "SELECT * FROM bookmark WHERE user_id = ? AND object_type = ? AND object_id = ?"
        " AND client = ?", (ctx.user_id, kind, object_id, client),
    ).fetchone()


@action("bookmarks")
def bookmarks(ctx: Context) -> ObjectList:
    client = ctx.params.get("client")
    sql = "SELECT * FROM bookmark WHERE user_id = ?"
    args: list[Any] = [ctx.user_id]
    if client:
        sql += " AND client = ?"
        args.append(client)
    return _list(ctx, ctx.conn.execute(sql + " ORDER BY id", args).fetchall())


@action("bookmark", api6_only=True)
def bookmark(ctx: Context) -> Single | EmptyResult:
    raw = ctx.params.required("filter").strip()
    row = ctx.conn.execute(
        "SELECT * FROM bookmark WHERE id = ? AND user_id = ?",
        (int(raw) if raw.isdigit() else -1, ctx.user_id),
    ).fetchone()
    return EmptyResult() if row is None else _single(ctx, row)


@action("get_bookmark")
def get_bookmark(ctx: Context) -> Single | ObjectList | EmptyResult:
    kind, object_id = _media(ctx)
    rows = ctx.conn.execute(
        "SELECT * FROM bookmark WHERE user_id = ? AND object_type = ? AND object_id = ?"
        " ORDER BY update_date DESC, id DESC", (ctx.user_id, kind, object_id),
    ).fetchall()
    if ctx.params.flag("all"):
        return _list(ctx, rows)
    return _single(ctx, rows[0]) if rows else EmptyResult()


def _save(ctx: Context, *, must_exist: bool) -> Single:
    kind, object_id = _media(ctx)
    position = _position(ctx)
    client = _client(ctx)
    now = int(time.time())
    date = ctx.params.int("date") or now
    if must_exist and _find(ctx, kind, object_id, client) is None:
        raise NotFound(object_id, "bookmark")
    with ctx.db.writer() as conn:
        conn.execute(
            "INSERT INTO bookmark (user_id, object_type, object_id, position, client,"
            " creation_date, update_date) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (user_id, object_type, object_id, client) DO UPDATE SET"
            " position = excluded.position, update_date = excluded.update_date",
            (ctx.user_id, kind, object_id, position, client, now, date),
        )
    row = _find(ctx, kind, object_id, client)
    if row is None:  # deleted between the write and this read
        raise NotFound(object_id, "filter")
    return _single(ctx, row)


@action("bookmark_create", aliases=("bookmarks_create",))
def bookmark_create(ctx: Context) -> Single:
    return _save(ctx, must_exist=False)


@action("bookmark_edit", aliases=("bookmarks_edit",))
def bookmark_edit(ctx: Context) -> Single:
    return _save(ctx, must_exist=True)


@action("bookmark_delete", aliases=("bookmarks_delete",))
def bookmark_delete(ctx: Context) -> Success:
    kind = (ctx.params.get("type") or "bookmark").strip().lower()
    if kind == "bookmark":
        raw = ctx.params.required("filter").strip()
        row = ctx.conn.execute(
            "SELECT id FROM bookmark WHERE id = ? AND user_id = ?",
            (int(raw) if raw.isdigit() else -1, ctx.user_id),
        ).fetchone()
        if row is None:
            raise NotFound(raw, "filter")
    else:
        kind, object_id = _media(ctx)
        row = _find(ctx, kind, object_id, _client(ctx))
        if row is None:
            raise NotFound(object_id, "bookmark")
    with ctx.db.writer() as conn:
        conn.execute("DELETE FROM bookmark WHERE id = ? AND user_id = ?", (row["id"], ctx.user_id))
    return Success(f"Deleted Bookmark: {row['id']}")
