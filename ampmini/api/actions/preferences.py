"""Preference actions: read, create, edit and delete preferences (spec §6.13, §8.19).

The store and the list of preferences ampmini honours are in `ampmini.preferences`.
"""

from __future__ import annotations

from ... import preferences as prefs
from ..errors import BadRequest, Forbidden, MissingParameter, NotFound
from ..objects.users import PREFERENCE
from ..registry import Context, Level, action
from ..shapes import ObjectList, Single, Success


def _find(ctx: Context, *, system: bool) -> prefs.Pref:
    name = ctx.params.required("filter")
    pref = prefs.find(ctx.conn, name)
    # user_preference only knows per-user preferences; system_preference knows them all.
    if pref is None or (pref.system and not system):
        raise NotFound(name, "filter")
    return pref


def _single(pref: prefs.Pref, value: str, access: int | None) -> Single:
    item = prefs.item(pref, value, access)
    if access is not None and pref.type == "special" and pref.values:
        item["values"] = pref.values
    return Single(PREFERENCE, item, envelope=False, json_array_api5=True)  # §11: `[{…}]`


def _bad(err: prefs.PreferenceError) -> BadRequest:
    return BadRequest(str(err), err.param)


@action("user_preferences")
def user_preferences(ctx: Context) -> ObjectList:
    chosen = [p for p in prefs.all_prefs(ctx.conn) if not p.system]
    values = prefs.values_for(ctx.conn, ctx.user_id, chosen, ctx.config)
    items = [prefs.item(p, v, ctx.access) for p, v in values]
    return ObjectList(PREFERENCE, items, len(items), "", envelope=False)


@action("user_preference")
def user_preference(ctx: Context) -> Single:
    pref = _find(ctx, system=False)
    [(_, value)] = prefs.values_for(ctx.conn, ctx.user_id, [pref], ctx.config)
    return _single(pref, value, ctx.access)


@action("system_preferences", level=Level.ADMIN)
def system_preferences(ctx: Context) -> ObjectList:
    chosen = prefs.all_prefs(ctx.conn)
    values = prefs.values_for(ctx.conn, prefs.SERVER_DEFAULT, chosen, ctx.config)
    items = [prefs.item(p, v, ctx.access) for p, v in values]
    return ObjectList(PREFERENCE, items, len(items), "", envelope=False)


@action("system_preference", level=Level.ADMIN)
def system_preference(ctx: Context) -> Single:
    pref = _find(ctx, system=True)
    [(_, value)] = prefs.values_for(ctx.conn, prefs.SERVER_DEFAULT, [pref], ctx.config)
    return _single(pref, value, ctx.access)


@action("preference_create", level=Level.ADMIN, aliases=("preferences_create",))
def preference_create(ctx: Context) -> Single:
    params = ctx.params
    name = params.required("filter")
    type_ = params.required("type").strip().lower()
    default = params.get("default")
    if default is None:
        raise MissingParameter("default")
    category = params.required("category").strip().lower()
    level = params.int("level", default=Level.ADMIN)
    try:
        pref = prefs.create(
            ctx.db, name, type_, default, category,
            description=params.text("description"),
            subcategory=params.get("subcategory") or None,
            level=level,
        )
    except prefs.PreferenceError as err:
        raise _bad(err) from None
    return _single(pref, pref.default, None)


@action("preference_edit", aliases=("preferences_edit",))
def preference_edit(ctx: Context) -> Single:
    """Own value for anyone allowed the preference's level; `all`/`default` and server-wide
    preferences for admins only."""
    pref = _find(ctx, system=True)
    raw = ctx.params.get("value")
    if raw is None:
        raise MissingParameter("value")  # an empty value is a value (Decision 15)
    to_all, to_default = ctx.params.flag("all"), ctx.params.flag("default")
    if (to_all or to_default or pref.system) and not ctx.is_admin:
        raise Forbidden(Level.ADMIN)
    if ctx.access < pref.level:
        raise Forbidden(pref.level)
    targets: list[int] = []
    if to_default or pref.system:
        targets.append(prefs.SERVER_DEFAULT)
    if to_all and not pref.system:
        targets += [r[0] for r in ctx.conn.execute("SELECT id FROM user")]
    if not pref.system and not to_all and not to_default:
        targets.append(ctx.user_id)
    try:
        value = prefs.set_value(ctx.db, pref, raw, user_ids=targets)
    except prefs.PreferenceError as err:
        raise _bad(err) from None
    return _single(pref, value, None)


@action("preference_delete", level=Level.ADMIN, aliases=("preferences_delete",))
def preference_delete(ctx: Context) -> Success:
    name = ctx.params.required("filter")
    pref = prefs.find(ctx.conn, name)
    if pref is None:
        raise NotFound(name, "filter")
    try:
        prefs.delete(ctx.db, pref)  # built-in preferences are protected (4710)
    except prefs.PreferenceError as err:
        raise _bad(err) from None
    return Success(f"Deleted: {pref.name}")
