"""The key table: every ``[section] key`` of the file with its kind, default and meaning.

To add a key: add a ``Key(...)`` to :data:`KEYS` and a field of the same name to the section's
dataclass in :mod:`.model`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .kinds import (
    BOOL,
    COMMAND,
    HOST,
    IP,
    MPD_HOST,
    OPTIONAL_PATH,
    PATH,
    PATHS,
    TEXT,
    URL,
    Kind,
    choice,
    integer,
)
from .model import SECTION_TYPES


@dataclass(frozen=True, slots=True)
class Key:
    """One ``[section] name`` of the file: its kind, default (as written in the file), meaning."""

    section: str
    name: str
    kind: Kind
    default: str
    doc: str
    #: True when a new value only takes effect after a restart (logged on reload).
    restart: bool = False


def _table(*keys: Key) -> dict[tuple[str, str], Key]:
    return {(k.section, k.name): k for k in keys}


KEYS: dict[tuple[str, str], Key] = _table(
    Key("server", "host", HOST, "0.0.0.0",  # noqa: S104 (the ACL limits who)
        "Address to listen on; 0.0.0.0 so phones on the LAN can connect ([acl] limits who).",
        restart=True),
    Key("server", "port", integer(0, 65535), "4647", "TCP port to listen on.", restart=True),
    Key("server", "public_url", URL, "",
        "Base URL clients see (behind a reverse proxy), used in `url`/`art` fields; "
        "empty = derived from each request."),
    Key("server", "threads", integer(1, 64), "4", "waitress worker threads.", restart=True),
    Key("server", "trusted_proxy", IP, "",
        "Address of a reverse proxy whose X-Forwarded-* headers waitress may trust.",
        restart=True),
    Key("server", "log_level", choice("debug", "info", "warning", "error"), "info",
        "Log verbosity."),
    Key("server", "session_length", integer(1), "3600",
        "Seconds an API session lasts without use."),
    Key("server", "stream_length", integer(1), "7200",
        "Seconds a stream/download URL stays valid."),
    Key("database", "path", PATH, "$XDG_DATA_HOME/ampmini/ampmini.db",
        "SQLite database file ($XDG_DATA_HOME defaults to ~/.local/share).", restart=True),
    Key("library", "roots", PATHS, "~/Music",
        "Music folders: comma-separated, or one per line (indented continuation lines)."),
    Key("library", "rescan_interval", integer(0), "3600",
        "Seconds between full rescans; 0 = never."),
    Key("library", "watch", BOOL, "true", "Watch the folders and rescan changes as they happen.",
        restart=True),
    Key("transcode", "ffmpeg", COMMAND, "ffmpeg", "ffmpeg program: a name on $PATH or a path."),
    Key("transcode", "max_bitrate", integer(0), "0",
        "Cap on transcoded bit rate in bits per second (e.g. 192000); 0 = no cap."),
    Key("features", "ratings", BOOL, "true", "Ratings and favourites (Ampache `ratings`)."),
    Key("features", "sociable", BOOL, "true", "Play history and now playing (`sociable`)."),
    Key("features", "share", BOOL, "true", "Shares (`share`)."),
    Key("features", "live_stream", BOOL, "true", "Radio stations (`live_stream`)."),
    Key("features", "podcast", BOOL, "true", "Podcasts (`podcast`)."),
    Key("features", "allow_video", BOOL, "false", "Videos (`allow_video`)."),
    Key("features", "label", BOOL, "false", "Record labels (`label`)."),
    Key("features", "licensing", BOOL, "false", "Licences (`licensing`)."),
    Key("features", "share_expire", integer(0), "7",
        "Days a new share stays valid when share_create names none; 0 = never expires."),
    Key("features", "share_max_counter", integer(0), "0",
        "Visits a new share allows before it stops working; 0 = unlimited."),
    Key("features", "delete_from_disk", BOOL, "false",
        "Let content managers delete music files from disk (catalog_file/catalog_folder "
        "`remove`; Ampache `delete_from_disk`)."),
    Key("features", "download", BOOL, "true", "Downloads of original files (`download`)."),
    Key("features", "allow_public_registration", BOOL, "false",
        "Let anyone create an account with the API's `register` (new accounts stay disabled "
        "until an admin enables them)."),
    Key("localplay", "host", MPD_HOST, "",
        "MPD to drive with `localplay` (the Pi's own speakers): host name or IP, or the path of "
        "its unix socket (`/run/mpd/socket`); empty = no localplay controller."),
    Key("localplay", "port", integer(1, 65535), "6600", "MPD's TCP port (ignored for a socket)."),
    Key("localplay", "password", TEXT, "",
        "MPD's password, when its mpd.conf sets one; empty = none."),
    Key("localplay", "timeout", integer(1, 60), "3",
        "Seconds to wait for MPD before `localplay` answers 4710 (never a hung worker)."),
    Key("localplay", "volume_step", integer(1, 100), "5",
        "Volume change of `volume_up`/`volume_down`, in percent."),
    Key("localplay", "localplay_level", integer(0, 100), "100",
        "Lowest user level allowed to use `localplay` and `localplay_songs` (Ampache's "
        "`localplay_level`; 100 = admins only)."),
    Key("localplay", "music_directory", OPTIONAL_PATH, "",
        "The folder MPD's `music_directory` points at, as ampmini sees it (usually one of "
        "[library] roots). Songs below it are handed to MPD by relative path, no HTTP in "
        "between; others, and everything when empty, by an ampmini stream URL."),
    Key("democratic", "cooldown", integer(0), "30",
        "Minutes before a song played by democratic play may be played by it again."),
    Key("democratic", "base_playlist", integer(0), "0",
        "Playlist id democratic play picks random songs from when nobody has voted; "
        "0 = random songs of the whole library."),
    Key("podcast", "refresh_interval", integer(0), "86400",
        "Seconds between refreshes of every podcast feed; 0 = only on request."),
    Key("podcast", "keep_episodes", integer(0), "10",
        "Download the newest N episodes of each podcast into its catalog folder; older ones "
        "(and all, with 0) are streamed from the feed's own URL."),
    Key("podcast", "max_episode_size", integer(1), "536870912",
        "Largest episode file downloaded, in bytes; bigger ones are streamed remotely."),
    Key("podcast", "max_feed_size", integer(1), "10485760",
        "Largest feed document accepted, in bytes."),
    Key("podcast", "timeout", integer(1, 3600), "30",
        "Seconds to wait on a silent feed or episode server before giving up."),
)  # fmt: skip


def _self_check() -> None:
    """Every Key belongs to a known section whose dataclass has a field of that name."""
    for section, name in KEYS:
        cls = SECTION_TYPES.get(section)
        if cls is None or name not in {f.name for f in dataclasses.fields(cls)}:
            raise AssertionError(f"KEYS has [{section}] {name} but no matching dataclass field")


_self_check()
