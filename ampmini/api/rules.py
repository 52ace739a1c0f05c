"""advanced_search rules → SQL (spec §9): one engine for search, search_group and smartlists.

A rule is `(name, operator index, input)`. Each object type has a whitelist of rule names;
each name belongs to an operator family (text, numeric, boolean, date, days, …) and maps to
an SQL expression or an EXISTS sub-select. Every rule becomes a (clause, params) pair, and
the pairs are joined with AND or OR. Unknown rule names are ignored, as Ampache does.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from .errors import BadRequest, MissingParameter
from .listing import ENABLED_SONG, Query, apply_scope, parse_date
from .params import Params

# ----------------------------------------------------------------- rule definitions


@dataclass(frozen=True, slots=True)
class RuleDef:
    """How one rule name tests an object.

    `expr` is an SQL expression over the type's aliases; `exists` (text family only) is an
    EXISTS sub-select template whose `{test}` receives the comparison on `g.value`-style
    expression `expr`, for many-valued properties such as genres or credited artists.
    """

    family: str
    expr: str
    exists: str | None = None
    scale: float = 1.0  # numeric input × scale compared with expr (minutes → seconds …)
    prefolded: bool = False  # expr is stored case-folded: compare without calling fold() on it
    # A stored folded text that contains every value of expr (song.search_text): a positive
    # text match must match it too, so it is tried first with SQLite's own LIKE and fold()
    # runs only on the rows that pass — not on all 30k titles of a library.
    prefilter: str | None = None


def _text(expr: str, exists: str | None = None, prefilter: str | None = None) -> RuleDef:
    return RuleDef("text", expr, exists, prefilter=prefilter)


def _num(expr: str, scale: float = 1.0) -> RuleDef:
    return RuleDef("numeric", expr, scale=scale)


_SONG_GENRE = (
    "EXISTS (SELECT 1 FROM song_genre sg JOIN genre g ON g.id = sg.genre_id"
    " WHERE sg.song_id = s.id AND {test})"
)
_SONG_ARTISTS = (
    "EXISTS (SELECT 1 FROM song_artist sa JOIN artist a ON a.id = sa.artist_id"
    " WHERE sa.song_id = s.id AND {test})"
)
_ALBUM_GENRE = (
    "EXISTS (SELECT 1 FROM album_genre ag JOIN genre g ON g.id = ag.genre_id"
    " WHERE ag.album_id = al.id AND {test})"
)
_ALBUM_SONGS = "EXISTS (SELECT 1 FROM song s2 WHERE s2.album_id = al.id AND {test})"
_ALBUM_SONG_ARTISTS = (
    "EXISTS (SELECT 1 FROM song s2 JOIN song_artist sa ON sa.song_id = s2.id"
    " JOIN artist a ON a.id = sa.artist_id WHERE s2.album_id = al.id AND {test})"
)
_ARTIST_GENRE = (
    "EXISTS (SELECT 1 FROM artist_genre xg JOIN genre g ON g.id = xg.genre_id"
    " WHERE xg.artist_id = ar.id AND {test})"
)
_ARTIST_ALBUMS = "EXISTS (SELECT 1 FROM album a2 WHERE a2.album_artist_id = ar.id AND {test})"
_ARTIST_SONGS = (
    "EXISTS (SELECT 1 FROM song_artist sa JOIN song s2 ON s2.id = sa.song_id"
    " WHERE sa.artist_id = ar.id AND {test})"
)


def _user_rules(kind: str, alias: str) -> dict[str, RuleDef]:
    """Rating, favourite and play rules shared by every library type (bound :uid).

    `kind` and `alias` are literals from the type tables below, never request input, so the
    f-strings build fixed SQL (the S608 warnings here are about those two names).
    """
    mine = (
        f"(SELECT rating FROM rating WHERE object_type = '{kind}' AND object_id = {alias}.id"  # noqa: S608
        " AND user_id = :uid)"
    )
    average = (
        f"(SELECT AVG(rating) FROM rating WHERE object_type = '{kind}'"  # noqa: S608
        f" AND object_id = {alias}.id)"
    )
    flagged = (
        f"EXISTS (SELECT 1 FROM flag WHERE object_type = '{kind}' AND object_id = {alias}.id"  # noqa: S608
        " AND user_id = :uid)"
    )
    plays = (
        f"COALESCE((SELECT plays FROM play_count WHERE object_type = '{kind}'"  # noqa: S608
        f" AND object_id = {alias}.id), 0)"
    )
    return {
        "myrating": _num(f"COALESCE({mine}, 0)"),
        "rating": _num(f"COALESCE({average}, 0)"),
        "my_flagged": RuleDef("boolean", flagged),
        "myflagged": RuleDef("boolean", flagged),
        "favorite": RuleDef("favorite", flagged),
        "played_times": _num(plays),
        "played": RuleDef("boolean", f"{plays} > 0"),
        "myplayed": RuleDef(
            "boolean",
            f"EXISTS (SELECT 1 FROM play WHERE object_type = '{kind}'"  # noqa: S608
            f" AND object_id = {alias}.id AND user_id = :uid AND kind = 'play')",
        ),
    }


_SEARCH_TEXT = "s.search_text"  # title, album, artists, genres, comment and path, folded

SONG_RULES: dict[str, RuleDef] = {
    # search_text is folded by the scanner, so only the input needs folding (0007_search.sql).
    "anywhere": RuleDef("text", "s.search_text", prefolded=True),
    "title": _text("s.title", prefilter=_SEARCH_TEXT),
    "album": _text("al.name", prefilter=_SEARCH_TEXT),
    "artist": _text("a.name", _SONG_ARTISTS, _SEARCH_TEXT),
    "song_artist": _text("a.name", _SONG_ARTISTS, _SEARCH_TEXT),
    "album_artist": _text(
        "(SELECT name FROM artist WHERE id = al.album_artist_id)"
    ),
    "composer": _text("s.composer"),
    "comment": _text("s.comment", prefilter=_SEARCH_TEXT),
    "lyrics": _text("s.lyrics"),
    "label": _text("s.publisher"),
    "genre": _text("g.name", _SONG_GENRE, _SEARCH_TEXT),
    "file": _text("s.path", prefilter=_SEARCH_TEXT),
    "mbid": _text("s.mbid"),
    "mbid_album": _text("al.mbid"),
    "mbid_artist": _text("ar.mbid"),
    "track": _num("s.track"),
    "year": _num("s.year"),
    "time": _num("s.time", 60.0),
    "bitrate": _num("s.bitrate", 1000.0),
    "id": _num("s.id"),
    "catalog": RuleDef("boolean_numeric", "s.catalog_id"),
    "added": RuleDef("date", "s.added"),
    "updated": RuleDef("date", "s.updated"),
    "days_added": RuleDef("days", "s.added"),
    "days_updated": RuleDef("days", "s.updated"),
    "recent_added": RuleDef("recent", "s.added"),
    "recent_updated": RuleDef("recent", "s.updated"),
    "no_genre": RuleDef(
        "is_true", "NOT EXISTS (SELECT 1 FROM song_genre WHERE song_id = s.id)"
    ),
    "none": RuleDef("is_true", "1"),
    **_user_rules("song", "s"),
}
_SONG_ALIASES = {
    "name": "title", "song": "title", "song_title": "title", "album_title": "album",
    "album_artist_title": "album_artist", "artist_title": "song_artist",
    "song_artist_title": "song_artist", "tag": "genre", "song_tag": "genre",
    "song_genre": "genre", "no_tag": "no_genre", "mbid_song": "mbid",
    "my_flagged_song": "my_flagged", "length": "time",
}

ALBUM_RULES: dict[str, RuleDef] = {
    "title": _text("al.name"),
    "album_artist": _text("aa.name"),
    "song_artist": _text("a.name", _ALBUM_SONG_ARTISTS),
    "song": _text("s2.title", _ALBUM_SONGS),
    "genre": _text("g.name", _ALBUM_GENRE),
    "file": _text("s2.path", _ALBUM_SONGS),
    "release_type": _text("al.release_type"),
    "mbid": _text("al.mbid"),
    "mbid_artist": _text("aa.mbid"),
    "year": _num("al.year"),
    "original_year": _num("al.year"),
    "time": _num("al.time", 60.0),
    "song_count": _num("al.song_count"),
    "disk_count": _num("al.disk_count"),
    "id": _num("al.id"),
    "catalog": RuleDef("boolean_numeric", "al.catalog_id"),
    "added": RuleDef("date", "al.added"),
    "updated": RuleDef("date", "al.updated"),
    "days_added": RuleDef("days", "al.added"),
    "recent_added": RuleDef("recent", "al.added"),
    "has_image": RuleDef("boolean", "(al.art_path IS NOT NULL OR al.art_song_id IS NOT NULL)"),
    "no_genre": RuleDef(
        "is_true", "NOT EXISTS (SELECT 1 FROM album_genre WHERE album_id = al.id)"
    ),
    **_user_rules("album", "al"),
}
_ALBUM_ALIASES = {
    "name": "title", "album": "title", "album_title": "title", "artist": "album_artist",
    "artist_title": "album_artist", "album_artist_title": "album_artist",
    "song_title": "song", "tag": "genre", "album_tag": "genre", "album_genre": "genre",
    "no_tag": "no_genre", "mbid_album": "mbid", "my_flagged_album": "my_flagged",
}

ARTIST_RULES: dict[str, RuleDef] = {
    "title": _text("ar.name"),
    "album": _text("a2.name", _ARTIST_ALBUMS),
    "song": _text("s2.title", _ARTIST_SONGS),
    "genre": _text("g.name", _ARTIST_GENRE),
    "file": _text("s2.path", _ARTIST_SONGS),
    "summary": _text("ar.summary"),
    "placeformed": _text("ar.placeformed"),
    "mbid": _text("ar.mbid"),
    "yearformed": _num("ar.yearformed"),
    "time": _num("ar.time", 60.0),
    "album_count": _num("ar.album_count"),
    "song_count": _num("ar.song_count"),
    "id": _num("ar.id"),
    "added": RuleDef("date", "ar.added"),
    "days_added": RuleDef("days", "ar.added"),
    "no_genre": RuleDef(
        "is_true", "NOT EXISTS (SELECT 1 FROM artist_genre WHERE artist_id = ar.id)"
    ),
    **_user_rules("artist", "ar"),
}
_ARTIST_ALIASES = {
    "name": "title", "artist": "title", "artist_title": "title", "album_title": "album",
    "song_title": "song", "tag": "genre", "artist_tag": "genre", "artist_genre": "genre",
    "no_tag": "no_genre", "mbid_artist": "mbid", "my_flagged_artist": "my_flagged",
}


@dataclass(frozen=True, slots=True)
class SearchType:
    """One searchable object type: its FROM clause, id column, rules and default order."""

    base: str
    id_column: str
    rules: Mapping[str, RuleDef]
    aliases: Mapping[str, str]
    order: str
    extra_where: str = ""
    anywhere: tuple[str, ...] = field(default=())
    scope: str | None = None  # library table limited to a restricted user's catalogs


SEARCH_TYPES: dict[str, SearchType] = {
    "song": SearchType(
        "FROM song s JOIN album al ON al.id = s.album_id JOIN artist ar ON ar.id = s.artist_id",
        "s.id",
        SONG_RULES,
        _SONG_ALIASES,
        "s.path",
        ENABLED_SONG,
        scope="song",
    ),
    "album": SearchType(
        "FROM album al LEFT JOIN artist aa ON aa.id = al.album_artist_id",
        "al.id",
        ALBUM_RULES,
        _ALBUM_ALIASES,
        "al.basename COLLATE NOCASE, al.year",
        scope="album",
    ),
    "artist": SearchType(
        "FROM artist ar", "ar.id", ARTIST_RULES, _ARTIST_ALIASES, "ar.basename COLLATE NOCASE",
        scope="artist",
    ),
    "album_artist": SearchType(
        "FROM artist ar", "ar.id", ARTIST_RULES, _ARTIST_ALIASES, "ar.basename COLLATE NOCASE",
        "ar.album_count > 0", scope="artist",
    ),
    "song_artist": SearchType(
        "FROM artist ar", "ar.id", ARTIST_RULES, _ARTIST_ALIASES, "ar.basename COLLATE NOCASE",
        "ar.song_count > 0", scope="artist",
    ),
}

# Other types (spec §9.2 "Other types"): genre (alias tag), label, user.
GENRE_RULES: dict[str, RuleDef] = {
    "title": _text("g.name"),
    "album_count": _num("(SELECT COUNT(*) FROM album_genre x WHERE x.genre_id = g.id)"),
    "artist_count": _num("(SELECT COUNT(*) FROM artist_genre x WHERE x.genre_id = g.id)"),
    "song_count": _num("(SELECT COUNT(*) FROM song_genre x WHERE x.genre_id = g.id)"),
    "video_count": _num("0"),  # ampmini keeps no video genres
    "id": _num("g.id"),
}
LABEL_RULES: dict[str, RuleDef] = {
    "title": _text("lb.name"),
    "category": _text("lb.category"),
    "id": _num("lb.id"),
}
USER_RULES: dict[str, RuleDef] = {"username": _text("u.username")}

SEARCH_TYPES["genre"] = SearchType(
    "FROM genre g", "g.id", GENRE_RULES, {"name": "title", "genre": "title", "tag": "title"},
    "g.name COLLATE NOCASE", scope="genre",
)
SEARCH_TYPES["label"] = SearchType(
    "FROM label lb", "lb.id", LABEL_RULES, {"name": "title", "label": "title"},
    "lb.name COLLATE NOCASE",
)
# Disabled accounts are not listed, as in `users`.
SEARCH_TYPES["user"] = SearchType(
    "FROM user u", "u.id", USER_RULES,
    {"title": "username", "name": "username", "user": "username"},
    "u.username COLLATE NOCASE", "u.disabled = 0",
)

# ----------------------------------------------------------------- operators

_TEXT_OPS = {
    0: ("fold({x}) LIKE fold('%' || ? || '%')", False),
    1: ("fold({x}) LIKE fold('%' || ? || '%')", True),
    2: ("fold({x}) LIKE fold(? || '%')", False),
    3: ("fold({x}) LIKE fold('%' || ?)", False),
    4: ("fold({x}) = fold(?)", False),
    5: ("fold({x}) = fold(?)", True),
    6: ("soundex({x}) = soundex(?)", False),
    7: ("soundex({x}) = soundex(?)", True),
    8: ("{x} REGEXP ?", False),
    9: ("{x} REGEXP ?", True),
}
_NUMERIC_OPS = {0: ">=", 1: "<=", 2: "=", 3: "!=", 4: ">", 5: "<"}


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    operator: int
    value: str


def parse_rules(params: Params) -> list[Rule]:
    """`rule_N`, `rule_N_operator`, `rule_N_input` for any N; rule_1 is mandatory."""
    for required in ("rule_1", "rule_1_operator", "rule_1_input"):
        if params.get(required) is None:
            raise MissingParameter(required)
    numbers = sorted(
        {int(m.group(1)) for key in params.names() if (m := re.fullmatch(r"rule_(\d+)", key))}
    )
    rules = []
    for n in numbers:
        name = (params.get(f"rule_{n}") or "").strip().lower()
        operator_text = (params.get(f"rule_{n}_operator") or "0").strip()
        if not operator_text.lstrip("-").isdigit():
            raise BadRequest(operator_text, f"rule_{n}_operator")
        value = params.get(f"rule_{n}_input") or ""
        rules.append(Rule(name, int(operator_text), value))
    return rules


def _text_clause(rule_def: RuleDef, operator: int, value: str) -> tuple[str, list] | None:
    op = _TEXT_OPS.get(operator)
    if op is None:
        return None
    template, negate = op
    if rule_def.prefolded:
        template = template.replace("fold({x})", "{x}")
    test = template.format(x=rule_def.expr)
    if rule_def.exists:
        clause = rule_def.exists.format(test=test)
        if negate:
            return f"NOT {clause}", [value]
    elif negate:
        return f"NOT COALESCE({test}, 0)", [value]
    else:
        clause = test
    if rule_def.prefilter and operator in (0, 2, 3, 4):
        return f"{rule_def.prefilter} LIKE '%' || fold(?) || '%' AND {clause}", [value, value]
    return clause, [value]


def _clause(
    rule_def: RuleDef, operator: int, value: str, search: SearchType
) -> tuple[str, list] | None:
    family = rule_def.family
    if family == "text":
        return _text_clause(rule_def, operator, value)
    if family == "favorite":
        clause = _text_clause(search.rules["title"], 0, value) if "title" in search.rules else None
        if clause is None:
            return rule_def.expr, []
        return f"{rule_def.expr} AND {clause[0]}", clause[1]
    if family == "numeric":
        symbol = _NUMERIC_OPS.get(operator)
        try:
            number = float(value) * rule_def.scale
        except ValueError:
            return None
        return (f"{rule_def.expr} {symbol} ?", [number]) if symbol else None
    if family == "boolean":
        return (rule_def.expr if operator == 0 else f"NOT {rule_def.expr}"), []
    if family == "is_true":
        return rule_def.expr, []
    if family == "boolean_numeric":
        symbol = "=" if operator == 0 else "!="
        return f"{rule_def.expr} {symbol} ?", [value.strip()]
    if family == "date":
        moment = parse_date(value)
        if moment is None:
            return None
        return f"{rule_def.expr} {'<' if operator == 0 else '>'} ?", [moment]
    if family == "days":
        days = value.strip()
        if not days.isdigit():
            return None
        cutoff = int(time.time()) - int(days) * 86400
        return f"{rule_def.expr} {'<' if operator == 0 else '>='} ?", [cutoff]
    if family == "recent":
        count = value.strip()
        if not count.isdigit():
            return None
        return (
            f"{search.id_column} IN (SELECT {search.id_column} {search.base}"
            f" ORDER BY {rule_def.expr} DESC LIMIT ?)",
            [int(count)],
        )
    return None


def build(search: SearchType, rules: list[Rule], *, match_any: bool) -> tuple[str, list]:
    """The WHERE clause (and its values) for `rules` joined with AND or OR."""
    clauses: list[str] = []
    args: list = []
    for rule in rules:
        name = search.aliases.get(rule.name, rule.name)
        rule_def = search.rules.get(name)
        if rule_def is None:
            continue  # unknown rules are ignored (spec §9.1)
        values = [rule.value]
        if rule_def.family in ("text", "favorite") and rule.operator not in (8, 9):
            values = rule.value.split("|")
        for value in values:
            built = _clause(rule_def, rule.operator, value, search)
            if built is not None:
                clauses.append(built[0])
                args.extend(built[1])
    if not clauses:
        return "1", []
    joiner = " OR " if match_any else " AND "
    return joiner.join(f"({c})" for c in clauses), args


def search_ids(
    conn, kind: str, rules: list[Rule], *, match_any: bool, random: bool, user_id: int,
    limit: int | None = None,
) -> list[int]:
    """Ids of every `kind` object matching the rules, in the type's default order."""
    search = SEARCH_TYPES[kind]
    where, args = build(search, rules, match_any=match_any)
    q = Query()
    q.add(where, *args)
    if search.extra_where:
        q.add(search.extra_where)
    apply_scope(q, search.scope, search.id_column.split(".")[0])
    order = "RANDOM()" if random else f"{search.order}, {search.id_column}"
    sql = (
        f"SELECT DISTINCT {search.id_column} {search.base} WHERE {q.sql()}"
        f" ORDER BY {order}"
    )
    if limit:
        sql += f" LIMIT {int(limit)}"
    # :uid is the only named value; the rest are positional, so bind them by name.
    named_sql, values = _bind(sql, q.args, user_id)
    return [row[0] for row in conn.execute(named_sql, values)]


def _bind(sql: str, args: list, user_id: int) -> tuple[str, dict]:
    """Turn positional `?` into numbered names so `:uid` can sit beside them."""
    values: dict = {"uid": user_id}
    pieces = sql.split("?")
    out = [pieces[0]]
    for i, piece in enumerate(pieces[1:]):
        values[f"p{i}"] = args[i]
        out.append(f":p{i}{piece}")
    return "".join(out), values
