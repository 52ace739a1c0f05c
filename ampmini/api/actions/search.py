"""search_songs and advanced_search (alias `search`): the rule engine over the library."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import library
from ..errors import BadRequest
from ..listing import paginate
from ..objects import ALBUM, ARTIST, SONG
from ..params import Params
from ..registry import Context, action
from ..rules import SEARCH_TYPES, Rule, parse_rules, search_ids
from ..shapes import ObjectList, Shape
from .browse import object_list

Loader = Callable[[Context, list[int]], list[dict[str, Any]]]

# advanced_search result types: type → (shape, page loader). A feature that adds a
# searchable type registers its rules in rules.SEARCH_TYPES and its loader here; types not
# registered answer 4710 `type`.
RESULT_TYPES: dict[str, tuple[Shape, Loader]] = {
    "song": (SONG, library.load_songs),
    "album": (ALBUM, library.load_albums),
    "artist": (ARTIST, library.load_artists),
    "album_artist": (ARTIST, library.load_artists),
    "song_artist": (ARTIST, library.load_artists),
}


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
    shape, load = RESULT_TYPES[kind]
    return object_list(shape, load(ctx, page.page_ids), page)


@action("advanced_search", aliases=("search",))
def advanced_search(ctx: Context) -> ObjectList:
    kind = (ctx.params.get("type") or "song").strip().lower()
    if kind not in RESULT_TYPES or kind not in SEARCH_TYPES:
        raise BadRequest(kind, "type")
    return run_search(ctx, kind, parse_rules(ctx.params), ctx.params)


@action("search_songs")
def search_songs(ctx: Context) -> ObjectList:
    text = ctx.params.get("filter", "rule_1_input")
    if text is None:
        from ..errors import MissingParameter

        raise MissingParameter("filter")
    return run_search(ctx, "song", [Rule("anywhere", 0, text)], ctx.params)
