"""Library rows → wire items: songs, albums, artists, genres, loaded a page at a time.

Each loader takes ids in response order and issues a fixed number of queries for the whole
page (rows, then genres, artists, average ratings), never one per row. The ids travel as one
JSON array bound to `json_each`, so a 5,000-id page is still a single statement.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from ..accounts import stream_token
from ..db import play_name
from .listing import ListSpec, catalog_scope, scope_clause
from .registry import Context
from .sqlrender import Ref, RefList, Source, SqlPage

# ------------------------------------------------------------------ list specs (whitelists)

SONG_SPEC = ListSpec(
    base="FROM song s",
    # song.album_id/artist_id are NOT NULL foreign keys: these joins never drop a row.
    joins={"al": "JOIN album al ON al.id = s.album_id",
           "ar": "JOIN artist ar ON ar.id = s.artist_id"},
    id_column="s.id",
    name_column="s.title",
    scope="song",
    sorts={
        "title": "s.title COLLATE NOCASE",
        "name": "s.title COLLATE NOCASE",
        "id": "s.id",
        "track": "s.track",
        "album_disk": "al.basename COLLATE NOCASE, s.disk, s.track",
        "album": "al.basename COLLATE NOCASE, s.disk, s.track",
        "artist": "ar.basename COLLATE NOCASE",
        "year": "s.year",
        "time": "s.time",
        "addition_time": "s.added",
        "update_time": "s.updated",
        "composer": "s.composer COLLATE NOCASE",
        "catalog": "s.catalog_id",
        "rand": "RANDOM()",
    },
    default_sort="title",
    added_column="s.added",
    updated_column="s.updated",
    conds={
        "add_gt": "s.added > ?",
        "add_lt": "s.added < ?",
        "update_gt": "s.updated > ?",
        "update_lt": "s.updated < ?",
        "album": "s.album_id = ?",
        "artist": "s.id IN (SELECT song_id FROM song_artist WHERE artist_id = ?)",
        "catalog": "s.catalog_id = ?",
        "genre": "s.id IN (SELECT song_id FROM song_genre WHERE genre_id = ?)",
        "like": "fold(s.title) LIKE ? ESCAPE '\\'",
        "alpha_match": "fold(s.title) LIKE ? ESCAPE '\\'",
        "equal": "fold(s.title) = fold(?)",
        "exact_match": "fold(s.title) = fold(?)",
        "enabled": "s.enabled = ?",
    },
)

ALBUM_SPEC = ListSpec(
    base="FROM album al",
    joins={"aa": "LEFT JOIN artist aa ON aa.id = al.album_artist_id"},
    id_column="al.id",
    name_column="al.name",
    scope="album",
    sorts={
        "name": "al.basename COLLATE NOCASE",
        "title": "al.basename COLLATE NOCASE",
        "name_year": "al.basename COLLATE NOCASE, al.year",
        "name_original_year": "al.basename COLLATE NOCASE, al.year",
        "year": "al.year",
        "original_year": "al.year",
        "id": "al.id",
        "artist": "aa.basename COLLATE NOCASE, al.year",
        "album_artist": "aa.basename COLLATE NOCASE, al.year",
        "album_artist_title": "aa.basename COLLATE NOCASE, al.basename COLLATE NOCASE",
        "song_count": "al.song_count",
        "disk_count": "al.disk_count",
        "time": "al.time",
        "catalog": "al.catalog_id",
        "rand": "RANDOM()",
    },
    default_sort="name_year",
    added_column="al.added",
    updated_column="al.updated",
    conds={
        "add_gt": "al.added > ?",
        "add_lt": "al.added < ?",
        "update_gt": "al.updated > ?",
        "update_lt": "al.updated < ?",
        "album_artist": "al.album_artist_id = ?",
        "artist": "al.album_artist_id = ?",
        "catalog": "al.catalog_id = ?",
        "genre": "al.id IN (SELECT album_id FROM album_genre WHERE genre_id = ?)",
        "like": "fold(al.name) LIKE ? ESCAPE '\\'",
        "alpha_match": "fold(al.name) LIKE ? ESCAPE '\\'",
        "equal": "fold(al.name) = fold(?)",
        "exact_match": "fold(al.name) = fold(?)",
    },
)

ARTIST_SPEC = ListSpec(
    base="FROM artist ar",
    id_column="ar.id",
    name_column="ar.name",
    scope="artist",
    sorts={
        "name": "ar.basename COLLATE NOCASE",
        "title": "ar.basename COLLATE NOCASE",
        "id": "ar.id",
        "album_count": "ar.album_count",
        "song_count": "ar.song_count",
        "time": "ar.time",
        "yearformed": "ar.yearformed",
        "placeformed": "ar.placeformed",
        "rand": "RANDOM()",
    },
    default_sort="name",
    added_column="ar.added",
    updated_column="ar.updated",
    conds={
        "add_gt": "ar.added > ?",
        "add_lt": "ar.added < ?",
        "update_gt": "ar.updated > ?",
        "update_lt": "ar.updated < ?",
        "genre": "ar.id IN (SELECT artist_id FROM artist_genre WHERE genre_id = ?)",
        "album_artist": "ar.album_count > 0",
        "song_artist": "ar.song_count > 0",
        "like": "fold(ar.name) LIKE ? ESCAPE '\\'",
        "alpha_match": "fold(ar.name) LIKE ? ESCAPE '\\'",
        "equal": "fold(ar.name) = fold(?)",
        "exact_match": "fold(ar.name) = fold(?)",
    },
)

GENRE_SPEC = ListSpec(
    base="FROM genre g",
    id_column="g.id",
    name_column="g.name",
    scope="genre",
    sorts={"name": "g.name COLLATE NOCASE", "id": "g.id", "rand": "RANDOM()"},
    default_sort="name",
    conds={
        "like": "fold(g.name) LIKE ? ESCAPE '\\'",
        "equal": "fold(g.name) = fold(?)",
        "exact_match": "fold(g.name) = fold(?)",
    },
)

# ------------------------------------------------------------------ helpers


def ref(obj_id: Any, name: str, prefix: str | None, basename: str | None) -> dict[str, Any]:
    return {"id": obj_id, "name": name, "prefix": prefix, "basename": basename or name}


def id_json(ids: Sequence[int]) -> str:
    return json.dumps(list(ids))


class UrlBuilder:
    """Play and art URLs for one request: the user's stream token, never the session."""

    def __init__(self, ctx: Context) -> None:
        self.base = ctx.base_url
        self.uid = ctx.user_id if ctx.user is not None else 0
        self.ssid = stream_token(ctx.db, ctx.user) if ctx.user is not None else ""

    def play(self, kind: str, oid: int, artist: str, title: str, ext: str) -> str:
        head, tail = self._play_parts(kind)
        return f"{head}{oid}{tail}{play_name(artist, title, ext)}"

    def art(self, kind: str, oid: int) -> str:
        head, tail = self._art_parts(kind)
        return f"{head}{oid}{tail}"

    def sql_params(self, kind: str, art_kind: str) -> dict[str, str]:
        """The fixed parts of `play` and `art`, bound around ids in SQL (a Source's columns)."""
        play_head, play_tail = self._play_parts(kind)
        art_head, art_tail = self._art_parts(art_kind)
        return {"play_head": play_head, "play_tail": play_tail,
                "art_head": art_head, "art_tail": art_tail}

    def _play_parts(self, kind: str) -> tuple[str, str]:
        """A play URL around its object id; the play name follows the tail."""
        return (f"{self.base}/play/index.php?ssid={self.ssid}&type={kind}&oid=",
                f"&uid={self.uid}&player=api&name=")

    def _art_parts(self, kind: str) -> tuple[str, str]:
        return f"{self.base}/image.php?object_id=", f"&object_type={kind}&name=art.jpg"


def url_builder(ctx: Context) -> UrlBuilder:
    builder = ctx.cache.get("urls")
    if builder is None:
        builder = ctx.cache["urls"] = UrlBuilder(ctx)
    return builder


def average_ratings(conn: sqlite3.Connection, kind: str, ids: str) -> dict[int, float]:
    rows = conn.execute(
        "SELECT object_id, AVG(rating) FROM rating WHERE object_type = ?"
        " AND object_id IN (SELECT value FROM json_each(?)) GROUP BY object_id",
        (kind, ids),
    )
    return {r[0]: round(r[1], 1) for r in rows}


def _genres(conn: sqlite3.Connection, table: str, column: str, ids: str) -> dict[int, list]:
    # table/column are fixed literals from the callers below, never request input.
    rows = conn.execute(
        f"SELECT x.{column}, g.id, g.name FROM {table} x JOIN genre g ON g.id = x.genre_id"  # noqa: S608
        f" WHERE x.{column} IN (SELECT value FROM json_each(?)) ORDER BY g.name",
        (ids,),
    )
    found: dict[int, list] = defaultdict(list)
    for owner, gid, name in rows:
        found[owner].append({"id": gid, "name": name})
    return found


def visible_ids(conn: sqlite3.Connection, table: str, ids: Sequence[int]) -> Sequence[int]:
    """`ids` without the rows a catalog-restricted user may not see (issue 9), in order.

    Unrestricted requests get `ids` back untouched, without a query."""
    found = scope_clause(table, "t")
    if found is None or not ids:
        return ids
    clause, values = found
    # table is a literal from the loaders below, never request input.
    rows = conn.execute(
        f"SELECT t.id FROM json_each(?) j JOIN {table} t ON t.id = j.value"  # noqa: S608
        f" WHERE {clause} ORDER BY j.key",
        (id_json(ids), *values),
    )
    return [r[0] for r in rows]


def _dict_rows(conn: sqlite3.Connection, sql: str, args: Any) -> list[dict[str, Any]]:
    """Rows as plain dicts: sqlite3.Row looks a name up by scanning all ~60 columns, which
    made building a 5,000-song page cost more than rendering it (scripts/bench)."""
    cursor = conn.cursor()
    cursor.row_factory = None
    cursor.execute(sql, args)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def user_rating(value: Any) -> int | None:
    return None if value is None else int(value)


# ------------------------------------------------------------------ songs

# What a song item is, key by key, as SQL: load_songs reads it into dicts, song_page renders
# whole pages from it inside SQLite (api/sqlrender.py). Keys follow the SONG field table.
SONG_SOURCE = Source(
    row_id="s.id",
    tables="""
FROM json_each(:ids) j
JOIN song s ON s.id = j.value
JOIN album al ON al.id = s.album_id
JOIN artist ar ON ar.id = s.artist_id
LEFT JOIN artist aa ON aa.id = al.album_artist_id
LEFT JOIN flag f ON f.user_id = :uid AND f.object_type = 'song' AND f.object_id = s.id
LEFT JOIN rating r ON r.object_type = 'song' AND r.object_id = s.id AND r.user_id = :uid
LEFT JOIN play_count pc ON pc.object_type = 'song' AND pc.object_id = s.id
LEFT JOIN song_license sl ON sl.song_id = s.id
LEFT JOIN license lic ON lic.id = sl.license_id""",
    columns={
        "id": "s.id",
        "title": "s.title",
        "name": "s.title",
        "artist": Ref.named("s.artist_id", "ar"),
        "artists": RefList(
            "song_artist sa JOIN artist a ON a.id = sa.artist_id", "sa.song_id",
            Ref.named("a.id", "a"), "sa.position", fallback="artist",
        ),
        "album": Ref.named("s.album_id", "al"),
        "albumartist": Ref.named("al.album_artist_id", "aa"),
        "disk": "s.disk",
        "disksubtitle": "s.disksubtitle",
        "track": "s.track",
        "filename": "s.path",
        "genre": RefList("song_genre sg JOIN genre g ON g.id = sg.genre_id", "sg.song_id",
                         Ref("g.id", "g.name"), "g.name"),
        "playlisttrack": "j.key + :first_track",  # the position in the answer (or playlist)
        "time": "s.time",
        "year": "s.year",
        "format": "s.format",
        "stream_format": "s.format",
        "bitrate": "s.bitrate",
        "stream_bitrate": "s.bitrate",
        "rate": "s.rate",
        "mode": "s.mode",
        "mime": "s.mime",
        "stream_mime": "s.mime",
        "url": "(:play_head || s.id || :play_tail"
               " || coalesce(s.url_name, play_name(ar.name, s.title, s.format)))",
        "size": "s.size",
        "mbid": "s.mbid",
        "album_mbid": "s.album_mbid",
        "artist_mbid": "s.artist_mbid",
        "albumartist_mbid": "s.albumartist_mbid",
        "art": "(:art_head || s.album_id || :art_tail)",
        "has_art": "(s.has_art OR al.art_path IS NOT NULL OR al.art_song_id IS NOT NULL)",
        "flag": "(f.date IS NOT NULL)",
        "preciserating": "r.rating",
        "rating": "r.rating",
        # Whole averages as integers (a NUMBER); the aggregate runs once per row.
        "averagerating": "(SELECT CASE WHEN a = CAST(a AS INTEGER) THEN CAST(a AS INTEGER)"
                         " ELSE a END FROM (SELECT round(avg(x.rating), 1) AS a FROM rating x"
                         " WHERE x.object_type = 'song' AND x.object_id = s.id))",
        "playcount": "coalesce(pc.plays, 0)",
        "catalog": "s.catalog_id",
        "composer": "s.composer",
        "channels": "s.channels",
        "comment": "s.comment",
        "license": "NULLIF(lic.external_link, '')",
        "publisher": "s.publisher",
        "language": "s.language",
        "lyrics": "s.lyrics",
        "replaygain_album_gain": "s.replaygain_album_gain",
        "replaygain_album_peak": "s.replaygain_album_peak",
        "replaygain_track_gain": "s.replaygain_track_gain",
        "replaygain_track_peak": "s.replaygain_track_peak",
        "r128_album_gain": "s.r128_album_gain",
        "r128_track_gain": "s.r128_track_gain",
    },
    verbatim=frozenset({"url", "art"}),
)


def _song_params(ctx: Context, first_track: int = 1) -> dict[str, Any]:
    return {"uid": ctx.user_id, "first_track": first_track,
            **url_builder(ctx).sql_params("song", "album")}


def song_page(ctx: Context, ids: Sequence[int], first_track: int = 1) -> SqlPage:
    """A page of songs for an answer, rendered inside SQLite unless something reads it.
    `first_track` is the first song's `playlisttrack` (a playlist page's offset + 1)."""
    return SqlPage(ctx.conn, SONG_SOURCE, visible_ids(ctx.conn, "song", ids),
                   _song_params(ctx, first_track))


def load_songs(ctx: Context, ids: Sequence[int]) -> list[dict[str, Any]]:
    """Full song items for `ids`, in that order (missing and hidden ids are skipped)."""
    return song_page(ctx, ids).items


# ------------------------------------------------------------------ albums

_ALBUM_SQL = """
SELECT al.*, aa.name AS aa_name, aa.prefix AS aa_prefix, aa.basename AS aa_basename,
       (al.art_path IS NOT NULL OR al.art_song_id IS NOT NULL) AS has_art,
       f.date AS flagged, r.rating AS my_rating
FROM json_each(:ids) j
JOIN album al ON al.id = j.value
LEFT JOIN artist aa ON aa.id = al.album_artist_id
LEFT JOIN flag f ON f.user_id = :uid AND f.object_type = 'album' AND f.object_id = al.id
LEFT JOIN rating r ON r.object_type = 'album' AND r.object_id = al.id AND r.user_id = :uid
ORDER BY j.key
"""


def album_song_ids(conn: sqlite3.Connection, album_ids: Sequence[int]) -> dict[int, list[int]]:
    """Song ids of each album in disc, then track order (Decision 18)."""
    found: dict[int, list[int]] = defaultdict(list)
    for album_id, song_id in conn.execute(
        "SELECT album_id, id FROM song WHERE album_id IN (SELECT value FROM json_each(?))"
        " AND enabled = 1 ORDER BY album_id, disk, track, title COLLATE NOCASE",
        (id_json(album_ids),),
    ):
        found[album_id].append(song_id)
    return found


def load_albums(
    ctx: Context, ids: Sequence[int], *, include_tracks: bool = False
) -> list[dict[str, Any]]:
    conn = ctx.conn
    ids = visible_ids(conn, "album", ids)
    if not ids:
        return []
    ids_text = id_json(ids)
    rows = _dict_rows(conn, _ALBUM_SQL, {"ids": ids_text, "uid": ctx.user_id})
    genres = _genres(conn, "album_genre", "album_id", ids_text)
    averages = average_ratings(conn, "album", ids_text)
    song_artists: dict[int, list] = defaultdict(list)
    for album_id, aid, name, prefix, basename in conn.execute(
        "SELECT DISTINCT s.album_id, a.id, a.name, a.prefix, a.basename FROM song s"
        " JOIN song_artist sa ON sa.song_id = s.id JOIN artist a ON a.id = sa.artist_id"
        " WHERE s.album_id IN (SELECT value FROM json_each(?)) ORDER BY s.album_id, a.name",
        (ids_text,),
    ):
        song_artists[album_id].append(ref(aid, name, prefix, basename))
    tracks: dict[int, list] = {}
    if include_tracks:
        per_album = album_song_ids(conn, ids)
        songs = {s["id"]: s for s in load_songs(ctx, [i for a in ids for i in per_album[a]])}
        for album_id, song_ids in per_album.items():
            tracks[album_id] = [songs[i] for i in song_ids if i in songs]
    urls = url_builder(ctx)
    items = []
    for row in rows:
        album_id = row["id"]
        album_artist = (
            ref(row["album_artist_id"], row["aa_name"], row["aa_prefix"], row["aa_basename"])
            if row["album_artist_id"] is not None
            else None
        )
        items.append(
            {
                "id": album_id,
                "name": row["name"],
                "prefix": row["prefix"],
                "basename": row["basename"],
                "artist": album_artist,
                "artists": [album_artist] if album_artist else [],
                "songartists": song_artists.get(album_id, []),
                "time": row["time"],
                "year": row["year"],
                "tracks": tracks.get(album_id, []),
                "songcount": row["song_count"],
                "diskcount": row["disk_count"],
                "type": row["release_type"],
                "genre": genres.get(album_id, []),
                "art": urls.art("album", album_id),
                "has_art": bool(row["has_art"]),
                "flag": row["flagged"] is not None,
                "preciserating": user_rating(row["my_rating"]),
                "rating": user_rating(row["my_rating"]),
                "averagerating": averages.get(album_id),
                "mbid": row["mbid"],
                "mbid_group": row["mbid_group"],
            }
        )
    return items


# ------------------------------------------------------------------ artists

_ARTIST_SQL = """
SELECT ar.*, f.date AS flagged, r.rating AS my_rating,
       EXISTS (SELECT 1 FROM album al WHERE al.album_artist_id = ar.id
               AND (al.art_path IS NOT NULL OR al.art_song_id IS NOT NULL)) AS has_art
FROM json_each(:ids) j
JOIN artist ar ON ar.id = j.value
LEFT JOIN flag f ON f.user_id = :uid AND f.object_type = 'artist' AND f.object_id = ar.id
LEFT JOIN rating r ON r.object_type = 'artist' AND r.object_id = ar.id AND r.user_id = :uid
ORDER BY j.key
"""


def artist_album_ids(conn: sqlite3.Connection, artist_ids: Sequence[int]) -> dict[int, list[int]]:
    """Albums of each artist as album artist, by year then name."""
    found: dict[int, list[int]] = defaultdict(list)
    for artist_id, album_id in conn.execute(
        "SELECT album_artist_id, id FROM album"
        " WHERE album_artist_id IN (SELECT value FROM json_each(?))"
        " ORDER BY album_artist_id, year, basename COLLATE NOCASE",
        (id_json(artist_ids),),
    ):
        found[artist_id].append(album_id)
    return found


def artist_song_ids(conn: sqlite3.Connection, artist_ids: Sequence[int]) -> dict[int, list[int]]:
    """Songs credited to each artist, by title."""
    found: dict[int, list[int]] = defaultdict(list)
    for artist_id, song_id in conn.execute(
        "SELECT sa.artist_id, s.id FROM song_artist sa JOIN song s ON s.id = sa.song_id"
        " WHERE sa.artist_id IN (SELECT value FROM json_each(?)) AND s.enabled = 1"
        " ORDER BY sa.artist_id, s.title COLLATE NOCASE",
        (id_json(artist_ids),),
    ):
        found[artist_id].append(song_id)
    return found


def load_artists(
    ctx: Context,
    ids: Sequence[int],
    *,
    include_albums: bool = False,
    include_songs: bool = False,
) -> list[dict[str, Any]]:
    conn = ctx.conn
    ids = visible_ids(conn, "artist", ids)
    if not ids:
        return []
    ids_text = id_json(ids)
    rows = _dict_rows(conn, _ARTIST_SQL, {"ids": ids_text, "uid": ctx.user_id})
    genres = _genres(conn, "artist_genre", "artist_id", ids_text)
    averages = average_ratings(conn, "artist", ids_text)
    albums: dict[int, list] = {}
    if include_albums:
        per_artist = artist_album_ids(conn, ids)
        loaded = {a["id"]: a for a in load_albums(ctx, [i for x in ids for i in per_artist[x]])}
        albums = {k: [loaded[i] for i in v if i in loaded] for k, v in per_artist.items()}
    songs: dict[int, list] = {}
    if include_songs:
        per_artist = artist_song_ids(conn, ids)
        loaded = {s["id"]: s for s in load_songs(ctx, [i for x in ids for i in per_artist[x]])}
        songs = {k: [loaded[i] for i in v if i in loaded] for k, v in per_artist.items()}
    urls = url_builder(ctx)
    items = []
    for row in rows:
        artist_id = row["id"]
        items.append(
            {
                "id": artist_id,
                "name": row["name"],
                "prefix": row["prefix"],
                "basename": row["basename"],
                "albums": albums.get(artist_id, []),
                "albumcount": row["album_count"],
                "songs": songs.get(artist_id, []),
                "songcount": row["song_count"],
                "genre": genres.get(artist_id, []),
                "art": urls.art("artist", artist_id),
                "has_art": bool(row["has_art"]),
                "flag": row["flagged"] is not None,
                "preciserating": user_rating(row["my_rating"]),
                "rating": user_rating(row["my_rating"]),
                "averagerating": averages.get(artist_id),
                "mbid": row["mbid"],
                "summary": row["summary"],
                "time": row["time"],
                "yearformed": row["yearformed"],
                "placeformed": row["placeformed"],
            }
        )
    return items


def artist_album_refs(ctx: Context, ids: Sequence[int]) -> dict[int, list]:
    """Album refs per artist, for the condensed get_indexes XML."""
    found: dict[int, list] = defaultdict(list)
    for artist_id, album_id, name, prefix, basename in ctx.conn.execute(
        "SELECT album_artist_id, id, name, prefix, basename FROM album"
        " WHERE album_artist_id IN (SELECT value FROM json_each(?))"
        " ORDER BY album_artist_id, year, basename COLLATE NOCASE",
        (id_json(ids),),
    ):
        found[artist_id].append(ref(album_id, name, prefix, basename))
    return found


# ------------------------------------------------------------------ genres

_GENRE_SQL = """
SELECT g.id, g.name,
       (SELECT COUNT(*) FROM album_genre x WHERE x.genre_id = g.id) AS albums,
       (SELECT COUNT(*) FROM artist_genre x WHERE x.genre_id = g.id) AS artists,
       (SELECT COUNT(*) FROM song_genre x WHERE x.genre_id = g.id) AS songs
FROM json_each(:ids) j JOIN genre g ON g.id = j.value
ORDER BY j.key
"""


# A catalog-restricted user's counts: only what lies in their catalogs (issue 9).
_SCOPED_GENRE_SQL = """
SELECT g.id, g.name,
       (SELECT COUNT(DISTINCT s.album_id) FROM song_genre x JOIN song s ON s.id = x.song_id
        WHERE x.genre_id = g.id AND s.catalog_id IN (SELECT value FROM json_each(:scope))
        AND s.album_id IN (SELECT album_id FROM album_genre WHERE genre_id = g.id)) AS albums,
       (SELECT COUNT(DISTINCT sa.artist_id) FROM song_genre x JOIN song s ON s.id = x.song_id
        JOIN song_artist sa ON sa.song_id = s.id
        WHERE x.genre_id = g.id AND s.catalog_id IN (SELECT value FROM json_each(:scope))
        AND sa.artist_id IN (SELECT artist_id FROM artist_genre WHERE genre_id = g.id))
        AS artists,
       (SELECT COUNT(*) FROM song_genre x JOIN song s ON s.id = x.song_id
        WHERE x.genre_id = g.id AND s.catalog_id IN (SELECT value FROM json_each(:scope)))
        AS songs
FROM json_each(:ids) j JOIN genre g ON g.id = j.value
ORDER BY j.key
"""


def load_genres(ctx: Context, ids: Sequence[int]) -> list[dict[str, Any]]:
    ids = visible_ids(ctx.conn, "genre", ids)
    if not ids:
        return []
    scope = catalog_scope.get()
    if scope is None:
        rows = ctx.conn.execute(_GENRE_SQL, {"ids": id_json(ids)})
    else:
        rows = ctx.conn.execute(_SCOPED_GENRE_SQL, {"ids": id_json(ids), "scope": scope})
    return [
        {
            "id": r["id"],
            "name": r["name"],
            "albums": r["albums"],
            "artists": r["artists"],
            "songs": r["songs"],
            "videos": 0,
            "playlists": 0,
            "live_streams": 0,
            "is_hidden": False,
            "merge": [],
        }
        for r in rows
    ]
