"""Playlist files in the library: `.m3u`/`.m3u8` files below a root become public playlists.

Each file found by a scan's walk is parsed (`#EXTM3U`/`#EXTINF` lines are ignored, `#PLAYLIST:`
names the list) and its entries — relative to the file's folder, absolute, or `file://` URLs,
Windows backslashes tolerated — are looked up among the scanned songs in one query. The list is
owned by the first admin, public, named after the file (`source_path` = the file, schema
0003_playlists.sql). It is rewritten only when the resolved song list differs, so re-scans of an
unchanged file write nothing, and entries matching no song are logged then, once per change.
A playlist whose file is gone from a scanned folder is deleted (triggers clean what hangs off it).
Files are re-read on every scan of their folder: they are small, and a song added after the file
was first read is picked up by the next scan.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from collections.abc import Iterable
from urllib.parse import unquote, urlparse

from ampmini.db import Database
from ampmini.library.walk import inside, is_playlist, prefix_range

log = logging.getLogger("ampmini.library.scanner")

__all__ = ["decode", "export", "is_playlist", "parse", "sync"]

MAX_BYTES = 8 * 1024 * 1024  # a playlist file larger than this is not a playlist


def decode(data: bytes, path: str) -> str:
    """UTF-8 (BOM tolerated; always for .m3u8); a legacy .m3u that is not UTF-8 is Latin-1."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        if path.lower().endswith(".m3u8"):
            return data.decode("utf-8", errors="replace")
        return data.decode("latin-1")


def parse(text: str, folder: str) -> tuple[str | None, list[str]]:
    """(name from #PLAYLIST or None, absolute normalised entry paths in file order)."""
    name = None
    entries: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if line.upper().startswith("#PLAYLIST:"):
                name = line.partition(":")[2].strip() or None
            continue  # #EXTM3U, #EXTINF (duration, "artist - title"): the file itself decides
        entries.append(_entry_path(line, folder))
    return name, entries


def _entry_path(line: str, folder: str) -> str:
    if line.lower().startswith("file:"):
        url = urlparse(line)
        path = unquote(url.path)
    else:
        path = line
        if "\\" in path and not os.path.exists(os.path.join(folder, path)):
            path = path.replace("\\", "/")  # written on Windows
    if not os.path.isabs(path):
        path = os.path.join(folder, path)
    return os.path.normpath(path)


def sync(db: Database, found: dict[str, int], tops: Iterable[str], keep: Iterable[str]) -> None:
    """Bring the playlists of files below `tops` in line with `found` {path: catalog id}.

    `keep`: unreadable folders/files from the walk, whose playlists must not be removed.
    """
    tops, keep = list(tops), list(keep)
    conn = db.reader()
    existing = _existing(conn, tops)
    gone = [pid for path, pid in existing.items()
            if path not in found and not any(inside(path, k) for k in keep)]  # fmt: skip
    updates = []
    owner = None
    for path in sorted(found):
        loaded = _load(path)
        if loaded is None:
            continue
        name, entries = loaded
        song_ids, missing = _resolve(conn, entries)
        current = existing.get(path)
        if current is not None and _song_ids(conn, current) == song_ids:
            if name and _name(conn, current) != name:
                updates.append((path, name, song_ids, current))
            continue
        if owner is None:
            owner = _first_admin(conn)
            if owner is None:
                log.warning("playlist files found but no admin user owns them yet; skipped")
                return
        for entry in missing:
            log.warning("playlist %s: no song for entry %s", path, entry)
        updates.append((path, name, song_ids, current))
    if not (gone or updates):
        return
    now = int(time.time())
    with db.writer() as wconn:
        wconn.executemany("DELETE FROM playlist WHERE id = ?", [(pid,) for pid in gone])
        for path, name, song_ids, current in updates:
            _write(wconn, path, name, song_ids, current, owner, now)
    if gone:
        log.info("removed %d playlist(s) whose file is gone", len(gone))


def _existing(conn: sqlite3.Connection, tops: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for top in tops:
        low, high = prefix_range(top)
        out.update(
            conn.execute(
                "SELECT source_path, id FROM playlist WHERE source_path > ? AND source_path < ?",
                (low, high),
            ).fetchall()
        )
    return out


def _load(path: str) -> tuple[str, list[str]] | None:
    try:
        if os.path.getsize(path) > MAX_BYTES:
            log.warning("playlist %s is larger than %d bytes; skipped", path, MAX_BYTES)
            return None
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        log.warning("cannot read playlist %s: %s", path, exc)
        return None
    name, entries = parse(decode(data, path), os.path.dirname(path))
    stem = os.path.splitext(os.path.basename(path))[0]
    return name or stem, entries


def _resolve(conn: sqlite3.Connection, entries: list[str]) -> tuple[list[int], list[str]]:
    """Song ids in entry order (a path listed twice plays twice) and the unmatched entries.

    A path not stored as written is tried once more with its symlinks resolved.
    """
    if not entries:
        return [], []
    ids = _ids_by_path(conn, entries)
    unmatched = [e for e in dict.fromkeys(entries) if e not in ids]
    if unmatched:
        real = {e: os.path.realpath(e) for e in unmatched}
        by_real = _ids_by_path(conn, list(real.values()))
        for entry, target in real.items():
            if target in by_real:
                ids[entry] = by_real[target]
    song_ids = [ids[e] for e in entries if e in ids]
    missing = [e for e in dict.fromkeys(entries) if e not in ids]
    return song_ids, missing


def _ids_by_path(conn: sqlite3.Connection, paths: list[str]) -> dict[str, int]:
    return dict(
        conn.execute(
            "SELECT path, id FROM song WHERE path IN (SELECT value FROM json_each(?))",
            (json.dumps(paths),),
        ).fetchall()
    )


def _song_ids(conn: sqlite3.Connection, playlist_id: int) -> list[int]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT object_id FROM playlist_data WHERE playlist_id = ? AND object_type = 'song'"
            " ORDER BY track, id",
            (playlist_id,),
        )
    ]


def _name(conn: sqlite3.Connection, playlist_id: int) -> str | None:
    row = conn.execute("SELECT name FROM playlist WHERE id = ?", (playlist_id,)).fetchone()
    return row[0] if row else None


def _first_admin(conn: sqlite3.Connection) -> int | None:
    row = conn.execute("SELECT id FROM user WHERE access >= 100 ORDER BY id LIMIT 1").fetchone()
    return row[0] if row else None


def _write(
    conn: sqlite3.Connection,
    path: str,
    name: str,
    song_ids: list[int],
    current: int | None,
    owner: int | None,
    now: int,
) -> None:
    if current is None:
        current = conn.execute(
            "INSERT INTO playlist (name, user_id, type, date, last_update, source_path)"
            " VALUES (?, ?, 'public', ?, ?, ?)",
            (name, owner, now, now, path),
        ).lastrowid
    else:
        conn.execute(
            "UPDATE playlist SET name = ?, last_update = ? WHERE id = ?", (name, now, current)
        )
        conn.execute("DELETE FROM playlist_data WHERE playlist_id = ?", (current,))
    conn.executemany(
        "INSERT INTO playlist_data (playlist_id, object_type, object_id, track)"
        " VALUES (?, 'song', ?, ?)",
        [(current, song_id, position) for position, song_id in enumerate(song_ids, 1)],
    )


def export(conn: sqlite3.Connection, playlist_id: int) -> str:
    """The playlist's songs as an extended m3u8 (absolute paths, #EXTINF with time and names)."""
    rows = conn.execute(
        "SELECT s.path, s.time, s.title, ar.name FROM playlist_data pd"
        " JOIN song s ON s.id = pd.object_id JOIN artist ar ON ar.id = s.artist_id"
        " WHERE pd.playlist_id = ? AND pd.object_type = 'song' ORDER BY pd.track, pd.id",
        (playlist_id,),
    )
    lines = ["#EXTM3U"]
    name = _name(conn, playlist_id)
    if name:
        lines.append(f"#PLAYLIST:{_one_line(name)}")
    for path, seconds, title, artist in rows:
        lines.append(f"#EXTINF:{seconds or -1},{_one_line(artist)} - {_one_line(title)}")
        lines.append(path)
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())
