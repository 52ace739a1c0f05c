"""Shares (spec §6.9, §8.8): public links to one object, served by `share_links.py`.

Gate `share` (off → 4703 `Enable: share`). A user sees and changes only their own shares;
catalog managers (level 75) and admins all of them (§6.9 "owner or lvl 75"). Anybody else's
share id answers like a missing one.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from typing import Any

from .. import library
from ..errors import BadRequest, NotFound
from ..listing import ListSpec, Query, standard_list
from ..objects.playlists import SHARE
from ..registry import Context, Level, action
from ..shapes import ObjectList, Single, Success
from .playlists import find_list

SHARE_SPEC = ListSpec(
    base="FROM share sh",
    id_column="sh.id",
    name_column="sh.description",
    sorts={
        "title": "sh.description COLLATE NOCASE",
        "description": "sh.description COLLATE NOCASE",
        "id": "sh.id",
        "creation_date": "sh.creation_date",
        "lastvisit_date": "sh.lastvisit_date",
        "counter": "sh.counter",
        "max_counter": "sh.max_counter",
        "expire": "sh.expire_days",
        "object": "sh.object_id",
        "object_type": "sh.object_type",
        "allow_stream": "sh.allow_stream",
        "allow_download": "sh.allow_download",
        "user": "sh.user_id",
    },
    default_sort="title",
    added_column="sh.creation_date",
    conds={
        "user": "sh.user_id = ?",
        "object": "sh.object_id = ?",
        "object_type": "sh.object_type = ?",
        "allow_stream": "sh.allow_stream = ?",
        "allow_download": "sh.allow_download = ?",
    },
)

# Shareable type → (table, name column). Smartlists are stored as object_type `search`.
SHAREABLE: dict[str, tuple[str, str]] = {
    "song": ("song", "title"),
    "album": ("album", "name"),
    "artist": ("artist", "name"),
    "playlist": ("playlist", "name"),
    "search": ("smartlist", "name"),
    "podcast": ("podcast", "title"),
    "podcast_episode": ("podcast_episode", "title"),
    "video": ("video", "title"),
}


def sees_all(ctx: Context) -> bool:
    return ctx.access >= Level.CATALOG_MANAGER


def public_url(base: str, share_id: int, secret: str) -> str:
    return f"{base}/share.php?id={share_id}&secret={secret}"


def object_name(conn: sqlite3.Connection, kind: str, object_id: int) -> str | None:
    table, column = SHAREABLE.get(kind, ("", ""))
    if not table:
        return None
    try:
        # table/column come from the SHAREABLE whitelist.
        row = conn.execute(
            f"SELECT {column} FROM {table} WHERE id = ?", (object_id,)  # noqa: S608
        ).fetchone()
    except sqlite3.OperationalError:  # that feature's table does not exist yet
        return None
    return None if row is None else str(row[0])


def load_shares(ctx: Context, ids: list[int]) -> list[dict[str, Any]]:
    rows = ctx.conn.execute(
        "SELECT sh.*, u.username FROM json_each(?) j JOIN share sh ON sh.id = j.value"
        " JOIN user u ON u.id = sh.user_id ORDER BY j.key",
        (library.id_json(ids),),
    ).fetchall()
    return [
        {
            "id": r["id"],
            "name": object_name(ctx.conn, r["object_type"], r["object_id"]) or "",
            "owner": r["username"],
            "user": r["username"],
            "allow_stream": bool(r["allow_stream"]),
            "allow_download": bool(r["allow_download"]),
            "creation_date": r["creation_date"],
            "lastvisit_date": r["lastvisit_date"],
            "object_type": r["object_type"],
            "object_id": r["object_id"],
            "expire_days": r["expire_days"],
            "max_counter": r["max_counter"],
            "counter": r["counter"],
            "secret": r["secret"],
            "public_url": public_url(ctx.base_url, r["id"], r["secret"]),
            "description": r["description"],
        }
        for r in rows
    ]


def _own_share(ctx: Context) -> int:
    """The share named by `filter`, if the caller may see it; else 4704."""
    raw = ctx.params.required("filter")
    if not raw.strip().isdigit():
        raise NotFound(raw, "filter")
    row = ctx.conn.execute("SELECT user_id FROM share WHERE id = ?", (int(raw),)).fetchone()
    if row is None or (row["user_id"] != ctx.user_id and not sees_all(ctx)):
        raise NotFound(raw.strip(), "filter")
    return int(raw)


@action("shares", feature="share")
def shares(ctx: Context) -> ObjectList:
    q = Query()
    if not sees_all(ctx):
        q.add("sh.user_id = ?", ctx.user_id)
    page = standard_list(ctx.conn, SHARE_SPEC, ctx.params, q)
    return ObjectList(SHARE, load_shares(ctx, page.page_ids), page.total, page.md5)


@action("share", feature="share")
def share(ctx: Context) -> Single:
    return Single(SHARE, load_shares(ctx, [_own_share(ctx)])[0])


def _target(ctx: Context) -> tuple[str, int]:
    kind = ctx.params.required("type").strip().lower()
    raw = ctx.params.required("filter")
    if kind in ("playlist", "search", "smartlist") or raw.strip().lower().startswith("smart_"):
        item = find_list(ctx, raw=raw)  # visible lists only; others are not found
        return ("search" if item.kind == "smartlist" else "playlist"), item.id
    if kind not in SHAREABLE:
        raise BadRequest(kind, "type")
    if not raw.strip().isdigit() or object_name(ctx.conn, kind, int(raw)) is None:
        raise NotFound(raw, "filter")
    return kind, int(raw)


def _expires(ctx: Context, default: int) -> int:
    raw = ctx.params.get("expires")
    if raw is None or raw.strip() == "":
        return default
    if not raw.strip().isdigit():
        raise BadRequest(raw, "expires")
    return int(raw)


@action("share_create", feature="share", level=Level.USER, aliases=("shares_create",))
def share_create(ctx: Context) -> Single:
    kind, object_id = _target(ctx)
    description = ctx.params.get("description")
    if description is None:
        description = object_name(ctx.conn, kind, object_id) or ""
    features = ctx.config.features
    with ctx.db.writer() as conn:
        new_id = conn.execute(
            "INSERT INTO share (user_id, object_type, object_id, secret, description,"
            " allow_stream, allow_download, expire_days, max_counter, creation_date)"
            " VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
            (
                ctx.user_id, kind, object_id, secrets.token_urlsafe(12), description,
                int(getattr(features, "download", True)), _expires(ctx, features.share_expire),
                features.share_max_counter, int(time.time()),
            ),
        ).lastrowid
    return Single(SHARE, load_shares(ctx, [int(new_id)])[0])


@action("share_edit", feature="share", level=Level.USER, aliases=("shares_edit",))
def share_edit(ctx: Context) -> Success:
    share_id = _own_share(ctx)
    params = ctx.params
    changes: dict[str, Any] = {}
    for param, column in (("stream", "allow_stream"), ("download", "allow_download")):
        if params.get(param) not in (None, ""):
            changes[column] = int(params.flag(param))
    if params.get("expires") not in (None, ""):
        changes["expire_days"] = _expires(ctx, 0)
    if params.get("description") is not None:
        changes["description"] = params.text("description")
    with ctx.db.writer() as conn:
        for column, value in changes.items():
            # column names come from the fixed tuple above.
            conn.execute(f"UPDATE share SET {column} = ? WHERE id = ?", (value, share_id))  # noqa: S608
    return Success(f"share {share_id} updated")


@action("share_delete", feature="share", level=Level.USER, aliases=("shares_delete",))
def share_delete(ctx: Context) -> Success:
    share_id = _own_share(ctx)
    with ctx.db.writer() as conn:
        conn.execute("DELETE FROM share WHERE id = ?", (share_id,))
    return Success(f"share {share_id} deleted")
