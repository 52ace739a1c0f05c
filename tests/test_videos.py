"""Videos: a video catalog of ffmpeg-made files, scanned and served as videos/video/deleted_videos.

Also home of `media_server`: a second real server with every media switch on (videos, labels,
licences) over a small generated library with label, lyrics and art tags; test_labels and
test_metadata use it too.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mutagen.id3 import ID3, TALB, TIT2, TPE1, TPUB, TRCK, USLT

from ampmini.api.actions.videos import media_path
from ampmini.library.videos import ensure_video_catalog, scan_videos
from tests.conftest import ADMIN, USER, Api, write_config
from tests.shapes import assert_json_like, assert_xml_like

FFMPEG = shutil.which("ffmpeg")
needs_ffmpeg = pytest.mark.skipif(FFMPEG is None, reason="ffmpeg not installed")
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108020000009077"
    "53de0000000c4944415408d763f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
)


def _ffmpeg(*args: str) -> None:
    assert FFMPEG is not None
    subprocess.run([FFMPEG, "-v", "error", "-y", *args], check=True, timeout=60)


def make_song(path: Path, title: str, artist: str, album: str, track: int,
              publisher: str | None = None, lyrics: str | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-b:a", "32k", str(path))
    tags = ID3()
    tags.add(TIT2(encoding=3, text=title))
    tags.add(TPE1(encoding=3, text=artist))
    tags.add(TALB(encoding=3, text=album))
    tags.add(TRCK(encoding=3, text=f"{track}/2"))
    if publisher:
        tags.add(TPUB(encoding=3, text=publisher))
    if lyrics:
        tags.add(USLT(encoding=3, lang="eng", desc="", text=lyrics))
    tags.save(str(path))


def make_media_library(root: Path) -> None:
    album = root / "Label Band" / "First"
    make_song(album / "01.mp3", "Opening", "Label Band", "First", 1, "Quiet Records",
              "la la la")
    make_song(album / "02.mp3", "Closing", "Label Band", "First", 2, "Quiet Records")
    (album / "cover.jpg").write_bytes(PNG)
    other = root / "Solo" / "Second"
    make_song(other / "01.mp3", "Alone", "Solo", "Second", 1, "Loud Label")
    (other / "01.lrc").write_text("[00:00.00]synced line\n", encoding="utf-8")


def make_videos(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    source = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=5:duration=1"]
    _ffmpeg(*source, "-pix_fmt", "yuv420p", str(folder / "Clip One.mp4"))
    _ffmpeg(*source, "-c:v", "libvpx", "-b:v", "50k", str(folder / "Clip Two.webm"))


@pytest.fixture(scope="session")
def media_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real server with allow_video, label and licensing on, podcasts and radio off."""
    if FFMPEG is None:
        pytest.skip("ffmpeg not installed")
    from ampmini.accounts import add_user
    from ampmini.config import ConfigHolder
    from ampmini.db import open_database
    from ampmini.library.scanner import scan
    from ampmini.sendfile import serve_background
    from ampmini.server import build

    base = tmp_path_factory.mktemp("media")
    music = base / "music"
    make_media_library(music)
    video_root = base / "videos"
    make_videos(video_root)
    config = write_config(
        base / "ampmini.conf", music, base / "ampmini.db",
        "\n[features]\nallow_video = true\nlabel = true\nlicensing = true\n"
        "podcast = false\nlive_stream = false\n",
    )
    holder = ConfigHolder(config)
    db = open_database(holder.current.database.path)
    scan(db, holder.current.library.roots)
    ensure_video_catalog(db, video_root)
    scan_videos(db)
    add_user(db, *ADMIN, access=100)
    add_user(db, *USER, access=25)
    _server, app = build(holder, db)
    with serve_background(app, threads=4) as wsgi:
        url = f"http://127.0.0.1:{wsgi.effective_port}"
        api = Api(url)
        yield type("Media", (), {
            "base": url, "db": db, "music": music, "videos": video_root, "api": api,
            "token": api.login(*USER), "admin_token": api.login(*ADMIN),
        })
    db.close()


def _video_ids(media: Any) -> dict[str, int]:
    rows = media.db.reader().execute("SELECT id, title FROM video")
    return {r["title"]: r["id"] for r in rows}


@needs_ffmpeg
def test_scan_reads_containers_and_metadata(media_server: Any) -> None:
    rows = media_server.db.reader().execute(
        "SELECT title, format, mime, resolution_x, resolution_y FROM video ORDER BY title"
    ).fetchall()
    assert [(r["title"], r["format"], r["mime"]) for r in rows] == [
        ("Clip One", "mp4", "video/mp4"), ("Clip Two", "webm", "video/webm"),
    ]
    if shutil.which("ffprobe"):
        assert all((r["resolution_x"], r["resolution_y"]) == (64, 48) for r in rows)


@needs_ffmpeg
def test_videos_and_video_match_the_examples(media_server: Any) -> None:
    api, auth = media_server.api, media_server.token
    listing = api.json("videos", auth=auth)
    assert listing["total_count"] == 2
    assert_json_like(listing, "videos.json")
    assert_xml_like(api.raw("xml", "videos", auth=auth).content, "videos.xml")
    one = _video_ids(media_server)["Clip One"]
    video = api.json("video", auth=auth, filter=one)
    assert video["title"] == "Clip One" and video["mime"] == "video/mp4"
    assert "type=video" in video["url"] and f"oid={one}" in video["url"]
    assert_json_like(video, "video.json")
    assert_xml_like(api.raw("xml", "video", auth=auth, filter=one).content, "video.xml")
    assert api.json("videos", auth=auth, filter="two")["total_count"] == 1
    assert media_path(media_server.db.reader(), "video", one)[1:] == ("video/mp4", "mp4")


@needs_ffmpeg
def test_errors(media_server: Any, api: Api, token: str) -> None:
    auth = media_server.token
    assert media_server.api.json("video", auth=auth, filter=99999)["error"]["errorCode"] == "4704"
    assert media_server.api.json("video", auth=auth)["error"]["errorCode"] == "4710"
    # The shared server keeps allow_video at its default: off.
    assert api.json("videos", auth=token)["error"]["errorCode"] == "4703"


@needs_ffmpeg
def test_removed_video_is_listed_as_deleted(media_server: Any, tmp_path: Path) -> None:
    api, auth = media_server.api, media_server.token
    empty = api.json("deleted_videos", auth=auth)
    assert empty["deleted_video"] == []
    extra = media_server.videos / "Gone.mp4"
    shutil.copy(media_server.videos / "Clip One.mp4", extra)
    scan_videos(media_server.db)
    gone_id = _video_ids(media_server)["Gone"]
    extra.unlink()
    assert scan_videos(media_server.db).removed == 1
    answer = api.json("deleted_videos", auth=auth)
    assert [d["id"] for d in answer["deleted_video"]] == [str(gone_id)]
    assert answer["deleted_video"][0]["file"].endswith("Gone.mp4")
    xml = api.raw("xml", "deleted_videos", auth=auth).content
    assert b'<root>\n  <deleted_video id="' in xml  # no envelope in XML (spec §3.1)
    assert media_path(media_server.db.reader(), "video", gone_id) is None


@needs_ffmpeg
def test_ampache_client_lists_videos(media_server: Any) -> None:
    import time

    import ampache

    client = ampache.API()
    client.set_format("json")
    client.set_url(media_server.base)
    stamp = int(time.time())
    client.handshake(media_server.base, client.encrypt_password(USER[1], stamp), USER[0], stamp)
    titles = sorted(v["title"] for v in client.videos()["video"])
    assert titles[:2] == ["Clip One", "Clip Two"]
