"""The `ampache` PyPI client library, unchanged, against ampmini — in JSON and XML."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import ampache
import pytest

from tests.conftest import ADMIN, ADMIN_KEY, USER


def client(base: str, fmt: str) -> ampache.API:
    api = ampache.API()
    api.set_format(fmt)
    api.set_url(base)
    return api


def items(answer: Any, fmt: str, key: str) -> list[dict[str, str]]:
    """(id, name-ish) pairs from either format, to compare like with like."""
    if fmt == "json":
        return [{"id": o["id"], "name": o.get("name") or o.get("title")} for o in answer[key]]
    return [{"id": o.get("id"), "name": (o.findtext("name") or o.findtext("title"))}
            for o in answer.findall(key)]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_password_login_browse_search_rate(server, fmt, tmp_path: Path) -> None:
    api = client(server.base, fmt)
    stamp = int(time.time())
    token = api.handshake(server.base, api.encrypt_password(USER[1], stamp), USER[0], stamp)
    assert token and len(token) == 32
    artists = items(api.artists(), fmt, "artist")
    assert any(a["name"] == "Björk" for a in artists)
    bjork = next(a for a in artists if a["name"] == "Björk")
    albums = items(api.artist_albums(bjork["id"]), fmt, "album")
    # Her own albums, and the compilation she appears on as a song artist.
    assert {a["name"] for a in albums} == {"Homogenic", "Post", "80s Hits"}
    homogenic = next(a for a in albums if a["name"] == "Homogenic")
    songs = items(api.album_songs(homogenic["id"]), fmt, "song")
    assert [s["name"] for s in songs] == ["Hunter", "Jóga", "Bachelorette"]
    found = items(api.search_songs("Jóga"), fmt, "song")
    assert [s["name"] for s in found] == ["Jóga"]
    rules = [["title", 0, "Hunter"]]
    advanced = items(api.advanced_search(rules, object_type="song"), fmt, "song")
    assert [s["name"] for s in advanced] == ["Hunter"]
    rated = api.rate("song", songs[0]["id"], 5)
    message = rated["success"] if fmt == "json" else rated.find("success/message").text
    assert message == f"rating set to 5 for {songs[0]['id']}"
    destination = tmp_path / "song.flac"
    assert api.stream(songs[0]["id"], "song", str(destination))
    assert api.AMPACHE_HTTP_CODE == 200
    assert destination.stat().st_size > 0
    downloaded = tmp_path / "download.flac"
    assert api.download(songs[0]["id"], "song", str(downloaded))
    assert downloaded.read_bytes() == destination.read_bytes()
    art = tmp_path / "art.jpg"
    api.get_art(homogenic["id"], "album", str(art))
    assert art.read_bytes()[:2] in (b"\xff\xd8", b"\x89P")
    assert api.goodbye()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_api_key_login_and_ping(server, fmt) -> None:
    api = client(server.base, fmt)
    token = api.handshake(server.base, api.encrypt_string(ADMIN_KEY, ADMIN[0]))
    assert token
    pong = api.ping(server.base, token)
    assert pong == token if isinstance(pong, str) else pong
    stats = api.stats("album", "newest")
    assert items(stats, fmt, "album")


def test_wrong_password_returns_false(server) -> None:
    api = client(server.base, "json")
    stamp = int(time.time())
    assert api.handshake(server.base, api.encrypt_password("wrong", stamp), USER[0],
                         stamp) is False
