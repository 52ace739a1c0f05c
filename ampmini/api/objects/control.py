"""Field tables of the control actions: democratic songs and the localplay queue (spec §8.18).

The democratic song is a reduced song with a `vote` count. Ampache's XML writes one extra
`<genre>` before the genre list (the first genre, or `id="0"` with an empty name when the song
has none), in API5 and API6 alike; `first_genre` carries it, XML only.
"""

from __future__ import annotations

from ..shapes import API5, API6, Field, Kind, Shape

DEMOCRATIC_SONG = Shape(
    "song",
    (
        Field("id", Kind.ID),
        Field("title", Kind.TEXT),
        Field("name", Kind.TEXT, json=False),
        Field("artist", Kind.REF),
        Field("album", Kind.REF),
        Field("first_genre", Kind.GENRES, xml="genre", json=False),
        Field("genre", Kind.GENRES),
        Field("track", Kind.INT),
        Field("time", Kind.INT_TEXT),  # CDATA in XML, an int in JSON (as the examples)
        Field("format", Kind.PLAIN, apis=API6),
        Field("bitrate", Kind.INT, apis=API6),
        Field("mime", Kind.TEXT),
        Field("url", Kind.TEXT),
        Field("size", Kind.INT),
        Field("art", Kind.TEXT),
        Field("has_art", Kind.BOOL, apis=API6),
        Field("preciserating", Kind.INT, apis=API5),
        Field("rating", Kind.INT),
        Field("averagerating", Kind.NUMBER),
        Field("playcount", Kind.INT),
        Field("vote", Kind.INT),
    ),
    xml_order=("id", "name", "title"),
    xml_order_api5=("id", "title", "name"),
)

# `localplay_songs`: Ampache's generic object_array writer — id as attribute, numbers bare,
# text in CDATA; `oid` only for entries ampmini recognises as one of its objects.
LOCALPLAY_SONG = Shape(
    "localplay_songs",
    (
        Field("id", Kind.ID),
        Field("raw", Kind.TEXT),
        Field("oid", Kind.STR_ID, omit_none=True),
        Field("name", Kind.TEXT),
        Field("link", Kind.TEXT),
        Field("track", Kind.INT),
    ),
)
