"""Compare ampmini responses with the Ampache reference examples by shape, field for field.

The reference answers live in ``<repo>/../shared/api-examples`` (override with the
``AMPMINI_EXAMPLES`` environment variable): ``json/``, ``xml/`` for API6 and ``api5/json``,
``api5/xml`` for API5. The comparison is structural: key sets, key order, JSON types, XML element
names/order, attribute names, CDATA-vs-plain text and the "kind" of plain text. Values themselves
(ids, names, URLs, counts) are never compared.

Entry points:

* :func:`example_path` - locate a reference file.
* :func:`json_shape_diff` / :func:`xml_shape_diff` - list of readable differences, empty when alike.
* :func:`assert_json_like` / :func:`assert_xml_like` - raise ``AssertionError`` listing them.

Paths in messages: JSON ``$.song[0].flag``; XML ``root/song[0]/flag`` (an index is shown only
for a tag that occurs more than once under its parent). ``ignore`` patterns use the same notation
with ``*`` matching any run of characters, e.g. ``$.song[*].filename`` or ``root/*/filename``.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import xml.parsers.expat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

__all__ = [
    "FLOAT_KEYS",
    "LOOSE_EMPTY_TAGS",
    "NULLABLE_KEYS",
    "OPTIONAL_JSON_KEYS",
    "OPTIONAL_XML_TAGS",
    "ExampleError",
    "assert_json_like",
    "assert_xml_like",
    "example_path",
    "examples_dir",
    "iter_examples",
    "json_shape_diff",
    "load_json_example",
    "xml_shape_diff",
]

# Keys the spec (§3.2, §8) marks `|null`: an actual null is accepted where the example shows a
# string or number. Shell-style patterns. Kept deliberately small; pass `nullable=` for more.
NULLABLE_KEYS: frozenset[str] = frozenset(
    {
        "prefix", "mbid", "mbid_group", "composer", "comment", "license", "publisher",
        "language", "lyrics", "disksubtitle", "rating", "averagerating", "mode", "channels",
        "replaygain_*", "r128_*", "streamtoken", "auth", "type", "summary", "placeformed",
        "validation", "website", "state", "city", "md5", "site_url", "client", "subcategory",
    }
)  # fmt: skip

# Numeric keys whose value is a float in general but an int when whole (replaygain 1 vs -2.97).
FLOAT_KEYS: frozenset[str] = frozenset({"replaygain_*", "r128_*", "averagerating"})

# Keys / XML tags that may legitimately be absent although a given example shows them: song
# `albumartist` (omitted when the album has none, §8.1) and, in XML, repeated elements whose
# zero-occurrence form is "no element at all" (`<genre>`, `<songartist>`, `<playlisttrack>`, …)
# even where an example happens to show just one of them.
OPTIONAL_JSON_KEYS: frozenset[str] = frozenset({"albumartist"})
OPTIONAL_XML_TAGS: frozenset[str] = frozenset(
    {"albumartist", "genre", "merge", "songartist", "playlisttrack", "podcast_episode"}
)

# Repeated XML elements the examples only show as an empty placeholder (genre `<merge/>`), while
# the filled form is `<merge id="…"><![CDATA[name]]></merge>`: an empty example says nothing then.
LOOSE_EMPTY_TAGS: frozenset[str] = frozenset({"merge"})

_REPO = Path(__file__).resolve().parents[1]
_ENV_VAR = "AMPMINI_EXAMPLES"
_JSON_KIND_ORDER = ("str", "int", "float", "bool", "null", "object", "array")
_XML_KIND_NAMES = {
    "cdata": "CDATA",
    "empty": "empty element",
    "int": "plain int",
    "float": "plain float",
    "text": "plain text",
    "elements": "child elements",
}
_IDENT = re.compile(r"[A-Za-z_][\w-]*\Z")
_INDEX = re.compile(r"\[\d+\]")
_ID_KEY = re.compile(r"-?\d+\Z")


class ExampleError(ValueError):
    """A reference example is missing or not parseable (a test-data problem, not a diff)."""


# --------------------------------------------------------------------------- locating examples


def examples_dir() -> Path:
    """Return the examples folder: ``$AMPMINI_EXAMPLES`` or ``<repo>/../shared/api-examples``."""
    env = os.environ.get(_ENV_VAR)
    return Path(env) if env else _REPO.parent / "shared" / "api-examples"


def _format_dir(fmt: str, api: int) -> Path:
    if fmt not in ("json", "xml"):
        raise ValueError(f"fmt must be 'json' or 'xml', not {fmt!r}")
    if api == 6:
        return examples_dir() / fmt
    if api == 5:
        return examples_dir() / "api5" / fmt
    raise ValueError(f"no examples for API {api} (only 5 and 6)")


def example_path(action_file: str, fmt: str, api: int = 6) -> Path:
    """Path of reference file ``<action_file>.<fmt>`` for API ``api``; raise if it does not exist.

    ``action_file`` is the file's stem as named in the examples, variants included:
    ``"songs"``, ``"artist (with include songs,albums)"``, ``"error-4704"``.
    """
    folder = _format_dir(fmt, api)
    name = action_file if action_file.endswith("." + fmt) else f"{action_file}.{fmt}"
    path = folder / name
    if not path.is_file():
        known = [p.name for p in folder.glob(f"*.{fmt}")] if folder.is_dir() else []
        close = difflib.get_close_matches(name, known, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ExampleError(f"no reference example {path}{hint}")
    return path


def iter_examples(fmt: str, api: int = 6) -> Iterator[Path]:
    """Yield every reference file of one format and API version, sorted by name."""
    yield from sorted(_format_dir(fmt, api).glob(f"*.{fmt}"))


def load_json_example(action_file: str, api: int = 6) -> Any:
    """Decode a JSON reference example; an unparseable file raises :class:`ExampleError`."""
    path = example_path(action_file, "json", api)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExampleError(f"reference {path} is not valid JSON: {exc}") from exc


# --------------------------------------------------------------------------- shared helpers


def _key_matches(key: str, patterns: Iterable[str]) -> bool:
    return any(fnmatchcase(key, pat) for pat in patterns)


def _compile_ignore(ignore: Iterable[str] | None) -> list[re.Pattern[str]]:
    # '*' is the only wildcard; everything else literal so '[' and '.' in paths need no escaping.
    return [re.compile(re.escape(p).replace(r"\*", ".*")) for p in (ignore or ())]


def _ignored(path: str, patterns: list[re.Pattern[str]]) -> bool:
    return any(p.fullmatch(path) for p in patterns)


def _ordered_union(order: list[str], seq: Iterable[str]) -> None:
    """Merge ``seq`` into ``order`` in place, inserting new items after their predecessor."""
    pos = -1
    for item in seq:
        if item in order:
            pos = order.index(item)
        else:
            pos += 1
            order.insert(pos, item)


def _order_diff(path: str, what: str, expected: list[str], actual: list[str]) -> str | None:
    """Describe the first order difference between the items both sides have, or None."""
    common_e = [k for k in expected if k in actual]
    common_a = [k for k in actual if k in expected]
    for i, (e, a) in enumerate(zip(common_e, common_a, strict=True)):
        if e != a:
            prev = f" after {common_e[i - 1]!r}" if i else " first"
            return f"{path}: {what} order differs: expected {e!r}{prev}, got {a!r}"
    return None


# --------------------------------------------------------------------------- JSON


def _json_kind(value: Any) -> str:
    # bool before int: bool is an int subclass in Python but a distinct JSON type.
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    return type(value).__name__


@dataclass
class _JShape:
    """Merged shape of every expected value seen at one position (array siblings merged)."""

    kinds: set[str] = field(default_factory=set)
    keys: dict[str, _JShape] = field(default_factory=dict)  # in merged Ampache order
    required: set[str] = field(default_factory=set)  # keys present in every expected object
    elem: _JShape | None = None  # None: no expected element seen, accept any
    map_values: _JShape | None = None  # set for id-keyed maps ({"12": [...]}): keys are data
    open_keys: bool = False  # every expected object was {}: its keys are unknown, accept any


def _json_shape(values: list[Any]) -> _JShape:
    shape = _JShape(kinds={_json_kind(v) for v in values})
    objects = [v for v in values if isinstance(v, dict)]
    if objects and all(o and all(_ID_KEY.match(k) for k in o) for o in objects):
        # Keys are ids (index with include, search_rules select options): compare only values.
        shape.map_values = _json_shape([v for o in objects for v in o.values()])
    elif objects and not any(objects):
        shape.open_keys = True
    elif objects:
        order: list[str] = []
        for obj in objects:
            _ordered_union(order, obj)
        shape.required = set.intersection(*(set(o) for o in objects))
        shape.keys = {k: _json_shape([o[k] for o in objects if k in o]) for k in order}
    elements = [e for v in values if isinstance(v, list) for e in v]
    if elements:
        shape.elem = _json_shape(elements)
    return shape


def _kinds_text(kinds: set[str]) -> str:
    return "|".join(k for k in _JSON_KIND_ORDER if k in kinds) or "nothing"


@dataclass
class _JsonCtx:
    nullable: frozenset[str]
    optional: frozenset[str]
    floats: frozenset[str]
    ignore: list[re.Pattern[str]]
    check_order: bool
    out: list[str] = field(default_factory=list)


def _json_compatible(actual: str, expected: set[str], key: str | None, ctx: _JsonCtx) -> bool:
    if actual in expected:
        return True
    non_null = expected - {"null"}
    if not non_null:
        return True  # the example only ever shows null: any value of the field is plausible
    if actual == "null":
        return (
            key is not None
            and _key_matches(key, ctx.nullable)
            and non_null <= {"str", "int", "float"}
        )
    numeric = {"int", "float"}
    if actual in numeric and non_null & numeric:
        return "float" in expected or (key is not None and _key_matches(key, ctx.floats))
    return False


def _child_path(path: str, key: str) -> str:
    return f"{path}.{key}" if _IDENT.match(key) else f"{path}[{json.dumps(key)}]"


def _json_compare(actual: Any, shape: _JShape, path: str, key: str | None, ctx: _JsonCtx) -> None:
    if _ignored(path, ctx.ignore):
        return
    kind = _json_kind(actual)
    if not _json_compatible(kind, shape.kinds, key, ctx):
        ctx.out.append(f"{path}: expected {_kinds_text(shape.kinds)}, got {kind}")
        return
    if kind == "object" and shape.map_values is not None:
        for k, v in actual.items():
            sub = _child_path(path, k)
            if _ID_KEY.match(k):
                _json_compare(v, shape.map_values, sub, None, ctx)
            elif not _ignored(sub, ctx.ignore):
                ctx.out.append(f"{sub}: expected an id as key of this map")
    elif kind == "object" and "object" in shape.kinds and not shape.open_keys:
        for k in shape.keys:
            if k in shape.required and k not in actual and not _key_matches(k, ctx.optional):
                sub = _child_path(path, k)
                if not _ignored(sub, ctx.ignore):
                    ctx.out.append(
                        f"{sub}: missing key (expected {_kinds_text(shape.keys[k].kinds)})"
                    )
        for k, v in actual.items():
            sub = _child_path(path, k)
            if k in shape.keys:
                _json_compare(v, shape.keys[k], sub, k, ctx)
            elif not _ignored(sub, ctx.ignore):
                ctx.out.append(f"{sub}: extra key ({_json_kind(v)})")
        if ctx.check_order:
            msg = _order_diff(path, "key", list(shape.keys), list(actual))
            if msg:
                ctx.out.append(msg)
    elif kind == "array" and shape.elem is not None:
        for i, item in enumerate(actual):
            _json_compare(item, shape.elem, f"{path}[{i}]", key, ctx)


def json_shape_diff(
    actual: Any,
    expected: Any,
    *,
    path: str = "$",
    check_order: bool = True,
    ignore: Iterable[str] | None = None,
    nullable: Iterable[str] = (),
    optional: Iterable[str] = (),
) -> list[str]:
    """List the structural differences of decoded JSON ``actual`` from reference ``expected``.

    Objects: same key set (keys present in only some expected array siblings are optional) and,
    with ``check_order``, same relative key order. Scalars: same JSON type, with these allowances:
    int/float interchange where the example shows a float or the key is in :data:`FLOAT_KEYS`;
    an expected null accepts anything; an actual null is accepted for a string/number only for
    keys in :data:`NULLABLE_KEYS` (plus ``nullable``). Arrays: every actual element is compared
    with all expected elements merged; an empty array on either side matches anything.
    Objects keyed by ids (``{"12": [...]}``) are maps: only their values are compared.
    Keys matching :data:`OPTIONAL_JSON_KEYS` or ``optional`` may be absent; ``ignore`` path
    patterns (``$.song[*].filename``) skip a node and its subtree.
    """
    ctx = _JsonCtx(
        nullable=NULLABLE_KEYS | frozenset(nullable),
        optional=OPTIONAL_JSON_KEYS | frozenset(optional),
        floats=FLOAT_KEYS,
        ignore=_compile_ignore(ignore),
        check_order=check_order,
    )
    _json_compare(actual, _json_shape([expected]), path, None, ctx)
    return ctx.out


# --------------------------------------------------------------------------- XML


@dataclass
class _XNode:
    """One parsed element: what ElementTree gives, plus whether its text was CDATA."""

    tag: str
    attrs: dict[str, str]
    children: list[_XNode] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    cdata: bool = False

    def kind(self) -> str:
        """Content kind: cdata, elements, or for plain text empty / int / float / text."""
        if self.cdata:
            return "cdata"
        if self.children:
            return "elements"  # indentation whitespace between children is not content
        text = "".join(self.text).strip()
        if not text:
            return "empty"
        if re.fullmatch(r"-?\d+", text):
            return "int"
        if re.fullmatch(r"-?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?|-?\d+[eE][-+]?\d+", text):
            return "float"
        return "text"


def _parse_xml(data: bytes | str) -> _XNode:
    """Parse with expat, which (unlike ElementTree) reports where CDATA sections start and end."""
    parser = xml.parsers.expat.ParserCreate()
    # expat never fetches external entities or DTDs unless asked; keep it that way.
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[_XNode] = []
    roots: list[_XNode] = []
    in_cdata = False

    def start(tag: str, attrs: dict[str, str]) -> None:
        node = _XNode(tag, dict(attrs))
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)

    def end(_tag: str) -> None:
        stack.pop()

    def chars(text: str) -> None:
        if stack:
            stack[-1].text.append(text)
            if in_cdata:
                stack[-1].cdata = True

    def cdata_start() -> None:
        nonlocal in_cdata
        in_cdata = True
        if stack:
            stack[-1].cdata = True  # also marks an empty <![CDATA[]]>, which has no chars

    def cdata_end() -> None:
        nonlocal in_cdata
        in_cdata = False

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    parser.StartCdataSectionHandler = cdata_start
    parser.EndCdataSectionHandler = cdata_end
    parser.Parse(data.encode("utf-8") if isinstance(data, str) else data, True)
    return roots[0]


@dataclass
class _XShape:
    """Merged shape of all expected elements with one tag under one (merged) parent."""

    kinds: set[str] = field(default_factory=set)
    attrs: list[str] = field(default_factory=list)
    required_attrs: set[str] = field(default_factory=set)
    children: dict[str, _XShape] = field(default_factory=dict)  # in merged order
    required_children: set[str] = field(default_factory=set)


def _first_seen(nodes: Iterable[_XNode]) -> list[str]:
    return list(dict.fromkeys(n.tag for n in nodes))


def _xml_shape(nodes: list[_XNode]) -> _XShape:
    shape = _XShape(kinds={n.kind() for n in nodes})
    order: list[str] = []
    for n in nodes:
        _ordered_union(shape.attrs, n.attrs)
        _ordered_union(order, _first_seen(n.children))
    shape.required_attrs = set.intersection(*(set(n.attrs) for n in nodes))
    # A child is required only if every expected sibling that has children at all has it.
    parents = [n for n in nodes if n.children]
    if parents:
        shape.required_children = set.intersection(*(set(_first_seen(n.children)) for n in parents))
    # A repeated child (list items, `<genre>`…) is a list without wrapper: zero items is fine,
    # as an empty JSON array is.
    for n in parents:
        tags = [c.tag for c in n.children]
        shape.required_children -= {t for t in set(tags) if tags.count(t) > 1}
    shape.children = {
        tag: _xml_shape([c for n in nodes for c in n.children if c.tag == tag]) for tag in order
    }
    return shape


def _xml_compatible(actual: str, expected: set[str], tag: str, nullable: frozenset[str]) -> bool:
    if actual in expected:
        return True
    plain_values = {"int", "float", "text"}
    if actual == "elements":
        return "empty" in expected  # example shows the container empty (e.g. <albums/>)
    if actual == "empty":
        # an empty container, or a bare field that is null (<rating/>)
        return "elements" in expected or (
            bool(expected & plain_values) and _key_matches(tag, nullable)
        )
    if actual == "int":
        return bool(expected & {"float", "text", "empty"})
    if actual == "float":
        return bool(expected & {"text", "empty"}) or (
            "int" in expected and _key_matches(tag, FLOAT_KEYS)
        )
    if actual == "text":
        return "empty" in expected  # example shows a bare null: any plain value is plausible
    return False  # CDATA where the example has plain text, or the reverse


def _xml_kinds_text(kinds: Iterable[str]) -> str:
    return " or ".join(_XML_KIND_NAMES[k] for k in _XML_KIND_NAMES if k in kinds)


@dataclass
class _XmlCtx:
    nullable: frozenset[str]
    optional: frozenset[str]
    ignore: list[re.Pattern[str]]
    check_order: bool
    out: list[str] = field(default_factory=list)


def _xml_compare(node: _XNode, shape: _XShape, path: str, ctx: _XmlCtx) -> None:
    if _ignored(path, ctx.ignore):
        return
    if node.tag in LOOSE_EMPTY_TAGS and shape.kinds == {"empty"} and not shape.attrs:
        return
    for name in shape.attrs:
        if name in shape.required_attrs and name not in node.attrs:
            ctx.out.append(f"{path}: missing attribute {name!r}")
    for name in node.attrs:
        if name not in shape.attrs:
            ctx.out.append(f"{path}: extra attribute {name!r}")
    kind = node.kind()
    if not _xml_compatible(kind, shape.kinds, node.tag, ctx.nullable):
        ctx.out.append(
            f"{path}: expected {_xml_kinds_text(shape.kinds)}, got {_XML_KIND_NAMES[kind]}"
        )
        return
    if kind != "elements" or not shape.children:
        return  # no children, or the example never shows any: nothing to compare them with
    actual_tags = _first_seen(node.children)
    for tag in shape.children:
        sub = f"{path}/{tag}"
        if (
            tag in shape.required_children
            and tag not in actual_tags
            and not _key_matches(tag, ctx.optional)
            and not _ignored(sub, ctx.ignore)
        ):
            ctx.out.append(f"{sub}: missing element")
    counts = {tag: sum(c.tag == tag for c in node.children) for tag in actual_tags}
    seen: dict[str, int] = {}
    for child in node.children:
        i = seen[child.tag] = seen.get(child.tag, -1) + 1
        sub = f"{path}/{child.tag}[{i}]" if counts[child.tag] > 1 else f"{path}/{child.tag}"
        if child.tag in shape.children:
            _xml_compare(child, shape.children[child.tag], sub, ctx)
        elif i == 0 and not _ignored(sub, ctx.ignore):
            ctx.out.append(f"{sub}: extra element")
    if ctx.check_order:
        msg = _order_diff(path, "element", list(shape.children), actual_tags)
        if msg:
            ctx.out.append(msg)


def xml_shape_diff(
    actual_xml: bytes | str,
    expected_xml: bytes | str,
    *,
    check_order: bool = True,
    ignore: Iterable[str] | None = None,
    nullable: Iterable[str] = (),
    optional: Iterable[str] = (),
) -> list[str]:
    """List the structural differences of XML document ``actual_xml`` from ``expected_xml``.

    Compared: root name; child element names and their order (repeated children are each
    compared with all expected same-tag siblings merged; children missing from some expected
    siblings are optional); attribute names; CDATA vs plain text; the kind of plain text
    (int / float / empty / text). An expected empty element (``<rating/>``, ``<albums/>``)
    accepts plain values or child elements, not CDATA. Tags in :data:`OPTIONAL_XML_TAGS` or
    ``optional`` may be absent; ``nullable`` extends :data:`NULLABLE_KEYS` (an empty bare
    element where the example has a number). A not well-formed ``actual_xml`` yields one diff
    entry; a not well-formed ``expected_xml`` raises :class:`ExampleError`.
    """
    try:
        expected = _parse_xml(expected_xml)
    except xml.parsers.expat.ExpatError as exc:
        raise ExampleError(f"reference XML is not well-formed: {exc}") from exc
    try:
        actual = _parse_xml(actual_xml)
    except xml.parsers.expat.ExpatError as exc:
        return [f"(document): not well-formed XML: {exc}"]
    if actual.tag != expected.tag:
        return [f"{actual.tag}: expected root element <{expected.tag}>, got <{actual.tag}>"]
    ctx = _XmlCtx(
        nullable=NULLABLE_KEYS | frozenset(nullable),
        optional=OPTIONAL_XML_TAGS | frozenset(optional),
        ignore=_compile_ignore(ignore),
        check_order=check_order,
    )
    _xml_compare(actual, _xml_shape([expected]), actual.tag, ctx)
    return ctx.out


# --------------------------------------------------------------------------- assertions


def _summarise(diffs: list[str], limit: int = 40) -> str:
    """Collapse diffs that differ only by array index, so 75 songs missing a key read as one."""
    groups: dict[str, list[str]] = {}
    for d in diffs:
        groups.setdefault(_INDEX.sub("[*]", d), []).append(d)
    lines = []
    for items in groups.values():
        more = f"  (+{len(items) - 1} more like it)" if len(items) > 1 else ""
        lines.append(f"  - {items[0]}{more}")
    if len(lines) > limit:
        lines = [*lines[:limit], f"  ... {len(lines) - limit} more"]
    return "\n".join(lines)


def assert_json_like(
    actual: Any,
    example_name: str,
    api: int = 6,
    *,
    ignore: set[str] | None = None,
    check_order: bool = True,
    nullable: Iterable[str] = (),
    optional: Iterable[str] = (),
) -> None:
    """Assert ``actual`` has the shape of JSON example ``example_name``; list every difference.

    ``actual`` is a decoded value, or the response body as ``str``/``bytes`` (decoded here).
    """
    if isinstance(actual, str | bytes | bytearray):
        try:
            actual = json.loads(actual)
        except ValueError as exc:
            raise AssertionError(f"response is not valid JSON: {exc}") from exc
    expected = load_json_example(example_name, api)
    diffs = json_shape_diff(
        actual,
        expected,
        check_order=check_order,
        ignore=ignore,
        nullable=nullable,
        optional=optional,
    )
    if diffs:
        name = f"api{api}/json/{example_name}"
        raise AssertionError(f"{len(diffs)} shape difference(s) vs {name}:\n{_summarise(diffs)}")


def assert_xml_like(
    actual_bytes: bytes | str,
    example_name: str,
    api: int = 6,
    *,
    ignore: set[str] | None = None,
    check_order: bool = True,
    nullable: Iterable[str] = (),
    optional: Iterable[str] = (),
) -> None:
    """Assert XML body ``actual_bytes`` has the shape of XML example ``example_name``."""
    expected = example_path(example_name, "xml", api).read_bytes()
    diffs = xml_shape_diff(
        actual_bytes,
        expected,
        check_order=check_order,
        ignore=ignore,
        nullable=nullable,
        optional=optional,
    )
    if diffs:
        name = f"api{api}/xml/{example_name}"
        raise AssertionError(f"{len(diffs)} shape difference(s) vs {name}:\n{_summarise(diffs)}")
