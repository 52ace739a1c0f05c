"""Tests of tests/shapes.py: every reference example vs itself, and altered copies."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

try:  # repo root on sys.path (tests is a package or rootdir import)
    from tests import shapes
except ImportError:  # pytest "prepend" import mode puts tests/ itself on sys.path
    import shapes  # type: ignore[no-redef]

# Reference files that are not well-formed JSON/XML (none at the time of writing). A file listed
# here must fail to parse; one that fails and is not listed fails the suite with its parse error.
KNOWN_MALFORMED: frozenset[str] = frozenset()

EXAMPLE_SETS = [(fmt, api) for api in (6, 5) for fmt in ("json", "xml")]


def _all_examples() -> list[Any]:
    params = []
    for fmt, api in EXAMPLE_SETS:
        for path in shapes.iter_examples(fmt, api):
            rel = f"api{api}/{fmt}/{path.name}"
            params.append(pytest.param(path, fmt, id=rel))
    return params


def _json(name: str, api: int = 6) -> Any:
    return shapes.load_json_example(name, api)


def _xml(name: str, api: int = 6) -> str:
    return shapes.example_path(name, "xml", api).read_text(encoding="utf-8")


# --------------------------------------------------------------------------- locating examples


def test_example_sets_are_present() -> None:
    counts = {(fmt, api): len(list(shapes.iter_examples(fmt, api))) for fmt, api in EXAMPLE_SETS}
    assert counts[("json", 6)] >= 200
    assert counts[("xml", 6)] >= 200
    assert counts[("json", 5)] >= 100
    assert counts[("xml", 5)] >= 100


def test_example_path_names_and_variants() -> None:
    base = shapes.examples_dir()
    assert shapes.example_path("songs", "json") == base / "json" / "songs.json"
    variant = shapes.example_path("artist (with include songs,albums)", "xml")
    assert variant == base / "xml" / "artist (with include songs,albums).xml"
    assert shapes.example_path("songs.json", "json") == base / "json" / "songs.json"
    assert shapes.example_path("album", "json", api=5) == base / "api5" / "json" / "album.json"


def test_example_path_missing_file_suggests_names() -> None:
    with pytest.raises(shapes.ExampleError, match=r"did you mean songs\.json"):
        shapes.example_path("sngs", "json")
    with pytest.raises(ValueError, match="fmt"):
        shapes.example_path("songs", "yaml")
    with pytest.raises(ValueError, match="API 4"):
        shapes.example_path("songs", "json", api=4)


def test_example_path_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "json").mkdir()
    (tmp_path / "json" / "ping.json").write_text("{}", encoding="utf-8")
    monkeypatch.setenv("AMPMINI_EXAMPLES", str(tmp_path))
    assert shapes.example_path("ping", "json") == tmp_path / "json" / "ping.json"


# --------------------------------------------------------------------------- every file vs itself


@pytest.mark.parametrize(("path", "fmt"), _all_examples())
def test_example_matches_itself(path: Path, fmt: str) -> None:
    key = f"{path.parent.name}/{path.name}"
    if path.parent.parent.name == "api5":
        key = "api5/" + key
    try:
        if fmt == "json":
            value = json.loads(path.read_text(encoding="utf-8"))
            diffs = shapes.json_shape_diff(value, value)
        else:
            raw = path.read_bytes()
            diffs = shapes.xml_shape_diff(raw, raw)
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError, ExampleError
        if key in KNOWN_MALFORMED:
            pytest.xfail(f"known malformed reference file {key}: {exc}")
        pytest.fail(f"reference file {key} does not parse: {exc}")
    assert key not in KNOWN_MALFORMED, f"{key} parses now; drop it from KNOWN_MALFORMED"
    assert diffs == []


# --------------------------------------------------------------------------- JSON alterations


@pytest.fixture
def songs() -> Any:
    return _json("songs")


def test_json_removed_key(songs: Any) -> None:
    actual = copy.deepcopy(songs)
    del actual["song"][0]["flag"]
    assert shapes.json_shape_diff(actual, songs) == ["$.song[0].flag: missing key (expected bool)"]


def test_json_int_to_string_and_bool_to_int(songs: Any) -> None:
    actual = copy.deepcopy(songs)
    actual["song"][0]["time"] = "433"
    actual["song"][1]["flag"] = 0
    assert shapes.json_shape_diff(actual, songs) == [
        "$.song[0].time: expected int, got str",
        "$.song[1].flag: expected bool, got int",
    ]


def test_json_flag_as_string(songs: Any) -> None:
    actual = copy.deepcopy(songs)
    actual["song"][0]["flag"] = "0"
    assert shapes.json_shape_diff(actual, songs) == ["$.song[0].flag: expected bool, got str"]


def test_json_extra_key(songs: Any) -> None:
    actual = copy.deepcopy(songs)
    actual["song"][0]["bpm"] = 120
    actual["extra"] = {"a": 1}
    assert shapes.json_shape_diff(actual, songs) == [
        "$.song[0].bpm: extra key (int)",
        "$.extra: extra key (object)",
    ]


def test_json_reordered_keys(songs: Any) -> None:
    actual = copy.deepcopy(songs)
    first = actual["song"][0]
    items = list(first.items())
    items[1], items[2] = items[2], items[1]  # title <-> name
    actual["song"][0] = dict(items)
    diffs = shapes.json_shape_diff(actual, songs)
    assert diffs == ["$.song[0]: key order differs: expected 'title' after 'id', got 'name'"]
    assert shapes.json_shape_diff(actual, songs, check_order=False) == []


def test_json_nested_ref_and_top_level(songs: Any) -> None:
    actual = copy.deepcopy(songs)
    del actual["song"][0]["artist"]["basename"]
    actual["total_count"] = "75"
    assert shapes.json_shape_diff(actual, songs) == [
        "$.total_count: expected int, got str",
        "$.song[0].artist.basename: missing key (expected str)",
    ]
    assert shapes.json_shape_diff([], songs) == ["$: expected object, got array"]


def test_json_null_rules(songs: Any) -> None:
    actual = copy.deepcopy(songs)
    song = actual["song"][0]
    song["mbid"] = "0b9a3a4c-2b6e-4d1f-8b9e-1c2d3e4f5a6b"  # expected null: any value
    song["rating"] = 4
    song["channels"] = None  # int|null per spec
    song["comment"] = "nice"
    song["title"] = None  # not nullable
    song["time"] = None  # not nullable
    assert shapes.json_shape_diff(actual, songs) == [
        "$.song[0].title: expected str, got null",
        "$.song[0].time: expected int, got null",
    ]
    assert shapes.json_shape_diff(actual, songs, nullable={"title", "time"}) == []


def test_json_float_and_int_numbers() -> None:
    expected = {"replaygain_track_gain": -2.97, "averagerating": 3, "bitrate": 192000, "x": 1.5}
    ok = {"replaygain_track_gain": 1, "averagerating": 3.5, "bitrate": 192000, "x": 2}
    assert shapes.json_shape_diff(ok, expected) == []
    bad = {"replaygain_track_gain": -2.97, "averagerating": 3, "bitrate": 1.5, "x": 1.5}
    assert shapes.json_shape_diff(bad, expected) == ["$.bitrate: expected int, got float"]


def test_json_arrays() -> None:
    expected = {"song": [{"id": "1", "genre": [], "a": 1}, {"id": "2", "genre": [], "b": True}]}
    # empty actual array fine; optional keys (a/b seen in only one sibling) may be absent;
    # an empty expected array accepts any element
    assert shapes.json_shape_diff({"song": []}, expected) == []
    actual = {"song": [{"id": "3", "genre": [{"id": "9", "name": "Rock"}]}]}
    assert shapes.json_shape_diff(actual, expected) == []
    assert shapes.json_shape_diff({"song": [{"genre": []}]}, expected) == [
        "$.song[0].id: missing key (expected str)"
    ]


def test_json_id_keyed_maps() -> None:
    expected = _json("index (album with include)")
    actual = {"album": {"7": [{"id": 1, "type": "song"}], "8": []}}
    assert shapes.json_shape_diff(actual, expected) == []
    actual = {"album": {"7": [{"id": "1", "type": "song"}], "x": []}}
    assert shapes.json_shape_diff(actual, expected) == [
        '$.album["7"][0].id: expected int, got str',
        "$.album.x: expected an id as key of this map",
    ]


def test_json_ignore_patterns(songs: Any) -> None:
    actual = copy.deepcopy(songs)
    actual["song"][0]["filename"] = 1
    actual["song"][3]["filename"] = None
    actual["song"][0]["custom"] = "x"
    assert len(shapes.json_shape_diff(actual, songs)) == 3
    ignore = {"$.song[*].filename", "$.song[*].custom"}
    assert shapes.json_shape_diff(actual, songs, ignore=ignore) == []


def test_json_optional_albumartist(songs: Any) -> None:
    actual = copy.deepcopy(songs)
    for song in actual["song"]:
        song.pop("albumartist", None)
    assert shapes.json_shape_diff(actual, songs) == []


def test_json_api5_vs_api6_song_differs() -> None:
    diffs = shapes.json_shape_diff(_json("song", api=5), _json("song"))
    assert "$.has_art: missing key (expected bool)" in diffs
    assert "$.preciserating: extra key (null)" in diffs
    assert "$.artist.basename: missing key (expected str)" in diffs


def test_assert_json_like() -> None:
    shapes.assert_json_like(_json("songs"), "songs")
    shapes.assert_json_like(shapes.example_path("songs", "json").read_bytes(), "songs")
    actual = _json("songs")
    for song in actual["song"]:
        song["flag"] = int(song["flag"])
    with pytest.raises(AssertionError) as info:
        shapes.assert_json_like(actual, "songs")
    text = str(info.value)
    assert "vs api6/json/songs" in text
    assert "$.song[0].flag: expected bool, got int" in text
    assert "more like it" in text  # one complaint per song collapses into one line
    with pytest.raises(AssertionError, match="not valid JSON"):
        shapes.assert_json_like(b"{nope", "songs")


# --------------------------------------------------------------------------- XML alterations


SONG_TITLE = "<title><![CDATA[Are we going Crazy]]></title>"


@pytest.fixture
def songs_xml() -> str:
    text = _xml("songs")
    assert SONG_TITLE in text
    return text


def test_xml_cdata_to_plain(songs_xml: str) -> None:
    actual = songs_xml.replace(SONG_TITLE, "<title>Are we going Crazy</title>", 1)
    assert shapes.xml_shape_diff(actual, songs_xml) == [
        "root/song[0]/title: expected CDATA, got plain text"
    ]


def test_xml_plain_to_cdata_and_int_to_text(songs_xml: str) -> None:
    actual = songs_xml.replace("<track>7</track>", "<track><![CDATA[7]]></track>", 1)
    actual = actual.replace("<time>433</time>", "<time>7:13</time>", 1)
    assert shapes.xml_shape_diff(actual, songs_xml) == [
        "root/song[0]/track: expected plain int, got CDATA",
        "root/song[0]/time: expected plain int, got plain text",
    ]


def test_xml_missing_and_extra_attribute(songs_xml: str) -> None:
    actual = songs_xml.replace('<song id="115">', '<song id="115" kind="x">', 1)
    actual = actual.replace('<album id="12">', "<album>", 1)
    assert shapes.xml_shape_diff(actual, songs_xml) == [
        "root/song[0]: extra attribute 'kind'",
        "root/song[0]/album: missing attribute 'id'",
    ]


def test_xml_missing_extra_and_reordered_elements(songs_xml: str) -> None:
    actual = songs_xml.replace("<flag>0</flag>", "", 1)
    actual = actual.replace("<playcount>0</playcount>", "<playcount>0</playcount><bpm>1</bpm>", 1)
    assert shapes.xml_shape_diff(actual, songs_xml) == [
        "root/song[0]/flag: missing element",
        "root/song[0]/bpm: extra element",
    ]
    name = "<name><![CDATA[Are we going Crazy]]></name>"
    swapped = songs_xml.replace(name + "\n    " + SONG_TITLE, SONG_TITLE + name, 1)
    assert swapped != songs_xml
    assert shapes.xml_shape_diff(swapped, songs_xml) == [
        "root/song[0]: element order differs: expected 'name' first, got 'title'"
    ]
    assert shapes.xml_shape_diff(swapped, songs_xml, check_order=False) == []


def test_xml_empty_and_numbers(songs_xml: str) -> None:
    actual = songs_xml.replace("<rating/>", "<rating>4</rating>", 1)  # expected empty: fine
    actual = actual.replace("<channels>1</channels>", "<channels/>", 1)  # nullable int
    actual = actual.replace("<size>1776580</size>", "<size/>", 1)  # not nullable
    assert shapes.xml_shape_diff(actual, songs_xml) == [
        "root/song[0]/size: expected plain int, got empty element"
    ]


def test_xml_root_and_malformed(songs_xml: str) -> None:
    assert shapes.xml_shape_diff("<foo/>", songs_xml) == [
        "foo: expected root element <root>, got <foo>"
    ]
    diffs = shapes.xml_shape_diff("<root><song></root>", songs_xml)
    assert len(diffs) == 1
    assert diffs[0].startswith("(document): not well-formed XML")
    with pytest.raises(shapes.ExampleError, match="reference XML"):
        shapes.xml_shape_diff(songs_xml, "<root>")


def test_xml_empty_list_and_optional_children() -> None:
    expected = _xml("songs")
    empty = "<root><total_count>0</total_count><md5>40cd750bba9870f18aada2478b24840a</md5></root>"
    assert shapes.xml_shape_diff(empty, expected) == []
    # artist with include songs: an actual without genres is fine, <songs/> empty too
    artist = _xml("artist (with include songs,albums)")
    assert shapes.xml_shape_diff(_xml("artist"), artist) == []


def test_xml_ignore_patterns(songs_xml: str) -> None:
    actual = songs_xml.replace(SONG_TITLE, "<title>x</title>", 1)
    assert shapes.xml_shape_diff(actual, songs_xml, ignore={"root/song*/title"}) == []


def test_xml_api5_vs_api6_song_differs() -> None:
    diffs = shapes.xml_shape_diff(_xml("song", api=5), _xml("song"))
    assert "root/md5: missing element" in diffs
    assert "root/song/artist: expected child elements, got CDATA" in diffs


def test_assert_xml_like(songs_xml: str) -> None:
    shapes.assert_xml_like(songs_xml.encode(), "songs")
    actual = songs_xml.replace("<flag>0</flag>", "<flag>false</flag>")
    with pytest.raises(AssertionError) as info:
        shapes.assert_xml_like(actual, "songs")
    text = str(info.value)
    assert "vs api6/xml/songs" in text
    assert "root/song[0]/flag: expected plain int, got plain text" in text
