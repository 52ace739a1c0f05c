"""Radio stations: live_streams, live_stream and their create/edit/delete (spec §6.11, §8.12)."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Sequence
from typing import Any

from .. import library
from ..errors import BadRequest, NotFound
from ..listing import ListSpec, standard_list
from ..objects.media import LIVE_STREAM
from ..registry import Context, Level, action
from ..shapes import ObjectList, Single, Success
from .browse import require_row
from .indexes import INDEX_TYPES, IndexType

LIVE_STREAM_SPEC = ListSpec(
    base="FROM live_stream ls",
    id_column="ls.id",
    name_column="ls.name",
    sorts={
        "name": "ls.name COLLATE NOCASE",
        "title": "ls.name COLLATE NOCASE",
        "id": "ls.id",
        "codec": "ls.codec",
        "catalog": "ls.catalog_id",
        "url": "ls.url",
        "site_url": "ls.site_url",
        "rand": "RANDOM()",
    },
    default_sort="name",
    conds={
        "catalog": "ls.catalog_id = ?",
        "id": "ls.id = ?",
        "like": "fold(ls.name) LIKE ? ESCAPE '\\'",
        "alpha_match": "fold(ls.name) LIKE ? ESCAPE '\\'",
        "equal": "fold(ls.name) = fold(?)",
        "exact_match": "fold(ls.name) = fold(?)",
    },
)
_CODEC = re.compile(r"[A-Za-z0-9]{1,16}")  # Ampache: letters only; digits for mp3/mp4


def valid_url(url: str) -> bool:
    """Stations are played by the client: only http(s) URLs with a host."""
    match = re.match(r"(?i)https?://[^/\s?#]+", url)
    return match is not None and len(url) <= 2000 and not any(c.isspace() for c in url)


def add_station(
    conn: sqlite3.Connection, name: str, url: str, codec: str, catalog_id: int,
    site_url: str | None = None,
) -> int:
    """Insert one station inside the caller's transaction (also used by `ampmini radio`)."""
    cursor = conn.execute(
        "INSERT INTO live_stream (name, url, codec, catalog_id, site_url, added)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (name, url, codec, catalog_id, site_url or None, int(time.time())),
    )
    return int(cursor.lastrowid or 0)


def load_live_streams(ctx: Context, ids: Sequence[int], *_: Any) -> list[dict[str, Any]]:
    if not ids:
        return []
    rows = ctx.conn.execute(
        "SELECT ls.* FROM json_each(?) j JOIN live_stream ls ON ls.id = j.value ORDER BY j.key",
        (library.id_json(ids),),
    )
    return [
        {
            "id": r["id"], "name": r["name"], "url": r["url"], "codec": r["codec"],
            "catalog": r["catalog_id"], "site_url": r["site_url"],
        }
        for r in rows
    ]


def _catalog(ctx: Context, raw: str) -> int:
    text = raw.strip()
    if not text.isdigit() or ctx.conn.execute(
        "SELECT 1 FROM catalog WHERE id = ?", (int(text),)
    ).fetchone() is None:
        raise NotFound(raw, "catalog")
    return int(text)


def _checked(ctx: Context, name: str, value: str) -> str:
    value = value.strip()
    if name == "url" and not valid_url(value):
        raise BadRequest(value, "url")
    if name == "site_url" and value and not valid_url(value):
        raise BadRequest(value, "site_url")
    if name == "codec" and not _CODEC.fullmatch(value):
        raise BadRequest(value, "codec")
    if name == "name" and not value:
        raise BadRequest(value, "name")
    return value


@action("live_streams", feature="live_stream")
def live_streams(ctx: Context) -> ObjectList:
    page = standard_list(ctx.conn, LIVE_STREAM_SPEC, ctx.params)
    return ObjectList(LIVE_STREAM, load_live_streams(ctx, page.page_ids), page.total, page.md5)


@action("live_stream", feature="live_stream")
def live_stream(ctx: Context) -> Single:
    stream_id = require_row(ctx, "live_stream")
    return Single(LIVE_STREAM, load_live_streams(ctx, [stream_id])[0])


@action("live_stream_create", level=Level.CONTENT_MANAGER, feature="live_stream",
        api6_only=True, aliases=("live_streams_create",))
def live_stream_create(ctx: Context) -> Single:
    params = ctx.params
    name = _checked(ctx, "name", params.required("name"))
    url = _checked(ctx, "url", params.required("url"))
    codec = _checked(ctx, "codec", params.required("codec")).lower()
    catalog_id = _catalog(ctx, params.required("catalog"))
    site_url = _checked(ctx, "site_url", params.text("site_url"))
    with ctx.db.writer() as conn:
        stream_id = add_station(conn, name, url, codec, catalog_id, site_url)
    return Single(LIVE_STREAM, load_live_streams(ctx, [stream_id])[0])


@action("live_stream_edit", level=Level.CONTENT_MANAGER, feature="live_stream",
        api6_only=True, aliases=("live_streams_edit",))
def live_stream_edit(ctx: Context) -> Single:
    stream_id = require_row(ctx, "live_stream")
    changes: dict[str, Any] = {}
    for param in ("name", "url", "codec", "site_url"):  # whitelist: names are the columns
        value = ctx.params.get(param)
        if value is not None:
            changes[param] = _checked(ctx, param, value) or None
    if changes.get("codec"):
        changes["codec"] = changes["codec"].lower()
    catalog = ctx.params.get("catalog")
    if catalog:
        changes["catalog_id"] = _catalog(ctx, catalog)
    if changes:
        sets = ", ".join(f"{column} = ?" for column in changes)
        with ctx.db.writer() as conn:
            conn.execute(
                f"UPDATE live_stream SET {sets} WHERE id = ?",  # noqa: S608
                (*changes.values(), stream_id),
            )
    return Single(LIVE_STREAM, load_live_streams(ctx, [stream_id])[0])


@action("live_stream_delete", level=Level.CONTENT_MANAGER, feature="live_stream",
        api6_only=True, aliases=("live_streams_delete",))
def live_stream_delete(ctx: Context) -> Success:
    stream_id = require_row(ctx, "live_stream")
    with ctx.db.writer() as conn:
        conn.execute("DELETE FROM live_stream WHERE id = ?", (stream_id,))
    return Success(f"Deleted live_stream: {stream_id}")


INDEX_TYPES["live_stream"] = IndexType(LIVE_STREAM_SPEC, LIVE_STREAM, load_live_streams)
