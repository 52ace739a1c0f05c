"""Genres and what they hold (spec §6.2); the API4 `tag*` names answer 4706 in dispatch."""

from __future__ import annotations

from .. import library
from ..listing import ENABLED_SONG, Query, standard_list
from ..objects import ALBUM, ARTIST, GENRE
from ..registry import Context, action
from ..shapes import ObjectList, Single
from .browse import object_list, require_row, song_list


@action("genres")
def genres(ctx: Context) -> ObjectList:
    page = standard_list(ctx.conn, library.GENRE_SPEC, ctx.params)
    return object_list(GENRE, library.load_genres(ctx, page.page_ids), page)


@action("genre")
def genre(ctx: Context) -> Single:
    genre_id = require_row(ctx, "genre")
    return Single(GENRE, library.load_genres(ctx, [genre_id])[0])


@action("genre_artists")
def genre_artists(ctx: Context) -> ObjectList:
    genre_id = require_row(ctx, "genre")
    q = Query()
    q.add("ar.id IN (SELECT artist_id FROM artist_genre WHERE genre_id = ?)", genre_id)
    page = standard_list(ctx.conn, library.ARTIST_SPEC, ctx.params.without("filter"), q)
    return object_list(ARTIST, library.load_artists(ctx, page.page_ids), page)


@action("genre_albums")
def genre_albums(ctx: Context) -> ObjectList:
    genre_id = require_row(ctx, "genre")
    q = Query()
    q.add("al.id IN (SELECT album_id FROM album_genre WHERE genre_id = ?)", genre_id)
    page = standard_list(ctx.conn, library.ALBUM_SPEC, ctx.params.without("filter"), q)
    return object_list(ALBUM, library.load_albums(ctx, page.page_ids), page)


@action("genre_songs")
def genre_songs(ctx: Context) -> ObjectList:
    genre_id = require_row(ctx, "genre")
    q = Query()
    q.add(ENABLED_SONG)
    q.add("s.id IN (SELECT song_id FROM song_genre WHERE genre_id = ?)", genre_id)
    page = standard_list(ctx.conn, library.SONG_SPEC, ctx.params.without("filter"), q)
    return song_list(ctx, page)
