"""Baselines and in-process timings run in their own interpreter; each prints one JSON line.

    python probes.py tinytag ROOT   # read every audio file's tags with tinytag alone, no DB
    python probes.py walk ROOT      # bare recursive os.scandir + stat of the tree
    python probes.py rescan CONFIG  # ampmini's scan() on an already scanned DB (no changes)

A separate process per probe keeps each measurement's memory and imports its own.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator

# The same extensions the scanner reads (ampmini/library/tags.py SUPPORTED_EXTENSIONS).
AUDIO = (".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".mp4", ".aac", ".wav", ".aiff",
         ".aif", ".wma")


def walk(top: str) -> Iterator[os.DirEntry[str]]:
    """Every file under top (hidden ones skipped, as the scanner does), stat'ed."""
    stack = [top]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                else:
                    entry.stat()
                    yield entry


def probe_walk(root: str) -> dict[str, float]:
    t0 = time.perf_counter()
    files = sum(1 for _ in walk(root))
    return {"files": files, "seconds": time.perf_counter() - t0}


def probe_tinytag(root: str) -> dict[str, float]:
    from tinytag import TinyTag

    t0 = time.perf_counter()
    files = 0
    for entry in walk(root):
        if entry.name.lower().endswith(AUDIO):
            # image=True: the scanner asks for it too (it reports embedded art).
            TinyTag.get(entry.path, image=True)
            files += 1
    return {"files": files, "seconds": time.perf_counter() - t0}


def probe_rescan(config: str) -> dict[str, float]:
    from ampmini.config import ConfigHolder
    from ampmini.db import open_database
    from ampmini.library.scanner import scan

    holder = ConfigHolder(config)
    db = open_database(holder.current.database.path)
    t0 = time.perf_counter()
    result = scan(db, holder.current.library.roots)
    seconds = time.perf_counter() - t0
    db.close()
    return {"files": result.seen, "seconds": seconds, "read": result.read,
            "changed": int(result.changed)}


PROBES = {"walk": probe_walk, "tinytag": probe_tinytag, "rescan": probe_rescan}

if __name__ == "__main__":
    print(json.dumps(PROBES[sys.argv[1]](sys.argv[2])), flush=True)
