"""now_playing and player (spec §6.5, §6.7, §8.16): what each user+client is playing now.

Fed by `/play` streams (the lead's handler calls `record_now_playing`) and by
`player state=play`; an entry expires when its track would have ended. With `sociable` on,
everybody's entries are listed (Ampache's now playing); otherwise only the caller's.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from typing import Any

from ... import plays
from ... import preferences as prefs
from ...db import Database
from ..errors import BadRequest, NotFound
from ..objects.playlists import NOW_PLAYING
from ..registry import Context, action
from ..shapes import EmptyResult, ObjectList

DEFAULT_LENGTH = 600  # seconds an entry lives when the track length is unknown
GRACE = 30  # pause/buffer slack past the end of the track
PLAYABLE = {"song": "song", "podcast_episode": "podcast_episode", "video": "video"}
# Privacy (spec §8.19): who may see that a user plays something now, and with which client.
SHARE_NOW = prefs.offer("allow_personal_info_now")
SHARE_AGENT = prefs.offer("allow_personal_info_agent")


def _length(conn: sqlite3.Connection, object_type: str, object_id: int) -> int:
    table = PLAYABLE.get(object_type)
    if table is None:
        return DEFAULT_LENGTH
    try:
        # table comes from the PLAYABLE whitelist.
        row = conn.execute(f"SELECT time FROM {table} WHERE id = ?", (object_id,)).fetchone()  # noqa: S608
    except sqlite3.OperationalError:
        row = None
    return int(row[0]) if row is not None and row[0] else DEFAULT_LENGTH


def record_now_playing(
    db: Database, user_id: int, object_type: str, object_id: int, client: str | None,
    *, position: int = 0, now: int | None = None,
) -> None:
    """Set what `user_id` on `client` plays now (replacing the previous entry); prune old ones."""
    now = int(now if now is not None else time.time())
    with db.writer() as conn:
        remaining = max(_length(conn, object_type, object_id) - max(position, 0), 0)
        conn.execute("DELETE FROM now_playing WHERE expire < ?", (now,))
        conn.execute(
            "INSERT INTO now_playing (user_id, client, object_type, object_id, started, expire)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, client) DO UPDATE SET"
            " object_type = excluded.object_type, object_id = excluded.object_id,"
            " started = excluded.started, expire = excluded.expire",
            (user_id, client or "", object_type, object_id, now, now + remaining + GRACE),
        )


def stop_now_playing(db: Database, user_id: int, client: str | None) -> None:
    with db.writer() as conn:
        conn.execute(
            "DELETE FROM now_playing WHERE user_id = ? AND client = ?", (user_id, client or "")
        )


def _entries(ctx: Context, only_user: int | None) -> list[dict[str, Any]]:
    sql = (
        "SELECT n.*, u.username FROM now_playing n JOIN user u ON u.id = n.user_id"
        " WHERE n.expire >= ?"
    )
    args: list[Any] = [int(time.time())]
    if only_user is not None:
        sql += " AND n.user_id = ?"
        args.append(only_user)
    rows = ctx.conn.execute(sql + " ORDER BY n.started DESC", args)
    return [
        {
            "id": r["object_id"],
            "type": r["object_type"],
            "client": r["client"] or None,
            "expire": r["expire"],
            "user": {"id": r["user_id"], "username": r["username"]},
        }
        for r in rows
    ]


def _allowing(ctx: Context, name: str, user_ids: Iterable[int]) -> set[int]:
    """Those of `user_ids` whose preference `name` is on (their own value, else the server's)."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return set()
    server = bool(prefs.get(ctx.conn, prefs.SERVER_DEFAULT, name))
    rows = ctx.conn.execute(
        "SELECT user_id, value FROM preference_value WHERE name = ?"
        " AND user_id IN (SELECT value FROM json_each(?))",
        (name, json.dumps(ids)),
    )
    own = {r[0]: r[1] == "1" for r in rows}
    return {i for i in ids if own.get(i, server)}


def _private(ctx: Context, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Other users' entries as their privacy preferences allow: none without
    `allow_personal_info_now`, no client (agent) without `allow_personal_info_agent`."""
    others = [i["user"]["id"] for i in items if i["user"]["id"] != ctx.user_id]
    if not others:
        return items
    sharing = _allowing(ctx, SHARE_NOW.name, others)
    agents = _allowing(ctx, SHARE_AGENT.name, others)
    shown = []
    for item in items:
        uid = item["user"]["id"]
        if uid == ctx.user_id:
            shown.append(item)
        elif uid in sharing:
            shown.append(item if uid in agents else {**item, "client": None})
    return shown


def _document(items: list[dict[str, Any]]) -> ObjectList:
    return ObjectList(NOW_PLAYING, items, len(items), "", envelope=False)


@action("now_playing", api6_only=True)
def now_playing(ctx: Context) -> ObjectList:
    sociable = getattr(ctx.config.features, "sociable", True)
    return _document(_private(ctx, _entries(ctx, None if sociable else ctx.user_id)))


@action("player", api6_only=True)
def player(ctx: Context) -> ObjectList | EmptyResult:
    params = ctx.params
    kind = (params.get("type") or "song").strip().lower()
    if kind not in PLAYABLE:
        raise BadRequest(kind, "type")
    state = (params.get("state") or "play").strip().lower()
    if state not in ("play", "stop"):
        raise BadRequest(state, "state")
    raw = params.required("filter")
    if not raw.strip().isdigit():
        raise NotFound(raw, "id")
    object_id = int(raw)
    try:
        found = ctx.conn.execute(
            f"SELECT 1 FROM {PLAYABLE[kind]} WHERE id = ?", (object_id,)  # noqa: S608
        ).fetchone()
    except sqlite3.OperationalError:
        found = None
    if found is None:
        raise NotFound(object_id, "id")
    client = (params.get("client") or "").strip() or None
    if state == "stop":
        stop_now_playing(ctx.db, ctx.user_id, client)
    else:
        position = max(params.int("time"), 0)
        if position == 0:  # a new track starts: that is a play (spec §6.7)
            plays.record(ctx.db, ctx.user_id, kind, object_id, client=client, skip_logic=True)
        record_now_playing(ctx.db, ctx.user_id, kind, object_id, client, position=position)
    items = _entries(ctx, ctx.user_id)
    return _document(items) if items else EmptyResult()
