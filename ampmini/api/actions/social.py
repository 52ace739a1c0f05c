"""Social actions, behind `sociable`: follows, shouts and the activity timelines (spec §6.12).

Activity is written by triggers on play, rating, flag and user_follow (schema 0004), so it
reflects what users really did. Another user's activity is shown only while their
`allow_personal_info_recent` preference is on (spec §6.12 "only own, or users who allow it").
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from typing import Any

from ... import preferences as prefs
from ...accounts import find_user
from ..errors import BadRequest, InvalidHandshake, MissingParameter, NotFound
from ..objects.users import ACTIVITY, SHOUT
from ..registry import Context, action
from ..shapes import ObjectList, Shape, Success
from .users import user_list

PRIVACY = prefs.offer("allow_personal_info_recent")
SHOUT_LIMIT = 10  # last_shouts default (spec §6.12)


def _named_user(ctx: Context, *, required: bool = False, param: str = "username") -> sqlite3.Row:
    """The user named by `username`|`filter`, else the caller (unless required)."""
    wanted = ctx.params.get("username", "filter")
    if not wanted:
        if required:
            raise MissingParameter("username")
        if ctx.user is None:  # every social action needs a session; dispatch ensures it
            raise InvalidHandshake()
        return ctx.user
    row = find_user(ctx.conn, wanted)
    if row is None:
        raise NotFound(wanted, param)
    return row


def _bare_list(shape: Shape, items: list[dict[str, Any]]) -> ObjectList:
    """No envelope (§3.1), except that an empty answer has one, as Ampache's does."""
    return ObjectList(shape, items, len(items), "", envelope=not items)


def sharing_users(ctx: Context, user_ids: Iterable[int]) -> list[int]:
    """Those of `user_ids` whose activity the caller may see (self always)."""
    ids = list(dict.fromkeys(user_ids))
    others = [i for i in ids if i != ctx.user_id]
    if not others:
        return ids
    server = prefs.get(ctx.conn, prefs.SERVER_DEFAULT, PRIVACY.name)
    rows = ctx.conn.execute(
        "SELECT user_id, value FROM preference_value WHERE name = ?"
        " AND user_id IN (SELECT value FROM json_each(?))",
        (PRIVACY.name, json.dumps(others)),
    )
    own = {r[0]: r[1] == "1" for r in rows}
    return [i for i in ids if i == ctx.user_id or own.get(i, server)]


def _activity(ctx: Context, user_ids: list[int]) -> ObjectList:
    paging = ctx.params.paging()
    since = max(0, ctx.params.int("since"))
    limit = -1 if paging.limit is None else paging.limit
    rows = ctx.conn.execute(
        "SELECT a.id, a.date, a.object_type, a.object_id, a.action, a.user_id, u.username"
        " FROM activity a JOIN user u ON u.id = a.user_id"
        " WHERE a.user_id IN (SELECT value FROM json_each(?)) AND a.date >= ?"
        " ORDER BY a.date DESC, a.id DESC LIMIT ? OFFSET ?",
        (json.dumps(user_ids), since, limit, paging.offset),
    ).fetchall()
    items = [
        {
            "id": r["id"], "date": r["date"], "object_type": r["object_type"],
            "object_id": r["object_id"], "action": r["action"],
            "user": {"id": r["user_id"], "username": r["username"]},
        }
        for r in rows
    ]
    return _bare_list(ACTIVITY, items)


@action("followers", feature="sociable")
def followers(ctx: Context) -> ObjectList:
    target = _named_user(ctx)
    rows = ctx.conn.execute(
        "SELECT u.id, u.username FROM user_follow f JOIN user u ON u.id = f.user_id"
        " WHERE f.follow_user_id = ? AND u.disabled = 0 ORDER BY u.username COLLATE NOCASE",
        (target["id"],),
    ).fetchall()
    return user_list(rows, ctx)


@action("following", feature="sociable")
def following(ctx: Context) -> ObjectList:
    target = _named_user(ctx)
    rows = ctx.conn.execute(
        "SELECT u.id, u.username FROM user_follow f JOIN user u ON u.id = f.follow_user_id"
        " WHERE f.user_id = ? AND u.disabled = 0 ORDER BY u.username COLLATE NOCASE",
        (target["id"],),
    ).fetchall()
    return user_list(rows, ctx)


@action("toggle_follow", feature="sociable")
def toggle_follow(ctx: Context) -> Success:
    """Follow, or stop following, a user — working, unlike 7.9.4's (§12 Fix 4)."""
    wanted = ctx.params.required("username", "filter")
    target = find_user(ctx.conn, wanted)
    if target is None:
        raise NotFound(wanted, "filter")
    if target["id"] == ctx.user_id:
        raise BadRequest(wanted, "filter")  # following oneself means nothing
    with ctx.db.writer() as conn:
        gone = conn.execute(
            "DELETE FROM user_follow WHERE user_id = ? AND follow_user_id = ?",
            (ctx.user_id, target["id"]),
        ).rowcount
        if not gone:
            conn.execute(
                "INSERT INTO user_follow (user_id, follow_user_id, date) VALUES (?, ?, ?)",
                (ctx.user_id, target["id"], int(time.time())),
            )
    return Success(f"follow toggled for: {ctx.user_id}")


@action("last_shouts", feature="sociable")
def last_shouts(ctx: Context) -> ObjectList:
    wanted = ctx.params.get("username", "filter")
    limit = ctx.params.int("limit") or SHOUT_LIMIT
    sql = (
        "SELECT s.id, s.date, s.text, s.object_type, s.object_id, s.user_id, u.username"
        " FROM shout s JOIN user u ON u.id = s.user_id"
    )
    args: tuple[Any, ...] = ()
    if wanted:
        row = find_user(ctx.conn, wanted)
        if row is None:
            raise NotFound(wanted, "username")
        sql += " WHERE s.user_id = ?"
        args = (row["id"],)
    rows = ctx.conn.execute(
        sql + " ORDER BY s.date DESC, s.id DESC LIMIT ?", (*args, max(1, limit))
    ).fetchall()
    items = [
        {
            "id": r["id"], "date": r["date"], "text": r["text"],
            "object_type": r["object_type"], "object_id": r["object_id"],
            "user": {"id": r["user_id"], "username": r["username"]},
        }
        for r in rows
    ]
    return _bare_list(SHOUT, items)


@action("timeline", feature="sociable")
def timeline(ctx: Context) -> ObjectList:
    # §12 Fix 6: a missing username is 4710, not silently the caller.
    target = _named_user(ctx, required=True)
    return _activity(ctx, sharing_users(ctx, [target["id"]]))


@action("friends_timeline", feature="sociable")
def friends_timeline(ctx: Context) -> ObjectList:
    followed = [
        r[0] for r in ctx.conn.execute(
            "SELECT f.follow_user_id FROM user_follow f JOIN user u ON u.id = f.follow_user_id"
            " WHERE f.user_id = ? AND u.disabled = 0",
            (ctx.user_id,),
        )
    ]
    allowed = [i for i in sharing_users(ctx, followed) if i != ctx.user_id]
    return _activity(ctx, allowed)
