"""Guard rails: every hot query path uses an index (EXPLAIN QUERY PLAN), as navidrome checks."""

from __future__ import annotations

import re

import pytest

from ampmini.api import library, listing, sqlrender
from ampmini.api.objects.library import SONG
from ampmini.api.params import Params

BIG_TABLES = ("song", "album", "artist", "song_artist", "song_genre", "play", "rating", "flag")


def plan(conn, sql: str, args=()) -> list[str]:
    return [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", args)]


def full_scans(lines: list[str]) -> list[str]:
    """Plan lines that read a whole big table without an index."""
    bad = []
    for line in lines:
        match = re.match(r"SCAN (\w+)$", line)
        if match:
            bad.append(line)
    return bad


@pytest.mark.parametrize(
    ("spec", "default_sort"),
    [(library.SONG_SPEC, "title"), (library.ALBUM_SPEC, "name_year"),
     (library.ARTIST_SPEC, "name"), (library.GENRE_SPEC, "name")],
)
def test_default_list_order_walks_an_index(server, spec, default_sort) -> None:
    conn = server.db.reader()
    order = listing.order_by(spec, Params({}))
    lines = plan(conn, f"SELECT {spec.id_column} {spec.base} WHERE 1 ORDER BY {order}")
    assert not full_scans(lines), lines
    assert not any(line == "USE TEMP B-TREE FOR ORDER BY" for line in lines), lines


@pytest.mark.parametrize("sql", [library._ALBUM_SQL, library._ARTIST_SQL, library._GENRE_SQL])
def test_page_loaders_only_look_up_by_key(server, sql) -> None:
    lines = plan(server.db.reader(), sql, {"ids": "[1,2,3]", "uid": 1})
    assert not full_scans(lines), lines


@pytest.mark.parametrize(("fmt", "api"), [("items", 6), ("json", 6), ("xml", 6), ("xml", 5)])
def test_song_pages_only_look_up_by_key(server, fmt, api) -> None:
    """The song page as Python items and as SQLite-rendered JSON/XML (with the per-row
    artist and genre sub-selects) reads every table by key."""
    conn = server.db.reader()
    source = library.SONG_SOURCE
    params = {"uid": 1, "first_track": 1, **dict.fromkeys(
        ("play_head", "play_tail", "art_head", "art_tail"), "")}
    if fmt == "items":
        sqlrender.load_items(conn, source, [1], params)
        sql = source._sql["items",]
    else:
        sql = sqlrender.page_sql(conn, source, SONG, fmt, api, "  ")
    lines = plan(conn, sql, {"ids": "[1,2,3]", **params})
    assert not full_scans(lines), lines


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT album_id, id FROM song WHERE album_id IN (SELECT value FROM json_each(?))"
        " AND enabled = 1 ORDER BY album_id, disk, track",
        "SELECT sa.song_id, a.id FROM song_artist sa JOIN artist a ON a.id = sa.artist_id"
        " WHERE sa.song_id IN (SELECT value FROM json_each(?))",
        "SELECT sa.artist_id, s.id FROM song_artist sa JOIN song s ON s.id = sa.song_id"
        " WHERE sa.artist_id IN (SELECT value FROM json_each(?))",
        "SELECT x.song_id, g.id FROM song_genre x JOIN genre g ON g.id = x.genre_id"
        " WHERE x.song_id IN (SELECT value FROM json_each(?))",
        "SELECT song_id FROM song_genre WHERE genre_id = ?",
        "SELECT album_id FROM album_genre WHERE genre_id = ?",
        "SELECT object_id FROM flag WHERE object_type = ? AND user_id = ? ORDER BY date DESC",
        "SELECT object_id, AVG(rating) FROM rating WHERE object_type = ?"
        " AND object_id IN (SELECT value FROM json_each(?)) GROUP BY object_id",
        "SELECT * FROM session WHERE token = ?",
        "SELECT * FROM user WHERE streamtoken = ?",
        "SELECT id, size, mtime_ns FROM song WHERE path = ?",
    ],
)
def test_child_and_lookup_queries_use_indexes(server, sql) -> None:
    args = tuple("[1]" if "json_each" in part else 1 for part in sql.split("?")[:-1])
    lines = plan(server.db.reader(), sql, args)
    assert not [line for line in full_scans(lines) if line.split()[1] in BIG_TABLES], lines
