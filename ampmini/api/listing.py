"""List parameters → SQL: filter, exact, add/update, cond, sort, paging, total_count and md5.

Every list action first selects the ordered ids of all matches (one indexed query), takes
total_count and md5 from them, and then loads full rows for the page only. Sort columns and
condition names come from per-type whitelists; values are always bound parameters.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .errors import BadRequest
from .params import Paging, Params


def ids_md5(ids: Sequence[int | str]) -> str:
    """md5 of PHP's serialize() of the id list — the value Ampache sends (spec §3.4)."""
    parts = [f"a:{len(ids)}:{{"]
    for i, value in enumerate(ids):
        if isinstance(value, int):
            parts.append(f"i:{i};i:{value};")
        else:
            parts.append(f'i:{i};s:{len(value.encode())}:"{value}";')
    parts.append("}")
    return hashlib.md5("".join(parts).encode("utf-8"), usedforsecurity=False).hexdigest()


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
) -> list[int]:
    # Identifiers in this statement come only from ListSpec whitelists; values are bound.
    keyword = "SELECT DISTINCT" if distinct else "SELECT"
    where = q.sql()
    source = from_clause(spec, f"{where} {order}")
    sql = f"{keyword} {spec.id_column} {source} WHERE {where} ORDER BY {order}"
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: a Row object per id was most of a 30k list's time
    cursor.execute(sql, q.args)
    return [row[0] for row in cursor]


def standard_list(conn, spec: ListSpec, params: Params, q: Query | None = None) -> Page:
    """filter/exact, add/update, cond and sort, then paging — the common list recipe."""
    q = q or Query()
    apply_name_filter(q, spec, params)
    apply_dates(q, spec, params)
    apply_conds(q, spec, params)
    return paginate(select_ids(conn, spec, q, order_by(spec, params)), params.paging())


def require_choice(value: str | None, allowed: Sequence[str], param: str) -> str:
    if value is None or value.strip().lower() not in allowed:
        raise BadRequest(value or "", param)
    return value.strip().lower()
