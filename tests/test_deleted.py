"""deleted_songs: what the scanner removed, in the shapes of spec §3.1/§3.2/§8.16, API6 and API5."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import ampache
import pytest

from ampmini import catalogs
from ampmini.api.render import EMPTY_MD5
from ampmini.library.scanner import scan
from tests.conftest import ADMIN, ADMIN_KEY, GUEST, USER, running_server
from tests.shapes import assert_json_like, assert_xml_like, load_json_example

ALBUM = "Motörhead/Ace of Spades"
INT_KEYS = ("addition_time", "delete_time", "total_count", "total_skip", "update_time")
KEYS = [
    "id",
    "addition_time",
    "delete_time",
    "title",
    "file",
    "catalog",
    "total_count",
    "total_skip",
    "update_time",
    "album",
    "artist",
]


@pytest.fixture(scope="module")
def lib(library: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A private server over a copy of one artist, so the tests may delete its files."""
    base = tmp_path_factory.mktemp("deleted")
    root = base / "music"
    shutil.copytree(library["root"] / "Motörhead", root / "Motörhead")
    users = ((*ADMIN, 100), (*USER, 25), (*GUEST, 5))
    with running_server(root, base, users=users) as own:
        own.root = root
        own.guest = own.api.login(*GUEST)
        own.api5 = own.api.login(*USER, version="5.5.6")
        yield own


def rescan(lib: Any) -> None:
    scan(lib.db, catalogs.all_roots(lib.db, lib.holder.current))


def test_empty_answers(lib: Any) -> None:
    body = lib.api.json("deleted_songs", auth=lib.guest)
    # Ampache 6.9.1 names the empty list `deleted_songs`; ampmini uses the singular key of the
    # filled answer (spec §12 Fix 10). Everything else is the example's.
    assert body == {"total_count": 0, "md5": EMPTY_MD5, "deleted_song": []}
    example = load_json_example("deleted_songs")
    assert list(example)[:2] == list(body)[:2]
    assert example["md5"] == body["md5"]
    xml = lib.api.raw("xml", "deleted_songs", auth=lib.guest)
    assert_xml_like(xml.content, "deleted_songs")
    assert len(lib.api.xml("deleted_songs", auth=lib.guest)) == 0  # <root></root> (§3.1)
    assert lib.api.json("deleted_songs", auth=lib.api5) == {"deleted_song": []}
    assert_xml_like(
        lib.api.raw("xml", "deleted_songs", auth=lib.api5).content, "deleted_songs", api=5
    )


@pytest.fixture(scope="module")
def removed(lib: Any) -> dict[str, Any]:
    """Delete one album's folder and rescan; the song rows as they were before, by path.
    (Module order matters only for test_empty_answers, which runs before this is used.)"""
    reader = lib.db.reader()
    before = {row["path"]: row for row in reader.execute(
        "SELECT id, path, title, album_id, artist_id, catalog_id, added, updated FROM song"
    )}  # fmt: skip
    shutil.rmtree(lib.root / ALBUM)
    rescan(lib)
    return before


def test_removed_files_are_listed(lib: Any, removed: dict[str, Any]) -> None:
    before = removed
    doomed = sorted(p for p in before if "/Ace of Spades/" in p)
    assert len(doomed) == 3

    body = lib.api.json("deleted_songs", auth=lib.guest)
    assert body["total_count"] == 3
    assert len(body["md5"]) == 32
    items = body["deleted_song"]
    assert [list(item) for item in items] == [KEYS] * 3
    by_file = {item["file"]: item for item in items}
    assert sorted(by_file) == doomed
    for path in doomed:
        item, row = by_file[path], before[path]
        assert item["id"] == str(row["id"])
        assert item["title"] == row["title"]
        # ids are strings, times and counts ints (Ampache's Json_Data::deleted).
        assert (item["catalog"], item["album"], item["artist"]) == (
            str(row["catalog_id"]),
            str(row["album_id"]),
            str(row["artist_id"]),
        )
        assert all(type(item[k]) is int for k in INT_KEYS)
        assert item["addition_time"] == row["added"]
        assert item["delete_time"] >= row["added"]
    # The album left empty is gone from the listings.
    assert lib.api.json("albums", auth=lib.guest, filter="Ace of Spades")["album"] == []

    xml = lib.api.raw("xml", "deleted_songs", auth=lib.guest).content
    root = lib.api.xml("deleted_songs", auth=lib.guest)
    assert [child.tag for child in root] == ["deleted_song"] * 3  # no total_count/md5
    first = root[0]
    assert [child.tag for child in first] == KEYS[1:]
    assert first.get("id") == items[0]["id"]
    text = xml.decode()
    assert "<title><![CDATA[" in text
    assert "<file><![CDATA[" in text
    assert f"<catalog>{items[0]['catalog']}</catalog>" in text

    api5 = lib.api.json("deleted_songs", auth=lib.api5)
    assert list(api5) == ["deleted_song"]
    assert api5["deleted_song"] == items

    page = lib.api.json("deleted_songs", auth=lib.guest, offset=1, limit=1)
    assert page["total_count"] == 3
    assert page["deleted_song"] == items[1:2]


def test_ampache_client_deleted_songs(lib: Any, removed: dict[str, Any]) -> None:
    for fmt in ("json", "xml"):
        client = ampache.API()
        client.set_format(fmt)
        client.set_url(lib.base)
        assert client.handshake(lib.base, client.encrypt_string(ADMIN_KEY, ADMIN[0]))
        answer = client.deleted_songs()
        if fmt == "json":
            titles = {d["title"] for d in answer["deleted_song"]}
        else:
            titles = {d.findtext("title") for d in answer.findall("deleted_song")}
        assert "Ace of Spades" in titles


def test_json_item_shape_like_ampache_deleted_objects(lib: Any, removed: dict[str, Any]) -> None:
    """The one filled deleted_* example (API5 podcast episodes) shares the common fields."""
    body = lib.api.json("deleted_songs", auth=lib.guest)
    example = load_json_example("deleted_podcast_episodes", api=5)["deleted_podcast_episode"][0]
    common = [k for k in example if k in KEYS]
    assert [k for k in body["deleted_song"][0] if k in example] == common
    # Checked by tests/shapes for everything but `catalog`, which Ampache's song branch casts
    # to a string (the episode branch leaves it an int).
    assert_json_like(
        {
            "deleted_podcast_episode": [
                {**{k: body["deleted_song"][0][k] for k in common}, "catalog": 3, "podcast": "1"}
            ]
        },
        "deleted_podcast_episodes",
        api=5,
    )
