"""Public share links (`/share.php?id=…&secret=…`, spec §6.9, §7): a page for anyone.

A minimal HTML page (no JavaScript) listing the shared songs with an HTML5 `<audio>` player,
and stream/download links that serve only songs inside the shared object. It works without
an account while the share is unexpired and under `max_counter`; each page view counts.
Any wrong id, secret, expiry or count answers the same bare 404. The lead mounts it with
`mount_share_links(app, server)` (app.py's make_app).
"""

from __future__ import annotations

import hmac
import html
import json
import sqlite3
import time
from typing import Any
from urllib.parse import urlencode

import bottle

from .api.actions.playlists import evaluate_smartlist, playlist_song_ids
from .api.library import album_song_ids, artist_song_ids
from .stream import FileGone, mime_for, send_file

NOT_FOUND_HEADERS = {"Content-Type": "text/plain; charset=UTF-8", "Cache-Control": "no-store"}


def _not_found() -> bottle.HTTPResponse:
    return bottle.HTTPResponse("Not Found\n", 404, NOT_FOUND_HEADERS)


def _usable(row: sqlite3.Row | None, secret: str, now: int, *, visit: bool) -> bool:
    """Right secret (constant time), unexpired, and (for a visit) under max_counter."""
    if row is None:
        return False
    if not hmac.compare_digest(row["secret"].encode(), secret.encode()):
        return False
    if row["expire_days"] and row["creation_date"] + row["expire_days"] * 86400 < now:
        return False
    limit = row["max_counter"]
    # A visit needs a count left; the page's own streams may use the visit that reached it.
    return not limit or (row["counter"] < limit if visit else row["counter"] <= limit)


def shared_song_ids(conn: sqlite3.Connection, share: sqlite3.Row) -> list[int]:
    """The songs inside the shared object, in its natural order: nothing outside it."""
    kind, oid = share["object_type"], share["object_id"]
    if kind == "song":
        found = conn.execute("SELECT 1 FROM song WHERE id = ? AND enabled = 1", (oid,)).fetchone()
        return [oid] if found else []
    if kind == "album":
        return album_song_ids(conn, [oid]).get(oid, [])
    if kind == "artist":
        return artist_song_ids(conn, [oid]).get(oid, [])
    if kind == "playlist":
        return playlist_song_ids(conn, oid)
    if kind == "search":
        # "my" rules are evaluated as the share's owner, who chose to share the list; the
        # page keeps one order even for a shuffled smartlist.
        return evaluate_smartlist(conn, oid, share["user_id"], random=False)
    return []


def _songs(conn: sqlite3.Connection, ids: list[int]) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT s.id, s.title, s.path, s.format, s.mime, s.time, ar.name AS artist"
        " FROM json_each(?) j JOIN song s ON s.id = j.value JOIN artist ar ON ar.id = s.artist_id"
        " ORDER BY j.key",
        (json.dumps(ids),),
    ).fetchall()


def _page(share: sqlite3.Row, songs: list[sqlite3.Row], secret: str) -> str:
    esc = html.escape
    title = esc(share["description"] or "Shared music")
    rows = []
    for song in songs:
        query = {"id": share["id"], "secret": secret, "song": song["id"]}
        stream_url = esc("share.php?" + urlencode(query))
        links = []
        if share["allow_stream"]:
            links.append(f'<audio controls preload="none" src="{stream_url}"></audio>')
        if share["allow_download"]:
            download = esc("share.php?" + urlencode({**query, "download": 1}))
            links.append(f'<a href="{download}" download>Download</a>')
        rows.append(
            f"<li><div class=\"title\">{esc(song['title'])}"
            f" <span class=\"artist\">{esc(song['artist'])}</span></div>"
            f"<div class=\"play\">{' '.join(links)}</div></li>"
        )
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{title}</title><style>{_STYLE}</style></head>\n"
        f"<body><main><h1>{title}</h1>\n<ol>\n"
        + "\n".join(rows)
        + "\n</ol>\n<p class=\"by\">Shared from ampmini</p></main></body></html>\n"
    )


# One column that reads on a phone: the title above its player, a quiet artist name.
_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:0;background:#f6f6f4;color:#222}"
    "main{max-width:40rem;margin:0 auto;padding:1.5rem 1rem}"
    "h1{font-size:1.5rem;margin:0 0 1rem}"
    "ol{padding-left:1.5rem;margin:0}"
    "li{padding:.6rem 0;border-bottom:1px solid #ddd}"
    ".title{font-weight:600;margin-bottom:.35rem}"
    ".artist{font-weight:400;color:#666;margin-left:.4rem}"
    ".play{display:flex;align-items:center;gap:.75rem}"
    "audio{flex:1;min-width:0;height:2.2rem}"
    ".by{color:#888;font-size:.8rem;margin-top:1.5rem}"
)


def _visit(db: Any, share_id: int, now: int) -> None:
    with db.writer() as conn:
        conn.execute(
            "UPDATE share SET counter = counter + 1, lastvisit_date = ? WHERE id = ?",
            (now, share_id),
        )


def share_response(server: Any, request: bottle.BaseRequest) -> Any:
    """Answer one `/share.php` request: the page, or one shared song's bytes."""
    query = request.query.decode("utf-8")
    raw_id, secret = (query.get("id") or "").strip(), query.get("secret") or ""
    if not raw_id.isdigit() or not secret or not server.config.features.share:
        return _not_found()  # switching shares off in the config closes every link at once
    db = server.db
    conn = db.reader()
    try:
        share = conn.execute("SELECT * FROM share WHERE id = ?", (int(raw_id),)).fetchone()
    except sqlite3.OperationalError:  # schema not migrated yet
        return _not_found()
    now = int(time.time())
    song_param = (query.get("song") or "").strip()
    if not _usable(share, secret, now, visit=not song_param):
        return _not_found()
    ids = shared_song_ids(conn, share)
    if not song_param:
        _visit(db, share["id"], now)
        body = _page(share, _songs(conn, ids), secret)
        return bottle.HTTPResponse(body, 200, {"Content-Type": "text/html; charset=UTF-8",
                                               "Cache-Control": "no-store",
                                               "X-Content-Type-Options": "nosniff"})
    download = query.get("download") == "1"
    allowed = share["allow_download"] if download else share["allow_stream"]
    if not song_param.isdigit() or int(song_param) not in ids or not allowed:
        return _not_found()
    song = _songs(conn, [int(song_param)])[0]
    name = f"{song['artist']} - {song['title']}.{song['format']}" if download else None
    try:
        return send_file(request, song["path"], song["mime"] or mime_for(song["format"]),
                         download_name=name)
    except FileGone:
        return _not_found()


def mount_share_links(app: bottle.Bottle, server: Any) -> None:
    """Add `GET /share.php` to the Bottle app (call from make_app with the dispatch Server)."""

    @app.route("/share.php", method=["GET", "HEAD"])
    def share_php() -> Any:
        return share_response(server, bottle.request)
