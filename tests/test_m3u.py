"""Playlist files in the library (issue 8): .m3u/.m3u8 below a root become public playlists of
the first admin, refreshed when the file changes, removed with it; `ampmini playlist export`."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.conftest import ADMIN, USER, Api, write_config

SOS = "ABBA/Greatest Hits/01 - SOS.flac"
MAMMA = "ABBA/Greatest Hits/02 - Mamma Mia.flac"
JOGA = "Björk/Homogenic/02 - Jóga.flac"
HUNTER = "Björk/Homogenic/01 - Hunter.flac"
QUEEN = "Queen/Greatest Hits/01 - Bohemian Rhapsody.mp3"


@pytest.fixture
def lib(library: dict[str, Any], tmp_path: Path) -> Any:
    from ampmini.accounts import add_user
    from ampmini.config import ConfigHolder
    from ampmini.db import open_database

    root = tmp_path / "music"
    for name in ("ABBA", "Björk", "Queen"):
        shutil.copytree(library["root"] / name, root / name)
    (root / "Lists").mkdir()
    config = write_config(tmp_path / "ampmini.conf", root, tmp_path / "ampmini.db")
    holder = ConfigHolder(config)
    db = open_database(holder.current.database.path)
    add_user(db, *ADMIN, access=100)
    add_user(db, *USER, access=25)
    yield type("Lib", (), {"root": root, "db": db, "holder": holder, "config": config})
    db.close()


def scan(lib: Any) -> None:
    from ampmini.library.scanner import scan as run

    run(lib.db, lib.holder.current.library.roots)


def titles(lib: Any, playlist_id: int) -> list[str]:
    return [
        r[0]
        for r in lib.db.reader().execute(
            "SELECT s.title FROM playlist_data pd JOIN song s ON s.id = pd.object_id"
            " WHERE pd.playlist_id = ? ORDER BY pd.track",
            (playlist_id,),
        )
    ]


def playlists(lib: Any) -> dict[str, Any]:
    return {
        r["name"]: r
        for r in lib.db.reader().execute(
            "SELECT p.*, u.username FROM playlist p JOIN user u ON u.id = p.user_id"
        )
    }


def mixed_m3u8(root: Path) -> str:
    url = "file://" + quote(str(root / JOGA))
    return (
        "#EXTM3U\n"
        "#EXTINF:1,ABBA - Mamma Mia\n"
        f"../{MAMMA}\n"  # relative to the file's folder
        "#EXTINF:1,Queen - Bohemian Rhapsody\n"
        f"{root / QUEEN}\n"  # absolute
        f"{url}\n"  # file:// URL, percent-encoded non-ASCII
        "../ABBA/Greatest Hits/99 - Not There.flac\n"  # matches no song
        "\n"
        f"../{SOS}\n"
    )


def test_entry_forms_become_a_public_admin_playlist(lib: Any, caplog: Any) -> None:
    (lib.root / "Lists" / "Mixtape ✓ é.m3u8").write_text(mixed_m3u8(lib.root), encoding="utf-8")
    # A legacy .m3u in Latin-1, Windows separators.
    (lib.root / "Lists" / "Old.m3u").write_bytes(
        ("#EXTM3U\r\n..\\" + HUNTER.replace("/", "\\") + "\r\n").encode("latin-1")
    )
    with caplog.at_level(logging.WARNING, logger="ampmini.library.scanner"):
        scan(lib)
    found = playlists(lib)
    assert set(found) == {"Mixtape ✓ é", "Old"}
    mix = found["Mixtape ✓ é"]
    assert (mix["type"], mix["username"]) == ("public", ADMIN[0])
    assert mix["source_path"] == str(lib.root / "Lists" / "Mixtape ✓ é.m3u8")
    assert titles(lib, mix["id"]) == ["Mamma Mia", "Bohemian Rhapsody", "Jóga", "SOS"]
    assert titles(lib, found["Old"]["id"]) == ["Hunter"]
    missing = [r for r in caplog.records if "99 - Not There" in r.getMessage()]
    assert len(missing) == 1
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="ampmini.library.scanner"):
        scan(lib)  # unchanged: not rewritten, not logged again
    assert not [r for r in caplog.records if "Not There" in r.getMessage()]
    assert playlists(lib)["Mixtape ✓ é"]["last_update"] == mix["last_update"]


def test_served_to_other_users(lib: Any) -> None:
    from ampmini.sendfile import serve_background
    from ampmini.server import build

    (lib.root / "Lists" / "Party.m3u8").write_text(f"../{SOS}\n../{QUEEN}\n", encoding="utf-8")
    scan(lib)
    _server, app = build(lib.holder, lib.db)
    with serve_background(app, threads=2) as wsgi:
        api = Api(f"http://127.0.0.1:{wsgi.effective_port}")
        auth = api.login(*USER)
        listed = api.json("playlists", auth=auth)["playlist"]
        party = next(p for p in listed if p["name"] == "Party")
        assert party["type"] == "public" and party["owner"] == ADMIN[0]
        songs = api.json("playlist_songs", auth=auth, filter=party["id"])["song"]
        assert [s["title"] for s in songs] == ["SOS", "Bohemian Rhapsody"]
        xml = api.xml("playlist_songs", auth=auth, filter=party["id"])
        assert [s.findtext("title") for s in xml.iter("song")] == ["SOS", "Bohemian Rhapsody"]


def test_changed_file_refreshes_and_deleted_file_removes(lib: Any) -> None:
    path = lib.root / "Lists" / "Changing.m3u"
    path.write_text(f"../{SOS}\n../{MAMMA}\n", encoding="utf-8")
    scan(lib)
    first = playlists(lib)["Changing"]
    assert titles(lib, first["id"]) == ["SOS", "Mamma Mia"]
    path.write_text(f"#PLAYLIST:Renamed\n../{MAMMA}\n../{JOGA}\n../{SOS}\n", encoding="utf-8")
    scan(lib)
    now = playlists(lib)
    assert set(now) == {"Renamed"}
    assert now["Renamed"]["id"] == first["id"]  # same playlist, refreshed in place
    assert titles(lib, first["id"]) == ["Mamma Mia", "Jóga", "SOS"]
    path.unlink()
    scan(lib)
    assert playlists(lib) == {}
    assert lib.db.reader().execute("SELECT count(*) FROM playlist_data").fetchone()[0] == 0


def test_no_admin_yet_imports_nothing(library: dict[str, Any], tmp_path: Path) -> None:
    from ampmini.db import open_database
    from ampmini.library.scanner import scan as run

    root = tmp_path / "music"
    shutil.copytree(library["root"] / "ABBA", root / "ABBA")
    (root / "a.m3u8").write_text(f"{SOS}\n", encoding="utf-8")
    db = open_database(tmp_path / "x.db")
    try:
        run(db, [root])  # not fatal: the songs are scanned, the list waits for an admin
        assert db.reader().execute("SELECT count(*) FROM song").fetchone()[0] == 2
        assert db.reader().execute("SELECT count(*) FROM playlist").fetchone()[0] == 0
    finally:
        db.close()


def test_export_round_trips(lib: Any) -> None:
    (lib.root / "Lists" / "Source.m3u8").write_text(mixed_m3u8(lib.root), encoding="utf-8")
    scan(lib)
    source = playlists(lib)["Source"]
    done = subprocess.run(
        [sys.executable, "-m", "ampmini.cli", "--config", str(lib.config),
         "playlist", "export", str(source["id"])],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    text = done.stdout
    assert text.startswith("#EXTM3U\n#PLAYLIST:Source\n")
    assert "#EXTINF:" in text and str(lib.root / JOGA) in text
    copy = lib.root / "Lists" / "Copy.m3u8"
    copy.write_text(text.replace("#PLAYLIST:Source", "#PLAYLIST:Copy"), encoding="utf-8")
    scan(lib)
    assert titles(lib, playlists(lib)["Copy"]["id"]) == titles(lib, source["id"])
    unknown = subprocess.run(
        [sys.executable, "-m", "ampmini.cli", "--config", str(lib.config),
         "playlist", "export", "99999"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert unknown.returncode == 1 and "no playlist" in unknown.stderr


def test_parse_and_decode_units() -> None:
    from ampmini.library.m3u import decode, parse

    assert decode("Bj\xf6rk.mp3".encode("latin-1"), "/x/a.m3u") == "Björk.mp3"
    assert decode("\ufeffBjörk.mp3".encode(), "/x/a.m3u8") == "Björk.mp3"
    name, entries = parse(
        "#EXTM3U\n#PLAYLIST:Mine\n#EXTINF:3,A - B\nsub/a.mp3\nfile:///m/%C3%A9.mp3\n/abs/b.mp3\n",
        "/lib/lists",
    )
    assert name == "Mine"
    assert entries == ["/lib/lists/sub/a.mp3", "/m/é.mp3", "/abs/b.mp3"]
