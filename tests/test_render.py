"""The renderers on their own: well-formed XML whatever the text, the JSON types of each kind."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from ampmini.api.errors import NotFound
from ampmini.api.render import cdata, error_json, error_xml, to_json, to_xml
from ampmini.api.shapes import Field, IdList, KeyValues, Kind, ObjectList, Shape, Single, Success

THING = Shape("thing", (
    Field("id", Kind.ID), Field("name", Kind.TEXT), Field("count", Kind.INT),
    Field("flag", Kind.BOOL), Field("score", Kind.NUMBER), Field("owner", Kind.REF),
))
NASTY = "a]]>b<c>&d\"e'\x00\x07f\ufffe"


def test_cdata_splits_its_terminator_and_drops_forbidden_characters() -> None:
    assert cdata("x]]>y") == "<![CDATA[x]]]]><![CDATA[>y]]>"
    assert cdata(None) == cdata("") == "<![CDATA[]]>"
    root = ET.fromstring(f"<r>{cdata(NASTY)}</r>")
    assert root.text == "a]]>b<c>&d\"e'f"


def test_any_text_gives_well_formed_xml_and_exact_json() -> None:
    item = {"id": 7, "name": NASTY, "count": None, "flag": True, "score": 2.0,
            "owner": {"id": 1, "name": NASTY, "prefix": None, "basename": NASTY}}
    doc = ObjectList(THING, [item], 1, "0" * 32)
    root = ET.fromstring(to_xml(doc))
    assert root.find("thing").get("id") == "7"
    assert root.find("thing/owner/name").text == "a]]>b<c>&d\"e'f"
    body = json.loads(to_json(doc))
    thing = body["thing"][0]
    assert thing == {"id": "7", "name": NASTY, "count": None, "flag": True, "score": 2,
                     "owner": {"id": "1", "name": NASTY, "prefix": None, "basename": NASTY}}
    assert body["total_count"] == 1


def test_api5_refs_are_text_and_flags_numbers() -> None:
    item = {"id": 7, "name": "n", "count": 1, "flag": True, "score": None,
            "owner": {"id": 1, "name": "Own", "prefix": None, "basename": "Own"}}
    assert json.loads(to_json(Single(THING, item), api=5))["owner"] == {"id": "1", "name": "Own"}
    assert json.loads(to_json(Single(THING, item), api=5))["flag"] == 1
    root = ET.fromstring(to_xml(Single(THING, item), api=5))
    assert root.find("thing/owner").text == "Own"
    assert root.find("md5") is None  # API5 lists carry no md5


def test_absent_ref_is_left_out_in_both_formats() -> None:
    item = {"id": 1, "name": "n", "count": 0, "flag": False, "score": None, "owner": None}
    assert "owner" not in json.loads(to_json(Single(THING, item)))
    assert ET.fromstring(to_xml(Single(THING, item))).find("thing/owner") is None


def test_key_values_success_id_list_and_errors() -> None:
    kv = ET.fromstring(to_xml(KeyValues({"a": 1, "b": None, "c": {"d": True}, "e": [3, 4]})))
    assert kv.find("a").text == "1" and kv.find("b").text is None
    assert kv.find("c/d").text == "1" and [e.get("index") for e in kv.findall("e")] == ["0", "1"]
    assert ET.fromstring(to_xml(Success("ok"))).find("success/message").text == "ok"
    assert ET.fromstring(to_xml(Success("ok"), api=5)).find("success").text == "ok"
    assert json.loads(to_json(IdList([1, 2]))) == [1, 2]
    err = NotFound(99, "filter")
    assert json.loads(error_json(err, "song"))["error"] == {
        "errorCode": "4704", "errorAction": "song", "errorType": "filter",
        "errorMessage": "Not Found: 99"}
    assert ET.fromstring(error_xml(err, "song")).find("error").get("errorCode") == "4704"
