"""Serve one media or image file over HTTP: Range, validators, safe names, never a held worker.

Why not ``bottle.static_file``: its Range answer is a Python generator, which the waitress worker
thread iterates for the whole transfer (design.md §2, trap 1). Here every file answer, 200 or 206,
returns the open file object itself, ``seek()``-ed to the first byte to send, with an exact
``Content-Length``. Bottle passes a file object to ``environ['wsgi.file_wrapper']``; waitress's
``ReadOnlyFileBasedBuffer.prepare(content_length)`` then sends
``min(size - tell(), Content-Length)`` bytes from the current position, from its I/O loop (or
with ``os.sendfile`` through ``ampmini.sendfile``). The worker thread returns at once, and nothing
is copied into waitress's overflow buffers (no temp-file spill): a file-wrapper body is queued
as-is, not appended.

Range handling follows RFC 7233 (RFC 9110 §14) for a single range; see ``_parse_range``.
"""

from __future__ import annotations

import email.utils
import os
import stat
import unicodedata
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass

import bottle

__all__ = [
    "FileGone",
    "content_disposition",
    "mime_for",
    "send_bytes",
    "send_file",
]

CORS = {"Access-Control-Allow-Origin": "*"}

# Chosen for what phone players accept: Ogg Opus is "audio/ogg" (RFC 7845; "audio/opus" is the
# RTP type, and Android's MediaPlayer/ExoPlayer and browsers sniff the container anyway). ".aac"
# files and ampmini's AAC transcodes are ADTS streams, whose type is "audio/aac"; AAC/ALAC inside
# MP4 is "audio/mp4".
_MIME = {
    "mp3": "audio/mpeg",
    "mpeg": "audio/mpeg",
    "flac": "audio/flac",
    "ogg": "audio/ogg",
    "oga": "audio/ogg",
    "opus": "audio/ogg",
    "vorbis": "audio/ogg",
    "spx": "audio/ogg",
    "m4a": "audio/mp4",
    "m4b": "audio/mp4",
    "mp4": "audio/mp4",
    "alac": "audio/mp4",
    "aac": "audio/aac",
    "adts": "audio/aac",
    "wav": "audio/wav",
    "aif": "audio/aiff",
    "aiff": "audio/aiff",
    "wma": "audio/x-ms-wma",
    "wv": "audio/x-wavpack",
    "ape": "audio/x-ape",
    "mpc": "audio/x-musepack",
    "dsf": "audio/x-dsf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "bmp": "image/bmp",
}
DEFAULT_MIME = "application/octet-stream"


def mime_for(format_or_ext: str) -> str:
    """MIME type for a format name, extension (``.mp3``) or file name; octet-stream if unknown."""
    key = format_or_ext.rsplit(".", 1)[-1].strip().lower()
    return _MIME.get(key, DEFAULT_MIME)


class FileGone(bottle.HTTPResponse):
    """The file could not be opened (vanished, unreadable, not a regular file).

    Raised by ``send_file``. It *is* an empty 404 ``HTTPResponse`` with the CORS header, so a route
    that does not catch it still answers correctly (Bottle serves a raised HTTPResponse as-is,
    bypassing error handlers); a route that catches it can mark the song for a rescan first.
    """

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        super().__init__("", 404, dict(CORS))
        self.path = os.fspath(path)
        self.reason = reason


# --- Content-Disposition ---------------------------------------------------------------------

# RFC 5987 attr-char minus ALPHA/DIGIT; urllib.parse.quote keeps ALPHA/DIGIT and "_.-~" anyway.
_ATTR_CHAR_SAFE = "!#$&+-.^_`|~"
# Characters that break the quoted fallback, header syntax, or turn a name into a path.
_UNSAFE_FALLBACK = set('"\\/%;') | {chr(c) for c in range(32)} | {"\x7f"}


def _clean_name(name: str) -> str:
    """Drop control characters and path separators, which no saved file name should carry."""
    name = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in name)
    name = name.replace("/", "_").replace("\\", "_").strip().strip(".")
    return " ".join(name.split())


def _ascii_char(ch: str) -> str:
    """One character of the ASCII fallback: accents dropped (ö → o), dashes kept, others → "_"."""
    if ch.isascii():
        return "_" if ch in _UNSAFE_FALLBACK else ch
    category = unicodedata.category(ch)
    if category == "Mn":
        return ""  # the combining accent NFKD split off
    if category == "Pd":
        return "-"
    return " " if category == "Zs" else "_"


def content_disposition(name: str, disposition: str = "attachment") -> str:
    """``attachment; filename="ascii"; filename*=UTF-8''pct`` for any title (RFC 6266, 5987)."""
    name = _clean_name(name) or "download"
    fallback = " ".join("".join(map(_ascii_char, unicodedata.normalize("NFKD", name))).split())
    fb_stem, fb_dot, _ = fallback.rpartition(".")
    if not (fb_stem if fb_dot else fallback).strip("_ -"):
        # Nothing readable left of a non-Latin title: keep at least the extension.
        _, dot, ext = name.rpartition(".")
        fallback = f"download.{ext}" if dot and ext.isascii() and ext.isalnum() else "download"
    encoded = urllib.parse.quote(name, safe=_ATTR_CHAR_SAFE, encoding="utf-8")
    if fallback == name:
        return f'{disposition}; filename="{fallback}"'
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


# --- validators --------------------------------------------------------------------------------


def _etag(st: os.stat_result) -> str:
    # Strong: the same inode, size and nanosecond mtime means the same bytes for a music library.
    # It must be strong, because If-Range (what resuming players send) never matches a weak tag.
    return f'"{st.st_ino:x}-{st.st_size:x}-{st.st_mtime_ns:x}"'


def _parse_http_date(value: str) -> int | None:
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None or parsed.tzinfo is None:
        return None
    return int(parsed.timestamp())


def _etag_list_matches(header: str, etag: str) -> bool:
    """If-None-Match: weak comparison (RFC 7232 §3.2); ``*`` matches any current file."""
    if header.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in header.split(","))


def _not_modified(request: bottle.BaseRequest, etag: str, mtime: int) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    inm = request.get_header("If-None-Match")
    if inm is not None:
        # RFC 7232 §6: If-Modified-Since is ignored when If-None-Match is present.
        return _etag_list_matches(inm, etag)
    ims = request.get_header("If-Modified-Since")
    if ims is not None:
        since = _parse_http_date(ims)
        return since is not None and mtime <= since
    return False


def _if_range_allows(request: bottle.BaseRequest, etag: str, mtime: int) -> bool:
    """True when Range may be honoured: no If-Range, or its validator still matches."""
    value = request.get_header("If-Range")
    if value is None:
        return True
    value = value.strip()
    if value.startswith(('"', "W/")):
        # Strong comparison: a weak tag never matches (RFC 7233 §3.2).
        return value == etag
    return _parse_http_date(value) == mtime


# --- Range -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Range:
    start: int
    end: int  # inclusive


_UNSATISFIABLE = object()


def _parse_range(header: str, size: int) -> _Range | object | None:
    """One byte range from a Range header.

    Returns a ``_Range``, ``_UNSATISFIABLE`` (→ 416), or None when the header is to be ignored
    (malformed, another unit, or an empty file with a suffix range — there is no byte to point at,
    so the whole, empty, file is the answer). With several ranges the first satisfiable one is
    served as a plain 206: multipart/byteranges is never produced (players ask for one range;
    RFC 7233 lets a server answer fewer ranges than asked).
    """
    unit, sep, spec = header.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    ranges: list[tuple[str, str]] = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue  # RFC 7230 §7: empty list elements are allowed and ignored
        first, dash, last = part.partition("-")
        first, last = first.strip(), last.strip()
        if not dash or (first and not first.isdigit()) or (last and not last.isdigit()):
            return None
        if not first and not last:
            return None
        if first and last and int(last) < int(first):
            return None  # syntactically invalid → the whole header is ignored
        ranges.append((first, last))
    if not ranges:
        return None
    for first, last in ranges:
        if not first:  # suffix range: the last N bytes
            length = int(last)
            if length == 0:
                continue
            if size == 0:
                return None
            return _Range(max(0, size - length), size - 1)
        start = int(first)
        if start >= size:
            continue
        end = min(int(last), size - 1) if last else size - 1
        return _Range(start, end)
    return _UNSATISFIABLE


# --- responses ---------------------------------------------------------------------------------


def _open_regular(path: str | os.PathLike[str]) -> tuple[int, os.stat_result]:
    """Open read-only without blocking on a FIFO, and refuse anything but a regular file."""
    flags = os.O_RDONLY | os.O_CLOEXEC | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise FileGone(path, exc.strerror or type(exc).__name__) from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileGone(path, "not a regular file")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd, st


def send_file(
    request: bottle.BaseRequest,
    path: str | os.PathLike[str],
    mime: str,
    *,
    download_name: str | None = None,
    disposition: str = "attachment",
    extra_headers: Mapping[str, str] | None = None,
) -> bottle.HTTPResponse:
    """Answer ``request`` with the file at ``path``: 200, 206, 304, 416, or raise FileGone (404).

    ``extra_headers`` (e.g. ``X-Content-Duration``, ``Cache-Control``) go on every answer; the
    framing headers computed here (Content-Length, Content-Range, ETag, …) win over them.
    """
    fd, st = _open_regular(path)
    keep_open = False
    try:
        size = st.st_size
        mtime = int(st.st_mtime)
        etag = _etag(st)
        headers: dict[str, str] = dict(extra_headers or {})
        headers.update(CORS)
        headers["Accept-Ranges"] = "bytes"
        headers["ETag"] = etag
        headers["Last-Modified"] = email.utils.formatdate(mtime, usegmt=True)
        if download_name:
            headers["Content-Disposition"] = content_disposition(download_name, disposition)

        if _not_modified(request, etag, mtime):
            return bottle.HTTPResponse("", 304, headers)

        status, start, length = 200, 0, size
        range_header = request.get_header("Range")
        if range_header and request.method in ("GET", "HEAD") and _if_range_allows(
            request, etag, mtime
        ):
            wanted = _parse_range(range_header, size)
            if wanted is _UNSATISFIABLE:
                headers["Content-Range"] = f"bytes */{size}"
                headers["Content-Length"] = "0"
                return bottle.HTTPResponse("", 416, headers)
            if isinstance(wanted, _Range):
                status, start = 206, wanted.start
                length = wanted.end - wanted.start + 1
                headers["Content-Range"] = f"bytes {wanted.start}-{wanted.end}/{size}"

        headers["Content-Type"] = mime
        headers["Content-Length"] = str(length)
        # Unbuffered FileIO: waitress reads big blocks itself, and os.sendfile uses the fd; a
        # BufferedReader would only add a copy. The position set here is where sending starts, and
        # the Content-Length above is what waitress's prepare() caps the body to.
        body = open(fd, "rb", buffering=0, closefd=True)  # noqa: SIM115 — waitress closes it
        keep_open = True
        if start:
            body.seek(start)
        return bottle.HTTPResponse(body, status, headers)
    finally:
        if not keep_open:
            os.close(fd)


def send_bytes(
    request: bottle.BaseRequest,
    data: bytes,
    mime: str,
    *,
    etag: str | None = None,
    download_name: str | None = None,
    disposition: str = "inline",
    extra_headers: Mapping[str, str] | None = None,
) -> bottle.HTTPResponse:
    """Answer with in-memory bytes (embedded cover art): 200, or 304 when ``etag`` matches.

    ``etag`` is the caller's stable validator (e.g. built from song id and file mtime), without
    quotes; none is sent when it is None. No Range support: these are small images.
    """
    headers: dict[str, str] = dict(extra_headers or {})
    headers.update(CORS)
    if download_name:
        headers["Content-Disposition"] = content_disposition(download_name, disposition)
    if etag is not None:
        quoted = f'"{etag}"'
        headers["ETag"] = quoted
        inm = request.get_header("If-None-Match")
        if inm is not None and _etag_list_matches(inm, quoted):
            return bottle.HTTPResponse("", 304, headers)
    headers["Content-Type"] = mime
    headers["Content-Length"] = str(len(data))
    return bottle.HTTPResponse(data, 200, headers)
