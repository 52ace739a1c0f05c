"""Pages of objects loaded from SQL, as Python items or rendered to text inside SQLite.

A `Source` maps every item key of a shape to SQL: a scalar expression, a `Ref` (the
`{id, name, prefix, basename}` of an artist or album) or a `RefList` (a row's artists or
genres). The one map serves two readers:

- `load_items` builds the Python dicts the renderers in `render.py` walk (any page, any caller).
- `fragments` compiles the shape's field table plus the map into a single SELECT whose rows are
  the finished JSON (json_object) or XML (printf) text of each object, UTF-8 as SQLite holds
  it, so SQLite's C code does what per-value Python calls did. A 5,000-song page cost ~5× the
  `json.dumps` floor as dicts (scripts/bench); this way the SELECT costs about the floor. It
  serves the big list answers, which clients ask for when they sync a whole library.

Both readers take each value from the same SQL expression, and the compilers below follow
`render.py` kind by kind; tests/test_sqlrender.py renders pages both ways and compares bytes.
XML text that XML forbids (control characters in a tag) is not stripped here: `render.to_xml`
finds it in the finished document and draws that page with the Python renderer instead.
One known difference is left alone: a REAL that needs more than 15 significant digits prints
with 15 here (SQLite's `%!.15g`) and with up to 17 in Python; tags never carry such values.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .shapes import Field, Kind, Shape


class Unsupported(ValueError):
    """A shape this compiler does not draw: its page is rendered in Python instead."""


# SQLite's default SQLITE_MAX_FUNCTION_ARG is 127; one printf() call takes fewer than that.
_PRINTF_ARGS = 100


@dataclass(frozen=True, slots=True)
class Ref:
    """A reference object: SQL for its id and name, and (artists, albums) prefix/basename."""

    id: str
    name: str
    prefix: str | None = None
    basename: str | None = None

    @classmethod
    def named(cls, id_sql: str, alias: str) -> Ref:
        """A ref to the artist/album row `alias`; basename falls back to the name."""
        return cls(id_sql, f"{alias}.name", f"{alias}.prefix",
                   f"coalesce(NULLIF({alias}.basename, ''), {alias}.name)")

    @property
    def columns(self) -> tuple[str, ...]:
        extra = () if self.prefix is None or self.basename is None else (self.prefix, self.basename)
        return (self.id, self.name, *extra)

    def item(self, values: Sequence[Any]) -> dict[str, Any] | None:
        if values[0] is None:
            return None
        if len(values) == 2:
            return {"id": values[0], "name": values[1]}
        return {"id": values[0], "name": values[1], "prefix": values[2], "basename": values[3]}


@dataclass(frozen=True, slots=True)
class RefList:
    """The refs a row owns: `FROM tables WHERE owner = <row id> ORDER BY order`.

    `fallback` names a `Ref` item key used as a one-element list when the row owns none."""

    tables: str
    owner: str
    ref: Ref
    order: str
    fallback: str | None = None


Column = str | Ref | RefList


@dataclass(frozen=True, slots=True, eq=False)
class Source:
    """Where a shape's items come from. `tables` starts with `FROM json_each(:ids) j JOIN …`
    (the page's ids, whose order `j.key` keeps); `row_id` is the owning row's id column."""

    row_id: str
    tables: str
    columns: Mapping[str, Column]
    # Item keys whose text never holds `]]>` (URLs: a checked Host header, ids, a token):
    # copied into CDATA as is, which spares the play URL's SQL function a second call.
    verbatim: frozenset[str] = frozenset()
    _sql: dict[tuple[Any, ...], str] = field(default_factory=dict, repr=False)


# ------------------------------------------------------------------ Python items


def load_items(conn: sqlite3.Connection, source: Source, ids: Sequence[int],
               params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The items for `ids` in order (ids with no row are skipped), one query per list key."""
    if not ids:
        return []
    ids_text = json.dumps(list(ids))
    plan: list[tuple[str, Column, int, int]] = []  # key, column, first value, end
    select = [source.row_id]
    for key, column in source.columns.items():
        width = 0 if isinstance(column, RefList) else (
            len(column.columns) if isinstance(column, Ref) else 1)
        plan.append((key, column, len(select), len(select) + width))
        if isinstance(column, Ref):
            select.extend(column.columns)
        elif isinstance(column, str):
            select.append(column)
    sql = source._sql.get(("items",))
    if sql is None:
        sql = source._sql["items",] = f"SELECT {', '.join(select)} {source.tables} ORDER BY j.key"
    lists = {key: _ref_lists(conn, column, ids_text) for key, column in source.columns.items()
             if isinstance(column, RefList)}
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: sqlite3.Row name look-ups cost more than the page
    items = []
    for row in cursor.execute(sql, {"ids": ids_text, **params}):
        item: dict[str, Any] = {}
        for key, column, start, end in plan:
            if isinstance(column, str):
                item[key] = row[start]
            elif isinstance(column, Ref):
                item[key] = column.item(row[start:end])
            else:
                found = lists[key].get(row[0])
                fallback = item.get(column.fallback) if column.fallback else None
                item[key] = found or ([fallback] if fallback is not None else [])
        items.append(item)
    return items


def _ref_lists(conn: sqlite3.Connection, column: RefList, ids_text: str) -> dict[Any, list]:
    ref = column.ref
    rows = conn.execute(
        # Every identifier here comes from a Source literal, never from a request.
        f"SELECT {column.owner}, {', '.join(ref.columns)} FROM {column.tables}"  # noqa: S608
        f" WHERE {column.owner} IN (SELECT value FROM json_each(?))"
        f" ORDER BY {column.owner}, {column.order}",
        (ids_text,),
    )
    found: dict[Any, list] = {}
    for row in rows:
        found.setdefault(row[0], []).append(ref.item(row[1:]))
    return found


# ------------------------------------------------------------------ SQL-rendered text


def fragments(conn: sqlite3.Connection, source: Source, shape: Shape, ids: Sequence[int],
              params: Mapping[str, Any], fmt: str, api: int, pad: str = "") -> list[bytes]:
    """Each object's finished JSON text (fmt "json") or XML element at indent `pad` (fmt
    "xml", newline-terminated), UTF-8 encoded, in the order of `ids`."""
    if not ids:
        return []
    sql = page_sql(conn, source, shape, fmt, api, pad)
    cursor = conn.cursor()
    cursor.row_factory = None
    # The text stays SQLite's UTF-8: decoding each object and encoding the document again
    # would cost more than a tenth of a 5,000-song answer. (Each thread has its own
    # connection, so switching its text_factory for this one read is safe.)
    conn.text_factory = bytes
    try:
        cursor.execute(sql, {"ids": json.dumps(list(ids)), **params})
        return [row[0] for row in cursor]
    finally:
        conn.text_factory = str


def page_sql(conn: sqlite3.Connection, source: Source, shape: Shape, fmt: str, api: int,
             pad: str = "") -> str:
    """The SELECT `fragments` runs (compiled once per shape, format, API and indent).
    Raises Unsupported, also on later calls, when the shape has a field SQLite cannot draw."""
    key = (shape, fmt, api, pad)
    sql = source._sql.get(key)
    if sql is None:
        compiler = _Compiler(source, api, _not_null(conn, source.tables))
        try:
            expr = (compiler.json_object(shape) if fmt == "json"
                    else compiler.xml_element(shape, pad))
        except Unsupported:
            source._sql[key] = ""  # remembered: the compiler is not run again per request
            raise
        sql = source._sql[key] = f"SELECT {expr} {source.tables} ORDER BY j.key"
    if not sql:
        raise Unsupported(f"{shape.name}: not rendered in SQL")
    return sql


_INNER_TABLE = re.compile(r"(?<!LEFT )(?:FROM|JOIN)\s+(\w+)\s+(\w+)\b(?!\s*\()")
_COLUMN = re.compile(r"\w+\.\w+")


def _not_null(conn: sqlite3.Connection, tables: str) -> frozenset[str]:
    """`alias.column` of every NOT NULL column of the inner-joined tables: their values need
    no NULL case (a nested printf() per value would double an XML page's cost)."""
    found = set()
    for table, alias in _INNER_TABLE.findall(tables):
        for _cid, name, _type, notnull, _default, pk in conn.execute(
            "SELECT * FROM pragma_table_info(?)", (table,)
        ):
            if notnull or pk:
                found.add(f"{alias}.{name}")
    return frozenset(found)


class _Printf:
    """Literal text with SQL values spliced in, compiled to printf() calls joined by ||
    (one printf() assembles a whole element where || would copy it once per piece)."""

    def __init__(self) -> None:
        self.pieces: list[tuple[str, str | None]] = []  # (literal, SQL value or None)

    def text(self, literal: str) -> None:
        self.pieces.append((literal, None))

    def value(self, sql: str) -> None:
        self.pieces.append(("", sql))

    def sql(self) -> str:
        calls, fmt, args = [], [], []
        for literal, value in self.pieces:
            fmt.append(literal.replace("%", "%%"))
            if value is not None:
                fmt.append("%s")
                args.append(value)
                if len(args) == _PRINTF_ARGS:
                    calls.append(_printf_call("".join(fmt), args))
                    fmt, args = [], []
        if fmt or not calls:
            calls.append(_printf_call("".join(fmt), args))
        return " || ".join(calls)


def _printf_call(fmt: str, args: list[str]) -> str:
    return f"printf({_quote(fmt)}{''.join(', ' + a for a in args)})"


def _quote(text: str) -> str:
    """A SQL string literal (only ever of compile-time text: tags, keys, indents)."""
    return "'" + text.replace("'", "''") + "'"


def _whole(v: str) -> str:
    """A NUMBER as `render._number` has it: whole floats become integers. Only a column is
    wrapped (an expression would be evaluated four times): a computed NUMBER column must
    yield whole values as integers itself (see the song source's averagerating)."""
    if not _COLUMN.fullmatch(v):
        return v
    return (f"(CASE WHEN typeof({v}) = 'real' AND ({v}) = CAST(({v}) AS INTEGER)"
            f" THEN CAST(({v}) AS INTEGER) ELSE ({v}) END)")


def _cdata_inner(v: str) -> str:
    """The text of a CDATA section (printf's %s writes NULL as nothing). Text XML forbids is
    not looked for here, value by value: `render.to_xml` checks the finished document once
    and renders it in Python when it holds any."""
    return f"(CASE WHEN instr({v}, ']]>') THEN replace({v}, ']]>', ']]]]><![CDATA[>') ELSE {v} END)"


def _escaped(v: str) -> str:
    return (f"(CASE WHEN ({v}) GLOB '*[&<>]*' THEN replace(replace(replace({v}, '&', '&amp;'),"
            f" '<', '&lt;'), '>', '&gt;') ELSE {v} END)")


_MAX_OPTIONAL = 3  # json_object() variants grow as 2**n


@dataclass(frozen=True)
class _Compiler:
    """Compiles a shape's field table against a Source, kind by kind as render.py draws it."""

    source: Source
    api: int
    not_null: frozenset[str]

    def column(self, f: Field) -> Column:
        found = self.source.columns.get(f.item_key)
        if found is None:
            raise Unsupported(f"field {f.key}: no column {f.item_key!r} in the source")
        return found

    def nullable(self, column: Column) -> bool:
        target = column.id if isinstance(column, Ref) else column
        return target not in self.not_null

    def owned(self, column: RefList, element_sql: str, aggregate: str) -> str:
        """The refs a row owns, each drawn by `element_sql` and combined by `aggregate` (over
        `x`); NULL when the row owns none."""
        return (f"(SELECT {aggregate} FROM (SELECT {element_sql} AS x"  # noqa: S608
                f" FROM {column.tables} WHERE {column.owner} = {self.source.row_id}"
                f" ORDER BY {column.order}) HAVING count(*) > 0)")

    def fallback(self, column: RefList) -> Ref | None:
        if column.fallback is None:
            return None
        ref = self.source.columns[column.fallback]
        assert isinstance(ref, Ref)
        return ref

    # ------------------------------------------------------------ JSON
    # json_object() escapes and assembles in C; json_quote() per value costs twice as much.

    def json_ref(self, ref: Ref, full: bool = True) -> str:
        pairs = [f"'id', CAST(({ref.id}) AS TEXT)", f"'name', {ref.name}"]
        if full and self.api >= 6 and ref.prefix is not None and ref.basename is not None:
            pairs += [f"'prefix', {ref.prefix}", f"'basename', {ref.basename}"]
        return f"json_object({', '.join(pairs)})"

    def json_value(self, f: Field, column: Column) -> str:
        kind = f.kind
        if isinstance(column, RefList):
            element = self.json_ref(column.ref, full=kind is not Kind.GENRES)
            listed = self.owned(column, element, "json_group_array(json(x))")
            fallback = self.fallback(column)
            if fallback is None:
                return f"coalesce({listed}, json('[]'))"
            alone = f"json_array({self.json_ref(fallback)})"
            if self.nullable(fallback):
                alone = f"CASE WHEN ({fallback.id}) IS NULL THEN json('[]') ELSE {alone} END"
            return f"coalesce({listed}, {alone})"
        if isinstance(column, Ref):
            return self.json_ref(column)
        v = column
        if kind in (Kind.ID, Kind.STR_ID):
            return f"CAST(({v}) AS TEXT)"
        if kind in (Kind.TEXT, Kind.PLAIN):
            return v
        if kind in (Kind.INT, Kind.INT_TEXT):
            return f"CAST(({v}) AS INTEGER)"
        if kind is Kind.NUMBER:
            return _whole(v)
        if kind is Kind.BOOL:
            yes, no = ("json('true')", "json('false')") if self.api >= 6 else ("1", "0")
            return f"(CASE WHEN ({v}) THEN {yes} ELSE {no} END)"
        raise Unsupported(f"field {f.key}: {kind} is not rendered in SQL")

    def omittable(self, f: Field, column: Column) -> bool:
        """Left out with its key when None, as render._object_json does (REF, omit_none)."""
        if isinstance(column, RefList):
            return False
        return (f.kind is Kind.REF or f.omit_none) and self.nullable(column)

    def json_object(self, shape: Shape) -> str:
        fields = [(f, self.column(f)) for f in shape.for_json(self.api)]
        pairs = [(f, f"{_quote(f.key)}, {self.json_value(f, c)}") for f, c in fields]
        optional = [(f, c) for f, c in fields if self.omittable(f, c)]
        if len(optional) > _MAX_OPTIONAL:
            raise Unsupported(f"{shape.name}: too many omittable fields for SQL rendering")
        # json_object() cannot skip a key: one call per combination of absent fields (for
        # songs, albumartist or not: two).
        branches = []
        for absent_mask in range(1 << len(optional)):
            absent = {id(optional[i][0]) for i in range(len(optional)) if absent_mask >> i & 1}
            test = " AND ".join(
                f"({c if isinstance(c, str) else c.id}) IS {'' if id(f) in absent else 'NOT '}NULL"
                for f, c in optional
            )
            kept = ", ".join(pair for f, pair in pairs if id(f) not in absent)
            branches.append((test, f"json_object({kept})"))
        if len(branches) == 1:
            return branches[0][1]
        cases = " ".join(f"WHEN {test} THEN {body}" for test, body in branches[:-1])
        return f"(CASE {cases} ELSE {branches[-1][1]} END)"

    # ------------------------------------------------------------ XML

    def xml_ref(self, out: _Printf, tag: str, ref: Ref, pad: str, genre: bool = False) -> None:
        out.text(f'{pad}<{tag} id="')
        out.value(ref.id)
        if self.api < 6:
            out.text('"><![CDATA[')
            out.value(_cdata_inner(ref.name))
            out.text(f"]]></{tag}>\n")
            return
        inner = pad + "  "
        out.text(f'">\n{inner}<name><![CDATA[')
        out.value(_cdata_inner(ref.name))
        out.text("]]></name>")
        if not genre:
            out.text(f"\n{inner}<prefix><![CDATA[")
            out.value(_cdata_inner(ref.prefix or "NULL"))
            out.text(f"]]></prefix>\n{inner}<basename><![CDATA[")
            out.value(_cdata_inner(ref.basename or ref.name))
            out.text("]]></basename>")
        out.text(f"\n{pad}</{tag}>\n")

    def xml_optional(self, out: _Printf, column: Column, draw: _Printf) -> None:
        if self.nullable(column):
            target = column.id if isinstance(column, Ref) else column
            out.value(f"(CASE WHEN ({target}) IS NULL THEN NULL ELSE {draw.sql()} END)")
        else:
            out.pieces.extend(draw.pieces)

    def xml_field(self, out: _Printf, f: Field, column: Column, pad: str) -> None:
        """One field's element(s), indent and newline included, as render._field_xml."""
        tag, kind = f.xml_name, f.kind
        if isinstance(column, RefList):
            element = _Printf()
            self.xml_ref(element, tag, column.ref, pad, genre=kind is Kind.GENRES)
            listed = self.owned(column, element.sql(), "group_concat(x, '')")
            fallback = self.fallback(column)
            if fallback is not None:
                alone = _Printf()
                self.xml_optional(alone, fallback, self._drawn(
                    lambda o: self.xml_ref(o, tag, fallback, pad)))
                listed = f"coalesce({listed}, {alone.sql()})"
            out.value(listed)
            return
        if isinstance(column, Ref):
            self.xml_optional(out, column, self._drawn(lambda o: self.xml_ref(o, tag, column, pad)))
            return
        v = column if _COLUMN.fullmatch(column) else f"({column})"  # `||` binds before `+`
        if kind in (Kind.TEXT, Kind.INT_TEXT):
            plain = kind is Kind.INT_TEXT or f.item_key in self.source.verbatim
            out.text(f"{pad}<{tag}><![CDATA[")
            out.value(v if plain else _cdata_inner(v))
            out.text(f"]]></{tag}>\n")
        elif kind in (Kind.INT, Kind.NUMBER, Kind.PLAIN, Kind.STR_ID):
            text = {Kind.INT: v, Kind.NUMBER: _whole(v)}.get(kind) or _escaped(v)
            if kind in (Kind.INT, Kind.NUMBER) and not self.nullable(v):
                out.text(f"{pad}<{tag}>")
                out.value(text)
                out.text(f"</{tag}>\n")
                return
            empty = _quote(f"{pad}<{tag}/>\n")
            full = f"{_quote(f'{pad}<{tag}>')} || {text} || {_quote(f'</{tag}>' + chr(10))}"
            if kind in (Kind.INT, Kind.NUMBER):  # never '': NULL makes `full` NULL (v read once)
                out.value(f"ifnull({full}, {empty})")
            else:
                out.value(f"(CASE WHEN ({v}) IS NULL OR ({v}) = '' THEN {empty} ELSE {full} END)")
        elif kind is Kind.BOOL:
            out.text(f"{pad}<{tag}>")
            out.value(f"(CASE WHEN ({v}) THEN 1 ELSE 0 END)")
            out.text(f"</{tag}>\n")
        else:
            raise Unsupported(f"field {f.key}: {kind} is not rendered in SQL")

    @staticmethod
    def _drawn(draw: Any) -> _Printf:
        out = _Printf()
        draw(out)
        return out

    def xml_element(self, shape: Shape, pad: str) -> str:
        inner = pad + "  "
        out = _Printf()
        out.text(f'{pad}<{shape.name} id="')
        out.value(self.source.row_id)
        out.text('">\n')
        for f in shape.for_xml(self.api):
            if f.kind is Kind.ID:
                continue  # the element's attribute
            column = self.column(f)
            if f.omit_none and isinstance(column, str):
                self.xml_optional(out, column, self._drawn(
                    lambda o, f=f, c=column: self.xml_field(o, f, c, inner)))
            else:
                self.xml_field(out, f, column, inner)
        out.text(f"{pad}</{shape.name}>\n")
        return out.sql()


# ------------------------------------------------------------------ a page


@dataclass
class SqlPage(Sequence[Any]):
    """A page of items that renders itself in SQLite, or becomes Python dicts when read.

    `render.py` asks for `fragments`; any other reader (tests, actions that post-process)
    indexes or iterates it and gets exactly what `load_items` returns."""

    conn: sqlite3.Connection
    source: Source
    ids: Sequence[int]
    params: Mapping[str, Any]
    _items: list[dict[str, Any]] | None = None

    @property
    def items(self) -> list[dict[str, Any]]:
        if self._items is None:
            self._items = load_items(self.conn, self.source, self.ids, self.params)
        return self._items

    def load(self) -> None:
        """Read the items as Python dicts: from now on `fragments` returns None."""
        _ = self.items

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: Any) -> Any:
        return self.items[index]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.items)

    def fragments(self, shape: Shape, fmt: str, api: int, pad: str = "") -> list[bytes] | None:
        """The rendered objects, or None when the shape needs the Python renderer."""
        if self._items is not None:
            return None
        try:
            return fragments(self.conn, self.source, shape, self.ids, self.params, fmt, api, pad)
        except Unsupported:
            return None
