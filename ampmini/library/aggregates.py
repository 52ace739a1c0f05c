"""Album, artist and genre aggregates: rebuilt in SQL for what a scan touched, after its writes."""

from __future__ import annotations

import sqlite3

# Aggregates are rebuilt set-wise after the writes, only for the albums and artists the scan
# touched (scan_album / scan_artist, filled by the batches; schema 0012), so a one-file change
# holds the write lock for milliseconds even in a 30k-track library. Each UPDATE only writes
# rows whose value differs. The lists outlive an interrupted scan: the next one rebuilds them.
# Run for songs about to be rewritten or deleted: their current album and credited artists.
_TOUCH_OLD = (
    "INSERT OR IGNORE INTO scan_album SELECT album_id FROM song WHERE id = ?",
    "INSERT OR IGNORE INTO scan_artist SELECT artist_id FROM song_artist WHERE song_id = ?",
)
_TOUCH_ALBUM_ARTIST = (
    "INSERT OR IGNORE INTO scan_artist "
    "SELECT album_artist_id FROM album WHERE id = ? AND album_artist_id IS NOT NULL"
)
_AGGREGATES = (
    """UPDATE album SET song_count = a.n, disk_count = a.d, time = a.t, art_song_id = a.art,
                       updated = :now
         FROM (SELECT album_id, count(*) AS n, count(DISTINCT disk) AS d, sum(time) AS t,
                      min(CASE WHEN has_art THEN id END) AS art
                 FROM song WHERE album_id IN (SELECT id FROM scan_album)
                GROUP BY album_id) AS a
        WHERE album.id = a.album_id
          AND (album.song_count, album.disk_count, album.time, album.art_song_id)
              IS NOT (a.n, a.d, a.t, a.art)""",
    # Album year: the most common non-zero track year (the newest on a tie).
    """UPDATE album SET year = y.year, updated = :now
         FROM (SELECT album_id, year, row_number() OVER (
                      PARTITION BY album_id ORDER BY count(*) DESC, year DESC) AS rn
                 FROM song WHERE year > 0 AND album_id IN (SELECT id FROM scan_album)
                GROUP BY album_id, year) AS y
        WHERE album.id = y.album_id AND y.rn = 1 AND album.year != y.year""",
    """INSERT OR IGNORE INTO scan_artist SELECT album_artist_id FROM album
         WHERE id IN (SELECT id FROM scan_album) AND album_artist_id IS NOT NULL""",
    """DELETE FROM album WHERE id IN (SELECT id FROM scan_album)
          AND NOT EXISTS (SELECT 1 FROM song WHERE song.album_id = album.id)""",
    "DELETE FROM album_genre WHERE album_id IN (SELECT id FROM scan_album)",
    """INSERT OR IGNORE INTO album_genre (album_id, genre_id)
        SELECT DISTINCT song.album_id, sg.genre_id
          FROM song JOIN song_genre AS sg ON sg.song_id = song.id
         WHERE song.album_id IN (SELECT id FROM scan_album)""",
    "DELETE FROM artist_genre WHERE artist_id IN (SELECT id FROM scan_artist)",
    """INSERT OR IGNORE INTO artist_genre (artist_id, genre_id)
        SELECT DISTINCT sa.artist_id, sg.genre_id
          FROM song_artist AS sa JOIN song_genre AS sg ON sg.song_id = sa.song_id
         WHERE sa.artist_id IN (SELECT id FROM scan_artist)""",
    # album_count: albums it is album artist of; song_count/time: songs it is credited on.
    """UPDATE artist SET album_count = c.albums, song_count = c.songs, time = c.t, updated = :now
         FROM (SELECT ar.id AS id,
                      (SELECT count(*) FROM album WHERE album_artist_id = ar.id) AS albums,
                      (SELECT count(*) FROM song_artist WHERE artist_id = ar.id) AS songs,
                      (SELECT coalesce(sum(s.time), 0) FROM song_artist AS sa
                         JOIN song AS s ON s.id = sa.song_id WHERE sa.artist_id = ar.id) AS t
                 FROM artist AS ar WHERE ar.id IN (SELECT id FROM scan_artist)) AS c
        WHERE artist.id = c.id
          AND (artist.album_count, artist.song_count, artist.time)
              IS NOT (c.albums, c.songs, c.t)""",
    """DELETE FROM artist WHERE id IN (SELECT id FROM scan_artist)
          AND album_count = 0 AND song_count = 0
          AND NOT EXISTS (SELECT 1 FROM song WHERE song.artist_id = artist.id)
          AND NOT EXISTS (SELECT 1 FROM album WHERE album.album_artist_id = artist.id)""",
    "DELETE FROM genre WHERE NOT EXISTS (SELECT 1 FROM song_genre WHERE genre_id = genre.id)",
    "DELETE FROM scan_album",
    "DELETE FROM scan_artist",
)


def pending(conn: sqlite3.Connection) -> bool:
    """Albums or artists wait to be re-counted (written by this scan or an interrupted one)."""
    return bool(
        conn.execute(
            "SELECT EXISTS (SELECT 1 FROM scan_album) OR EXISTS (SELECT 1 FROM scan_artist)"
        ).fetchone()[0]
    )


def touch_old(conn: sqlite3.Connection, song_ids: list[tuple[int]]) -> None:
    """Remember the albums and artists of songs about to be rewritten or deleted."""
    for sql in _TOUCH_OLD:
        conn.executemany(sql, song_ids)


def touch_album_artists(conn: sqlite3.Connection, album_ids: list[int]) -> None:
    """Remember the current album artists of albums a batch is about to update."""
    conn.executemany(_TOUCH_ALBUM_ARTIST, [(a,) for a in album_ids])


def touch(conn: sqlite3.Connection, album_ids: list[int], artist_ids: set[int | None]) -> None:
    """Remember the albums and artists a batch wrote."""
    conn.executemany("INSERT OR IGNORE INTO scan_album (id) VALUES (?)",
                     [(a,) for a in album_ids])  # fmt: skip
    conn.executemany("INSERT OR IGNORE INTO scan_artist (id) VALUES (?)",
                     [(a,) for a in artist_ids if a is not None])  # fmt: skip


def rebuild(conn: sqlite3.Connection, now: int) -> None:
    """Counts, durations, years, art and genres of the touched albums and artists; drops the
    ones left empty (and genres no song has)."""
    for sql in _AGGREGATES:
        conn.execute(sql, {"now": now} if ":now" in sql else {})
