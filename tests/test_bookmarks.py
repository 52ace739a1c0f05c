"""Bookmarks (spec §6.8) and now playing / player (§6.5, §6.7) over HTTP."""

from __future__ import annotations

import time
from typing import Any

import ampache
import pytest

from tests.conftest import USER
from tests.shapes import assert_json_like, assert_xml_like

BOB = ("bm_bob", "bm-bob-secret-pw")


@pytest.fixture(scope="module")
def bob(server: Any, api: Any) -> str:
    from ampmini.accounts import add_user

    add_user(server.db, *BOB, access=25)
    return api.login(*BOB)


@pytest.fixture(scope="module")
def songs(api: Any, token: str) -> list[str]:
    return [s["id"] for s in api.json("songs", auth=token, limit=4, sort="id")["song"]]


def test_bookmark_lifecycle_and_shapes(api: Any, token: str, songs: list[str]) -> None:
    song = songs[0]
    made = api.json("bookmark_create", auth=token, filter=song, type="song", position=10,
                    client="phone")
    assert (made["object_id"], made["position"], made["client"]) == (song, 10, "phone")
    assert_json_like(made, "bookmark_create")
    assert_xml_like(api.raw("xml", "bookmark_create", auth=token, filter=song, type="song",
                            position=10, client="phone").content, "bookmark_create")
    again = api.json("bookmark_create", auth=token, filter=song, type="song", position=20,
                     client="phone")
    assert again["id"] == made["id"] and again["position"] == 20  # user+object+client key
    api.json("bookmark_create", auth=token, filter=song, type="song", position=5, client="car")
    edited = api.json("bookmark_edit", auth=token, filter=song, type="song", position=30,
                      client="phone")
    assert edited["position"] == 30
    assert_json_like(edited, "bookmark_edit")
    assert_xml_like(api.raw("xml", "bookmark_edit", auth=token, filter=song, type="song",
                            position=30, client="phone").content, "bookmark_edit")
    one = api.json("bookmark", auth=token, filter=made["id"])
    assert_json_like(one, "bookmark")
    assert_xml_like(api.raw("xml", "bookmark", auth=token, filter=made["id"]).content, "bookmark")
    full = api.json("bookmark", auth=token, filter=made["id"], include=1)
    assert full["song"][0]["id"] == song
    assert_json_like(full, "bookmark (with include)")
    assert_xml_like(api.raw("xml", "bookmark", auth=token, filter=made["id"],
                            include=1).content, "bookmark (with include)")
    listed = api.json("bookmarks", auth=token)
    assert_json_like(listed, "bookmarks")
    assert_xml_like(api.raw("xml", "bookmarks", auth=token).content, "bookmarks")
    assert_json_like(api.json("bookmarks", auth=token, include=1), "bookmarks (with include)")
    assert {b["client"] for b in api.json("bookmarks", auth=token, client="car")["bookmark"]} == {
        "car"}
    latest = api.json("get_bookmark", auth=token, filter=song, type="song")
    assert_json_like(latest, "get_bookmark")
    assert_xml_like(api.raw("xml", "get_bookmark", auth=token, filter=song,
                            type="song").content, "get_bookmark")
    every = api.json("get_bookmark", auth=token, filter=song, type="song", all=1)
    assert {b["client"] for b in every["bookmark"]} == {"phone", "car"}
    assert_json_like(every, "get_bookmark (show all)")
    assert_xml_like(api.raw("xml", "get_bookmark", auth=token, filter=song, type="song",
                            all=1).content, "get_bookmark (show all)")
    assert_json_like(api.json("get_bookmark", auth=token, filter=song, type="song", include=1),
                     "get_bookmark (with include)")
    gone = api.json("bookmark_delete", auth=token, filter=made["id"])
    assert gone == {"success": f"Deleted Bookmark: {made['id']}"}
    assert_json_like(gone, "bookmark_delete")
    car = api.json("bookmark_delete", auth=token, filter=song, type="song", client="car")
    assert car["success"].startswith("Deleted Bookmark")
    assert api.json("get_bookmark", auth=token, filter=song, type="song") == []
    assert api.xml("bookmark", auth=token, filter=made["id"]).findall("*") == []


def test_bookmark_bad_input(api: Any, token: str, songs: list[str]) -> None:
    def err(action: str, **params: Any) -> tuple[str, str]:
        body = api.json(action, auth=token, **params)["error"]
        return body["errorCode"], body["errorType"]

    assert err("bookmark_create", filter=songs[0], type="album", position=1) == ("4710", "type")
    assert err("bookmark_create", filter=999999, type="song", position=1) == ("4704", "filter")
    assert err("bookmark_create", filter=songs[0], type="song") == ("4710", "system")
    assert err("bookmark_create", filter=songs[0], type="song", position=-3) == (
        "4710", "position")
    assert err("bookmark_create", filter=songs[0], type="video", position=1) == (
        "4703", "system")
    assert err("bookmark_edit", filter=songs[1], type="song", position=1, client="nope") == (
        "4704", "bookmark")
    assert err("bookmark_delete", filter=999999) == ("4704", "filter")
    assert err("get_bookmark", filter=songs[0]) == ("4710", "system")


def test_bookmarks_are_private(api: Any, token: str, bob: str, songs: list[str]) -> None:
    mine = api.json("bookmark_create", auth=token, filter=songs[2], type="song", position=7)
    theirs = api.json("bookmark_create", auth=bob, filter=songs[2], type="song", position=9)
    for owner, other, mark in ((token, bob, mine), (bob, token, theirs)):
        assert api.json("bookmark", auth=other, filter=mark["id"]) == []
        assert mark["id"] not in {b["id"] for b in api.json("bookmarks", auth=other)["bookmark"]}
        body = api.json("bookmark_delete", auth=other, filter=mark["id"])
        assert body["error"]["errorCode"] == "4704"
        assert api.json("bookmark", auth=owner, filter=mark["id"])["id"] == mark["id"]
        got = api.json("get_bookmark", auth=other, filter=songs[2], type="song")
        assert got["id"] != mark["id"]


def test_player_and_now_playing(api: Any, token: str, bob: str, songs: list[str]) -> None:
    answer = api.json("player", auth=token, filter=songs[0], client="np-test")
    mine = [n for n in answer["now_playing"] if n["client"] == "np-test"]
    assert mine and mine[0]["id"] == songs[0] and mine[0]["expire"] > time.time()
    assert_json_like(answer, "now_playing")
    listing = api.json("now_playing", auth=bob)
    assert any(n["user"]["username"] == USER[0] for n in listing["now_playing"])
    assert_json_like(listing, "now_playing")
    assert_xml_like(api.raw("xml", "now_playing", auth=token).content, "now_playing")
    api.json("player", auth=token, filter=songs[1], client="np-test", time=30)
    entries = [n for n in api.json("now_playing", auth=token)["now_playing"]
               if n["client"] == "np-test"]
    assert [n["id"] for n in entries] == [songs[1]]
    api.json("player", auth=token, filter=songs[1], client="np-test", state="stop")
    assert not [n for n in api.json("now_playing", auth=token)["now_playing"]
                if n["client"] == "np-test"]
    for params, expected in (({"filter": songs[0], "type": "album"}, ("4710", "type")),
                             ({"filter": songs[0], "state": "pause"}, ("4710", "state")),
                             ({"filter": 999999}, ("4704", "id"))):
        body = api.json("player", auth=token, **params)["error"]
        assert (body["errorCode"], body["errorType"]) == expected


def test_record_now_playing_hook(server: Any, api: Any, token: str, songs: list[str]) -> None:
    from ampmini.api.actions.nowplaying import record_now_playing

    uid = int(api.json("user", auth=token, username=USER[0])["id"])
    record_now_playing(server.db, uid, "song", int(songs[3]), "stream-hook")
    entries = api.json("now_playing", auth=token)["now_playing"]
    assert any(n["client"] == "stream-hook" and n["id"] == songs[3] for n in entries)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_ampache_client_bookmarks(server: Any, fmt: str, songs: list[str]) -> None:
    client = ampache.API()
    client.set_format(fmt)
    client.set_url(server.base)
    stamp = int(time.time())
    assert client.handshake(server.base, client.encrypt_password(USER[1], stamp), USER[0], stamp)
    client.bookmark_create(songs[3], "song", 42, client=f"lib-{fmt}")
    got = client.get_bookmark(songs[3], "song")
    position = got["position"] if fmt == "json" else int(got.find("bookmark/position").text)
    assert position == 42
    client.bookmark_delete(songs[3], "song", client=f"lib-{fmt}")
