"""Walk library folders: stat every audio file, note folder images and playlist files; path
helpers of the scanner."""

from __future__ import annotations

import logging
import os
import re
import stat
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from ampmini.library.tags import file_format
from ampmini.progress import ProgressReporter

log = logging.getLogger("ampmini.library.scanner")  # one logger name for the whole scan

_DISC_FOLDER = re.compile(r"(?:cd|dis[ck]|dvd)[\s._-]*(\d{1,3})", re.IGNORECASE)
# Folder images, best first (Ampache's album_art_preferred_filename order: cover, folder, front).
ART_RANK = {
    f"{stem}.{ext}": rank
    for rank, (stem, ext) in enumerate(
        (s, e) for s in ("cover", "folder", "front", "album") for e in ("jpg", "jpeg", "png")
    )
}


PLAYLIST_EXTENSIONS = frozenset(("m3u", "m3u8"))  # read by ampmini/library/m3u.py


def is_playlist(name: str) -> bool:
    """A name ending in .m3u or .m3u8 (any case)."""
    head, dot, ext = name.rpartition(".")
    return bool(dot and head) and ext.lower() in PLAYLIST_EXTENSIONS


class Target(NamedTuple):
    top: str  # folder to walk (recursively)
    root: str  # the catalog root containing it
    catalog_id: int


@dataclass
class Walked:
    """What the walks of one scan found."""

    # path → (size, mtime_ns, catalog id): three ints, not the whole stat_result, because a
    # 30k-file walk holds one entry per file for the length of the scan.
    files: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    images: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    playlists: dict[str, int] = field(default_factory=dict)  # .m3u/.m3u8 path -> catalog id
    keep: list[str] = field(default_factory=list)  # unreadable: songs below must not be removed
    errors: int = 0


def walk(target: Target, into: Walked, progress: ProgressReporter | None = None) -> None:
    """Stat every audio file below target.top; remember folder images for album art."""
    root_real = os.path.realpath(target.root)
    stack = [target.top]
    visited: set[str] = set()
    files, images = into.files, into.images
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except FileNotFoundError:
            if folder == target.root:  # an unmounted disk must not empty the library
                log.error("library root %s is missing; nothing removed", folder)
                into.keep.append(folder)
                into.errors += 1
            continue  # a folder deleted since it was reported: its songs are gone
        except OSError as exc:
            log.warning("cannot read folder %s: %s", folder, exc)
            into.keep.append(folder)
            into.errors += 1
            continue
        for entry in entries:
            if entry.name.startswith("."):  # hidden files, AppleDouble "._x.mp3"
                continue
            try:
                if entry.is_symlink():
                    real = os.path.realpath(entry.path)
                    # Follow nothing that escapes the root, nor a link back to an ancestor.
                    if not inside(real, root_real) or inside(os.path.realpath(folder), real):
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
                if name in ART_RANK:
                    images[folder].append(entry.name)
                    continue
                if file_format(name) is None:
                    if is_playlist(name) and entry.is_file():
                        into.playlists[entry.path] = target.catalog_id
                    continue
                st = entry.stat()
                if stat.S_ISREG(st.st_mode):
                    files[entry.path] = (st.st_size, st.st_mtime_ns, target.catalog_id)
            except OSError as exc:
                log.warning("cannot stat %s: %s", entry.path, exc)
                into.keep.append(entry.path)
                into.errors += 1
            if progress:
                progress.advance()


def album_folder(folder: str) -> str:
    """The folder that holds an album: the parent of a disc folder ("CD1", "Disc 2")."""
    head, tail = os.path.split(folder)
    return head if tail and _DISC_FOLDER.fullmatch(tail) else folder


def disc_of_folder(folder: str) -> int:
    """The disc number a folder name such as "CD2" or "Disc 3" gives, else 0."""
    match = _DISC_FOLDER.fullmatch(os.path.basename(folder))
    return int(match.group(1)) if match else 0


def inside(path: str, folder: str) -> bool:
    """path is folder itself or below it (string prefix on whole components)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def prefix_range(folder: str) -> tuple[str, str]:
    """Bounds (exclusive) of every path below folder: "folder/" < path < "folder0"."""
    base = folder.rstrip(os.sep)
    return base + os.sep, base + chr(ord(os.sep) + 1)
