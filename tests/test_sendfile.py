"""The sendfile waitress extension over HTTP: exact bodies, keep-alive, slow and dead clients."""

from __future__ import annotations

import gzip
import http.client
import io
import os
import socket
import struct
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import bottle
import pytest

from ampmini import sendfile
from ampmini.sendfile import STATS, SendfileChannel, serve_background
from ampmini.stream import send_file

SIZE = 5 * 1024 * 1024 + 17  # odd size: no chunk boundary lines up by luck


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "big.flac"
    path.write_bytes(os.urandom(SIZE))
    return path


@pytest.fixture(scope="module")
def port(media: Path) -> Iterator[int]:
    app = bottle.Bottle()
    small = os.urandom(100_000)

    @app.route("/file", method=["GET", "HEAD"])
    def file_route() -> bottle.HTTPResponse:
        return send_file(bottle.request, media, "audio/flac")

    @app.route("/bytesio")
    def bytesio_route() -> bottle.HTTPResponse:
        # A file-like body without a real fileno: must take waitress's stock read + send path.
        return bottle.HTTPResponse(io.BytesIO(small), 200, {"Content-Length": str(len(small))})

    @app.route("/gzip")
    def gzip_route() -> bottle.HTTPResponse:
        # Has a real fileno(), but of the compressed file: must not be sendfile'd.
        packed = media.parent / "small.gz"
        packed.write_bytes(gzip.compress(small))
        body = gzip.GzipFile(packed, "rb")
        return bottle.HTTPResponse(body, 200, {"Content-Length": str(len(small))})

    @app.route("/bytesio-expected")
    def bytesio_expected() -> bytes:
        return small

    @app.route("/json")
    def json_route() -> dict:
        return {"ok": True}

    with serve_background(app, threads=4) as server:
        yield int(server.effective_port)


_open: list[http.client.HTTPConnection] = []


@pytest.fixture(autouse=True)
def _close_connections() -> Iterator[None]:
    yield
    while _open:
        _open.pop().close()


def conn(port: int) -> http.client.HTTPConnection:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    _open.append(c)
    return c


def test_pin_check_accepts_this_waitress() -> None:
    assert sendfile.sendfile_supported()


def test_full_body_is_byte_exact_and_uses_sendfile(port: int, media: Path) -> None:
    before = STATS.calls
    c = conn(port)
    c.request("GET", "/file")
    resp = c.getresponse()
    body = resp.read()
    assert resp.status == 200
    assert len(body) == SIZE
    assert body == media.read_bytes()
    assert STATS.calls > before


def test_ranges_are_byte_exact(port: int, media: Path) -> None:
    data = media.read_bytes()
    c = conn(port)
    for header, start, end in (
        ("bytes=0-0", 0, 0),
        ("bytes=1000000-3999999", 1_000_000, 3_999_999),
        ("bytes=-12345", SIZE - 12345, SIZE - 1),
        ("bytes=5000000-", 5_000_000, SIZE - 1),
    ):
        c.request("GET", "/file", headers={"Range": header})
        resp = c.getresponse()
        body = resp.read()
        assert resp.status == 206
        assert resp.getheader("Content-Range") == f"bytes {start}-{end}/{SIZE}"
        assert body == data[start : end + 1]


def test_keep_alive_after_sendfile_body(port: int, media: Path) -> None:
    c = conn(port)
    c.request("GET", "/file")
    first = c.getresponse()
    assert first.read() == media.read_bytes()
    assert not first.will_close
    sock = c.sock
    c.request("GET", "/json")
    second = c.getresponse()
    assert second.read() == b'{"ok": true}'
    c.request("GET", "/file", headers={"Range": "bytes=10-20"})
    third = c.getresponse()
    assert third.read() == media.read_bytes()[10:21]
    c.request("HEAD", "/file")
    fourth = c.getresponse()
    assert fourth.read() == b""
    assert fourth.getheader("Content-Length") == str(SIZE)
    assert c.sock is sock  # one TCP connection served all four


def _read_response(f: io.BufferedReader) -> tuple[int, bytes]:
    status = int(f.readline().split()[1])
    length = 0
    while (line := f.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return status, f.read(length)


def test_pipelined_requests_after_sendfile_body(port: int, media: Path) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(
            b"GET /file HTTP/1.1\r\nHost: x\r\nRange: bytes=100-199999\r\n\r\n"
            b"GET /json HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /file HTTP/1.1\r\nHost: x\r\n\r\n"
            b"GET /json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        f = s.makefile("rb")
        assert _read_response(f) == (206, media.read_bytes()[100:200000])
        assert _read_response(f) == (200, b'{"ok": true}')
        assert _read_response(f) == (200, media.read_bytes())
        assert _read_response(f) == (200, b'{"ok": true}')


def test_fallback_for_file_like_without_fileno(port: int) -> None:
    before = STATS.fallbacks
    c = conn(port)
    c.request("GET", "/bytesio-expected")
    expected = c.getresponse().read()
    for path in ("/bytesio", "/gzip"):
        c.request("GET", path)
        resp = c.getresponse()
        assert resp.status == 200
        assert resp.read() == expected, path
    assert STATS.fallbacks >= before + 2


def _slow_reader(port: int) -> tuple[socket.socket, bytes]:
    s = socket.socket()
    # A tiny receive window: the server's socket fills at once and stays full while we stall.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(30)
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET /file HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    first = s.recv(1024)
    assert first.startswith(b"HTTP/1.1 200")
    return s, first


def _drain(s: socket.socket, first: bytes) -> bytes:
    chunks = [first]
    while data := s.recv(65536):
        chunks.append(data)
    s.close()
    return b"".join(chunks).partition(b"\r\n\r\n")[2]


def test_sixteen_stalled_readers_do_not_block_the_api(port: int, media: Path) -> None:
    slow = [_slow_reader(port) for _ in range(16)]
    try:
        # All 16 bodies are parked in the I/O loop (no worker held), so the API still answers.
        def ask(_: int) -> bytes:
            c = conn(port)
            c.request("GET", "/json")
            return c.getresponse().read()

        with ThreadPoolExecutor(8) as pool:
            assert list(pool.map(ask, range(8))) == [b'{"ok": true}'] * 8
            # Then all 16 resume at once and each gets its exact body.
            bodies = list(pool.map(lambda pair: _drain(*pair), slow))
        assert all(body == media.read_bytes() for body in bodies)
    finally:
        for s, _ in slow:
            s.close()


def test_slow_reader_gets_exact_body(port: int, media: Path) -> None:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
    s.settimeout(30)
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET /file HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    chunks = []
    while data := s.recv(4096):  # small reads: many EAGAIN/partial sendfile rounds on the server
        chunks.append(data)
    s.close()
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert body == media.read_bytes()


@pytest.mark.parametrize("reset", [False, True])
def test_client_disconnect_mid_body(port: int, media: Path, reset: bool) -> None:
    for _ in range(5):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.sendall(b"GET /file HTTP/1.1\r\nHost: x\r\n\r\n")
        got = 0
        while got < 256 * 1024:
            got += len(s.recv(65536))
        if reset:  # RST instead of FIN: the server's next sendfile sees ECONNRESET/EPIPE
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    c = conn(port)
    c.request("GET", "/json")
    assert c.getresponse().read() == b'{"ok": true}'
    c.request("GET", "/file")
    assert c.getresponse().read() == media.read_bytes()


def test_create_server_installs_the_channel(media: Path) -> None:
    app = bottle.Bottle()
    with serve_background(app) as server:
        assert server.channel_class is SendfileChannel
    with serve_background(app, sendfile=False) as server:
        assert server.channel_class is not SendfileChannel


def test_unexpected_waitress_internals_fall_back_to_stock() -> None:
    # A waitress whose channel lacks what SendfileChannel relies on, in a fresh interpreter.
    code = (
        "import logging, waitress.channel\n"
        "logging.basicConfig(level=logging.WARNING)\n"
        "del waitress.channel.HTTPChannel.current_outbuf_count\n"
        "from ampmini import sendfile\n"
        "assert not sendfile.sendfile_supported()\n"
        "s = sendfile.create_server(lambda e, r: [], host='127.0.0.1', port=0)\n"
        "assert s.channel_class is waitress.channel.HTTPChannel\n"
        "sendfile.create_server(lambda e, r: [], host='127.0.0.1', port=0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        cwd=Path(__file__).parent.parent,
    )
    assert done.stderr.count("sendfile disabled, using stock waitress") == 1  # logged once
