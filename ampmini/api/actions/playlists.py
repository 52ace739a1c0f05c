"""Playlists (spec §6.6): lists, items, editing, and who may see or change them.

Visibility (§6.6): public lists, the caller's own, lists the caller collaborates on; admins
see all. Anything else answers exactly like a missing id (4704), never hinting it exists.
Owner (creator or admin) renames, deletes, changes type/owner; collaborators edit items.
`smart_N` ids name smartlists wherever a playlist id is accepted (§12 Copy 6).
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ... import preferences
from ...accounts import find_user
from .. import library
from ..errors import BadRequest, Forbidden, MissingParameter, NotFound
from ..listing import (
    ENABLED_SONG,
    ListSpec,
    Page,
    Query,
    apply_scope,
    ids_md5,
    like_pattern,
    paginate,
    standard_list,
)
from ..objects import SONG, SONG_INDEX_XML
from ..objects.playlists import PLAYLIST, PLAYLIST_INDEX_XML
from ..registry import Context, Level, action
from ..rules import SEARCH_TYPES, Rule, RuleDef, SearchType, search_ids
from ..shapes import IdList, KeyValues, ObjectList, Single, Success
from . import indexes, search

SMART_PREFIX = "smart_"

# Playlists and smartlists as one listable set; `lid` is the wire id (N or smart_N).
LIST_SPEC = ListSpec(
    base=(
        "FROM (SELECT id AS lid, id AS num, 'playlist' AS kind, name, user_id, type, date,"
        " last_update FROM playlist UNION ALL SELECT 'smart_' || id, id, 'smartlist', name,"
        " user_id, type, date, last_update FROM smartlist) pl"
    ),
    id_column="pl.lid",
    name_column="pl.name",
    sorts={
        "name": "pl.name COLLATE NOCASE",
        "title": "pl.name COLLATE NOCASE",
        "id": "pl.num",
        "date": "pl.date",
        "last_update": "pl.last_update",
        "type": "pl.type",
        "user": "pl.user_id",
        "rand": "RANDOM()",
    },
    default_sort="name",
    conds={
        "like": "fold(pl.name) LIKE ? ESCAPE '\\'",
        "alpha_match": "fold(pl.name) LIKE ? ESCAPE '\\'",
        "equal": "fold(pl.name) = fold(?)",
        "exact_match": "fold(pl.name) = fold(?)",
        "playlist_type": "pl.type = ?",
        "playlist_user": "pl.user_id = ?",
        "id": "pl.num = ?",
    },
)


def visible(q: Query, ctx: Context) -> None:
    """Only lists the caller may see (spec §6.6)."""
    q.add(
        "pl.type = 'public' OR pl.user_id = ? OR ? OR (pl.kind = 'playlist' AND EXISTS"
        " (SELECT 1 FROM playlist_user pu WHERE pu.playlist_id = pl.num AND pu.user_id = ?))",
        ctx.user_id, int(ctx.is_admin), ctx.user_id,
    )


# ------------------------------------------------------------------ ids and access


@dataclass(frozen=True, slots=True)
class ListRow:
    """One playlist or smartlist the caller can see, with what the caller may do to it."""

    kind: str  # "playlist" | "smartlist"
    id: int
    name: str
    user_id: int
    type: str
    owner: bool  # creator or admin
    collab: bool  # owner or collaborator

    @property
    def wire_id(self) -> str:
        return f"{SMART_PREFIX}{self.id}" if self.kind == "smartlist" else str(self.id)


def parse_list_id(raw: str) -> tuple[str, int] | None:
    text = raw.strip()
    if text.lower().startswith(SMART_PREFIX):
        number = text[len(SMART_PREFIX):]
        return ("smartlist", int(number)) if number.isdigit() else None
    return ("playlist", int(text)) if text.isdigit() else None


def find_list(
    ctx: Context, param: str = "filter", *aliases: str, raw: str | None = None
) -> ListRow:
    """The list named by `param`, if the caller may see it; else 4704 with that param."""
    value = raw if raw is not None else ctx.params.required(param, *aliases)
    parsed = parse_list_id(value)
    if parsed is None:
        raise NotFound(value, param)
    kind, number = parsed
    table = "smartlist" if kind == "smartlist" else "playlist"
    # table is one of two literals above.
    row = ctx.conn.execute(
        f"SELECT id, name, user_id, type FROM {table} WHERE id = ?", (number,)  # noqa: S608
    ).fetchone()
    if row is None:
        raise NotFound(value, param)
    owner = row["user_id"] == ctx.user_id or ctx.is_admin
    collab = owner or (
        kind == "playlist"
        and ctx.conn.execute(
            "SELECT 1 FROM playlist_user WHERE playlist_id = ? AND user_id = ?",
            (number, ctx.user_id),
        ).fetchone() is not None
    )
    if row["type"] != "public" and not collab:
        raise NotFound(value, param)  # another user's private list: as if missing
    return ListRow(kind, number, row["name"], row["user_id"], row["type"], owner, collab)


def require_owner(item: ListRow) -> None:
    if not item.owner:
        raise Forbidden(Level.ADMIN)


def require_collab(item: ListRow) -> None:
    if not item.collab:
        raise Forbidden(Level.ADMIN)


def require_playlist(item: ListRow, param: str = "filter") -> None:
    """Item edits need a real playlist: a smartlist's content is its rules."""
    if item.kind != "playlist":
        raise BadRequest(item.wire_id, param)


# ------------------------------------------------------------------ song ids


def playlist_song_ids(conn: sqlite3.Connection, playlist_id: int) -> list[int]:
    """Enabled songs of a playlist in track order (one indexed query)."""
    return [
        r[0]
        for r in conn.execute(
            "SELECT d.object_id FROM playlist_data d JOIN song s ON s.id = d.object_id"
            " WHERE d.playlist_id = ? AND d.object_type = 'song' AND s.enabled = 1"
            " ORDER BY d.track, d.id",
            (playlist_id,),
        )
    ]


def smartlist_rules(row: sqlite3.Row) -> list[Rule]:
    return [Rule(str(n).lower(), int(o), str(v)) for n, o, v in json.loads(row["rules"])]


def evaluate_smartlist(
    conn: sqlite3.Connection, smartlist_id: int, user_id: int, *, random: bool | None = None
) -> list[int]:
    """A smartlist's songs by the advanced_search engine (one engine, spec §9), with "my"
    rules as `user_id`; `random` overrides the list's own setting."""
    row = conn.execute("SELECT * FROM smartlist WHERE id = ?", (smartlist_id,)).fetchone()
    if row is None:
        return []
    return search_ids(
        conn, "song", smartlist_rules(row),
        match_any=row["logic"] == "or",
        random=bool(row["random"]) if random is None else random,
        user_id=user_id, limit=row["item_limit"] or None,
    )


def smartlist_song_ids(ctx: Context, smartlist_id: int) -> list[int]:
    return evaluate_smartlist(ctx.conn, smartlist_id, ctx.user_id)


def list_song_ids(ctx: Context, item: ListRow) -> list[int]:
    if item.kind == "smartlist":
        return smartlist_song_ids(ctx, item.id)
    return playlist_song_ids(ctx.conn, item.id)


def stream_song_ids(ctx: Context, raw_id: str) -> list[int]:
    """Songs of a visible playlist/smartlist for `stream type=playlist|search` (lead's hook)."""
    try:
        return list_song_ids(ctx, find_list(ctx, "id", raw=raw_id))
    except NotFound:
        return []


# ------------------------------------------------------------------ loading items


def _rows(conn: sqlite3.Connection, table: str, ids: list[int], uid: int) -> dict[int, Any]:
    kind = "playlist" if table == "playlist" else "search"
    # table is "playlist" or "smartlist" (callers pass literals).
    count = (
        "(SELECT COUNT(*) FROM playlist_data d WHERE d.playlist_id = x.id)"
        if table == "playlist" else "x.last_count"
    )
    collab = (
        "EXISTS (SELECT 1 FROM playlist_user pu WHERE pu.playlist_id = x.id AND pu.user_id = :uid)"
        if table == "playlist" else "0"
    )
    sql = (
        f"SELECT x.*, u.username, {count} AS items, {collab} AS collab,"  # noqa: S608
        " f.date AS flagged, r.rating AS my_rating,"
        " (SELECT AVG(rating) FROM rating a WHERE a.object_type = :kind AND a.object_id = x.id)"
        " AS average"
        f" FROM json_each(:ids) j JOIN {table} x ON x.id = j.value JOIN user u ON u.id = x.user_id"
        " LEFT JOIN flag f ON f.user_id = :uid AND f.object_type = :kind AND f.object_id = x.id"
        " LEFT JOIN rating r ON r.user_id = :uid AND r.object_type = :kind AND r.object_id = x.id"
    )
    rows = conn.execute(sql, {"ids": library.id_json(ids), "uid": uid, "kind": kind})
    return {r["id"]: r for r in rows}


def _playlist_tracks(conn: sqlite3.Connection, ids: list[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    for playlist_id, song_id in conn.execute(
        "SELECT d.playlist_id, d.object_id FROM playlist_data d JOIN song s ON s.id = d.object_id"
        " WHERE d.playlist_id IN (SELECT value FROM json_each(?)) AND s.enabled = 1"
        " ORDER BY d.playlist_id, d.track, d.id",
        (library.id_json(ids),),
    ):
        found[playlist_id].append(song_id)
    return found


def load_lists(ctx: Context, ids: Sequence[int | str], include: bool = False) -> list[dict]:
    """Playlist items for wire ids (N or smart_N), in order; a fixed number of queries."""
    plain = [int(i) for i in ids if not str(i).startswith(SMART_PREFIX)]
    smart = [int(str(i)[len(SMART_PREFIX):]) for i in ids if str(i).startswith(SMART_PREFIX)]
    conn = ctx.conn
    playlists = _rows(conn, "playlist", plain, ctx.user_id) if plain else {}
    smartlists = _rows(conn, "smartlist", smart, ctx.user_id) if smart else {}
    tracks = _playlist_tracks(conn, plain) if include and plain else {}
    urls = ctx.cache.get("urls") or ctx.cache.setdefault("urls", library.UrlBuilder(ctx))
    items = []
    for wire in ids:
        is_smart = str(wire).startswith(SMART_PREFIX)
        number = int(str(wire)[len(SMART_PREFIX):]) if is_smart else int(wire)
        row = (smartlists if is_smart else playlists).get(number)
        if row is None:
            continue
        songs: list[int] | None = None
        if include:
            songs = smartlist_song_ids(ctx, number) if is_smart else tracks.get(number, [])
        owner = row["user_id"] == ctx.user_id or ctx.is_admin
        items.append(
            {
                "id": f"{SMART_PREFIX}{number}" if is_smart else number,
                "name": row["name"],
                "owner": row["username"],
                "user": {"id": row["user_id"], "username": row["username"]},
                "items": (
                    [(s, pos) for pos, s in enumerate(songs, start=1)]
                    if songs is not None else row["items"]
                ),
                "type": row["type"],
                "art": urls.art("search" if is_smart else "playlist", number),
                "has_access": owner,
                "has_collaborate": owner or bool(row["collab"]),
                "has_art": False,
                "flag": row["flagged"] is not None,
                "preciserating": row["my_rating"],
                "rating": row["my_rating"],
                "averagerating": None if row["average"] is None else round(row["average"], 1),
                "md5": ids_md5(songs) if songs else None,
                "last_update": 0 if is_smart and not row["last_update"] else row["last_update"],
            }
        )
    return items


def include_items(ctx: Context) -> bool:
    return bool(ctx.params.include() & {"1", "true", "songs", "items"})


def list_page(ctx: Context, q: Query) -> Page:
    visible(q, ctx)
    return standard_list(ctx.conn, LIST_SPEC, ctx.params, q)


def lists_document(ctx: Context, page: Page) -> ObjectList:
    items = load_lists(ctx, page.page_ids, include_items(ctx))
    return ObjectList(PLAYLIST, items, page.total, page.md5)


def song_page(ctx: Context, ids: list[int]) -> ObjectList:
    """A song list whose `playlisttrack` is the position in the whole list (§12 Copy 5)."""
    params = ctx.params.without("filter", "exact")
    ids = list(library.visible_ids(ctx.conn, "song", ids))  # a restricted user's catalogs
    if params.flag("random"):
        ids = random.sample(ids, len(ids))
    page = paginate(ids, params.paging())
    start = min(params.paging().offset, len(ids))
    items = library.song_page(ctx, page.page_ids, first_track=start + 1)
    return ObjectList(SONG, items, page.total, page.md5)


# ------------------------------------------------------------------ writes


def _write_order(conn: sqlite3.Connection, playlist_id: int, row_ids: list[int]) -> None:
    """Store positions 1..N for entry ids in order, in one statement. (A CTE with a window
    function inside the UPDATE would be re-read while rows change, so order is read first.)"""
    conn.execute(
        "UPDATE playlist_data SET track = (SELECT j.key + 1 FROM json_each(?) j"
        " WHERE j.value = playlist_data.id) WHERE playlist_id = ?",
        (json.dumps(row_ids), playlist_id),
    )


def _entry_ids(conn: sqlite3.Connection, playlist_id: int, order: str = "track, id") -> list[int]:
    # order is one of this module's literals.
    return [
        r[0]
        for r in conn.execute(
            f"SELECT d.id FROM playlist_data d WHERE d.playlist_id = ? ORDER BY {order}",  # noqa: S608
            (playlist_id,),
        )
    ]


def renumber(conn: sqlite3.Connection, playlist_id: int, now: int | None = None) -> None:
    """Positions 1..N with no gaps, in the current order; stamps last_update."""
    _write_order(conn, playlist_id, _entry_ids(conn, playlist_id))
    conn.execute(
        "UPDATE playlist SET last_update = ? WHERE id = ?",
        (int(now or time.time()), playlist_id),
    )


def append_songs(conn: sqlite3.Connection, playlist_id: int, song_ids: Sequence[int]) -> int:
    """Append in one statement (a 2,000-song artist stays one INSERT)."""
    if not song_ids:
        return 0
    conn.execute(
        "INSERT INTO playlist_data (playlist_id, object_type, object_id, track)"
        " SELECT ?, 'song', j.value, (SELECT COALESCE(MAX(track), 0) FROM playlist_data"
        " WHERE playlist_id = ?) + j.key + 1 FROM json_each(?) j",
        (playlist_id, playlist_id, library.id_json(song_ids)),
    )
    renumber(conn, playlist_id)
    return len(song_ids)


def _type_of(raw: str | None) -> str:
    """`type`: private (default) or public; anything but `private` means public (§6.6)."""
    if raw is None or raw.strip() == "" or raw.strip().lower() == "private":
        return "private"
    return "public"


# ------------------------------------------------------------------ actions: reading


@action("playlists")
def playlists(ctx: Context) -> ObjectList:
    q = Query()
    if ctx.params.flag("hide_search"):
        q.add("pl.kind = 'playlist'")
    elif (ctx.params.get("show_dupes") or "1").strip() == "0":
        q.add(
            "pl.kind = 'playlist' OR NOT EXISTS (SELECT 1 FROM playlist p2"
            " WHERE fold(p2.name) = fold(pl.name))"
        )
    return lists_document(ctx, list_page(ctx, q))


@action("user_playlists", api6_only=True)
def user_playlists(ctx: Context) -> ObjectList:
    q = Query()
    q.add("pl.kind = 'playlist' AND pl.user_id = ?", ctx.user_id)
    return lists_document(ctx, list_page(ctx, q))


@action("playlist")
def playlist(ctx: Context) -> Single:
    item = find_list(ctx)
    return Single(PLAYLIST, load_lists(ctx, [item.wire_id if item.kind == "smartlist"
                                              else item.id], include_items(ctx))[0])


@action("playlist_songs")
def playlist_songs(ctx: Context) -> ObjectList:
    return song_page(ctx, list_song_ids(ctx, find_list(ctx)))


@action("playlist_hash", api6_only=True)
def playlist_hash(ctx: Context) -> KeyValues:
    ids = list_song_ids(ctx, find_list(ctx))
    return KeyValues({"md5": ids_md5(ids) if ids else None})


# ------------------------------------------------------------------ actions: changing


@action("playlist_create", level=Level.USER, aliases=("playlists_create",))
def playlist_create(ctx: Context) -> Single:
    name = ctx.params.required("name")
    kind = _type_of(ctx.params.get("type"))
    now = int(time.time())
    with ctx.db.writer() as conn:
        new_id = conn.execute(
            "INSERT INTO playlist (name, user_id, type, date, last_update) VALUES (?, ?, ?, ?, ?)",
            (name, ctx.user_id, kind, now, now),
        ).lastrowid
    return Single(PLAYLIST, load_lists(ctx, [int(new_id)])[0])


def _positions(ctx: Context) -> list[tuple[int, int]] | None:
    """`items` + `tracks`: equal-length comma lists of song ids and 1-based positions."""
    items_raw, tracks_raw = ctx.params.get("items"), ctx.params.get("tracks")
    if not items_raw and not tracks_raw:
        return None
    items = [p.strip() for p in (items_raw or "").split(",") if p.strip()]
    tracks = [p.strip() for p in (tracks_raw or "").split(",") if p.strip()]
    if len(items) != len(tracks) or not items:
        raise BadRequest(tracks_raw or items_raw, "tracks" if items else "items")
    for value, param in [*((i, "items") for i in items), *((t, "tracks") for t in tracks)]:
        if not value.isdigit() or (param == "tracks" and int(value) < 1):
            raise BadRequest(value, param)
    return [(int(i), int(t)) for i, t in zip(items, tracks, strict=True)]


def _reorder(conn: sqlite3.Connection, playlist_id: int, moves: list[tuple[int, int]]) -> None:
    """Put song items[i] at position tracks[i], in the order given; then renumber."""
    order = [
        (r[0], r[1])
        for r in conn.execute(
            "SELECT id, object_id FROM playlist_data WHERE playlist_id = ? ORDER BY track, id",
            (playlist_id,),
        )
    ]
    for song_id, position in moves:
        index = next((i for i, (_, s) in enumerate(order) if s == song_id), None)
        if index is None:
            raise BadRequest(song_id, "items")
        entry = order.pop(index)
        order.insert(min(position, len(order) + 1) - 1, entry)
    _write_order(conn, playlist_id, [row_id for row_id, _ in order])


def _sort_tracks(conn: sqlite3.Connection, playlist_id: int) -> None:
    """`sort=1`: album artist, album, disc, track, title (Ampache's sort_tracks)."""
    ordered = [
        r[0]
        for r in conn.execute(
            "SELECT d.id FROM playlist_data d LEFT JOIN song s ON s.id = d.object_id"
            " LEFT JOIN album al ON al.id = s.album_id LEFT JOIN artist ar"
            " ON ar.id = COALESCE(al.album_artist_id, s.artist_id) WHERE d.playlist_id = ?"
            " ORDER BY ar.basename COLLATE NOCASE, al.basename COLLATE NOCASE, s.disk, s.track,"
            " s.title COLLATE NOCASE, d.id",
            (playlist_id,),
        )
    ]
    _write_order(conn, playlist_id, ordered)


def _new_owner(ctx: Context) -> int | None:
    raw = ctx.params.get("owner")
    if raw is None or raw.strip() == "":
        return None
    row = find_user(ctx.conn, raw.strip())
    if row is None:
        raise NotFound(raw, "owner")
    return int(row["id"])


@action("playlist_edit", level=Level.USER, aliases=("playlists_edit",))
def playlist_edit(ctx: Context) -> Success:
    item = find_list(ctx)
    params = ctx.params
    name = params.get("name") or None
    kind = _type_of(params.get("type")) if params.get("type") else None
    owner = _new_owner(ctx)
    moves = _positions(ctx)
    sort = params.flag("sort")
    if name is None and kind is None and owner is None and moves is None and not sort:
        raise BadRequest("Nothing was changed", "input")
    if name is not None or kind is not None or owner is not None:
        require_owner(item)
    else:
        require_collab(item)
    if (moves is not None or sort) and item.kind != "playlist":
        raise BadRequest(item.wire_id, "filter")
    table = "smartlist" if item.kind == "smartlist" else "playlist"
    now = int(time.time())
    with ctx.db.writer() as conn:
        # table is one of two literals; column names are fixed.
        if name is not None:
            conn.execute(f"UPDATE {table} SET name = ? WHERE id = ?", (name, item.id))  # noqa: S608
        if kind is not None:
            conn.execute(f"UPDATE {table} SET type = ? WHERE id = ?", (kind, item.id))  # noqa: S608
        if owner is not None:
            conn.execute(f"UPDATE {table} SET user_id = ? WHERE id = ?", (owner, item.id))  # noqa: S608
        if sort:
            _sort_tracks(conn, item.id)
        if moves is not None:
            _reorder(conn, item.id, moves)
        if item.kind == "playlist":
            renumber(conn, item.id, now)
        else:
            conn.execute("UPDATE smartlist SET last_update = ? WHERE id = ?", (now, item.id))
    if name is None and kind is None and owner is None:
        return Success("playlist track changes saved")
    return Success("playlist changes saved")


@action("playlist_delete", level=Level.USER, aliases=("playlists_delete",))
def playlist_delete(ctx: Context) -> Success:
    item = find_list(ctx)
    require_owner(item)
    table = "smartlist" if item.kind == "smartlist" else "playlist"
    with ctx.db.writer() as conn:
        conn.execute(f"DELETE FROM {table} WHERE id = ?", (item.id,))  # noqa: S608 - literal
    return Success("playlist deleted")


def _song_param(ctx: Context, *names: str) -> int:
    value = ctx.params.required(*names)
    if not value.strip().isdigit():
        raise NotFound(value, names[0])
    song_id = int(value)
    if ctx.conn.execute("SELECT 1 FROM song WHERE id = ?", (song_id,)).fetchone() is None:
        raise NotFound(song_id, names[0])
    return song_id


@action("playlist_add_song", level=Level.USER, aliases=("playlist_add_song_edit",))
def playlist_add_song(ctx: Context) -> Success:
    item = find_list(ctx)
    require_collab(item)
    require_playlist(item)
    song_id = _song_param(ctx, "song", "id")
    with ctx.db.writer() as conn:
        if ctx.params.flag("check") and conn.execute(
            "SELECT 1 FROM playlist_data WHERE playlist_id = ? AND object_type = 'song'"
            " AND object_id = ?", (item.id, song_id),
        ).fetchone():
            raise BadRequest(song_id, "duplicate")
        append_songs(conn, item.id, [song_id])
    return Success("song added to playlist")


def _source_songs(ctx: Context, kind: str, raw: str) -> list[int]:
    """Songs of the object `playlist_add` names, in its natural order."""
    conn = ctx.conn
    if kind == "playlist" or raw.strip().lower().startswith(SMART_PREFIX):
        return list_song_ids(ctx, find_list(ctx, "id", raw=raw))
    if not raw.strip().isdigit():
        raise NotFound(raw, "id")
    object_id = int(raw)
    table = {"song": "song", "album": "album", "artist": "artist"}[kind]
    if conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (object_id,)).fetchone() is None:  # noqa: S608
        raise NotFound(object_id, "id")
    if kind == "song":
        return [object_id]
    if kind == "album":
        return library.album_song_ids(conn, [object_id])[object_id]
    return [
        r[0]
        for r in conn.execute(
            "SELECT s.id FROM song_artist sa JOIN song s ON s.id = sa.song_id"
            " JOIN album al ON al.id = s.album_id WHERE sa.artist_id = ? AND s.enabled = 1"
            " ORDER BY al.year, al.basename COLLATE NOCASE, s.album_id, s.disk, s.track",
            (object_id,),
        )
    ]


@action("playlist_add", level=Level.USER, api6_only=True, aliases=("playlist_add_edit",))
def playlist_add(ctx: Context) -> Success:
    item = find_list(ctx)
    raw = ctx.params.required("id", "song")
    kind = ctx.params.required("type").strip().lower()
    if kind not in ("song", "album", "artist", "playlist", "smartlist", "search"):
        raise BadRequest(kind, "type")
    require_collab(item)
    require_playlist(item)
    songs = _source_songs(ctx, "playlist" if kind in ("smartlist", "search") else kind, raw)
    if not songs:
        return Success("nothing was added to the playlist")
    with ctx.db.writer() as conn:
        append_songs(conn, item.id, songs)
    return Success("songs added to playlist")


@action("playlist_remove_song", level=Level.USER, aliases=("playlist_remove_song_edit",))
def playlist_remove_song(ctx: Context) -> Success:
    item = find_list(ctx)
    require_collab(item)
    require_playlist(item)
    params = ctx.params
    with ctx.db.writer() as conn:
        if params.flag("clear"):
            conn.execute("DELETE FROM playlist_data WHERE playlist_id = ?", (item.id,))
            renumber(conn, item.id)
            return Success("all songs removed from playlist")
        if params.get("song"):
            raw = params.text("song").strip()
            deleted = conn.execute(
                "DELETE FROM playlist_data WHERE playlist_id = ? AND object_type = 'song'"
                " AND object_id = ?", (item.id, int(raw) if raw.isdigit() else -1),
            ).rowcount
            if not deleted:
                raise NotFound(raw, "song")
        elif params.get("track"):
            raw = params.text("track").strip()
            row = None
            if raw.isdigit() and int(raw) > 0:
                row = conn.execute(
                    "SELECT id FROM playlist_data WHERE playlist_id = ? ORDER BY track, id"
                    " LIMIT 1 OFFSET ?", (item.id, int(raw) - 1),
                ).fetchone()
            if row is None:
                raise NotFound(raw, "track")
            conn.execute("DELETE FROM playlist_data WHERE id = ?", (row[0],))
        else:
            raise MissingParameter("song")
        renumber(conn, item.id)
    return Success("song removed from playlist")


# ------------------------------------------------------------------ playlist_generate

_MODES = ("random", "recent", "forgotten", "unplayed")
_FORMATS = ("song", "index", "id")


def _generate_query(ctx: Context, mode: str) -> Query:
    params, uid = ctx.params, ctx.user_id
    q = Query()
    q.add(ENABLED_SONG)
    days = int(preferences.get(ctx.conn, uid, "stats_threshold", ctx.config))
    since = int(time.time()) - days * 86400
    played = (
        "SELECT object_id FROM play WHERE user_id = ? AND object_type = 'song' AND kind = 'play'"
    )
    # §12 Fix 11: recent = played within stats_threshold days; forgotten = last play before.
    if mode == "recent":
        q.add(f"s.id IN ({played} AND date >= ?)", uid, since)
    elif mode == "forgotten":
        q.add(f"s.id IN ({played} GROUP BY object_id HAVING MAX(date) < ?)", uid, since)
    elif mode == "unplayed":
        q.add(f"s.id NOT IN ({played})", uid)
    if params.get("filter"):
        q.add("fold(s.title) LIKE ? ESCAPE '\\'", like_pattern(params.text("filter")))
    if params.get("album"):
        q.add("s.album_id = ?", params.int("album"))
    if params.get("artist"):
        q.add("s.id IN (SELECT song_id FROM song_artist WHERE artist_id = ?)", params.int("artist"))
    if params.flag("flag"):
        q.add(
            "s.id IN (SELECT object_id FROM flag WHERE user_id = ? AND object_type = 'song')", uid
        )
    return q


@action("playlist_generate")
def playlist_generate(ctx: Context) -> ObjectList | IdList:
    mode = (ctx.params.get("mode") or "random").strip().lower()
    if mode not in _MODES:
        mode = "random"  # Ampache falls back to random for an unknown mode
    fmt = (ctx.params.get("format") or "song").strip().lower()
    if fmt not in _FORMATS:
        fmt = "song"
    q = _generate_query(ctx, mode)
    apply_scope(q, "song", "s")  # a catalog-restricted user's catalogs only (issue 9)
    sql = f"SELECT s.id FROM song s WHERE {q.sql()} ORDER BY RANDOM()"  # noqa: S608
    ids = [r[0] for r in ctx.conn.execute(sql, q.args)]
    page = paginate(ids, ctx.params.paging())
    if fmt == "id":
        return IdList(page.page_ids)
    items = library.song_page(ctx, page.page_ids)
    if fmt == "index":
        return ObjectList(SONG, items, page.total, page.md5, xml_shape=SONG_INDEX_XML)
    return ObjectList(SONG, items, page.total, page.md5)


# ------------------------------------------------------------------ registries

def _index_load(ctx: Context, ids: list, include: bool) -> list[dict[str, Any]]:
    return load_lists(ctx, ids, include)


def _index_children(ctx: Context, ids: list) -> dict[Any, list[tuple[int, str]]]:
    items = load_lists(ctx, ids, True)
    return {item["id"]: [(s, "song") for s, _ in item["items"]] for item in items}


def _index_scope(ctx: Context, q: Query) -> None:
    visible(q, ctx)
    if ctx.params.flag("hide_search"):
        q.add("pl.kind = 'playlist'")


indexes.INDEX_TYPES["playlist"] = indexes.IndexType(
    LIST_SPEC, PLAYLIST, _index_load, PLAYLIST_INDEX_XML,
    children=_index_children, name_keys=("name", "", "name"), scope=_index_scope,
    condensed_with_include=True,
)

# advanced_search type=playlist (spec §9.2): playlists the caller can see.
SEARCH_TYPES["playlist"] = SearchType(
    "FROM playlist p",
    "p.id",
    {
        "title": RuleDef("text", "p.name"),
        "type": RuleDef("boolean_numeric", "(CASE p.type WHEN 'public' THEN '0' ELSE '1' END)"),
        "owner": RuleDef("boolean_numeric", "p.user_id"),
        "id": RuleDef("numeric", "p.id"),
    },
    {"name": "title", "playlist": "title", "playlist_name": "title", "user": "owner"},
    "p.name COLLATE NOCASE",
    "p.type = 'public' OR p.user_id = :uid OR EXISTS (SELECT 1 FROM playlist_user pu"
    " WHERE pu.playlist_id = p.id AND pu.user_id = :uid) OR EXISTS (SELECT 1 FROM user"
    " WHERE id = :uid AND access >= 100)",
)
search.RESULT_TYPES["playlist"] = (PLAYLIST, lambda ctx, ids: load_lists(ctx, ids))
