"""Scan library roots: walk, diff (size, mtime) against the database, read tags, write in batches.

One scan runs at a time (a module lock; a second caller waits for the first to finish). The write
lock is held for one batch of at most ~BATCH_SIZE songs, so readers (WAL) never wait and an API
write waits at most one batch.

The album folder (a track's folder, or its parent when the folder is a disc folder such as
"CD2") is the unit of album grouping: when anything in it is new, changed or gone, its other
tracks are re-read too (without counting as updated unless their row changes), because whether
an untagged compilation is "Various Artists" depends on all tracks of the folder.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import stat
import threading
import time
from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import groupby
from pathlib import Path
from typing import NamedTuple

from ampmini.db import Database
from ampmini.library.names import split_prefix
from ampmini.library.tags import TagError, Track, file_format, read_tags
from ampmini.progress import ProgressReporter

log = logging.getLogger(__name__)

BATCH_SIZE = 1000
VARIOUS_ARTISTS = "Various Artists"
# Ampache's placeholder for a missing album or artist tag (song.album_id/artist_id are NOT NULL).
UNKNOWN = "Unknown (Orphaned)"
# A watcher passes folders; more than this many range clauses and one query per root is cheaper.
_MAX_FOLDERS = 200

_DISC_FOLDER = re.compile(r"(?:cd|dis[ck]|dvd)[\s._-]*(\d{1,3})", re.IGNORECASE)
# Folder images, best first (Ampache's album_art_preferred_filename order: cover, folder, front).
_ART_RANK = {
    f"{stem}.{ext}": rank
    for rank, (stem, ext) in enumerate(
        (s, e) for s in ("cover", "folder", "front", "album") for e in ("jpg", "jpeg", "png")
    )
}

_SCAN_LOCK = threading.Lock()

_SONG_COLUMNS = (
    "catalog_id", "path", "folder", "size", "mtime_ns", "title", "album_id", "artist_id",
    "track", "disk", "disksubtitle", "year", "time", "bitrate", "rate", "channels", "mode",
    "format", "mime", "composer", "comment", "publisher", "language", "lyrics", "mbid",
    "artist_mbid", "album_mbid", "albumartist_mbid", "replaygain_track_gain",
    "replaygain_track_peak", "replaygain_album_gain", "replaygain_album_peak",
    "r128_track_gain", "r128_album_gain", "has_art",
)  # fmt: skip
# Insert or update by id; the WHERE makes an identical re-read a no-op (no page write, and
# total_changes tells updated from unchanged). `added` and `enabled` survive updates.
_UPSERT_SONG = (
    f"INSERT INTO song (id, {', '.join(_SONG_COLUMNS)}, added, updated) "
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
# Aggregates are rebuilt set-wise after the writes, only for the albums and artists the scan
# touched (temp.scan_album / temp.scan_artist, filled by the batches), so a one-file change
# holds the write lock for milliseconds even in a 30k-track library. Each UPDATE only writes
# rows whose value differs.
_TOUCHED = (
    "CREATE TEMP TABLE IF NOT EXISTS scan_album (id INTEGER PRIMARY KEY)",
    "CREATE TEMP TABLE IF NOT EXISTS scan_artist (id INTEGER PRIMARY KEY)",
    "DELETE FROM temp.scan_album",
    "DELETE FROM temp.scan_artist",
)
# Run for songs about to be rewritten or deleted: their current album and credited artists.
_TOUCH_OLD = (
    "INSERT OR IGNORE INTO temp.scan_album SELECT album_id FROM song WHERE id = ?",
    "INSERT OR IGNORE INTO temp.scan_artist SELECT artist_id FROM song_artist WHERE song_id = ?",
)
_TOUCH_ALBUM_ARTIST = (
    "INSERT OR IGNORE INTO temp.scan_artist "
    "SELECT album_artist_id FROM album WHERE id = ? AND album_artist_id IS NOT NULL"
)
_IN_ALBUMS = "IN (SELECT id FROM temp.scan_album)"
_IN_ARTISTS = "IN (SELECT id FROM temp.scan_artist)"
_AGGREGATES = (
    f"""UPDATE album SET song_count = a.n, disk_count = a.d, time = a.t, art_song_id = a.art,
                       updated = :now
         FROM (SELECT album_id, count(*) AS n, count(DISTINCT disk) AS d, sum(time) AS t,
                      min(CASE WHEN has_art THEN id END) AS art
                 FROM song WHERE album_id {_IN_ALBUMS} GROUP BY album_id) AS a
        WHERE album.id = a.album_id
          AND (album.song_count, album.disk_count, album.time, album.art_song_id)
              IS NOT (a.n, a.d, a.t, a.art)""",
    # Album year: the most common non-zero track year (the newest on a tie).
    f"""UPDATE album SET year = y.year, updated = :now
         FROM (SELECT album_id, year, row_number() OVER (
                      PARTITION BY album_id ORDER BY count(*) DESC, year DESC) AS rn
                 FROM song WHERE year > 0 AND album_id {_IN_ALBUMS}
                GROUP BY album_id, year) AS y
        WHERE album.id = y.album_id AND y.rn = 1 AND album.year != y.year""",
    f"""INSERT OR IGNORE INTO temp.scan_artist SELECT album_artist_id FROM album
         WHERE id {_IN_ALBUMS} AND album_artist_id IS NOT NULL""",
    f"""DELETE FROM album WHERE id {_IN_ALBUMS}
          AND NOT EXISTS (SELECT 1 FROM song WHERE song.album_id = album.id)""",
    f"DELETE FROM album_genre WHERE album_id {_IN_ALBUMS}",
    f"""INSERT OR IGNORE INTO album_genre (album_id, genre_id)
        SELECT DISTINCT song.album_id, sg.genre_id
          FROM song JOIN song_genre AS sg ON sg.song_id = song.id
         WHERE song.album_id {_IN_ALBUMS}""",
    f"DELETE FROM artist_genre WHERE artist_id {_IN_ARTISTS}",
    f"""INSERT OR IGNORE INTO artist_genre (artist_id, genre_id)
        SELECT DISTINCT sa.artist_id, sg.genre_id
          FROM song_artist AS sa JOIN song_genre AS sg ON sg.song_id = sa.song_id
         WHERE sa.artist_id {_IN_ARTISTS}""",
    # album_count: albums it is album artist of; song_count/time: songs it is credited on.
    f"""UPDATE artist SET album_count = c.albums, song_count = c.songs, time = c.t, updated = :now
         FROM (SELECT ar.id AS id,
                      (SELECT count(*) FROM album WHERE album_artist_id = ar.id) AS albums,
                      (SELECT count(*) FROM song_artist WHERE artist_id = ar.id) AS songs,
                      (SELECT coalesce(sum(s.time), 0) FROM song_artist AS sa
                         JOIN song AS s ON s.id = sa.song_id WHERE sa.artist_id = ar.id) AS t
                 FROM artist AS ar WHERE ar.id {_IN_ARTISTS}) AS c
        WHERE artist.id = c.id
          AND (artist.album_count, artist.song_count, artist.time)
              IS NOT (c.albums, c.songs, c.t)""",
    f"""DELETE FROM artist WHERE id {_IN_ARTISTS} AND album_count = 0 AND song_count = 0
          AND NOT EXISTS (SELECT 1 FROM song WHERE song.artist_id = artist.id)
          AND NOT EXISTS (SELECT 1 FROM album WHERE album.album_artist_id = artist.id)""",
    "DELETE FROM genre WHERE NOT EXISTS (SELECT 1 FROM song_genre WHERE genre_id = genre.id)",
)


@dataclass(slots=True)
class ScanResult:
    """What one scan did. `read` counts files opened (0 on a re-scan with no changes)."""

    seen: int = 0  # audio files found by the walk
    added: int = 0
    updated: int = 0  # song rows whose content changed (re-read identical rows do not count)
    moved: int = 0  # gone + new file with the same size and tags: path updated, id kept
    unchanged: int = 0
    removed: int = 0
    skipped: int = 0  # unreadable/corrupt files (also remembered ones, not opened again)
    errors: int = 0  # filesystem errors: unreadable folders, failed stat
    read: int = 0
    elapsed: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.moved or self.removed)


class _Target(NamedTuple):
    top: str  # folder to walk (recursively)
    root: str  # the catalog root containing it
    catalog_id: int


class _Existing(NamedTuple):
    id: int
    size: int
    mtime_ns: int


class _Row(NamedTuple):
    track: Track
    catalog_id: int
    album: str
    album_artist: str | None


def scan(
    db: Database,
    roots: Sequence[Path],
    *,
    full: bool = False,
    folders: Collection[Path] | None = None,
    progress: ProgressReporter | None = None,
) -> ScanResult:
    """Bring the database in line with the files under roots (or only under `folders`).

    full=True re-reads every file even if its size and mtime are unchanged. With `folders`
    (from the watcher) only those folders are walked, recursively, and only songs below them
    can be removed. A concurrent second call blocks until the running scan has finished.
    """
    with _SCAN_LOCK:
        return _Scan(db, full=full, progress=progress).run(roots, folders)


def album_folder(folder: str) -> str:
    """The folder that holds an album: the parent of a disc folder ("CD1", "Disc 2")."""
    head, tail = os.path.split(folder)
    return head if tail and _DISC_FOLDER.fullmatch(tail) else folder


class _Scan:
    """The state of one scan run: walk results, id maps and counters."""

    def __init__(self, db: Database, *, full: bool, progress: ProgressReporter | None) -> None:
        self.db = db
        self.full = full
        self.progress = progress
        self.now = int(time.time())
        self.result = ScanResult()
        self.files: dict[str, tuple[os.stat_result, int]] = {}
        self.images: dict[str, list[str]] = defaultdict(list)
        self.keep: list[str] = []  # unreadable folders/files: their songs must not be removed
        self.artists: dict[str, int] = {}
        self.albums: dict[str, int] = {}
        self.genres: dict[str, int] = {}
        self.mbid_checked: set[int] = set()
        self.next_song_id = 0
        self.gone_by_key: dict[tuple[object, ...], list[int]] = {}
        self.failures: dict[str, tuple[int, int]] = {}
        self.new_failures: list[tuple[str, int, int, str]] = []
        self.touched_catalogs: dict[str, set[int]] = defaultdict(set)
        self.moved_ids: set[int] = set()

    def run(self, roots: Sequence[Path], folders: Collection[Path] | None) -> ScanResult:
        started = time.perf_counter()
        targets = self._targets(self._catalogs(roots), folders)
        if self.progress:
            self.progress.restart("walking", None)
        for target in targets:
            self._walk(target)
        result = self.result
        result.seen = len(self.files)
        existing = self._load_existing(targets)
        new, changed, gone = self._diff(existing)
        context = self._context(existing, new, changed, gone)
        if new and gone:
            self._load_gone_keys(gone.values())
        to_read = [*new, *changed, *context]
        if self.progress:
            self.progress.restart("reading tags", len(to_read))
        self._read_and_write(to_read, existing, set(context))
        removed = [song_id for song_id in gone.values() if song_id not in self.moved_ids]
        self._remove(removed)
        self._finish()
        result.unchanged = (
            result.seen - result.added - result.updated - result.moved - result.skipped
        )
        result.elapsed = time.perf_counter() - started
        if self.progress:
            self.progress.finish(
                f"scan: {result.seen} files, {result.added} added, {result.updated} updated, "
                f"{result.moved} moved, {result.removed} removed, {result.skipped} skipped "
                f"in {result.elapsed:.1f} s"
            )
        log.info("scan finished: %s", result)
        return result

    # ------------------------------------------------------------------ catalogs and walking

    def _catalogs(self, roots: Sequence[Path]) -> list[tuple[str, int]]:
        """One catalog row per root (created on first sight); nested roots are skipped."""
        resolved: list[str] = []
        for root in roots:
            path = str(Path(root).resolve())
            if any(_inside(path, other) or _inside(other, path) for other in resolved):
                log.warning("library root %s overlaps another root; skipped", path)
                continue
            resolved.append(path)
        out = []
        with self.db.writer() as conn:
            for sql in _TOUCHED:
                conn.execute(sql)
            for path in resolved:
                conn.execute(
                    "INSERT INTO catalog (name, path, gather_types) VALUES (?, ?, 'music') "
                    "ON CONFLICT(path) DO NOTHING",
                    (os.path.basename(path) or path, path),
                )
                row = conn.execute("SELECT id FROM catalog WHERE path = ?", (path,)).fetchone()
                out.append((path, row[0]))
        return out

    def _targets(
        self, catalogs: list[tuple[str, int]], folders: Collection[Path] | None
    ) -> list[_Target]:
        if folders is None or len(folders) > _MAX_FOLDERS:
            return [_Target(root, root, cid) for root, cid in catalogs]
        chosen: list[_Target] = []
        for folder in sorted({os.path.abspath(f) for f in folders}):
            match = next(((r, c) for r, c in catalogs if _inside(folder, r)), None)
            if match is None:
                log.warning("folder %s is outside every library root; ignored", folder)
                continue
            root, cid = match
            relative = os.path.relpath(folder, root)
            if folder != root and any(part.startswith(".") for part in relative.split(os.sep)):
                continue
            top = album_folder(folder) if folder != root else folder
            # Disc folders widen to the album folder so album grouping sees every disc.
            top = top if _inside(top, root) else folder
            chosen.append(_Target(top, root, cid))
        out: list[_Target] = []
        for target in sorted(chosen):
            if not any(_inside(target.top, kept.top) for kept in out):
                out.append(target)
        return out

    def _walk(self, target: _Target) -> None:
        """Stat every audio file below target.top; remember folder images for album art."""
        root_real = os.path.realpath(target.root)
        stack = [target.top]
        visited: set[str] = set()
        while stack:
            folder = stack.pop()
            try:
                with os.scandir(folder) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except FileNotFoundError:
                if folder == target.root:  # an unmounted disk must not empty the library
                    log.error("library root %s is missing; nothing removed", folder)
                    self.keep.append(folder)
                    self.result.errors += 1
                continue  # a folder deleted since it was reported: its songs are gone
            except OSError as exc:
                log.warning("cannot read folder %s: %s", folder, exc)
                self.keep.append(folder)
                self.result.errors += 1
                continue
            for entry in entries:
                if entry.name.startswith("."):  # hidden files, AppleDouble "._x.mp3"
                    continue
                try:
                    if entry.is_symlink():
                        real = os.path.realpath(entry.path)
                        # Follow nothing that escapes the root, nor a link back to an ancestor.
                        if not _inside(real, root_real) or _inside(
                            os.path.realpath(folder), real
                        ):
                            continue
                        if os.path.isdir(real):
                            if real not in visited:
                                visited.add(real)
                                stack.append(entry.path)
                            continue
                    elif entry.is_dir():
                        stack.append(entry.path)
                        continue
                    name = entry.name.lower()
                    if name in _ART_RANK:
                        self.images[folder].append(entry.name)
                        continue
                    if file_format(name) is None:
                        continue
                    st = entry.stat()
                    if stat.S_ISREG(st.st_mode):
                        self.files[entry.path] = (st, target.catalog_id)
                except OSError as exc:
                    log.warning("cannot stat %s: %s", entry.path, exc)
                    self.keep.append(entry.path)
                    self.result.errors += 1
                if self.progress:
                    self.progress.advance()

    # ------------------------------------------------------------------ diff

    def _load_existing(self, targets: list[_Target]) -> dict[str, _Existing]:
        """{path: (id, size, mtime)} of songs below the targets, in one query; also failures."""
        if not targets:
            return {}
        where = " OR ".join("(path > ? AND path < ?)" for _ in targets)
        params = [bound for t in targets for bound in _prefix_range(t.top)]
        conn = self.db.reader()
        existing = {
            row[1]: _Existing(row[0], row[2], row[3])
            for row in conn.execute(
                f"SELECT id, path, size, mtime_ns FROM song WHERE {where}", params
            )
        }
        self.failures = {
            row[0]: (row[1], row[2])
            for row in conn.execute(
                f"SELECT path, size, mtime_ns FROM scan_failure WHERE {where}", params
            )
        }
        # Songs get explicit ids above every id ever used, so a deleted song's id (which
        # ratings, plays and clients' deleted_songs refer to) is never handed out again.
        self.next_song_id = conn.execute(
            "SELECT max(coalesce((SELECT max(id) FROM song), 0), "
            "coalesce((SELECT max(id) FROM deleted_song), 0))"
        ).fetchone()[0]
        self.artists = {r[1].lower(): r[0] for r in conn.execute("SELECT id, name FROM artist")}
        self.albums = {r[1]: r[0] for r in conn.execute("SELECT id, group_key FROM album")}
        self.genres = {r[1].lower(): r[0] for r in conn.execute("SELECT id, name FROM genre")}
        return existing

    def _diff(
        self, existing: dict[str, _Existing]
    ) -> tuple[list[str], list[str], dict[str, int]]:
        new: list[str] = []
        changed: list[str] = []
        for path, (st, _cid) in self.files.items():
            old = existing.get(path)
            now = (st.st_size, st.st_mtime_ns)
            if old is not None and not self.full and (old.size, old.mtime_ns) == now:
                continue
            if not self.full and self.failures.get(path) == now:
                self.result.skipped += 1  # failed before and unchanged since: not reopened
                continue
            (new if old is None else changed).append(path)
        gone = {
            path: old.id
            for path, old in existing.items()
            if path not in self.files and not any(_inside(path, k) for k in self.keep)
        }
        return new, changed, gone

    def _context(
        self,
        existing: dict[str, _Existing],
        new: list[str],
        changed: list[str],
        gone: dict[str, int],
    ) -> list[str]:
        """Unchanged songs sharing an album folder with a new, changed or gone file."""
        affected = {album_folder(os.path.dirname(p)) for p in (*new, *changed, *gone)}
        if not affected:
            return []
        reading = set(new) | set(changed)
        return [
            path
            for path in self.files
            if path in existing
            and path not in reading
            and album_folder(os.path.dirname(path)) in affected
        ]

    def _load_gone_keys(self, gone_ids: Collection[int]) -> None:
        """(size, title, artist, album, time) of gone songs, to recognise moved files."""
        ids = list(gone_ids)
        conn = self.db.reader()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            for row in conn.execute(
                "SELECT s.id, s.size, s.title, ar.name, al.name, s.time FROM song AS s "
                "JOIN artist AS ar ON ar.id = s.artist_id JOIN album AS al ON al.id = s.album_id "
                f"WHERE s.id IN ({marks})",
                chunk,
            ):
                key = (row[1], row[2].lower(), row[3].lower(), row[4].lower(), row[5])
                self.gone_by_key.setdefault(key, []).append(row[0])

    # ------------------------------------------------------------------ read and write

    def _read_and_write(
        self, paths: list[str], existing: dict[str, _Existing], context: set[str]
    ) -> None:
        batch: list[_Row] = []
        ordered = sorted(paths, key=lambda p: (album_folder(os.path.dirname(p)), p))
        # Batches end only between album folders, so grouping sees a whole folder at once.
        for _folder, group in groupby(ordered, key=lambda p: album_folder(os.path.dirname(p))):
            tracks = []
            for path in group:
                track = self._read(path, in_context=path in context)
                if track is not None:
                    tracks.append((track, self.files[path][1]))
            batch.extend(_group_albums(tracks))
            if len(batch) >= BATCH_SIZE:
                self._write(batch, existing)
                batch = []
        if batch or self.new_failures:
            self._write(batch, existing)

    def _read(self, path: str, *, in_context: bool) -> Track | None:
        st = self.files[path][0]
        self.result.read += 1
        try:
            track = read_tags(path, st)
        except TagError as exc:
            if not in_context:
                log.warning("skipped unreadable file %s: %s", path, exc)
                self.result.skipped += 1
                self.new_failures.append((path, st.st_size, st.st_mtime_ns, str(exc)))
            return None
        finally:
            if self.progress:
                self.progress.advance()
        folder = os.path.dirname(path)
        if not track.disc:
            match = _DISC_FOLDER.fullmatch(os.path.basename(folder))
            if match:  # untagged multi-disc rip in CD1/CD2 folders
                track = replace(track, disc=int(match.group(1)))
        return track

    def _write(self, batch: list[_Row], existing: dict[str, _Existing]) -> None:
        """One transaction: resolve ids, upsert songs, their artists and genres, albums."""
        now = self.now
        song_rows = []
        credit_rows = []
        genre_rows = []
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
            for sql in _TOUCH_OLD:
                conn.executemany(sql, rewritten)
            conn.executemany(_TOUCH_ALBUM_ARTIST, [(a,) for a in album_attrs])
            before = conn.total_changes
            conn.executemany(_UPSERT_SONG, song_rows)
            updated = conn.total_changes - before - added - moved
            conn.executemany("DELETE FROM song_artist WHERE song_id = ?", rewritten)
            conn.executemany("DELETE FROM song_genre WHERE song_id = ?", rewritten)
            conn.executemany(
                "INSERT OR IGNORE INTO song_artist (song_id, artist_id, position) "
                "VALUES (?, ?, ?)",
                credit_rows,
            )
            conn.executemany(
                "INSERT OR IGNORE INTO song_genre (song_id, genre_id) VALUES (?, ?)", genre_rows
            )
            conn.executemany(_UPDATE_ALBUM, list(album_attrs.values()))
            conn.executemany(
                "INSERT OR IGNORE INTO temp.scan_album (id) VALUES (?)", [(a,) for a in album_attrs]
            )
            conn.executemany(
                "INSERT OR IGNORE INTO temp.scan_artist (id) VALUES (?)",
                [(a,) for a in {c[1] for c in credit_rows} | {a[0] for a in album_attrs.values()}
                 if a is not None],
            )
            cleared = [(r.track.path,) for r in batch if r.track.path in self.failures]
            conn.executemany("DELETE FROM scan_failure WHERE path = ?", cleared)
            conn.executemany(
                "INSERT OR REPLACE INTO scan_failure (path, size, mtime_ns, error, seen) "
                "VALUES (?, ?, ?, ?, ?)",
                [(*f, now) for f in self.new_failures],
            )
            self.new_failures = []
        self.result.added += added
        self.result.moved += moved
        self.result.updated += updated
        if updated:
            self.touched_catalogs["update"].update(r.catalog_id for r in batch)

    def _moved_from(self, t: Track) -> int | None:
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

    def _album_id(self, conn: sqlite3.Connection, row: _Row, album_artist_id: int | None) -> int:
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

    def _art_path(self, path: str) -> str | None:
        """Best cover image in the track's folder, else in the album folder above a disc."""
        folder = os.path.dirname(path)
        for candidate in dict.fromkeys((folder, album_folder(folder))):
            names = self.images.get(candidate)
            if names:
                best = min(names, key=lambda n: _ART_RANK[n.lower()])
                return os.path.join(candidate, best)
        return None

    # ------------------------------------------------------------------ removal and totals

    def _remove(self, song_ids: list[int]) -> None:
        """Copy gone songs into deleted_song and delete them, one batch per transaction."""
        catalog_of = {}
        if song_ids:
            conn = self.db.reader()
            for start in range(0, len(song_ids), 500):
                chunk = song_ids[start : start + 500]
                marks = ", ".join("?" * len(chunk))
                catalog_of.update(
                    conn.execute(
                        f"SELECT id, catalog_id FROM song WHERE id IN ({marks})", chunk
                    ).fetchall()
                )
        for start in range(0, len(song_ids), BATCH_SIZE):
            chunk = [(i,) for i in song_ids[start : start + BATCH_SIZE]]
            with self.db.writer() as conn:
                for sql in _TOUCH_OLD:
                    conn.executemany(sql, chunk)
                conn.executemany(_COPY_TO_DELETED, [(self.now, i) for (i,) in chunk])
                conn.executemany("DELETE FROM song WHERE id = ?", chunk)
        self.result.removed = len(song_ids)
        self.touched_catalogs["clean"].update(catalog_of.values())

    def _finish(self) -> None:
        """Rebuild aggregates and timestamps when anything changed; drop stale failures."""
        stale = [(p,) for p in self.failures if p not in self.files]
        result = self.result
        with self.db.writer() as conn:
            if stale:
                conn.executemany("DELETE FROM scan_failure WHERE path = ?", stale)
            if result.changed:
                started = time.perf_counter()
                for sql in _AGGREGATES:
                    conn.execute(sql, {"now": self.now} if ":now" in sql else {})
                log.debug("aggregates rebuilt in %.3f s", time.perf_counter() - started)
                kinds = {
                    "add": bool(result.added),
                    "update": True,
                    "clean": bool(result.removed),
                }
                for key, happened in kinds.items():
                    if happened:
                        conn.execute(
                            "INSERT INTO library_state (key, value) VALUES (?, ?) "
                            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                            (key, self.now),
                        )
                touched = self.touched_catalogs
                every = touched["add"] | touched["update"] | touched["clean"]
                for column, ids in (("last_add", touched["add"]), ("last_update", every),
                                    ("last_clean", touched["clean"])):  # fmt: skip
                    conn.executemany(
                        f"UPDATE catalog SET {column} = ? WHERE id = ?",  # column: fixed tuple
                        [(self.now, cid) for cid in ids],
                    )
            conn.execute("PRAGMA optimize")


def _group_albums(tracks: list[tuple[Track, int]]) -> Iterator[_Row]:
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
        elif track.compilation or (
            track.album and len(artists_by_album[track.album.lower()]) > 1
        ):
            album_artist = VARIOUS_ARTISTS
        else:
            album_artist = track.artist
        yield _Row(track, catalog_id, track.album or UNKNOWN, album_artist)


def _song_values(
    song_id: int, row: _Row, album_id: int, artist_id: int, now: int
) -> tuple[object, ...]:
    t = row.track
    return (
        song_id, row.catalog_id, t.path, os.path.dirname(t.path), t.size, t.mtime_ns, t.title,
        album_id, artist_id, t.track, t.disc, t.disksubtitle, t.year, t.duration, t.bitrate,
        t.samplerate, t.channels, t.mode, t.format, t.mime, t.composer, t.comment, t.publisher,
        t.language, t.lyrics, t.mbid, t.artist_mbid, t.album_mbid, t.albumartist_mbid,
        t.replaygain_track_gain, t.replaygain_track_peak, t.replaygain_album_gain,
        t.replaygain_album_peak, t.r128_track_gain, t.r128_album_gain, int(t.has_art),
        now, now,
    )  # fmt: skip


def _inside(path: str, folder: str) -> bool:
    """path is folder itself or below it (string prefix on whole components)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _prefix_range(folder: str) -> tuple[str, str]:
    """Bounds (exclusive) of every path below folder: "folder/" < path < "folder0"."""
    base = folder.rstrip(os.sep)
    return base + os.sep, base + chr(ord(os.sep) + 1)
