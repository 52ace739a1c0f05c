"""Binary endpoints: /play/index.php, /image.php, and the stream/download/get_art actions.

Paths always come from the database by id, never from the request. Every answer carries
`Access-Control-Allow-Origin: *` (spec Decision 9) and real HTTP statuses (Decision 1).
"""

from __future__ import annotations

import hmac
import logging
import os
import sqlite3
import struct
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import bottle

from . import art, plays, preferences
from .accounts import catalog_access
from .api.auth import extend_session
from .api.listing import is_visible, scoped
from .api.registry import Level
from .stream import CORS, FileGone, content_disposition, mime_for, send_bytes, send_file
from .transcode import TranscodeError, TranscoderMissing, needs_transcode, transcode

if TYPE_CHECKING:
    from .api.dispatch import Server

log = logging.getLogger("ampmini.media")

# Per-user streaming preferences honoured by serve_media (spec §8.19; Ampache's names).
_STREAM_PREFERENCES = ("transcode", "transcode_bitrate", "transcode_to", "allow_stream_playback")
for _name in _STREAM_PREFERENCES:
    preferences.offer(_name)


@dataclass(frozen=True, slots=True)
class MediaFile:
    """One playable file as the database knows it."""

    object_type: str
    object_id: int
    path: str
    format: str
    mime: str
    bitrate: int
    time: int
    title: str
    artist: str


# Loaders per playable type: features add theirs (podcast episodes, videos).
MEDIA_LOOKUPS: dict[str, Any] = {}


def _song_file(conn: sqlite3.Connection, song_id: int) -> MediaFile | None:
    row = conn.execute(
        "SELECT s.path, s.format, s.mime, s.bitrate, s.time, s.title, ar.name AS artist"
        " FROM song s JOIN artist ar ON ar.id = s.artist_id WHERE s.id = ? AND s.enabled = 1",
        (song_id,),
    ).fetchone()
    if row is None:
        return None
    return MediaFile("song", song_id, row["path"], row["format"], row["mime"], row["bitrate"],
                     row["time"], row["title"], row["artist"])


def _episode_file(conn: sqlite3.Connection, episode_id: int) -> MediaFile | None:
    """A downloaded podcast episode (remote ones are redirected to, see `play`)."""
    row = conn.execute(
        "SELECT e.path, e.mime, e.bitrate, e.time, e.title, p.title AS podcast"
        " FROM podcast_episode e JOIN podcast p ON p.id = e.podcast_id"
        " WHERE e.id = ? AND e.state = 'completed' AND e.path IS NOT NULL",
        (episode_id,),
    ).fetchone()
    if row is None:
        return None
    fmt = os.path.splitext(row["path"])[1].lstrip(".").lower() or "mp3"
    return MediaFile("podcast_episode", episode_id, row["path"], fmt,
                     row["mime"] or mime_for(fmt), row["bitrate"], row["time"], row["title"],
                     row["podcast"])


def _video_file(conn: sqlite3.Connection, video_id: int) -> MediaFile | None:
    row = conn.execute(
        "SELECT path, format, mime, time, title FROM video WHERE id = ?", (video_id,)
    ).fetchone()
    if row is None:
        return None
    return MediaFile("video", video_id, row["path"], row["format"], row["mime"], 0,
                     row["time"], row["title"], "video")


MEDIA_LOOKUPS.update(song=_song_file, podcast_episode=_episode_file, video=_video_file)


def find_media(conn: sqlite3.Connection, object_type: str, object_id: int) -> MediaFile | None:
    lookup = MEDIA_LOOKUPS.get(object_type)
    if lookup is None or not is_visible(conn, object_type, object_id):
        return None  # a catalog-restricted user's hidden song is missing for them (issue 9)
    try:
        return lookup(conn, object_id)
    except sqlite3.OperationalError:  # that feature's tables are not in this database
        return None


def remote_episode(conn: sqlite3.Connection, object_type: str, object_id: int) -> str | None:
    """The enclosure URL of a podcast episode that is not downloaded (kept remote)."""
    if object_type != "podcast_episode":
        return None
    row = conn.execute(
        "SELECT source FROM podcast_episode WHERE id = ? AND state != 'completed'", (object_id,)
    ).fetchone()
    source = row["source"] if row is not None else None
    return source if source and source.startswith(("http://", "https://")) else None


def _stream_user(conn: sqlite3.Connection, ssid: str, now: int) -> sqlite3.Row | None:
    """A play URL's `ssid`: the user's permanent stream token, or a live API session."""
    if not ssid or len(ssid) > 128:
        return None
    row = conn.execute("SELECT * FROM user WHERE streamtoken = ?", (ssid,)).fetchone()
    if row is not None and hmac.compare_digest(row["streamtoken"], ssid):
        return row
    return conn.execute(
        "SELECT u.* FROM session s JOIN user u ON u.id = s.user_id"
        " WHERE s.token = ? AND s.expire > ?",
        (ssid, now),
    ).fetchone()


def _empty(status: int) -> bottle.HTTPResponse:
    return bottle.HTTPResponse("", status, dict(CORS))


def download_name(media: MediaFile, ext: str | None = None) -> str:
    return f"{media.artist} - {media.title}.{ext or media.format}"


def serve_media(
    server: Server,
    request: bottle.BaseRequest,
    user: sqlite3.Row,
    media: MediaFile,
    *,
    download: bool,
    fmt: str | None,
    bitrate: int | None,
    offset: float,
    record_stats: bool,
    client: str | None,
) -> Any:
    """The bytes of one media file, raw (Range-exact) or transcoded, with play accounting."""
    config = server.config
    prefs = preferences.get_many(server.db.reader(), user["id"], _STREAM_PREFERENCES, config)
    if not prefs["allow_stream_playback"]:
        return _empty(403)
    if prefs["transcode"] == "never":
        fmt, bitrate = "raw", None
    elif prefs["transcode"] == "always" and not fmt:
        fmt = str(prefs["transcode_to"])
    if fmt and fmt != "raw" and not bitrate:
        # The user's transcode bit rate (kbit/s) applies when a transcode happens.
        bitrate = int(prefs["transcode_bitrate"]) * 1000
    ip = str(request.environ.get("REMOTE_ADDR") or "")
    limit = config.stream_limits.cap_for(ip)  # [stream_limits]: e.g. a mobile-data range
    caps = [b for b in (bitrate, config.transcode.max_bitrate, user["maxbitrate"], limit) if b]
    cap = min(caps) if caps else None
    transcoding, target, target_bps = needs_transcode(media.format, media.bitrate, fmt, cap)
    if transcoding and (not download or (fmt and fmt != "raw")):
        response = _transcoded(config, request, media, target, target_bps, offset, download)
    else:
        response = _raw(server, request, media)
    range_header = request.get_header("Range", "").replace(" ", "")
    first_request = not range_header or range_header.startswith("bytes=0-")
    # Only a real start of a file that is being sent counts (not HEAD, a seek, a 304 or 404).
    if (record_stats and first_request and request.method != "HEAD"
            and response.status_code in (200, 206)):
        kind = "download" if download else "play"
        plays.record(server.db, user["id"], media.object_type, media.object_id,
                     client=client, kind=kind, skip_logic=not download)
        hook = server.services.get("now_playing")
        if hook is not None and not download:
            hook(server.db, user["id"], media.object_type, media.object_id, client)
    return response


def _transcoded(
    config: Any, request: bottle.BaseRequest, media: MediaFile, target: str,
    target_bps: int | None, offset: float, download: bool,
) -> bottle.HTTPResponse:
    """ffmpeg's output for `media` in `target`, streamed as it comes (no Range, no length)."""
    headers = {**CORS, "Content-Type": mime_for(target), "Accept-Ranges": "none"}
    if download:
        headers["Content-Disposition"] = content_disposition(download_name(media, target))
    if request.method == "HEAD":
        return bottle.HTTPResponse("", 200, headers)
    try:
        stream = transcode(media.path, fmt=target, bitrate=target_bps, offset=offset,
                           ffmpeg=config.transcode.ffmpeg)
    except TranscoderMissing as err:
        log.warning("%s", err)
        return bottle.HTTPResponse(str(err), 503, dict(CORS))
    except (TranscodeError, ValueError) as err:
        log.warning("transcode of %s failed: %s", media.object_id, err)
        return _empty(404)
    headers["Content-Type"] = stream.mime
    return bottle.HTTPResponse(stream, 200, headers)


def _raw(server: Server, request: bottle.BaseRequest, media: MediaFile) -> bottle.HTTPResponse:
    """The file itself, Range-exact; a file gone since the scan gets 404 and a rescan."""
    try:
        return send_file(
            request,
            media.path,
            media.mime or mime_for(media.format),
            download_name=download_name(media),
            disposition="attachment",
            extra_headers={"X-Content-Duration": str(media.time)},
        )
    except FileGone as gone:
        log.warning("file vanished since the scan: %s (%s)", gone.path, gone.reason)
        background = server.services.get("background")
        if background is not None:
            background.request_scan(Path(gone.path).parent)
        return gone


def _query(request: bottle.BaseRequest) -> dict[str, str]:
    decoded = request.query.decode("utf-8")
    return {key: decoded.get(key) for key in decoded}


def _int(value: str | None) -> int:
    text = (value or "").strip()
    return int(text) if text.isdigit() else 0


def _democratic_song(server: Server, request: bottle.BaseRequest) -> int | None:
    """The song a democratic play URL means now.

    Each real start of the URL advances the shared queue; HEAD and seeks further into the
    current song (a Range not starting at 0) must not, so they get the song popped last.
    """
    range_header = request.get_header("Range", "").replace(" ", "")
    starting = request.method != "HEAD" and (not range_header or range_header == "bytes=0-")
    if starting:
        hook = server.services.get("democratic_next")
        return hook(server.db) if hook is not None else None
    row = server.db.reader().execute(
        "SELECT song_id FROM democratic_played ORDER BY played DESC LIMIT 1"
    ).fetchone()
    return row[0] if row is not None else None


def play(server: Server, request: bottle.BaseRequest, base_url: str) -> Any:
    """`/play/index.php?ssid=…&type=song&oid=…` — the target of every `url` field (§10.4)."""
    q = _query(request)
    ip = str(request.environ.get("REMOTE_ADDR") or "")
    if not server.config.acl.allows(ip, "stream", Level.GUEST):
        return _empty(403)
    conn = server.db.reader()
    now = int(time.time())
    ssid = q.get("ssid", "")
    user = _stream_user(conn, ssid, now)
    if user is None or user["disabled"]:
        return _empty(403)
    if ssid != user["streamtoken"]:
        # A play URL carrying an API session keeps it alive for a stream's length, so a
        # long song never stops mid-play (spec §2.4, stream_length).
        extend_session(server.db, ssid, server.config.server.stream_length, now)
    if q.get("demo_id"):
        song_id = _democratic_song(server, request)
        if song_id is None:
            return _empty(404)
        object_type, object_id = "song", song_id
    else:
        object_type = (q.get("type") or "song").strip().lower()
        object_id = _int(q.get("oid"))
        if not object_id:
            return _empty(400)
    with scoped(catalog_access(conn, user)):
        media = find_media(conn, object_type, object_id)
    if media is None:
        remote = remote_episode(conn, object_type, object_id)
        if remote is not None:  # an episode kept remote: the player fetches it from the feed
            return bottle.HTTPResponse("", 302, {**CORS, "Location": remote})
        return _empty(404)
    return serve_media(
        server, request, user, media,
        download=q.get("action") == "download",
        fmt=q.get("format") or q.get("transcode_to"),
        bitrate=_int(q.get("bitrate")) or None,
        offset=float(_int(q.get("frame"))),
        record_stats=q.get("cache") != "1",
        client=q.get("client") or q.get("player"),
    )


# ----------------------------------------------------------------- art

def _placeholder_png() -> bytes:
    """A 64×64 grey PNG: what /image.php shows for an object without art (spec §10.5)."""
    width = height = 64
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


PLACEHOLDER = _placeholder_png()


@dataclass(frozen=True, slots=True)
class ArtSource:
    """Where an object's picture is: a folder image file, or a song with an embedded one."""

    key: str
    image_path: str | None = None
    embedded_in: str | None = None


def _album_art(conn: sqlite3.Connection, album_id: int) -> ArtSource | None:
    row = conn.execute(
        "SELECT al.art_path, s.path AS song_path FROM album al"
        " LEFT JOIN song s ON s.id = al.art_song_id WHERE al.id = ?",
        (album_id,),
    ).fetchone()
    if row is None:
        return None
    if row["art_path"]:
        return ArtSource(f"album-{album_id}", image_path=row["art_path"])
    if row["song_path"]:
        return ArtSource(f"album-{album_id}", embedded_in=row["song_path"])
    return None


def _artist_art(conn: sqlite3.Connection, artist_id: int) -> ArtSource | None:
    row = conn.execute(
        "SELECT id FROM album WHERE album_artist_id = ?"
        " AND (art_path IS NOT NULL OR art_song_id IS NOT NULL) ORDER BY year, id LIMIT 1",
        (artist_id,),
    ).fetchone()
    return _album_art(conn, row["id"]) if row is not None else None


def _song_art(conn: sqlite3.Connection, song_id: int) -> ArtSource | None:
    row = conn.execute(
        "SELECT path, has_art, album_id FROM song WHERE id = ?", (song_id,)
    ).fetchone()
    if row is None:
        return None
    if row["has_art"]:
        return ArtSource(f"song-{song_id}", embedded_in=row["path"])
    return _album_art(conn, row["album_id"])


# Art lookups per object type; features add theirs (playlist, podcast …).
ART_LOOKUPS: dict[str, Any] = {
    "album": _album_art,
    "artist": _artist_art,
    "song": _song_art,
}


def find_art(conn: sqlite3.Connection, object_type: str, object_id: int) -> ArtSource | None:
    lookup = ART_LOOKUPS.get(object_type)
    if lookup is None or not is_visible(conn, object_type, object_id):
        return None  # hidden from a catalog-restricted user: as if it had no art (issue 9)
    return lookup(conn, object_id)


def serve_art(
    server: Server, request: bottle.BaseRequest, source: ArtSource, size: tuple[int, int] | None
) -> Any:
    """The picture of `source`, resized once to `size` and cached in the data directory."""
    cache_dir = Path(server.config.database.path).parent / "art-cache"
    headers = {"Cache-Control": "private, max-age=604800"}
    try:
        if source.image_path:
            path = source.image_path
            mtime = os.stat(path).st_mtime
            data: bytes | Path = Path(path)
            mime = mime_for(path)
        else:
            assert source.embedded_in is not None
            found = art.embedded_art(source.embedded_in)
            if found is None:
                return None
            data, mime = found
            mtime = os.stat(source.embedded_in).st_mtime
    except OSError:
        return None
    if size is not None:
        data, mime = art.resized(data, size, cache_dir, art.art_key(source.key, "", mtime))
    ext = "png" if mime == "image/png" else "jpg"
    if isinstance(data, Path):
        try:
            return send_file(request, data, mime, download_name=f"art.{ext}",
                             disposition="inline", extra_headers=headers)
        except FileGone:
            return None
    etag = f"{source.key}-{int(mtime)}-{size or 'original'}"
    return send_bytes(request, data, mime, etag=etag, download_name=f"art.{ext}",
                      extra_headers=headers)


def image(server: Server, request: bottle.BaseRequest, base_url: str) -> Any:
    """`/image.php?object_id=…&object_type=album[&size=WxH|thumb=N]` (spec §10.5).

    Art needs no session (clients cache these URLs across logins), only an address the ACL
    allows for streaming; no art → a placeholder image, as Ampache answers.
    """
    q = _query(request)
    ip = str(request.environ.get("REMOTE_ADDR") or "")
    if not server.config.acl.allows(ip, "stream", Level.GUEST):
        return _empty(403)
    object_type = (q.get("object_type") or "").strip().lower()
    object_id = _int(q.get("object_id"))
    if not object_type or not object_id:
        return _empty(404)
    conn = server.db.reader()
    # Art URLs carry no credentials (clients cache them across logins): a restricted user's
    # limit applies when the request names them with `ssid` (issue 9).
    viewer = _stream_user(conn, q.get("ssid", ""), int(time.time())) if q.get("ssid") else None
    with scoped(catalog_access(conn, viewer) if viewer is not None else None):
        source = find_art(conn, object_type, object_id)
    size = art.parse_size(q.get("size"), q.get("thumb"))
    answer = serve_art(server, request, source, size) if source is not None else None
    if answer is None:
        return send_bytes(request, PLACEHOLDER, "image/png", etag="placeholder",
                          download_name="art.png")
    return answer


MEDIA_HANDLERS: dict[str, Any] = {"play": play, "image": image}
