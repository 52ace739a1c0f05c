"""Catalogs as library roots: config roots plus API-added folders, path checks, background tasks.

Design (issue "Live catalog"): every library root is an Ampache catalog. The `[library] roots`
of the config are the fixed ones (the scanner creates one `catalog` row per root on sight).
`catalog_add` adds a folder that is not in the config: its row is stored in the database and
marked in `library_state` (key `api_catalog:<id>`), and :func:`all_roots` returns the config
roots followed by those folders, so every scan, the watcher and `catalog_action` treat both
alike. Only marked catalogs, or catalogs whose root has left the config, can be deleted through
the API: a config root would be re-created by the next scan, so deleting it is refused.

Paths sent by clients are trusted only after `os.path.realpath` (symlinks and `..` resolved)
lands inside the catalog's real root (:func:`inside_root`).

Long tasks run on one background worker thread (:data:`TASKS`); the scanner's own lock
guarantees that they never overlap a scan started elsewhere (watcher, timer, CLI).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .library.scanner import ScanResult, scan

if TYPE_CHECKING:
    import sqlite3

    from .config import Config
    from .db import Database

log = logging.getLogger(__name__)

_MARK = "api_catalog:"
# Key range of the markers in library_state's primary key (':' + 1 == ';').
_MARK_RANGE = (_MARK, _MARK[:-1] + ";")


class CatalogError(ValueError):
    """A catalog change that cannot be made; `param` names the request parameter to blame."""

    def __init__(self, message: str, param: str = "path") -> None:
        super().__init__(message)
        self.param = param


# ------------------------------------------------------------------ roots


def real(path: str | Path) -> str:
    """The canonical form used for catalog paths: absolute, symlinks and `..` resolved."""
    return os.path.realpath(os.fspath(path))


def inside_root(path: str, root: str) -> bool:
    """`path` (already real) is `root` (already real) itself or below it, by whole components."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _overlaps(a: str, b: str) -> bool:
    return inside_root(a, b) or inside_root(b, a)


def api_catalog_ids(conn: sqlite3.Connection) -> set[int]:
    """Ids of the catalogs added through the API (markers in library_state)."""
    rows = conn.execute(
        "SELECT key FROM library_state WHERE key > ? AND key < ?", _MARK_RANGE
    ).fetchall()
    return {int(row[0][len(_MARK) :]) for row in rows}


def config_roots(config: Config) -> list[str]:
    """The config's library roots in canonical form, in config order."""
    return [real(root) for root in config.library.roots]


def all_roots(db: Database, config: Config) -> list[Path]:
    """Every root to scan and watch: the config roots, then the enabled API-added catalogs.

    An API catalog overlapping a config root (the config was edited after catalog_add) is left
    out with a warning: the config wins, and the scanner refuses nested roots anyway.
    """
    roots = config_roots(config)
    conn = db.reader()
    ids = sorted(api_catalog_ids(conn))
    if ids:
        rows = conn.execute(
            "SELECT c.id, c.path FROM json_each(?) AS j JOIN catalog AS c ON c.id = j.value "
            "WHERE c.enabled ORDER BY c.id",
            (str(ids),),
        ).fetchall()
        for row in rows:
            path = row["path"]
            if any(_overlaps(path, root) for root in roots):
                log.warning(
                    "catalog %s (%s) overlaps a configured root; not scanned", row["id"], path
                )
                continue
            roots.append(path)
    return [Path(root) for root in roots]


def catalog_path(conn: sqlite3.Connection, catalog_id: int) -> str | None:
    row = conn.execute("SELECT path FROM catalog WHERE id = ?", (catalog_id,)).fetchone()
    return None if row is None else str(row[0])


def resolve_client_path(given: str, root: str) -> str | None:
    """The real path of a client-sent `given` if it lies inside catalog root `root`, else None.

    Relative paths are refused: a client must name the file as the server sees it (Ampache
    sends absolute paths). `realpath` resolves `..` and every symlink, so a link inside the root
    pointing outside it is caught here, not followed.
    """
    if not given or "\x00" in given or not os.path.isabs(given):
        return None
    resolved = real(given)
    return resolved if inside_root(resolved, real(root)) else None


# ------------------------------------------------------------------ adding and deleting


def add_catalog(db: Database, config: Config, name: str, path: str) -> int:
    """Create an API catalog for folder `path`; CatalogError when it cannot be one."""
    if "\x00" in path or not os.path.isabs(path):
        raise CatalogError(path)
    folder = real(path)
    if not os.path.isdir(folder) or not os.access(folder, os.R_OK | os.X_OK):
        raise CatalogError(path)
    existing = [r[0] for r in db.reader().execute("SELECT path FROM catalog")]
    if any(_overlaps(folder, other) for other in [*config_roots(config), *existing]):
        # Nested roots would list a file twice; the scanner refuses them too.
        raise CatalogError(path)
    with db.writer() as conn:
        catalog_id = conn.execute(
            "INSERT INTO catalog (name, path, type, gather_types) VALUES (?, ?, 'local', 'music')",
            (name, folder),
        ).lastrowid
        conn.execute(
            "INSERT INTO library_state (key, value) VALUES (?, ?)",
            (f"{_MARK}{catalog_id}", int(time.time())),
        )
    log.info("catalog %s added: %s", catalog_id, folder)
    return int(catalog_id)


def deletable(conn: sqlite3.Connection, config: Config, catalog_id: int) -> bool:
    """A catalog may be deleted unless its folder is (or overlaps) a configured root."""
    path = catalog_path(conn, catalog_id)
    return path is not None and not any(_overlaps(path, r) for r in config_roots(config))


# Removing a catalog: its songs go to deleted_song (clients sync with it) and disappear; the
# albums and artists they touched get their counts rebuilt, empty ones are deleted. One
# transaction: readers see the catalog either whole or gone. (The scanner does the same for
# files that vanish; it has no entry point for "forget this root", hence these statements.)
_PURGE = (
    "CREATE TEMP TABLE IF NOT EXISTS purge_album (id INTEGER PRIMARY KEY)",
    "CREATE TEMP TABLE IF NOT EXISTS purge_artist (id INTEGER PRIMARY KEY)",
    "DELETE FROM temp.purge_album",
    "DELETE FROM temp.purge_artist",
    "INSERT OR IGNORE INTO temp.purge_album SELECT album_id FROM song WHERE catalog_id = :c",
    """INSERT OR IGNORE INTO temp.purge_artist SELECT sa.artist_id FROM song AS s
         JOIN song_artist AS sa ON sa.song_id = s.id WHERE s.catalog_id = :c""",
    """INSERT OR IGNORE INTO temp.purge_artist SELECT album_artist_id FROM album
        WHERE id IN (SELECT id FROM temp.purge_album) AND album_artist_id IS NOT NULL""",
    """INSERT OR REPLACE INTO deleted_song (id, addition_time, delete_time, update_time, title,
                                            file, catalog_id, album_id, artist_id, total_count,
                                            total_skip)
       SELECT s.id, s.added, :now, s.updated, s.title, s.path, s.catalog_id, s.album_id,
              s.artist_id, coalesce(pc.plays, 0), coalesce(pc.skips, 0)
         FROM song AS s
         LEFT JOIN play_count AS pc ON pc.object_type = 'song' AND pc.object_id = s.id
        WHERE s.catalog_id = :c""",
    "DELETE FROM song WHERE catalog_id = :c",
    """UPDATE album SET song_count = a.n, disk_count = a.d, time = a.t, art_song_id = a.art,
                        catalog_id = a.cat, updated = :now
         FROM (SELECT album_id, count(*) AS n, count(DISTINCT disk) AS d, sum(time) AS t,
                      min(CASE WHEN has_art THEN id END) AS art, min(catalog_id) AS cat
                 FROM song WHERE album_id IN (SELECT id FROM temp.purge_album)
                GROUP BY album_id) AS a
        WHERE album.id = a.album_id""",
    """DELETE FROM album WHERE id IN (SELECT id FROM temp.purge_album)
          AND NOT EXISTS (SELECT 1 FROM song WHERE song.album_id = album.id)""",
    "DELETE FROM album_genre WHERE album_id IN (SELECT id FROM temp.purge_album)",
    """INSERT OR IGNORE INTO album_genre (album_id, genre_id)
       SELECT DISTINCT s.album_id, sg.genre_id FROM song AS s
         JOIN song_genre AS sg ON sg.song_id = s.id
        WHERE s.album_id IN (SELECT id FROM temp.purge_album)""",
    "DELETE FROM artist_genre WHERE artist_id IN (SELECT id FROM temp.purge_artist)",
    """INSERT OR IGNORE INTO artist_genre (artist_id, genre_id)
       SELECT DISTINCT sa.artist_id, sg.genre_id FROM song_artist AS sa
         JOIN song_genre AS sg ON sg.song_id = sa.song_id
        WHERE sa.artist_id IN (SELECT id FROM temp.purge_artist)""",
    """UPDATE artist SET album_count = c.albums, song_count = c.songs, time = c.t, updated = :now
         FROM (SELECT ar.id AS id,
                      (SELECT count(*) FROM album WHERE album_artist_id = ar.id) AS albums,
                      (SELECT count(*) FROM song_artist WHERE artist_id = ar.id) AS songs,
                      (SELECT coalesce(sum(s.time), 0) FROM song_artist AS sa
                         JOIN song AS s ON s.id = sa.song_id WHERE sa.artist_id = ar.id) AS t
                 FROM artist AS ar WHERE ar.id IN (SELECT id FROM temp.purge_artist)) AS c
        WHERE artist.id = c.id""",
    """DELETE FROM artist WHERE id IN (SELECT id FROM temp.purge_artist)
          AND album_count = 0 AND song_count = 0
          AND NOT EXISTS (SELECT 1 FROM song WHERE song.artist_id = artist.id)
          AND NOT EXISTS (SELECT 1 FROM album WHERE album.album_artist_id = artist.id)""",
    "DELETE FROM genre WHERE NOT EXISTS (SELECT 1 FROM song_genre WHERE genre_id = genre.id)",
    "DELETE FROM scan_failure WHERE path > :lo AND path < :hi",
    "UPDATE album SET catalog_id = NULL WHERE catalog_id = :c",
    "DELETE FROM catalog WHERE id = :c",
)


def delete_catalog(db: Database, catalog_id: int) -> int:
    """Forget catalog `catalog_id` and its songs (files stay on disk); returns songs removed."""
    path = catalog_path(db.reader(), catalog_id)
    if path is None:
        raise CatalogError(str(catalog_id), "filter")
    now = int(time.time())
    base = path.rstrip(os.sep)
    args = {"c": catalog_id, "now": now, "lo": base + os.sep, "hi": base + chr(ord(os.sep) + 1)}
    with db.writer() as conn:
        # The marker goes first: a scan starting now no longer includes this root.
        conn.execute("DELETE FROM library_state WHERE key = ?", (f"{_MARK}{catalog_id}",))
        removed = conn.execute(
            "SELECT count(*) FROM song WHERE catalog_id = ?", (catalog_id,)
        ).fetchone()[0]
        for sql in _PURGE:
            conn.execute(sql, {k: v for k, v in args.items() if f":{k}" in sql})
        if removed:
            conn.execute(
                "INSERT INTO library_state (key, value) VALUES ('clean', ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (now,),
            )
    log.info("catalog %s deleted (%s): %d songs forgotten", catalog_id, path, removed)
    return int(removed)


# ------------------------------------------------------------------ background tasks


def scan_folders(
    db: Database, config: Config, folders: Collection[str] | None, *, full: bool = False
) -> ScanResult:
    """One scan over all roots, limited to `folders` (real paths inside a root) when given."""
    chosen = None if folders is None else [Path(f) for f in folders]
    return scan(db, all_roots(db, config), full=full, folders=chosen)


@dataclass(slots=True)
class _Task:
    key: str
    run: Callable[[], object]


class TaskRunner:
    """One worker thread running queued tasks in order; a task already queued is not added twice.

    One thread is enough: scans serialise on the scanner's lock anyway, and a client repeating
    `catalog_action` cannot pile up threads.
    """

    def __init__(self) -> None:
        self._queue: queue.Queue[_Task] = queue.Queue()
        self._pending: set[str] = set()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._busy = 0
        self._thread: threading.Thread | None = None

    def submit(self, key: str, run: Callable[[], object]) -> bool:
        """Queue `run` under `key`; False when an identical task is still waiting."""
        with self._lock:
            if key in self._pending:
                return False
            self._pending.add(key)
            self._busy += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._work, name="catalog-tasks", daemon=True
                )
                self._thread.start()
        self._queue.put(_Task(key, run))
        return True

    def _work(self) -> None:
        while True:
            task = self._queue.get()
            with self._lock:
                self._pending.discard(task.key)
            try:
                task.run()
            except Exception:
                log.exception("catalog task %s failed", task.key)
            finally:
                with self._lock:
                    self._busy -= 1
                    self._idle.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every submitted task has finished; False on timeout."""
        with self._lock:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)


TASKS = TaskRunner()
