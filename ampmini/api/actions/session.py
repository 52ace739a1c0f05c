"""handshake, ping, goodbye: logging in, checking a session, logging out (spec §2)."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from typing import Any

from ...accounts import catalog_access, stream_token
from ..auth import (
    COMPATIBLE,
    SERVER_VERSION,
    api_echo,
    bearer_token,
    check_password_handshake,
    close_session,
    extend_session,
    open_session,
    parse_version,
    resolve_token,
    session_expiry,
)
from ..errors import BadRequest, InvalidHandshake
from ..listing import scope_clause, scoped
from ..registry import Context, action
from ..shapes import KeyValues, Success

# Handshake counters (spec §2.2). Tables added by later features are counted when they
# exist; a missing table counts 0 rather than failing the login.
COUNT_SQL: dict[str, str] = {
    "songs": "SELECT COUNT(*) FROM song WHERE enabled = 1",
    "albums": "SELECT COUNT(*) FROM album",
    "artists": "SELECT COUNT(*) FROM artist",
    "genres": "SELECT COUNT(*) FROM genre",
    "playlists": "SELECT COUNT(*) FROM playlist",
    "searches": "SELECT COUNT(*) FROM smartlist",
    "playlists_searches": "",  # playlists + searches
    "users": "SELECT COUNT(*) FROM user WHERE disabled = 0",
    "catalogs": "SELECT COUNT(*) FROM catalog WHERE enabled = 1",
    "videos": "SELECT COUNT(*) FROM video",
    "podcasts": "SELECT COUNT(*) FROM podcast",
    "podcast_episodes": "SELECT COUNT(*) FROM podcast_episode",
    "shares": "SELECT COUNT(*) FROM share",
    "licenses": "SELECT COUNT(*) FROM license",
    "live_streams": "SELECT COUNT(*) FROM live_stream",
    "labels": "SELECT COUNT(*) FROM label",
}
MAX_SQL: dict[str, str] = {
    "max_song": "SELECT MAX(id) FROM song",
    "max_album": "SELECT MAX(id) FROM album",
    "max_artist": "SELECT MAX(id) FROM artist",
    "max_video": "SELECT MAX(id) FROM video",
    "max_podcast": "SELECT MAX(id) FROM podcast",
    "max_podcast_episode": "SELECT MAX(id) FROM podcast_episode",
}


# The same counters for a catalog-restricted user (issue 9): only what they may see.
SCOPED_COUNT: dict[str, tuple[str, str]] = {  # key → (table, SELECT … FROM <table> alias t)
    "songs": ("song", "SELECT COUNT(*) FROM song t WHERE t.enabled = 1"),
    "albums": ("album", "SELECT COUNT(*) FROM album t WHERE 1"),
    "artists": ("artist", "SELECT COUNT(*) FROM artist t WHERE 1"),
    "genres": ("genre", "SELECT COUNT(*) FROM genre t WHERE 1"),
    "catalogs": ("catalog", "SELECT COUNT(*) FROM catalog t WHERE t.enabled = 1"),
}


def _scoped_counts(conn: sqlite3.Connection, user: sqlite3.Row) -> dict[str, int]:
    with scoped(catalog_access(conn, user)):
        found = {key: scope_clause(table, "t") for key, (table, _) in SCOPED_COUNT.items()}
    counts = {}
    for key, clause in found.items():
        if clause is not None:
            sql = f"{SCOPED_COUNT[key][1]} AND {clause[0]}"  # literals from SCOPED_COUNT
            counts[key] = int(conn.execute(sql, clause[1]).fetchone()[0])
    return counts


def iso(epoch: int) -> str:
    """ISO-8601 with offset (Decision 13: Amperfy parses session_expire as a date)."""
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def _scalar(conn: sqlite3.Connection, sql: str) -> int:
    try:
        value = conn.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:  # the feature's table does not exist yet
        return 0
    return int(value or 0)


def server_details(ctx: Context, token: str, expire: int) -> dict[str, Any]:
    """The handshake document's keys after `session_expire`, in Ampache's order."""
    conn = ctx.conn
    assert ctx.user is not None
    state = dict(conn.execute("SELECT key, value FROM library_state").fetchall())
    details: dict[str, Any] = {"auth": token}
    if ctx.api >= 6:
        details["streamtoken"] = stream_token(ctx.db, ctx.user)
    details["api"] = api_echo(ctx.api, ctx.numeric_version)
    details["session_expire"] = iso(expire)
    details["update"] = iso(state.get("update", 0))
    details["add"] = iso(state.get("add", 0))
    details["clean"] = iso(state.get("clean", 0))
    if ctx.api >= 6:
        for key, sql in MAX_SQL.items():
            details[key] = _scalar(conn, sql)
    counts = {key: _scalar(conn, sql) for key, sql in COUNT_SQL.items() if sql}
    if ctx.user["catalog_limited"]:
        counts.update(_scoped_counts(conn, ctx.user))
    counts["playlists_searches"] = counts["playlists"] + counts["searches"]
    for key in COUNT_SQL:
        details[key] = counts[key]
    if ctx.api >= 6:
        details["username"] = ctx.user["username"]
    return details


def _login(ctx: Context, now: int) -> sqlite3.Row:
    params = ctx.params
    auth = params.get("auth") or bearer_token(ctx.headers) or ""
    username = params.get("user")
    if not auth:
        raise InvalidHandshake("Received Invalid Handshake - Incorrect username or password")
    if username:
        existing = resolve_token(ctx.conn, auth, {}, now)  # a live session re-used
        if existing is not None and existing.session:
            ctx.session = existing.session
            return existing.user
        return check_password_handshake(ctx.conn, username, auth, params.get("timestamp"), now)
    found = resolve_token(ctx.conn, auth, ctx.config.apikeys, now)
    if found is None:
        raise InvalidHandshake("Received Invalid Handshake - Incorrect username or password")
    if found.session:
        ctx.session = found.session
    return found.user


@action("handshake", public=True)
def handshake(ctx: Context) -> KeyValues:
    now = int(time.time())
    limiter = ctx.services["limiter"]
    delay = limiter.delay_for(ctx.ip)
    try:
        user = _login(ctx, now)
        if user["disabled"]:
            raise InvalidHandshake("Received Invalid Handshake - Incorrect username or password")
    except InvalidHandshake:
        limiter.failed(ctx.ip)
        if delay:
            time.sleep(delay)
        raise
    ctx.user = user
    length = ctx.config.server.session_length
    if ctx.session:
        expire = extend_session(ctx.db, ctx.session, length, now, api_version=ctx.api)
    else:
        agent = ctx.params.get("client")
        ctx.session, expire = open_session(ctx.db, user["id"], ctx.api, agent, length, now)
    return KeyValues(server_details(ctx, ctx.session, expire))


@action("ping", public=True)
def ping(ctx: Context) -> KeyValues:
    values: dict[str, Any] = {}
    version = api_echo(ctx.api, ctx.numeric_version)
    if ctx.user is None:
        return KeyValues({"server": SERVER_VERSION, "version": version, "compatible": COMPATIBLE})
    now = int(time.time())
    length = ctx.config.server.session_length
    requested = ctx.params.get("version")
    switch = parse_version(requested).major if requested else None
    if ctx.session is None:
        # Bearer key + ping behaves like a handshake (spec §2.3).
        ctx.session, expire = open_session(ctx.db, ctx.user_id, ctx.api, None, length, now)
    else:
        expire = extend_session(ctx.db, ctx.session, length, now, api_version=switch)
    values["session_expire"] = iso(expire)
    values.update({"server": SERVER_VERSION, "version": version, "compatible": COMPATIBLE})
    details = server_details(ctx, ctx.session, expire)
    details.pop("session_expire")
    values.update(details)
    return KeyValues(values)


@action("goodbye")
def goodbye(ctx: Context) -> Success:
    token = ctx.params.get("auth") or ctx.session or ""
    if not token or session_expiry(ctx.conn, token) is None:
        raise BadRequest(token, "account")
    close_session(ctx.db, token)
    return Success(token)
