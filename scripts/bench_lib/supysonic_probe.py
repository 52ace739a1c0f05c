"""Supysonic's no-change re-scan timed inside its own process; prints one JSON line.

Run by the Supysonic venv's python from the folder holding the bench's supysonic.conf (Supysonic
reads ./supysonic.conf), so only the scan is timed, not the interpreter start and imports — the
same footing as probes.py's `rescan` for ampmini. It does what `supysonic-cli folder scan
--foreground` does, minus the progress display and the daemon calls.
"""

import json
import time

from supysonic.config import IniConfig
from supysonic.db import Folder, init_database, release_database
from supysonic.scanner import Scanner


def main() -> None:
    config = IniConfig.from_common_locations()
    init_database(config.BASE["database_uri"])
    scanner = Scanner(follow_symlinks=config.BASE["follow_symlinks"])
    for (name,) in Folder.select(Folder.name).where(Folder.root).tuples():
        scanner.queue_folder(name)
    t0 = time.perf_counter()
    scanner.run()  # in this thread: Scanner is a Thread, but run() is its whole job
    seconds = time.perf_counter() - t0
    stats = scanner.stats()
    release_database()
    print(json.dumps({"seconds": seconds, "files": stats.scanned, "added": stats.added.tracks,
                      "deleted": stats.deleted.tracks}), flush=True)


if __name__ == "__main__":
    main()
