"""now_playing honours the privacy preferences allow_personal_info_now / _agent (§8.19)."""

from __future__ import annotations

from typing import Any

from tests.conftest import ADMIN


def _entries(api: Any, auth: str, client: str) -> list[dict[str, Any]]:
    return [n for n in api.json("now_playing", auth=auth)["now_playing"]
            if n["user"]["username"] == ADMIN[0] and n["id"] == client]


def test_now_playing_privacy(api: Any, token: str, admin_token: str) -> None:
    names = {p["name"] for p in api.json("user_preferences", auth=token)["preference"]}
    assert {"allow_personal_info_now", "allow_personal_info_agent"} <= names
    song = str(api.json("songs", auth=token, limit=1)["song"][0]["id"])
    # time > 0: a track already under way, so no play is counted for other tests' stats.
    api.json("player", auth=admin_token, filter=song, client="privacy-test", time=1)
    try:
        seen = _entries(api, token, song)
        assert [n["client"] for n in seen] == ["privacy-test"]
        api.json("preference_edit", auth=admin_token, filter="allow_personal_info_agent",
                 value="0")
        assert [n["client"] for n in _entries(api, token, song)] == [None]
        assert [n["client"] for n in _entries(api, admin_token, song)] == ["privacy-test"]
        xml = api.xml("now_playing", auth=token)
        admins = [e for e in xml.iter("now_playing")
                  if e.findtext("user/username") == ADMIN[0] and e.get("id") == song]
        assert [e.findtext("client") for e in admins] == [""]
        api.json("preference_edit", auth=admin_token, filter="allow_personal_info_now",
                 value="0")
        assert _entries(api, token, song) == []
        assert len(_entries(api, admin_token, song)) == 1  # one's own entries stay visible
    finally:
        for name in ("allow_personal_info_now", "allow_personal_info_agent"):
            api.json("preference_edit", auth=admin_token, filter=name, value="1")
        api.json("player", auth=admin_token, filter=song, client="privacy-test", state="stop")
    assert _entries(api, token, song) == []
