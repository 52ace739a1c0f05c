"""Watch the library roots and re-scan only the folders that changed; the only watchdog import.

Design (issue "Live catalog", design.md §1.5): watchdog's inotify observer only *collects
folders*; one background thread debounces them and hands them to the scanner, so there is one
scan code path and one writer. A round:

1. once no folder has had an event for `debounce` seconds, the changed folders become ready,
   except those with a file still open for writing (an IN_MODIFY not yet followed by
   IN_CLOSE_WRITE); both folders of a move are linked and only ever scanned together, so the
   scanner sees the file vanish and reappear in the same scan and keeps its song id;
2. the audio files directly in them are stat'ed twice, `settle` apart; a folder whose sizes or
   mtimes moved goes back to waiting (a copy that paused mid-file is never read half-way);
3. `scan(db, roots, folders=…)` runs on this thread; events arriving meanwhile wait for the
   next round, so two scans never overlap (the scanner's own lock also serialises callers).

Degrading loudly: before watching a root its directories are counted against the inotify
limit; at the limit (ENOSPC, or watchdog silently watching only part of the tree, which the
kernel's per-fd watch count in /proc/self/fdinfo reveals) or the instance limit (EMFILE), and
on network/FUSE mounts (their remote changes never reach inotify), the root is instead
re-scanned every `poll_interval` seconds (stat-only: unchanged files are not opened). The
limit is logged once per process with the sysctl remedy.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import stat
import threading
import time
import warnings
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

from ampmini.db import Database
from ampmini.library.mounts import MOUNTINFO, is_remote, mount_of
from ampmini.library.scanner import ScanResult, scan
from ampmini.library.tags import file_format
from ampmini.library.walk import ART_RANK, is_playlist

# watchdog 7 warns when a folder that was deleted and made again is watched again (it
# replaces its own stale callback); that is the normal life of a music folder, not news.
warnings.filterwarnings("ignore", message="Callback with id", category=RuntimeWarning,
                        module="watchdog")

log = logging.getLogger(__name__)

INOTIFY = "inotify"
POLL = "poll"
# Only what changes content; never IN_OPEN/IN_ACCESS/IN_CLOSE_NOWRITE, which the scanner's own
# reads would trigger (an endless loop of re-scans).
_EVENTS: list[type[FileSystemEvent]] = [
    FileCreatedEvent, FileModifiedEvent, FileMovedEvent, FileDeletedEvent, FileClosedEvent,
    DirCreatedEvent, DirMovedEvent, DirDeletedEvent,
]  # fmt: skip
_MAX_WATCHES_FILE = Path("/proc/sys/fs/inotify/max_user_watches")
# A file "being written" (modified, never closed) that has not changed for this long is taken
# as finished: a hard link or a writer that keeps a file open forever must not block a folder.
_WRITE_TIMEOUT = 60.0
_RECONCILE_EVERY = 5.0  # seconds between checks of the root list and of dead watches
_MAX_DELAY = 5.0  # a folder waits at most this long for the rest of the tree to calm down


@dataclass
class _Root:
    path: str
    mode: str
    watch: Any = None  # watchdog ObservedWatch (inotify mode)
    next_poll: float = 0.0


@dataclass
class _Pending:
    """Changed folders waiting for quiet; guarded by the Watcher's condition."""

    folders: dict[str, float] = field(default_factory=dict)  # folder -> last event (monotonic)
    links: dict[str, set[str]] = field(default_factory=dict)  # folders of one move
    writing: dict[str, float] = field(default_factory=dict)  # file -> last write, not closed

    def touch(self, folders: Iterable[str], at: float) -> None:
        group = set(folders)
        for folder in group:
            self.folders[folder] = max(self.folders.get(folder, at), at)
        if len(group) > 1:
            merged = set(group)
            for folder in group:
                merged |= self.links.get(folder, set())
            for folder in merged:
                self.links[folder] = merged

    def ready(self, now: float, debounce: float) -> set[str]:
        """Folders to scan now; removed from pending.

        A round waits for the whole tree to be quiet for `debounce` (folders with a file still
        being written aside), not each folder alone: the two ends of a move into a folder
        created an instant earlier arrive as unrelated events (inotify had no watch on the new
        folder yet; watchdog reports the vanished source ~0.5 s later), and they must meet in
        one scan for the song to keep its id. A folder that never calms down (a log written
        every second) cannot starve the others: after `_MAX_DELAY` folders quiet on their own
        go anyway. Scans are recursive, so a pending folder below a taken one is scanned with
        it; when it is one end of a move, the other end joins the round too.
        """
        busy = {os.path.dirname(path) for path in self.held(now)}
        candidates = {f: at for f, at in self.folders.items() if f not in busy}
        if not candidates:
            return set()
        if now - max(candidates.values()) >= debounce:
            quiet = set(candidates)
        elif now - min(candidates.values()) >= max(_MAX_DELAY, debounce):
            quiet = {f for f, at in candidates.items() if now - at >= debounce}
        else:
            return set()
        taken = {
            folder
            for folder in quiet
            if all(linked in quiet for linked in self.links.get(folder, ()))
        }
        grown = bool(taken)
        while grown:
            grown = False
            for folder, linked in list(self.links.items()):
                if folder not in taken and any(_inside(folder, t) for t in taken):
                    taken |= linked | {folder}
                    grown = True
        for folder in taken:
            self.folders.pop(folder, None)
            self.links.pop(folder, None)
        return taken

    def held(self, now: float) -> set[str]:
        """Files still open for writing: a scan must not read them yet."""
        return {path for path, at in self.writing.items() if now - at < _WRITE_TIMEOUT}

    def next_due(self, now: float, debounce: float) -> float | None:
        """When ready() may next return something (None: nothing pending)."""
        if not self.folders:
            return None
        busy = {os.path.dirname(path) for path in self.held(now)}
        times = [at for f, at in self.folders.items() if f not in busy]
        if not times:
            return now + 0.25  # only writers: look again soon for their close or timeout
        return min(max(times) + debounce, min(times) + max(_MAX_DELAY, debounce))


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: Watcher) -> None:
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.watcher._event(event)


class Watcher:
    """Keeps the database in line with the library roots while the server runs.

    `roots_provider` is asked again every few seconds, so roots added to the config or through
    catalog_add are watched without a restart. `max_watches` overrides the kernel's
    fs.inotify.max_user_watches (tests simulate the limit with it); `observer_factory` builds
    the watchdog observer (default: inotify on Linux); `mountinfo` is read to spot network mounts.
    """

    def __init__(
        self,
        db: Database,
        roots_provider: Callable[[], Sequence[Path]],
        *,
        debounce: float = 1.0,
        settle: float = 0.2,
        poll_interval: float = 60.0,
        rescan_interval: float = 0.0,
        max_watches: int | None = None,
        observer_factory: Callable[[], Any] = Observer,
        mountinfo: Path = MOUNTINFO,
    ) -> None:
        self.db = db
        self.roots_provider = roots_provider
        self.debounce = debounce
        self.settle = settle
        self.poll_interval = poll_interval
        self.rescan_interval = rescan_interval
        self.max_watches = max_watches
        self.observer_factory = observer_factory
        self.mountinfo = mountinfo
        # Observable state (tests and the log read these).
        self.scans_completed = 0
        self.last_result: ScanResult | None = None
        self.last_folders: frozenset[str] = frozenset()
        self.mode_by_root: dict[str, str] = {}
        self.events_seen = 0
        self._roots: dict[str, _Root] = {}
        self._pending = _Pending()
        self._cond = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._observer: Any = None
        self._handler = _Handler(self)
        self._next_reconcile = 0.0
        self._next_rescan = 0.0
        self._scanning = False
        self._limit_logged = False  # the inotify-limit advice is logged once

    # ------------------------------------------------------------------ life cycle

    def start(self) -> None:
        """Watch (or poll) every root, then run the scan thread; watches exist on return."""
        self._observer = self.observer_factory()
        self._observer.start()
        self._reconcile(time.monotonic())
        if self.rescan_interval:
            self._next_rescan = time.monotonic() + self.rescan_interval
        self._thread = threading.Thread(target=self._run, name="watcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop watching; a scan in progress finishes first (it cannot be cut half-way)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout)

    def request(self, folder: Path | str) -> None:
        """Scan folder in the next round, without waiting for quiet (e.g. a file /play found
        missing)."""
        with self._cond:
            self._pending.touch([os.path.abspath(folder)], time.monotonic() - self.debounce)
            self._cond.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing is pending (for tests and shutdown); False on timeout."""
        end = time.monotonic() + timeout
        with self._cond:
            while self._pending.folders or self._scanning:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    # ------------------------------------------------------------------ events

    def _event(self, event: FileSystemEvent) -> None:
        src = os.fsdecode(event.src_path)
        dest = os.fsdecode(event.dest_path) if event.dest_path else ""
        if not event.is_directory and not (_relevant(src) or _relevant(dest)):
            return  # a log, a .part download, an .nfo: nothing the scanner stores
        now = time.monotonic()
        if event.is_directory:
            # A new, moved or deleted folder is scanned itself (recursively), not its parent:
            # an album copied into the root must not cost a walk of the whole root.
            folders = [p for p in (src, dest) if p]
        else:
            folders = [os.path.dirname(p) for p in (src, dest) if p]
        with self._cond:
            self.events_seen += 1
            writing = self._pending.writing
            if isinstance(event, FileModifiedEvent):
                writing[src] = now
            elif isinstance(event, FileClosedEvent | FileDeletedEvent):
                writing.pop(src, None)
            elif isinstance(event, FileMovedEvent):
                writing.pop(src, None)  # renamed into place: the rename is atomic
            self._pending.touch(folders, now)
            self._cond.notify_all()

    # ------------------------------------------------------------------ the scan thread

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._stopping:
                    return
                now = time.monotonic()
                folders = self._pending.ready(now, self.debounce)
                hold = self._pending.held(now)
                polls = self._due_polls(now)
                full = bool(self.rescan_interval) and now >= self._next_rescan
                if not (folders or polls or full):
                    self._cond.wait(self._sleep_time(now))
                    due_reconcile = time.monotonic() >= self._next_reconcile
                else:
                    due_reconcile = False
                    self._scanning = True
            if due_reconcile:
                self._safely(self._reconcile, time.monotonic())
                continue
            if not (folders or polls or full):
                continue
            try:
                self._round(folders, polls, full, hold)
            finally:
                with self._cond:
                    self._scanning = False
                    self._cond.notify_all()

    def _round(self, folders: set[str], polls: list[_Root], full: bool, hold: set[str]) -> None:
        if folders:
            folders = self._settled(folders)
        if full:
            self._next_rescan = time.monotonic() + self.rescan_interval
            self._safely(self._scan, None, hold)
        elif folders or polls:
            self._safely(self._scan, folders | {root.path for root in polls}, hold)
        for root in polls:
            root.next_poll = time.monotonic() + self.poll_interval

    def _settled(self, folders: set[str]) -> set[str]:
        """Folders whose audio files kept their size and mtime over `settle`; the others wait."""
        before = _snapshot(folders)
        with self._cond:
            self._cond.wait_for(lambda: self._stopping, self.settle)
        after = _snapshot(folders)
        moving = {folder for folder in folders if before[folder] != after[folder]}
        if moving:
            log.debug("still being written, waiting: %s", sorted(moving))
            with self._cond:
                self._pending.touch(moving, time.monotonic())
        return folders - moving

    def _scan(self, folders: Collection[str] | None, hold: Collection[str]) -> None:
        roots = [Path(r) for r in self._roots]
        if not roots:
            return
        chosen = None if folders is None else [Path(f) for f in sorted(folders)]
        # Files still being written (below a folder scanned recursively) are left for later.
        log.debug("watcher: scanning %s (held: %s)", folders or "everything", sorted(hold))
        result = scan(self.db, roots, folders=chosen, hold=hold)
        self.last_folders = frozenset(folders or ())
        self.last_result = result
        with self._cond:
            self.scans_completed += 1
            self._cond.notify_all()
        if result.changed:
            log.info(
                "watcher: %d added, %d updated, %d moved, %d removed in %.2f s (%s)",
                result.added, result.updated, result.moved, result.removed, result.elapsed,
                ", ".join(sorted(folders)) if folders else "full re-scan",
            )  # fmt: skip

    def _due_polls(self, now: float) -> list[_Root]:
        return [r for r in self._roots.values() if r.mode == POLL and now >= r.next_poll]

    def _sleep_time(self, now: float) -> float:
        due = [self._next_reconcile]
        pending = self._pending.next_due(now, self.debounce)
        if pending is not None:
            due.append(max(pending, now + 0.01))
        due.extend(r.next_poll for r in self._roots.values() if r.mode == POLL)
        if self.rescan_interval:
            due.append(self._next_rescan)
        return max(0.01, min(due) - now)

    def _safely(self, func: Callable[..., None], *args: Any) -> None:
        try:
            func(*args)
        except Exception:  # the watcher must outlive any one bad round
            log.exception("watcher: %s failed", func.__name__)

    # ------------------------------------------------------------------ roots

    def _reconcile(self, now: float) -> None:
        """Follow the root list: watch new roots, drop old ones, re-watch dead watches."""
        self._next_reconcile = now + _RECONCILE_EVERY
        wanted = {os.path.realpath(p) for p in self.roots_provider()}
        for path in list(self._roots):
            root = self._roots[path]
            if path not in wanted or (root.mode == INOTIFY and not self._alive(root)):
                self._drop(root)
        for path in sorted(wanted - set(self._roots)):
            if os.path.isdir(path):
                self._add(path)

    def _add(self, path: str) -> None:
        root = _Root(path, self._choose_mode(path))
        if root.mode == INOTIFY:
            root.watch = self._watch(path)
            if root.watch is None:
                root.mode = POLL
        if root.mode == POLL:
            # The first poll soon: changes made before start must not wait a whole interval.
            root.next_poll = time.monotonic() + min(self.poll_interval, self.debounce)
        self._roots[path] = root
        self.mode_by_root[path] = root.mode
        log.info("library root %s: %s", path, "watching" if root.mode == INOTIFY
                 else f"polling every {self.poll_interval:g} s")  # fmt: skip

    def _drop(self, root: _Root) -> None:
        if root.watch is not None:
            with contextlib.suppress(KeyError, OSError):  # already gone with its folder
                self._observer.unschedule(root.watch)
        del self._roots[root.path]
        self.mode_by_root.pop(root.path, None)

    def _alive(self, root: _Root) -> bool:
        """False once watchdog stopped the root's emitter (the root was deleted/unmounted)."""
        emitters = getattr(self._observer, "emitters", None)
        if emitters is None:
            return True
        return any(e.watch == root.watch and e.is_alive() for e in emitters)

    def _choose_mode(self, path: str) -> str:
        mount = mount_of(path, self.mountinfo)
        if mount is not None and is_remote(mount.fstype):
            log.warning(
                "library root %s is on a %s mount (%s): changes made elsewhere never reach "
                "inotify, so it is polled every %g s", path, mount.fstype, mount.source,
                self.poll_interval,
            )  # fmt: skip
            return POLL
        return INOTIFY

    def _watch(self, path: str) -> Any:
        """Schedule an inotify watch on every folder of path; None when the limits forbid it."""
        dirs = count_dirs(path)
        limit = self.max_watches if self.max_watches is not None else _kernel_max_watches()
        used = _watches_in_use()
        if limit is not None and dirs + (used or 0) > limit:
            self._log_limit(path, dirs, limit, "too many folders")
            return None
        try:
            watch = self._observer.schedule(
                self._handler, path, recursive=True, event_filter=_EVENTS
            )
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EMFILE):
                self._log_limit(path, dirs, limit, exc.strerror or str(exc))
                return None
            log.warning("cannot watch %s (%s); polling it instead", path, exc)
            return None
        if used is not None:
            # watchdog skips sub-folders it fails to watch without a word, the limit included:
            # the kernel's own count of our watches tells a partial watch apart.
            added = (_watches_in_use() or 0) - used
            if added < dirs and added < count_dirs(path):
                self._observer.unschedule(watch)
                why = f"only {added} of {dirs} folders could be watched"
                self._log_limit(path, dirs, limit, why)
                return None
        return watch

    def _log_limit(self, path: str, dirs: int, limit: int | None, why: str) -> None:
        level = logging.DEBUG if self._limit_logged else logging.WARNING
        self._limit_logged = True
        suggested = max(524288, 2 * dirs)
        log.log(
            level,
            "cannot watch library root %s (%d folders, inotify limit %s): %s. Polling it "
            "instead; changes will show up more slowly. To watch it, raise the limit: "
            "sudo sysctl fs.inotify.max_user_watches=%d (and to keep it after a reboot: "
            "echo fs.inotify.max_user_watches=%d | sudo tee /etc/sysctl.d/90-ampmini.conf)",
            path, dirs, limit if limit is not None else "unknown", why, suggested, suggested,
        )  # fmt: skip


def _relevant(path: str) -> bool:
    """An audio file, a playlist file or a folder image (album art), by name."""
    name = os.path.basename(path)
    return bool(path) and (
        file_format(name) is not None or is_playlist(name) or name.lower() in ART_RANK
    )


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def count_dirs(path: str) -> int:
    """Readable folders below path, path included (what a recursive inotify watch costs).

    Symlinks are not followed (neither does the watch); an unreadable folder is logged and
    skipped, never fatal.
    """
    count = 0
    stack = [path]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                count += 1
                for entry in it:
                    try:
                        if entry.is_dir(follow_symlinks=False):
                            stack.append(entry.path)
                    except OSError:
                        continue
        except OSError as exc:
            log.warning("cannot read folder %s (skipped by the watcher): %s", folder, exc)
    return count


def _snapshot(folders: Iterable[str]) -> dict[str, dict[str, tuple[int, int]]]:
    """{folder: {name: (size, mtime_ns)}} of the audio and playlist files directly in each
    folder."""
    out: dict[str, dict[str, tuple[int, int]]] = {}
    for folder in folders:
        files: dict[str, tuple[int, int]] = {}
        try:
            with os.scandir(folder) as it:
                for entry in it:
                    if file_format(entry.name) is None and not is_playlist(entry.name):
                        continue
                    try:
                        st = entry.stat()
                    except OSError:
                        continue
                    if stat.S_ISREG(st.st_mode):
                        files[entry.name] = (st.st_size, st.st_mtime_ns)
        except OSError:
            pass  # gone or unreadable: the scanner decides what that means
        out[folder] = files
    return out


def _kernel_max_watches() -> int | None:
    try:
        return int(_MAX_WATCHES_FILE.read_text().strip())
    except (OSError, ValueError):
        return None


def _watches_in_use() -> int | None:
    """inotify watches this process holds (kernel count, /proc/self/fdinfo); None if unknown."""
    total = 0
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return None
    for fd in fds:
        try:
            if os.readlink(f"/proc/self/fd/{fd}") != "anon_inode:inotify":
                continue
            with open(f"/proc/self/fdinfo/{fd}", encoding="ascii", errors="replace") as info:
                total += sum(1 for line in info if line.startswith("inotify wd:"))
        except OSError:
            continue
    return total
