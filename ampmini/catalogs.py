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

from .library.scanner import ScanResult, forget, scan, scans_paused

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


def delete_catalog(db: Database, catalog_id: int) -> int:
    """Forget catalog `catalog_id` and its songs (files stay on disk); returns songs removed.

    The songs leave exactly as a scan removes vanished files (scanner.forget: copied into
    deleted_song, album and artist counts rebuilt, empty ones dropped). No scan runs
    meanwhile, so none can bring the root's songs back before the catalog row is gone.
    """
    path = catalog_path(db.reader(), catalog_id)
    if path is None:
        raise CatalogError(str(catalog_id), "filter")
    base = path.rstrip(os.sep)
    with scans_paused():
        song_ids = [r[0] for r in db.reader().execute(
            "SELECT id FROM song WHERE catalog_id = ?", (catalog_id,))]
        removed = forget(db, song_ids)
        with db.writer() as conn:
            conn.execute("DELETE FROM library_state WHERE key = ?", (f"{_MARK}{catalog_id}",))
            conn.execute("DELETE FROM scan_failure WHERE path > ? AND path < ?",
                         (base + os.sep, base + chr(ord(os.sep) + 1)))
            # Albums that also have songs elsewhere move to the catalog of those songs.
            conn.execute(
                "UPDATE album SET catalog_id = (SELECT min(catalog_id) FROM song"
                " WHERE song.album_id = album.id) WHERE catalog_id = ?",
                (catalog_id,),
            )
            conn.execute("DELETE FROM catalog WHERE id = ?", (catalog_id,))
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
