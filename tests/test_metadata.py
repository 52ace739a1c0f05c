"""Lyrics, raw tags and metadata upkeep: get_lyrics, song_tags, get_external_metadata,
update_from_tags, update_art, update_artist_info."""

from __future__ import annotations

from typing import Any

from tests.shapes import assert_json_like, assert_xml_like
from tests.test_videos import media_server

__all__ = ["media_server"]


def _song(media: Any, title: str) -> int:
    return media.db.reader().execute("SELECT id FROM song WHERE title = ?", (title,)).fetchone()[0]


def test_lyrics_from_tags_from_lrc_and_none(media_server: Any) -> None:
    api, auth = media_server.api, media_server.token
    tagged = api.json("get_lyrics", auth=auth, filter=_song(media_server, "Opening"))
    assert tagged["object_type"] == "song"
    assert tagged["plugin"] == {"database": {"text": "la la la"}}
    lrc = api.json("get_lyrics", auth=auth, filter=_song(media_server, "Alone"))
    assert lrc["plugin"]["database"]["text"] == "[00:00.00]synced line"
    none = api.json("get_lyrics", auth=auth, filter=_song(media_server, "Closing"))
    assert none["plugin"] == []
    xml = api.xml("get_lyrics", auth=auth, filter=_song(media_server, "Opening"))
    assert xml.findtext("plugin/database/text") == "la la la"
    assert api.json("get_lyrics", auth=auth)["error"]["errorCode"] == "4710"
    assert api.json("get_lyrics", auth=auth, filter=999)["error"]["errorCode"] == "4704"


def test_song_tags_reads_the_file(media_server: Any) -> None:
    api, auth = media_server.api, media_server.token
    song = _song(media_server, "Opening")
    tags = api.json("song_tags", auth=auth, filter=song)
    assert tags["title"] == "Opening" and tags["publisher"] == "Quiet Records"
    assert tags["track"] == 1 and tags["totaltracks"] == 2 and tags["file"].endswith("01.mp3")
    assert_json_like(tags, "song_tags.json", nullable={"mode", "channels", "genre"})
    xml = api.raw("xml", "song_tags", auth=auth, filter=song).content
    assert f'<song_tag id="{song}">'.encode() in xml
    assert_xml_like(xml, "song_tags.xml", optional={"genre"})


def test_external_metadata_is_empty_without_providers(media_server: Any) -> None:
    api, auth = media_server.api, media_server.token
    artist = media_server.db.reader().execute("SELECT id FROM artist LIMIT 1").fetchone()[0]
    assert api.json("get_external_metadata", auth=auth, type="artist", filter=artist) == []
    bad = api.json("get_external_metadata", auth=auth, type="planet", filter=artist)
    assert bad["error"]["errorCode"] == "4710" and bad["error"]["errorType"] == "type"
    missing = api.json("get_external_metadata", auth=auth, type="song", filter=99999)
    assert missing["error"]["errorCode"] == "4704"


def test_update_from_tags_rereads_files(media_server: Any) -> None:
    api, auth = media_server.api, media_server.token
    album = media_server.db.reader().execute(
        "SELECT id FROM album WHERE name = 'First'"
    ).fetchone()[0]
    answer = api.json("update_from_tags", auth=auth, type="album", id=album)
    assert answer == {"success": f"Updated tags for: {album} (album)"}
    assert_json_like(answer, "update_from_tags.json")
    assert_xml_like(api.raw("xml", "update_from_tags", auth=auth, type="album",
                            filter=album).content, "update_from_tags.xml")
    assert api.json("update_from_tags", auth=auth, type="x", id=1)["error"]["errorCode"] == "4710"
    assert api.json("update_from_tags", auth=auth, type="song",
                    id=99999)["error"]["errorCode"] == "4704"


def test_update_art_and_artist_info_need_level_75(media_server: Any) -> None:
    api = media_server.api
    album = media_server.db.reader().execute(
        "SELECT id FROM album WHERE name = 'First'"
    ).fetchone()[0]
    refused = api.json("update_art", auth=media_server.token, type="album", id=album)
    assert refused["error"]["errorCode"] == "4742"
    art = api.json("update_art", auth=media_server.admin_token, type="album", id=album)
    assert art["success"] == f"Gathered new art for: {album} (album)"
    assert f"object_id={album}" in art["art"]
    assert_json_like(art, "update_art.json")
    assert_xml_like(api.raw("xml", "update_art", auth=media_server.admin_token, type="album",
                            id=album).content, "update_art.xml")
    solo = media_server.db.reader().execute(
        "SELECT id FROM album WHERE name = 'Second'"
    ).fetchone()[0]
    no_art = api.json("update_art", auth=media_server.admin_token, type="album", id=solo)
    assert no_art["error"]["errorCode"] == "4710"
    artist = media_server.db.reader().execute(
        "SELECT id FROM artist WHERE name = 'Solo'"
    ).fetchone()[0]
    info = api.json("update_artist_info", auth=media_server.admin_token, filter=artist)
    assert info == {"success": f"Updated artist info: {artist}"}
    assert_json_like(info, "update_artist_info.json")
    assert api.json("update_artist_info", auth=media_server.token,
                    filter=artist)["error"]["errorCode"] == "4742"
