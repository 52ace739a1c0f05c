"""get_indexes, list, index and browse: quick whole-library listings (spec §6.3).

Each listable type is one `IndexType` entry; features that add object types (playlists,
podcasts, videos …) register theirs in `INDEX_TYPES`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import library
from ..errors import BadRequest, MissingParameter, NotFound
from ..listing import (
    ENABLED_SONG,
    ListSpec,
    Page,
    Query,
    is_visible,
    order_by,
    paginate,
    select_ids,
    standard_list,
)
from ..objects import (
    ALBUM,
    ALBUM_INDEX_XML,
    ARTIST,
    ARTIST_INDEX_XML,
    BROWSE_ITEM,
    CATALOG,
    LIST_ITEM,
    SONG,
    SONG_INDEX_XML,
)
from ..registry import Context, action
from ..shapes import IdIndex, ObjectList, Shape
from .catalogs import CATALOG_SPEC, load_catalogs

Loader = Callable[[Context, list[int], bool], list[dict[str, Any]]]
Children = Callable[[Context, list[int]], dict[int, list[tuple[int, str]]]]


@dataclass(frozen=True, slots=True)
class IndexType:
    spec: ListSpec
    shape: Shape
    load: Loader  # (ctx, ids, include) → full items
    xml_shape: Shape | None = None  # condensed get_indexes XML form
    condensed_with_include: bool = False  # XML keeps xml_shape even with include (playlists)
    where: tuple[str, ...] = ()  # extra fixed conditions
    children: Children | None = None  # index include=1
    json_key: str | None = None
    name_keys: tuple[str, str, str] = ("name", "prefix", "basename")
    scope: Callable[[Context, Query], None] | None = None  # per-caller conditions (visibility)


def _songs(ctx: Context, ids: list[int], include: bool) -> list[dict[str, Any]]:
    return library.load_songs(ctx, ids)


def _albums(ctx: Context, ids: list[int], include: bool) -> list[dict[str, Any]]:
    return library.load_albums(ctx, ids, include_tracks=include)


def _artists(ctx: Context, ids: list[int], include: bool) -> list[dict[str, Any]]:
    items = library.load_artists(ctx, ids, include_albums=include, include_songs=include)
    refs = library.artist_album_refs(ctx, ids)
    for item in items:
        item["album_refs"] = refs.get(item["id"], [])
    return items


def _catalogs(ctx: Context, ids: list[int], include: bool) -> list[dict[str, Any]]:
    return load_catalogs(ctx, ids)


def _album_children(ctx: Context, ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    per_album = library.album_song_ids(ctx.conn, ids)
    seen = set(library.visible_ids(ctx.conn, "song", [s for x in per_album.values() for s in x]))
    return {a: [(s, "song") for s in songs if s in seen] for a, songs in per_album.items()}


def _artist_children(ctx: Context, ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    per_artist = library.artist_album_ids(ctx.conn, ids)
    seen = set(library.visible_ids(ctx.conn, "album", [x for a in per_artist.values() for x in a]))
    return {a: [(x, "album") for x in albums if x in seen] for a, albums in per_artist.items()}


INDEX_TYPES: dict[str, IndexType] = {
    "song": IndexType(
        library.SONG_SPEC, SONG, _songs, SONG_INDEX_XML, (ENABLED_SONG,),
        name_keys=("title", "", "title"),
    ),
    "album": IndexType(library.ALBUM_SPEC, ALBUM, _albums, ALBUM_INDEX_XML,
                       children=_album_children),
    "artist": IndexType(library.ARTIST_SPEC, ARTIST, _artists, ARTIST_INDEX_XML,
                        children=_artist_children),
    "album_artist": IndexType(
        library.ARTIST_SPEC, ARTIST, _artists, ARTIST_INDEX_XML, ("ar.album_count > 0",),
        children=_artist_children, json_key="artist",
    ),
    "song_artist": IndexType(
        library.ARTIST_SPEC, ARTIST, _artists, ARTIST_INDEX_XML, ("ar.song_count > 0",),
        children=_artist_children, json_key="artist",
    ),
    "catalog": IndexType(CATALOG_SPEC, CATALOG, _catalogs),
}


def _index_type(ctx: Context) -> tuple[str, IndexType]:
    raw = ctx.params.get("type")
    if raw is None or raw == "":
        raise MissingParameter("type")
    kind = raw.strip().lower()
    entry = INDEX_TYPES.get(kind)
    if entry is None:
        raise BadRequest(kind, "type")
    return kind, entry


def _page(ctx: Context, entry: IndexType) -> Page:
    q = Query()
    for clause in entry.where:
        q.add(clause)
    if entry.scope is not None:
        entry.scope(ctx, q)
    return standard_list(ctx.conn, entry.spec, ctx.params, q)


def _include(ctx: Context) -> bool:
    return bool(ctx.params.include())


@action("get_indexes")
def get_indexes(ctx: Context) -> ObjectList:
    _kind, entry = _index_type(ctx)
    page = _page(ctx, entry)
    include = _include(ctx)
    items = entry.load(ctx, page.page_ids, include)
    # With include, Ampache's XML turns to full objects — except playlists, whose condensed
    # form gains the tracks inline (example "get_indexes (playlist with include)").
    xml_shape = entry.xml_shape if not include or entry.condensed_with_include else None
    return ObjectList(
        entry.shape, items, page.total, page.md5,
        json_key=entry.json_key, xml_shape=xml_shape,
    )


@action("index", api6_only=True)
def index(ctx: Context) -> IdIndex:
    kind, entry = _index_type(ctx)
    page = _page(ctx, entry)
    children = None
    if _include(ctx) and entry.children is not None:
        children = entry.children(ctx, page.page_ids)
    return IdIndex(kind, page.page_ids, page.total, page.md5, children)


def name_items(ctx: Context, entry: IndexType, ids: list[int]) -> list[dict[str, Any]]:
    """{id, name, prefix, basename} per object: name is the full display name."""
    name_key, prefix_key, base_key = entry.name_keys
    items = []
    for item in entry.load(ctx, ids, False):
        prefix = item.get(prefix_key) if prefix_key else None
        items.append(
            {
                "id": item["id"],
                "name": item[name_key],
                "prefix": prefix,
                "basename": item.get(base_key) or item[name_key],
            }
        )
    return items


@action("list", api6_only=True)
def list_(ctx: Context) -> ObjectList:
    _kind, entry = _index_type(ctx)
    page = _page(ctx, entry)
    return ObjectList(LIST_ITEM, name_items(ctx, entry, page.page_ids), page.total, page.md5)


# ----------------------------------------------------------------- browse

BROWSE_TYPES = ("root", "catalog", "artist", "album_artist", "album", "podcast")


def _browse_list(
    ctx: Context, entry: IndexType, q: Query, params_without_filter: Any
) -> tuple[list[dict[str, Any]], Page]:
    ids = select_ids(ctx.conn, entry.spec, q, order_by(entry.spec, params_without_filter))
    page = paginate(ids, params_without_filter.paging())
    return name_items(ctx, entry, page.page_ids), page


def _exists(ctx: Context, table: str, object_id: int) -> bool:
    """Row `object_id` of `table` exists and this user may see it (issue 9)."""
    # table is a literal from browse below, never request input.
    row = ctx.conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (object_id,)).fetchone()  # noqa: S608
    return row is not None and is_visible(ctx.conn, table, object_id)


@action("browse", api6_only=True)
def browse(ctx: Context) -> ObjectList:
    params = ctx.params
    kind = (params.get("type") or "root").strip().lower()
    if kind not in BROWSE_TYPES:
        raise BadRequest(kind, "type")
    plain = params.without("filter", "exact")
    q = Query()
    catalog_id: str = ""
    parent_id: str = ""
    if kind == "root":
        entry, child = INDEX_TYPES["catalog"], "catalog"
        q.add("c.enabled = 1")
    elif kind == "catalog":
        parent = params.object_id("filter")
        row = ctx.conn.execute(
            "SELECT gather_types FROM catalog WHERE id = ?", (parent,)
        ).fetchone()
        if row is None or not is_visible(ctx.conn, "catalog", parent):
            raise NotFound(parent, "filter")
        if row["gather_types"] != "music":
            raise BadRequest(row["gather_types"], "catalog")
        entry, child = INDEX_TYPES["album_artist"], "artist"
        q.add("ar.id IN (SELECT al.album_artist_id FROM album al WHERE al.catalog_id = ?)", parent)
        parent_id = str(parent)
    elif kind in ("artist", "album_artist"):
        catalog = params.object_id("catalog")
        parent = params.object_id("filter")
        if not _exists(ctx, "artist", parent):
            raise NotFound(parent, "filter")
        entry, child = INDEX_TYPES["album"], "album"
        q.add("al.album_artist_id = ? AND al.catalog_id = ?", parent, catalog)
        catalog_id, parent_id = str(catalog), str(parent)
    elif kind == "album":
        catalog = params.object_id("catalog")
        parent = params.object_id("filter")
        if not _exists(ctx, "album", parent):
            raise NotFound(parent, "filter")
        entry, child = INDEX_TYPES["song"], "song"
        q.add("s.album_id = ? AND s.enabled = 1", parent)
        catalog_id, parent_id = str(catalog), str(parent)
        plain = plain.with_default("sort", "album_disk")
    else:  # podcast: its feature registers a catalog type of its own
        raise BadRequest(kind, "type")
    items, page = _browse_list(ctx, entry, q, plain)
    head = (
        ("catalog_id", catalog_id),
        ("parent_id", parent_id),
        ("parent_type", kind),
        ("child_type", child),
    )
    return ObjectList(BROWSE_ITEM, items, page.total, page.md5, head=head)
