"""search_songs and advanced_search (alias `search`): the rule engine over the library."""

from __future__ import annotations

from .. import library
from ..errors import BadRequest
from ..listing import paginate
from ..objects import ALBUM, ARTIST, SONG
from ..params import Params
from ..registry import Context, action
from ..rules import Rule, parse_rules, search_ids
from ..shapes import ObjectList
from .browse import object_list

# advanced_search types built so far; the rest answer 4710 `type` until their features land.
SEARCHABLE = ("song", "album", "artist", "album_artist", "song_artist")


def run_search(ctx: Context, kind: str, rules: list[Rule], params: Params) -> ObjectList:
    ids = search_ids(
        ctx.conn,
        kind,
        rules,
        match_any=(params.get("operator") or "and").strip().lower() == "or",
        random=params.flag("random"),
        user_id=ctx.user_id,
    )
    page = paginate(ids, params.paging())
    if kind == "song":
        return object_list(SONG, library.load_songs(ctx, page.page_ids), page)
    if kind == "album":
        return object_list(ALBUM, library.load_albums(ctx, page.page_ids), page)
    return object_list(ARTIST, library.load_artists(ctx, page.page_ids), page)


@action("advanced_search", aliases=("search",))
def advanced_search(ctx: Context) -> ObjectList:
    kind = (ctx.params.get("type") or "song").strip().lower()
    if kind not in SEARCHABLE:
        raise BadRequest(kind, "type")
    return run_search(ctx, kind, parse_rules(ctx.params), ctx.params)


@action("search_songs")
def search_songs(ctx: Context) -> ObjectList:
    text = ctx.params.get("filter", "rule_1_input")
    if text is None:
        from ..errors import MissingParameter

        raise MissingParameter("filter")
    return run_search(ctx, "song", [Rule("anywhere", 0, text)], ctx.params)
