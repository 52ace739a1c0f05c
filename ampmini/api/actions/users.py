"""user and users: accounts as other users may see them (spec §6.2, §8.7)."""

from __future__ import annotations

import sqlite3
from typing import Any

from ..errors import NotFound
from ..listing import paginate
from ..objects import USER_BRIEF, USER_FULL, USER_PUBLIC
from ..registry import Context, action
from ..shapes import ObjectList, Single
from ...accounts import find_user


def user_item(ctx: Context, row: sqlite3.Row, *, full: bool) -> dict[str, Any]:
    """A user object; `full` adds the private fields (caller itself, or an admin)."""
    user_id = row["id"]
    apikey = ctx.config.apikeys.get(row["username"]) if full else None
    show_fullname = full or bool(row["fullname_public"])
    return {
        "id": user_id,
        "username": row["username"],
        "auth": apikey,
        "email": row["email"],
        "access": row["access"],
        "streamtoken": row["streamtoken"],
        "fullname_public": bool(row["fullname_public"]),
        "validation": None,
        "disabled": bool(row["disabled"]),
        "create_date": row["create_date"],
        "last_seen": row["last_seen"],
        "link": f"{ctx.base_url}/stats.php?action=show_user&user_id={user_id}",
        "website": row["website"],
        "state": row["state"],
        "city": row["city"],
        "art": f"{ctx.base_url}/image.php?action=show_user_avatar&object_id={user_id}"
        "&object_type=user&name=art.jpg",
        "has_art": False,
        "fullname": row["fullname"] if show_fullname else None,
        "fullname_public_text": row["fullname"] if row["fullname_public"] else None,
    }


@action("user")
def user(ctx: Context) -> Single:
    wanted = ctx.params.get("username", "filter")
    if not wanted:
        row = ctx.user
    else:
        row = find_user(ctx.conn, wanted)
        if row is None:
            raise NotFound(wanted, "username")
    assert row is not None
    full = ctx.is_admin or row["id"] == ctx.user_id
    shape = USER_FULL if full else USER_PUBLIC
    return Single(shape, user_item(ctx, row, full=full), envelope=False)


@action("users")
def users(ctx: Context) -> ObjectList:
    rows = ctx.conn.execute(
        "SELECT id, username FROM user WHERE disabled = 0 ORDER BY id"
    ).fetchall()
    page = paginate([r["id"] for r in rows], ctx.params.paging())
    wanted = set(page.page_ids)
    items = [{"id": r["id"], "username": r["username"]} for r in rows if r["id"] in wanted]
    return ObjectList(USER_BRIEF, items, page.total, page.md5, envelope=False)
