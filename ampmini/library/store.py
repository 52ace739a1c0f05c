"""Write what a scan read: resolve artist/album/genre ids, upsert songs per batch, remove gone ones.

Each batch is one write transaction, so readers (WAL) never wait and an API write waits at most
one batch. Song ids are assigned here, above every id ever used (deleted_song included), so an
id a client or a rating refers to is never handed to another song.
"""

from __future__ import annotations

import os
import sqlite3
from collections import defaultdict
from collections.abc import Collection, Iterator
from typing import NamedTuple

from ampmini.db import Database, play_name
from ampmini.library import aggregates, licenses
from ampmini.library.names import split_prefix
from ampmini.library.tags import Track
from ampmini.library.walk import ART_RANK, album_folder

BATCH_SIZE = 1000
VARIOUS_ARTISTS = "Various Artists"
# Ampache's placeholder for a missing album or artist tag (song.album_id/artist_id are NOT NULL).
UNKNOWN = "Unknown (Orphaned)"

_SONG_COLUMNS = (
    "catalog_id", "path", "folder", "size", "mtime_ns", "title", "album_id", "artist_id",
    "track", "disk", "disksubtitle", "year", "time", "bitrate", "rate", "channels", "mode",
    "format", "mime", "composer", "comment", "publisher", "language", "lyrics", "mbid",
    "artist_mbid", "album_mbid", "albumartist_mbid", "replaygain_track_gain",
    "replaygain_track_peak", "replaygain_album_gain", "replaygain_album_peak",
    "r128_track_gain", "r128_album_gain", "has_art", "search_text", "url_name",
)  # fmt: skip
# Insert or update by id; the WHERE makes an identical re-read a no-op (no page write, and
# total_changes tells updated from unchanged). `added` and `enabled` survive updates.
_UPSERT_SONG = (
    f"INSERT INTO song (id, {', '.join(_SONG_COLUMNS)}, added, updated) "  # noqa: S608 (fixed columns)
    f"VALUES (?, {', '.join('?' * len(_SONG_COLUMNS))}, ?, ?) "
    f"ON CONFLICT(id) DO UPDATE SET "
    f"{', '.join(f'{c} = excluded.{c}' for c in _SONG_COLUMNS)}, updated = excluded.updated "
    f"WHERE ({', '.join(f'song.{c}' for c in _SONG_COLUMNS)}) "
    f"IS NOT ({', '.join(f'excluded.{c}' for c in _SONG_COLUMNS)})"
)
_UPDATE_ALBUM = """
UPDATE album SET album_artist_id = ?1, mbid = coalesce(?2, mbid),
       mbid_group = coalesce(?3, mbid_group), release_type = coalesce(?4, release_type),
       compilation = ?5, catalog_id = ?6, art_path = coalesce(?7, art_path), updated = ?8
 WHERE id = ?9 AND (album_artist_id, mbid, mbid_group, release_type, compilation, catalog_id,
                    art_path)
       IS NOT (?1, coalesce(?2, mbid), coalesce(?3, mbid_group), coalesce(?4, release_type),
               ?5, ?6, coalesce(?7, art_path))
"""
_COPY_TO_DELETED = """
INSERT OR REPLACE INTO deleted_song (id, addition_time, delete_time, update_time, title, file,
                                     catalog_id, album_id, artist_id, total_count, total_skip)
SELECT s.id, s.added, ?, s.updated, s.title, s.path, s.catalog_id, s.album_id, s.artist_id,
       coalesce(pc.plays, 0), coalesce(pc.skips, 0)
  FROM song AS s LEFT JOIN play_count AS pc ON pc.object_type = 'song' AND pc.object_id = s.id
 WHERE s.id = ?
"""


class Existing(NamedTuple):
    id: int
    size: int
    mtime_ns: int


class Row(NamedTuple):
    track: Track
    catalog_id: int
    album: str
    album_artist: str | None


class Store:
    """The id maps and counters of one scan's writes."""

    def __init__(self, db: Database, now: int, images: dict[str, list[str]]) -> None:
        self.db = db
        self.now = now
        self.images = images  # folder -> cover file names (from the walk)
        self.art_paths: dict[str, str | None] = {}  # folder -> its best cover, once per folder
        self.artists: dict[str, int] = {}
        self.albums: dict[str, int] = {}
        self.genres: dict[str, int] = {}
        self.licenses: dict[str, int] = {}  # lower-case licence name -> license.id
        self.mbid_checked: set[int] = set()
        self.next_song_id = 0
        self.gone_by_key: dict[tuple[object, ...], list[int]] = {}
        self.moved_ids: set[int] = set()
        self.failures: dict[str, tuple[int, int]] = {}  # remembered unreadable files
        self.new_failures: list[tuple[str, int, int, str]] = []
        self.touched_catalogs: dict[str, set[int]] = defaultdict(set)
        self.added = self.moved = self.updated = self.removed = 0

    def load_maps(self, conn: sqlite3.Connection) -> None:
        """The artist/album/genre id maps and the next free song id."""
        self.next_song_id = conn.execute(
            "SELECT max(coalesce((SELECT max(id) FROM song), 0), "
            "coalesce((SELECT max(id) FROM deleted_song), 0))"
        ).fetchone()[0]
        self.artists = {r[1].lower(): r[0] for r in conn.execute("SELECT id, name FROM artist")}
        self.albums = {r[1]: r[0] for r in conn.execute("SELECT id, group_key FROM album")}
        self.genres = {r[1].lower(): r[0] for r in conn.execute("SELECT id, name FROM genre")}
        rows = conn.execute("SELECT id, name FROM license ORDER BY id DESC")
        self.licenses = {r[1].lower(): r[0] for r in rows}  # a duplicate name: the lowest id

    def load_gone_keys(self, gone_ids: Collection[int]) -> None:
        """(size, title, artist, album, time) of gone songs, to recognise moved files."""
        ids = list(gone_ids)
        conn = self.db.reader()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            for row in conn.execute(
                "SELECT s.id, s.size, s.title, ar.name, al.name, s.time FROM song AS s "  # noqa: S608 (placeholders)
                "JOIN artist AS ar ON ar.id = s.artist_id JOIN album AS al ON al.id = s.album_id "
                f"WHERE s.id IN ({marks})",
                chunk,
            ):
                key = (row[1], row[2].lower(), row[3].lower(), row[4].lower(), row[5])
                self.gone_by_key.setdefault(key, []).append(row[0])

    def write(self, batch: list[Row], existing: dict[str, Existing]) -> None:
        """One transaction: resolve ids, upsert songs, their artists and genres, albums."""
        now = self.now
        song_rows = []
        credit_rows = []
        genre_rows = []
        license_rows = []
        rewritten = []
        album_attrs: dict[int, list[object]] = {}
        added = moved = 0
        with self.db.writer() as conn:
            for row in batch:
                t = row.track
                names = t.artists or (UNKNOWN,)
                artist_ids = [
                    self._artist_id(conn, name, t.artist_mbid if i == 0 else None)
                    for i, name in enumerate(names)
                ]
                album_artist_id = (
                    self._artist_id(conn, row.album_artist, t.albumartist_mbid)
                    if row.album_artist
                    else None
                )
                album_id = self._album_id(conn, row, album_artist_id)
                attrs = album_attrs.setdefault(
                    album_id,
                    [album_artist_id, None, None, None, 0, row.catalog_id, None, now, album_id],
                )
                attrs[1] = attrs[1] or t.album_mbid
                attrs[2] = attrs[2] or t.release_group_mbid
                attrs[3] = attrs[3] or t.release_type
                attrs[6] = attrs[6] or self._art_path(t.path)
                if t.compilation or row.album_artist == VARIOUS_ARTISTS:
                    attrs[4] = 1
                old = existing.get(t.path)
                if old is not None:
                    song_id = old.id
                    rewritten.append((song_id,))
                else:
                    song_id = self._moved_from(t)
                    if song_id is not None:
                        moved += 1
                        rewritten.append((song_id,))
                        self.touched_catalogs["update"].add(row.catalog_id)
                    else:
                        self.next_song_id += 1
                        song_id = self.next_song_id
                        added += 1
                        self.touched_catalogs["add"].add(row.catalog_id)
                song_rows.append(_song_values(song_id, row, album_id, artist_ids[0], now))
                credit_rows.extend((song_id, aid, pos) for pos, aid in enumerate(artist_ids))
                genre_rows.extend((song_id, self._genre_id(conn, g)) for g in t.genres)
                licence = licenses.match(t.license, t.copyright)
                if licence is not None:
                    license_rows.append((song_id, self._license_id(conn, licence)))
            aggregates.touch_old(conn, rewritten)
            aggregates.touch_album_artists(conn, list(album_attrs))
            before = conn.total_changes
            conn.executemany(_UPSERT_SONG, song_rows)
            updated = conn.total_changes - before - added - moved
            # Labels are never deleted, so inserting every publisher of the batch (in row order,
            # which fixes the label ids) leaves what a per-row trigger would.
            conn.executemany(
                "INSERT OR IGNORE INTO label (name) VALUES (?)",
                [(p,) for p in dict.fromkeys(r.track.publisher for r in batch) if p],
            )
            conn.executemany("DELETE FROM song_artist WHERE song_id = ?", rewritten)
            conn.executemany("DELETE FROM song_genre WHERE song_id = ?", rewritten)
            conn.executemany("DELETE FROM song_license WHERE song_id = ?", rewritten)
            conn.executemany(
                "INSERT OR IGNORE INTO song_artist (song_id, artist_id, position) VALUES (?, ?, ?)",
                credit_rows,
            )
            conn.executemany(
                "INSERT OR IGNORE INTO song_genre (song_id, genre_id) VALUES (?, ?)", genre_rows
            )
            conn.executemany(
                "INSERT OR REPLACE INTO song_license (song_id, license_id) VALUES (?, ?)",
                license_rows,
            )
            conn.executemany(_UPDATE_ALBUM, list(album_attrs.values()))
            aggregates.touch(
                conn,
                list(album_attrs),
                {c[1] for c in credit_rows} | {a[0] for a in album_attrs.values()},  # type: ignore[misc]
            )
            cleared = [(r.track.path,) for r in batch if r.track.path in self.failures]
            conn.executemany("DELETE FROM scan_failure WHERE path = ?", cleared)
            conn.executemany(
                "INSERT OR REPLACE INTO scan_failure (path, size, mtime_ns, error, seen) "
                "VALUES (?, ?, ?, ?, ?)",
                [(*f, now) for f in self.new_failures],
            )
            self.new_failures = []
        self.added += added
        self.moved += moved
        self.updated += updated
        if updated:
            self.touched_catalogs["update"].update(r.catalog_id for r in batch)

    def remove(self, song_ids: list[int]) -> None:
        """Copy gone songs into deleted_song and delete them, one batch per transaction."""
        catalog_of = {}
        if song_ids:
            conn = self.db.reader()
            for start in range(0, len(song_ids), 500):
                chunk = song_ids[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                catalog_of.update(
                    conn.execute(
                        f"SELECT id, catalog_id FROM song WHERE id IN ({marks})",  # noqa: S608 (placeholders)
                        chunk,
                    ).fetchall()
                )
        for start in range(0, len(song_ids), BATCH_SIZE):
            chunk = [(i,) for i in song_ids[start : start + BATCH_SIZE]]
            with self.db.writer() as conn:
                aggregates.touch_old(conn, chunk)
                conn.executemany(_COPY_TO_DELETED, [(self.now, i) for (i,) in chunk])
                conn.executemany("DELETE FROM song WHERE id = ?", chunk)
        self.removed = len(song_ids)
        self.touched_catalogs["clean"].update(catalog_of.values())

    def _moved_from(self, t: Track) -> int | None:
        if not self.gone_by_key:  # nothing gone: no move to recognise (every first scan)
            return None
        key = (
            t.size,
            t.title.lower(),
            (t.artist or UNKNOWN).lower(),
            (t.album or UNKNOWN).lower(),
            t.duration,
        )
        ids = self.gone_by_key.get(key)
        if not ids:
            return None
        song_id = ids.pop()
        self.moved_ids.add(song_id)
        return song_id

    def _artist_id(self, conn: sqlite3.Connection, name: str, mbid: str | None) -> int:
        key = name.lower()
        artist_id = self.artists.get(key)
        if artist_id is None:
            prefix, basename = split_prefix(name)
            artist_id = conn.execute(
                "INSERT INTO artist (name, prefix, basename, mbid, added, updated) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (name, prefix, basename, mbid, self.now, self.now),
            ).lastrowid
            self.artists[key] = artist_id
            self.mbid_checked.add(artist_id)
        elif mbid and artist_id not in self.mbid_checked:
            self.mbid_checked.add(artist_id)
            conn.execute(
                "UPDATE artist SET mbid = ?, updated = ? WHERE id = ? AND mbid IS NULL",
                (mbid, self.now, artist_id),
            )
        return artist_id

    def _album_id(self, conn: sqlite3.Connection, row: Row, album_artist_id: int | None) -> int:
        key = f"{row.album.lower()}\x1f{(row.album_artist or '').lower()}"
        album_id = self.albums.get(key)
        if album_id is None:
            prefix, basename = split_prefix(row.album)
            album_id = conn.execute(
                "INSERT INTO album (name, prefix, basename, album_artist_id, catalog_id, "
                "added, updated, group_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (row.album, prefix, basename, album_artist_id, row.catalog_id,
                 self.now, self.now, key),
            ).lastrowid  # fmt: skip
            self.albums[key] = album_id
        return album_id

    def _genre_id(self, conn: sqlite3.Connection, name: str) -> int:
        key = name.lower()
        genre_id = self.genres.get(key)
        if genre_id is None:
            genre_id = conn.execute("INSERT INTO genre (name) VALUES (?)", (name,)).lastrowid
            self.genres[key] = genre_id
        return genre_id

    def _license_id(self, conn: sqlite3.Connection, licence: licenses.Licence) -> int:
        """The row of a matched licence; a Creative Commons version not seeded gets one."""
        key = licence.name.lower()
        license_id = self.licenses.get(key)
        if license_id is None:
            license_id = conn.execute(
                "INSERT INTO license (name, external_link) VALUES (?, ?)", licence
            ).lastrowid
            self.licenses[key] = license_id
        return license_id

    def _art_path(self, path: str) -> str | None:
        """Best cover image in the track's folder, else in the album folder above a disc."""
        folder = os.path.dirname(path)
        if folder in self.art_paths:
            return self.art_paths[folder]
        found = None
        for candidate in dict.fromkeys((folder, album_folder(folder))):
            names = self.images.get(candidate)
            if names:
                best = min(names, key=lambda n: ART_RANK[n.lower()])
                found = os.path.join(candidate, best)
                break
        self.art_paths[folder] = found
        return found


def group_albums(tracks: list[tuple[Track, int]]) -> Iterator[Row]:
    """Decide each track's album and album artist within one album folder.

    Album artist: the albumartist tag; else "Various Artists" if the compilation flag is set
    or the folder holds tracks of that album name by different artists; else the track artist.
    """
    artists_by_album: dict[str, set[str]] = defaultdict(set)
    for track, _cid in tracks:
        if track.album and track.artist:
            artists_by_album[track.album.lower()].add((track.artist or "").lower())
    for track, catalog_id in tracks:
        if track.albumartist:
            album_artist: str | None = track.albumartist
        elif track.compilation or (track.album and len(artists_by_album[track.album.lower()]) > 1):
            album_artist = VARIOUS_ARTISTS
        else:
            album_artist = track.artist
        yield Row(track, catalog_id, track.album or UNKNOWN, album_artist)


def _song_values(
    song_id: int, row: Row, album_id: int, artist_id: int, now: int
) -> tuple[object, ...]:
    t = row.track
    return (
        song_id, row.catalog_id, t.path, os.path.dirname(t.path), t.size, t.mtime_ns, t.title,
        album_id, artist_id, t.track, t.disc, t.disksubtitle, t.year, t.duration, t.bitrate,
        t.samplerate, t.channels, t.mode, t.format, t.mime, t.composer, t.comment, t.publisher,
        t.language, t.lyrics, t.mbid, t.artist_mbid, t.album_mbid, t.albumartist_mbid,
        t.replaygain_track_gain, t.replaygain_track_peak, t.replaygain_album_gain,
        t.replaygain_album_peak, t.r128_track_gain, t.r128_album_gain, int(t.has_art),
        search_text(t, row.album), play_name((t.artists or (UNKNOWN,))[0], t.title, t.format),
        now, now,
    )  # fmt: skip


def search_text(t: Track, album: str) -> str:
    """The case-folded words `anywhere` searches match (schema 0007_search.sql)."""
    words = [t.title, album, *t.artists, *t.genres, t.comment or "", t.path]
    return " ".join(words).casefold()
