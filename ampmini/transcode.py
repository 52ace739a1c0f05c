"""Transcode one audio file to a streamable format by piping ffmpeg's stdout to the client.

No temp files: ffmpeg writes to ``pipe:1`` and ``TranscodeStream`` yields 64 KiB chunks; the pipe's
back-pressure paces ffmpeg. WSGI calls ``close()`` on the app_iter when the response ends or the
client goes away, and ``close()`` kills and reaps ffmpeg. ffmpeg's stderr goes to /dev/null (a pipe
nobody drains would fill and stall it) and stdin is /dev/null (``-nostdin``), so it never blocks
on either.

A transcoded response is a generator the waitress worker iterates, so it holds one worker thread
for its whole length (unlike a file body, see stream.py); that is inherent to piping.

Bitrates are bits/s everywhere (``192000``), as in the Ampache API; values below 10 000 are taken
as kbit/s (tinytag reports kbit/s) so either unit works.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

from .stream import mime_for

__all__ = [
    "FORMATS",
    "TranscodeError",
    "TranscodeStream",
    "TranscoderMissing",
    "needs_transcode",
    "transcode",
]

CHUNK = 64 * 1024


@dataclass(frozen=True)
class Format:
    """How ffmpeg writes one target format to a pipe."""

    codec: list[str]
    muxer: list[str]
    default_bps: int | None  # None: lossless, bitrate does not apply
    min_bps: int = 0
    max_bps: int = 0


FORMATS: dict[str, Format] = {
    # -write_xing 0: on a pipe ffmpeg cannot go back to fill in the Xing header, and an empty one
    # makes some players compute a wrong duration.
    "mp3": Format(["-c:a", "libmp3lame"], ["-f", "mp3", "-write_xing", "0"], 192_000, 32_000,
                  320_000),
    # Opus in Ogg; libopus resamples to 48 kHz itself.
    "opus": Format(["-c:a", "libopus"], ["-f", "ogg"], 128_000, 16_000, 256_000),
    "ogg": Format(["-c:a", "libvorbis"], ["-f", "ogg"], 192_000, 64_000, 320_000),
    # ADTS rather than MP4: an MP4 on a pipe needs fragmenting, which several players mishandle.
    "aac": Format(["-c:a", "aac"], ["-f", "adts"], 192_000, 32_000, 320_000),
    "flac": Format(["-c:a", "flac"], ["-f", "flac"], None),
}
# Names clients send for the same target.
_ALIASES = {"oga": "ogg", "vorbis": "ogg", "m4a": "aac", "adts": "aac", "mpeg": "mp3"}
LOSSLESS = {"flac", "wav", "aiff", "aif", "alac", "ape", "wv", "dsf"}
# What a lossless or unencodable source becomes when only a bitrate cap is asked for.
DEFAULT_LOSSY = "mp3"


class TranscoderMissing(RuntimeError):
    """ffmpeg is not installed (or not where ``ffmpeg=`` points)."""


class TranscodeError(RuntimeError):
    """ffmpeg could not start producing audio (unreadable or unsupported input)."""


def _bps(value: float | None) -> int | None:
    if value is None or value <= 0:
        return None
    value = int(value)
    return value * 1000 if value < 10_000 else value


def _norm(fmt: str | None) -> str:
    fmt = (fmt or "").strip().lower().lstrip(".")
    return _ALIASES.get(fmt, fmt)


def needs_transcode(
    file_format: str,
    file_bitrate: float | None,
    fmt: str | None,
    max_bitrate: float | None,
) -> tuple[bool, str, int | None]:
    """Decide direct play vs transcode: ``(transcode?, target format, target bits/s)``.

    Direct play unless the client asks for another format (``raw``, empty or None = the original)
    or caps the bitrate below the file's. ``raw`` always means the original file, cap or not. A
    format ampmini cannot encode is answered with the original rather than an error (the player
    may still cope; an error surely stops it). On direct play the target is the file's own.
    """
    source, wanted = _norm(file_format), _norm(fmt)
    file_bps, cap = _bps(file_bitrate), _bps(max_bitrate)
    direct = (False, file_format.strip().lower().lstrip("."), file_bps)
    if wanted == "raw":
        return direct
    over_cap = cap is not None and (file_bps is None or file_bps > cap)
    if wanted in ("", source):
        if not over_cap:
            return direct
        cannot_shrink = source in LOSSLESS or source not in FORMATS
        if wanted == source and cannot_shrink:
            return direct  # "flac, at most 128k" asks for the impossible: the file as it is
        # Only a cap was asked: the same lossy format with fewer bits, or else the default lossy.
        wanted = DEFAULT_LOSSY if cannot_shrink else source
    spec = FORMATS.get(wanted)
    if spec is None:
        return direct
    if spec.default_bps is None:
        return (True, wanted, None)
    target = spec.default_bps if cap is None else min(spec.default_bps, cap)
    if file_bps is not None and source not in LOSSLESS:
        target = min(target, file_bps)  # more bits than the lossy source had buys nothing
    return (True, wanted, _clamp(spec, target))


def _clamp(spec: Format, bps: int | None) -> int | None:
    """The bitrate ffmpeg will use for ``spec``: the default, kept within the encoder's range."""
    if spec.default_bps is None:
        return None
    return max(spec.min_bps, min(spec.max_bps, bps or spec.default_bps))


def ffmpeg_command(
    path: str | os.PathLike[str], fmt: str, bitrate: int | None, offset: float, ffmpeg: str
) -> list[str]:
    """The ffmpeg argv for one transcode (separate so it can be read and tested)."""
    spec = FORMATS[fmt]
    cmd = [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error"]
    if offset and offset > 0:
        cmd += ["-ss", f"{offset:.3f}"]  # before -i: a fast seek on the input
    # "file:" so that a name is never read as an ffmpeg protocol ("concat:", "http:") or option.
    cmd += ["-i", "file:" + os.path.abspath(path), "-map", "0:a:0", "-vn", "-sn", "-dn"]
    cmd += spec.codec
    bps = _clamp(spec, _bps(bitrate))
    if bps is not None:
        cmd += ["-b:a", str(bps)]
    return [*cmd, *spec.muxer, "pipe:1"]


class TranscodeStream:
    """A running ffmpeg: iterate for byte chunks; ``close()`` kills and reaps it (idempotent)."""

    def __init__(self, proc: subprocess.Popen[bytes], fmt: str, bitrate: int | None) -> None:
        self.proc = proc
        self.fmt = fmt
        self.bitrate = bitrate
        self.mime = mime_for(fmt)
        self._first: bytes | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _prime(self) -> None:
        """Read the first bytes now, so a failing ffmpeg is an exception, not an empty 200."""
        assert self.proc.stdout is not None
        self._first = self.proc.stdout.read1(CHUNK)
        if not self._first:
            code = self.proc.wait()
            self.close()
            raise TranscodeError(f"ffmpeg produced no audio (exit status {code})")

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        # The object is its own iterator (no hidden generator whose garbage collection would
        # kill ffmpeg behind the caller's back).
        if self._first:
            first, self._first = self._first, None
            return first
        stdout = self.proc.stdout
        try:
            chunk = stdout.read(CHUNK) if stdout is not None else b""
        except ValueError:
            chunk = b""  # closed by close() from another thread: the client went away
        if not chunk:
            self.close()  # ffmpeg is done (or was killed): reap it
            raise StopIteration
        return chunk

    def close(self) -> None:
        proc = self.proc
        if proc.poll() is None:
            proc.kill()
        if proc.stdout is not None and not proc.stdout.closed:
            proc.stdout.close()
        proc.wait()  # reap: no zombie per skipped song

    def __enter__(self) -> TranscodeStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def transcode(
    path: str | os.PathLike[str],
    *,
    fmt: str,
    bitrate: int | None,
    offset: float = 0,
    ffmpeg: str = "ffmpeg",
) -> TranscodeStream:
    """Start ffmpeg on ``path`` → ``fmt`` (mp3, opus, ogg, aac, flac) at ``bitrate`` bits/s.

    ``offset`` seconds are skipped with an input seek. Raises ``TranscoderMissing`` when ffmpeg
    cannot be found, ``ValueError`` for a format not in ``FORMATS``, ``TranscodeError`` when ffmpeg
    exits without output (unreadable or not audio). The first chunk is read before returning.
    """
    target = _norm(fmt)
    if target not in FORMATS:
        raise ValueError(f"cannot transcode to {fmt!r}; known: {', '.join(sorted(FORMATS))}")
    exe = shutil.which(ffmpeg)
    if exe is None:
        raise TranscoderMissing(
            f"transcoding needs ffmpeg, and {ffmpeg!r} was not found on PATH; "
            "install it (apt-get install ffmpeg) or play the original (format=raw)"
        )
    cmd = ffmpeg_command(path, target, bitrate, offset, exe)
    proc = subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        close_fds=True,
    )
    stream = TranscodeStream(proc, target, _clamp(FORMATS[target], _bps(bitrate)))
    stream._prime()
    return stream
