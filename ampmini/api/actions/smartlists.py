"""Smartlists (spec §6.6, §9): saved advanced_search rules, evaluated by the same engine.

A smartlist row keeps rules as JSON `[[name, operator, input], …]`, `logic` and/or, a limit
and a random flag; its songs are `rules.search_ids(… "song" …)`, exactly what
advanced_search answers for the same rules. Its wire id is `smart_N`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

from ...db import Database
from ..errors import BadRequest, NotFound
from ..listing import Query
from ..registry import Context, Level, action
from ..rules import SEARCH_TYPES, Rule, search_ids
from ..shapes import ObjectList, Single, Success
from .playlists import (
    PLAYLIST,
    SMART_PREFIX,
    ListRow,
    find_list,
    include_items,
    list_page,
    lists_document,
    load_lists,
    require_owner,
    smartlist_song_ids,
    song_page,
)

# Valid operator indexes per rule family (spec §9.3).
FAMILY_OPERATORS: dict[str, range] = {
    "text": range(10),
    "anywhere": range(2),
    "favorite": range(2),
    "numeric": range(6),
    "boolean": range(2),
    "is_true": range(1),
    "boolean_numeric": range(2),
    "date": range(2),
    "days": range(2),
    "recent": range(1),
}


def validate_rules(rules: Sequence[Rule], kind: str = "song") -> list[Rule]:
    """Rules with canonical names; an unknown field or operator is 4710 (issue: bad input)."""
    search = SEARCH_TYPES[kind]
    checked = []
    for n, rule in enumerate(rules, start=1):
        name = search.aliases.get(rule.name, rule.name)
        rule_def = search.rules.get(name)
        if rule_def is None:
            raise BadRequest(rule.name, f"rule_{n}")
        if rule.operator not in FAMILY_OPERATORS.get(rule_def.family, range(0)):
            raise BadRequest(rule.operator, f"rule_{n}_operator")
        checked.append(Rule(name, rule.operator, rule.value))
    return checked


def create_smartlist(
    db: Database,
    user_id: int,
    name: str,
    rules: Sequence[Rule],
    *,
    match_any: bool = False,
    limit: int = 0,
    random: bool = False,
    public: bool = False,
) -> int:
    """Store a smartlist (after validating its rules) and cache its result count."""
    if not name.strip():
        raise BadRequest(name, "name")
    checked = validate_rules(rules)
    now = int(time.time())
    conn = db.reader()
    count = len(search_ids(conn, "song", checked, match_any=match_any, random=False,
                           user_id=user_id, limit=limit or None))
    with db.writer() as writer:
        new_id = writer.execute(
            "INSERT INTO smartlist (name, user_id, type, rules, logic, random, item_limit,"
            " last_count, date, last_update) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                name, user_id, "public" if public else "private",
                json.dumps([[r.name, r.operator, r.value] for r in checked]),
                "or" if match_any else "and", int(random), max(0, limit), count, now, now,
            ),
        ).lastrowid
    return int(new_id)


def _smart_item(ctx: Context) -> ListRow:
    raw = ctx.params.required("filter")
    text = raw.strip()
    # smartlist actions also take the bare number (Ampache strips `smart_`).
    if text.isdigit():
        text = f"{SMART_PREFIX}{text}"
    if not text.lower().startswith(SMART_PREFIX):
        raise NotFound(raw, "filter")
    return find_list(ctx, raw=text)


def _refresh_count(ctx: Context, smartlist_id: int, count: int) -> None:
    """Keep `last_count` (the `items` of a smartlist, §8.4) in step when it changed."""
    row = ctx.conn.execute(
        "SELECT last_count, random FROM smartlist WHERE id = ?", (smartlist_id,)
    ).fetchone()
    if row is not None and row["last_count"] != count:
        with ctx.db.writer() as conn:
            conn.execute("UPDATE smartlist SET last_count = ? WHERE id = ?", (count, smartlist_id))


@action("smartlists", api6_only=True)
def smartlists(ctx: Context) -> ObjectList:
    q = Query()
    q.add("pl.kind = 'smartlist'")
    return lists_document(ctx, list_page(ctx, q))


@action("user_smartlists", api6_only=True)
def user_smartlists(ctx: Context) -> ObjectList:
    q = Query()
    q.add("pl.kind = 'smartlist' AND pl.user_id = ?", ctx.user_id)
    return lists_document(ctx, list_page(ctx, q))


@action("smartlist", api6_only=True)
def smartlist(ctx: Context) -> Single:
    item = _smart_item(ctx)
    return Single(PLAYLIST, load_lists(ctx, [item.wire_id], include_items(ctx))[0])


@action("smartlist_songs", api6_only=True)
def smartlist_songs(ctx: Context) -> ObjectList:
    item = _smart_item(ctx)
    ids = smartlist_song_ids(ctx, item.id)
    _refresh_count(ctx, item.id, len(ids))
    return song_page(ctx, ids)


@action("smartlist_delete", level=Level.USER, api6_only=True, aliases=("smartlists_delete",))
def smartlist_delete(ctx: Context) -> Success:
    item = _smart_item(ctx)
    require_owner(item)
    with ctx.db.writer() as conn:
        conn.execute("DELETE FROM smartlist WHERE id = ?", (item.id,))
    return Success("playlist deleted")  # Ampache's wording (smartlist_delete example)
