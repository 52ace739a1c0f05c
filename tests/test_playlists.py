"""Playlists over HTTP (spec §6.6): shapes, item editing, visibility, playlist_generate."""

from __future__ import annotations

import time
from typing import Any

import ampache
import pytest

from tests.conftest import USER
from tests.shapes import assert_json_like, assert_xml_like

BOB = ("pl_bob", "pl-bob-secret-pw")
NASTY = 'Mix <b>&amp; "quotes" ]]> ünïcødé 🎵'


@pytest.fixture(scope="module")
def bob(server: Any, api: Any) -> str:
    from ampmini.accounts import add_user

    add_user(server.db, *BOB, access=25)
    return api.login(*BOB)


@pytest.fixture(scope="module")
def song_ids(api: Any, token: str) -> list[int]:
    body = api.json("songs", auth=token, limit=12, sort="id")
    return [int(s["id"]) for s in body["song"]]


def _create(api: Any, auth: str, name: str, kind: str | None = None) -> str:
    body = api.json("playlist_create", auth=auth, name=name, type=kind)
    assert "id" in body, body
    return body["id"]


def _tracks(api: Any, auth: str, pid: str) -> list[tuple[int, int]]:
    body = api.json("playlist_songs", auth=auth, filter=pid)
    return [(int(s["id"]), s["playlisttrack"]) for s in body["song"]]


def _error(body: Any) -> tuple[str, str]:
    return body["error"]["errorCode"], body["error"]["errorType"]


def test_create_and_read_shapes(api: Any, token: str, song_ids: list[int]) -> None:
    pid = _create(api, token, "shape list")
    created = api.raw("json", "playlist_create", auth=token, name="shape json").json()
    assert_json_like(created, "playlist_create")
    xml = api.raw("xml", "playlist_create", auth=token, name="shape xml").content
    assert_xml_like(xml, "playlist_create")
    assert_json_like(api.json("playlist", auth=token, filter=pid), "playlist")
    assert_xml_like(api.raw("xml", "playlist", auth=token, filter=pid).content, "playlist")
    assert_json_like(api.json("playlists", auth=token), "playlists")
    assert_xml_like(api.raw("xml", "playlists", auth=token).content, "playlists")
    assert_json_like(api.json("user_playlists", auth=token), "user_playlists")
    assert_xml_like(api.raw("xml", "user_playlists", auth=token).content, "user_playlists")
    ok = api.json("playlist_add_song", auth=token, filter=pid, song=song_ids[0])
    assert_json_like(ok, "playlist_add_song")
    assert_xml_like(
        api.raw("xml", "playlist_add_song", auth=token, filter=pid, song=song_ids[1]).content,
        "playlist_add_song",
    )
    assert_json_like(api.json("playlist_songs", auth=token, filter=pid), "playlist_songs")
    assert_xml_like(api.raw("xml", "playlist_songs", auth=token, filter=pid).content,
                    "playlist_songs")
    hashed = api.json("playlist_hash", auth=token, filter=pid)
    assert len(hashed["md5"]) == 32
    empty = _create(api, token, "empty")
    assert api.json("playlist_hash", auth=token, filter=empty) == {"md5": None}
    assert_xml_like(api.raw("xml", "playlist_hash", auth=token, filter=empty).content,
                    "playlist_hash")
    with_items = api.json("playlist", auth=token, filter=pid, include=1)
    assert with_items["items"] == [
        {"id": str(song_ids[0]), "playlisttrack": 1}, {"id": str(song_ids[1]), "playlisttrack": 2}
    ]
    assert with_items["md5"] == hashed["md5"]
    for action in ("playlist_edit", "playlist_delete"):
        params = {"name": "renamed"} if action == "playlist_edit" else {}
        victim = _create(api, token, "victim")
        assert_json_like(api.json(action, auth=token, filter=victim, **params), action)
        victim = _create(api, token, "victim")
        assert_xml_like(api.raw("xml", action, auth=token, filter=victim, **params).content,
                        action)


def test_names_round_trip(api: Any, token: str) -> None:
    pid = _create(api, token, NASTY)
    assert api.json("playlist", auth=token, filter=pid)["name"] == NASTY
    root = api.xml("playlist", auth=token, filter=pid)
    assert root.find("playlist/name").text == NASTY
    assert api.json("playlists", auth=token, filter="ünïcødé")["playlist"][0]["name"] == NASTY


def test_items_reorder_remove_clear_stay_contiguous(
    api: Any, token: str, song_ids: list[int]
) -> None:
    pid = _create(api, token, "reorder")
    a, b, c, d = song_ids[:4]
    for song in (a, b, c, d):
        api.json("playlist_add_song", auth=token, filter=pid, song=song)
    assert _tracks(api, token, pid) == [(a, 1), (b, 2), (c, 3), (d, 4)]
    ok = api.json("playlist_edit", auth=token, filter=pid, items=f"{d},{a}", tracks="1,4")
    assert ok == {"success": "playlist track changes saved"}
    assert [s for s, _ in _tracks(api, token, pid)] == [d, b, c, a]
    api.json("playlist_remove_song", auth=token, filter=pid, track=2)
    assert _tracks(api, token, pid) == [(d, 1), (c, 2), (a, 3)]
    api.json("playlist_remove_song", auth=token, filter=pid, song=c)
    assert _tracks(api, token, pid) == [(d, 1), (a, 2)]
    assert _error(api.json("playlist_remove_song", auth=token, filter=pid, track=9)) == (
        "4704", "track")
    assert _error(api.json("playlist_remove_song", auth=token, filter=pid, song=c)) == (
        "4704", "song")
    done = api.json("playlist_remove_song", auth=token, filter=pid, clear=1)
    assert done == {"success": "all songs removed from playlist"}
    assert api.json("playlist_songs", auth=token, filter=pid)["song"] == []
    assert_xml_like(api.raw("xml", "playlist_remove_song", auth=token, filter=pid,
                            clear=1).content, "playlist_remove_song")


def test_edit_bad_input(api: Any, token: str, song_ids: list[int]) -> None:
    pid = _create(api, token, "bad edits")
    api.json("playlist_add_song", auth=token, filter=pid, song=song_ids[0])
    for params in ({"items": "1,2", "tracks": "1"}, {"items": str(song_ids[0]), "tracks": "-1"},
                   {"items": "x", "tracks": "1"}, {}):
        assert _error(api.json("playlist_edit", auth=token, filter=pid, **params))[0] == "4710"
    assert _error(api.json("playlist", auth=token, filter="abc")) == ("4704", "filter")
    assert _error(api.json("playlist", auth=token, filter=999999)) == ("4704", "filter")
    assert _error(api.json("playlist_create", auth=token)) == ("4710", "system")


def test_add_song_check_duplicate(api: Any, token: str, song_ids: list[int]) -> None:
    pid = _create(api, token, "dupes")
    api.json("playlist_add_song", auth=token, filter=pid, song=song_ids[0])
    api.json("playlist_add_song", auth=token, filter=pid, song=song_ids[0])  # allowed
    refused = api.json("playlist_add_song", auth=token, filter=pid, song=song_ids[0], check=1)
    assert_json_like(refused, "playlist_add_song (error)")
    assert _error(refused) == ("4710", "duplicate")
    assert_xml_like(api.raw("xml", "playlist_add_song", auth=token, filter=pid,
                            song=song_ids[0], check=1).content, "playlist_add_song (error)")
    assert _error(api.json("playlist_add_song", auth=token, filter=pid, song=999999)) == (
        "4704", "song")


def test_playlist_add_objects(api: Any, token: str) -> None:
    album = api.json("albums", auth=token, limit=1)["album"][0]
    artist = api.json("artists", auth=token, limit=1)["artist"][0]
    pid = _create(api, token, "add objects")
    ok = api.json("playlist_add", auth=token, filter=pid, id=album["id"], type="album")
    assert_json_like(ok, "playlist_add")
    album_songs = [s["id"] for s in api.json("album_songs", auth=token, filter=album["id"])["song"]]
    assert [s["id"] for s in api.json("playlist_songs", auth=token, filter=pid)["song"]] == (
        album_songs)
    api.json("playlist_add", auth=token, filter=pid, id=artist["id"], type="artist")
    other = _create(api, token, "copy")
    api.json("playlist_add", auth=token, filter=other, id=pid, type="playlist")
    assert api.json("playlist_hash", auth=token, filter=other) == api.json(
        "playlist_hash", auth=token, filter=pid)
    assert_xml_like(api.raw("xml", "playlist_add", auth=token, filter=other, id=album["id"],
                            type="album").content, "playlist_add")
    assert _error(api.json("playlist_add", auth=token, filter=pid, id=1, type="video")) == (
        "4710", "type")
    assert _error(api.json("playlist_add", auth=token, filter=pid, id=999999, type="album")) == (
        "4704", "id")
    assert _error(api.json("playlist_add", auth=token, filter=pid, id=1)) == ("4710", "system")
    positions = [s["playlisttrack"] for s in
                 api.json("playlist_songs", auth=token, filter=other)["song"]]
    assert positions == list(range(1, len(positions) + 1))


def test_isolation_both_ways(api: Any, token: str, bob: str, admin_token: str,
                             song_ids: list[int]) -> None:
    mine = _create(api, token, "alice private")
    public = _create(api, token, "alice public", "public")
    theirs = _create(api, bob, "bob private")
    for owner, other, pid in ((token, bob, mine), (bob, token, theirs)):
        api.json("playlist_add_song", auth=owner, filter=pid, song=song_ids[0])
        for action, extra in (("playlist", {}), ("playlist_songs", {}), ("playlist_hash", {}),
                              ("playlist_delete", {}), ("playlist_edit", {"name": "x"}),
                              ("playlist_add_song", {"song": song_ids[1]}),
                              ("playlist_add", {"id": song_ids[1], "type": "song"}),
                              ("playlist_remove_song", {"clear": 1})):
            for fmt in ("json", "xml"):
                answer = api.raw(fmt, action, auth=other, filter=pid, **extra)
                assert "4704" in answer.text, (action, fmt, answer.text)
                assert "Not Found" in answer.text
        listed = {p["id"] for p in api.json("playlists", auth=other)["playlist"]}
        assert pid not in listed
        assert pid not in {p["id"] for p in api.json("get_indexes", auth=other,
                                                      type="playlist")["playlist"]}
        # the copy-from source must be visible too
        target = _create(api, other, "target")
        assert _error(api.json("playlist_add", auth=other, filter=target, id=pid,
                               type="playlist")) == ("4704", "id")
        assert _tracks(api, owner, pid)[0][0] == song_ids[0]  # untouched
    # public: visible, but only the owner edits; admin sees and may change everything
    assert api.json("playlist", auth=bob, filter=public)["has_access"] is False
    assert _error(api.json("playlist_add_song", auth=bob, filter=public, song=song_ids[0])) == (
        "4742", "account")
    assert _error(api.json("playlist_delete", auth=bob, filter=public)) == ("4742", "account")
    assert api.json("playlist", auth=admin_token, filter=theirs)["has_access"] is True
    assert api.json("playlist_edit", auth=admin_token, filter=theirs, type="public") == {
        "success": "playlist changes saved"}
    assert api.json("playlist", auth=token, filter=theirs)["type"] == "public"
    assert api.json("playlist_delete", auth=admin_token, filter=mine) == {
        "success": "playlist deleted"}


def test_collaborator_edits_items_only(server: Any, api: Any, token: str, bob: str,
                                       song_ids: list[int]) -> None:
    pid = _create(api, token, "shared work")
    bob_id = int(api.json("user", auth=bob, username=BOB[0])["id"])
    with server.db.writer() as conn:
        conn.execute("INSERT INTO playlist_user (playlist_id, user_id) VALUES (?, ?)",
                     (int(pid), bob_id))
    item = api.json("playlist", auth=bob, filter=pid)
    assert (item["has_access"], item["has_collaborate"]) == (False, True)
    assert api.json("playlist_add_song", auth=bob, filter=pid, song=song_ids[2]) == {
        "success": "song added to playlist"}
    assert _error(api.json("playlist_edit", auth=bob, filter=pid, name="mine")) == (
        "4742", "account")


def test_owner_change_and_user_deletion(server: Any, api: Any, token: str,
                                        song_ids: list[int]) -> None:
    from ampmini.accounts import add_user, delete_user

    add_user(server.db, "pl_carol", "carol-secret-pw", access=25)
    carol = api.login("pl_carol", "carol-secret-pw")
    pid = _create(api, token, "gift")
    api.json("playlist_add_song", auth=token, filter=pid, song=song_ids[0])
    assert api.json("playlist_edit", auth=token, filter=pid, owner="pl_carol") == {
        "success": "playlist changes saved"}
    assert api.json("playlist", auth=carol, filter=pid)["owner"] == "pl_carol"
    assert _error(api.json("playlist", auth=token, filter=pid)) == ("4704", "filter")
    delete_user(server.db, "pl_carol")
    with server.db.writer() as conn:
        left = conn.execute("SELECT COUNT(*) FROM playlist_data WHERE playlist_id = ?",
                            (int(pid),)).fetchone()[0]
    assert left == 0


def test_indexes_list_search(api: Any, token: str) -> None:
    pid = _create(api, token, "indexed zebra", "public")
    body = api.json("get_indexes", auth=token, type="playlist", filter="zebra")
    assert [p["id"] for p in body["playlist"]] == [pid]
    assert_json_like(body, "get_indexes (playlist)")
    assert_xml_like(api.raw("xml", "get_indexes", auth=token, type="playlist").content,
                    "get_indexes (playlist)")
    song = api.json("songs", auth=token, limit=1)["song"][0]["id"]
    api.json("playlist_add_song", auth=token, filter=pid, song=song)
    with_tracks = api.raw("xml", "get_indexes", auth=token, type="playlist", filter="zebra",
                          include=1).content
    assert_xml_like(with_tracks, "get_indexes (playlist with include)")
    assert f'<playlisttrack id="{song}">1</playlisttrack>'.encode() in with_tracks
    listed = api.json("list", auth=token, type="playlist", filter="zebra")
    assert listed["list"][0]["name"] == "indexed zebra"
    assert_json_like(listed, "list (playlist)")
    index = api.json("index", auth=token, type="playlist", filter="zebra", include=1)
    assert index == {"playlist": {pid: [{"id": int(song), "type": "song"}]}}
    found = api.json("advanced_search", auth=token, type="playlist", rule_1="title",
                     rule_1_operator=0, rule_1_input="zebra")
    assert [p["id"] for p in found["playlist"]] == [pid]


def test_playlist_generate_modes(server: Any, api: Any, token: str, song_ids: list[int]) -> None:
    from ampmini import plays

    uid = int(api.json("user", auth=token, username=USER[0])["id"])
    recent, forgotten = song_ids[5], song_ids[6]
    now = int(time.time())
    with server.db.writer() as conn:  # this test owns alice's play history for these songs
        conn.execute("DELETE FROM play WHERE user_id = ? AND object_type = 'song'", (uid,))
    plays.record(server.db, uid, "song", recent, date=now - 3600)
    plays.record(server.db, uid, "song", forgotten, date=now - 40 * 86400)

    def ids(mode: str, **extra: Any) -> set[int]:
        return set(api.json("playlist_generate", auth=token, mode=mode, format="id",
                            limit="none", **extra))

    assert ids("recent") == {recent}
    assert ids("forgotten") == {forgotten}
    unplayed = ids("unplayed")
    assert recent not in unplayed and forgotten not in unplayed and song_ids[0] in unplayed
    assert ids("random") >= {recent, forgotten}
    api.json("flag", auth=token, type="song", id=song_ids[7], flag=1)
    with server.db.writer() as conn:  # other tests may flag songs for alice too
        flagged = {r[0] for r in conn.execute(
            "SELECT object_id FROM flag WHERE user_id = ? AND object_type = 'song'", (uid,))}
    assert song_ids[7] in flagged and ids("random", flag=1) == flagged
    album = api.json("song", auth=token, filter=recent)["album"]["id"]
    assert recent in ids("random", album=album)
    body = api.json("playlist_generate", auth=token, format="song", limit=3)
    assert_json_like(body, "playlist_generate (song)")
    assert_json_like(api.json("playlist_generate", auth=token, format="index", limit=3),
                     "playlist_generate (index)")
    assert_xml_like(api.raw("xml", "playlist_generate", auth=token, format="index",
                            limit=3).content, "playlist_generate (index)")
    assert_xml_like(api.raw("xml", "playlist_generate", auth=token, format="id",
                            limit=3).content, "playlist_generate (id)")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_ampache_client(server: Any, fmt: str, song_ids: list[int]) -> None:
    client = ampache.API()
    client.set_format(fmt)
    client.set_url(server.base)
    stamp = int(time.time())
    assert client.handshake(server.base, client.encrypt_password(USER[1], stamp), USER[0], stamp)
    created = client.playlist_create(f"client {fmt}", "private")
    pid = created["id"] if fmt == "json" else created.find("playlist").get("id")
    client.playlist_add_song(pid, song_ids[0])
    client.playlist_add_song(pid, song_ids[1])
    songs = client.playlist_songs(pid)
    got = ([s["id"] for s in songs["song"]] if fmt == "json"
           else [s.get("id") for s in songs.findall("song")])
    assert got == [str(song_ids[0]), str(song_ids[1])]
    client.playlist_delete(pid)
    gone = client.playlist(pid)
    assert "4704" in (str(gone) if fmt == "json" else gone.find("error").get("errorCode"))
