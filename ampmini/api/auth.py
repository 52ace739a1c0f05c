"""Credentials and sessions: handshake checks, token lookup, session lifetime, login limiter."""

from __future__ import annotations

import hashlib
import hmac
import sqlite3
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

from ..accounts import new_token
from ..db import Database
from .errors import AccessDenied, InvalidHandshake

SERVER_VERSION = "7.9.4"  # the Ampache release whose behaviour ampmini mirrors (Decision 3)
COMPATIBLE = "350001"
API_VERSIONS = {6: ("6.9.1", "691014"), 5: ("5.5.6", "556000")}
TIMESTAMP_WINDOW = 1800  # seconds either side of server time (spec §2.2)
# Sessions are written back at most this often: every request would otherwise cost an SD
# card write, and a session lasting 3600 s loses nothing by being renewed every 5 minutes.
EXTEND_GRANULARITY = 300


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two secrets."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


@dataclass(frozen=True, slots=True)
class RequestedVersion:
    major: int  # 5 or 6 after mapping 7/8 → 6
    numeric: bool  # a numeric build like 680001 was sent


def bearer_token(headers: Mapping[str, str]) -> str | None:
    """`Authorization: Bearer <token>` (or 6.9.2's `ApiKey <token>`)."""
    value = headers.get("Authorization") or headers.get("authorization") or ""
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() in ("bearer", "apikey") and token.strip():
        return token.strip()
    return None


def parse_version(text: str | None) -> RequestedVersion:
    """Map what clients send (Decision 3) to the API major answered; 3/4 are refused."""
    raw = (text or "").strip()
    if not raw:
        return RequestedVersion(6, False)
    numeric = raw.isdigit() and int(raw) >= 350001
    first = raw[0]
    if not first.isdigit():
        return RequestedVersion(6, False)
    major = int(first)
    if major in (3, 4):
        raise AccessDenied(
            f"Access Denied: API {major} is not supported; use API 5 or API 6", "version"
        )
    if major in (5, 6):
        return RequestedVersion(major, numeric)
    return RequestedVersion(6, numeric)  # 7.x/8.x clients get API6 (Decision 3)


def api_echo(major: int, numeric: bool) -> str:
    dotted, number = API_VERSIONS[major]
    return number if numeric else dotted


class LoginLimiter:
    """Slows down repeated *failed* logins per client address (Decisions 7 and 11).

    A refused attempt waits before answering 4701 instead of a 429: the answer stays an
    Ampache document, and correct logins are never counted, so a household behind one
    NAT address is not locked out by a client that logs in on every page view.
    """

    def __init__(self, free_failures: int = 5, window: float = 300.0, max_delay: float = 3.0):
        self.free_failures = free_failures
        self.window = window
        self.max_delay = max_delay
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def delay_for(self, ip: str) -> float:
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._failures.get(ip, []) if now - t < self.window]
            self._failures[ip] = recent
            excess = len(recent) - self.free_failures
        return 0.0 if excess < 0 else min(self.max_delay, 0.25 * 2**excess)

    def failed(self, ip: str) -> None:
        with self._lock:
            self._failures.setdefault(ip, []).append(time.monotonic())
            if len(self._failures) > 10_000:  # bound memory under a spray of addresses
                self._failures.clear()


@dataclass(frozen=True, slots=True)
class Credential:
    """Who a token belongs to, and the API session it is (None for an API key)."""

    user: sqlite3.Row
    session: str | None
    api_version: int | None  # the session's stored major


def _user_by_id(conn: sqlite3.Connection, user_id: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM user WHERE id = ?", (user_id,)).fetchone()


def _user_by_name(conn: sqlite3.Connection, name: str) -> sqlite3.Row | None:
    return conn.execute(
        "SELECT * FROM user WHERE username = ? COLLATE NOCASE", (name,)
    ).fetchone()


def resolve_token(
    conn: sqlite3.Connection, token: str, apikeys: Mapping[str, str], now: int
) -> Credential | None:
    """findByApiKey order (spec §2.1): raw API key → live session → sha256(user+sha256(key))."""
    if not token:
        return None
    for username, key in apikeys.items():
        if key and same(token, key):
            user = _user_by_name(conn, username)
            return Credential(user, None, None) if user is not None else None
    if len(token) == 32:
        row = conn.execute(
            "SELECT user_id, api_version, expire FROM session WHERE token = ? AND kind = 'api'",
            (token,),
        ).fetchone()
        if row is not None and row["expire"] > now:
            user = _user_by_id(conn, row["user_id"])
            if user is not None:
                return Credential(user, token, row["api_version"])
    if len(token) == 64:
        for username, key in apikeys.items():
            if key and same(token, sha256_hex(username + sha256_hex(key))):
                user = _user_by_name(conn, username)
                return Credential(user, None, None) if user is not None else None
    return None


def check_password_handshake(
    conn: sqlite3.Connection, username: str, auth: str, timestamp: str | None, now: int
) -> sqlite3.Row:
    """auth = sha256(timestamp + sha256(password)), timestamp within ±1800 s."""
    stamp_text = (timestamp or "").strip()
    stamp = int(stamp_text) if stamp_text.isdigit() else now
    if not now - TIMESTAMP_WINDOW <= stamp <= now + TIMESTAMP_WINDOW:
        raise InvalidHandshake(
            "Received Invalid Handshake - Login failed, timestamp is out of range "
            f"(timestamp: {stamp} Server: {now})"
        )
    user = _user_by_name(conn, username)
    # The digest is computed even for an unknown user so timing does not reveal names.
    stored = user["password_sha256"] if user is not None else "0" * 64
    expected = sha256_hex(f"{stamp_text or stamp}{stored}")
    if user is None or not same(auth.lower(), expected):
        raise InvalidHandshake("Received Invalid Handshake - Incorrect username or password")
    return user


def open_session(
    db: Database, user_id: int, api_version: int, agent: str | None, length: int, now: int
) -> tuple[str, int]:
    token = new_token()
    expire = now + length
    with db.writer() as conn:
        conn.execute(
            "INSERT INTO session (token, user_id, kind, api_version, agent, created, expire)"
            " VALUES (?, ?, 'api', ?, ?, ?, ?)",
            (token, user_id, api_version, (agent or "")[:255], now, expire),
        )
        # Expired sessions are swept here, where a write happens anyway.
        conn.execute("DELETE FROM session WHERE expire < ?", (now - 86400,))
        conn.execute("UPDATE user SET last_seen = ? WHERE id = ?", (now, user_id))
    return token, expire


def session_expiry(conn: sqlite3.Connection, token: str) -> int | None:
    row = conn.execute("SELECT expire FROM session WHERE token = ?", (token,)).fetchone()
    return None if row is None else int(row[0])


def extend_session(
    db: Database, token: str, length: int, now: int, *, api_version: int | None = None
) -> int:
    """Push the session's expiry to now+length (written only when it moved enough)."""
    current = session_expiry(db.reader(), token)
    target = now + length
    if current is None:
        return target
    if api_version is None and target - current < EXTEND_GRANULARITY:
        return current
    with db.writer() as conn:
        if api_version is None:
            conn.execute("UPDATE session SET expire = ? WHERE token = ?", (target, token))
        else:
            conn.execute(
                "UPDATE session SET expire = ?, api_version = ? WHERE token = ?",
                (target, api_version, token),
            )
    return target


def close_session(db: Database, token: str) -> bool:
    with db.writer() as conn:
        return conn.execute("DELETE FROM session WHERE token = ?", (token,)).rowcount > 0
