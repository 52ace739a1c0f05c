"""Documents to bytes: Ampache's XML and JSON from the one response tree (spec §3).

The XML writer appends strings to one list and joins once: ElementTree is ~5x slower and
cannot emit CDATA (design §2.1). Both writers walk the same `Shape` field tables.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from .errors import ApiError
from .shapes import (
    Document,
    EmptyResult,
    Field,
    Grouped,
    IdIndex,
    IdList,
    Item,
    KeyValues,
    Kind,
    ObjectList,
    Shape,
    Single,
    Success,
)
from .sqlrender import SqlPage
from .xmltext import attr, cdata, escape, scalar_text

XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
EMPTY_MD5 = "40cd750bba9870f18aada2478b24840a"  # Ampache's md5 of an empty id list

def _number(value: Any) -> Any:
    """Floats that are whole become ints, as PHP's json_encode prints them."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# ---------------------------------------------------------------- JSON


def _ref_json(ref: Any, api: int) -> dict[str, Any]:
    if api >= 6:
        return {
            "id": str(ref["id"]),
            "name": ref["name"],
            "prefix": ref.get("prefix"),
            "basename": ref.get("basename", ref["name"]),
        }
    return {"id": str(ref["id"]), "name": ref["name"]}


# A field's JSON step: (wire key, item key, converter or None = as is, skip when None).
_Step = tuple[str, str, Callable[[Any], Any] | None, bool]


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _int_bool(value: Any) -> int:
    return int(bool(value))


def _converter(f: Field, api: int) -> Callable[[Any], Any] | None:
    """How one field's value becomes JSON, chosen once per field and API version."""
    kind = f.kind
    if kind in (Kind.TEXT, Kind.PLAIN, Kind.VALUE):
        return None
    if kind in (Kind.INT, Kind.INT_TEXT):
        return _int_or_none
    if kind in (Kind.ID, Kind.STR_ID):
        return _str_or_none
    if kind in (Kind.BOOL, Kind.BOOL_TEXT):
        return bool if api >= 6 else _int_bool  # API5 sends 0/1 (spec §11)
    if kind is Kind.NUMBER:
        return _number
    if kind is Kind.REF:
        return partial(_ref_json, api=api)
    if kind is Kind.REFS:
        return lambda refs: [_ref_json(ref, api) for ref in refs]
    if kind is Kind.GENRES:
        return lambda genres: [{"id": str(g["id"]), "name": g["name"]} for g in genres]
    if kind is Kind.NESTED:
        assert f.shape is not None
        shape = f.shape
        return lambda items: objects_json(shape, items, api)
    if kind is Kind.USER_REF:
        return lambda user: {"id": str(user["id"]), "username": user["username"]}
    assert f.render_json is not None
    return partial(f.render_json, api=api)


_JSON_PLANS: dict[tuple[Shape, int], tuple[_Step, ...]] = {}


def _json_plan(shape: Shape, api: int) -> tuple[_Step, ...]:
    # Keyed by the shape itself: shapes are module constants, so this stays small.
    plan = _JSON_PLANS.get((shape, api))
    if plan is None:
        plan = _JSON_PLANS[shape, api] = tuple(
            (f.key, f.item_key, _converter(f, api), f.kind is Kind.REF or f.omit_none)
            for f in shape.for_json(api)
        )
    return plan


def _object_json(plan: tuple[_Step, ...], item: Item) -> dict[str, Any]:
    get = item.get
    obj: dict[str, Any] = {}
    for key, source, conv, skip_none in plan:
        value = get(source)
        if value is None and skip_none:
            continue  # Ampache omits e.g. albumartist when there is none
        obj[key] = value if conv is None else conv(value)
    return obj


def objects_json(shape: Shape, items: Sequence[Item], api: int) -> list[dict[str, Any]]:
    """Items → JSON objects; the per-field dispatch is planned once per shape (scripts/bench:
    deciding it per value was half of a 5,000-song answer's time)."""
    plan = _json_plan(shape, api)
    return [_object_json(plan, item) for item in items]


def _list_head_json(doc: ObjectList, api: int) -> dict[str, Any]:
    """The keys before a list document's items: total_count and md5 (API6), then `head`."""
    body: dict[str, Any] = {}
    if doc.envelope and api >= 6:
        body["total_count"] = doc.total
        body["md5"] = doc.md5 or EMPTY_MD5
    body.update(doc.head)
    return body


def to_json_value(doc: Document, api: int) -> Any:
    if isinstance(doc, ObjectList):
        key = doc.json_key or doc.shape.name
        body = _list_head_json(doc, api)
        body[key] = objects_json(doc.shape, doc.items, api)
        if api < 6 and doc.json_array_api5:
            return body[key]
        return [body] if api < 6 and doc.json_wrap_api5 else body
    if isinstance(doc, Single):
        obj = _object_json(_json_plan(doc.shape, api), doc.item)
        if api < 6 and doc.json_wrap_api5:
            return {doc.shape.name: [obj]}
        if api < 6 and doc.json_array_api5:
            return [obj]
        return obj
    if isinstance(doc, KeyValues):
        return dict(doc.values)
    if isinstance(doc, Success):
        return {"success": doc.message, **doc.extra}
    if isinstance(doc, IdList):
        return list(doc.ids)
    if isinstance(doc, IdIndex):
        if doc.children is None:
            return {doc.kind: list(doc.ids)}
        return {
            doc.kind: {
                str(i): [{"id": cid, "type": ctype} for cid, ctype in doc.children.get(i, ())]
                for i in doc.ids
            }
        }
    if isinstance(doc, EmptyResult):
        return []
    if isinstance(doc, Grouped):
        return {doc.key: {name: objects_json(shape, items, api)
                          for name, shape, _xml, items in doc.groups}}
    raise TypeError(f"not a document: {doc!r}")


def to_json(doc: Document, api: int = 6) -> bytes:
    if isinstance(doc, ObjectList) and isinstance(doc.items, SqlPage):
        rendered = doc.items.fragments(doc.shape, "json", api)
        if rendered is not None:
            return _list_json_bytes(doc, api, rendered)
    return json.dumps(
        to_json_value(doc, api), ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")


def _list_json_bytes(doc: ObjectList, api: int, rendered: list[bytes]) -> bytes:
    """`to_json_value`'s list document around objects SQLite already wrote as JSON."""
    items = b"[" + b",".join(rendered) + b"]"
    if api < 6 and doc.json_array_api5:
        return items
    body = _list_head_json(doc, api)
    head = json.dumps(body, ensure_ascii=False, separators=(",", ":"))[:-1]
    key = json.dumps(doc.json_key or doc.shape.name, ensure_ascii=False)
    text = f"{head}{',' if body else ''}{key}:".encode() + items + b"}"
    return b"[" + text + b"]" if api < 6 and doc.json_wrap_api5 else text


def error_json(err: ApiError, action: str, api: int = 6) -> bytes:
    body = {
        "error": {
            "errorCode": str(err.code),
            "errorAction": action,
            "errorType": err.error_type,
            "errorMessage": err.message,
        }
    }
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


# ---------------------------------------------------------------- XML


def _ref_xml(tag: str, ref: Any, api: int, pad: str) -> str:
    if api >= 6:
        inner = pad + "  "
        prefix = ref.get("prefix")
        basename = ref.get("basename", ref["name"])
        return (
            f'{pad}<{tag} id="{ref["id"]}">\n'
            f"{inner}<name>{cdata(ref['name'])}</name>\n"
            f"{inner}<prefix>{cdata(prefix)}</prefix>\n"
            f"{inner}<basename>{cdata(basename)}</basename>\n"
            f"{pad}</{tag}>\n"
        )
    return f'{pad}<{tag} id="{ref["id"]}">{cdata(ref["name"])}</{tag}>\n'


def _field_xml(f: Field, value: Any, api: int, pad: str, out: list[str]) -> None:
    tag = f.xml_name
    kind = f.kind
    if value is None and f.omit_none:
        return
    if kind is Kind.TEXT:
        out.append(f"{pad}<{tag}>{cdata(value)}</{tag}>\n")
    elif kind in (Kind.INT, Kind.NUMBER, Kind.PLAIN, Kind.STR_ID):
        if value is None or value == "":
            out.append(f"{pad}<{tag}/>\n")
        else:
            out.append(f"{pad}<{tag}>{escape(scalar_text(value))}</{tag}>\n")
    elif kind is Kind.INT_TEXT:
        out.append(f"{pad}<{tag}>{cdata(value)}</{tag}>\n")
    elif kind is Kind.VALUE:
        text = "" if value is None else str(value)
        if text.lstrip("-").isdigit():
            out.append(f"{pad}<{tag}>{text}</{tag}>\n")
        else:
            out.append(f"{pad}<{tag}>{cdata(text)}</{tag}>\n")
    elif kind is Kind.BOOL:
        out.append(f"{pad}<{tag}>{1 if value else 0}</{tag}>\n")
    elif kind is Kind.BOOL_TEXT:
        out.append(f"{pad}<{tag}>{cdata('1' if value else '')}</{tag}>\n")
    elif kind is Kind.REF:
        if value is not None:
            out.append(_ref_xml(tag, value, api, pad))
    elif kind is Kind.REFS:
        out.extend(_ref_xml(tag, ref, api, pad) for ref in value)
    elif kind is Kind.GENRES:
        inner = pad + "  "
        if api < 6:
            out.extend(f'{pad}<{tag} id="{g["id"]}">{cdata(g["name"])}</{tag}>\n' for g in value)
            return
        for g in value:
            out.append(
                f'{pad}<{tag} id="{g["id"]}">\n{inner}<name>{cdata(g["name"])}</name>\n'
                f"{pad}</{tag}>\n"
            )
    elif kind is Kind.NESTED:
        assert f.shape is not None
        if not f.wrap:
            _objects_xml(f.shape, value, api, pad, out)
        elif value:
            out.append(f"{pad}<{tag}>\n")
            _objects_xml(f.shape, value, api, pad + "  ", out)
            out.append(f"{pad}</{tag}>\n")
        else:
            out.append(f"{pad}<{tag}/>\n")
    elif kind is Kind.USER_REF:
        out.append(
            f'{pad}<{tag} id="{value["id"]}">\n'
            f"{pad}  <username>{cdata(value['username'])}</username>\n{pad}</{tag}>\n"
        )
    elif kind is Kind.ID:
        pass  # rendered as the element's attribute
    else:
        assert f.render_xml is not None
        out.append(f.render_xml(value, api, pad))


# An XML step: (item key, how, "<tag>" with indent, "</tag>\n", "<tag/>\n", field).
# how: 0 CDATA text, 1 bare scalar, 2 boolean 1/0, 3 anything else (_field_xml).
_XmlStep = tuple[str, int, str, str, str, Field]
_XML_PLANS: dict[tuple[Shape, int, str], tuple[_XmlStep, ...]] = {}
_BARE = (Kind.INT, Kind.NUMBER, Kind.PLAIN, Kind.STR_ID)


def _xml_plan(shape: Shape, api: int, pad: str) -> tuple[_XmlStep, ...]:
    """The field loop of `_objects_xml` with tags and indents built once per shape and depth
    (scripts/bench: deciding per value dominated a 5,000-song XML answer)."""
    plan = _XML_PLANS.get((shape, api, pad))
    if plan is None:
        steps = []
        for f in shape.for_xml(api):
            if f.kind is Kind.ID:
                continue  # the element's attribute
            tag = f.xml_name
            how = 3
            if not f.omit_none:
                how = {Kind.TEXT: 0, Kind.BOOL: 2}.get(f.kind, 1 if f.kind in _BARE else 3)
            steps.append((f.item_key, how, f"{pad}<{tag}>", f"</{tag}>\n", f"{pad}<{tag}/>\n", f))
        plan = _XML_PLANS[shape, api, pad] = tuple(steps)
    return plan


def _objects_xml(shape: Shape, items: Sequence[Item], api: int, pad: str, out: list[Any]) -> None:
    """The items' elements appended to `out` (str pieces; SQLite's rendering as one bytes)."""
    if isinstance(items, SqlPage):
        rendered = items.fragments(shape, "xml", api, pad)
        if rendered is not None:
            out.append(b"".join(rendered))
            return
    name = shape.name
    inner = pad + "  "
    plan = _xml_plan(shape, api, inner)
    append = out.append
    for item in items:
        get = item.get
        append(f'{pad}<{name} id="{attr(item["id"])}">\n')
        for key, how, head, tail, empty, f in plan:
            value = get(key)
            if how == 0:
                append(head + cdata(value) + tail)
            elif how == 1:
                if value is None or value == "":
                    append(empty)
                elif type(value) is int:
                    append(head + str(value) + tail)
                else:
                    append(head + escape(scalar_text(value)) + tail)
            elif how == 2:
                append(head + ("1" if value else "0") + tail)
            else:
                _field_xml(f, value, api, inner, out)
        append(f"{pad}</{name}>\n")


def to_xml(doc: Document, api: int = 6) -> bytes:
    body = _xml_document(doc, api)
    if isinstance(doc, ObjectList) and isinstance(doc.items, SqlPage) and _forbidden_in(body):
        # SQLite copied text XML forbids; cdata()/escape() strip it value by value.
        doc.items.load()
        body = _xml_document(doc, api)
    return body


# Control characters XML 1.0 forbids, as bytes; U+FFFE/U+FFFF are EF BF BE/BF in UTF-8.
_FORBIDDEN_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])


def _forbidden_in(body: bytes) -> bool:
    """Whether the document holds text XML forbids: a C-speed pass (translate deletes, so
    the length changes) rather than a regex over a 10 MB page."""
    if len(body.translate(None, _FORBIDDEN_BYTES)) != len(body):
        return True
    # EF is rare in UTF-8 text (U+F000–U+FFFF) and a one-byte search is a memchr().
    return b"\xef" in body and (b"\xef\xbf\xbe" in body or b"\xef\xbf\xbf" in body)


def _xml_document(doc: Document, api: int) -> bytes:
    out: list[Any] = [XML_HEAD, "<root>\n"]
    if isinstance(doc, ObjectList):
        if doc.envelope and doc.xml_envelope:
            out.append(f"  <total_count>{doc.total}</total_count>\n")
            if api >= 6:
                out.append(f"  <md5>{doc.md5 or EMPTY_MD5}</md5>\n")
        for name, value in doc.head:
            text = "" if value is None else escape(scalar_text(value))
            out.append(f"  <{name}>{text}</{name}>\n" if text else f"  <{name}/>\n")
        _objects_xml(doc.xml_shape or doc.shape, doc.items, api, "  ", out)
    elif isinstance(doc, IdIndex):
        out.append(f"  <total_count>{doc.total}</total_count>\n  <md5>{doc.md5}</md5>\n")
        for i in doc.ids:
            kids = doc.children.get(i, ()) if doc.children is not None else ()
            if not kids:
                out.append(f'  <{doc.kind} id="{attr(i)}"/>\n')
                continue
            out.append(f'  <{doc.kind} id="{attr(i)}">\n')
            out.extend(f'    <{ctype} id="{attr(cid)}"/>\n' for cid, ctype in kids)
            out.append(f"  </{doc.kind}>\n")
    elif isinstance(doc, Single):
        if doc.envelope:
            out.append(f"  <total_count>{doc.total}</total_count>\n")
            if api >= 6:
                out.append(f"  <md5>{doc.md5 or EMPTY_MD5}</md5>\n")
        _objects_xml(doc.shape, [doc.item], api, "  ", out)
    elif isinstance(doc, KeyValues):
        _values_xml(doc.values, "  ", out)
    elif isinstance(doc, Success):
        if api >= 6:
            out.append(f'  <success code="1">\n    <message>{cdata(doc.message)}</message>\n')
            out.append("  </success>\n")
        else:
            out.append(f'  <success code="1">{cdata(doc.message)}</success>\n')
        _values_xml(doc.extra, "  ", out)
    elif isinstance(doc, IdList):
        for i, value in enumerate(doc.ids):
            out.append(f'  <{doc.name} index="{i}">{cdata(value)}</{doc.name}>\n')
    elif isinstance(doc, EmptyResult):
        pass
    elif isinstance(doc, Grouped):
        out.append(f"  <{doc.key}>\n")
        for _name, _shape, xml_shape, items in doc.groups:
            if xml_shape is not None:
                _objects_xml(xml_shape, items, api, "    ", out)
        out.append(f"  </{doc.key}>\n")
    else:
        raise TypeError(f"not a document: {doc!r}")
    out.append("</root>\n")
    return _encoded(out)


def _encoded(out: list[Any]) -> bytes:
    """The pieces as UTF-8: str runs encoded once each, SQLite's bytes as they are."""
    if not any(isinstance(piece, bytes) for piece in out):
        return "".join(out).encode("utf-8")
    parts: list[bytes] = []
    run: list[str] = []
    for piece in out:
        if isinstance(piece, bytes):
            parts.append("".join(run).encode("utf-8"))
            parts.append(piece)
            run = []
        else:
            run.append(piece)
    parts.append("".join(run).encode("utf-8"))
    return b"".join(parts)



def _values_xml(values: Any, pad: str, out: list[str]) -> None:
    """Key/value documents: every scalar in CDATA; maps nest; lists repeat with index=."""
    for key, value in values.items():
        if isinstance(value, dict):
            out.append(f"{pad}<{key}>\n")
            _values_xml(value, pad + "  ", out)
            out.append(f"{pad}</{key}>\n")
        elif isinstance(value, list):
            for i, element in enumerate(value):
                out.append(f'{pad}<{key} index="{i}">{cdata(element)}</{key}>\n')
        elif value is None or value is False:
            out.append(f"{pad}<{key}>{cdata('')}</{key}>\n")
        else:
            out.append(f"{pad}<{key}>{cdata(value)}</{key}>\n")


def error_xml(err: ApiError, action: str, api: int = 6) -> bytes:
    return (
        f'{XML_HEAD}<root>\n  <error errorCode="{err.code}">\n'
        f"    <errorAction>{cdata(action)}</errorAction>\n"
        f"    <errorType>{cdata(err.error_type)}</errorType>\n"
        f"    <errorMessage>{cdata(err.message)}</errorMessage>\n"
        "  </error>\n</root>\n"
    ).encode()
