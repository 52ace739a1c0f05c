"""send_file over real HTTP (stock waitress): ranges, validators, HEAD, names, vanished files."""

from __future__ import annotations

import email.utils
import http.client
import os
from collections.abc import Iterator
from pathlib import Path

import bottle
import pytest
from waitress.buffers import ReadOnlyFileBasedBuffer

from ampmini.sendfile import serve_background
from ampmini.stream import FileGone, content_disposition, mime_for, send_bytes, send_file

SIZE = 300_000


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("media") / "song.mp3"
    path.write_bytes(os.urandom(SIZE))
    return path


@pytest.fixture(scope="module")
def server(media: Path) -> Iterator[tuple[int, dict]]:
    app = bottle.Bottle()
    seen: dict = {"app_iters": [], "gone": []}

    @app.route("/file", method=["GET", "HEAD"])
    def file_route() -> bottle.HTTPResponse:
        return send_file(
            bottle.request,
            media,
            mime_for("mp3"),
            download_name="Motörhead \u2013 Ace/of\"Spades\r\n.mp3",
            extra_headers={"X-Content-Duration": "123"},
        )

    @app.route("/missing")
    def missing() -> bottle.HTTPResponse:
        try:
            return send_file(bottle.request, media.parent / "gone.mp3", "audio/mpeg")
        except FileGone as gone:
            seen["gone"].append(gone.path)  # the caller's chance to mark it for rescan
            return gone

    @app.route("/missing-uncaught")
    def missing_uncaught() -> bottle.HTTPResponse:
        return send_file(bottle.request, media.parent / "gone.mp3", "audio/mpeg")

    @app.route("/path/<name>")
    def by_name(name: str) -> bottle.HTTPResponse:
        return send_file(bottle.request, media.parent / name, "application/octet-stream")

    @app.route("/bytes")
    def raw_bytes() -> bottle.HTTPResponse:
        return send_bytes(bottle.request, b"\x89PNG fake", "image/png", etag="art-1-99")

    def recording(environ: dict, start_response):  # WSGI middleware recording the app_iter
        out = app(environ, start_response)
        seen["app_iters"].append(type(out))
        return out

    with serve_background(recording, sendfile=False, threads=2) as srv:
        yield srv.effective_port, seen


def get(port: int, path: str = "/file", method: str = "GET", **headers: str):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, headers=headers)
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp, body


def test_full_body_and_headers(server, media: Path) -> None:
    port, seen = server
    resp, body = get(port)
    assert resp.status == 200
    assert body == media.read_bytes()
    assert resp.getheader("Content-Length") == str(SIZE)
    assert resp.getheader("Content-Type") == "audio/mpeg"
    assert resp.getheader("Accept-Ranges") == "bytes"
    assert resp.getheader("Access-Control-Allow-Origin") == "*"
    assert resp.getheader("X-Content-Duration") == "123"
    assert resp.getheader("ETag").startswith('"')
    st = media.stat()
    assert resp.getheader("Last-Modified") == email.utils.formatdate(int(st.st_mtime), usegmt=True)
    # The body went out as wsgi.file_wrapper (waitress's I/O loop), not a generator in a worker.
    assert seen["app_iters"][-1] is ReadOnlyFileBasedBuffer


@pytest.mark.parametrize(
    ("header", "start", "end"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=1000-", 1000, SIZE - 1),
        ("bytes=-500", SIZE - 500, SIZE - 1),
        ("bytes=-999999999", 0, SIZE - 1),
        ("bytes=299990-999999", 299990, SIZE - 1),
        ("bytes=5-5", 5, 5),
        ("BYTES = 10-19", 10, 19),
        ("bytes=400000-, 7-8", 7, 8),  # first satisfiable range of several
        ("bytes=,0-0,", 0, 0),
    ],
)
def test_single_range(server, media: Path, header: str, start: int, end: int) -> None:
    port, seen = server
    resp, body = get(port, Range=header)
    assert resp.status == 206
    assert resp.getheader("Content-Range") == f"bytes {start}-{end}/{SIZE}"
    assert resp.getheader("Content-Length") == str(end - start + 1)
    assert body == media.read_bytes()[start : end + 1]
    assert resp.getheader("Access-Control-Allow-Origin") == "*"
    assert seen["app_iters"][-1] is ReadOnlyFileBasedBuffer


@pytest.mark.parametrize("header", ["bytes=300000-", "bytes=999999-1000000", "bytes=-0"])
def test_unsatisfiable_range_is_416(server, header: str) -> None:
    port, _ = server
    resp, body = get(port, Range=header)
    assert resp.status == 416
    assert resp.getheader("Content-Range") == f"bytes */{SIZE}"
    assert body == b""
    assert resp.getheader("Access-Control-Allow-Origin") == "*"


@pytest.mark.parametrize(
    "header",
    ["bytes=abc", "bytes=5-1", "items=0-10", "bytes", "bytes=-", "bytes=1-2-3", "bytes=0x1-"],
)
def test_malformed_range_is_ignored(server, media: Path, header: str) -> None:
    port, _ = server
    resp, body = get(port, Range=header)
    assert resp.status == 200
    assert body == media.read_bytes()


def test_conditional_get(server) -> None:
    port, _ = server
    first, _ = get(port)
    etag, last_modified = first.getheader("ETag"), first.getheader("Last-Modified")

    for headers in (
        {"If-None-Match": etag},
        {"If-None-Match": f'"other", W/{etag}'},
        {"If-None-Match": "*"},
        {"If-Modified-Since": last_modified},
    ):
        resp, body = get(port, **headers)
        assert resp.status == 304, headers
        assert body == b""
        assert resp.getheader("ETag") == etag
        assert resp.getheader("Access-Control-Allow-Origin") == "*"

    resp, _ = get(port, **{"If-None-Match": '"stale"', "If-Modified-Since": last_modified})
    assert resp.status == 200  # If-None-Match wins over If-Modified-Since
    resp, _ = get(port, **{"If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"})
    assert resp.status == 200
    resp, _ = get(port, **{"If-Modified-Since": "garbage"})
    assert resp.status == 200


def test_if_range(server, media: Path) -> None:
    port, _ = server
    first, _ = get(port)
    etag, last_modified = first.getheader("ETag"), first.getheader("Last-Modified")
    resp, body = get(port, Range="bytes=10-19", **{"If-Range": etag})
    assert resp.status == 206
    assert body == media.read_bytes()[10:20]
    resp, _ = get(port, Range="bytes=10-19", **{"If-Range": last_modified})
    assert resp.status == 206
    for stale in ('"stale"', f"W/{etag}", "Thu, 01 Jan 1970 00:00:00 GMT"):
        resp, body = get(port, Range="bytes=10-19", **{"If-Range": stale})
        assert resp.status == 200, stale
        assert body == media.read_bytes()


def _open_fds_for(path: Path) -> int:
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == str(path):
                count += 1
        except OSError:
            continue
    return count


def test_head_has_headers_only_and_no_fd_leaks(server, media: Path) -> None:
    port, _ = server
    for _ in range(20):
        resp, body = get(port, method="HEAD")
        assert resp.status == 200
        assert body == b""
        assert resp.getheader("Content-Length") == str(SIZE)
    resp, body = get(port, method="HEAD", Range="bytes=0-9")
    assert resp.status == 206
    assert resp.getheader("Content-Length") == "10"
    assert body == b""
    # HEAD bodies are closed by Bottle at once; GET bodies by waitress when the buffer is sent.
    assert _open_fds_for(media) == 0


def test_content_disposition_header(server) -> None:
    port, _ = server
    resp, _ = get(port)
    value = resp.getheader("Content-Disposition")
    assert value.startswith('attachment; filename="Motorhead - Ace_of_Spades .mp3"; filename*=')
    assert value.endswith("UTF-8''Mot%C3%B6rhead%20%E2%80%93%20Ace_of%22Spades%20.mp3")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("plain.mp3", 'attachment; filename="plain.mp3"'),
        ("日本語.flac", "attachment; filename=\"download.flac\"; filename*=UTF-8''"
         "%E6%97%A5%E6%9C%AC%E8%AA%9E.flac"),
        ("a\\b/c\r\n.ogg", 'attachment; filename="a_b_c .ogg"'),
        (
            "100% Pure.mp3",
            "attachment; filename=\"100_ Pure.mp3\"; filename*=UTF-8''100%25%20Pure.mp3",
        ),
        ("", 'attachment; filename="download"'),
    ],
)
def test_content_disposition_values(name: str, expected: str) -> None:
    assert content_disposition(name) == expected
    assert "\r" not in expected
    assert "\n" not in expected


def test_inline_disposition() -> None:
    assert content_disposition("art.jpg", "inline") == 'inline; filename="art.jpg"'


def test_vanished_file_is_404(server, media: Path) -> None:
    port, seen = server
    resp, body = get(port, "/missing")
    assert resp.status == 404
    assert body == b""
    assert resp.getheader("Access-Control-Allow-Origin") == "*"
    assert seen["gone"] == [str(media.parent / "gone.mp3")]
    resp, _ = get(port, "/missing-uncaught")
    assert resp.status == 404
    assert resp.getheader("Access-Control-Allow-Origin") == "*"


def test_not_a_regular_file(server, media: Path) -> None:
    port, _ = server
    fifo = media.parent / "fifo"
    os.mkfifo(fifo)
    (media.parent / "adir").mkdir()
    for name in ("fifo", "adir"):
        resp, _ = get(port, f"/path/{name}")
        assert resp.status == 404, name  # and the FIFO open did not block the worker


def test_empty_file(server, media: Path) -> None:
    port, _ = server
    (media.parent / "empty").write_bytes(b"")
    resp, body = get(port, "/path/empty")
    assert (resp.status, body, resp.getheader("Content-Length")) == (200, b"", "0")
    resp, _ = get(port, "/path/empty", Range="bytes=0-")
    assert resp.status == 416
    assert resp.getheader("Content-Range") == "bytes */0"
    resp, body = get(port, "/path/empty", Range="bytes=-10")
    assert (resp.status, body) == (200, b"")


def test_send_bytes(server) -> None:
    port, _ = server
    resp, body = get(port, "/bytes")
    assert (resp.status, body) == (200, b"\x89PNG fake")
    assert resp.getheader("Content-Type") == "image/png"
    assert resp.getheader("Access-Control-Allow-Origin") == "*"
    resp, body = get(port, "/bytes", **{"If-None-Match": '"art-1-99"'})
    assert (resp.status, body) == (304, b"")


@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("mp3", "audio/mpeg"),
        (".FLAC", "audio/flac"),
        ("opus", "audio/ogg"),
        ("ogg", "audio/ogg"),
        ("m4a", "audio/mp4"),
        ("aac", "audio/aac"),
        ("wav", "audio/wav"),
        ("cover.JPG", "image/jpeg"),
        ("png", "image/png"),
        ("xyz", "application/octet-stream"),
    ],
)
def test_mime_for(name: str, mime: str) -> None:
    assert mime_for(name) == mime
