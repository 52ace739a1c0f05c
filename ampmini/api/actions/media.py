"""stream, download, get_art: the binary actions, answered with the file bytes (spec §10).

ampmini serves the bytes directly instead of redirecting to the play URL (Decision 5):
one code path with /play/index.php, and Range requests keep working either way.
"""

from __future__ import annotations

import random
from typing import Any

from ... import art
from ...media import find_art, find_media, serve_art, serve_media
from ..errors import BadRequest, HttpStatus, MissingParameter
from ..registry import Context, action
from .playlists import stream_song_ids

# `type=playlist|search` streams a random song of the list (spec §10.1).
LIST_STREAMS: dict[str, Any] = {"playlist": stream_song_ids, "search": stream_song_ids}


def _required(ctx: Context, *names: str) -> str:
    try:
        return ctx.params.required(*names)
    except MissingParameter as err:
        raise HttpStatus(400, err) from None


def _media_target(ctx: Context) -> tuple[str, int]:
    raw_id = _required(ctx, "id", "filter")
    kind = _required(ctx, "type").strip().lower()
    if kind == "podcast":
        kind = "podcast_episode"
    if kind in LIST_STREAMS:
        song_ids = LIST_STREAMS[kind](ctx, raw_id)
        if not song_ids:
            raise HttpStatus(404)
        return "song", random.choice(song_ids)  # noqa: S311 - shuffle, not security
    if not raw_id.strip().isdigit():
        raise HttpStatus(404)
    return kind, int(raw_id)


def _binary(ctx: Context, *, download: bool) -> Any:
    kind, object_id = _media_target(ctx)
    media = find_media(ctx.conn, kind, object_id)
    if media is None:
        raise HttpStatus(404)
    params = ctx.params
    assert ctx.user is not None
    return serve_media(
        ctx.server, ctx.http, ctx.user, media,
        download=download,
        fmt=params.get("format"),
        bitrate=params.int("bitrate") or None,
        offset=float(params.int("offset")) if not download else 0.0,
        record_stats=params.get("stats") != "0",
        client=params.get("client") or "api",
    )


@action("stream")
def stream(ctx: Context) -> Any:
    return _binary(ctx, download=False)


@action("download", feature="download")
def download(ctx: Context) -> Any:
    return _binary(ctx, download=True)


ART_TYPES = ("song", "album", "artist", "playlist", "search", "smartlist", "podcast", "label",
             "live_stream", "user", "video")


@action("get_art")
def get_art(ctx: Context) -> Any:
    raw_id = _required(ctx, "id", "filter")
    kind = _required(ctx, "type").strip().lower()
    if kind not in ART_TYPES:
        raise BadRequest(kind, "type")
    if not raw_id.strip().isdigit():
        raise HttpStatus(404)
    source = find_art(ctx.conn, kind, int(raw_id))
    size = art.parse_size(ctx.params.get("size"), None)
    answer = serve_art(ctx.server, ctx.http, source, size) if source is not None else None
    if answer is None:
        if ctx.params.flag("fallback"):
            from ...media import PLACEHOLDER
            from ...stream import send_bytes

            return send_bytes(ctx.http, PLACEHOLDER, "image/png", etag="placeholder")
        raise HttpStatus(404)
    return answer
