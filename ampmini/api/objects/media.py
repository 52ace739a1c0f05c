"""Field tables of podcasts, episodes, videos, radio, labels, licences and song tags (§8.9–8.17).

Same conventions as `library.py`: JSON order first, `xml_order` where Ampache's XML differs,
`apis=` for fields one API major lacks.
"""

from __future__ import annotations

from typing import Any

from ..render import cdata
from ..shapes import API5, API6, Field, Kind, Shape


def _podcast_ref_json(value: Any, api: int) -> Any:
    # 6.9.1 captures send the podcast id as an int here, unlike every other ref (spec §3.2).
    return {"id": int(value["id"]), "name": value["name"]}


def _podcast_ref_xml(value: Any, api: int, pad: str) -> str:
    return (
        f'{pad}<podcast id="{value["id"]}">\n{pad}  <name>{cdata(value["name"])}</name>\n'
        f"{pad}</podcast>\n"
    )


def _rating_fields() -> tuple[Field, ...]:
    return (
        Field("preciserating", Kind.INT, apis=API5),
        Field("rating", Kind.INT),
        Field("averagerating", Kind.NUMBER),
    )


PODCAST_EPISODE = Shape(
    "podcast_episode",
    (
        Field("id", Kind.ID),
        Field("title", Kind.TEXT),
        Field("name", Kind.TEXT),
        Field("podcast", Kind.CUSTOM, apis=API6, render_json=_podcast_ref_json,
              render_xml=_podcast_ref_xml),
        Field("description", Kind.TEXT),
        Field("category", Kind.TEXT),
        Field("author", Kind.TEXT),
        Field("author_full", Kind.TEXT),
        Field("website", Kind.TEXT),
        Field("pubdate", Kind.TEXT),
        Field("state", Kind.TEXT),
        Field("filelength", Kind.TEXT),
        Field("filesize", Kind.TEXT),
        Field("filename", Kind.TEXT),
        Field("mime", Kind.TEXT),
        Field("time", Kind.INT),
        Field("size", Kind.INT),
        Field("bitrate", Kind.INT, apis=API6),
        Field("stream_bitrate", Kind.INT, apis=API6),
        Field("rate", Kind.INT, apis=API6),
        Field("mode", Kind.TEXT, apis=API6),
        Field("channels", Kind.INT, apis=API6),
        Field("public_url", Kind.TEXT),
        Field("url", Kind.TEXT),
        Field("catalog", Kind.STR_ID),
        Field("art", Kind.TEXT),
        Field("has_art", Kind.BOOL, apis=API6),
        Field("flag", Kind.BOOL),
        *_rating_fields(),
        Field("playcount", Kind.INT),
        Field("played", Kind.PLAIN),
    ),
)

PODCAST = Shape(
    "podcast",
    (
        Field("id", Kind.ID),
        Field("name", Kind.TEXT),
        Field("description", Kind.TEXT),
        Field("language", Kind.TEXT),
        Field("copyright", Kind.TEXT),
        Field("feed_url", Kind.TEXT),
        Field("generator", Kind.TEXT),
        Field("website", Kind.TEXT),
        Field("build_date", Kind.TEXT),
        Field("sync_date", Kind.TEXT),
        Field("public_url", Kind.TEXT),
        Field("art", Kind.TEXT),
        Field("has_art", Kind.BOOL, apis=API6),
        Field("flag", Kind.BOOL),
        *_rating_fields(),
        # XML: episodes inline as <podcast_episode> children, none without include.
        Field("podcast_episode", Kind.NESTED, shape=PODCAST_EPISODE, wrap=False),
    ),
)

VIDEO = Shape(
    "video",
    (
        Field("id", Kind.ID),
        Field("name", Kind.TEXT, json=False),  # XML only: name (= title) before title
        Field("title", Kind.TEXT),
        Field("mime", Kind.TEXT),
        Field("resolution", Kind.TEXT),
        Field("size", Kind.INT),
        Field("genre", Kind.GENRES),
        Field("time", Kind.INT_TEXT),
        Field("url", Kind.TEXT),
        Field("art", Kind.TEXT),
        Field("has_art", Kind.BOOL, apis=API6),
        Field("flag", Kind.BOOL),
        *_rating_fields(),
        Field("playcount", Kind.INT),
    ),
)

LIVE_STREAM = Shape(
    "live_stream",
    (
        Field("id", Kind.ID),
        Field("name", Kind.TEXT),
        Field("url", Kind.TEXT),
        Field("codec", Kind.TEXT),
        Field("catalog", Kind.STR_ID),
        Field("site_url", Kind.TEXT),
    ),
)

# Ampache <= 6.9.1 names the XML element <license> (spec §12 Fix 2): ampmini sends <label>.
LABEL = Shape(
    "label",
    (
        Field("id", Kind.ID),
        Field("name", Kind.TEXT),
        Field("artists", Kind.INT_TEXT),
        Field("summary", Kind.TEXT),
        Field("external_link", Kind.TEXT),
        Field("address", Kind.TEXT),
        Field("category", Kind.TEXT),
        Field("email", Kind.TEXT),
        Field("website", Kind.TEXT),
        Field("user", Kind.TEXT),
    ),
)

LICENSE = Shape(
    "license",
    (
        Field("id", Kind.ID),
        Field("name", Kind.TEXT),
        Field("description", Kind.TEXT),
        Field("external_link", Kind.TEXT),
    ),
)


def _deleted_fields() -> tuple[Field, ...]:
    return (
        Field("id", Kind.ID),
        Field("addition_time", Kind.INT),
        Field("delete_time", Kind.INT),
        Field("title", Kind.TEXT),
        Field("file", Kind.TEXT),
        Field("catalog", Kind.STR_ID, apis=API6),
        Field("catalog", Kind.INT, apis=API5),
        Field("total_count", Kind.INT),
        Field("total_skip", Kind.INT),
    )


DELETED_VIDEO = Shape("deleted_video", _deleted_fields())
# Ampache's XML names the podcast id element <played> (spec §8.16); copied so parsers built
# against it keep working.
DELETED_PODCAST_EPISODE = Shape(
    "deleted_podcast_episode",
    (*_deleted_fields(), Field("podcast", Kind.STR_ID, xml="played")),
)


# ------------------------------------------------------------------ song_tags (§8.17)


def _tag_json(value: Any, api: int) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _tag_xml(key: str) -> Any:
    def render(value: Any, api: int, pad: str) -> str:
        if isinstance(value, list):
            return "".join(f"{pad}<{key}>{cdata(v)}</{key}>\n" for v in value)
        return f"{pad}<{key}>{cdata(value)}</{key}>\n"

    return render


SONG_TAG_KEYS = (
    "albumartist", "album", "artist", "artists", "art", "audio_codec", "barcode", "bitrate",
    "catalog", "catalog_number", "channels", "comment", "composer", "description", "disk",
    "disksubtitle", "display_x", "display_y", "encoding", "file", "frame_rate", "genre", "isrc",
    "language", "lyrics", "mb_albumartistid", "mb_albumartistid_array", "mb_albumid_group",
    "mb_albumid", "mb_artistid", "mb_artistid_array", "mb_trackid", "mime", "mode",
    "original_name", "original_year", "publisher", "r128_album_gain", "r128_track_gain", "rate",
    "rating", "release_date", "release_status", "release_type", "replaygain_album_gain",
    "replaygain_album_peak", "replaygain_track_gain", "replaygain_track_peak", "size",
    "version", "summary", "time", "title", "totaldisks", "totaltracks", "track", "year",
)  # fmt: skip

SONG_TAG = Shape(
    "song_tag",
    (
        Field("id", Kind.ID, json=False),
        *(
            Field(
                key, Kind.CUSTOM, render_json=_tag_json, render_xml=_tag_xml(key),
                # Ampache's XML leaves out the catalog element (it is never a file tag).
                xml=None if key == "catalog" else "",
            )
            for key in SONG_TAG_KEYS
        ),
    ),
)
