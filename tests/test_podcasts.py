"""Podcasts end to end against feeds served by a local HTTP server (no internet): create,
refresh, download (and resume), edit, delete, and every broken feed refused cleanly."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import ampache
import pytest

from ampmini import podcasts as engine
from ampmini.api.actions.podcasts import media_path
from tests.conftest import USER, Api
from tests.shapes import assert_json_like, assert_xml_like
from tests.test_videos import media_server

__all__ = ["media_server"]

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel>
  <title>Local Science</title>
  <link>http://example.org/show</link>
  <description>Tiny science &amp; more</description>
  <language>en-us</language>
  <copyright>CC BY 4.0</copyright>
  <generator>hand</generator>
  <lastBuildDate>Tue, 01 Jul 2025 10:00:00 GMT</lastBuildDate>
  <image><url>{base}/art.png</url><title>Local Science</title><link>http://example.org</link></image>
  <item>
    <title>Episode Two</title><guid>ep-2</guid>
    <pubDate>Mon, 30 Jun 2025 09:55:00 GMT</pubDate>
    <itunes:duration>00:00:01</itunes:duration><itunes:author>Ann</itunes:author>
    <enclosure url="{base}/ep2.mp3" type="audio/mpeg" length="{size}"/>
  </item>
  <item>
    <title>Episode One</title><guid>ep-1</guid>
    <pubDate>Fri, 27 Jun 2025 09:55:00 GMT</pubDate>
    <enclosure url="{base}/ep1.mp3" type="audio/mpeg" length="{size}"/>
  </item>
  <item><title>No audio</title><guid>text-only</guid></item>
</channel>
</rss>
"""
ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Atom Cast</title><id>urn:atom-cast</id><updated>2025-07-01T10:00:00Z</updated>
  <entry>
    <title>Atom Episode</title><id>urn:atom-1</id><updated>2025-07-01T10:00:00Z</updated>
    <link rel="enclosure" type="audio/mpeg" href="{base}/ep1.mp3"/>
  </entry>
</feed>
"""
LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss version="2.0"><channel><title>&lol3;</title></channel></rss>
"""


class FeedSite:
    """Routes path → (status, content type, body); remembers Range headers it was sent."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, str, bytes, dict[str, str]]] = {}
        self.ranges: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, ctype, body, headers = site.routes.get(
                    self.path, (404, "text/html", b"<html>Not Found</html>", {})
                )
                wanted = self.headers.get("Range")
                if wanted and status == 200:
                    site.ranges.append(wanted)
                    start = int(wanted.split("=")[1].split("-")[0])
                    status, body = 206, body[start:]
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def add(self, path: str, body: bytes | str, ctype: str = "application/rss+xml",
            status: int = 200, **headers: str) -> str:
        data = body.encode() if isinstance(body, str) else body
        self.routes[path] = (status, ctype, data, headers)
        return self.base + path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FeedSite]:
    folder = tmp_path_factory.mktemp("episodes")
    audio = folder / "ep.mp3"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=duration=1", "-b:a", "32k",
         str(audio)], check=True, timeout=60,
    )
    feeds = FeedSite()
    data = audio.read_bytes()
    feeds.add("/ep1.mp3", data, "audio/mpeg")
    feeds.add("/ep2.mp3", data, "audio/mpeg")
    feeds.add("/rss.xml", RSS.format(base=feeds.base, size=len(data)))
    feeds.add("/atom.xml", ATOM.format(base=feeds.base), "application/atom+xml")
    feeds.add("/broken.xml", "this is not < xml at all", "text/plain")
    feeds.add("/page.html", "<html><body><h1>Welcome</h1></body></html>", "text/html")
    feeds.add("/error.xml", "<html>Server error</html>", "text/html", status=500)
    feeds.add("/laughs.xml", LAUGHS)
    feeds.add("/huge.xml", b"<rss>" + b" " * (11 * 1024 * 1024))
    feeds.add("/to-file", "", status=302, Location="file:///etc/passwd")
    feeds.add("/to-rss", "", status=302, Location=feeds.base + "/atom.xml")
    feeds.audio = data  # type: ignore[attr-defined]
    yield feeds
    feeds.httpd.shutdown()


@pytest.fixture(scope="module")
def catalog(server: Any, tmp_path_factory: pytest.TempPathFactory) -> int:
    return engine.ensure_podcast_catalog(server.db, tmp_path_factory.mktemp("podcasts"))


def _wait_downloads(server: Any) -> None:
    assert engine.downloader(server.db).wait_idle(30)


def _create(api: Api, token: str, url: str, catalog: int) -> Any:
    return api.json("podcast_create", auth=token, url=url, catalog=catalog)


def test_create_download_list_and_shapes(server: Any, api: Api, admin_token: str,
                                         token: str, site: FeedSite, catalog: int) -> None:
    created = _create(api, admin_token, site.base + "/rss.xml", catalog)
    assert created["name"] == "Local Science" and created["language"] == "en-us"
    assert created["build_date"] == "2025-07-01T10:00:00+00:00" and created["has_art"] is True
    assert_json_like(created, "podcast_create.json")
    podcast_id = created["id"]
    _wait_downloads(server)
    full = api.json("podcast", auth=token, filter=podcast_id, include="episodes")
    episodes = full["podcast_episode"]
    assert [e["title"] for e in episodes] == ["Episode Two", "Episode One"]  # newest first
    assert all(e["state"] == "completed" for e in episodes)
    assert episodes[0]["podcast"] == {"id": int(podcast_id), "name": "Local Science"}
    assert "format=raw" in episodes[0]["url"] and "type=podcast_episode" in episodes[0]["url"]
    assert_json_like(full, "podcast (include episodes).json")
    assert_xml_like(api.raw("xml", "podcast", auth=token, filter=podcast_id,
                            include="episodes").content, "podcast (include episodes).xml")
    assert_json_like(api.json("podcasts", auth=token), "podcasts.json")
    assert_xml_like(api.raw("xml", "podcasts", auth=token).content, "podcasts.xml")
    listed = api.json("podcast_episodes", auth=token, filter=podcast_id)
    assert_json_like(listed, "podcast_episodes.json")
    assert_xml_like(api.raw("xml", "podcast_episodes", auth=token, filter=podcast_id).content,
                    "podcast_episodes.xml")
    one = episodes[0]["id"]
    assert_json_like(api.json("podcast_episode", auth=token, filter=one), "podcast_episode.json")
    assert_xml_like(api.raw("xml", "podcast_episode", auth=token, filter=one).content,
                    "podcast_episode.xml")
    path, mime, fmt = media_path(server.db.reader(), "podcast_episode", int(one))
    assert Path(path).read_bytes() == site.audio and (mime, fmt) == ("audio/mpeg", "mp3")
    assert episodes[0]["time"] == 1


def test_bad_feeds_are_refused_with_4710(api: Api, admin_token: str, site: FeedSite,
                                         catalog: int) -> None:
    for path in ("/broken.xml", "/page.html", "/error.xml", "/missing.xml", "/laughs.xml",
                 "/huge.xml", "/to-file"):
        answer = _create(api, admin_token, site.base + path, catalog)
        assert answer["error"]["errorCode"] == "4710", (path, answer)
    assert _create(api, admin_token, "file:///etc/passwd", catalog)["error"]["errorType"] == "url"
    assert api.json("podcast_create", auth=admin_token, url=site.base + "/rss.xml")[
        "error"]["errorCode"] == "4710"


def test_redirected_atom_feed_and_refresh(server: Any, api: Api, admin_token: str,
                                          site: FeedSite, catalog: int) -> None:
    created = _create(api, admin_token, site.base + "/to-rss", catalog)
    assert created["name"] == "Atom Cast"
    podcast_id = created["id"]
    site.add("/atom.xml", ATOM.format(base=site.base).replace(
        "<entry>", '<entry><title>Newer</title><id>urn:atom-2</id>'
        '<updated>2025-07-02T10:00:00Z</updated>'
        f'<link rel="enclosure" type="audio/mpeg" href="{site.base}/ep2.mp3"/></entry><entry>', 1),
        "application/atom+xml")
    synced = api.json("update_podcast", auth=admin_token, filter=podcast_id)
    assert synced == {"success": f"Synced episodes for podcast: {podcast_id}"}
    titles = [e["title"] for e in api.json("podcast_episodes", auth=admin_token,
                                           filter=podcast_id)["podcast_episode"]]
    assert titles == ["Newer", "Atom Episode"]
    _wait_downloads(server)
    # A feed that broke since: 4710 from the API, a log line (not a crash) from refresh_all.
    site.add("/atom.xml", "<html>gone</html>", "text/html")
    failed = api.json("podcast_update", auth=admin_token, filter=podcast_id)
    assert failed["error"]["errorCode"] == "4710" and failed["error"]["errorType"] == "podcast"
    engine.refresh_all(server.db, server.holder.current.podcast)


def test_download_resumes_a_partial_file(server: Any, site: FeedSite) -> None:
    db = server.db
    row = db.reader().execute(
        "SELECT e.*, c.path AS catalog_path, p.title AS podcast_title FROM podcast_episode e"
        " JOIN podcast p ON p.id = e.podcast_id JOIN catalog c ON c.id = e.catalog_id"
        " WHERE e.state = 'completed' ORDER BY e.id LIMIT 1"
    ).fetchone()
    target = engine.episode_target(row["catalog_path"], row["podcast_title"], row)
    target.unlink()
    half = len(site.audio) // 2
    target.with_name(target.name + ".part").write_bytes(site.audio[:half])
    with db.writer() as conn:  # as if the server had stopped mid-download
        conn.execute("UPDATE podcast_episode SET state = 'pending', path = NULL WHERE id = ?",
                     (row["id"],))
    site.ranges.clear()
    engine.downloader(db).wake(server.holder.current.podcast)
    _wait_downloads(server)
    assert site.ranges == [f"bytes={half}-"]
    assert target.read_bytes() == site.audio
    assert not target.with_name(target.name + ".part").exists()


def test_edit_delete_and_deleted_episodes(server: Any, api: Api, admin_token: str,
                                          token: str, site: FeedSite, catalog: int) -> None:
    podcast_id = api.json("podcasts", auth=token, filter="local science")["podcast"][0]["id"]
    assert api.json("podcast_edit", auth=token, filter=podcast_id,
                    title="x")["error"]["errorCode"] == "4742"
    edited = api.json("podcast_edit", auth=admin_token, filter=podcast_id, title="Renamed")
    assert edited == {"success": f"podcast {podcast_id} updated"}
    assert api.json("podcast", auth=token, filter=podcast_id)["name"] == "Renamed"
    assert api.json("podcast_edit", auth=admin_token, filter=podcast_id,
                    feed="ftp://x")["error"]["errorCode"] == "4710"
    episode = api.json("podcast_episodes", auth=token, filter=podcast_id)["podcast_episode"][0]
    path = media_path(server.db.reader(), "podcast_episode", int(episode["id"]))[0]
    gone = api.json("podcast_episode_delete", auth=admin_token, filter=episode["id"])
    assert gone == {"success": f"podcast_episode {episode['id']} deleted"}
    assert not Path(path).exists()
    deleted = api.json("deleted_podcast_episodes", auth=token)
    assert episode["id"] in [d["id"] for d in deleted["deleted_podcast_episode"]]
    assert_json_like(deleted, "deleted_podcast_episodes.json")
    assert_xml_like(api.raw("xml", "deleted_podcast_episodes", auth=token).content,
                    "deleted_podcast_episodes.xml")
    assert api.json("podcast_delete", auth=token,
                    filter=podcast_id)["error"]["errorCode"] == "4742"
    assert api.json("podcast_delete", auth=admin_token,
                    filter=podcast_id) == {"success": f"podcast {podcast_id} deleted"}
    assert api.json("podcast", auth=token, filter=podcast_id)["error"]["errorCode"] == "4704"
    assert api.json("podcast_delete", auth=admin_token)["error"]["errorCode"] == "4710"
    assert api.json("podcast_episodes", auth=token, filter=999)["error"]["errorCode"] == "4710"


def test_switch_off_answers_4703(media_server: Any) -> None:
    for name in ("podcasts", "podcast_episodes", "deleted_podcast_episodes", "live_streams"):
        answer = media_server.api.json(name, auth=media_server.token)
        assert answer["error"]["errorCode"] == "4703", name


def test_ampache_client_lists_podcasts(server: Any, site: FeedSite) -> None:
    client = ampache.API()
    client.set_format("json")
    client.set_url(server.base)
    stamp = int(time.time())
    client.handshake(server.base, client.encrypt_password(USER[1], stamp), USER[0], stamp)
    names = [p["name"] for p in client.podcasts()["podcast"]]
    assert "Atom Cast" in names
