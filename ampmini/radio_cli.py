"""`ampmini radio import FILE.m3u|.pls`: add radio stations (live_stream rows) in one go."""

from __future__ import annotations

import argparse
import configparser
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_EXTINF = re.compile(r"#EXTINF:[^,]*,(.*)")
_CODECS = {"mp3": "mp3", "aac": "aac", "ogg": "ogg", "opus": "opus", "flac": "flac",
           "m4a": "mp4", "mp4": "mp4"}


@dataclass(slots=True)
class Station:
    name: str
    url: str


def parse_m3u(text: str) -> list[Station]:
    stations: list[Station] = []
    title = ""
    for line in text.splitlines():
        line = line.strip()
        match = _EXTINF.match(line)
        if match:
            title = match.group(1).strip()
        elif line and not line.startswith("#"):
            stations.append(Station(title or line, line))
            title = ""
    return stations


def parse_pls(text: str) -> list[Station]:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str.lower  # type: ignore[assignment,method-assign]
    parser.read_string(text)
    section = next((s for s in parser.sections() if s.lower() == "playlist"), None)
    if section is None:
        raise ValueError("not a PLS playlist: no [playlist] section")
    entries = parser[section]
    stations = []
    for key, url in entries.items():
        match = re.fullmatch(r"file(\d+)", key)
        if match:
            number = match.group(1)
            stations.append(Station(entries.get(f"title{number}", "").strip() or url, url.strip()))
    return stations


def read_playlist(path: Path) -> list[Station]:
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix.lower() == ".pls" or text.lstrip().lower().startswith("[playlist]"):
        return parse_pls(text)
    return parse_m3u(text)


def guess_codec(url: str, default: str) -> str:
    ext = url.split("?")[0].rsplit("/", 1)[-1].rpartition(".")[2].lower()
    return _CODECS.get(ext, default)


def import_stations(db: Any, stations: list[Station], catalog_id: int, codec: str) -> list[str]:
    """Insert the valid stations (skipping URLs already present); messages about the rest."""
    # Imported here: it loads every API action (~0.2 s), which `ampmini scan` does not need.
    from .api.actions.live_streams import add_station, valid_url

    problems: list[str] = []
    with db.writer() as conn:
        known = {r[0] for r in conn.execute("SELECT url FROM live_stream")}
        for station in stations:
            if not valid_url(station.url):
                problems.append(f"skipped {station.url!r}: not an http(s) URL")
            elif station.url in known:
                problems.append(f"skipped {station.url}: already a station")
            else:
                add_station(conn, station.name[:255], station.url,
                            guess_codec(station.url, codec), catalog_id)
                known.add(station.url)
    return problems


def cmd_radio_import(args: argparse.Namespace) -> int:
    from .cli import _open

    _holder, db = _open(args)
    try:
        stations = read_playlist(Path(args.file))
    except (OSError, ValueError, configparser.Error) as error:
        print(f"ampmini: {args.file}: {error}", file=sys.stderr)
        return 2
    catalog = args.catalog
    if catalog is None:
        row = db.reader().execute("SELECT id FROM catalog ORDER BY id LIMIT 1").fetchone()
        catalog = row[0] if row else 0
    problems = import_stations(db, stations, catalog, args.codec)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{len(stations) - len(problems)} stations added")
    return 0


def add_radio_commands(subparsers: Any) -> None:
    """Register `radio import` on the main parser's subcommands (called by cli.py)."""
    radio = subparsers.add_parser("radio", help="manage radio stations (live streams)")
    radio_sub = radio.add_subparsers(dest="radio_command", required=True)
    load = radio_sub.add_parser("import", help="add the stations of an .m3u or .pls file")
    load.add_argument("file", help="playlist file (.m3u, .m3u8 or .pls)")
    load.add_argument("--catalog", type=int, default=None,
                      help="catalog id the stations belong to (default: the first catalog)")
    load.add_argument("--codec", default="mp3",
                      help="codec when the URL does not tell (default mp3)")
    load.set_defaults(func=cmd_radio_import)
