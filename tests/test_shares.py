"""Shares (spec §6.9): the API actions, their isolation, and the public share page."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ampache
import pytest
import requests

from tests.conftest import USER, Api, write_config
from tests.shapes import assert_json_like, assert_xml_like

BOB = ("sh_bob", "sh-bob-secret-pw")
NASTY = 'Ünïcødé <script>alert("x")</script> & ]]>'


@pytest.fixture(scope="module")
def bob(server: Any, api: Any) -> str:
    from ampmini.accounts import add_user

    add_user(server.db, *BOB, access=25)
    return api.login(*BOB)


@pytest.fixture(scope="module")
def album(api: Any, token: str) -> dict[str, Any]:
    return api.json("albums", auth=token, limit=1, sort="id")["album"][0]


@pytest.fixture(scope="module")
def share_site(server: Any) -> Iterator[str]:
    """The app with share links mounted, as the lead will mount them, on the same database."""
    from ampmini.app import make_app
    from ampmini.sendfile import serve_background
    from ampmini.share_links import mount_share_links

    app = make_app(server.server)
    mount_share_links(app, server.server)
    with serve_background(app, threads=2) as wsgi:
        yield f"http://127.0.0.1:{wsgi.effective_port}"


def err(body: Any) -> tuple[str, str]:
    return body["error"]["errorCode"], body["error"]["errorType"]


def test_share_actions_and_shapes(api: Any, token: str, album: dict[str, Any]) -> None:
    made = api.json("share_create", auth=token, filter=album["id"], type="album",
                    description=NASTY, expires=3)
    assert (made["object_type"], made["object_id"], made["name"]) == (
        "album", album["id"], album["name"])
    assert made["description"] == NASTY and made["expire_days"] == 3
    assert made["public_url"].endswith(f"/share.php?id={made['id']}&secret={made['secret']}")
    assert_json_like(made, "share_create")
    assert_xml_like(api.raw("xml", "share_create", auth=token, filter=album["id"],
                            type="album").content, "share_create")
    assert api.xml("share", auth=token, filter=made["id"]).find("share/description").text == NASTY
    assert_json_like(api.json("share", auth=token, filter=made["id"]), "share")
    assert_xml_like(api.raw("xml", "share", auth=token, filter=made["id"]).content, "share")
    assert_json_like(api.json("shares", auth=token), "shares")
    assert_xml_like(api.raw("xml", "shares", auth=token).content, "shares")
    assert [s["id"] for s in api.json("shares", auth=token, filter="ünïcødé")["share"]] == [
        made["id"]]
    edited = api.json("share_edit", auth=token, filter=made["id"], stream=0, download=1,
                      expires=9, description="new")
    assert edited == {"success": f"share {made['id']} updated"}
    assert_json_like(edited, "share_edit")
    after = api.json("share", auth=token, filter=made["id"])
    assert (after["allow_stream"], after["allow_download"], after["expire_days"],
            after["description"]) == (False, True, 9, "new")
    assert_xml_like(api.raw("xml", "share_edit", auth=token, filter=made["id"]).content,
                    "share_edit")
    deleted = api.json("share_delete", auth=token, filter=made["id"])
    assert_json_like(deleted, "share_delete")
    again = api.json("share_delete", auth=token, filter=made["id"])
    assert_json_like(again, "share_delete (error)")
    assert err(again) == ("4704", "filter")
    assert_xml_like(api.raw("xml", "share_delete", auth=token, filter=made["id"]).content,
                    "share_delete (error)")


def test_share_bad_input(api: Any, token: str, album: dict[str, Any]) -> None:
    assert err(api.json("share_create", auth=token, filter=album["id"], type="genre")) == (
        "4710", "type")
    assert err(api.json("share_create", auth=token, filter=999999, type="album")) == (
        "4704", "filter")
    assert err(api.json("share_create", auth=token, filter=album["id"])) == ("4710", "system")
    assert err(api.json("share", auth=token, filter="x")) == ("4704", "filter")


def test_shares_are_private(api: Any, token: str, bob: str, admin_token: str,
                            album: dict[str, Any]) -> None:
    mine = api.json("share_create", auth=token, filter=album["id"], type="album")
    theirs = api.json("share_create", auth=bob, filter=album["id"], type="album")
    for owner, other, item in ((token, bob, mine), (bob, token, theirs)):
        for action, extra in (("share", {}), ("share_edit", {"stream": 0}), ("share_delete", {})):
            for fmt in ("json", "xml"):
                answer = api.raw(fmt, action, auth=other, filter=item["id"], **extra)
                assert "4704" in answer.text, (action, answer.text)
        assert item["id"] not in {s["id"] for s in api.json("shares", auth=other)["share"]}
        assert api.json("share", auth=owner, filter=item["id"])["allow_stream"] is True
    assert theirs["id"] in {s["id"] for s in api.json("shares", auth=admin_token)["share"]}
    # another user's private playlist cannot be shared (it is not found)
    private = api.json("playlist_create", auth=bob, name="bob private")["id"]
    assert err(api.json("share_create", auth=token, filter=private, type="playlist")) == (
        "4704", "filter")


def test_share_gate_off(tmp_path: Path) -> None:
    from ampmini.accounts import add_user
    from ampmini.config import ConfigHolder
    from ampmini.db import open_database
    from ampmini.sendfile import serve_background
    from ampmini.server import build

    (tmp_path / "music").mkdir()
    path = write_config(tmp_path / "c.conf", tmp_path / "music", tmp_path / "db.sqlite",
                        "\n[features]\nshare = false\n")
    holder = ConfigHolder(path)
    db = open_database(holder.current.database.path)
    add_user(db, *USER, access=25)
    _server, app = build(holder, db)
    with serve_background(app, threads=2) as wsgi:
        client = Api(f"http://127.0.0.1:{wsgi.effective_port}")
        auth = client.login(*USER)
        for action in ("shares", "share", "share_create", "share_edit", "share_delete"):
            body = client.json(action, auth=auth, filter=1, type="song")
            assert body["error"]["errorCode"] == "4703", action
            assert body["error"]["errorMessage"] == "Enable: share"
        # A link made while shares were on stops working when they are switched off.
        with db.writer() as conn:
            conn.execute(
                "INSERT INTO share (id, user_id, object_type, object_id, secret, creation_date)"
                " VALUES (1, 1, 'album', 1, 'sekrit', 0)"
            )
        page = requests.get(f"{client.base}/share.php?id=1&secret=sekrit", timeout=10)
        assert page.status_code == 404
    db.close()


def test_share_page_anonymous(server: Any, api: Any, token: str, album: dict[str, Any],
                              share_site: str) -> None:
    made = api.json("share_create", auth=token, filter=album["id"], type="album",
                    description=NASTY)
    url = made["public_url"].replace(api.base, share_site)
    page = requests.get(url, timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert html.escape(NASTY) in page.text and "<script>" not in page.text
    titles = [s["title"] for s in api.json("album_songs", auth=token, filter=album["id"])["song"]]
    for title in titles:
        assert html.escape(title) in page.text
    sources = re.findall(r'<audio controls preload="none" src="([^"]+)"', page.text)
    assert len(sources) == len(titles)
    audio = requests.get(f"{share_site}/{html.unescape(sources[0])}", timeout=10)
    assert audio.status_code == 200 and audio.headers["Content-Type"].startswith("audio/")
    assert len(audio.content) > 0
    # downloads follow the `download` feature; switched off per share, the link goes away
    downloads = re.findall(r'<a href="([^"]+)" download>', page.text)
    assert len(downloads) == len(titles)
    got = requests.get(f"{share_site}/{html.unescape(downloads[0])}", timeout=10)
    assert got.status_code == 200 and "attachment" in got.headers["Content-Disposition"]
    api.json("share_edit", auth=token, filter=made["id"], download=0)
    assert "download>" not in requests.get(url, timeout=10).text
    assert requests.get(f"{share_site}/{html.unescape(downloads[0])}",
                        timeout=10).status_code == 404
    # nothing outside the shared object, and no stream of someone else's share
    outside = requests.get(f"{share_site}/share.php?id={made['id']}&secret={made['secret']}"
                           "&song=999999", timeout=10)
    assert outside.status_code == 404
    for bad in (f"id={made['id']}&secret=wrong", f"id={made['id']}", "id=x&secret=y",
                f"id=999999&secret={made['secret']}"):
        answer = requests.get(f"{share_site}/share.php?{bad}", timeout=10)
        assert (answer.status_code, answer.text) == (404, "Not Found\n")
    counted = api.json("share", auth=token, filter=made["id"])
    assert counted["counter"] == 2 and counted["lastvisit_date"] > 0  # streams do not count


def test_share_page_expiry_and_counter(server: Any, api: Any, token: str,
                                       album: dict[str, Any], share_site: str) -> None:
    made = api.json("share_create", auth=token, filter=album["id"], type="album")
    url = made["public_url"].replace(api.base, share_site)
    with server.db.writer() as conn:
        conn.execute("UPDATE share SET max_counter = 2 WHERE id = ?", (int(made["id"]),))
    assert requests.get(url, timeout=10).status_code == 200
    assert requests.get(url, timeout=10).status_code == 200
    assert requests.get(url, timeout=10).status_code == 404  # past max_counter
    expiring = api.json("share_create", auth=token, filter=album["id"], type="album", expires=1)
    url = expiring["public_url"].replace(api.base, share_site)
    assert requests.get(url, timeout=10).status_code == 200
    with server.db.writer() as conn:
        conn.execute("UPDATE share SET creation_date = ? WHERE id = ?",
                     (int(time.time()) - 2 * 86400, int(expiring["id"])))
    assert requests.get(url, timeout=10).status_code == 404


def test_deleting_the_object_removes_its_shares(server: Any, api: Any, token: str) -> None:
    pid = api.json("playlist_create", auth=token, name="to share")["id"]
    made = api.json("share_create", auth=token, filter=pid, type="playlist")
    api.json("playlist_delete", auth=token, filter=pid)
    assert err(api.json("share", auth=token, filter=made["id"])) == ("4704", "filter")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_ampache_client_shares(server: Any, fmt: str, album: dict[str, Any]) -> None:
    client = ampache.API()
    client.set_format(fmt)
    client.set_url(server.base)
    stamp = int(time.time())
    assert client.handshake(server.base, client.encrypt_password(USER[1], stamp), USER[0], stamp)
    made = client.share_create(album["id"], "album", description="lib")
    share_id = made["id"] if fmt == "json" else made.find("share").get("id")
    listed = client.shares()
    ids = ([s["id"] for s in listed["share"]] if fmt == "json"
           else [s.get("id") for s in listed.findall("share")])
    assert share_id in ids
    client.share_delete(share_id)
