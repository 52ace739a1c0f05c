"""User accounts: create, delete, change password, list; shared by the CLI and the API."""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
import time
from dataclasses import dataclass

from .db import Database

# Letters, digits and a few separators: names end up in play URLs and log lines.
_VALID_NAME = re.compile(r"^[\w.@+-]{1,64}$")
LEVELS = {"guest": 5, "user": 25, "content_manager": 50, "catalog_manager": 75, "admin": 100}


class AccountError(ValueError):
    """A refused account change, with a message fit for an admin."""


@dataclass(frozen=True, slots=True)
class UserInfo:
    id: int
    username: str
    access: int
    disabled: bool
    email: str


def password_digest(password: str) -> str:
    """sha256 hex of the password: the only form the handshake protocol can verify."""
    return hashlib.sha256(password.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A random 32-hex token (sessions, stream tokens, API keys)."""
    return secrets.token_hex(16)


def find_user(conn: sqlite3.Connection, name_or_id: str) -> sqlite3.Row | None:
    """A user by name (case-insensitive, spec Decision 12) or by numeric id."""
    row = conn.execute("SELECT * FROM user WHERE username = ? COLLATE NOCASE", (name_or_id,))
    found = row.fetchone()
    if found is None and name_or_id.isdigit():
        found = conn.execute("SELECT * FROM user WHERE id = ?", (int(name_or_id),)).fetchone()
    return found


def add_user(
    db: Database,
    username: str,
    password: str,
    *,
    access: int = 25,
    email: str = "",
    fullname: str = "",
    disabled: bool = False,
) -> int:
    if not _VALID_NAME.match(username):
        raise AccountError(f"invalid user name {username!r}: use letters, digits and . _ - @ +")
    if not password:
        raise AccountError("the password must not be empty")
    if not 0 <= access <= 100:
        raise AccountError(f"invalid access level {access}: use 0-100")
    with db.writer() as conn:
        clash = conn.execute(
            "SELECT username FROM user WHERE username = ? COLLATE NOCASE", (username,)
        ).fetchone()
        if clash is not None:
            raise AccountError(f"user {clash['username']!r} already exists")
        cur = conn.execute(
            "INSERT INTO user (username, password_sha256, access, email, fullname, disabled,"
            " streamtoken, create_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (username, password_digest(password), access, email, fullname, int(disabled),
             new_token(), int(time.time())),
        )
        return int(cur.lastrowid or 0)


def _admins_left(conn: sqlite3.Connection, excluding: int) -> int:
    return conn.execute(
        "SELECT COUNT(*) FROM user WHERE access >= 100 AND disabled = 0 AND id != ?",
        (excluding,),
    ).fetchone()[0]


def delete_user(db: Database, username: str) -> None:
    with db.writer() as conn:
        row = find_user(conn, username)
        if row is None:
            raise AccountError(f"no user {username!r}")
        if row["access"] >= 100 and not row["disabled"] and _admins_left(conn, row["id"]) == 0:
            raise AccountError("refusing to delete the last admin")
        conn.execute("DELETE FROM user WHERE id = ?", (row["id"],))


def set_password(db: Database, username: str, password: str) -> None:
    if not password:
        raise AccountError("the password must not be empty")
    with db.writer() as conn:
        row = find_user(conn, username)
        if row is None:
            raise AccountError(f"no user {username!r}")
        conn.execute(
            "UPDATE user SET password_sha256 = ? WHERE id = ?",
            (password_digest(password), row["id"]),
        )
        # A new password ends every session opened with the old one.
        conn.execute("DELETE FROM session WHERE user_id = ?", (row["id"],))


def list_users(db: Database) -> list[UserInfo]:
    rows = db.reader().execute(
        "SELECT id, username, access, disabled, email FROM user ORDER BY id"
    )
    return [
        UserInfo(r["id"], r["username"], r["access"], bool(r["disabled"]), r["email"])
        for r in rows
    ]


def stream_token(db: Database, user: sqlite3.Row) -> str:
    """The user's permanent stream token (Decision 5), created on first use."""
    token = user["streamtoken"]
    if token:
        return str(token)
    token = new_token()
    with db.writer() as conn:
        conn.execute(
            "UPDATE user SET streamtoken = COALESCE(streamtoken, ?) WHERE id = ?",
            (token, user["id"]),
        )
        stored = conn.execute(
            "SELECT streamtoken FROM user WHERE id = ?", (user["id"],)
        ).fetchone()
    return str(stored[0])
