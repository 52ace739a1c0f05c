"""transcode(): real ffmpeg output decodes to the right duration; early close kills ffmpeg."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import struct
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import bottle
import pytest

from ampmini.sendfile import serve_background
from ampmini.transcode import (
    TranscodeError,
    TranscoderMissing,
    TranscodeStream,
    ffmpeg_command,
    needs_transcode,
    transcode,
)

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")


def make_audio(path: Path, seconds: float) -> Path:
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
         f"sine=frequency=440:sample_rate=44100:duration={seconds}", "-ac", "2", "-y", str(path)],
        check=True,
    )
    return path


def probe(path: Path) -> dict:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration,format_name:stream=codec_name",
         "-of", "json", str(path)],
        check=True, capture_output=True,
    ).stdout
    return json.loads(out)


def decoded_seconds(path: Path) -> float:
    """Decode fully (not a header's claim): samples actually produced / rate."""
    pcm = subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(path), "-f", "s16le", "-ac", "1",
         "-ar", "8000", "pipe:1"],
        check=True, capture_output=True,
    ).stdout
    return len(pcm) / 2 / 8000


def gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()  # reaped: not even a zombie left


@pytest.fixture(scope="module")
def short_flac(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_audio(tmp_path_factory.mktemp("tc") / "short.flac", 3)


@pytest.fixture(scope="module")
def long_flac(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_audio(tmp_path_factory.mktemp("tc") / "long.flac", 120)


@pytest.mark.parametrize(
    ("fmt", "codec"),
    [("mp3", "mp3"), ("opus", "opus"), ("ogg", "vorbis"), ("aac", "aac"), ("flac", "flac")],
)
def test_output_decodes_to_the_right_duration(
    short_flac: Path, tmp_path: Path, fmt: str, codec: str
) -> None:
    stream = transcode(short_flac, fmt=fmt, bitrate=128_000)
    chunks = list(stream)
    assert all(0 < len(c) <= 64 * 1024 for c in chunks)
    out = tmp_path / f"out.{fmt}"
    out.write_bytes(b"".join(chunks))
    assert probe(out)["streams"][0]["codec_name"] == codec
    assert decoded_seconds(out) == pytest.approx(3.0, abs=0.15)
    assert gone(stream.pid)


def test_offset_seeks_before_input(short_flac: Path, tmp_path: Path) -> None:
    out = tmp_path / "cut.mp3"
    out.write_bytes(b"".join(transcode(short_flac, fmt="mp3", bitrate=None, offset=1.0)))
    assert decoded_seconds(out) == pytest.approx(2.0, abs=0.15)
    cmd = ffmpeg_command(short_flac, "mp3", None, 1.0, "ffmpeg")
    assert cmd.index("-ss") < cmd.index("-i")


def test_bitrate_is_capped_to_the_encoder_range(short_flac: Path) -> None:
    cmd = ffmpeg_command(short_flac, "mp3", 999_000, 0, "ffmpeg")
    assert cmd[cmd.index("-b:a") + 1] == "320000"
    cmd = ffmpeg_command(short_flac, "opus", 96, 0, "ffmpeg")  # kbit/s accepted too
    assert cmd[cmd.index("-b:a") + 1] == "96000"
    assert "-b:a" not in ffmpeg_command(short_flac, "flac", 128_000, 0, "ffmpeg")
    assert ffmpeg_command(short_flac, "mp3", None, 0, "ffmpeg")[-1] == "pipe:1"


def test_close_early_kills_and_reaps_ffmpeg(long_flac: Path) -> None:
    stream = transcode(long_flac, fmt="mp3", bitrate=320_000)
    first = next(iter(stream))
    assert first
    assert stream.proc.poll() is None  # still encoding 2 minutes of audio
    stream.close()
    assert gone(stream.pid)
    stream.close()  # idempotent


def test_missing_ffmpeg(short_flac: Path) -> None:
    with pytest.raises(TranscoderMissing, match="ffmpeg-nowhere"):
        transcode(short_flac, fmt="mp3", bitrate=None, ffmpeg="ffmpeg-nowhere")


def test_unknown_format(short_flac: Path) -> None:
    with pytest.raises(ValueError, match="wma"):
        transcode(short_flac, fmt="wma", bitrate=None)


def test_not_audio_is_an_error_not_an_empty_stream(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp3"
    junk.write_bytes(b"this is not audio at all" * 100)
    with pytest.raises(TranscodeError):
        transcode(junk, fmt="mp3", bitrate=None)


@pytest.fixture(scope="module")
def http_port(long_flac: Path, short_flac: Path) -> Iterator[tuple[int, list[TranscodeStream]]]:
    app = bottle.Bottle()
    started: list[TranscodeStream] = []

    @app.route("/t/<name>")
    def route(name: str) -> TranscodeStream:
        src = long_flac if name == "long" else short_flac
        stream = transcode(src, fmt="mp3", bitrate=320_000)
        started.append(stream)
        bottle.response.content_type = stream.mime
        bottle.response.set_header("Accept-Ranges", "none")
        return stream

    # A low high-watermark makes waitress apply back-pressure to the worker (and so to ffmpeg)
    # after 256 KiB instead of the default 16 MiB, so a client that leaves is noticed soon.
    with serve_background(app, threads=2, outbuf_high_watermark=256 * 1024) as server:
        yield int(server.effective_port), started


def test_over_http(http_port: tuple[int, list[TranscodeStream]], tmp_path: Path) -> None:
    port, started = http_port
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", "/t/short")
    resp = c.getresponse()
    assert resp.getheader("Content-Type") == "audio/mpeg"
    out = tmp_path / "http.mp3"
    out.write_bytes(resp.read())
    c.close()
    assert decoded_seconds(out) == pytest.approx(3.0, abs=0.15)
    assert gone(started[-1].pid)


def test_client_leaving_kills_ffmpeg(http_port: tuple[int, list[TranscodeStream]]) -> None:
    port, started = http_port
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(b"GET /t/long HTTP/1.1\r\nHost: x\r\n\r\n")
    assert s.recv(65536).startswith(b"HTTP/1.1 200")
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
    pid = started[-1].pid
    deadline = time.monotonic() + 30  # a wait for an event, not a speed assertion
    while not gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gone(pid)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("mp3", 320_000, None, None), (False, "mp3", 320_000)),
        (("mp3", 320, "raw", 64_000), (False, "mp3", 320_000)),  # raw = original, cap or not
        (("mp3", 320_000, "", 128_000), (True, "mp3", 128_000)),
        (("mp3", 128_000, None, 192_000), (False, "mp3", 128_000)),
        (("flac", 900_000, None, 128_000), (True, "mp3", 128_000)),
        (("flac", 900_000, "flac", 128_000), (False, "flac", 900_000)),
        (("flac", 900_000, "opus", None), (True, "opus", 128_000)),
        (("flac", 900_000, "opus", 96_000), (True, "opus", 96_000)),
        (("mp3", 128_000, "ogg", None), (True, "ogg", 128_000)),  # never more bits than the source
        (("mp3", 320_000, "mp3", None), (False, "mp3", 320_000)),
        (("ogg", 160_000, "oga", None), (False, "ogg", 160_000)),
        (("m4a", 256_000, "flac", None), (True, "flac", None)),
        (("mp3", 320_000, "wma", None), (False, "mp3", 320_000)),  # unknown target: the original
        (("mp3", 320_000, "MP3", 16_000), (True, "mp3", 32_000)),  # encoder minimum
    ],
)
def test_needs_transcode(args: tuple, expected: tuple) -> None:
    assert needs_transcode(*args) == expected


def test_no_temp_files(short_flac: Path, tmp_path: Path) -> None:
    before = set(os.listdir(tmp_path))
    list(transcode(short_flac, fmt="opus", bitrate=None))
    assert set(os.listdir(tmp_path)) == before
