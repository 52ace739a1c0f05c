"""Playing what clients browse: play URLs, the stream/download/get_art actions, /image.php."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import running_server

FORMATS = ["mp3", "flac", "ogg", "opus", "m4a", "wav"]
MOBILE = ("mobile", "mobile-pw-123", 25)


def song_of_format(api: Any, token: str, fmt: str) -> dict[str, Any]:
    songs = api.json("songs", auth=token, limit="none")["song"]
    return next(s for s in songs if s["format"] == fmt)


@pytest.mark.parametrize("fmt", FORMATS)
def test_play_url_serves_the_exact_file_with_ranges(api, token, fmt) -> None:
    song = song_of_format(api, token, fmt)
    data = Path(song["filename"]).read_bytes()
    full = requests.get(song["url"], timeout=10)
    assert full.status_code == 200
    assert full.content == data
    assert full.headers["Content-Type"] == song["mime"]
    assert full.headers["Accept-Ranges"] == "bytes"
    assert full.headers["Access-Control-Allow-Origin"] == "*"
    size = len(data)
    for header, expected in (
        ("bytes=0-0", data[:1]),
        (f"bytes={size - 1}-{size - 1}", data[-1:]),
        ("bytes=10-99", data[10:100]),
        ("bytes=-50", data[-50:]),
        (f"bytes={size - 20}-", data[-20:]),
    ):
        part = requests.get(song["url"], headers={"Range": header}, timeout=10)
        assert part.status_code == 206, header
        assert part.content == expected, header
        assert int(part.headers["Content-Length"]) == len(expected)
    beyond = requests.get(song["url"], headers={"Range": f"bytes={size}-"}, timeout=10)
    assert beyond.status_code == 416
    assert beyond.headers["Content-Range"] == f"bytes */{size}"


def test_head_and_conditional_requests(api, token) -> None:
    song = song_of_format(api, token, "flac")
    head = requests.head(song["url"], timeout=10)
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["Content-Length"]) == song["size"]
    etag = head.headers["ETag"]
    again = requests.get(song["url"], headers={"If-None-Match": etag}, timeout=10)
    assert again.status_code == 304


def test_play_url_needs_a_valid_token(api, token) -> None:
    song = song_of_format(api, token, "mp3")
    forged = song["url"].replace("ssid=", "ssid=x")
    assert requests.get(forged, timeout=10).status_code == 403
    unknown = song["url"].replace(f"oid={song['id']}", "oid=999999")
    assert requests.get(unknown, timeout=10).status_code == 404


def test_play_url_outlives_the_api_session(api) -> None:
    from tests.conftest import USER

    session = api.login(*USER)
    song = api.json("songs", auth=session, limit=1)["song"][0]
    assert session not in song["url"]  # Decision 5: a stream token, not the session
    api.json("goodbye", auth=session)
    assert requests.get(song["url"], timeout=10).status_code == 200


def test_playing_from_the_start_records_a_play_ranges_later_do_not(api, token) -> None:
    song = song_of_format(api, token, "ogg")
    before = api.json("song", auth=token, filter=song["id"])["playcount"]
    requests.get(song["url"], timeout=10)
    requests.get(song["url"], headers={"Range": "bytes=100-"}, timeout=10)
    assert api.json("song", auth=token, filter=song["id"])["playcount"] == before + 1


def test_stream_and_download_actions(api, token) -> None:
    song = song_of_format(api, token, "mp3")
    data = Path(song["filename"]).read_bytes()
    streamed = api.raw("json", "stream", auth=token, type="song", id=song["id"])
    assert streamed.status_code == 200 and streamed.content == data
    downloaded = api.raw("json", "download", auth=token, type="song", id=song["id"])
    assert downloaded.content == data
    disposition = downloaded.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    assert api.raw("json", "stream", auth=token, type="song").status_code == 400
    assert b"4710" in api.raw("json", "stream", auth=token, type="song").content
    assert api.raw("json", "stream", auth=token, type="song", id=999999).status_code == 404


def test_download_name_with_quotes_and_non_ascii(api, token) -> None:
    song = api.json("search_songs", auth=token, filter="bold")["song"][0]
    answer = api.raw("json", "download", auth=token, type="song", id=song["id"])
    disposition = answer.headers["Content-Disposition"]
    fallback = disposition.split('filename="', 1)[1].split('"', 1)[0]
    assert '"' not in fallback and "\n" not in disposition
    assert "%22" in disposition  # the quotes survive percent-encoded in filename*


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
def test_transcoded_stream_decodes(api, token, tmp_path) -> None:
    song = song_of_format(api, token, "flac")
    answer = api.raw("json", "stream", auth=token, type="song", id=song["id"], format="mp3",
                     bitrate=64000)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "audio/mpeg"
    assert answer.headers["Accept-Ranges"] == "none"
    out = tmp_path / "t.mp3"
    out.write_bytes(answer.content)
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=format_name,duration",
         "-of", "default=nw=1", str(out)], capture_output=True, text=True, check=True,
    )
    assert "format_name=mp3" in probe.stdout


def test_get_art_embedded_folder_and_none(api, token) -> None:
    abbey = api.json("albums", auth=token, filter="Abbey Road")["album"][0]
    embedded = api.raw("json", "get_art", auth=token, type="album", id=abbey["id"])
    assert embedded.status_code == 200
    assert embedded.headers["Content-Type"].startswith("image/")
    post = api.json("albums", auth=token, filter="Post", exact=1)["album"][0]
    folder = api.raw("json", "get_art", auth=token, type="album", id=post["id"])
    assert folder.status_code == 200
    assert folder.content[:2] == b"\xff\xd8"  # the cover.jpg itself
    wall = api.json("albums", auth=token, filter="The Wall")["album"][0]
    assert wall["has_art"] is False
    assert api.raw("json", "get_art", auth=token, type="album", id=wall["id"]).status_code == 404
    fallback = api.raw("json", "get_art", auth=token, type="album", id=wall["id"], fallback=1)
    assert fallback.status_code == 200 and fallback.content.startswith(b"\x89PNG")


def test_image_php_links_in_objects_work(api, token) -> None:
    album = api.json("albums", auth=token, filter="Abbey Road")["album"][0]
    image = requests.get(album["art"], timeout=10)
    assert image.status_code == 200 and image.headers["Content-Type"].startswith("image/")
    wall = api.json("albums", auth=token, filter="The Wall")["album"][0]
    placeholder = requests.get(wall["art"], timeout=10)
    assert placeholder.status_code == 200 and placeholder.content.startswith(b"\x89PNG")


def test_resized_art_is_cached(api, token, server) -> None:
    pytest.importorskip("PIL")
    album = api.json("albums", auth=token, filter="Abbey Road")["album"][0]
    first = api.raw("json", "get_art", auth=token, type="album", id=album["id"], size="8x8")
    second = api.raw("json", "get_art", auth=token, type="album", id=album["id"], size="8x8")
    assert first.content == second.content
    original = api.raw("json", "get_art", auth=token, type="album", id=album["id"])
    assert hashlib.sha256(first.content).digest() != hashlib.sha256(original.content).digest()
    cache = Path(server.holder.current.database.path).parent / "art-cache"
    assert any(cache.iterdir())


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
def test_transcode_preferences_are_honoured(api, token) -> None:
    song = song_of_format(api, token, "flac")
    assert requests.get(song["url"], timeout=10).headers["Content-Type"] == "audio/flac"
    edited = api.json("preference_edit", auth=token, filter="transcode", value="always")
    assert edited["value"] == "always", edited
    try:
        answer = requests.get(song["url"], timeout=30)
        assert answer.headers["Content-Type"] == "audio/mpeg"
        assert answer.headers["Accept-Ranges"] == "none"
    finally:
        api.json("preference_edit", auth=token, filter="transcode", value="default")
    assert requests.get(song["url"], timeout=10).headers["Content-Type"] == "audio/flac"


def test_a_vanished_file_is_404_and_no_play(library, tmp_path) -> None:
    music = tmp_path / "music"
    shutil.copytree(library["root"] / "Björk", music / "Björk")
    with running_server(music, tmp_path, users=(MOBILE,)) as own:
        api, token = own.api, own.api.login(*MOBILE[:2])
        song = song_of_format(api, token, "ogg")
        Path(song["filename"]).unlink()
        assert requests.get(song["url"], timeout=10).status_code == 404
        assert api.json("song", auth=token, filter=song["id"])["playcount"] == 0


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
def test_stream_limits_cap_a_client_range(library, tmp_path) -> None:
    """[stream_limits] covering loopback forces a 128 kbit/s wav down to a lossy stream."""
    limits = "\n[stream_limits]\nloopback = 127.0.0.0/8 96000\n"
    with running_server(library["root"], tmp_path, limits, users=(MOBILE,)) as own:
        api, token = own.api, own.api.login(*MOBILE[:2])
        song = song_of_format(api, token, "wav")
        answer = requests.get(song["url"], timeout=30)
        assert answer.headers["Content-Type"] == "audio/mpeg"
        small = song_of_format(api, token, "mp3")  # 32 kbit/s: already under the cap
        assert requests.get(small["url"], timeout=30).content == Path(
            small["filename"]).read_bytes()


def test_a_play_url_with_an_api_session_keeps_it_alive_for_a_stream(api, server) -> None:
    import time

    from ampmini.api.auth import session_expiry
    from tests.conftest import USER

    session = api.login(*USER)
    song = api.json("songs", auth=session, limit=1)["song"][0]
    token = song["url"].split("ssid=")[1].split("&")[0]
    url = song["url"].replace(f"ssid={token}", f"ssid={session}")
    assert requests.get(url, timeout=10).status_code == 200
    expiry = session_expiry(server.db.reader(), session)
    assert expiry is not None
    assert expiry >= int(time.time()) + server.holder.current.server.stream_length - 60
