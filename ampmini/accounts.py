"""User accounts: create, edit, delete, passwords, keys and tokens; shared by the CLI and the API.

Every rule about accounts lives here so `ampmini adduser` and `user_create` cannot disagree:
names are unique case-insensitively (spec Decision 12), the last enabled admin can be neither
removed nor disabled, nobody deletes or disables their own account, a new password or a
disabled account ends the user's sessions and replaces their stream token at once.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .config import generate_apikey, set_apikey
from .db import Database

NAME_MAX = 128
LEVELS = {"guest": 5, "user": 25, "content_manager": 50, "catalog_manager": 75, "admin": 100}
ADMIN = 100
_EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[^@\s<>\"']+\.[^@\s<>\"'.]{2,}$")
_TEXT_MAX = 255
_DIGEST = re.compile(r"^[0-9a-fA-F]{64}$")


class AccountError(ValueError):
    """A refused account change, with a message fit for an admin; `param` names the input."""

    def __init__(self, message: str, param: str = "system") -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True, slots=True)
class UserInfo:
    id: int
    username: str
    access: int
    disabled: bool
    email: str


@dataclass(frozen=True, slots=True)
class UserChanges:
    """What `edit_user` may change; None = leave as it is."""

    password: str | None = None
    fullname: str | None = None
    email: str | None = None
    website: str | None = None
    state: str | None = None
    city: str | None = None
    disabled: bool | None = None
    maxbitrate: int | None = None
    fullname_public: bool | None = None
    reset_streamtoken: bool = False
    clear_stats: bool = False
    password_prehashed: bool = False  # `password` already is sha256 hex (see is_digest)
    catalogs: str | None = None  # "1,2" or "all" (parse_catalog_list); None = unchanged


def password_digest(password: str) -> str:
    """sha256 hex of the password: the only form the handshake protocol can verify."""
    return hashlib.sha256(password.encode("utf-8")).hexdigest()


def is_digest(value: str) -> bool:
    """True for 64 hex digits: Ampache clients send sha256(password) to user_create,
    user_edit and register (the `ampache` library always does); anything else is taken as
    the password itself."""
    return bool(_DIGEST.match(value))


def new_token() -> str:
    """A random 32-hex token (sessions, stream tokens, API keys)."""
    return secrets.token_hex(16)


def check_username(username: str) -> str:
    """1–128 printable characters, no surrounding blanks (they end up in URLs and logs)."""
    if (
        not username
        or len(username) > NAME_MAX
        or not username.isprintable()
        or username != username.strip()
    ):
        raise AccountError(
            f"invalid user name {username!r}: 1-{NAME_MAX} printable characters", "username"
        )
    return username


def check_email(email: str, *, required: bool = False) -> str:
    email = email.strip()
    if (email or required) and not _EMAIL.match(email):
        raise AccountError(f"invalid e-mail address {email!r}", "email")
    return email


def _check_text(value: str | None, name: str) -> str | None:
    if value is not None and (len(value) > _TEXT_MAX or not value.isprintable()):
        raise AccountError(f"{name}: at most {_TEXT_MAX} printable characters", name)
    return value


def find_user(conn: sqlite3.Connection, name_or_id: str) -> sqlite3.Row | None:
    """A user by name (case-insensitive, spec Decision 12) or by numeric id."""
    row = conn.execute("SELECT * FROM user WHERE username = ? COLLATE NOCASE", (name_or_id,))
    found = row.fetchone()
    if found is None and name_or_id.isdigit():
        found = conn.execute("SELECT * FROM user WHERE id = ?", (int(name_or_id),)).fetchone()
    return found


def _require(conn: sqlite3.Connection, name_or_id: str) -> sqlite3.Row:
    row = find_user(conn, name_or_id)
    if row is None:
        raise AccountError(f"no user {name_or_id!r}", "username")
    return row


def add_user(
    db: Database,
    username: str,
    password: str,
    *,
    access: int = 25,
    email: str = "",
    fullname: str = "",
    disabled: bool = False,
    email_required: bool = False,
    prehashed: bool = False,
    catalogs: Sequence[int] | None = None,
) -> int:
    """Create a user; returns its id. AccountError (with `param`) when refused.

    `prehashed`: `password` already is sha256 hex (see is_digest).
    """
    check_username(username)
    email = check_email(email, required=email_required)
    _check_text(fullname, "fullname")
    if not password:
        raise AccountError("the password must not be empty", "password")
    if not 0 <= access <= ADMIN:
        raise AccountError(f"invalid access level {access}: use 0-100", "access")
    with db.writer() as conn:
        clash = conn.execute(
            "SELECT username FROM user WHERE username = ? COLLATE NOCASE", (username,)
        ).fetchone()
        if clash is not None:
            raise AccountError(f"user {clash['username']!r} already exists", "username")
        cur = conn.execute(
            "INSERT INTO user (username, password_sha256, access, email, fullname, disabled,"
            " streamtoken, create_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (username, password.lower() if prehashed else password_digest(password),
             access, email, fullname or "",
             int(disabled), new_token(), int(time.time())),
        )
        user_id = int(cur.lastrowid or 0)
        if catalogs is not None:
            set_catalog_access(conn, user_id, catalogs)
        return user_id


def _admins_left(conn: sqlite3.Connection, excluding: int) -> int:
    return conn.execute(
        "SELECT COUNT(*) FROM user WHERE access >= 100 AND disabled = 0 AND id != ?",
        (excluding,),
    ).fetchone()[0]


def _is_last_admin(conn: sqlite3.Connection, row: sqlite3.Row) -> bool:
    return row["access"] >= ADMIN and not row["disabled"] and _admins_left(conn, row["id"]) == 0


def check_delete(conn: sqlite3.Connection, row: sqlite3.Row, actor_id: int | None) -> None:
    """Refuse deleting oneself or the last admin (before anything else is touched)."""
    if actor_id is not None and row["id"] == actor_id:
        raise AccountError("you cannot delete your own account")
    if _is_last_admin(conn, row):
        raise AccountError("refusing to delete the last admin")


def _table_columns(conn: sqlite3.Connection, table: str) -> set[str]:
    # table names below are literals of this module, never input.
    return {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}


def _drop_owned(conn: sqlite3.Connection, user_id: int, new_owner: int | None) -> None:
    """Private data of a deleted user; public playlists go to `new_owner` (the admin).

    Tables of later features are handled when they exist, so this works at any schema stage.
    """
    conn.execute("DELETE FROM preference_value WHERE user_id = ?", (user_id,))
    for table in ("playlist", "smartlist"):
        if {"user_id", "type"} <= _table_columns(conn, table) and new_owner is not None:
            conn.execute(
                f"UPDATE {table} SET user_id = ? WHERE user_id = ? AND type = 'public'",  # noqa: S608
                (new_owner, user_id),
            )
    for table in ("playlist", "smartlist", "bookmark", "share"):
        if "user_id" in _table_columns(conn, table):
            conn.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))  # noqa: S608


def delete_user(
    db: Database, username: str, *, actor_id: int | None = None, new_owner: int | None = None
) -> str:
    """Delete a user and their private data (plays stay counted); returns the stored name.

    Sessions, ratings, flags, plays, follows, shouts and activity go by ON DELETE CASCADE;
    play_count totals are kept, so songs keep their play counts.
    """
    with db.writer() as conn:
        row = _require(conn, username)
        check_delete(conn, row, actor_id)
        if new_owner is None:
            admin = conn.execute(
                "SELECT id FROM user WHERE access >= 100 AND id != ? ORDER BY id LIMIT 1",
                (row["id"],),
            ).fetchone()
            new_owner = admin[0] if admin else None
        _drop_owned(conn, row["id"], new_owner)
        conn.execute("DELETE FROM user WHERE id = ?", (row["id"],))
        return str(row["username"])


def set_password(
    db: Database, username: str, password: str, *, keep_session: str | None = None
) -> None:
    if not password:
        raise AccountError("the password must not be empty", "password")
    with db.writer() as conn:
        row = _require(conn, username)
        conn.execute(
            "UPDATE user SET password_sha256 = ? WHERE id = ?",
            (password_digest(password), row["id"]),
        )
        _end_sessions(conn, row["id"], keep=keep_session)


def _end_sessions(conn: sqlite3.Connection, user_id: int, keep: str | None = None) -> None:
    conn.execute(
        "DELETE FROM session WHERE user_id = ? AND token IS NOT ?", (user_id, keep)
    )


def _digest_of(changes: UserChanges) -> str | None:
    if changes.password is None:
        return None
    if changes.password_prehashed:
        return changes.password.lower()
    return password_digest(changes.password)


def _clear_stats(conn: sqlite3.Connection, user_id: int) -> None:
    """Forget the user's play history: their plays leave the per-object totals too."""
    conn.execute(
        "UPDATE play_count SET"
        " plays = MAX(0, plays - (SELECT COUNT(*) FROM play p WHERE p.user_id = ?1"
        "   AND p.kind = 'play' AND p.object_type = play_count.object_type"
        "   AND p.object_id = play_count.object_id)),"
        " skips = MAX(0, skips - (SELECT COUNT(*) FROM play p WHERE p.user_id = ?1"
        "   AND p.kind = 'skip' AND p.object_type = play_count.object_type"
        "   AND p.object_id = play_count.object_id))"
        " WHERE EXISTS (SELECT 1 FROM play p WHERE p.user_id = ?1"
        "   AND p.object_type = play_count.object_type AND p.object_id = play_count.object_id)",
        (user_id,),
    )
    conn.execute("DELETE FROM play WHERE user_id = ?", (user_id,))
    conn.execute("DELETE FROM activity WHERE user_id = ?", (user_id,))


def edit_user(
    db: Database,
    username: str,
    changes: UserChanges,
    *,
    actor_id: int | None = None,
    keep_session: str | None = None,
    before_commit: Callable[[sqlite3.Row], None] | None = None,
) -> str:
    """Apply `changes` to a user in one transaction; returns the stored name.

    `before_commit(row)` runs last inside the transaction (the API writes a new API key to the
    config file there): if it raises, nothing of the edit is kept.
    """
    email = None if changes.email is None else check_email(changes.email)
    for name in ("fullname", "website", "state", "city"):
        _check_text(getattr(changes, name), name)
    if changes.password is not None and not changes.password:
        raise AccountError("the password must not be empty", "password")
    if changes.maxbitrate is not None and changes.maxbitrate < 0:
        raise AccountError(f"invalid maxbitrate {changes.maxbitrate}", "maxbitrate")
    catalogs = None if changes.catalogs is None else parse_catalog_list(changes.catalogs)
    with db.writer() as conn:
        row = _require(conn, username)
        user_id = row["id"]
        disabling = changes.disabled is True and not row["disabled"]
        if disabling and actor_id == user_id:
            raise AccountError("you cannot disable your own account")
        if disabling and _is_last_admin(conn, row):
            raise AccountError("refusing to disable the last admin")
        columns: dict[str, object] = {
            "fullname": changes.fullname,
            "email": email,
            "website": changes.website,
            "state": changes.state,
            "city": changes.city,
            "maxbitrate": changes.maxbitrate,
            "disabled": None if changes.disabled is None else int(changes.disabled),
            "fullname_public": (
                None if changes.fullname_public is None else int(changes.fullname_public)
            ),
            "password_sha256": _digest_of(changes),
        }
        # A disabled account's play links must stop working too (they carry the token).
        if changes.reset_streamtoken or disabling:
            columns["streamtoken"] = new_token()
        updates = {k: v for k, v in columns.items() if v is not None}
        if updates:
            # Column names are the literal keys above, never input.
            assignments = ", ".join(f"{name} = ?" for name in updates)
            conn.execute(
                f"UPDATE user SET {assignments} WHERE id = ?",  # noqa: S608
                (*updates.values(), user_id),
            )
        if disabling or changes.password is not None:
            _end_sessions(conn, user_id, keep=None if disabling else keep_session)
        if changes.clear_stats:
            _clear_stats(conn, user_id)
        if changes.catalogs is not None:
            set_catalog_access(conn, user_id, catalogs)
        if before_commit is not None:
            before_commit(row)
        return str(row["username"])


def reset_apikey(config_path: Path | None, username: str) -> str:
    """A new API key for `username`, written into the config file's [apikeys]; returns it.

    Raises config.ConfigError (nothing written) when there is no file or it cannot be written.
    The caller reloads its ConfigHolder so a running server uses the key at once.
    """
    from .config import ConfigError

    if config_path is None:
        raise ConfigError("API keys live in the config file, and the server runs without one")
    key = generate_apikey()
    set_apikey(config_path, username, key)
    return key


def remove_apikey(config_path: Path | None, username: str, apikeys: object) -> None:
    """Drop `username` from [apikeys] when it has a key there."""
    if config_path is not None and username in apikeys:  # type: ignore[operator]
        set_apikey(config_path, username, None)


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


# ------------------------------------------------------------------ catalog access (issue 9)


def catalog_access(conn: sqlite3.Connection, user: sqlite3.Row) -> tuple[int, ...] | None:
    """The catalogs `user` may see, or None for all (no query for unrestricted users)."""
    if not user["catalog_limited"]:
        return None
    rows = conn.execute(
        "SELECT catalog_id FROM user_catalog WHERE user_id = ? ORDER BY catalog_id", (user["id"],)
    )
    return tuple(int(r[0]) for r in rows)


def parse_catalog_list(text: str) -> list[int] | None:
    """`1,2` → [1, 2]; `all`, `0`, `-1` or empty → None (every catalog)."""
    text = text.strip().lower()
    if text in ("", "all", "0", "-1"):
        return None
    ids: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit() or int(part) <= 0:
            raise AccountError(f"invalid catalog list {text!r}: use ids like 1,2 or all", "group")
        ids.append(int(part))
    return sorted(set(ids))


def set_catalog_access(
    conn: sqlite3.Connection, user_id: int, catalogs: Sequence[int] | None
) -> None:
    """Limit a user to `catalogs` (None = every catalog), inside the caller's transaction."""
    if catalogs is not None:
        known = {r[0] for r in conn.execute("SELECT id FROM catalog")}
        missing = [c for c in catalogs if c not in known]
        if missing:
            raise AccountError(f"no catalog {missing[0]}", "group")
    conn.execute("DELETE FROM user_catalog WHERE user_id = ?", (user_id,))
    if catalogs is not None:
        conn.executemany(
            "INSERT INTO user_catalog (user_id, catalog_id) VALUES (?, ?)",
            [(user_id, c) for c in catalogs],
        )
    conn.execute(
        "UPDATE user SET catalog_limited = ? WHERE id = ?", (int(catalogs is not None), user_id)
    )
