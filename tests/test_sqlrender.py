"""Pages rendered inside SQLite (api/sqlrender.py) are byte for byte what the Python renderer
writes from the same items, in both formats and both API majors, over real scanned files.

The library is the shared test library (non-ASCII, `&"'<>]]>` names, compilations without an
album artist, several genres and artists, replaygain) plus one file whose tags carry text XML
forbids, ratings from two users and a flag. The big list actions serve their pages this way.
"""

from __future__ import annotations

import random
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from mutagen.id3 import ID3, TALB, TIT2, TPE1, TXXX, USLT

from ampmini.api import library as songs_source
from ampmini.api.objects.library import SONG
from ampmini.api.render import to_json, to_xml
from ampmini.api.shapes import ObjectList
from ampmini.api.sqlrender import SqlPage, load_items
from tests.conftest import running_server

USERS = (("rater", "rater-secret-pw", 25), ("other", "other-secret-pw", 25))
DIRTY_TITLE = "Bell\x07 and ]]> \x01"


@pytest.fixture(scope="module")
def rendered(library: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("sqlrender") / "music"
    shutil.copytree(library["root"], root)
    source = next(root.rglob("*.mp3"))
    dirty = root / "dirty" / "odd.mp3"
    dirty.parent.mkdir()
    shutil.copy(source, dirty)
    tags = ID3(dirty)
    tags.delall("APIC")
    for frame in (TIT2(encoding=3, text=DIRTY_TITLE), TPE1(encoding=3, text="Ctrl\x1fArtist"),
                  TALB(encoding=3, text="Album \ufffe ]]> & <x>"),
                  USLT(encoding=3, lang="eng", desc="", text="line one\nline\ttwo \"q\" \\"),
                  TXXX(encoding=3, desc="replaygain_track_gain", text="-7.53 dB"),
                  TXXX(encoding=3, desc="replaygain_track_peak", text="1.0")):
        tags.add(frame)
    tags.save(dirty)
    with running_server(root, tmp_path_factory.mktemp("sqlrender-state"), users=USERS) as srv:
        tokens = [srv.api.login(name, password) for name, password, _level in USERS]
        ids = [int(s["id"]) for s in srv.api.json("songs", auth=tokens[0], limit=0)["song"]]
        assert len(ids) > 30
        # Averages whole (4, 4) and not (3, 4); one rating of one user only; a flag.
        for token, ratings in zip(tokens, ((4, 3, 5), (4, 4)), strict=False):
            for song_id, stars in zip(ids, ratings, strict=False):
                srv.api.json("rate", auth=token, type="song", id=song_id, rating=stars)
        srv.api.json("flag", auth=tokens[0], type="song", id=ids[1], flag=1)
        yield type("Rendered", (), {"srv": srv, "ids": ids, "api": srv.api, "token": tokens[0]})


def _params(srv: Any, uid: int) -> dict[str, Any]:
    return {"uid": uid, "first_track": 7, "play_head": "http://h/play/index.php?ssid=s&oid=",
            "play_tail": f"&uid={uid}&player=api&name=", "art_head": "http://h/image.php?id=",
            "art_tail": "&object_type=album"}


def _both(srv: Any, ids: list[int], fmt: str, api: int) -> tuple[bytes, bytes, SqlPage]:
    conn = srv.db.reader()
    uid = conn.execute("SELECT id FROM user WHERE username = 'rater'").fetchone()[0]
    params = _params(srv, uid)
    page = SqlPage(conn, songs_source.SONG_SOURCE, ids, params)
    items = load_items(conn, songs_source.SONG_SOURCE, ids, params)
    render = to_json if fmt == "json" else to_xml
    fast = render(ObjectList(SONG, page, len(ids), "m"), api)
    slow = render(ObjectList(SONG, items, len(ids), "m"), api)
    return fast, slow, page


@pytest.mark.parametrize("api", [6, 5])
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_sqlite_pages_equal_python_pages(rendered: Any, fmt: str, api: int) -> None:
    dirty = _dirty_id(rendered)
    ids = [i for i in rendered.ids if i != dirty]
    random.Random(api).shuffle(ids)
    fast, slow, page = _both(rendered.srv, ids, fmt, api)
    assert page._items is None, "the page was not rendered by SQLite"
    assert fast == slow
    assert len(fast) > 10_000


@pytest.mark.parametrize("api", [6, 5])
def test_text_xml_forbids_falls_back_to_the_python_renderer(rendered: Any, api: int) -> None:
    dirty = _dirty_id(rendered)
    fast, slow, page = _both(rendered.srv, [rendered.ids[0], dirty], "xml", api)
    assert page._items is not None  # SQLite's copy held \x01: rendered again in Python
    assert fast == slow
    title = ET.fromstring(fast).findall("song")[1].findtext("title")
    assert title == "Bell and ]]> "
    json_fast, json_slow, json_page = _both(rendered.srv, [dirty], "json", api)
    assert json_page._items is None and json_fast == json_slow
    assert DIRTY_TITLE.encode("unicode_escape").decode() not in json_fast.decode()


def test_songs_over_http_carry_the_odd_text_in_both_formats(rendered: Any) -> None:
    api, token = rendered.api, rendered.token
    listed = api.json("songs", auth=token, limit=0)["song"]
    by_title = {s["title"]: s for s in listed}
    odd = by_title[DIRTY_TITLE]
    assert odd["album"]["name"] == "Album \ufffe ]]> & <x>"
    assert odd["replaygain_track_gain"] == -7.53 and odd["replaygain_track_peak"] == 1
    assert [s["playlisttrack"] for s in listed] == list(range(1, len(listed) + 1))
    rated = {int(s["id"]): (s["rating"], s["averagerating"], s["flag"]) for s in listed}
    first, second, third = rendered.ids[:3]
    assert rated[first] == (4, 4, False)
    assert rated[second] == (3, 3.5, True)
    assert rated[third] == (5, 5, False)
    root = api.xml("songs", auth=token, limit=0)
    titles = [s.findtext("title") for s in root.findall("song")]
    assert "Bell and ]]> " in titles and len(titles) == len(listed)


def test_playlist_pages_number_tracks_from_the_offset(rendered: Any) -> None:
    api, token = rendered.api, rendered.token
    playlist = api.json("playlist_create", auth=token, name="numbered", type="private")["id"]
    for song_id in rendered.ids[:6]:
        api.json("playlist_add_song", auth=token, filter=playlist, song=song_id)
    page = api.json("playlist_songs", auth=token, filter=playlist, offset=2, limit=3)["song"]
    assert [s["playlisttrack"] for s in page] == [3, 4, 5]
    assert [s["id"] for s in page] == [str(i) for i in rendered.ids[2:5]]


def _dirty_id(rendered: Any) -> int:
    row = rendered.srv.db.reader().execute(
        "SELECT id FROM song WHERE path LIKE ?", ("%" + str(Path("dirty", "odd.mp3")),)
    ).fetchone()
    return row[0]




def test_a_shape_sqlite_cannot_draw_is_drawn_in_python(rendered: Any) -> None:
    """Four keys that may be left out would need sixteen json_object() variants: the page
    falls back to the Python renderer rather than failing."""
    from ampmini.api.shapes import Field, Kind, Shape
    from ampmini.api.sqlrender import Ref, Source

    refs = {f"r{i}": Ref("al.album_artist_id", "aa.name") for i in range(4)}
    source = Source("s.id", songs_source.SONG_SOURCE.tables, {"id": "s.id", **refs})
    shape = Shape("odd", (Field("id", Kind.ID), *(Field(k, Kind.REF) for k in refs)))
    conn = rendered.srv.db.reader()
    page = SqlPage(conn, source, rendered.ids[:3], _params(rendered.srv, 1))
    assert page.fragments(shape, "json", 6) is None
    body = to_json(ObjectList(shape, page, 3, "m"), 6)
    assert len(ET.fromstring(to_xml(ObjectList(shape, page, 3, "m"), 6)).findall("odd")) == 3
    assert body.startswith(b'{"total_count":3,"md5":"m","odd":[{"id":"')
