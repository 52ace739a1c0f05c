"""Video catalogs: find video files, read duration/resolution/codec, keep the `video` table.

Separate from the music scanner: a catalog whose gather_types is `video` is walked here.
Metadata comes from `ffprobe` when it is installed, else tinytag (duration of mp4 files),
else the file alone (size, title from the name). Gone files move to `deleted_video`.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..db import Database

log = logging.getLogger("ampmini.videos")

VIDEO_MIME = {
    "mp4": "video/mp4", "m4v": "video/mp4", "mkv": "video/x-matroska", "webm": "video/webm",
    "avi": "video/x-msvideo", "mov": "video/quicktime", "ogv": "video/ogg",
}  # fmt: skip
PROBE_TIMEOUT = 15


@dataclass(slots=True)
class VideoScanResult:
    seen: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0


def ensure_video_catalog(db: Database, path: str | Path) -> int:
    """The id of the video catalog at `path`, created when missing."""
    folder = str(Path(path).resolve())
    with db.writer() as conn:
        conn.execute(
            "INSERT INTO catalog (name, path, gather_types) VALUES (?, ?, 'video')"
            " ON CONFLICT(path) DO NOTHING",
            (os.path.basename(folder) or folder, folder),
        )
        row = conn.execute(
            "SELECT id, gather_types FROM catalog WHERE path = ?", (folder,)
        ).fetchone()
    if row["gather_types"] != "video":
        raise ValueError(f"{folder} is already a {row['gather_types']} catalog")
    return int(row["id"])


def _ffprobe(path: str, program: str) -> dict[str, Any]:
    try:
        done = subprocess.run(
            [program, "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
             path],
            capture_output=True, timeout=PROBE_TIMEOUT, check=False,
        )
        data = json.loads(done.stdout or b"{}")
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return {}
    video = next((s for s in data.get("streams", []) if s.get("codec_type") == "video"), {})
    try:
        duration = float(data.get("format", {}).get("duration") or 0)
    except ValueError:
        duration = 0.0
    return {
        "time": round(duration),
        "x": int(video.get("width") or 0),
        "y": int(video.get("height") or 0),
        "codec": video.get("codec_name"),
    }


def _tags(path: str) -> dict[str, Any]:
    from .tags import TagError, file_format, read_tags

    if file_format(path) is None:
        return {}
    try:
        track = read_tags(path, os.stat(path))
    except (TagError, OSError):
        return {}  # the file still counts as a video, with what its name and size tell
    return {"time": track.duration}


def probe(path: str) -> dict[str, Any]:
    """Duration, resolution and codec of a video file, as far as the tools here can tell."""
    program = shutil.which("ffprobe")
    if program:
        return _ffprobe(path, program)
    return _tags(path)


def _walk(root: str) -> dict[str, os.stat_result]:
    found: dict[str, os.stat_result] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            ext = name.rpartition(".")[2].lower()
            if ext in VIDEO_MIME and not name.startswith("."):
                path = os.path.join(folder, name)
                try:
                    stat = os.stat(path)
                except OSError:
                    continue
                if stat.st_size > 0:
                    found[path] = stat
    return found


def scan_videos(db: Database) -> VideoScanResult:
    """Bring the `video` table in line with every enabled video catalog."""
    result = VideoScanResult()
    catalogs = db.reader().execute(
        "SELECT id, path FROM catalog WHERE gather_types = 'video' AND enabled = 1"
    ).fetchall()
    for catalog in catalogs:
        _scan_catalog(db, catalog["id"], catalog["path"], result)
    return result


def _scan_catalog(db: Database, catalog_id: int, root: str, result: VideoScanResult) -> None:
    if not os.path.isdir(root):
        log.warning("video catalog %s: folder missing; nothing removed", root)
        return
    files = _walk(root)
    result.seen += len(files)
    existing = {
        r["path"]: r
        for r in db.reader().execute(
            "SELECT id, path, size, mtime_ns FROM video WHERE catalog_id = ?", (catalog_id,)
        )
    }
    now = int(time.time())
    changed = [
        (path, stat) for path, stat in files.items()
        if path not in existing
        or (existing[path]["size"], existing[path]["mtime_ns"]) != (stat.st_size, stat.st_mtime_ns)
    ]
    # Probing runs outside the write lock: ffprobe may take a while per file.
    rows = []
    for path, stat in changed:
        info = probe(path)
        ext = path.rpartition(".")[2].lower()
        title = info.get("title") or Path(path).stem
        rows.append((catalog_id, path, title, ext, VIDEO_MIME[ext], stat.st_size,
                     stat.st_mtime_ns, info.get("time", 0), info.get("x", 0), info.get("y", 0),
                     info.get("codec"), now, now))
        if path in existing:
            result.updated += 1
        else:
            result.added += 1
    gone = [r for path, r in existing.items() if path not in files]
    with db.writer() as conn:
        conn.executemany(
            "INSERT INTO video (catalog_id, path, title, format, mime, size, mtime_ns, time,"
            " resolution_x, resolution_y, codec, added, updated)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(path) DO UPDATE SET title = excluded.title, size = excluded.size,"
            " mtime_ns = excluded.mtime_ns, time = excluded.time,"
            " resolution_x = excluded.resolution_x, resolution_y = excluded.resolution_y,"
            " codec = excluded.codec, updated = excluded.updated",
            rows,
        )
        for row in gone:
            _remove(conn, row["id"], now)
        if rows or gone:
            conn.execute(
                "UPDATE catalog SET last_update = ?, last_add = CASE WHEN ? THEN ? ELSE last_add"
                " END WHERE id = ?",
                (now, bool(result.added), now, catalog_id),
            )
    result.removed += len(gone)


def _remove(conn: Any, video_id: int, now: int) -> None:
    row = conn.execute("SELECT * FROM video WHERE id = ?", (video_id,)).fetchone()
    counts = conn.execute(
        "SELECT plays, skips FROM play_count WHERE object_type = 'video' AND object_id = ?",
        (video_id,),
    ).fetchone()
    conn.execute(
        "INSERT OR REPLACE INTO deleted_video (id, addition_time, delete_time, title, file,"
        " catalog_id, total_count, total_skip) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (video_id, row["added"], now, row["title"], row["path"], row["catalog_id"],
         counts["plays"] if counts else 0, counts["skips"] if counts else 0),
    )
    conn.execute("DELETE FROM video WHERE id = ?", (video_id,))
