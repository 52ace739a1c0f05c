"""Podcast actions (spec §6.10) and the podcast/episode objects (§8.9, §8.10).

Feed fetching, parsing and downloads live in `ampmini/podcasts.py`; this module answers the
API. `media_path` tells the /play handler which file an episode streams from.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from ... import podcasts as engine
from .. import library
from ..errors import BadRequest, FeatureDisabled, NotFound
from ..listing import ListSpec, Query, order_by, paginate, select_ids, standard_list
from ..objects.media import DELETED_PODCAST_EPISODE, PODCAST, PODCAST_EPISODE
from ..registry import Context, Level, action
from ..rules import SEARCH_TYPES, RuleDef, SearchType, _user_rules
from ..shapes import ObjectList, Single, Success
from .annotate import RATEABLE
from .browse import require_row
from .indexes import INDEX_TYPES, IndexType
from .search import RESULT_TYPES

PODCAST_SPEC = ListSpec(
    base="FROM podcast p",
    id_column="p.id",
    name_column="p.title",
    sorts={
        "title": "p.title COLLATE NOCASE",
        "name": "p.title COLLATE NOCASE",
        "id": "p.id",
        "catalog": "p.catalog_id",
        "website": "p.website",
        "rand": "RANDOM()",
    },
    default_sort="title",
    added_column="p.added",
    updated_column="p.updated",
    conds={
        "catalog": "p.catalog_id = ?",
        "id": "p.id = ?",
        "like": "fold(p.title) LIKE ? ESCAPE '\\'",
        "alpha_match": "fold(p.title) LIKE ? ESCAPE '\\'",
        "equal": "fold(p.title) = fold(?)",
        "exact_match": "fold(p.title) = fold(?)",
    },
)

EPISODE_SPEC = ListSpec(
    base="FROM podcast_episode e",
    id_column="e.id",
    name_column="e.title",
    sorts={
        "pubdate": "e.pubdate",
        "title": "e.title COLLATE NOCASE",
        "name": "e.title COLLATE NOCASE",
        "id": "e.id",
        "podcast": "e.podcast_id",
        "state": "e.state",
        "time": "e.time",
        "author": "e.author COLLATE NOCASE",
        "category": "e.category COLLATE NOCASE",
        "addition_time": "e.added",
        "catalog": "e.catalog_id",
        "rand": "RANDOM()",
    },
    default_sort="pubdate",
    added_column="e.added",
    updated_column="e.updated",
    conds={
        "podcast": "e.podcast_id = ?",
        "catalog": "e.catalog_id = ?",
        "id": "e.id = ?",
        "add_gt": "e.added > ?",
        "add_lt": "e.added < ?",
        "like": "fold(e.title) LIKE ? ESCAPE '\\'",
        "alpha_match": "fold(e.title) LIKE ? ESCAPE '\\'",
        "equal": "fold(e.title) = fold(?)",
        "exact_match": "fold(e.title) = fold(?)",
    },
)


# ------------------------------------------------------------------ builders


def iso(epoch: int | None) -> str:
    """build_date/sync_date/pubdate are ISO-8601 strings (spec §3.2)."""
    return datetime.fromtimestamp(epoch or 0, UTC).isoformat(timespec="seconds")


def clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def human_size(size: int) -> str:
    """Ampache's `filesize`: "17 MB", "44.48 MB" (two decimals, trailing zeros dropped)."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            text = f"{value:.2f}".rstrip("0").rstrip(".")
            return f"{text} {unit}"
        value /= 1024
    return f"{size} B"


def _ext(row: sqlite3.Row) -> str:
    if row["path"]:
        return row["path"].rsplit(".", 1)[-1].lower()
    return engine.episode_target("/", "x", row).suffix.lstrip(".")


_EPISODE_SQL = """
SELECT e.*, p.title AS p_title, p.art_url AS p_art, f.date AS flagged, r.rating AS my_rating,
       pc.plays AS plays
FROM json_each(:ids) j
JOIN podcast_episode e ON e.id = j.value
JOIN podcast p ON p.id = e.podcast_id
LEFT JOIN flag f ON f.user_id = :uid AND f.object_type = 'podcast_episode' AND f.object_id = e.id
LEFT JOIN rating r ON r.object_type = 'podcast_episode' AND r.object_id = e.id
     AND r.user_id = :uid
LEFT JOIN play_count pc ON pc.object_type = 'podcast_episode' AND pc.object_id = e.id
ORDER BY j.key
"""


def load_episodes(ctx: Context, ids: Sequence[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    ids_text = library.id_json(ids)
    rows = ctx.conn.execute(_EPISODE_SQL, {"ids": ids_text, "uid": ctx.user_id}).fetchall()
    averages = library.average_ratings(ctx.conn, "podcast_episode", ids_text)
    urls = library.url_builder(ctx)
    items = []
    for row in rows:
        eid = row["id"]
        ext = _ext(row)
        plays = row["plays"] or 0
        # Ampache marks episodes `format=raw`: they are never transcoded by default.
        url = urls.play("podcast_episode", eid, row["p_title"], row["title"], ext)
        items.append(
            {
                "id": eid,
                "title": row["title"],
                "name": row["title"],
                "podcast": {"id": row["podcast_id"], "name": row["p_title"]},
                "description": row["description"],
                "category": row["category"],
                "author": row["author"],
                "author_full": row["author"],
                "website": row["website"],
                "pubdate": iso(row["pubdate"]),
                "state": row["state"],
                "filelength": clock(row["time"]),
                "filesize": human_size(row["size"]),
                "filename": os.path.basename(row["path"]) if row["path"]
                else f"{row['p_title']} - {row['title']}.{ext}",
                "mime": engine.mime_for(row["path"], row["mime"]),
                "time": row["time"],
                "size": row["size"],
                "bitrate": row["bitrate"],
                "stream_bitrate": row["bitrate"],
                "rate": row["rate"],
                "mode": row["mode"],
                "channels": row["channels"],
                "public_url": row["website"],
                "url": url.replace("&player=api", "&format=raw&player=api", 1),
                "catalog": row["catalog_id"],
                "art": urls.art("podcast", row["podcast_id"]),
                "has_art": row["p_art"] is not None,
                "flag": row["flagged"] is not None,
                "preciserating": library.user_rating(row["my_rating"]),
                "rating": library.user_rating(row["my_rating"]),
                "averagerating": averages.get(eid),
                "playcount": plays,
                "played": "1" if plays else "",
            }
        )
    return items


_PODCAST_SQL = """
SELECT p.*, f.date AS flagged, r.rating AS my_rating
FROM json_each(:ids) j
JOIN podcast p ON p.id = j.value
LEFT JOIN flag f ON f.user_id = :uid AND f.object_type = 'podcast' AND f.object_id = p.id
LEFT JOIN rating r ON r.object_type = 'podcast' AND r.object_id = p.id AND r.user_id = :uid
ORDER BY j.key
"""


def episode_ids(conn: sqlite3.Connection, podcast_ids: Sequence[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    for podcast_id, episode_id in conn.execute(
        "SELECT podcast_id, id FROM podcast_episode"
        " WHERE podcast_id IN (SELECT value FROM json_each(?))"
        " ORDER BY podcast_id, pubdate DESC, id DESC",
        (library.id_json(podcast_ids),),
    ):
        found[podcast_id].append(episode_id)
    return found


def load_podcasts(
    ctx: Context, ids: Sequence[int], *, include_episodes: bool = False
) -> list[dict[str, Any]]:
    if not ids:
        return []
    ids_text = library.id_json(ids)
    rows = ctx.conn.execute(_PODCAST_SQL, {"ids": ids_text, "uid": ctx.user_id}).fetchall()
    averages = library.average_ratings(ctx.conn, "podcast", ids_text)
    episodes: dict[int, list] = {}
    if include_episodes:
        per_podcast = episode_ids(ctx.conn, ids)
        loaded = {e["id"]: e for e in load_episodes(ctx, [i for p in ids for i in per_podcast[p]])}
        episodes = {p: [loaded[i] for i in v if i in loaded] for p, v in per_podcast.items()}
    urls = library.url_builder(ctx)
    return [
        {
            "id": row["id"],
            "name": row["title"],
            "description": row["description"],
            "language": row["language"],
            "copyright": row["copyright"],
            "feed_url": row["feed_url"],
            "generator": row["generator"],
            "website": row["website"],
            "build_date": iso(row["build_date"]),
            "sync_date": iso(row["sync_date"]),
            "public_url": row["website"],
            "art": urls.art("podcast", row["id"]),
            "has_art": row["art_url"] is not None,
            "flag": row["flagged"] is not None,
            "preciserating": library.user_rating(row["my_rating"]),
            "rating": library.user_rating(row["my_rating"]),
            "averagerating": averages.get(row["id"]),
            "podcast_episode": episodes.get(row["id"], []),
        }
        for row in rows
    ]


def _with_episodes(ctx: Context) -> bool:
    return bool(ctx.params.include() & {"episodes", "1", "true"})


def _podcast_config(ctx: Context) -> Any:
    return ctx.config.podcast


# ------------------------------------------------------------------ actions


@action("podcasts", feature="podcast")
def podcasts(ctx: Context) -> ObjectList:
    page = standard_list(ctx.conn, PODCAST_SPEC, ctx.params)
    items = load_podcasts(ctx, page.page_ids, include_episodes=_with_episodes(ctx))
    return ObjectList(PODCAST, items, page.total, page.md5)


@action("podcast", feature="podcast")
def podcast(ctx: Context) -> Single:
    podcast_id = require_row(ctx, "podcast")
    items = load_podcasts(ctx, [podcast_id], include_episodes=_with_episodes(ctx))
    return Single(PODCAST, items[0])


@action("podcast_episodes", feature="podcast")
def podcast_episodes(ctx: Context) -> ObjectList:
    q = Query()
    raw = ctx.params.get("filter")
    if raw:
        if not raw.strip().isdigit() or ctx.conn.execute(
            "SELECT 1 FROM podcast WHERE id = ?", (int(raw),)
        ).fetchone() is None:
            raise BadRequest(raw, "system")  # Ampache: 4710 for an unknown podcast (§6.10)
        q.add("e.podcast_id = ?", int(raw))
    params = ctx.params.without("filter", "exact").with_default("sort", "pubdate,DESC")
    ids = select_ids(ctx.conn, EPISODE_SPEC, q, order_by(EPISODE_SPEC, params))
    page = paginate(ids, params.paging())
    return ObjectList(PODCAST_EPISODE, load_episodes(ctx, page.page_ids), page.total, page.md5)


@action("podcast_episode", feature="podcast")
def podcast_episode(ctx: Context) -> Single:
    episode_id = require_row(ctx, "podcast_episode")
    return Single(PODCAST_EPISODE, load_episodes(ctx, [episode_id])[0])


def _feed_failure(error: engine.FeedError, param: str) -> Exception:
    if isinstance(error, engine.FeedLibraryMissingError):
        return FeatureDisabled(f"podcast ({error})")
    return BadRequest(str(error), param)


@action("podcast_create", level=Level.CATALOG_MANAGER, feature="podcast",
        aliases=("podcasts_create",))
def podcast_create(ctx: Context) -> Single:
    url = ctx.params.required("url").strip()
    catalog_raw = ctx.params.required("catalog")
    if not engine.check_url(url):
        raise BadRequest(url, "url")
    if not catalog_raw.strip().isdigit():
        raise NotFound(catalog_raw, "catalog")
    row = ctx.conn.execute(
        "SELECT gather_types FROM catalog WHERE id = ?", (int(catalog_raw),)
    ).fetchone()
    if row is None:
        raise NotFound(catalog_raw, "catalog")
    if row["gather_types"] != "podcast":
        raise BadRequest(catalog_raw, "catalog")
    try:
        podcast_id = engine.create_podcast(ctx.db, url, int(catalog_raw), _podcast_config(ctx))
    except engine.FeedError as error:
        raise _feed_failure(error, "url") from None
    return Single(PODCAST, load_podcasts(ctx, [podcast_id])[0])


@action("podcast_edit", level=Level.CONTENT_MANAGER, feature="podcast",
        aliases=("podcasts_edit",))
def podcast_edit(ctx: Context) -> Success:
    podcast_id = require_row(ctx, "podcast")
    changes: dict[str, str] = {}
    # Parameter → column; a whitelist, so column names never come from the request.
    for param, column in (("feed", "feed_url"), ("title", "title"), ("website", "website"),
                          ("description", "description"), ("generator", "generator"),
                          ("copyright", "copyright")):
        value = ctx.params.get(param)
        if value is not None:
            changes[column] = value.strip()
    feed = changes.get("feed_url")
    if feed is not None and not engine.check_url(feed):
        raise BadRequest(feed, "feed")
    if "title" in changes and not changes["title"]:
        raise BadRequest("", "title")
    if changes:
        sets = ", ".join(f"{column} = ?" for column in changes)
        with ctx.db.writer() as conn:
            conn.execute(
                f"UPDATE podcast SET {sets}, updated = ? WHERE id = ?",  # noqa: S608
                (*changes.values(), int(time.time()), podcast_id),
            )
    return Success(f"podcast {podcast_id} updated")


@action("podcast_delete", level=Level.CATALOG_MANAGER, feature="podcast",
        aliases=("podcasts_delete",))
def podcast_delete(ctx: Context) -> Success:
    podcast_id = require_row(ctx, "podcast")
    now = int(time.time())
    with ctx.db.writer() as conn:
        ids = [r[0] for r in conn.execute(
            "SELECT id FROM podcast_episode WHERE podcast_id = ?", (podcast_id,)
        )]
        files = [engine.delete_episode(conn, i, now) for i in ids]
        conn.execute("DELETE FROM podcast WHERE id = ?", (podcast_id,))
    for path in files:
        engine.remove_file(path)
    return Success(f"podcast {podcast_id} deleted")


@action("podcast_episode_delete", level=Level.CATALOG_MANAGER, feature="podcast",
        aliases=("podcast_episodes_delete",))
def podcast_episode_delete(ctx: Context) -> Success:
    episode_id = require_row(ctx, "podcast_episode")
    with ctx.db.writer() as conn:
        path = engine.delete_episode(conn, episode_id, int(time.time()))
    engine.remove_file(path)
    return Success(f"podcast_episode {episode_id} deleted")


def _update_podcast(ctx: Context) -> Success:
    podcast_id = require_row(ctx, "podcast", "filter", "id")
    try:
        engine.refresh_podcast(ctx.db, podcast_id, _podcast_config(ctx))
    except engine.FeedError as error:
        raise _feed_failure(error, "podcast") from None
    return Success(f"Synced episodes for podcast: {podcast_id}")


action("update_podcast", level=Level.CONTENT_MANAGER, feature="podcast")(_update_podcast)
action("podcast_update", level=Level.CONTENT_MANAGER, feature="podcast",
       api6_only=True)(_update_podcast)


@action("deleted_podcast_episodes", feature="podcast")
def deleted_podcast_episodes(ctx: Context) -> ObjectList:
    ids = [r[0] for r in ctx.conn.execute(
        "SELECT id FROM deleted_podcast_episode ORDER BY delete_time, id"
    )]
    page = paginate(ids, ctx.params.paging())
    rows = ctx.conn.execute(
        "SELECT d.* FROM json_each(?) j JOIN deleted_podcast_episode d ON d.id = j.value"
        " ORDER BY j.key",
        (library.id_json(page.page_ids),),
    )
    items = [
        {
            "id": r["id"], "addition_time": r["addition_time"], "delete_time": r["delete_time"],
            "title": r["title"], "file": r["file"], "catalog": r["catalog_id"],
            "total_count": r["total_count"], "total_skip": r["total_skip"],
            "podcast": r["podcast_id"],
        }
        for r in rows
    ]
    return ObjectList(
        DELETED_PODCAST_EPISODE, items, page.total, page.md5,
        json_key="deleted_podcast_episode", xml_envelope=False,
    )


# ------------------------------------------------------------------ for /play


def media_path(
    conn: sqlite3.Connection, object_type: str, object_id: int
) -> tuple[str, str, str] | None:
    """(path, mime, format) of a downloaded episode, else None (not found or not on disk;
    `remote_source` then gives the feed's URL to redirect to)."""
    if object_type != "podcast_episode":
        return None
    row = conn.execute(
        "SELECT path, mime FROM podcast_episode WHERE id = ? AND state = 'completed'",
        (object_id,),
    ).fetchone()
    if row is None or not row["path"] or not os.path.isfile(row["path"]):
        return None
    fmt = row["path"].rsplit(".", 1)[-1].lower()
    return row["path"], engine.mime_for(row["path"], row["mime"]), fmt


def remote_source(conn: sqlite3.Connection, episode_id: int) -> str | None:
    """The enclosure URL of an episode that is not downloaded (stream it from there)."""
    row = conn.execute("SELECT source FROM podcast_episode WHERE id = ?", (episode_id,)).fetchone()
    return row["source"] if row is not None else None


# ------------------------------------------------------------------ registries


def _index_podcasts(ctx: Context, ids: list[int], include: bool) -> list[dict[str, Any]]:
    return load_podcasts(ctx, ids, include_episodes=include)


def _index_episodes(ctx: Context, ids: list[int], include: bool) -> list[dict[str, Any]]:
    return load_episodes(ctx, ids)


def _podcast_children(ctx: Context, ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    per_podcast = episode_ids(ctx.conn, ids)
    return {p: [(e, "podcast_episode") for e in eps] for p, eps in per_podcast.items()}


INDEX_TYPES["podcast"] = IndexType(
    PODCAST_SPEC, PODCAST, _index_podcasts, children=_podcast_children,
    name_keys=("name", "", "name"),
)
INDEX_TYPES["podcast_episode"] = IndexType(
    EPISODE_SPEC, PODCAST_EPISODE, _index_episodes, name_keys=("title", "", "title"),
)
RATEABLE.setdefault("podcast", "podcast")
RATEABLE.setdefault("podcast_episode", "podcast_episode")

SEARCH_TYPES["podcast"] = SearchType(
    "FROM podcast p", "p.id",
    {
        "title": RuleDef("text", "p.title"),
        "id": RuleDef("numeric", "p.id"),
        **_user_rules("podcast", "p"),
    },
    {"name": "title", "podcast_title": "title"},
    "p.title COLLATE NOCASE",
)
SEARCH_TYPES["podcast_episode"] = SearchType(
    "FROM podcast_episode e", "e.id",
    {
        "title": RuleDef("text", "e.title"),
        "podcast": RuleDef("text", "(SELECT title FROM podcast WHERE id = e.podcast_id)"),
        "time": RuleDef("numeric", "e.time", scale=60.0),
        "state": RuleDef("text", "e.state"),
        "pubdate": RuleDef("date", "e.pubdate"),
        "added": RuleDef("date", "e.added"),
        "id": RuleDef("numeric", "e.id"),
        **_user_rules("podcast_episode", "e"),
    },
    {"name": "title", "podcast_episode_title": "title", "podcast_title": "podcast"},
    "e.pubdate DESC",
)
RESULT_TYPES["podcast"] = (PODCAST, load_podcasts)
RESULT_TYPES["podcast_episode"] = (PODCAST_EPISODE, load_episodes)

