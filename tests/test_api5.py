"""API5 sessions (Amperfy sends 500000, Foam 5.6.0) get API5 documents (spec §11)."""

from __future__ import annotations

import pytest

from tests import shapes
from tests.conftest import ADMIN, USER
from tests.test_shapes_core import CASES, resolve

API6_ONLY = {"list", "index", "browse"}
API5_CASES = [c for c in CASES if c[0] not in API6_ONLY]


@pytest.fixture(scope="module")
def token5(api) -> str:
    return api.login(*USER, version="500000")


@pytest.fixture(scope="module")
def ids(api, token5) -> dict[str, str]:
    from tests.test_shapes_core import ids as ids6

    return ids6.__wrapped__(api, token5)


@pytest.mark.parametrize(("action", "params", "example"), API5_CASES,
                         ids=[c[2] for c in API5_CASES])
def test_json_shape_matches_api5_reference(api, token5, ids, action, params, example) -> None:
    answer = api.json(action, auth=token5, **resolve(params, ids, api, token5))
    assert "error" not in answer, answer
    if not shapes.example_path(example, "json", api=5).exists():
        pytest.skip("no API5 reference for this variant")
    shapes.assert_json_like(answer, example, api=5, optional=("artist",),
                            nullable=("preciserating", "artist_mbid", "albumartist_mbid",
                                      "album_mbid"))


@pytest.mark.parametrize(("action", "params", "example"), API5_CASES,
                         ids=[c[2] for c in API5_CASES])
def test_xml_shape_matches_api5_reference(api, token5, ids, action, params, example) -> None:
    response = api.raw("xml", action, auth=token5, **resolve(params, ids, api, token5))
    assert b"<error" not in response.content, response.text
    shapes.assert_xml_like(response.content, example, api=5, ignore={"*/genre*"},
                           optional=("artist", "album"), nullable=("preciserating",))


def test_api5_handshake_ping_goodbye(api) -> None:
    answer = api.handshake(*USER, version="5.5.6")
    shapes.assert_json_like(answer, "handshake", api=5)
    assert answer["api"] == "5.5.6"
    numeric = api.handshake(*USER, version="500000")
    assert numeric["api"] == "556000"
    response = api.raw("xml", "goodbye", auth=answer["auth"])
    shapes.assert_xml_like(response.content, "goodbye", api=5)


def test_api6_only_actions_are_unknown_in_api5(api, token5) -> None:
    for action in ("list", "index", "browse"):
        assert api.json(action, auth=token5, type="song")["error"]["errorCode"] == "4705"


def both(api, token: str, action: str, example: str, *, json_opts: dict | None = None,
         xml_opts: dict | None = None, **params) -> dict:
    """One API5 call in JSON and in XML, each compared with its api5/ example."""
    answer = api.json(action, auth=token, **params)
    assert not (isinstance(answer, dict) and "error" in answer) or example.startswith("error"), \
        answer
    shapes.assert_json_like(answer, example, api=5, **(json_opts or {}))
    response = api.raw("xml", action, auth=token, **params)
    shapes.assert_xml_like(response.content, example, api=5, **(xml_opts or {}))
    return answer


@pytest.fixture(scope="module")
def song_id(api, token5) -> str:
    return api.json("songs", auth=token5, limit=1)["song"][0]["id"]


def test_playlist_actions_in_api5(api, token5, song_id) -> None:
    made = both(api, token5, "playlist_create", "playlist_create", name="api5 list", type="public")
    pid = made["id"]
    try:
        added = api.json("playlist_add_song", auth=token5, filter=pid, song=song_id)
        shapes.assert_json_like(added, "playlist_add_song", api=5)
        shapes.assert_xml_like(api.raw("xml", "playlist_add_song", auth=token5, filter=pid,
                                       song=song_id, check=0).content,
                               "playlist_add_song", api=5)
        refused = api.json("playlist_add_song", auth=token5, filter=pid, song=song_id, check=1)
        shapes.assert_json_like(refused, "playlist_add_song (error)", api=5)
        both(api, token5, "playlist", "playlist", filter=pid)
        both(api, token5, "playlists", "playlists")
        both(api, token5, "playlist_songs", "playlist_songs", filter=pid,
             json_opts={"nullable": ("preciserating", "album_mbid", "artist_mbid",
                                     "albumartist_mbid"), "optional": ("artist",)},
             xml_opts={"ignore": {"*/genre*"}, "optional": ("artist", "album"),
                       "nullable": ("preciserating",)})
        both(api, token5, "playlist_edit", "playlist_edit", filter=pid, name="api5 renamed")
        both(api, token5, "playlist_remove_song", "playlist_remove_song", filter=pid, track=1)
        for fmt_example in ("playlist_generate (song)", "playlist_generate (index)",
                            "playlist_generate (id)"):
            fmt = fmt_example.split("(")[1].rstrip(")")
            answer = api.json("playlist_generate", auth=token5, format=fmt, limit=2)
            shapes.assert_json_like(answer, fmt_example, api=5,
                                    nullable=("preciserating", "album_mbid", "artist_mbid",
                                              "albumartist_mbid"), optional=("artist",))
    finally:
        deleted = api.json("playlist_delete", auth=token5, filter=pid)
    shapes.assert_json_like(deleted, "playlist_delete", api=5)


def test_share_actions_in_api5(api, token5, song_id) -> None:
    made = both(api, token5, "share_create", "share_create", filter=song_id, type="song",
                description="api5 share")
    assert made["allow_stream"] in (0, 1)  # API5: booleans are 0/1 (§11)
    sid = made["id"]
    both(api, token5, "share", "share", filter=sid)
    both(api, token5, "shares", "shares")
    both(api, token5, "share_edit", "share_edit", filter=sid, description="edited")
    shapes.assert_json_like(api.json("share_delete", auth=token5, filter=sid), "share_delete",
                            api=5)


def test_bookmark_actions_in_api5(api, token5, song_id) -> None:
    made = api.json("bookmark_create", auth=token5, filter=song_id, type="song", position=5,
                    client="python3-ampache")
    shapes.assert_json_like(made, "bookmark_create", api=5)  # {"bookmark":[{…}]} in API5
    shapes.assert_xml_like(api.raw("xml", "bookmark_create", auth=token5, filter=song_id,
                                   type="song", position=5).content, "bookmark_create", api=5)
    both(api, token5, "bookmark_edit", "bookmark_edit", filter=song_id, type="song",
         position=10)
    both(api, token5, "bookmarks", "bookmarks")
    shapes.assert_json_like(api.json("bookmark_delete", auth=token5, filter=song_id,
                                     type="song"), "bookmark_delete", api=5)
    api.json("bookmark_create", auth=token5, filter=song_id, type="song", position=1)
    shapes.assert_xml_like(api.raw("xml", "bookmark_delete", auth=token5, filter=song_id,
                                   type="song").content, "bookmark_delete", api=5)


def test_user_and_preference_actions_in_api5(api, token5) -> None:
    me = both(api, token5, "user", "user", username=USER[0],
              json_opts={"nullable": ("validation", "website", "state", "city")})
    assert me["disabled"] == 0 and me["fullname_public"] in (0, 1)
    both(api, token5, "users", "users")
    prefs = both(api, token5, "user_preferences", "user_preferences",
                 json_opts={"check_order": False}, xml_opts={"check_order": False})
    name = prefs["preference"][0]["name"]
    one = both(api, token5, "user_preference", "user_preference", filter=name)
    assert isinstance(one, list) and len(one) == 1  # API5: a one-element array (§11)


def test_admin_actions_in_api5(api) -> None:
    admin5 = api.login(*ADMIN, version="5.5.6")
    prefs = api.json("system_preferences", auth=admin5)
    shapes.assert_json_like(prefs, "system_preferences", api=5, check_order=False)
    one = api.json("system_preference", auth=admin5, filter=prefs["preference"][0]["name"])
    shapes.assert_json_like(one, "system_preference", api=5)
    assert isinstance(one, list) and len(one) == 1
    shapes.assert_xml_like(api.raw("xml", "system_preference", auth=admin5,
                                   filter=prefs["preference"][0]["name"]).content,
                           "system_preference", api=5)
    made = api.json("user_create", auth=admin5, username="api5user", password="pw-api5-user",
                    email="api5@example.org")
    shapes.assert_json_like(made, "user_create", api=5)
    shapes.assert_json_like(api.json("user_edit", auth=admin5, username="api5user",
                                     fullname="Five"), "user_edit", api=5)
    shapes.assert_json_like(api.json("user_update", auth=admin5, username="api5user",
                                     fullname="Five"), "user_update", api=5)
    shapes.assert_json_like(api.json("user_delete", auth=admin5, username="api5user"),
                            "user_delete", api=5)


def test_annotations_and_social_in_api5(api, token5, song_id) -> None:
    both(api, token5, "rate", "rate", type="song", id=song_id, rating=2)
    both(api, token5, "flag", "flag", type="song", id=song_id, flag=1)
    both(api, token5, "record_play", "record_play", id=song_id, client="api5")
    admin5 = api.login(*ADMIN, version="5.5.6")
    api.json("toggle_follow", auth=admin5, username=USER[0])
    try:
        both(api, token5, "followers", "followers", username=USER[0])
    finally:
        api.json("toggle_follow", auth=admin5, username=USER[0])
    both(api, token5, "timeline", "timeline", username=USER[0])


def test_more_feature_actions_in_api5(api, token5, song_id, admin_token) -> None:
    catalog = api.json("catalogs", auth=admin_token)["catalog"][0]["id"]
    radio = api.json("live_stream_create", auth=admin_token, name="API5 FM",
                     url="http://radio.example.org:8000/five.mp3", codec="mp3", catalog=catalog)
    try:
        both(api, token5, "live_streams", "live_streams", json_opts={"nullable": ("site_url",)},
             xml_opts={"nullable": ("site_url",)})
        both(api, token5, "live_stream", "live_stream", filter=radio["id"],
             json_opts={"nullable": ("site_url",)}, xml_opts={"nullable": ("site_url",)})
    finally:
        api.json("live_stream_delete", auth=admin_token, filter=radio["id"])
    song = api.json("song", auth=token5, filter=song_id)
    both(api, token5, "scrobble", "scrobble", song=song["title"], artist=song["artist"]["name"],
         album=song["album"]["name"])
    both(api, token5, "get_similar", "get_similar", type="song", filter=song_id,
         json_opts={"nullable": ("preciserating", "album_mbid", "artist_mbid",
                                 "albumartist_mbid"), "optional": ("artist",)},
         xml_opts={"ignore": {"*/genre*"}, "optional": ("artist", "album"),
                   "nullable": ("preciserating",)})
    both(api, token5, "ping", "ping", version="5.5.6")
    missing = api.json("song", auth=token5, filter="999999")
    shapes.assert_json_like(missing, "error-4704", api=5)
    shapes.assert_json_like(api.json("song", auth=token5), "error-4710", api=5)


def test_xml_success_has_no_message_element_in_api5(api, token5, song_id) -> None:
    body = api.xml("flag", auth=token5, type="song", id=song_id, flag=0)
    success = body.find("success")
    assert success.get("code") == "1" and success.text and success.find("message") is None


def test_api6_only_actions_answer_4705_in_api5(api, token5) -> None:
    """Every action §11 lists as absent from API5, and every REST spelling (§6.16)."""
    absent = ("bookmark", "browse", "catalog_add", "catalog_create", "catalog_delete",
              "catalog_folder", "get_external_metadata", "get_lyrics", "index", "list",
              "live_stream_create", "live_stream_edit", "live_stream_delete", "now_playing",
              "player", "playlist_add", "playlist_hash", "podcast_update", "search_group",
              "search_rules", "smartlists", "smartlist", "smartlist_songs", "smartlist_delete",
              "song_tags", "user_playlists", "user_smartlists",
              "bookmarks_create", "bookmarks_delete", "bookmarks_edit", "catalogs_create",
              "catalogs_delete", "live_streams_create", "live_streams_delete",
              "live_streams_edit", "playlist_add_edit", "playlist_add_song_edit",
              "playlist_remove_song_edit", "playlists_create", "playlists_delete",
              "playlists_edit", "podcast_episodes_delete", "podcasts_create", "podcasts_delete",
              "podcasts_edit", "preferences_create", "preferences_delete", "preferences_edit",
              "shares_create", "shares_delete", "shares_edit", "smartlists_delete", "update",
              "users_create", "users_delete", "users_edit")
    wrong = {}
    for action in absent:
        body = api.json(action, auth=token5)
        code = body.get("error", {}).get("errorCode") if isinstance(body, dict) else None
        if code != "4705":
            wrong[action] = code
    assert not wrong
    for public in ("register", "lost_password"):
        body = api.json(public, version="5.5.6", username="x", password="y", email="z@x.org",
                        auth="0" * 64)
        assert body["error"]["errorCode"] == "4705", (public, body)
    shapes.assert_json_like(api.json("player", auth=token5), "error-4705", api=5)


@pytest.fixture(scope="module")
def forcer(server) -> tuple[str, str]:
    """A user of its own, so forcing a version never leaks into other tests' sessions."""
    from ampmini.accounts import add_user

    add_user(server.db, "forcer", "forcer-secret-pw", access=25)
    return ("forcer", "forcer-secret-pw")


def test_api_force_version_preference_wins(api, forcer) -> None:
    """§2.7 step 1: a user's `api_force_version` beats the version of the session."""
    token = api.login(*forcer)  # an API6 session
    assert "total_count" in api.json("songs", auth=token, limit=1)
    edited = api.json("preference_edit", auth=token, filter="api_force_version", value="5")
    assert "error" not in edited, edited
    try:
        assert "total_count" not in api.json("songs", auth=token, limit=1)
        assert api.xml("songs", auth=token, limit=1).find("md5") is None
        # …also over a session that asked for API5 being switched by ping.
        api.json("ping", auth=token, version="6.9.1")
        assert "total_count" not in api.json("songs", auth=token, limit=1)
    finally:
        api.json("preference_edit", auth=token, filter="api_force_version", value="0")
    assert "total_count" in api.json("songs", auth=token, limit=1)
    forced6 = api.login(*forcer, version="500000")
    api.json("preference_edit", auth=forced6, filter="api_force_version", value="6")
    try:
        assert "total_count" in api.json("songs", auth=forced6, limit=1)
        assert api.json("list", auth=forced6, type="song", limit=1)["list"]
    finally:
        api.json("preference_edit", auth=forced6, filter="api_force_version", value="0")
    assert api.json("list", auth=forced6, type="song")["error"]["errorCode"] == "4705"


def test_ping_version_switches_the_session(api) -> None:
    token = api.login(*USER)
    assert "total_count" in api.json("songs", auth=token, limit=1)
    api.json("ping", auth=token, version="5.5.6")
    assert "total_count" not in api.json("songs", auth=token, limit=1)
    api.json("ping", auth=token, version="6.9.1")
    assert "total_count" in api.json("songs", auth=token, limit=1)
