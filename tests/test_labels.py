"""Labels from the songs' publisher tags; licences from the built-in table, linked to songs
by their license/copyright tags."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mutagen.flac import FLAC
from mutagen.id3 import ID3, TCOP, WCOP

from tests.conftest import USER, Api, write_config
from tests.shapes import assert_json_like, assert_xml_like
from tests.test_videos import media_server

__all__ = ["media_server"]


def _label_ids(media: Any) -> dict[str, int]:
    return {r["name"]: r["id"] for r in media.db.reader().execute("SELECT id, name FROM label")}


def test_labels_come_from_publisher_tags(media_server: Any) -> None:
    api, auth = media_server.api, media_server.token
    answer = api.json("labels", auth=auth)
    assert [lb["name"] for lb in answer["label"]] == ["Loud Label", "Quiet Records"]
    assert [lb["artists"] for lb in answer["label"]] == [1, 1]
    assert_json_like(answer, "labels.json", nullable={"user"})
    xml = api.raw("xml", "labels", auth=auth).content
    assert b'<label id="' in xml  # not Ampache's <license> (spec §12 Fix 2)
    assert_xml_like(xml.replace(b"label", b"license"), "labels.xml")
    quiet = _label_ids(media_server)["Quiet Records"]
    single = api.json("label", auth=auth, filter=quiet)
    assert single["name"] == "Quiet Records"
    assert_json_like(single, "label.json", nullable={"user"})
    artists = api.json("label_artists", auth=auth, filter=quiet)
    assert [a["name"] for a in artists["artist"]] == ["Label Band"]
    assert_json_like(artists, "label_artists.json")
    assert_xml_like(api.raw("xml", "label_artists", auth=auth, filter=quiet).content,
                    "label_artists.xml")
    assert api.json("labels", auth=auth, filter="quiet")["total_count"] == 1


def test_label_errors(media_server: Any, api: Any, token: str) -> None:
    auth = media_server.token
    assert media_server.api.json("label", auth=auth, filter=999)["error"]["errorCode"] == "4704"
    assert media_server.api.json("label_artists", auth=auth)["error"]["errorCode"] == "4710"
    assert api.json("labels", auth=token)["error"]["errorCode"] == "4703"  # label off there
    assert api.json("licenses", auth=token)["error"]["errorCode"] == "4703"


def test_licenses_and_their_songs(media_server: Any) -> None:
    api, auth = media_server.api, media_server.token
    seeded = [li["name"] for li in api.json("licenses", auth=auth, sort="id")["license"]]
    # Ampache's fourteen defaults in Ampache's order (its ids), then CC 4.0, CC0, PD Mark.
    assert seeded[:3] == ["0 - default", "CC BY 3.0", "CC BY NC 3.0"]
    assert {"CC BY SA 4.0", "CC0 1.0", "Public Domain Mark 1.0"} <= set(seeded)
    with media_server.db.writer() as conn:
        license_id = conn.execute("SELECT id FROM license WHERE name = 'CC BY 3.0'").fetchone()[0]
        conn.execute("INSERT INTO license (name, hidden) VALUES ('Secret', 1)")
        song = conn.execute("SELECT id FROM song WHERE title = 'Alone'").fetchone()[0]
        conn.execute("INSERT OR REPLACE INTO song_license VALUES (?, ?)", (song, license_id))
    answer = api.json("licenses", auth=auth)
    assert "Secret" not in [li["name"] for li in answer["license"]]
    assert_json_like(answer, "licenses.json")
    assert_xml_like(api.raw("xml", "licenses", auth=auth).content, "licenses.xml")
    single = api.json("license", auth=auth, filter=license_id)
    assert single["external_link"] == "https://creativecommons.org/licenses/by/3.0/"
    assert_json_like(single, "license.json")
    assert_xml_like(api.raw("xml", "license", auth=auth, filter=license_id).content,
                    "license.xml")
    songs = api.json("license_songs", auth=auth, filter=license_id)
    assert [s["title"] for s in songs["song"]] == ["Alone"]
    assert_json_like(songs, "songs.json")
    assert api.json("license", auth=auth, filter=999)["error"]["errorCode"] == "4704"


# ------------------------------------------------------------------ licences from tags


def _tagged(folder: Path) -> dict[str, Path]:
    """Tiny real files carrying licences the ways taggers write them (mutagen)."""
    from tests.test_videos import _ffmpeg, make_song

    make_song(folder / "a" / "01.mp3", "Url In Wcop", "Free Band", "Open", 1)
    tags = ID3(str(folder / "a" / "01.mp3"))
    tags.add(WCOP(url="http://creativecommons.org/licenses/by-sa/3.0/"))
    tags.save()
    make_song(folder / "a" / "02.mp3", "Jamendo Copyright", "Free Band", "Open", 2)
    tags = ID3(str(folder / "a" / "02.mp3"))
    tags.add(TCOP(encoding=3, text="2010 Free Band. Licensed to the public under "
                  "http://creativecommons.org/licenses/by-nc-nd/2.5/ verify at example.org"))
    tags.save()
    make_song(folder / "a" / "03.mp3", "Plain Copyright", "Free Band", "Open", 3)
    tags = ID3(str(folder / "a" / "03.mp3"))
    tags.add(TCOP(encoding=3, text="℗ 2010 Some Records"))
    tags.save()
    flac = folder / "b" / "01.flac"
    flac.parent.mkdir(parents=True)
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=330:duration=1", str(flac))
    meta = FLAC(str(flac))
    meta["title"] = "Vorbis Licence"
    meta["artist"] = "Other Band"
    meta["license"] = "CC0"
    meta.save()
    return {"wcop": folder / "a" / "01.mp3", "tcop": folder / "a" / "02.mp3",
            "plain": folder / "a" / "03.mp3", "flac": flac}


def _licence_of(db: Any) -> dict[str, str | None]:
    return {
        r[0]: r[1]
        for r in db.reader().execute(
            "SELECT s.title, li.name FROM song s LEFT JOIN song_license sl ON sl.song_id = s.id"
            " LEFT JOIN license li ON li.id = sl.license_id"
        )
    }


def test_licences_from_tags_scanned_and_served(tmp_path: Path) -> None:
    from tests.test_videos import FFMPEG

    if FFMPEG is None:
        pytest.skip("ffmpeg not installed")
    from ampmini.accounts import add_user
    from ampmini.config import ConfigHolder
    from ampmini.db import open_database
    from ampmini.library.scanner import scan
    from ampmini.library.tags import read_tags
    from ampmini.sendfile import serve_background
    from ampmini.server import build

    files = _tagged(tmp_path / "music")
    # The tag reader exposes both tags.
    wcop = read_tags(str(files["wcop"]), files["wcop"].stat())
    assert wcop.license == "http://creativecommons.org/licenses/by-sa/3.0/"
    assert "by-nc-nd/2.5" in (read_tags(str(files["tcop"]), files["tcop"].stat()).copyright or "")
    config = write_config(tmp_path / "ampmini.conf", tmp_path / "music", tmp_path / "a.db",
                          "\n[features]\nlicensing = true\n")
    holder = ConfigHolder(config)
    db = open_database(holder.current.database.path)
    try:
        scan(db, holder.current.library.roots)
        assert _licence_of(db) == {
            "Url In Wcop": "CC BY SA 3.0",  # seeded (Ampache's id 7)
            "Jamendo Copyright": "CC BY NC ND 2.5",  # a version not seeded: row added
            "Plain Copyright": None,
            "Vorbis Licence": "CC0 1.0",
        }
        add_user(db, *USER, access=25)
        _server, app = build(holder, db)
        with serve_background(app, threads=2) as wsgi:
            api = Api(f"http://127.0.0.1:{wsgi.effective_port}")
            auth = api.login(*USER)
            songs = {s["title"]: s for s in api.json("songs", auth=auth)["song"]}
            assert songs["Url In Wcop"]["license"] == "https://creativecommons.org/licenses/by-sa/3.0/"
            assert songs["Plain Copyright"]["license"] is None
            cc0 = db.reader().execute("SELECT id FROM license WHERE name = 'CC0 1.0'").fetchone()[0]
            listed = api.json("license_songs", auth=auth, filter=cc0)
            assert [s["title"] for s in listed["song"]] == ["Vorbis Licence"]
            xml = api.xml("license_songs", auth=auth, filter=cc0)
            assert [s.findtext("title") for s in xml.iter("song")] == ["Vorbis Licence"]
        # Re-tagged: the link follows the file; a tag removed drops the link.
        meta = FLAC(str(files["flac"]))
        meta["license"] = "Creative Commons Attribution-NonCommercial 4.0 International"
        meta.save()
        tags = ID3(str(files["wcop"]))
        tags.delall("WCOP")
        tags.save()
        scan(db, holder.current.library.roots)
        after = _licence_of(db)
        assert after["Vorbis Licence"] == "CC BY NC 4.0"
        assert after["Url In Wcop"] is None
        assert after["Jamendo Copyright"] == "CC BY NC ND 2.5"
    finally:
        db.close()
