"""videos, video, deleted_videos (spec §8.11), and the file behind a video for /play."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from typing import Any

from .. import library
from ..listing import ListSpec, paginate, standard_list
from ..objects.media import DELETED_VIDEO, VIDEO
from ..registry import Context, action
from ..rules import SEARCH_TYPES, RuleDef, SearchType, _user_rules
from ..shapes import ObjectList, Single
from .annotate import RATEABLE
from .browse import require_row
from .indexes import INDEX_TYPES, IndexType
from .search import RESULT_TYPES

VIDEO_SPEC = ListSpec(
    base="FROM video v",
    id_column="v.id",
    name_column="v.title",
    sorts={
        "title": "v.title COLLATE NOCASE",
        "name": "v.title COLLATE NOCASE",
        "id": "v.id",
        "length": "v.time",
        "codec": "v.codec",
        "resolution": "v.resolution_x, v.resolution_y",
        "catalog": "v.catalog_id",
        "addition_time": "v.added",
        "update_time": "v.updated",
        "rand": "RANDOM()",
    },
    default_sort="title",
    added_column="v.added",
    updated_column="v.updated",
    conds={
        "add_gt": "v.added > ?",
        "add_lt": "v.added < ?",
        "update_gt": "v.updated > ?",
        "update_lt": "v.updated < ?",
        "catalog": "v.catalog_id = ?",
        "id": "v.id = ?",
        "like": "fold(v.title) LIKE ? ESCAPE '\\'",
        "alpha_match": "fold(v.title) LIKE ? ESCAPE '\\'",
        "equal": "fold(v.title) = fold(?)",
        "exact_match": "fold(v.title) = fold(?)",
    },
)

_VIDEO_SQL = """
SELECT v.*, f.date AS flagged, r.rating AS my_rating, pc.plays AS plays
FROM json_each(:ids) j
JOIN video v ON v.id = j.value
LEFT JOIN flag f ON f.user_id = :uid AND f.object_type = 'video' AND f.object_id = v.id
LEFT JOIN rating r ON r.object_type = 'video' AND r.object_id = v.id AND r.user_id = :uid
LEFT JOIN play_count pc ON pc.object_type = 'video' AND pc.object_id = v.id
ORDER BY j.key
"""


def load_videos(ctx: Context, ids: Sequence[int], *_: Any) -> list[dict[str, Any]]:
    if not ids:
        return []
    ids_text = library.id_json(ids)
    rows = ctx.conn.execute(_VIDEO_SQL, {"ids": ids_text, "uid": ctx.user_id}).fetchall()
    averages = library.average_ratings(ctx.conn, "video", ids_text)
    urls = library.url_builder(ctx)
    items = []
    for row in rows:
        vid = row["id"]
        resolution = f"{row['resolution_x']}x{row['resolution_y']}" if row["resolution_x"] else ""
        # Ampache names the play file after the title alone: no artist for videos.
        url = urls.play("video", vid, "", row["title"], row["format"]).replace(
            "&name=%20-%20", "&name=", 1
        )
        items.append(
            {
                "id": vid,
                "name": row["title"],
                "title": row["title"],
                "mime": row["mime"],
                "resolution": resolution,
                "size": row["size"],
                "genre": [],
                "time": row["time"],
                "url": url,
                "art": urls.art("video", vid),
                "has_art": False,
                "flag": row["flagged"] is not None,
                "preciserating": library.user_rating(row["my_rating"]),
                "rating": library.user_rating(row["my_rating"]),
                "averagerating": averages.get(vid),
                "playcount": row["plays"] or 0,
            }
        )
    return items


@action("videos", feature="allow_video")
def videos(ctx: Context) -> ObjectList:
    page = standard_list(ctx.conn, VIDEO_SPEC, ctx.params)
    return ObjectList(VIDEO, load_videos(ctx, page.page_ids), page.total, page.md5)


@action("video", feature="allow_video")
def video(ctx: Context) -> Single:
    video_id = require_row(ctx, "video")
    return Single(VIDEO, load_videos(ctx, [video_id])[0])


@action("deleted_videos", feature="allow_video")
def deleted_videos(ctx: Context) -> ObjectList:
    ids = [r[0] for r in ctx.conn.execute("SELECT id FROM deleted_video ORDER BY delete_time, id")]
    page = paginate(ids, ctx.params.paging())
    rows = ctx.conn.execute(
        "SELECT d.* FROM json_each(?) j JOIN deleted_video d ON d.id = j.value ORDER BY j.key",
        (library.id_json(page.page_ids),),
    )
    items = [
        {
            "id": r["id"], "addition_time": r["addition_time"], "delete_time": r["delete_time"],
            "title": r["title"], "file": r["file"], "catalog": r["catalog_id"],
            "total_count": r["total_count"], "total_skip": r["total_skip"],
        }
        for r in rows
    ]
    return ObjectList(
        DELETED_VIDEO, items, page.total, page.md5, json_key="deleted_video", xml_envelope=False,
    )


def media_path(
    conn: sqlite3.Connection, object_type: str, object_id: int
) -> tuple[str, str, str] | None:
    """(path, mime, format) of a video for /play, or None when unknown or missing on disk."""
    if object_type != "video":
        return None
    row = conn.execute(
        "SELECT path, mime, format FROM video WHERE id = ?", (object_id,)
    ).fetchone()
    if row is None or not os.path.isfile(row["path"]):
        return None
    return row["path"], row["mime"], row["format"]


INDEX_TYPES["video"] = IndexType(VIDEO_SPEC, VIDEO, load_videos, name_keys=("title", "", "title"))
RATEABLE.setdefault("video", "video")
SEARCH_TYPES["video"] = SearchType(
    "FROM video v", "v.id",
    {
        "title": RuleDef("text", "v.title"),
        "file": RuleDef("text", "v.path"),
        "time": RuleDef("numeric", "v.time", scale=60.0),
        "resolution_x": RuleDef("numeric", "v.resolution_x"),
        "resolution_y": RuleDef("numeric", "v.resolution_y"),
        "added": RuleDef("date", "v.added"),
        "updated": RuleDef("date", "v.updated"),
        "id": RuleDef("numeric", "v.id"),
        **_user_rules("video", "v"),
    },
    {"name": "title", "video_title": "title", "length": "time"},
    "v.title COLLATE NOCASE",
)
RESULT_TYPES["video"] = (VIDEO, load_videos)
