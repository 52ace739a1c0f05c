"""search_songs and advanced_search (alias `search`): the rule engine over the library."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import library
from ..errors import BadRequest, FeatureDisabled
from ..listing import paginate
from ..objects import ALBUM, ARTIST, GENRE, SONG
from ..objects.media import LABEL
from ..objects.users import USER_BRIEF
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
    "song": (SONG, library.song_page),
    "album": (ALBUM, library.load_albums),
    "artist": (ARTIST, library.load_artists),
    "album_artist": (ARTIST, library.load_artists),
    "song_artist": (ARTIST, library.load_artists),
    "genre": (GENRE, library.load_genres),
}
# Types searched under another name (spec §9.2: tag is genre's old name).
TYPE_ALIASES = {"tag": "genre"}
# Types behind a feature switch: 4703 `Enable: <name>` when it is off (spec §4.1).
TYPE_FEATURES = {"label": "label"}


def load_users(ctx: Context, ids: list[int]) -> list[dict[str, Any]]:
    """Brief users `{id, username}`, as `users` lists them (no private fields)."""
    rows = ctx.conn.execute(
        "SELECT u.id, u.username FROM json_each(?) j JOIN user u ON u.id = j.value"
        " ORDER BY j.key",
        (library.id_json(ids),),
    )
    return [{"id": r[0], "username": r[1]} for r in rows]


def load_labels(ctx: Context, ids: list[int]) -> list[dict[str, Any]]:
    """Label items; none while the `label` feature is off (search_group lists every type)."""
    if not ctx.config.features.label:
        return []
    from .labels import load_labels as load

    return load(ctx, ids)


RESULT_TYPES["user"] = (USER_BRIEF, load_users)
RESULT_TYPES["label"] = (LABEL, load_labels)


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
    answer = object_list(shape, load(ctx, page.page_ids), page)
    if kind == "user":
        # As `users`: `{"user": […]}` without total_count/md5 unless empty (users example).
        answer.envelope = not answer.items
    return answer


@action("advanced_search", aliases=("search",))
def advanced_search(ctx: Context) -> ObjectList:
    kind = (ctx.params.get("type") or "song").strip().lower()
    kind = TYPE_ALIASES.get(kind, kind)
    if kind not in RESULT_TYPES or kind not in SEARCH_TYPES:
        raise BadRequest(kind, "type")
    feature = TYPE_FEATURES.get(kind)
    if feature and not getattr(ctx.config.features, feature, False):
        raise FeatureDisabled(feature)
    return run_search(ctx, kind, parse_rules(ctx.params), ctx.params)


@action("search_songs")
def search_songs(ctx: Context) -> ObjectList:
    text = ctx.params.get("filter", "rule_1_input")
    if text is None:
        from ..errors import MissingParameter

        raise MissingParameter("filter")
    return run_search(ctx, "song", [Rule("anywhere", 0, text)], ctx.params)
