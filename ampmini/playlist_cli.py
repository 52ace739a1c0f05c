"""`ampmini playlist export ID`: write a playlist as an extended m3u8 to stdout (issue 8).

    ampmini playlist export ID > list.m3u8

The file has absolute song paths and `#EXTINF` lines, so it imports back into ampmini (put it
under a library root) and into other players. Wired into cli.py with
`add_playlist_commands(sub)`.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .config import ConfigHolder
from .db import open_database
from .library.m3u import export


def cmd_export(args: argparse.Namespace) -> int:
    raw = str(args.id).removeprefix("playlist_")
    if not raw.isdigit():
        print(f"ampmini: not a playlist id: {args.id!r}", file=sys.stderr)
        return 2
    holder = ConfigHolder(args.config)
    db = open_database(holder.current.database.path)
    try:
        conn = db.reader()
        if conn.execute("SELECT 1 FROM playlist WHERE id = ?", (int(raw),)).fetchone() is None:
            print(f"ampmini: no playlist {raw}", file=sys.stderr)
            return 1
        sys.stdout.write(export(conn, int(raw)))
    finally:
        db.close()
    return 0


def add_playlist_commands(subparsers: Any) -> None:
    """Add `playlist export` to the `ampmini` argument parser."""
    playlist = subparsers.add_parser("playlist", help="export playlists as m3u8")
    sub = playlist.add_subparsers(dest="playlist_command", required=True)
    exporter = sub.add_parser("export", help="write a playlist as m3u8 to stdout")
    exporter.add_argument("id", help="the playlist id")
    exporter.set_defaults(func=cmd_export)
