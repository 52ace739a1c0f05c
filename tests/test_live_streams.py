"""Radio stations: live_stream CRUD over the API and `ampmini radio import`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import ampache

from ampmini.radio_cli import import_stations, read_playlist
from tests.conftest import USER, Api
from tests.shapes import assert_json_like, assert_xml_like


def _catalog(server: Any) -> int:
    return server.db.reader().execute("SELECT id FROM catalog ORDER BY id LIMIT 1").fetchone()[0]


def test_create_edit_list_delete(server: Any, api: Api, admin_token: str) -> None:
    catalog = _catalog(server)
    created = api.json("live_stream_create", auth=admin_token, name="Test FM",
                       url="http://radio.example.org:8000/live.mp3", codec="mp3",
                       catalog=catalog)
    assert created["name"] == "Test FM" and created["site_url"] is None
    assert_json_like(created, "live_stream_create.json")
    stream_id = created["id"]
    edited = api.json("live_stream_edit", auth=admin_token, filter=stream_id, codec="ogg",
                      site_url="https://radio.example.org/")
    assert edited["codec"] == "ogg" and edited["site_url"] == "https://radio.example.org/"
    assert_json_like(edited, "live_stream_edit.json", nullable={"site_url"})
    listing = api.json("live_streams", auth=admin_token, filter="test fm")
    assert [s["id"] for s in listing["live_stream"]] == [stream_id]
    assert_json_like(listing, "live_streams.json")
    assert_xml_like(api.raw("xml", "live_streams", auth=admin_token).content, "live_streams.xml")
    assert_json_like(api.json("live_stream", auth=admin_token, filter=stream_id),
                     "live_stream.json")
    assert_xml_like(api.raw("xml", "live_stream", auth=admin_token, filter=stream_id).content,
                    "live_stream.xml")
    deleted = api.json("live_stream_delete", auth=admin_token, filter=stream_id)
    assert deleted == {"success": f"Deleted live_stream: {stream_id}"}
    assert_xml_like(api.raw("xml", "live_stream_delete", auth=admin_token,
                            filter=stream_id).content, "error-4704.xml")
    missing = api.json("live_stream", auth=admin_token, filter=stream_id)
    assert missing["error"]["errorCode"] == "4704"


def test_validation_and_levels(server: Any, api: Api, admin_token: str, token: str) -> None:
    catalog = _catalog(server)
    base = {"name": "Bad", "codec": "mp3", "catalog": catalog}
    for url in ("file:///etc/passwd", "javascript:alert(1)", "ftp://x/y", "http://"):
        answer = api.json("live_stream_create", auth=admin_token, url=url, **base)
        assert answer["error"]["errorCode"] == "4710", url
        assert answer["error"]["errorType"] == "url"
    assert api.json("live_stream_create", auth=admin_token, url="http://a.b/c", name="x",
                    codec="m p3", catalog=catalog)["error"]["errorType"] == "codec"
    assert api.json("live_stream_create", auth=admin_token, url="http://a.b/c", name="x",
                    codec="mp3", catalog=999)["error"]["errorCode"] == "4704"
    assert api.json("live_stream_create", auth=admin_token,
                    name="x")["error"]["errorCode"] == "4710"
    refused = api.json("live_stream_create", auth=token, url="http://a.b/c", **base)
    assert refused["error"]["errorCode"] == "4742"


def test_radio_import_m3u_and_pls(server: Any, api: Api, admin_token: str, tmp_path: Path) -> None:
    m3u = tmp_path / "stations.m3u"
    m3u.write_text(
        "#EXTM3U\n#EXTINF:-1,Import One\nhttp://one.example.org/stream.aac\n"
        "#EXTINF:-1,Broken\nfile:///etc/passwd\nhttps://two.example.org/x.ogg\n",
        encoding="utf-8",
    )
    pls = tmp_path / "stations.pls"
    pls.write_text(
        "[playlist]\nNumberOfEntries=1\nFile1=http://three.example.org/live\n"
        "Title1=Import Three\nLength1=-1\nVersion=2\n",
        encoding="utf-8",
    )
    problems = import_stations(server.db, read_playlist(m3u), _catalog(server), "mp3")
    assert len(problems) == 1 and "file:///etc/passwd" in problems[0]
    assert import_stations(server.db, read_playlist(pls), _catalog(server), "mp3") == []
    again = import_stations(server.db, read_playlist(pls), _catalog(server), "mp3")
    assert again and "already" in again[0]
    names = {s["name"]: s for s in api.json("live_streams", auth=admin_token)["live_stream"]}
    assert names["Import One"]["codec"] == "aac"
    assert names["Import Three"]["url"] == "http://three.example.org/live"
    assert "https://two.example.org/x.ogg" in names


def test_ampache_client_reads_stations(server: Any) -> None:
    client = ampache.API()
    client.set_format("json")
    client.set_url(server.base)
    stamp = int(time.time())
    client.handshake(server.base, client.encrypt_password(USER[1], stamp), USER[0], stamp)
    assert isinstance(client.live_streams()["live_stream"], list)


def test_radio_cli_parser_is_pluggable() -> None:
    import argparse

    from ampmini.radio_cli import add_radio_commands

    parser = argparse.ArgumentParser()
    add_radio_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["radio", "import", "x.m3u", "--catalog", "2"])
    assert args.file == "x.m3u" and args.catalog == 2 and callable(args.func)
