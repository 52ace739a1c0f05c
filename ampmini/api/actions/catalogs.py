"""catalogs and catalog: the library roots, as Ampache catalogs (spec §6.2, §8.6)."""

from __future__ import annotations

from typing import Any

from ..listing import ListSpec, Query, paginate, select_ids
from ..objects import CATALOG
from ..registry import Context, action
from ..shapes import ObjectList, Single
from .browse import require_row

CATALOG_SPEC = ListSpec(
    base="FROM catalog c",
    id_column="c.id",
    name_column="c.name",
    sorts={"name": "c.name COLLATE NOCASE", "id": "c.id", "title": "c.name COLLATE NOCASE"},
    default_sort="name",
    scope="catalog",
)
# `filter` on catalogs is a gather type; the video family maps onto `video` (spec §5).
GATHER_TYPES = {
    "music": "music",
    "podcast": "podcast",
    "video": "video",
    "clip": "video",
    "tvshow": "video",
    "movie": "video",
    "personal_video": "video",
}


def load_catalogs(ctx: Context, ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    rows = ctx.conn.execute(
        "SELECT c.* FROM json_each(?) j JOIN catalog c ON c.id = j.value ORDER BY j.key",
        (str(ids),),
    )
    return [
        {
            "id": r["id"],
            "name": r["name"],
            "type": r["type"],
            "gather_types": r["gather_types"],
            "enabled": bool(r["enabled"]),
            "last_add": r["last_add"],
            "last_clean": r["last_clean"],
            "last_update": r["last_update"],
            "path": r["path"],
            "rename_pattern": "%T - %t",
            "sort_pattern": "%a/%A",
        }
        for r in rows
    ]


@action("catalogs")
def catalogs(ctx: Context) -> ObjectList:
    q = Query()
    gather = (ctx.params.get("filter") or "").strip().lower()
    if gather in GATHER_TYPES:
        q.add("c.gather_types = ?", GATHER_TYPES[gather])
    from ..listing import order_by

    ids = select_ids(ctx.conn, CATALOG_SPEC, q, order_by(CATALOG_SPEC, ctx.params))
    page = paginate(ids, ctx.params.paging())
    return ObjectList(CATALOG, load_catalogs(ctx, page.page_ids), page.total, page.md5)


@action("catalog")
def catalog(ctx: Context) -> Single:
    catalog_id = require_row(ctx, "catalog")
    return Single(CATALOG, load_catalogs(ctx, [catalog_id])[0])
