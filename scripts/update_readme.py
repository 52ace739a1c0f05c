#!/usr/bin/env python3
"""Regenerate the README's generated sections: the config reference and the action coverage.

`python scripts/update_readme.py` rewrites them in place; `--check` exits 1 when the README
is out of date (tests/test_docs.py runs that, so the README cannot drift from the code).
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# Ampache API6's 132 primary action names (spec §6.16).
API6_ACTIONS = (
    "advanced_search", "album", "album_songs", "albums", "artist", "artist_albums",
    "artist_songs", "artists", "bookmark", "bookmark_create", "bookmark_delete",
    "bookmark_edit", "bookmarks", "browse", "catalog", "catalog_action", "catalog_add",
    "catalog_create", "catalog_delete", "catalog_file", "catalog_folder", "catalogs",
    "deleted_podcast_episodes", "deleted_songs", "deleted_videos", "democratic", "download",
    "flag", "followers", "following", "friends_timeline", "genre", "genre_albums",
    "genre_artists", "genre_songs", "genres", "get_art", "get_bookmark",
    "get_external_metadata", "get_indexes", "get_lyrics", "get_similar", "goodbye",
    "handshake", "index", "label", "label_artists", "labels", "last_shouts", "license",
    "license_songs", "licenses", "list", "live_stream", "live_stream_create",
    "live_stream_delete", "live_stream_edit", "live_streams", "localplay", "localplay_songs",
    "lost_password", "now_playing", "ping", "player", "playlist", "playlist_add",
    "playlist_add_song", "playlist_create", "playlist_delete", "playlist_edit",
    "playlist_generate", "playlist_hash", "playlist_remove_song", "playlist_songs",
    "playlists", "podcast", "podcast_create", "podcast_delete", "podcast_edit",
    "podcast_episode", "podcast_episode_delete", "podcast_episodes", "podcast_update",
    "podcasts", "preference_create", "preference_delete", "preference_edit", "rate",
    "record_play", "register", "scrobble", "search", "search_group", "search_rules",
    "search_songs", "share", "share_create", "share_delete", "share_edit", "shares",
    "smartlist", "smartlist_delete", "smartlist_songs", "smartlists", "song", "song_delete",
    "song_tags", "songs", "stats", "stream", "system_preference", "system_preferences",
    "system_update", "timeline", "toggle_follow", "update_art", "update_artist_info",
    "update_from_tags", "update_podcast", "url_to_song", "user", "user_create", "user_delete",
    "user_edit", "user_playlists", "user_preference", "user_preferences", "user_smartlists",
    "user_update", "users", "video", "videos",
)

MARKERS = {
    "coverage": ("<!-- coverage:start -->", "<!-- coverage:end -->"),
    "config": ("<!-- config:start -->", "<!-- config:end -->"),
}


def coverage_section() -> str:
    import ampmini.api.dispatch  # noqa: F401 - importing it registers every action
    from ampmini.api.registry import ACTIONS, DEPRECATED

    done = [name for name in API6_ACTIONS if name in ACTIONS]
    missing = [name for name in API6_ACTIONS if name not in ACTIONS]
    lines = [
        f"{len(done)} of the {len(API6_ACTIONS)} API6 actions are built. An action marked "
        "*not yet* answers error 4705 (unknown action), as Ampache does for an action it "
        f"lacks. The API4 names {', '.join(f'`{n}`' for n in sorted(DEPRECATED))} answer "
        "4706 (Deprecated), as in API6.",
        "",
        "An API5 session (Amperfy, Foam) gets the API5 shape of every action API5 has; the",
        "actions API5 lacks answer 4705 there, as Ampache's API5 does. API3/API4 sessions are",
        "refused with a readable error (see docs/clients.md for why).",
        "",
        "| action | API6 | API5 |",
        "|---|---|---|",
    ]
    lines += [f"| `{name}` | {_api6(name, ACTIONS)} | {_api5(name, ACTIONS)} |"
              for name in API6_ACTIONS]
    if missing:
        lines += ["", "Not yet: " + ", ".join(f"`{n}`" for n in missing) + "."]
    return "\n".join(lines)


def _api6(name: str, actions: dict) -> str:
    return "done" if name in actions else "*not yet*"


def _api5(name: str, actions: dict) -> str:
    from ampmini.api.registry import REST_SPELLINGS

    action = actions.get(name)
    if action is None:
        return "*not yet*"
    if action.api6_only or name in REST_SPELLINGS:
        return "not in API5 (4705)"
    return "done"


def config_section() -> str:
    from ampmini.config import render_reference_markdown

    lines = render_reference_markdown().strip().splitlines()
    body = [line for line in lines if not line.startswith("# ")]  # the README has its own H1
    return "\n".join("#" + line if line.startswith("##") else line for line in body).strip()


def render(text: str) -> str:
    for key, (start, end) in MARKERS.items():
        head, sep, rest = text.partition(start)
        if not sep:
            raise SystemExit(f"README.md lacks the marker {start}")
        _old, sep2, tail = rest.partition(end)
        if not sep2:
            raise SystemExit(f"README.md lacks the marker {end}")
        body = coverage_section() if key == "coverage" else config_section()
        text = f"{head}{start}\n{body}\n{end}{tail}"
    return text


def main(argv: list[str]) -> int:
    readme = REPO / "README.md"
    current = readme.read_text(encoding="utf-8")
    wanted = render(current)
    if "--check" in argv:
        if wanted != current:
            print("README.md is out of date: run python scripts/update_readme.py")
            return 1
        return 0
    readme.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
