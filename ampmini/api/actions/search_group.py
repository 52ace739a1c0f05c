"""search_group and search_rules (spec §6.4, §8.20): more of search, on the one rule engine.

search_group runs the request's rules once per type of the group, with paging per type.
search_rules lists the rule catalogue of a type from `rules.SEARCH_TYPES` (the same table
the engine evaluates), adding only the human label, form widget and heading.
"""

from __future__ import annotations

from typing import Any

from ..errors import BadRequest
from ..listing import paginate
from ..objects import ALBUM_INDEX_XML, SONG_INDEX_XML
from ..objects.playlists import PLAYLIST_INDEX_XML, RULE
from ..registry import Context, action
from ..rules import SEARCH_TYPES, Rule, RuleDef, SearchType, parse_rules, search_ids
from ..shapes import Field, Grouped, Kind, ObjectList, Shape
from .search import RESULT_TYPES

GROUPS: dict[str, tuple[str, ...]] = {
    "all": ("album_artist", "album", "artist", "genre", "label", "playlist", "podcast_episode",
            "podcast", "song_artist", "song", "user"),
    "music": ("album", "artist", "song"),
    "song_artist": ("album", "song_artist", "song"),
    "album_artist": ("album_artist", "album", "song"),
    "podcast": ("podcast", "podcast_episode"),
    "video": ("video",),
}

_ARTIST_XML = Shape(
    "artist",
    (Field("id", Kind.ID), Field("name", Kind.TEXT), Field("prefix", Kind.TEXT),
     Field("basename", Kind.TEXT)),
)
# Ampache's search_group XML: condensed album/artist/song/playlist; album_artist, song_artist,
# genre, label and user results are dropped (spec §6.4). Other types keep their full shape.
_XML_SHAPES: dict[str, Shape | None] = {
    "album": ALBUM_INDEX_XML, "artist": _ARTIST_XML, "song": SONG_INDEX_XML,
    "playlist": PLAYLIST_INDEX_XML, "album_artist": None, "song_artist": None, "genre": None,
    "label": None, "user": None,
}


def _applies(search: SearchType, rules: list[Rule]) -> bool:
    """Whether any rule names a field of this type (otherwise the type gives nothing,
    instead of every object as an empty WHERE would)."""
    return any(search.aliases.get(r.name, r.name) in search.rules for r in rules)


@action("search_group", api6_only=True)
def search_group(ctx: Context) -> Grouped:
    params = ctx.params
    group = (params.get("type") or "all").strip().lower()
    kinds = GROUPS.get(group)
    if kinds is None:
        raise BadRequest(group, "type")
    rules = parse_rules(params)
    match_any = (params.get("operator") or "and").strip().lower() == "or"
    paging = params.paging()
    groups: list[tuple[str, Shape, Shape | None, list[dict[str, Any]]]] = []
    for kind in kinds:
        result = RESULT_TYPES.get(kind)
        search = SEARCH_TYPES.get(kind)
        if result is None:
            continue  # that kind of object does not exist in this server yet
        shape, load = result
        items: list[dict[str, Any]] = []
        if search is not None and _applies(search, rules):
            ids = search_ids(ctx.conn, kind, rules, match_any=match_any,
                             random=params.flag("random"), user_id=ctx.user_id)
            items = load(ctx, paginate(ids, paging).page_ids)
        groups.append((kind, shape, _XML_SHAPES.get(kind, shape), items))
    return Grouped("search", groups)


# ----------------------------------------------------------------- search_rules

RULE_TYPES = ("song", "album", "artist", "album_artist", "song_artist", "genre", "tag",
              "label", "playlist", "podcast", "podcast_episode", "user", "video")

_STARS = ["0 Stars", "1 Star", "2 Stars", "3 Stars", "4 Stars", "5 Stars"]
# name → (label, heading) where Ampache's wording is not just the name (search_rules examples).
_LABELS: dict[str, tuple[str, str]] = {
    "anywhere": ("Any searchable text", ""),
    "none": ("None", ""),
    "title": ("Title", "{data}"),
    "album": ("Album", "{data}"),
    "artist": ("Song Artist", "{data}"),
    "song_artist": ("Song Artist", "{data}"),
    "album_artist": ("Album Artist", "{data}"),
    "song": ("Song Title", "{data}"),
    "composer": ("Composer", "{data}"),
    "track": ("Track", "{data}"),
    "year": ("Year", "{data}"),
    "original_year": ("Original Year", "{data}"),
    "time": ("Length (in minutes)", "{data}"),
    "label": ("Label", "{data}"),
    "comment": ("Comment", "{data}"),
    "lyrics": ("Lyrics", "{data}"),
    "summary": ("Summary", "{data}"),
    "placeformed": ("Place Formed", "{data}"),
    "yearformed": ("Year Formed", "{data}"),
    "release_type": ("Release Type", "{data}"),
    "song_count": ("Song Count", "{data}"),
    "album_count": ("Album Count", "{data}"),
    "disk_count": ("Disk Count", "{data}"),
    "id": ("Database ID", "{data}"),
    "type": ("Type", "{data}"),
    "owner": ("Owner", "{data}"),
    "myrating": ("My Rating", "Ratings"),
    "rating": ("Rating (Average)", "Ratings"),
    "my_flagged": ("My Favorite", "Ratings"),
    "myflagged": ("My Favorite", "Ratings"),
    "favorite": ("Favorites", "Ratings"),
    "played_times": ("# Played", "Play History"),
    "played": ("Played", "Play History"),
    "myplayed": ("Played by Me", "Play History"),
    "genre": ("Genre", "Genre"),
    "no_genre": ("No Genre", "Genre"),
    "file": ("Filename", "File Data"),
    "bitrate": ("Bitrate", "File Data"),
    "added": ("Date Added", "File Data"),
    "updated": ("Date Updated", "File Data"),
    "recent_added": ("Recently Added", "File Data"),
    "recent_updated": ("Recently Updated", "File Data"),
    "days_added": ("Added", "File Data"),
    "days_updated": ("Updated", "File Data"),
    "catalog": ("Catalog", "File Data"),
    "has_image": ("Local Image", "File Data"),
    "mbid": ("MusicBrainz ID", "MusicBrainz"),
    "mbid_album": ("MusicBrainz ID (Album)", "MusicBrainz"),
    "mbid_artist": ("MusicBrainz ID (Artist)", "MusicBrainz"),
}
_DATA_HEADING = {"song": "Song Data", "album": "Album Data", "playlist": "Playlist",
                 "genre": "Genre", "label": "Label", "user": "User"}


def _family(name: str, rule_def: RuleDef) -> str:
    if rule_def.family == "favorite":
        return "text"
    if rule_def.family == "recent":
        return name  # recent_added / recent_updated are their own operator families
    return rule_def.family


def _widget(ctx: Context, name: str, family: str) -> list[Any]:
    if name in ("myrating", "rating"):
        return ["select", _STARS]
    if name == "owner":
        users = ctx.conn.execute("SELECT id, username FROM user ORDER BY id")
        return ["select", {str(r[0]): r[1] for r in users}]
    if name == "type" and family == "boolean_numeric":
        return ["select", ["public", "private"]]
    if family == "text":
        return ["input", "text"]
    if family in ("boolean", "is_true"):
        return ["input", "hidden"]
    if family == "date":
        return ["input", "datetime-local"]
    return ["input", "number"]


def rule_items(ctx: Context, kind: str) -> list[dict[str, Any]]:
    search = SEARCH_TYPES.get("genre" if kind == "tag" else kind)
    if search is None:
        return []
    heading = _DATA_HEADING.get(kind, "Artist Data")
    items = []
    for name, rule_def in search.rules.items():
        label, title = _LABELS.get(name, (name.replace("_", " ").title(), "{data}"))
        family = _family(name, rule_def)
        items.append(
            {
                "id": name,
                "name": name,
                "label": label,
                "type": family,
                "widget": _widget(ctx, name, family),
                "title": title.format(data=heading),
            }
        )
    return items


@action("search_rules", api6_only=True)
def search_rules(ctx: Context) -> ObjectList:
    kind = ctx.params.required("filter", "type").strip().lower()
    if kind not in RULE_TYPES:
        raise BadRequest(kind, "type")
    items = rule_items(ctx, kind)
    return ObjectList(RULE, items, len(items), "", envelope=False)
