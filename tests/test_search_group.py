"""search_group and search_rules (spec §6.4, §8.20) on the advanced_search engine."""

from __future__ import annotations

import time
from typing import Any

import ampache
import pytest

from tests.conftest import USER
from tests.shapes import assert_json_like, assert_xml_like

RULE = {"rule_1": "title", "rule_1_operator": 0, "rule_1_input": "a"}


def test_search_group_music(api: Any, token: str) -> None:
    body = api.json("search_group", auth=token, type="music", **RULE)
    assert list(body["search"]) == ["album", "artist", "song"]
    for kind in ("album", "artist", "song"):
        alone = api.json("advanced_search", auth=token, type=kind, **RULE)
        assert [o["id"] for o in body["search"][kind]] == [o["id"] for o in alone[kind]]
    assert body["search"]["song"]
    # a compilation without album artist has no `artist` ref (spec §8.2), as in `albums`
    assert_json_like(body, "search_group (music)", optional={"artist"})
    assert_xml_like(api.raw("xml", "search_group", auth=token, type="music", **RULE).content,
                    "search_group (music)", optional={"artist"})


def test_search_group_all_paging_per_type(api: Any, token: str) -> None:
    api.json("playlist_create", auth=token, name="a group playlist", type="public")
    body = api.json("search_group", auth=token, **RULE, limit=1)
    groups = body["search"]
    assert all(len(items) <= 1 for items in groups.values())
    assert len(groups["song"]) == 1 and len(groups["playlist"]) == 1
    root = api.xml("search_group", auth=token, **RULE, limit=1)
    tags = {child.tag for child in root.find("search")}
    assert {"song", "album", "playlist"} <= tags and "album_artist" not in tags
    answer = api.json("search_group", auth=token, type="nonsense", **RULE)
    assert (answer["error"]["errorCode"], answer["error"]["errorType"]) == ("4710", "type")
    missing = api.json("search_group", auth=token, type="music")
    assert missing["error"]["errorCode"] == "4710"


@pytest.mark.parametrize("kind", ["song", "album", "artist", "playlist"])
def test_search_rules_catalogue(api: Any, token: str, kind: str) -> None:
    body = api.json("search_rules", auth=token, filter=kind)
    names = [r["name"] for r in body["rule"]]
    assert "id" in names and len(names) == len(set(names))
    assert_json_like(body, f"search_rules ({kind})")
    assert_xml_like(api.raw("xml", "search_rules", auth=token, filter=kind).content,
                    f"search_rules ({kind})")


def test_search_rules_are_the_engines(api: Any, token: str) -> None:
    from ampmini.api.rules import SEARCH_TYPES

    names = {r["name"] for r in api.json("search_rules", auth=token, filter="song")["rule"]}
    assert names == set(SEARCH_TYPES["song"].rules)
    bad = api.json("search_rules", auth=token, filter="nonsense")["error"]
    assert (bad["errorCode"], bad["errorType"]) == ("4710", "type")
    assert api.json("search_rules", auth=token)["error"]["errorType"] == "system"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_ampache_client_search_rules(server: Any, fmt: str) -> None:
    client = ampache.API()
    client.set_format(fmt)
    client.set_url(server.base)
    stamp = int(time.time())
    assert client.handshake(server.base, client.encrypt_password(USER[1], stamp), USER[0], stamp)
    rules = client.search_rules("song")
    names = ([r["name"] for r in rules["rule"]] if fmt == "json"
             else [r.get("id") for r in rules.findall("rule")])
    assert "title" in names
