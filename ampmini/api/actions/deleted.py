"""deleted_songs: songs removed from the library, so clients can drop them from their caches.

Spec §6.2, §8.16. The scanner copies a song into table `deleted_song` when its file goes away
(catalog_delete does the same for a whole catalog). Shapes (Ampache 6.9.1 / 7.x sources):
XML has no list envelope (§3.1); API6 JSON has `total_count`/`md5` (json/deleted_songs.json);
API5 JSON is the bare `{"deleted_song": […]}`. The JSON key is always the singular object name:
Ampache's plural key on an empty answer is a quirk ampmini fixes (§12 Fix 10).
"""

from __future__ import annotations

from ..library import id_json
from ..listing import paginate
from ..registry import Context, action
from ..shapes import Field, Kind, ObjectList, Shape

# Ampache's order: id, addition_time, delete_time, title, file, catalog, total_count,
# total_skip, update_time, album, artist. XML: title/file CDATA, the rest bare.
DELETED_SONG = Shape(
    "deleted_song",
    (
        Field("id", Kind.ID),
        Field("addition_time", Kind.INT),
        Field("delete_time", Kind.INT),
        Field("title", Kind.TEXT),
        Field("file", Kind.TEXT),
        Field("catalog", Kind.STR_ID),
        Field("total_count", Kind.INT),
        Field("total_skip", Kind.INT),
        Field("update_time", Kind.INT),
        Field("album", Kind.STR_ID),
        Field("artist", Kind.STR_ID),
    ),
)


@action("deleted_songs")
def deleted_songs(ctx: Context) -> ObjectList:
    # Oldest deletion first: a client paging through with offsets sees new rows appended.
    ids = [row[0] for row in ctx.conn.execute(
        "SELECT id FROM deleted_song ORDER BY delete_time, id"
    )]  # fmt: skip
    page = paginate(ids, ctx.params.paging())
    rows = ctx.conn.execute(
        "SELECT d.* FROM json_each(?) AS j JOIN deleted_song AS d ON d.id = j.value ORDER BY j.key",
        (id_json(page.page_ids),),
    )
    items = [
        {
            "id": r["id"],
            "addition_time": r["addition_time"],
            "delete_time": r["delete_time"],
            "title": r["title"],
            "file": r["file"],
            "catalog": r["catalog_id"],
            "total_count": r["total_count"],
            "total_skip": r["total_skip"],
            "update_time": r["update_time"],
            "album": r["album_id"],
            "artist": r["artist_id"],
        }
        for r in rows
    ]
    # The envelope is JSON-only (API6; the renderer leaves it out of API5 JSON anyway).
    return ObjectList(DELETED_SONG, items, page.total, page.md5, xml_envelope=False)
