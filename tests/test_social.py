"""followers, following, toggle_follow, last_shouts, timeline, friends_timeline (spec §6.12).

Runs on the shared server (real songs to play, rate and flag) with users of its own.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import ampache
import pytest

from tests.conftest import Api
from tests.shapes import assert_json_like, assert_xml_like
from tests.test_users import start_server

PEOPLE = {"soc_amy": "amy-pw-123", "soc_ben": "ben-pw-123", "soc_cal": "cal-pw-123"}


@pytest.fixture(scope="module")
def people(server: Any, api: Api) -> dict[str, str]:
    """name → session token, for three users made for these tests."""
    from ampmini.accounts import add_user

    for name, password in PEOPLE.items():
        add_user(server.db, name, password, email=f"{name}@example.org")
    return {name: api.login(name, password) for name, password in PEOPLE.items()}


@pytest.fixture(scope="module")
def songs(server: Any) -> list[int]:
    return [r[0] for r in server.db.reader().execute("SELECT id FROM song ORDER BY id LIMIT 3")]


@pytest.fixture(scope="module")
def activity(api: Api, people: dict[str, str], songs: list[int]) -> None:
    """ben plays, rates and flags songs; amy follows ben."""
    ben = people["soc_ben"]
    assert "success" in api.json("record_play", auth=ben, id=songs[0])
    assert "success" in api.json("rate", auth=ben, type="song", id=songs[1], rating=4)
    assert "success" in api.json("flag", auth=ben, type="song", id=songs[2], flag=1)
    assert api.json("toggle_follow", auth=people["soc_amy"], username="soc_ben")["success"]


def test_toggle_follow_and_the_lists(api: Api, people: dict[str, str], server: Any) -> None:
    cal, amy = people["soc_cal"], people["soc_amy"]
    body = api.json("toggle_follow", auth=cal, username="soc_amy")
    assert_json_like(body, "toggle_follow")
    cal_id = api.json("user", auth=cal)["id"]
    assert body == {"success": f"follow toggled for: {cal_id}"}
    followers = api.json("followers", auth=amy)  # default: the caller
    assert_json_like(followers, "followers")
    assert [u["username"] for u in followers["user"]] == ["soc_cal"]
    following = api.json("following", auth=amy, username="soc_cal")
    assert [u["username"] for u in following["user"]] == ["soc_amy"]
    assert_json_like(following, "following")
    assert_xml_like(api.raw("xml", "followers", auth=amy).content, "followers")
    assert_xml_like(api.raw("xml", "following", auth=amy, filter="soc_cal").content,
                    "following")
    xml = api.raw("xml", "toggle_follow", auth=cal, filter="soc_amy")  # unfollow
    assert_xml_like(xml.content, "toggle_follow")
    empty = api.json("followers", auth=amy)
    assert_json_like(empty, "followers (error)")
    assert empty["user"] == []


def test_follow_errors(api: Api, people: dict[str, str]) -> None:
    amy = people["soc_amy"]
    missing = api.json("toggle_follow", auth=amy)
    assert missing["error"]["errorCode"] == "4710"
    unknown = api.json("toggle_follow", auth=amy, username="nobody_here")
    assert unknown["error"]["errorCode"] == "4704"
    assert unknown["error"]["errorType"] == "filter"
    assert api.json("toggle_follow", auth=amy, username="soc_amy")["error"]["errorCode"] == "4710"
    assert api.json("followers", auth=amy, username="nobody_here")["error"]["errorType"] == (
        "username")


def test_timeline_comes_from_real_activity(api: Api, people: dict[str, str],
                                           songs: list[int], activity: None) -> None:
    body = api.json("timeline", auth=people["soc_amy"], username="soc_ben")
    assert_json_like(body, "timeline")
    seen = {(a["action"], int(a["object_id"])) for a in body["activity"]}
    assert seen >= {("play", songs[0]), ("rating", songs[1]), ("userflag", songs[2])}
    assert all(a["user"]["username"] == "soc_ben" for a in body["activity"])
    dates = [a["date"] for a in body["activity"]]
    assert dates == sorted(dates, reverse=True)
    assert_xml_like(api.raw("xml", "timeline", auth=people["soc_amy"],
                            username="soc_ben").content, "timeline")
    limited = api.json("timeline", auth=people["soc_amy"], username="soc_ben", limit=1)
    assert len(limited["activity"]) == 1
    future = api.json("timeline", auth=people["soc_amy"], username="soc_ben",
                      since=int(time.time()) + 3600)
    assert future["activity"] == []
    assert api.json("timeline", auth=people["soc_amy"])["error"]["errorCode"] == "4710"


def test_friends_timeline_shows_followed_users(api: Api, people: dict[str, str],
                                               activity: None) -> None:
    body = api.json("friends_timeline", auth=people["soc_amy"])
    assert_json_like(body, "friends_timeline")
    assert {a["user"]["username"] for a in body["activity"]} == {"soc_ben"}
    assert_xml_like(api.raw("xml", "friends_timeline", auth=people["soc_amy"]).content,
                    "friends_timeline")
    assert api.json("friends_timeline", auth=people["soc_cal"])["activity"] == []


def test_timeline_privacy(api: Api, people: dict[str, str], activity: None) -> None:
    ben, amy = people["soc_ben"], people["soc_amy"]
    api.json("preference_edit", auth=ben, filter="allow_personal_info_recent", value="0")
    try:
        assert api.json("timeline", auth=amy, username="soc_ben")["activity"] == []
        assert api.json("friends_timeline", auth=amy)["activity"] == []
        assert api.json("timeline", auth=ben, username="soc_ben")["activity"]  # own: always
    finally:
        api.json("preference_edit", auth=ben, filter="allow_personal_info_recent", value="1")
    assert api.json("timeline", auth=amy, username="soc_ben")["activity"]


def test_last_shouts(api: Api, server: Any, people: dict[str, str], songs: list[int]) -> None:
    conn_rows = server.db.reader().execute(
        "SELECT id FROM user WHERE username = 'soc_cal'").fetchone()
    with server.db.writer() as conn:  # no API action writes shouts (Ampache's web UI does)
        conn.execute(
            "INSERT INTO shout (user_id, date, text, object_type, object_id)"
            " VALUES (?, ?, 'Love this album', 'song', ?)",
            (conn_rows[0], int(time.time()), songs[0]),
        )
    body = api.json("last_shouts", auth=people["soc_amy"])
    assert_json_like(body, "last_shouts")
    assert body["shout"][0]["text"] == "Love this album"
    assert isinstance(body["shout"][0]["object_id"], int)
    assert_xml_like(api.raw("xml", "last_shouts", auth=people["soc_amy"]).content,
                    "last_shouts")
    assert api.json("last_shouts", auth=people["soc_amy"], username="soc_ben")["shout"] == []


def test_sociable_off_answers_4703(tmp_path: Path) -> None:
    with start_server(tmp_path, "sociable = false") as running:
        token = running.api.login("alice", "alice-secret-pw")
        for action in ("followers", "following", "toggle_follow", "last_shouts", "timeline",
                       "friends_timeline"):
            body = running.api.json(action, auth=token, username="admin")
            assert body["error"]["errorCode"] == "4703"
            assert body["error"]["errorMessage"] == "Enable: sociable"


def test_ampache_client_library_social(server: Any, people: dict[str, str],
                                       activity: None) -> None:
    client = ampache.API()
    client.set_format("json")
    client.set_url(server.base)
    stamp = int(time.time())
    passphrase = client.encrypt_password("cal-pw-123", stamp)
    assert client.handshake(server.base, passphrase, "soc_cal", stamp)
    assert client.toggle_follow("soc_ben")["success"]
    assert [u["username"] for u in client.following("soc_cal")["user"]] == ["soc_ben"]
    assert client.friends_timeline()["activity"]
    assert client.timeline("soc_ben", limit=2)["activity"]
    client.toggle_follow("soc_ben")
