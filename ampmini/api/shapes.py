"""How an object looks on the wire: field tables (one per object type) and the documents.

A `Shape` lists its `Field`s in Ampache's JSON order; each field's `Kind` tells both renderers
what to do (XML attribute, CDATA, bare text, nested element; JSON str, int, bool, null, …).
Version differences (API5 vs API6) are data here too: a field names the API majors that have
it. Nothing in this module writes XML or JSON; `render.py` does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum, auto
from typing import Any

ALL_APIS = frozenset({5, 6})
API6 = frozenset({6})
API5 = frozenset({5})


class Kind(Enum):
    ID = auto()  # XML attribute `id`; JSON string
    TEXT = auto()  # XML CDATA; JSON str | null
    PLAIN = auto()  # XML bare escaped text; JSON str | null
    INT = auto()  # XML bare; JSON int | null
    INT_TEXT = auto()  # XML CDATA (Ampache quirk: song `disk`, artist `time`); JSON int
    STR_ID = auto()  # an id held as a plain value: XML bare; JSON string
    NUMBER = auto()  # XML bare; JSON int | float | null
    BOOL = auto()  # XML 1/0; JSON bool (API5: 1/0 int)
    BOOL_TEXT = auto()  # XML CDATA "1" or empty (user has_art); JSON bool
    REF = auto()  # {id,name,prefix,basename}; omitted entirely when the value is None
    REFS = auto()  # list of refs; XML repeated elements named `xml`
    GENRES = auto()  # list of {id,name}; XML repeated <genre id><name/></genre>
    NESTED = auto()  # list of objects of `shape`; XML wrapper element (or inline)
    USER_REF = auto()  # {id, username}; XML <user id><username/></user>
    VALUE = auto()  # a string: XML bare when it is a number, else CDATA (preference value)
    CUSTOM = auto()  # rendered by the field's own json/xml callables


@dataclass(frozen=True, slots=True)
class Field:
    """One property of an object as Ampache sends it."""

    key: str
    kind: Kind
    xml: str | None = ""  # element name in XML ("" = same as key, None = JSON only)
    json: bool = True  # False = XML only
    apis: frozenset[int] = ALL_APIS
    shape: Shape | None = None  # NESTED: the item shape
    wrap: bool = True  # NESTED: XML wrapper element named `xml`; False = items inline
    render_json: Callable[[Any, int], Any] | None = None  # CUSTOM
    render_xml: Callable[[Any, int, str], str] | None = None  # CUSTOM: (value, api, indent)
    omit_none: bool = False  # leave the key out entirely when the value is None
    source: str | None = None  # item key to read, when it differs from the wire key

    @property
    def xml_name(self) -> str:
        return self.xml or self.key

    @property
    def item_key(self) -> str:
        return self.source or self.key


# eq=False: a shape is compared and hashed by identity. Render plans are cached per shape,
# and the generated hash walked every field of every nested shape on each lookup.
@dataclass(frozen=True, slots=True, eq=False)
class Shape:
    """An object type: its XML element name, JSON list key, and fields in JSON order."""

    name: str
    fields: tuple[Field, ...]
    xml_order: tuple[str, ...] | None = None  # leading field keys in XML order, if different
    xml_order_api5: tuple[str, ...] | None = None  # the same for API5 documents
    _cache: dict[tuple[str, int], tuple[Field, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def for_json(self, api: int) -> tuple[Field, ...]:
        cached = self._cache.get(("json", api))
        if cached is None:
            cached = tuple(f for f in self.fields if f.json and api in f.apis)
            self._cache["json", api] = cached
        return cached

    def for_xml(self, api: int) -> tuple[Field, ...]:
        cached = self._cache.get(("xml", api))
        if cached is None:
            fields = [f for f in self.fields if f.xml is not None and api in f.apis]
            order = self.xml_order_api5 if api < 6 and self.xml_order_api5 else self.xml_order
            if order:
                rank = {key: i for i, key in enumerate(order)}
                fields.sort(key=lambda f: rank.get(f.key, len(rank)))
            cached = tuple(fields)
            self._cache["xml", api] = cached
        return cached


Item = Mapping[str, Any]


@dataclass(slots=True)
class ObjectList:
    """A list envelope: total_count, md5, then the items (spec §3.1/§3.2)."""

    shape: Shape
    items: Sequence[Item]
    total: int
    md5: str
    json_key: str | None = None  # defaults to shape.name
    envelope: bool = True  # False: users, deleted_* … (no total_count/md5)
    head: Sequence[tuple[str, Any]] = ()  # extra leading keys (browse: catalog_id …)
    xml_shape: Shape | None = None  # a condensed XML form of the same items (get_indexes)
    json_wrap_api5: bool = False  # API5 `users` answers `[{"user": […]}]`
    json_array_api5: bool = False  # API5 `get_similar` answers the bare array `[{…}, …]`
    # False: XML has no total_count/md5 while JSON keeps them (bookmarks, deleted_*; §3.1)
    xml_envelope: bool = True


@dataclass(slots=True)
class Single:
    """One object: bare in JSON, inside the list envelope in XML (unless envelope=False)."""

    shape: Shape
    item: Item
    envelope: bool = True
    total: int = 1
    md5: str = ""
    json_wrap_api5: bool = False  # API5 wraps some single objects in a one-element list
    json_array_api5: bool = False  # API5 answers a bare one-element array (user_preference)


@dataclass(slots=True)
class KeyValues:
    """handshake/ping style: every value a CDATA element in XML, typed in JSON."""

    values: Mapping[str, Any]


@dataclass(slots=True)
class Success:
    """`{"success": message}` plus extra keys (e.g. update_art's `art`)."""

    message: str
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class EmptyResult:
    """`[]` in JSON, `<root></root>` in XML: 'nothing' for actions with no list type."""


@dataclass(slots=True)
class IdList:
    """A bare list of ids: JSON `[1,2]`, XML `<id index="0"><![CDATA[1]]></id>`…"""

    ids: Sequence[Any]
    name: str = "id"


@dataclass(slots=True)
class IdIndex:
    """`index`: ids only. JSON `{"album": [12, 10]}` (with children: `{"album": {"12":
    [{"id": 107, "type": "song"}]}}`); XML the list envelope with `<album id="12"/>`."""

    kind: str
    ids: Sequence[Any]
    total: int
    md5: str
    children: Mapping[Any, Sequence[tuple[Any, str]]] | None = None


@dataclass(slots=True)
class Grouped:
    """Lists of several types under one key: `search_group` (spec §6.4).

    JSON `{key: {group: [objects]}}`; XML `<key>` holding every group's objects, drawn with the
    group's XML shape (None = the group is absent from XML, as in Ampache).
    """

    key: str
    groups: Sequence[tuple[str, Shape, Shape | None, Sequence[Item]]]


Document = Grouped | ObjectList | Single | KeyValues | Success | EmptyResult | IdList | IdIndex
