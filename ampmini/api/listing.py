"""List parameters → SQL: filter, exact, add/update, cond, sort, paging, total_count and md5.

Every list action first selects the ordered ids of all matches (one indexed query), takes
total_count and md5 from them, and then loads full rows for the page only. Sort columns and
condition names come from per-type whitelists; values are always bound parameters.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .params import Paging, Params

# ------------------------------------------------------------------ per-user catalog access

# The catalogs the current request's user may see, as a JSON array bound to json_each, or
# None for "every catalog" (issue 9). Set by dispatch for the duration of one action, only for
# restricted users, so every list, search and loader below applies it without each action
# having to pass it along; unrestricted requests never add a clause.
catalog_scope: ContextVar[str | None] = ContextVar("catalog_scope", default=None)

_IN = "IN (SELECT value FROM json_each(?))"
# Visibility of one row of each library table, `{a}` = the table's alias, `{in}` = membership
# in the bound JSON array. An album or artist may span catalogs: it is visible when it has a
# visible song (artists: credited on one, or album artist of an album with one). Every
# sub-select walks an index (song_by_album, song_artist_by_artist, album_by_artist,
# song_genre_by_genre).
_VISIBLE: dict[str, str] = {
    "song": "{a}.catalog_id {in}",
    "album": "EXISTS (SELECT 1 FROM song vs WHERE vs.album_id = {a}.id AND vs.catalog_id {in})",
    "artist": "EXISTS (SELECT 1 FROM song_artist va JOIN song vs ON vs.id = va.song_id"
    " WHERE va.artist_id = {a}.id AND vs.catalog_id {in})"
    " OR EXISTS (SELECT 1 FROM album val JOIN song vs ON vs.album_id = val.id"
    " WHERE val.album_artist_id = {a}.id AND vs.catalog_id {in})",
    "genre": "EXISTS (SELECT 1 FROM song_genre vg JOIN song vs ON vs.id = vg.song_id"
    " WHERE vg.genre_id = {a}.id AND vs.catalog_id {in})",
    "catalog": "{a}.id {in}",
}


@contextmanager
def scoped(catalogs: Sequence[int] | None) -> Iterator[None]:
    """Run the block limited to `catalogs` (None: unlimited)."""
    if catalogs is None:
        yield
        return
    token = catalog_scope.set(json.dumps(list(catalogs)))
    try:
        yield
    finally:
        catalog_scope.reset(token)


def scope_clause(table: str, alias: str) -> tuple[str, list[str]] | None:
    """(clause, values) limiting `alias` (a row of `table`) to the user's catalogs, or None
    when this request is unrestricted or the table is not catalog-bound."""
    scope = catalog_scope.get()
    template = _VISIBLE.get(table)
    if scope is None or template is None:
        return None
    clause = template.replace("{a}", alias).replace("{in}", _IN)
    return f"({clause})", [scope] * clause.count("?")


def apply_scope(q: Query, table: str | None, alias: str) -> None:
    """Add the catalog visibility of `table` rows to `q` (nothing for unrestricted users)."""
    found = scope_clause(table, alias) if table else None
    if found is not None:
        q.add(found[0], *found[1])


def is_visible(conn, table: str, object_id: int) -> bool:
    """Whether the current user may see row `object_id` of `table` (True when unrestricted)."""
    found = scope_clause(table, "t")
    if found is None:
        return True
    clause, values = found
    # table is a key of _VISIBLE (a literal whitelist), never request input.
    row = conn.execute(
        f"SELECT 1 FROM {table} t WHERE t.id = ? AND {clause}",  # noqa: S608
        (object_id, *values),
    ).fetchone()
    return row is not None


# Enabled songs only (alias `s`): the few disabled ids come from a partial index (schema
# 0011), so a title-ordered list stays on its covering index instead of reading every row.
ENABLED_SONG = "s.id NOT IN (SELECT id FROM song WHERE enabled = 0)"


class Ids(list):
    """A list's ids in order; `memo` is the connection's cached entry they came from."""

    memo: _IdsMemo | None = None


@dataclass(slots=True)
class _IdsMemo:
    """The last id list read on a connection: its statement, the database version it was
    read at, the ids as SQLite's JSON text, and their md5 once asked for."""

    key: tuple[str, tuple[object, ...]]
    version: int
    text: str
    md5: str | None = None


def ids_md5(ids: Sequence[int | str]) -> str:
    """md5 of PHP's serialize() of the id list — the value Ampache sends (spec §3.4)."""
    if isinstance(ids, Ids) and ids.memo is not None:
        if ids.memo.md5 is None:
            ids.memo.md5 = _serialized_md5(ids)
        return ids.memo.md5
    return _serialized_md5(ids)


def _serialized_md5(ids: Sequence[int | str]) -> str:
    count = len(ids)
    try:
        # One %-format over the whole list: a third faster than a piece per id (30k ids).
        flat = tuple(itertools.chain.from_iterable(zip(range(count), ids, strict=True)))
        entries = ("i:%d;i:%d;" * count) % flat
    except TypeError:  # string ids (smart_N): PHP serialises them as strings
        entries = "".join(
            f"i:{i};i:{value};" if type(value) is int
            else f'i:{i};s:{len(str(value).encode())}:"{value}";'
            for i, value in enumerate(ids)
        )
    text = f"a:{count}:{{{entries}}}"
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


@dataclass(frozen=True, slots=True)
class Page:
    """The ordered ids of all matches, reduced to one page."""

    all_ids: list[int]
    page_ids: list[int]

    @property
    def total(self) -> int:
        return len(self.all_ids)

    @property
    def md5(self) -> str:
        return ids_md5(self.all_ids)


def paginate(ids: list[int], paging: Paging) -> Page:
    start, end = paging.slice(len(ids))
    return Page(ids, ids[start:end])


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` literally as a substring (ESCAPE '\\')."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.casefold()}%"


def parse_date(text: str) -> int | None:
    """Epoch seconds from an ISO date/datetime or a plain epoch number (PHP strtotime-ish)."""
    text = text.strip()
    if not text:
        return None
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def date_range(text: str | None) -> tuple[int | None, int | None] | None:
    """`add=A` → (A, None); `add=A/B` → (A, B end of day when B is a date)."""
    if not text:
        return None
    first, sep, second = text.partition("/")
    start = parse_date(first)
    end = parse_date(second) if sep else None
    if sep and end is not None and len(second.strip()) <= 10:
        end += 86399  # a bare date B includes the whole day
    if start is None and end is None:
        return None
    return start, end


@dataclass(slots=True)
class Query:
    """WHERE clauses and bound values composed as (clause, params) pairs (beets' idea)."""

    where: list[str] = field(default_factory=list)
    args: list[object] = field(default_factory=list)

    def add(self, clause: str, *args: object) -> None:
        self.where.append(clause)
        self.args.extend(args)

    def sql(self) -> str:
        return " AND ".join(f"({w})" for w in self.where) if self.where else "1"


@dataclass(frozen=True, slots=True)
class ListSpec:
    """What one object type allows: its id column, name column, sorts and dates."""

    base: str  # "FROM … [JOIN …]" with the type's table aliased
    id_column: str
    name_column: str  # matched by `filter`
    sorts: Mapping[str, str]  # sort name → ORDER BY expression (a whitelist)
    default_sort: str
    added_column: str | None = None
    updated_column: str | None = None
    conds: Mapping[str, str] = field(default_factory=dict)  # cond name → clause with one ?
    # alias → "JOIN …" added to `base` only when the WHERE or ORDER BY names `alias.`: an
    # unused join to album/artist made listing 30k song ids ~6× slower (scripts/bench).
    # Only joins that cannot change which rows match (LEFT, or INNER on a NOT NULL key).
    joins: Mapping[str, str] = field(default_factory=dict)
    # The library table `id_column` belongs to ("song", "album", "artist", "genre",
    # "catalog"): select_ids limits it to a restricted user's catalogs (issue 9).
    scope: str | None = None


def apply_name_filter(q: Query, spec: ListSpec, params: Params) -> None:
    value = params.get("filter")
    if not value:
        return  # Decision 15: `filter=` means no filter
    if params.flag("exact"):
        q.add(f"fold({spec.name_column}) = ?", value.casefold())
    else:
        q.add(f"fold({spec.name_column}) LIKE ? ESCAPE '\\'", like_pattern(value))


def apply_dates(q: Query, spec: ListSpec, params: Params) -> None:
    for name, column in (("add", spec.added_column), ("update", spec.updated_column)):
        if column is None:
            continue
        bounds = date_range(params.get(name))
        if bounds is None:
            continue
        start, end = bounds
        if start is not None:
            q.add(f"{column} >= ?", start)
        if end is not None:
            q.add(f"{column} <= ?", end)


def apply_conds(q: Query, spec: ListSpec, params: Params) -> None:
    """`cond=name,value;name,value` — unknown names are ignored (spec §12 Copy 9)."""
    raw = params.get("cond")
    if not raw:
        return
    for part in raw.split(";"):
        name, _, value = part.partition(",")
        clause = spec.conds.get(name.strip().lower())
        if clause is None:
            continue
        if "like" in clause.lower() and "?" in clause:
            q.add(clause, like_pattern(value))
        elif "?" in clause:
            q.add(clause, value.strip())
        else:
            q.add(clause)


def order_by(spec: ListSpec, params: Params, default: str | None = None) -> str:
    """`sort=field[,ASC|DESC]` from the whitelist; anything unknown keeps the default."""
    raw = (params.get("sort") or "").strip()
    expr = spec.sorts.get(default or spec.default_sort, spec.default_sort)
    direction = "ASC"
    if raw:
        name, _, way = raw.partition(",")
        chosen = spec.sorts.get(name.strip().lower())
        if chosen is not None:
            expr = chosen
            direction = "DESC" if way.strip().upper() == "DESC" else "ASC"
    if expr == "RANDOM()":
        return expr
    terms = [f"{term.strip()} {direction}" for term in expr.split(",")]
    return ", ".join([*terms, f"{spec.id_column} {direction}"])


def from_clause(spec: ListSpec, used_sql: str) -> str:
    """`spec.base` plus the optional joins whose alias `used_sql` refers to."""
    needed = [join for alias, join in spec.joins.items()
              if re.search(rf"\b{re.escape(alias)}\.", used_sql)]
    return " ".join([spec.base, *needed])


def select_ids(
    conn, spec: ListSpec, q: Query, order: str, *, distinct: bool = False
) -> Ids:
    # Identifiers in this statement come only from ListSpec whitelists; values are bound.
    keyword = "SELECT DISTINCT" if distinct else "SELECT"
    args: Sequence[object] = q.args
    where = q.sql()
    found = scope_clause(spec.scope, spec.id_column.split(".")[0]) if spec.scope else None
    if found is not None:
        where = f"{where} AND {found[0]}"
        args = [*q.args, *found[1]]
    source = from_clause(spec, f"{where} {order}")
    sql = f"{keyword} {spec.id_column} AS id {source} WHERE {where} ORDER BY {order}"
    # One JSON array built in SQLite: a row tuple per id was most of a 30k list's time.
    # json_group_array keeps the subquery's order (its rows arrive sorted).
    wrapped = f"SELECT json_group_array(id) FROM ({sql})"  # noqa: S608
    memo_box = getattr(conn, "memo", None)
    if memo_box is None or "RANDOM()" in order:
        return Ids(json.loads(conn.execute(wrapped, args).fetchone()[0]))
    # A client syncing pages through a list asks the same statement once per page: the ids
    # and their md5 are kept per connection until the database changes (PRAGMA data_version
    # moves whenever another connection — the writer — commits).
    key = (sql, tuple(args))
    version = conn.execute("PRAGMA data_version").fetchone()[0]
    memo = memo_box.get("ids")
    if memo is None or memo.key != key or memo.version != version:
        text = conn.execute(wrapped, args).fetchone()[0]
        memo = memo_box["ids"] = _IdsMemo(key, version, text)
    ids = Ids(json.loads(memo.text))
    ids.memo = memo
    return ids


def standard_list(conn, spec: ListSpec, params: Params, q: Query | None = None) -> Page:
    """filter/exact, add/update, cond and sort, then paging — the common list recipe."""
    q = q or Query()
    apply_name_filter(q, spec, params)
    apply_dates(q, spec, params)
    apply_conds(q, spec, params)
    return paginate(select_ids(conn, spec, q, order_by(spec, params)), params.paging())
