"""song_delete (spec §6.14): behind delete_from_disk and level 75, on a private copy of part of
the test library whose files the tests really delete."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ampache
import pytest

from tests.conftest import ADMIN, USER, Api, write_config

MANAGER = ("catman", "catman-secret-pw")  # level 75: catalog manager


@pytest.fixture(scope="module")
def lib(library: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from ampmini.accounts import add_user
    from ampmini.config import ConfigHolder
    from ampmini.db import open_database
    from ampmini.library.scanner import scan
    from ampmini.sendfile import serve_background
    from ampmini.server import build

    base = tmp_path_factory.mktemp("songdelete")
    root, outside = base / "music", base / "outside"
    for name in ("Queen", "The Beatles", "ABBA"):
        shutil.copytree(library["root"] / name, root / name)
    outside.mkdir()
    config_path = write_config(
        base / "ampmini.conf", root, base / "ampmini.db", "\n[features]\ndelete_from_disk = true\n"
    )
    holder = ConfigHolder(config_path)
    db = open_database(holder.current.database.path)
    scan(db, holder.current.library.roots)
    add_user(db, *ADMIN, access=100)
    add_user(db, *USER, access=25)
    add_user(db, *MANAGER, access=75)
    _server, app = build(holder, db)
    with serve_background(app, threads=2) as wsgi:
        url = f"http://127.0.0.1:{wsgi.effective_port}"
        api = Api(url)
        yield type("Lib", (), {
            "base": url, "db": db, "root": root, "outside": outside, "api": api,
            "admin": api.login(*ADMIN), "user": api.login(*USER), "manager": api.login(*MANAGER),
        })  # fmt: skip
    db.close()


def songs(lib: Any) -> list[tuple[int, str]]:
    return [tuple(r) for r in lib.db.reader().execute("SELECT id, path FROM song ORDER BY id")]


def test_manager_deletes_a_song_file_and_it_is_recorded(lib: Any) -> None:
    song_id, path = songs(lib)[0]
    album_songs_before = lib.db.reader().execute(
        "SELECT song_count FROM album WHERE id = (SELECT album_id FROM song WHERE id = ?)",
        (song_id,),
    ).fetchone()[0]
    answer = lib.api.json("song_delete", auth=lib.manager, filter=song_id)
    assert answer == {"success": f"song {song_id} deleted"}
    assert not os.path.exists(path)
    conn = lib.db.reader()
    assert conn.execute("SELECT 1 FROM song WHERE id = ?", (song_id,)).fetchone() is None
    assert conn.execute("SELECT file FROM deleted_song WHERE id = ?", (song_id,)).fetchone()[0] \
        == path
    deleted = lib.api.json("deleted_songs", auth=lib.admin)
    assert song_id in [int(s["id"]) for s in deleted["deleted_song"]]
    # The scanner's removal path rebuilt the album's aggregates.
    after = conn.execute(
        "SELECT song_count FROM album WHERE name = 'Greatest Hits'"
    ).fetchone()
    assert after is None or after[0] == album_songs_before - 1
    # Gone now: a second delete is 4704.
    again = lib.api.json("song_delete", auth=lib.manager, filter=song_id)
    assert again["error"]["errorCode"] == "4704"


def test_xml_answer(lib: Any) -> None:
    song_id, path = songs(lib)[0]
    root = lib.api.xml("song_delete", auth=lib.admin, filter=song_id)
    success = root.find("success")
    assert success is not None and success.get("code") == "1"
    # API6 XML wraps the text in <message> (spec §3).
    assert success.findtext("message") == f"song {song_id} deleted"
    assert not os.path.exists(path)


def test_level_and_bad_input(lib: Any) -> None:
    song_id, path = songs(lib)[0]
    low = lib.api.json("song_delete", auth=lib.user, filter=song_id)
    assert low["error"]["errorCode"] == "4742"
    assert os.path.exists(path)
    missing = lib.api.json("song_delete", auth=lib.admin)
    assert missing["error"]["errorCode"] == "4710"
    unknown = lib.api.xml("song_delete", auth=lib.admin, filter=999999)
    assert unknown.find("error").get("errorCode") == "4704"


def test_file_resolving_outside_the_catalog_is_refused(lib: Any) -> None:
    """A song file replaced by a link to a file outside every root: nothing outside is deleted."""
    song_id, path = songs(lib)[-1]
    victim = lib.outside / "keep-me.mp3"
    shutil.copy(path, victim)
    os.unlink(path)
    Path(path).symlink_to(victim)
    answer = lib.api.json("song_delete", auth=lib.admin, filter=song_id)
    assert answer["error"]["errorCode"] == "4710"
    assert victim.exists()
    assert lib.db.reader().execute("SELECT 1 FROM song WHERE id = ?", (song_id,)).fetchone()


def test_ampache_client_library(lib: Any) -> None:
    song_id, path = songs(lib)[0]
    client = ampache.API()
    client.set_format("json")
    client.set_url(lib.base)
    client.set_debug(False)
    stamp = int(time.time())
    passphrase = client.encrypt_password(MANAGER[1], stamp)
    assert client.handshake(lib.base, passphrase, MANAGER[0], stamp)
    answer = client.song_delete(song_id)
    assert answer == {"success": f"song {song_id} deleted"}
    assert not os.path.exists(path)


def test_feature_off_is_4703(api: Api, admin_token: str, server: Any) -> None:
    song_id, path = server.db.reader().execute("SELECT id, path FROM song LIMIT 1").fetchone()
    answer = api.json("song_delete", auth=admin_token, filter=song_id)
    assert answer["error"]["errorCode"] == "4703"
    assert os.path.exists(path)
