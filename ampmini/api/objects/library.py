"""Field tables of the library objects (spec §8), API6 and API5 side by side.

Each table is Ampache's JSON order; `xml_order` gives the XML order where Ampache differs.
Fields present in one API major only carry `apis=`. Builders that fill these shapes from
database rows live in `api/library.py`.
"""

from __future__ import annotations

from typing import Any

from ..render import cdata
from ..shapes import API5, API6, Field, Kind, Shape


def _merge_json(value: Any, api: int) -> list[Any]:
    return [{"id": str(m["id"]), "name": m["name"]} for m in value or ()]


def _merge_xml(value: Any, api: int, pad: str) -> str:
    if not value:
        return f"{pad}<merge/>\n"
    return "".join(f'{pad}<merge id="{m["id"]}">{cdata(m["name"])}</merge>\n' for m in value)


def _rating_fields() -> tuple[Field, ...]:
    return (
        Field("preciserating", Kind.INT, apis=API5),
        Field("rating", Kind.INT),
        Field("averagerating", Kind.NUMBER),
    )


SONG = Shape(
    "song",
    (
        Field("id", Kind.ID),
        Field("title", Kind.TEXT),
        Field("name", Kind.TEXT),
        Field("artist", Kind.REF, xml=None, apis=API6),  # JSON-only primary artist
        Field("artist", Kind.REF, apis=API5),
        Field("artists", Kind.REFS, xml="artist", apis=API6),
        Field("album", Kind.REF),
        Field("albumartist", Kind.REF),
        Field("disk", Kind.INT_TEXT),
        Field("disksubtitle", Kind.TEXT, apis=API6),
        Field("track", Kind.INT),
        Field("filename", Kind.TEXT),
        Field("genre", Kind.GENRES),
        Field("playlisttrack", Kind.INT),
        Field("time", Kind.INT),
        Field("year", Kind.INT),
        Field("format", Kind.PLAIN, apis=API6),
        Field("stream_format", Kind.PLAIN, apis=API6),
        Field("bitrate", Kind.INT),
        Field("stream_bitrate", Kind.INT, apis=API6),
        Field("rate", Kind.INT),
        Field("mode", Kind.TEXT),
        Field("mime", Kind.TEXT),
        Field("stream_mime", Kind.TEXT, apis=API6),
        Field("url", Kind.TEXT),
        Field("size", Kind.INT),
        Field("mbid", Kind.TEXT),
        Field("album_mbid", Kind.TEXT, apis=API5),
        Field("artist_mbid", Kind.TEXT, apis=API5),
        Field("albumartist_mbid", Kind.TEXT, apis=API5),
        Field("art", Kind.TEXT),
        Field("has_art", Kind.BOOL, apis=API6),
        Field("flag", Kind.BOOL),
        *_rating_fields(),
        Field("playcount", Kind.INT),
        Field("catalog", Kind.INT),  # an int, unlike every other id (spec §12 Copy 7)
        Field("composer", Kind.TEXT),
        Field("channels", Kind.INT),
        Field("comment", Kind.TEXT),
        Field("license", Kind.TEXT),
        Field("publisher", Kind.TEXT),
        Field("language", Kind.PLAIN),
        Field("lyrics", Kind.TEXT),
        Field("replaygain_album_gain", Kind.NUMBER),
        Field("replaygain_album_peak", Kind.NUMBER),
        Field("replaygain_track_gain", Kind.NUMBER),
        Field("replaygain_track_peak", Kind.NUMBER),
        Field("r128_album_gain", Kind.NUMBER),
        Field("r128_track_gain", Kind.NUMBER),
    ),
    # XML: name before title, genre right after track (API5 keeps JSON order for these).
    xml_order=(
        "id", "name", "title", "artist", "artists", "album", "albumartist", "disk",
        "disksubtitle", "track", "genre",
    ),
    xml_order_api5=("id", "title", "name", "artist", "album", "albumartist", "disk", "track",
                    "genre"),
)

ALBUM = Shape(
    "album",
    (
        Field("id", Kind.ID),
        Field("name", Kind.TEXT),
        Field("prefix", Kind.TEXT, apis=API6),
        Field("basename", Kind.TEXT, apis=API6),
        Field("artist", Kind.REF, xml=None, apis=API6),
        Field("artist", Kind.REF, apis=API5),
        Field("artists", Kind.REFS, xml="artist", apis=API6),
        Field("songartists", Kind.REFS, xml="songartist", apis=API6),
        Field("time", Kind.INT),
        Field("year", Kind.INT),
        Field("tracks", Kind.NESTED, shape=SONG),
        Field("songcount", Kind.INT),
        Field("diskcount", Kind.INT),
        Field("type", Kind.PLAIN),
        Field("genre", Kind.GENRES),
        Field("art", Kind.TEXT),
        Field("has_art", Kind.BOOL, apis=API6),
        Field("flag", Kind.BOOL),
        *_rating_fields(),
        Field("mbid", Kind.TEXT),
        Field("mbid_group", Kind.TEXT, apis=API6),
    ),
)

ARTIST = Shape(
    "artist",
    (
        Field("id", Kind.ID),
        Field("name", Kind.TEXT),
        Field("prefix", Kind.TEXT, apis=API6),
        Field("basename", Kind.TEXT, apis=API6),
        Field("albums", Kind.NESTED, shape=ALBUM),
        Field("albumcount", Kind.INT),
        Field("songs", Kind.NESTED, shape=SONG),
        Field("songcount", Kind.INT),
        Field("genre", Kind.GENRES),
        Field("art", Kind.TEXT),
        Field("has_art", Kind.BOOL, apis=API6),
        Field("flag", Kind.BOOL),
        *_rating_fields(),
        Field("mbid", Kind.TEXT),
        Field("summary", Kind.TEXT),
        Field("time", Kind.INT_TEXT),
        Field("yearformed", Kind.INT),
        Field("placeformed", Kind.TEXT),
    ),
    xml_order=("id", "name", "prefix", "basename", "genre"),
)

GENRE = Shape(
    "genre",
    (
        Field("id", Kind.ID),
        Field("name", Kind.TEXT),
        Field("albums", Kind.INT),
        Field("artists", Kind.INT),
        Field("songs", Kind.INT),
        Field("videos", Kind.INT),
        Field("playlists", Kind.INT),
        Field("live_streams", Kind.INT),
        Field("is_hidden", Kind.BOOL, apis=API6),
        Field("merge", Kind.CUSTOM, apis=API6, render_json=_merge_json, render_xml=_merge_xml),
    ),
)

CATALOG = Shape(
    "catalog",
    (
        Field("id", Kind.ID),
        Field("name", Kind.TEXT),
        Field("type", Kind.TEXT),
        Field("gather_types", Kind.TEXT),
        Field("enabled", Kind.BOOL),
        Field("last_add", Kind.INT),
        Field("last_clean", Kind.INT),
        Field("last_update", Kind.INT),
        Field("path", Kind.TEXT),
        Field("rename_pattern", Kind.TEXT),
        Field("sort_pattern", Kind.TEXT),
    ),
)

# `users`, `followers`, `following`: only id and username.
USER_BRIEF = Shape("user", (Field("id", Kind.ID), Field("username", Kind.TEXT)))

# `user` for the caller itself or for an admin caller (spec §8.7 "full").
USER_FULL = Shape(
    "user",
    (
        Field("id", Kind.ID),
        Field("username", Kind.TEXT),
        Field("auth", Kind.TEXT),
        Field("email", Kind.TEXT),
        Field("access", Kind.INT),
        Field("streamtoken", Kind.PLAIN, apis=API6),
        Field("fullname_public", Kind.BOOL),
        Field("validation", Kind.TEXT),
        Field("disabled", Kind.BOOL),
        Field("create_date", Kind.INT),
        Field("last_seen", Kind.INT),
        Field("link", Kind.TEXT, json=False),
        Field("website", Kind.TEXT),
        Field("state", Kind.TEXT),
        Field("city", Kind.TEXT),
        Field("art", Kind.TEXT, apis=API6),
        Field("has_art", Kind.BOOL_TEXT, apis=API6),
        # XML shows the full name to its owner and admins; JSON only when it is public.
        Field("fullname", Kind.TEXT, json=False, omit_none=True),
        Field("fullname", Kind.TEXT, xml=None, omit_none=True, source="fullname_public_text"),
    ),
)

# `user` about somebody else, for a non-admin caller: no key, token, email or level.
USER_PUBLIC = Shape(
    "user",
    tuple(
        f
        for f in USER_FULL.fields
        if f.key not in {"auth", "email", "access", "streamtoken", "fullname_public",
                         "validation", "disabled"}
    ),
)


def _name_item_shape(name: str) -> Shape:
    return Shape(
        name,
        (
            Field("id", Kind.ID),
            Field("name", Kind.TEXT),
            Field("prefix", Kind.TEXT),
            Field("basename", Kind.TEXT),
        ),
    )


LIST_ITEM = _name_item_shape("list")
BROWSE_ITEM = _name_item_shape("browse")

# get_indexes answers full objects in JSON but these condensed ones in XML (spec §6.3).
SONG_INDEX_XML = Shape(
    "song",
    (
        Field("id", Kind.ID),
        Field("title", Kind.TEXT),
        Field("name", Kind.TEXT),
        Field("artist", Kind.REF),
        Field("album", Kind.REF),
        Field("albumartist", Kind.REF),
        Field("disk", Kind.INT_TEXT),
        Field("track", Kind.INT),
    ),
)
ALBUM_INDEX_XML = Shape(
    "album",
    (
        Field("id", Kind.ID),
        Field("name", Kind.TEXT),
        Field("prefix", Kind.TEXT, apis=API6),
        Field("basename", Kind.TEXT, apis=API6),
        Field("artist", Kind.REF),
    ),
)
ARTIST_INDEX_XML = Shape(
    "artist",
    (
        Field("id", Kind.ID),
        Field("name", Kind.TEXT),
        Field("prefix", Kind.TEXT, apis=API6),
        Field("basename", Kind.TEXT, apis=API6),
        Field("album_refs", Kind.REFS, xml="album"),
    ),
)
