"""democratic: two users voting into one queue, its order, the play URL that pops it, fallbacks."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import ADMIN, GUEST, USER, Api
from tests.shapes import assert_json_like, assert_xml_like


@pytest.fixture
def clean_queue(server: Any) -> Iterator[None]:
    """Each test starts and ends with no votes and no cooldown history."""

    def wipe() -> None:
        with server.db.writer() as conn:
            conn.execute("DELETE FROM democratic_vote")
            conn.execute("DELETE FROM democratic_played")

    wipe()
    yield
    wipe()


@pytest.fixture(scope="module")
def guest_token(api: Api) -> str:
    return api.login(*GUEST)


def song_ids(server: Any, count: int) -> list[int]:
    rows = server.db.reader().execute(
        "SELECT id FROM song WHERE enabled = 1 AND format = 'mp3' ORDER BY id LIMIT ?", (count,)
    ).fetchall()
    return [row[0] for row in rows]


def vote(api: Api, token: str, song: int, method: str = "vote") -> Any:
    answer = api.json("democratic", auth=token, method=method, oid=song)
    assert answer == {"method": method, "result": True}, answer
    return answer


def playlist(api: Api, token: str) -> list[tuple[int, int]]:
    return [(int(s["id"]), s["vote"]) for s in
            api.json("democratic", auth=token, method="playlist")["song"]]


def test_votes_order_and_devote(api: Api, token: str, admin_token: str, server: Any,
                                clean_queue: None) -> None:
    a, b, c = song_ids(server, 3)
    assert playlist(api, token) == []
    vote(api, token, b)
    vote(api, token, c)
    vote(api, admin_token, c)
    vote(api, token, a)
    vote(api, token, a)  # one vote per user per song: the second is a no-op
    # votes first, then age (first vote): c (2), then b before a (both 1, b older)
    assert playlist(api, token) == [(c, 2), (b, 1), (a, 1)]
    vote(api, admin_token, a)
    assert playlist(api, admin_token) == [(c, 2), (a, 2), (b, 1)]
    vote(api, token, c, "devote")
    vote(api, token, c, "devote")  # devoting twice changes nothing more
    # c's age is now its oldest standing vote (admin's), younger than b's
    assert playlist(api, token) == [(a, 2), (b, 1), (c, 1)]
    # alice cannot take back admin's vote: devote only removes the caller's own
    vote(api, token, c, "devote")
    assert playlist(api, token) == [(a, 2), (b, 1), (c, 1)]
    vote(api, admin_token, c, "devote")
    vote(api, token, b, "devote")
    assert playlist(api, token) == [(a, 2)]


def test_play_url_streams_the_top_song_and_advances(api: Api, token: str, admin_token: str,
                                                    guest_token: str, server: Any,
                                                    clean_queue: None) -> None:
    a, b = song_ids(server, 2)
    vote(api, token, b)
    vote(api, guest_token, a)
    vote(api, admin_token, a)
    url = api.json("democratic", auth=token, method="play")["url"]
    user_id = server.db.reader().execute(
        "SELECT id, streamtoken FROM user WHERE username = ?", (USER[0],)).fetchone()
    assert url == (f"{server.base}/play/index.php?ssid={user_id['streamtoken']}"
                   f"&uid={user_id['id']}&demo_id=1")
    path = {row[0]: row[1] for row in server.db.reader().execute(
        "SELECT id, path FROM song WHERE id IN (?, ?)", (a, b))}
    first = requests.get(url, timeout=10)
    assert first.status_code == 200
    assert first.content == Path(path[a]).read_bytes()
    assert playlist(api, token) == [(b, 1)]
    second = requests.get(url, timeout=10)
    assert second.content == Path(path[b]).read_bytes()
    assert playlist(api, token) == []
    # Empty queue: the party goes on with a random song (not the two just played).
    third = requests.get(url, timeout=10)
    assert third.status_code == 200 and third.content
    assert third.content not in (first.content, second.content) or len(song_ids(server, 99)) < 3


def test_cooldown_keeps_a_just_played_song_back(api: Api, token: str, admin_token: str,
                                                server: Any, clean_queue: None) -> None:
    from ampmini.api.actions.democratic import next_democratic_song

    a, b = song_ids(server, 2)
    vote(api, token, a)
    config = server.holder.current
    assert next_democratic_song(server.db, config) == a
    vote(api, token, a)
    vote(api, admin_token, a)
    vote(api, token, b)
    # a has more votes but was played moments ago ([democratic] cooldown 30 min): b plays,
    # and `playlist` shows that order.
    assert playlist(api, token) == [(b, 1), (a, 2)]
    assert next_democratic_song(server.db, config) == b
    assert playlist(api, token) == [(a, 2)]


def test_empty_queue_falls_back_to_the_base_playlist(server: Any, clean_queue: None) -> None:
    from ampmini.api.actions.democratic import next_democratic_song
    from ampmini.config import parse_config

    conn = server.db.reader()
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'playlist_data'").fetchone() is None:
        pytest.skip("playlists are not in the schema yet")
    a, b, c = song_ids(server, 3)
    owner = conn.execute("SELECT id FROM user WHERE username = ?", (ADMIN[0],)).fetchone()[0]
    now = int(time.time())
    with server.db.writer() as w:
        playlist_id = w.execute(
            "INSERT INTO playlist (name, user_id, type, date, last_update)"
            " VALUES ('party base', ?, 'public', ?, ?)", (owner, now, now)).lastrowid
        w.executemany(
            "INSERT INTO playlist_data (playlist_id, object_type, object_id, track)"
            " VALUES (?, 'song', ?, ?)", [(playlist_id, a, 1), (playlist_id, b, 2)])
    try:
        config = parse_config(f"[democratic]\nbase_playlist = {playlist_id}\n")
        picked = {next_democratic_song(server.db, config) for _ in range(2)}
        assert picked == {a, b}  # both, each once: the cooldown keeps the first back
        assert c not in picked
        # Every base song cooling down: any song of the library keeps the party going.
        assert next_democratic_song(server.db, config) is not None
    finally:
        with server.db.writer() as w:
            w.execute("DELETE FROM playlist WHERE id = ?", (playlist_id,))


def test_errors(api: Api, token: str, clean_queue: None) -> None:
    def error(**params: Any) -> tuple[str, str]:
        err = api.json("democratic", auth=token, **params)["error"]
        return err["errorCode"], err["errorType"]

    assert error() == ("4710", "system")
    assert error(method="dance") == ("4710", "method")
    assert error(method="vote") == ("4710", "system")
    assert error(method="vote", oid=999999) == ("4704", "oid")
    assert error(method="devote", oid="x") == ("4704", "oid")


def test_shapes_in_xml_and_json(api: Api, token: str, admin_token: str, server: Any,
                                clean_queue: None) -> None:
    songs = server.db.reader().execute(
        "SELECT id FROM song WHERE enabled = 1 ORDER BY id LIMIT 6").fetchall()
    for (song,) in songs:
        vote(api, token, song)
    assert_json_like(api.json("democratic", auth=token, method="vote", oid=songs[0][0]),
                     "democratic (vote)")
    assert_xml_like(api.raw("xml", "democratic", auth=token, method="vote",
                            oid=songs[0][0]).content, "democratic (vote)")
    assert_xml_like(api.raw("xml", "democratic", auth=token, method="devote",
                            oid=songs[0][0]).content, "democratic")
    assert_json_like(api.json("democratic", auth=token, method="play"), "democratic (play)")
    assert_xml_like(api.raw("xml", "democratic", auth=token, method="play").content,
                    "democratic (play)")
    assert_json_like(api.json("democratic", auth=token, method="playlist"),
                     "democratic (playlist)")
    assert_xml_like(api.raw("xml", "democratic", auth=token, method="playlist").content,
                    "democratic (playlist)")
    api5 = api.login(*USER, version="5.5.6")
    assert_json_like(api.json("democratic", auth=api5, method="playlist"),
                     "democratic (playlist)", api=5)
    assert_xml_like(api.raw("xml", "democratic", auth=api5, method="playlist").content,
                    "democratic (playlist)", api=5)
    # An empty queue: an empty list in JSON, an empty root in XML.
    for (song,) in songs:
        vote(api, token, song, "devote")
    assert api.json("democratic", auth=token, method="playlist") == {"song": []}
    assert api.xml("democratic", auth=token, method="playlist").findall("*") == []


def test_the_ampache_client_library(server: Any, clean_queue: None) -> None:
    import ampache

    (a,) = song_ids(server, 1)
    for fmt in ("json", "xml"):
        client = ampache.API()
        client.set_format(fmt)
        client.set_url(server.base)
        stamp = int(time.time())
        client.handshake(server.base, client.encrypt_password(USER[1], stamp), USER[0], stamp)
        client.democratic("vote", a)
        listed = client.democratic("playlist", 0)
        url = client.democratic("play", 0)
        if fmt == "json":
            assert [s["id"] for s in listed["song"]] == [str(a)]
            assert "demo_id=1" in url["url"]
        else:
            assert [s.get("id") for s in listed.findall("song")] == [str(a)]
            assert "demo_id=1" in url.findtext("url")
        client.democratic("devote", a)
