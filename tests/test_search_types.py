"""advanced_search over the other types (spec §9.2): genre (alias tag), user and label."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ampache
import pytest

from tests.conftest import ADMIN, USER, Api, write_config
from tests.shapes import assert_json_like, assert_xml_like


def rule(name: str, value: str, operator: int = 0) -> dict[str, Any]:
    return {"rule_1": name, "rule_1_operator": operator, "rule_1_input": value}


def test_genre_and_its_tag_alias(api: Api, token: str) -> None:
    genres = api.json("genres", auth=token)["genre"]
    target = genres[0]
    body = api.json("advanced_search", auth=token, type="genre", **rule("title", target["name"], 4))
    assert [g["id"] for g in body["genre"]] == [target["id"]]
    assert body["total_count"] == 1
    assert body["genre"][0] == target  # the same object as `genres` lists
    assert_json_like(body, "genres")
    tag = api.json("advanced_search", auth=token, type="tag", **rule("title", target["name"], 4))
    assert tag["genre"] == body["genre"]
    counted = api.json(
        "advanced_search", auth=token, type="genre", **rule("song_count", str(target["songs"]), 2)
    )
    assert target["id"] in [g["id"] for g in counted["genre"]]
    xml = api.raw("xml", "advanced_search", auth=token, type="genre",
                  **rule("title", target["name"], 4))
    assert_xml_like(xml.content, "genres")


def test_user_search(api: Api, token: str) -> None:
    body = api.json("advanced_search", auth=token, type="user", **rule("username", USER[0], 4))
    assert body["user"] == [{"id": body["user"][0]["id"], "username": USER[0]}]
    everyone = api.json("advanced_search", auth=token, type="user", **rule("username", ""))
    assert {u["username"] for u in everyone["user"]} >= {ADMIN[0], USER[0]}
    assert all(set(u) == {"id", "username"} for u in everyone["user"])  # no private fields
    assert_json_like(everyone, "users")
    xml = api.xml("advanced_search", auth=token, type="user", **rule("username", USER[0], 4))
    assert [u.findtext("username") for u in xml.iter("user")] == [USER[0]]


def test_label_is_gated(api: Api, token: str) -> None:
    body = api.json("advanced_search", auth=token, type="label", **rule("title", "x"))
    assert body["error"]["errorCode"] == "4703"
    assert "label" in body["error"]["errorMessage"]
    bad = api.json("advanced_search", auth=token, type="nonsense", **rule("title", "x"))
    assert (bad["error"]["errorCode"], bad["error"]["errorType"]) == ("4710", "type")


@pytest.fixture(scope="module")
def labelled(library: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A small server with the `label` feature on and two labels."""
    import shutil

    from ampmini.accounts import add_user
    from ampmini.config import ConfigHolder
    from ampmini.db import open_database
    from ampmini.library.scanner import scan
    from ampmini.sendfile import serve_background
    from ampmini.server import build

    base: Path = tmp_path_factory.mktemp("labels")
    shutil.copytree(library["root"] / "Björk", base / "music" / "Björk")
    config = write_config(base / "ampmini.conf", base / "music", base / "a.db",
                          "\n[features]\nlabel = true\n")
    holder = ConfigHolder(config)
    db = open_database(holder.current.database.path)
    scan(db, holder.current.library.roots)
    add_user(db, *USER, access=25)
    with db.writer() as conn:
        conn.execute("INSERT INTO label (name, category) VALUES ('One Little Indian', 'indie')")
        conn.execute("INSERT INTO label (name) VALUES ('Polydor')")
    _server, app = build(holder, db)
    with serve_background(app, threads=2) as wsgi:
        url = f"http://127.0.0.1:{wsgi.effective_port}"
        api = Api(url)
        yield type("L", (), {"base": url, "api": api, "auth": api.login(*USER)})
    db.close()


def test_label_search(labelled: Any) -> None:
    api, auth = labelled.api, labelled.auth
    body = api.json("advanced_search", auth=auth, type="label", **rule("title", "little"))
    assert [x["name"] for x in body["label"]] == ["One Little Indian"]
    assert_json_like(body, "labels", nullable={"user"})
    by_category = api.json("advanced_search", auth=auth, type="label",
                           **rule("category", "indie", 4))
    assert [x["name"] for x in by_category["label"]] == ["One Little Indian"]
    xml = api.raw("xml", "advanced_search", auth=auth, type="label", **rule("title", "polydor", 4))
    assert b'<label id="' in xml.content  # not Ampache's <license> (spec §12 Fix 2)
    assert_xml_like(xml.content.replace(b"label", b"license"), "labels")
    client = ampache.API()
    client.set_format("json")
    client.set_url(labelled.base)
    stamp = int(time.time())
    assert client.handshake(labelled.base, client.encrypt_password(USER[1], stamp), USER[0], stamp)
    found = client.advanced_search([["title", 0, "polydor"]], object_type="label")
    assert [x["name"] for x in found["label"]] == ["Polydor"]
