"""Smartlists (spec §6.6, §9): made by the CLI, evaluated by the advanced_search engine."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from tests.shapes import assert_json_like, assert_xml_like


def run_cli(config: Path, *argv: str) -> int:
    from ampmini.smartlist_cli import add_smartlist_commands

    parser = argparse.ArgumentParser()
    parser.add_argument("--config", type=Path)
    add_smartlist_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["--config", str(config), *argv])
    return int(args.func(args))


def create(server: Any, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert run_cli(server.config_path, "smartlist", "create", *argv) == 0
    return capsys.readouterr().out.strip()


RULES = ("--rule", "title,0,a", "--rule", "year,0,1900", "--rule", "genre,5,Nothing")


def test_cli_smartlist_matches_advanced_search(server: Any, api: Any, token: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    sid = create(server, capsys, "Smart <&> ]]> ☃", *RULES, "--user", "alice")
    assert sid.startswith("smart_")
    search = api.json("advanced_search", auth=token, type="song", rule_1="title",
                      rule_1_operator=0, rule_1_input="a", rule_2="year", rule_2_operator=0,
                      rule_2_input=1900, rule_3="genre", rule_3_operator=5,
                      rule_3_input="Nothing", limit="none")
    songs = api.json("smartlist_songs", auth=token, filter=sid, limit="none")
    assert [s["id"] for s in songs["song"]] == [s["id"] for s in search["song"]]
    assert songs["song"], "the rules should match something in the test library"
    assert api.json("playlist_songs", auth=token, filter=sid, limit="none")["song"] == songs["song"]
    item = api.json("smartlist", auth=token, filter=sid)
    assert (item["id"], item["name"], item["items"]) == (sid, "Smart <&> ]]> ☃", len(songs["song"]))
    assert api.xml("smartlist", auth=token, filter=sid).find("playlist/name").text == item["name"]
    assert_json_like(item, "smartlist")
    assert_xml_like(api.raw("xml", "smartlist", auth=token, filter=sid).content, "smartlist")
    assert_json_like(api.json("smartlists", auth=token), "smartlists")
    assert_xml_like(api.raw("xml", "smartlists", auth=token).content, "smartlists")
    assert_json_like(api.json("user_smartlists", auth=token), "user_smartlists")
    assert_xml_like(api.raw("xml", "user_smartlists", auth=token).content, "user_smartlists")
    assert_json_like(api.json("smartlist_songs", auth=token, filter=sid), "smartlist_songs")
    assert_xml_like(api.raw("xml", "smartlist_songs", auth=token, filter=sid).content,
                    "smartlist_songs")
    assert sid in {p["id"] for p in api.json("playlists", auth=token)["playlist"]}
    assert sid not in {p["id"] for p in api.json("playlists", auth=token,
                                                 hide_search=1)["playlist"]}
    assert api.json("playlist_hash", auth=token, filter=sid)["md5"]
    # a smartlist is a playlist_add source
    target = api.json("playlist_create", auth=token, name="from smart")["id"]
    api.json("playlist_add", auth=token, filter=target, id=sid, type="playlist")
    assert len(api.json("playlist_songs", auth=token, filter=target)["song"]) == len(songs["song"])


def test_limit_random_any(server: Any, api: Any, token: str,
                          capsys: pytest.CaptureFixture[str]) -> None:
    sid = create(server, capsys, "two", "--rule", "title,0,a", "--rule", "title,0,e", "--any",
                 "--limit", "2", "--random", "--user", "alice")
    assert len(api.json("smartlist_songs", auth=token, filter=sid)["song"]) == 2


def test_private_smartlists_isolated(server: Any, api: Any, token: str, admin_token: str,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    hidden = create(server, capsys, "admin only", "--rule", "title,0,a")  # first admin's
    public = create(server, capsys, "for all", "--rule", "title,0,a", "--public")
    for action in ("smartlist", "smartlist_songs", "smartlist_delete", "playlist",
                   "playlist_songs"):
        for fmt in ("json", "xml"):
            answer = api.raw(fmt, action, auth=token, filter=hidden)
            assert "4704" in answer.text, (action, answer.text)
    visible = {p["id"] for p in api.json("smartlists", auth=token)["playlist"]}
    assert public in visible and hidden not in visible
    assert api.json("smartlist_delete", auth=token, filter=public)["error"]["errorCode"] == "4742"
    assert api.json("smartlist", auth=admin_token, filter=hidden)["id"] == hidden
    done = api.json("smartlist_delete", auth=admin_token, filter=hidden)
    assert_json_like(done, "smartlist_delete")
    assert api.json("smartlist", auth=admin_token, filter=hidden)["error"]["errorCode"] == "4704"
    assert_xml_like(api.raw("xml", "smartlist_delete", auth=admin_token,
                            filter=public).content, "smartlist_delete")


def test_cli_refuses_bad_rules(server: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(server.config_path, "smartlist", "create", "x", "--rule",
                   "nosuchfield,0,a") == 2
    assert "Bad Request: nosuchfield" in capsys.readouterr().err
    assert run_cli(server.config_path, "smartlist", "create", "x", "--rule", "year,9,1") == 2
    with pytest.raises(SystemExit):
        run_cli(server.config_path, "smartlist", "create", "x", "--rule", "year")
    assert run_cli(server.config_path, "smartlist", "list") == 0
    assert "smart_" in capsys.readouterr().out
    assert run_cli(server.config_path, "smartlist", "delete", "smart_999999") == 1
