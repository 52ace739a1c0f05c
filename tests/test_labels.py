"""Labels from the songs' publisher tags, and licences from the admin-edited table."""

from __future__ import annotations

from typing import Any

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
    assert api.json("licenses", auth=auth)["license"] == []  # none seeded
    with media_server.db.writer() as conn:
        license_id = conn.execute(
            "INSERT INTO license (name, external_link) VALUES"
            " ('CC BY 3.0', 'https://creativecommons.org/licenses/by/3.0/')"
        ).lastrowid
        conn.execute("INSERT INTO license (name, hidden) VALUES ('Secret', 1)")
        song = conn.execute("SELECT id FROM song WHERE title = 'Alone'").fetchone()[0]
        conn.execute("INSERT INTO song_license VALUES (?, ?)", (song, license_id))
    answer = api.json("licenses", auth=auth)
    assert [li["name"] for li in answer["license"]] == ["CC BY 3.0"]
    assert_json_like(answer, "licenses.json")
    assert_xml_like(api.raw("xml", "licenses", auth=auth).content, "licenses.xml")
    single = api.json("license", auth=auth, filter=license_id)
    assert_json_like(single, "license.json")
    assert_xml_like(api.raw("xml", "license", auth=auth, filter=license_id).content,
                    "license.xml")
    songs = api.json("license_songs", auth=auth, filter=license_id)
    assert [s["title"] for s in songs["song"]] == ["Alone"]
    assert_json_like(songs, "songs.json")
    assert api.json("license", auth=auth, filter=999)["error"]["errorCode"] == "4704"
