"""Artists, albums and songs: the lists and single objects clients browse (spec §6.2)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from .. import library
from ..errors import BadRequest, NotFound
from ..listing import (
    ENABLED_SONG,
    Page,
    Query,
    is_visible,
    order_by,
    paginate,
    select_ids,
    standard_list,
)
from ..objects import ALBUM, ARTIST, SONG
from ..params import Params
from ..registry import Context, action
from ..shapes import ObjectList, Shape, Single


def object_list(shape: Shape, items: list, page: Page) -> ObjectList:
    return ObjectList(shape, items, page.total, page.md5)


def require_row(ctx: Context, table: str, param: str = "filter", *aliases: str) -> int:
    """The id named by `param` (or an alias) if that row exists, else 4704.

    A row outside a catalog-restricted user's catalogs does not exist for them (issue 9)."""
    object_id = ctx.params.object_id(param, *aliases)
    # table is a literal chosen by the calling action, never request input.
    row = ctx.conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (object_id,)).fetchone()  # noqa: S608
    if row is None or not is_visible(ctx.conn, table, object_id):
        raise NotFound(object_id, param)
    return object_id


def artist_includes(params: Params) -> tuple[bool, bool]:
    include = params.include()
    both = "1" in include or "true" in include
    return both or "albums" in include, both or "songs" in include


def album_includes_tracks(params: Params) -> bool:
    return bool(params.include() & {"songs", "1", "true", "tracks"})


def song_list(ctx: Context, page: Page) -> ObjectList:
    return object_list(SONG, library.song_page(ctx, page.page_ids), page)


@action("artists")
def artists(ctx: Context) -> ObjectList:
    q = Query()
    if ctx.params.flag("album_artist"):
        q.add("ar.album_count > 0")
    page = standard_list(ctx.conn, library.ARTIST_SPEC, ctx.params, q)
    with_albums, with_songs = artist_includes(ctx.params)
    items = library.load_artists(
        ctx, page.page_ids, include_albums=with_albums, include_songs=with_songs
    )
    return object_list(ARTIST, items, page)


@action("artist")
def artist(ctx: Context) -> Single:
    artist_id = require_row(ctx, "artist")
    with_albums, with_songs = artist_includes(ctx.params)
    items = library.load_artists(
        ctx, [artist_id], include_albums=with_albums, include_songs=with_songs
    )
    return Single(ARTIST, items[0])


@action("artist_albums")
def artist_albums(ctx: Context) -> ObjectList:
    artist_id = require_row(ctx, "artist")
    q = Query()
    if ctx.params.flag("album_artist"):
        q.add("al.album_artist_id = ?", artist_id)
    else:
        q.add(
            "al.album_artist_id = ? OR al.id IN (SELECT s.album_id FROM song_artist sa"
            " JOIN song s ON s.id = sa.song_id WHERE sa.artist_id = ?)",
            artist_id,
            artist_id,
        )
    page = standard_list(ctx.conn, library.ALBUM_SPEC, _without_filter(ctx.params), q)
    return object_list(ALBUM, library.load_albums(ctx, page.page_ids), page)


@action("artist_songs")
def artist_songs(ctx: Context) -> ObjectList:
    artist_id = require_row(ctx, "artist")
    q = Query()
    q.add(ENABLED_SONG)
    q.add("s.id IN (SELECT song_id FROM song_artist WHERE artist_id = ?)", artist_id)
    params = _without_filter(ctx.params)
    if ctx.params.flag("top50"):
        ids = [
            r[0]
            for r in ctx.conn.execute(
                "SELECT s.id FROM song s JOIN song_artist sa ON sa.song_id = s.id"
                " LEFT JOIN play_count pc ON pc.object_type = 'song' AND pc.object_id = s.id"
                " WHERE sa.artist_id = ? AND s.enabled = 1"
                " ORDER BY COALESCE(pc.plays, 0) DESC, s.title COLLATE NOCASE LIMIT 50",
                (artist_id,),
            )
        ]
        return song_list(ctx, paginate(ids, params.paging()))
    return song_list(ctx, standard_list(ctx.conn, library.SONG_SPEC, params, q))


@action("albums")
def albums(ctx: Context) -> ObjectList:
    page = standard_list(ctx.conn, library.ALBUM_SPEC, ctx.params)
    items = library.load_albums(
        ctx, page.page_ids, include_tracks=album_includes_tracks(ctx.params)
    )
    return object_list(ALBUM, items, page)


@action("album")
def album(ctx: Context) -> Single:
    album_id = require_row(ctx, "album")
    items = library.load_albums(
        ctx, [album_id], include_tracks=album_includes_tracks(ctx.params)
    )
    return Single(ALBUM, items[0], json_wrap_api5=True)


@action("album_songs")
def album_songs(ctx: Context) -> ObjectList:
    album_id = require_row(ctx, "album")
    q = Query()
    q.add(ENABLED_SONG)
    q.add("s.album_id = ?", album_id)
    params = _without_filter(ctx.params)
    spec = library.SONG_SPEC
    ids = select_ids(ctx.conn, spec, q, order_by(spec, params, default="album_disk"))
    return song_list(ctx, paginate(ids, params.paging()))


@action("songs")
def songs(ctx: Context) -> ObjectList:
    q = Query()
    q.add(ENABLED_SONG)
    return song_list(ctx, standard_list(ctx.conn, library.SONG_SPEC, ctx.params, q))


@action("song")
def song(ctx: Context) -> Single:
    song_id = require_row(ctx, "song")
    return Single(SONG, library.load_songs(ctx, [song_id])[0])


@action("url_to_song")
def url_to_song(ctx: Context) -> Single:
    url = ctx.params.required("url", "filter")
    query = parse_qs(urlsplit(url).query)
    oid = (query.get("oid") or query.get("id") or [""])[0]
    if not oid.isdigit():
        raise BadRequest(url, "url")
    items = library.load_songs(ctx, [int(oid)])
    if not items:
        raise NotFound(oid, "url")
    return Single(SONG, items[0])


def _without_filter(params: Params) -> Params:
    """Child lists use `filter` as the parent id, so it must not also filter by name."""
    return params.without("filter", "exact")
