"""Field tables of what listeners keep: playlist, share, bookmark, now_playing, search rule.

Spec §8.4, §8.8, §8.15, §8.16, §8.20. Playlists and smartlists share one shape; a smartlist's
id is the string `smart_N`.
"""

from __future__ import annotations

from typing import Any

from ..render import attr, cdata
from ..shapes import API5, API6, Field, Kind, Shape
from .library import SONG


def _items_json(value: Any, api: int) -> Any:
    if isinstance(value, list):
        return [{"id": str(song_id), "playlisttrack": pos} for song_id, pos in value]
    return int(value or 0)


def _tracks_xml(value: list, pad: str) -> str:
    return "".join(
        f'{pad}<playlisttrack id="{attr(song_id)}">{pos}</playlisttrack>\n'
        for song_id, pos in value
    )


def _items_xml(value: Any, api: int, pad: str) -> str:
    """A count, or (with include) `<items>` wrapping `<playlisttrack id=SONG>POS</…>` (§3.1)."""
    if not isinstance(value, list):
        return f"{pad}<items>{int(value or 0)}</items>\n"
    if not value:
        return f"{pad}<items/>\n"
    return f"{pad}<items>\n{_tracks_xml(value, pad + '  ')}{pad}</items>\n"


def _index_items_xml(value: Any, api: int, pad: str) -> str:
    """get_indexes' condensed form: the count, then the tracks inline (example files)."""
    if not isinstance(value, list):
        return f"{pad}<items>{int(value or 0)}</items>\n"
    return f"{pad}<items>{len(value)}</items>\n"


def _index_tracks_xml(value: Any, api: int, pad: str) -> str:
    return _tracks_xml(value, pad) if isinstance(value, list) else ""


PLAYLIST = Shape(
    "playlist",
    (
        Field("id", Kind.ID),
        Field("name", Kind.TEXT),
        Field("owner", Kind.TEXT),
        Field("user", Kind.USER_REF, apis=API6),
        Field("items", Kind.CUSTOM, render_json=_items_json, render_xml=_items_xml),
        Field("type", Kind.PLAIN),
        Field("art", Kind.TEXT),
        Field("has_access", Kind.BOOL, apis=API6),
        Field("has_collaborate", Kind.BOOL, apis=API6),
        Field("has_art", Kind.BOOL, apis=API6),
        Field("flag", Kind.BOOL),
        Field("preciserating", Kind.INT, apis=API5),
        Field("rating", Kind.INT),
        Field("averagerating", Kind.NUMBER),
        Field("md5", Kind.PLAIN, apis=API6),
        Field("last_update", Kind.INT, apis=API6),
    ),
)

# get_indexes type=playlist in XML (spec §6.3): name, items, owner, type (+ tracks inline).
PLAYLIST_INDEX_XML = Shape(
    "playlist",
    (
        Field("id", Kind.ID),
        Field("name", Kind.TEXT),
        Field("items", Kind.CUSTOM, render_json=_items_json, render_xml=_index_items_xml),
        Field("owner", Kind.TEXT),
        Field("type", Kind.TEXT),
        Field("tracks", Kind.CUSTOM, json=False, render_xml=_index_tracks_xml, source="items"),
    ),
)

SHARE = Shape(
    "share",
    (
        Field("id", Kind.ID),
        Field("name", Kind.TEXT),
        Field("owner", Kind.TEXT, xml=None),
        Field("user", Kind.TEXT, json=False),
        Field("allow_stream", Kind.BOOL),
        Field("allow_download", Kind.BOOL),
        Field("creation_date", Kind.INT),
        Field("lastvisit_date", Kind.INT),
        Field("object_type", Kind.TEXT),
        Field("object_id", Kind.STR_ID),
        Field("expire_days", Kind.INT),
        Field("max_counter", Kind.INT),
        Field("counter", Kind.INT),
        Field("secret", Kind.TEXT),
        Field("public_url", Kind.TEXT),
        Field("description", Kind.TEXT),
    ),
)

BOOKMARK = Shape(
    "bookmark",
    (
        Field("id", Kind.ID),
        Field("owner", Kind.TEXT, xml=None),
        Field("user", Kind.TEXT, json=False),
        Field("object_type", Kind.TEXT),
        Field("object_id", Kind.STR_ID),
        Field("position", Kind.INT),
        Field("client", Kind.TEXT),
        Field("creation_date", Kind.INT),
        Field("update_date", Kind.INT_TEXT),
        # include=1: JSON `"song": [{…}]`, XML the <song> element inside <bookmark> (§6.8).
        Field("song", Kind.NESTED, shape=SONG, wrap=False, omit_none=True),
    ),
)

NOW_PLAYING = Shape(
    "now_playing",
    (
        Field("id", Kind.ID),
        Field("type", Kind.TEXT),
        Field("client", Kind.TEXT),
        Field("expire", Kind.INT),
        Field("user", Kind.USER_REF),
    ),
)


def _widget_json(value: Any, api: int) -> Any:
    return list(value)


def _widget_xml(value: Any, api: int, pad: str) -> str:
    """`<widget/>` for inputs; `<widget><select id=K>label</select>…</widget>` for selects."""
    if value[0] != "select":
        return f"{pad}<widget/>\n"
    options = value[1]
    pairs = options.items() if isinstance(options, dict) else enumerate(options)
    inner = "".join(
        f'{pad}  <select id="{attr(key)}">{cdata(label)}</select>\n' for key, label in pairs
    )
    return f"{pad}<widget>\n{inner}{pad}</widget>\n" if inner else f"{pad}<widget/>\n"


RULE = Shape(
    "rule",
    (
        Field("name", Kind.TEXT),
        Field("label", Kind.TEXT),
        Field("type", Kind.TEXT),
        Field("widget", Kind.CUSTOM, render_json=_widget_json, render_xml=_widget_xml),
        Field("title", Kind.TEXT),
    ),
)
