"""Labels (from the songs' publisher tag) and licences: lists, objects, their artists/songs
(spec §8.13, §8.14)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import library
from ..listing import ENABLED_SONG, ListSpec, Query, standard_list
from ..objects import ARTIST, SONG
from ..objects.media import LABEL, LICENSE
from ..registry import Context, action
from ..shapes import ObjectList, Single
from .browse import _without_filter, artist_includes, require_row

LABEL_SPEC = ListSpec(
    base="FROM label lb",
    id_column="lb.id",
    name_column="lb.name",
    sorts={
        "name": "lb.name COLLATE NOCASE",
        "title": "lb.name COLLATE NOCASE",
        "id": "lb.id",
        "category": "lb.category",
        "rand": "RANDOM()",
    },
    default_sort="name",
    conds={
        "id": "lb.id = ?",
        "like": "fold(lb.name) LIKE ? ESCAPE '\\'",
        "alpha_match": "fold(lb.name) LIKE ? ESCAPE '\\'",
        "equal": "fold(lb.name) = fold(?)",
        "exact_match": "fold(lb.name) = fold(?)",
    },
)

LICENSE_SPEC = ListSpec(
    base="FROM license li",
    id_column="li.id",
    name_column="li.name",
    sorts={
        "name": "li.name COLLATE NOCASE",
        "title": "li.name COLLATE NOCASE",
        "id": "li.id",
        "external_link": "li.external_link",
        "order": "li.id",
    },
    default_sort="name",
    conds={
        "id": "li.id = ?",
        "hidden": "li.hidden = ?",
        "like": "fold(li.name) LIKE ? ESCAPE '\\'",
        "alpha_match": "fold(li.name) LIKE ? ESCAPE '\\'",
        "equal": "fold(li.name) = fold(?)",
        "exact_match": "fold(li.name) = fold(?)",
    },
)

# A label's artists: credited on an enabled song whose publisher tag names the label.
_LABEL_ARTISTS = (
    "SELECT sa.artist_id FROM song s JOIN song_artist sa ON sa.song_id = s.id"
    " WHERE s.publisher = (SELECT name FROM label WHERE id = ?) COLLATE NOCASE"
    " AND s.enabled = 1"
)


def load_labels(ctx: Context, ids: Sequence[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    rows = ctx.conn.execute(
        "SELECT lb.*, (SELECT COUNT(DISTINCT s.artist_id) FROM song s"
        "  WHERE s.publisher = lb.name COLLATE NOCASE AND s.enabled = 1) AS artists"
        " FROM json_each(?) j JOIN label lb ON lb.id = j.value ORDER BY j.key",
        (library.id_json(ids),),
    )
    base = ctx.base_url
    return [
        {
            "id": r["id"],
            "name": r["name"],
            "artists": r["artists"],
            "summary": r["summary"],
            # No web UI in ampmini: the label's own site when known, else its artists' list.
            "external_link": r["website"]
            or f"{base}/server/json.server.php?action=label_artists&filter={r['id']}",
            "address": r["address"],
            "category": r["category"],
            "email": r["email"],
            "website": r["website"],
            "user": None if r["user_id"] is None else str(r["user_id"]),
        }
        for r in rows
    ]


def load_licenses(ctx: Context, ids: Sequence[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    rows = ctx.conn.execute(
        "SELECT li.* FROM json_each(?) j JOIN license li ON li.id = j.value ORDER BY j.key",
        (library.id_json(ids),),
    )
    return [
        {"id": r["id"], "name": r["name"], "description": r["description"],
         "external_link": r["external_link"]}
        for r in rows
    ]


@action("labels", feature="label")
def labels(ctx: Context) -> ObjectList:
    page = standard_list(ctx.conn, LABEL_SPEC, ctx.params)
    return ObjectList(LABEL, load_labels(ctx, page.page_ids), page.total, page.md5)


@action("label", feature="label")
def label(ctx: Context) -> Single:
    label_id = require_row(ctx, "label")
    return Single(LABEL, load_labels(ctx, [label_id])[0])


@action("label_artists", feature="label")
def label_artists(ctx: Context) -> ObjectList:
    label_id = require_row(ctx, "label")
    q = Query()
    q.add(f"ar.id IN ({_LABEL_ARTISTS})", label_id)
    page = standard_list(ctx.conn, library.ARTIST_SPEC, _without_filter(ctx.params), q)
    with_albums, with_songs = artist_includes(ctx.params)
    items = library.load_artists(
        ctx, page.page_ids, include_albums=with_albums, include_songs=with_songs
    )
    return ObjectList(ARTIST, items, page.total, page.md5)


@action("licenses", feature="licensing")
def licenses(ctx: Context) -> ObjectList:
    q = Query()
    q.add("li.hidden = 0")
    page = standard_list(ctx.conn, LICENSE_SPEC, ctx.params, q)
    return ObjectList(LICENSE, load_licenses(ctx, page.page_ids), page.total, page.md5)


@action("license", feature="licensing")
def license_(ctx: Context) -> Single:
    license_id = require_row(ctx, "license")
    return Single(LICENSE, load_licenses(ctx, [license_id])[0])


@action("license_songs", feature="licensing")
def license_songs(ctx: Context) -> ObjectList:
    license_id = require_row(ctx, "license")
    q = Query()
    q.add(ENABLED_SONG)
    q.add("s.id IN (SELECT song_id FROM song_license WHERE license_id = ?)", license_id)
    page = standard_list(ctx.conn, library.SONG_SPEC, _without_filter(ctx.params), q)
    return ObjectList(SONG, library.song_page(ctx, page.page_ids), page.total, page.md5)
