"""SQLite access: pragmas, per-thread read connections, the one serialised writer, migrations."""

from __future__ import annotations

import functools
import logging
import os
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# A 2 MB page cache per connection and no mmap: the OS page cache holds the hot pages once for
# every connection, which keeps a Pi's RSS small (scripts/bench: idle ≤ 40 MB).
_PRAGMAS = (
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 5000",
    "PRAGMA cache_size = -2000",
    "PRAGMA mmap_size = 0",
    "PRAGMA temp_store = MEMORY",
)


def _fold(value: object) -> str | None:
    return value.casefold() if isinstance(value, str) else None


_SOUNDEX_CODES = {
    **dict.fromkeys("bfpv", "1"), **dict.fromkeys("cgjkqsxz", "2"), **dict.fromkeys("dt", "3"),
    "l": "4", **dict.fromkeys("mn", "5"), "r": "6",
}


def _soundex(value: object) -> str | None:
    """American soundex, for the `sounds like` search operator."""
    if not isinstance(value, str):
        return None
    letters = [c for c in value.casefold() if c.isascii() and c.isalpha()]
    if not letters:
        return ""
    code = letters[0].upper()
    last = _SOUNDEX_CODES.get(letters[0], "")
    for c in letters[1:]:
        digit = _SOUNDEX_CODES.get(c, "")
        if digit and digit != last:
            code += digit
        if c not in "hw":
            last = digit
    return (code + "000")[:4]


@functools.lru_cache(maxsize=64)
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error:
        return None


_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9. ]")


def play_name(artist: object, title: object, ext: object) -> str:
    """The `name=` of a play URL: `Artist - Title.ext` with everything but [A-Za-z0-9. ] turned
    into `-` (spec §7), the space percent-encoded exactly as quote() would."""
    return _UNSAFE_NAME.sub("-", f"{artist} - {title}.{ext}").replace(" ", "%20")


def _regexp(pattern: object, value: object) -> bool:
    """`x REGEXP p`: patterns capped at 100 characters, as Ampache 6.9.2 caps them, so a
    client cannot hand the server a pathological expression."""
    if not isinstance(pattern, str) or not isinstance(value, str) or len(pattern) > 100:
        return False
    compiled = _compiled(pattern)
    return bool(compiled and compiled.search(value))


def _migrations() -> list[tuple[int, str, str]]:
    """The numbered schema files shipped in ampmini/schema, in order."""
    found = []
    for entry in resources.files("ampmini.schema").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


class Connection(sqlite3.Connection):
    """sqlite3's connection with a `memo` for results worth keeping between statements on
    this connection (api/listing.py keeps the last id list, checked by PRAGMA data_version)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.memo: dict[str, Any] | None = {}


class Database:
    """One SQLite file: WAL, a read connection per thread, and a lock-guarded writer.

    Readers are `query_only`, so a bug in a read path cannot write; the single write
    connection is guarded by a lock because SQLite allows one writer at a time anyway and
    waiting on a Python lock is cheaper than spinning on SQLITE_BUSY.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._writer: sqlite3.Connection | None = None
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()

    def _connect(self, *, readonly: bool) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None, timeout=5.0,
            factory=Connection,
        )
        conn.row_factory = sqlite3.Row
        # Unicode-aware case folding for filters: SQLite's LIKE and NOCASE fold ASCII only,
        # so "MOTÖRHEAD" would not find "Motörhead" without it.
        conn.create_function("fold", 1, _fold, deterministic=True)
        conn.create_function("soundex", 1, _soundex, deterministic=True)
        conn.create_function("regexp", 2, _regexp, deterministic=True)
        # Play URLs are built in SQL too (api/sqlrender.py renders whole pages in SQLite).
        conn.create_function("play_name", 3, play_name, deterministic=True)
        for pragma in _PRAGMAS:
            conn.execute(pragma)
        if readonly:
            conn.execute("PRAGMA query_only = ON")
        else:
            # PRAGMA data_version ignores a connection's own commits, so a memo checked by it
            # is only sound on connections that never write.
            conn.memo = None
        with self._connections_lock:
            self._connections.append(conn)
        return conn

    def open(self) -> Database:
        """Create the file (mode 0600) if needed, set WAL and apply migrations."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            # Created before SQLite opens it so the file is never world-readable: it holds
            # password digests and session tokens.
            fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        writer = self._connect(readonly=False)
        writer.execute("PRAGMA journal_mode = WAL")
        writer.execute("PRAGMA synchronous = NORMAL")
        self._writer = writer
        self.migrate()
        return self

    def migrate(self) -> None:
        """Apply every schema file newer than PRAGMA user_version, each in one transaction."""
        with self.writer() as conn:
            current = conn.execute("PRAGMA user_version").fetchone()[0]
        for number, name, text in _migrations():
            if number <= current:
                continue
            log.info("applying schema migration %s", name)
            with self._write_lock:
                assert self._writer is not None
                # executescript commits first; the script itself is wrapped in a transaction.
                self._writer.executescript(
                    f"BEGIN;\n{text}\nPRAGMA user_version = {number};\nCOMMIT;"
                )

    def reader(self) -> sqlite3.Connection:
        """This thread's read-only connection (WAL readers never wait for the writer)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect(readonly=True)
            self._local.conn = conn
        return conn

    @contextmanager
    def writer(self) -> Iterator[sqlite3.Connection]:
        """The write connection inside BEGIN IMMEDIATE … COMMIT (rolled back on error)."""
        with self._write_lock:
            conn = self._writer
            if conn is None:
                raise RuntimeError("database not opened")
            if conn.in_transaction:  # re-entrant use from inside another writer block
                yield conn
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def close(self) -> None:
        with self._connections_lock:
            for conn in self._connections:
                try:
                    conn.close()
                except sqlite3.Error:
                    log.debug("closing a connection failed", exc_info=True)
            self._connections.clear()
        self._writer = None


def open_database(path: Path | str) -> Database:
    """Open (creating and migrating as needed) the database at path."""
    return Database(path).open()
