"""Accounts over the API: user, users, user_create/edit/delete, register (spec §6.13, §8.7, §2.9).

Every change goes through `ampmini.accounts`, the code `ampmini adduser/deluser/passwd` use.
API keys live in the config file's [apikeys]: a key reset rewrites that file (atomically,
comments kept) and reloads the running server's config at once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from ...accounts import (
    ADMIN,
    AccountError,
    UserChanges,
    add_user,
    check_delete,
    delete_user,
    edit_user,
    find_user,
    is_digest,
    parse_catalog_list,
    remove_apikey,
    reset_apikey,
)
from ...config import ConfigError
from ..errors import BadRequest, FeatureDisabled, NotFound
from ..listing import ids_md5, paginate
from ..objects.users import USER_BRIEF, USER_FULL, USER_PUBLIC
from ..registry import Context, Level, action
from ..shapes import ObjectList, Single, Success

NEW_USER_LEVEL = 25  # spec §6.13: user_create makes a level-25 user


def user_item(ctx: Context, row: sqlite3.Row, *, full: bool) -> dict[str, Any]:
    """A user object; `full` adds the private fields (caller itself, or an admin)."""
    user_id = row["id"]
    apikey = ctx.config.apikeys.get(row["username"]) if full else None
    public = bool(row["fullname_public"])
    return {
        "id": user_id,
        "username": row["username"],
        "auth": apikey,
        "email": row["email"],
        "access": row["access"],
        "streamtoken": row["streamtoken"],
        "fullname_public": public,
        "validation": None,
        "disabled": bool(row["disabled"]),
        "create_date": row["create_date"],
        "last_seen": row["last_seen"],
        "link": f"{ctx.base_url}/stats.php?action=show_user&user_id={user_id}",
        "website": row["website"],
        "state": row["state"],
        "city": row["city"],
        "art": f"{ctx.base_url}/image.php?action=show_user_avatar&object_id={user_id}"
        "&object_type=user&name=art.jpg",
        "has_art": False,
        # §8.7: XML shows the full name to its owner and admins, JSON only when it is public.
        "fullname": row["fullname"] if public or full else None,
        "fullname_public_text": row["fullname"] if public else None,
    }


def user_list(rows: list[sqlite3.Row], ctx: Context) -> ObjectList:
    """`{"user": [{id, username}]}`; an empty answer keeps the envelope, as Ampache's does."""
    page = paginate([r["id"] for r in rows], ctx.params.paging())
    wanted = set(page.page_ids)
    items = [{"id": r["id"], "username": r["username"]} for r in rows if r["id"] in wanted]
    # Only `users` is wrapped in API5 (it sets that itself); followers/following are not.
    return ObjectList(USER_BRIEF, items, page.total, ids_md5(page.page_ids) if items else "",
                      envelope=not items)


def _bad(err: AccountError, values: dict[str, str]) -> BadRequest:
    """4710 with errorType = the offending input; the message names its value (§4.1)."""
    if err.param in values:
        return BadRequest(values[err.param], err.param)
    return BadRequest(str(err), "system")


def _reload_config(ctx: Context) -> None:
    holder = ctx.services.get("config_source")
    if holder is not None and hasattr(holder, "reload"):
        holder.reload()


@action("user")
def user(ctx: Context) -> Single:
    wanted = ctx.params.get("username", "filter")
    row = find_user(ctx.conn, wanted) if wanted else ctx.user
    if row is None:
        raise NotFound(wanted, "username")
    full = ctx.is_admin or row["id"] == ctx.user_id
    shape = USER_FULL if full else USER_PUBLIC
    return Single(shape, user_item(ctx, row, full=full), envelope=False)


@action("users")
def users(ctx: Context) -> ObjectList:
    rows = ctx.conn.execute(
        "SELECT id, username FROM user WHERE disabled = 0 ORDER BY id"
    ).fetchall()
    answer = user_list(rows, ctx)
    answer.json_wrap_api5 = True  # API5 `users` is `[{"user": […]}]` (api5 example)
    return answer


@action("user_create", level=Level.ADMIN, aliases=("users_create",))
def user_create(ctx: Context) -> Success:
    params = ctx.params
    username = params.required("username")
    password = params.required("password")
    email = params.required("email")
    try:
        add_user(
            ctx.db, username, password,
            access=NEW_USER_LEVEL, email=email, fullname=params.text("fullname"),
            disabled=params.flag("disable"), email_required=True,
            prehashed=is_digest(password), catalogs=_group(ctx),
        )
    except AccountError as err:
        raise _bad(err, {"username": username, "email": email}) from None
    return Success(f"successfully created: {username}")


def _group(ctx: Context) -> list[int] | None:
    """`group`: in Ampache a catalog filter group id; ampmini takes the catalog ids themselves
    (`3` or `1,2`; `all`/`0` = every catalog) — a user is limited to those (issue 9)."""
    raw = ctx.params.get("group")
    try:
        return parse_catalog_list(raw or "")
    except AccountError as err:
        raise _bad(err, {"group": raw or ""}) from None


def _changes(ctx: Context) -> UserChanges:
    params = ctx.params

    def optional_flag(name: str) -> bool | None:
        return None if params.get(name) in (None, "") else params.flag(name)

    maxbitrate = params.get("maxbitrate")
    password = params.get("password") or None
    return UserChanges(
        password=password,
        password_prehashed=password is not None and is_digest(password),
        fullname=params.get("fullname"),
        email=params.get("email"),
        website=params.get("website"),
        state=params.get("state"),
        city=params.get("city"),
        disabled=optional_flag("disable"),
        maxbitrate=None if maxbitrate in (None, "") else params.int("maxbitrate"),
        fullname_public=optional_flag("fullname_public"),
        reset_streamtoken=params.flag("reset_streamtoken"),
        clear_stats=params.flag("clear_stats"),
        catalogs=params.get("group") or None,
    )


def _key_writer(ctx: Context) -> Callable[[sqlite3.Row], None]:
    """Writes a new API key into the config file; refusal → 4710 naming the reason."""

    def write(row: sqlite3.Row) -> None:
        try:
            reset_apikey(ctx.config.source, row["username"])
        except ConfigError as err:
            raise BadRequest(str(err), "system") from None

    return write


@action("user_edit", level=Level.ADMIN, aliases=("user_update", "users_edit"))
def user_edit(ctx: Context) -> Success:
    names = ("username", "filter") if ctx.action != "user_update" else ("username",)
    wanted = ctx.params.required(*names)
    row = find_user(ctx.conn, wanted)
    if row is None:
        raise BadRequest(wanted, "system")  # §6.13: an unknown user is 4710 here
    changes = _changes(ctx)
    if changes.password is not None and row["access"] >= ADMIN:
        # As Ampache: an admin's password is not changed over the API (use `ampmini passwd`).
        raise BadRequest(f"{row['username']} (admin passwords: use ampmini passwd)", "system")
    reset_key = ctx.params.flag("reset_apikey")
    try:
        name = edit_user(
            ctx.db, str(row["id"]), changes,
            actor_id=ctx.user_id, keep_session=ctx.session,
            before_commit=_key_writer(ctx) if reset_key else None,
        )
    except AccountError as err:
        raise _bad(err, {"email": changes.email or "", "group": changes.catalogs or ""}) from None
    if reset_key:
        _reload_config(ctx)
    return Success(f"successfully updated: {name}")


@action("user_delete", level=Level.ADMIN, aliases=("users_delete",))
def user_delete(ctx: Context) -> Success:
    wanted = ctx.params.required("username", "filter")
    row = find_user(ctx.conn, wanted)
    if row is None:
        raise BadRequest(wanted, "system")
    if row["access"] >= ADMIN and row["id"] != ctx.user_id:
        # §6.13: the API deletes no admin; `ampmini deluser` can (except the last one).
        raise BadRequest(f"{row['username']} (admins are deleted with ampmini deluser)", "system")
    try:
        check_delete(ctx.conn, row, ctx.user_id)
        had_key = row["username"] in ctx.config.apikeys
        if had_key:
            try:  # first, so a config that cannot be written leaves the user untouched
                remove_apikey(ctx.config.source, row["username"], ctx.config.apikeys)
            except ConfigError as err:
                raise BadRequest(str(err), "system") from None
        name = delete_user(ctx.db, str(row["id"]), actor_id=ctx.user_id, new_owner=ctx.user_id)
    except AccountError as err:
        raise _bad(err, {}) from None
    if had_key:
        _reload_config(ctx)
    return Success(f"successfully deleted: {name}")


@action("register", public=True, feature="allow_public_registration", api6_only=True)
def register(ctx: Context) -> Success:
    """A self-made account starts disabled until an admin enables it (user_edit disable=0)."""
    params = ctx.params
    username = params.required("username")
    password = params.required("password")
    email = params.required("email")
    try:
        add_user(
            ctx.db, username, password,
            access=NEW_USER_LEVEL, email=email, fullname=params.text("fullname"),
            disabled=True, email_required=True, prehashed=is_digest(password),
        )
    except AccountError as err:
        raise _bad(err, {"username": username, "email": email}) from None
    return Success("Please wait for an administrator to activate your account")


@action("lost_password", public=True, api6_only=True)
def lost_password(ctx: Context) -> Success:
    """ampmini sends no mail, so this is Ampache's answer when mail is off (§2.9). Checked
    before any input, so the answer never reveals whether a user or address exists."""
    raise FeatureDisabled("mail_enable")


@action("system_update", level=Level.ADMIN, aliases=("update",))
def system_update(ctx: Context) -> Success:
    """ampmini is updated with its package manager; there is nothing to apply from here."""
    return Success("No update available")
