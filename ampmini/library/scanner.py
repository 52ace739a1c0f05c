"""Scan library roots: walk, diff (size, mtime) against the database, read tags, write in batches.

The steps live in their own modules: walk.py (find files), reading.py (tags, pooled for big
scans), store.py (batched writes, ids, removals), aggregates.py (album/artist counts in SQL).
This one decides what to read and what is gone, and runs the steps in order.

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
import threading
import time
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

from ampmini.db import Database
from ampmini.library import aggregates, m3u
from ampmini.library.reading import read_many
from ampmini.library.store import (
    BATCH_SIZE,
    UNKNOWN,
    VARIOUS_ARTISTS,
    Existing,
    Row,
    Store,
    group_albums,
)
from ampmini.library.tags import TagError, Track
from ampmini.library.walk import (
    Target,
    Walked,
    album_folder,
    disc_of_folder,
    inside,
    prefix_range,
    walk,
)
from ampmini.progress import ProgressReporter

__all__ = [
    "BATCH_SIZE", "UNKNOWN", "VARIOUS_ARTISTS", "ScanResult", "album_folder", "forget", "scan",
]  # fmt: skip

log = logging.getLogger(__name__)

# A watcher passes folders; more than this many range clauses and one query per root is cheaper.
_MAX_FOLDERS = 200

_SCAN_LOCK = threading.RLock()  # re-entrant: forget() may run inside scans_paused()


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
    held: int = 0  # new/changed files left alone because they are still being written
    elapsed: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.moved or self.removed)


def scan(
    db: Database,
    roots: Sequence[Path],
    *,
    full: bool = False,
    folders: Collection[Path] | None = None,
    progress: ProgressReporter | None = None,
    hold: Collection[str] = (),
) -> ScanResult:
    """Bring the database in line with the files under roots (or only under `folders`).

    full=True re-reads every file even if its size and mtime are unchanged. With `folders`
    (from the watcher) only those folders are walked, recursively, and only songs below them
    can be removed. `hold`: paths of files still being written (the watcher knows them), neither
    read nor removed this time. A concurrent second call blocks until the running scan has
    finished.
    """
    with _SCAN_LOCK:
        return _Scan(db, full=full, progress=progress, hold=hold).run(roots, folders)


@contextmanager
def scans_paused() -> Iterator[None]:
    """No scan starts or runs while this is held (e.g. while a catalog is deleted)."""
    with _SCAN_LOCK:
        yield


def forget(db: Database, song_ids: Sequence[int]) -> int:
    """Remove songs whose files are gone (song_delete) exactly as a scan removes them:
    copied into deleted_song, aggregates and catalog timestamps rebuilt. Returns the count."""
    with _SCAN_LOCK:
        job = _Scan(db, full=False, progress=None)
        job.store.remove(list(song_ids))
        job.result.removed = job.store.removed
        job._finish()
        return job.result.removed


class _Scan:
    """The state of one scan run: walk results, the store and counters."""

    def __init__(
        self,
        db: Database,
        *,
        full: bool,
        progress: ProgressReporter | None,
        hold: Collection[str] = (),
    ) -> None:
        self.db = db
        self.full = full
        self.progress = progress
        self.hold = frozenset(hold)
        self.result = ScanResult()
        self.walked = Walked()
        self.store = Store(db, int(time.time()), self.walked.images)

    def run(self, roots: Sequence[Path], folders: Collection[Path] | None) -> ScanResult:
        started = time.perf_counter()
        targets = self._targets(self._catalogs(roots), folders)
        if self.progress:
            self.progress.restart("walking", None)
        for target in targets:
            walk(target, self.walked, self.progress)
        result = self.result
        result.seen = len(self.walked.files)
        result.errors = self.walked.errors
        existing = self._load_existing(targets)
        new, changed, gone = self._diff(existing)
        context = self._context(existing, new, changed, gone)
        if new and gone:
            self.store.load_gone_keys(gone.values())
        to_read = [*new, *changed, *context]
        if self.progress:
            self.progress.restart("reading tags", len(to_read))
        self._read_and_write(to_read, existing, set(context))
        self.store.remove([i for i in gone.values() if i not in self.store.moved_ids])
        # After the songs: playlist files refer to songs anywhere, written in this scan too.
        m3u.sync(self.db, self.walked.playlists, [t.top for t in targets], self.walked.keep)
        store = self.store
        result.added, result.updated = store.added, store.updated
        result.moved, result.removed = store.moved, store.removed
        self._finish()
        result.unchanged = (
            result.seen - result.added - result.updated - result.moved - result.skipped
            - result.held
        )  # fmt: skip
        result.elapsed = time.perf_counter() - started
        if self.progress:
            self.progress.finish(
                f"scan: {result.seen} files, {result.added} added, {result.updated} updated, "
                f"{result.moved} moved, {result.removed} removed, {result.skipped} skipped "
                f"in {result.elapsed:.1f} s"
            )
        log.debug("scan finished: %s", result)  # the progress reporter showed the summary
        return result

    # ------------------------------------------------------------------ catalogs and targets

    def _catalogs(self, roots: Sequence[Path]) -> list[tuple[str, int]]:
        """One catalog row per root (created on first sight); nested roots are skipped."""
        resolved: list[str] = []
        for root in roots:
            path = str(Path(root).resolve())
            if any(inside(path, other) or inside(other, path) for other in resolved):
                log.warning("library root %s overlaps another root; skipped", path)
                continue
            resolved.append(path)
        out = []
        with self.db.writer() as conn:
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
    ) -> list[Target]:
        if folders is None or len(folders) > _MAX_FOLDERS:
            return [Target(root, root, cid) for root, cid in catalogs]
        chosen: list[Target] = []
        for folder in sorted({os.path.abspath(f) for f in folders}):
            match = next(((r, c) for r, c in catalogs if inside(folder, r)), None)
            if match is None:
                log.warning("folder %s is outside every library root; ignored", folder)
                continue
            root, cid = match
            relative = os.path.relpath(folder, root)
            if folder != root and any(part.startswith(".") for part in relative.split(os.sep)):
                continue
            top = album_folder(folder) if folder != root else folder
            # Disc folders widen to the album folder so album grouping sees every disc.
            top = top if inside(top, root) else folder
            chosen.append(Target(top, root, cid))
        out: list[Target] = []
        for target in sorted(chosen):
            if not any(inside(target.top, kept.top) for kept in out):
                out.append(target)
        return out

    # ------------------------------------------------------------------ diff

    def _load_existing(self, targets: list[Target]) -> dict[str, Existing]:
        """{path: (id, size, mtime)} of songs below the targets, in one query; also failures."""
        if not targets:
            return {}
        where = " OR ".join("(path > ? AND path < ?)" for _ in targets)
        params = [bound for t in targets for bound in prefix_range(t.top)]
        conn = self.db.reader()
        existing = {
            row[1]: Existing(row[0], row[2], row[3])
            for row in conn.execute(
                f"SELECT id, path, size, mtime_ns FROM song WHERE {where}",  # noqa: S608 (fixed clauses)
                params,
            )
        }
        self.store.failures = {
            row[0]: (row[1], row[2])
            for row in conn.execute(
                f"SELECT path, size, mtime_ns FROM scan_failure WHERE {where}",  # noqa: S608 (fixed clauses)
                params,
            )
        }
        self.store.load_maps(conn)
        return existing

    def _diff(self, existing: dict[str, Existing]) -> tuple[list[str], list[str], dict[str, int]]:
        new: list[str] = []
        changed: list[str] = []
        failures = self.store.failures
        for path, (size, mtime_ns, _cid) in self.walked.files.items():
            old = existing.get(path)
            now = (size, mtime_ns)
            if old is not None and not self.full and (old.size, old.mtime_ns) == now:
                continue
            if path in self.hold:
                self.result.held += 1  # still being written: the watcher comes back for it
                continue
            if not self.full and failures.get(path) == now:
                self.result.skipped += 1  # failed before and unchanged since: not reopened
                continue
            (new if old is None else changed).append(path)
        keep = self.walked.keep
        gone = {
            path: old.id
            for path, old in existing.items()
            if path not in self.walked.files and not any(inside(path, k) for k in keep)
        }
        return new, changed, gone

    def _context(
        self,
        existing: dict[str, Existing],
        new: list[str],
        changed: list[str],
        gone: dict[str, int],
    ) -> list[str]:
        """Unchanged songs sharing an album folder with a new, changed or gone file."""
        if not existing:  # a first scan: no song is unchanged
            return []
        affected = {album_folder(os.path.dirname(p)) for p in (*new, *changed, *gone)}
        if not affected:
            return []
        skip = set(new) | set(changed) | self.hold
        return [
            path
            for path in self.walked.files
            if path in existing
            and path not in skip
            and album_folder(os.path.dirname(path)) in affected
        ]

    # ------------------------------------------------------------------ read and write

    def _read_and_write(
        self, paths: list[str], existing: dict[str, Existing], context: set[str]
    ) -> None:
        folders: dict[str, str] = {}  # parent folder -> album folder, one string per folder

        def album_of(path: str) -> str:
            parent = os.path.dirname(path)
            folder = folders.get(parent)
            if folder is None:
                folder = folders[parent] = album_folder(parent)
            return folder

        ordered = sorted(paths, key=lambda p: (album_of(p), p))
        files = self.walked.files
        batch: list[Row] = []
        # Batches end only between album folders, so grouping sees a whole folder at once.
        for _folder, group in groupby(read_many(ordered, files), key=lambda r: album_of(r[0])):
            tracks = []
            for path, outcome in group:
                track = self._accept(path, outcome, in_context=path in context)
                if track is not None:
                    tracks.append((track, files[path][2]))
            batch.extend(group_albums(tracks))
            if len(batch) >= BATCH_SIZE:
                self.store.write(batch, existing)
                batch = []
        if batch or self.store.new_failures:
            self.store.write(batch, existing)

    def _accept(self, path: str, outcome: Track | TagError, *, in_context: bool) -> Track | None:
        """The Track to store, or None for an unreadable file (logged and remembered)."""
        self.result.read += 1
        if self.progress:
            self.progress.advance()
        if isinstance(outcome, TagError):
            if not in_context:
                size, mtime_ns, _cid = self.walked.files[path]
                log.warning("skipped unreadable file %s: %s", path, outcome)
                self.result.skipped += 1
                self.store.new_failures.append((path, size, mtime_ns, str(outcome)))
            return None
        if not outcome.disc:
            disc = disc_of_folder(os.path.dirname(path))
            if disc:  # untagged multi-disc rip in CD1/CD2 folders
                return outcome._replace(disc=disc)
        return outcome

    # ------------------------------------------------------------------ totals

    def _finish(self) -> None:
        """Rebuild aggregates and timestamps when anything changed; drop stale failures."""
        stale = [(p,) for p in self.store.failures if p not in self.walked.files]
        result = self.result
        now = self.store.now
        with self.db.writer() as conn:
            if stale:
                conn.executemany("DELETE FROM scan_failure WHERE path = ?", stale)
            if result.changed or aggregates.pending(conn):
                started = time.perf_counter()
                aggregates.rebuild(conn, now)
                log.debug("aggregates rebuilt in %.3f s", time.perf_counter() - started)
            if result.changed:
                kinds = {"add": bool(result.added), "update": True, "clean": bool(result.removed)}
                for key, happened in kinds.items():
                    if happened:
                        conn.execute(
                            "INSERT INTO library_state (key, value) VALUES (?, ?) "
                            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                            (key, now),
                        )
                touched = self.store.touched_catalogs
                every = touched["add"] | touched["update"] | touched["clean"]
                for column, ids in (("last_add", touched["add"]), ("last_update", every),
                                    ("last_clean", touched["clean"])):  # fmt: skip
                    conn.executemany(
                        f"UPDATE catalog SET {column} = ? WHERE id = ?",  # noqa: S608 (fixed tuple)
                        [(now, cid) for cid in ids],
                    )
            conn.execute("PRAGMA optimize")
