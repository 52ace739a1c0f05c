"""democratic: one shared queue the party votes on, and the URL that plays it (spec §6.15, §8.18).

Everybody votes into the same queue (`demo_id=1`); a user holds one vote per song. The queue is
ordered by votes, then by age: the song's oldest vote still standing. `next_democratic_song`
pops the top song for `/play/index.php?demo_id=1` (the media handler calls it through
`services["democratic_next"]`), so a plain player — or MPD via `localplay add
type=democratic` — keeps the party going. With nobody voting it plays a random song of
`[democratic] base_playlist`, else of the library; a song it played comes back only after
`[democratic] cooldown` minutes.
"""

from __future__ import annotations

import sqlite3
import time
from typing import TYPE_CHECKING, Any

from ...accounts import stream_token
from ..errors import BadRequest, MissingParameter, NotFound
from ..library import load_songs
from ..listing import ids_md5, is_visible
from ..objects.control import DEMOCRATIC_SONG
from ..registry import Context, action
from ..shapes import KeyValues, ObjectList

if TYPE_CHECKING:
    from ...config import Config
    from ...db import Database

DEMOCRATIC_ID = 1  # the one shared queue
_DEFAULT_COOLDOWN_MINUTES = 30

# Songs in cooldown go last, so `playlist` shows the order `next_democratic_song` plays in.
_QUEUE_SQL = """
SELECT v.song_id, COUNT(*) AS votes,
       v.song_id IN (SELECT song_id FROM democratic_played WHERE played > :cutoff) AS cooling
FROM democratic_vote v JOIN song s ON s.id = v.song_id AND s.enabled = 1
GROUP BY v.song_id
ORDER BY cooling, votes DESC, MIN(v.id)
"""



def _cutoff(config: Config | None, now: int) -> int:
    minutes = config.democratic.cooldown if config is not None else _DEFAULT_COOLDOWN_MINUTES
    return now - minutes * 60


def queue(conn: sqlite3.Connection, cutoff: int) -> list[tuple[int, int, bool]]:
    """(song id, votes, cooling down) in play order."""
    rows = conn.execute(_QUEUE_SQL, {"cutoff": cutoff}).fetchall()
    return [(row[0], row[1], bool(row[2])) for row in rows]


def _from_base_playlist(conn: sqlite3.Connection, playlist_id: int, cutoff: int) -> int | None:
    try:
        row = conn.execute(
            "SELECT pd.object_id FROM playlist_data pd"
            " JOIN song s ON s.id = pd.object_id AND s.enabled = 1"
            " WHERE pd.playlist_id = :playlist AND pd.object_type = 'song'"
            " AND pd.object_id NOT IN"
            " (SELECT song_id FROM democratic_played WHERE played > :cutoff)"
            " ORDER BY RANDOM() LIMIT 1",
            {"playlist": playlist_id, "cutoff": cutoff},
        ).fetchone()
    except sqlite3.OperationalError as error:  # playlists not in this database
        if "no such table" in str(error):
            return None
        raise
    return row[0] if row is not None else None


_RANDOM_SQL = (
    "SELECT id FROM song WHERE enabled = 1 AND id >= :start AND id NOT IN"
    " (SELECT song_id FROM democratic_played WHERE played > :cutoff) ORDER BY id LIMIT 1",
    "SELECT id FROM song WHERE enabled = 1 AND id NOT IN"
    " (SELECT song_id FROM democratic_played WHERE played > :cutoff) ORDER BY id LIMIT 1",
    "SELECT id FROM song WHERE enabled = 1 ORDER BY RANDOM() LIMIT 1",
)


def _random_song(conn: sqlite3.Connection, cutoff: int) -> int | None:
    """A random enabled song not in cooldown: a random start id, then the next one up
    (one index seek, not a sort of the whole library); anything at all as a last resort."""
    for sql in _RANDOM_SQL:
        start = conn.execute(
            "SELECT abs(random()) % (COALESCE(MAX(id), 0) + 1) FROM song"
        ).fetchone()[0]
        row = conn.execute(sql, {"start": start, "cutoff": cutoff}).fetchone()
        if row is not None:
            return row[0]
    return None


def next_democratic_song(db: Database, config: Config | None = None) -> int | None:
    """Pop the song democratic play plays now; None when the library has no song.

    The top voted song (not in cooldown) leaves the queue with all its votes; with none, a
    random song of the base playlist or the library. The choice is recorded for the cooldown.
    Called by `/play/index.php?demo_id=…` (`services["democratic_next"]`).
    """
    now = int(time.time())
    cutoff = _cutoff(config, now)
    base = config.democratic.base_playlist if config is not None else 0
    with db.writer() as conn:
        ready = [song for song, _votes, cooling in queue(conn, cutoff) if not cooling]
        if ready:
            song_id: int | None = ready[0]
            conn.execute("DELETE FROM democratic_vote WHERE song_id = ?", (song_id,))
        else:
            song_id = (_from_base_playlist(conn, base, cutoff) if base else None) or \
                _random_song(conn, cutoff)
        if song_id is None:
            return None
        conn.execute(
            "INSERT INTO democratic_played (song_id, played) VALUES (?, ?)"
            " ON CONFLICT (song_id) DO UPDATE SET played = excluded.played",
            (song_id, now),
        )
        conn.execute("DELETE FROM democratic_played WHERE played <= ?", (cutoff,))
    return song_id


class DemocraticHook:
    """`services["democratic_next"]`: the media handler calls `hook(db)`; the config is the
    one of the latest democratic request (the server may also install its own hook)."""

    def __init__(self, config: Config) -> None:
        self.config = config

    def __call__(self, db: Database) -> int | None:
        return next_democratic_song(db, self.config)


def _install_hook(ctx: Context) -> None:
    hook = ctx.services.setdefault("democratic_next", DemocraticHook(ctx.config))
    if isinstance(hook, DemocraticHook):
        hook.config = ctx.config


def play_url(ctx: Context) -> str:
    """The democratic play URL (spec §7): the caller's stream token, never the session."""
    if ctx.user is None:  # dispatch only runs this action for a signed-in caller
        raise NotFound("user", "account")
    token = stream_token(ctx.db, ctx.user)
    return (
        f"{ctx.base_url}/play/index.php?ssid={token}&uid={ctx.user_id}"
        f"&demo_id={DEMOCRATIC_ID}"
    )


def _song_id(ctx: Context) -> int:
    oid = ctx.params.object_id("oid", "filter")
    row = ctx.conn.execute("SELECT 1 FROM song WHERE id = ? AND enabled = 1", (oid,)).fetchone()
    if row is None or not is_visible(ctx.conn, "song", oid):  # issue 9: restricted users
        raise NotFound(oid, "oid")
    return oid


def _vote(ctx: Context) -> KeyValues:
    song_id = _song_id(ctx)
    with ctx.db.writer() as conn:
        conn.execute(
            "INSERT OR IGNORE INTO democratic_vote (song_id, user_id, date) VALUES (?, ?, ?)",
            (song_id, ctx.user_id, int(time.time())),
        )
    return KeyValues({"method": "vote", "result": True})


def _devote(ctx: Context) -> KeyValues:
    song_id = _song_id(ctx)
    with ctx.db.writer() as conn:
        conn.execute(
            "DELETE FROM democratic_vote WHERE song_id = ? AND user_id = ?",
            (song_id, ctx.user_id),
        )
    return KeyValues({"method": "devote", "result": True})


def _reduced(song: dict[str, Any], votes: int) -> dict[str, Any]:
    genres = song["genre"]
    return {
        **song,
        # Ampache's XML repeats the first genre (or an empty id 0) before the list (§8.18).
        "first_genre": genres[:1] or [{"id": 0, "name": ""}],
        "vote": votes,
    }


def _playlist(ctx: Context) -> ObjectList:
    entries = queue(ctx.conn, _cutoff(ctx.config, int(time.time())))
    votes = {song: count for song, count, _cooling in entries}
    ids = [song for song, _count, _cooling in entries]
    items = [_reduced(song, votes[song["id"]]) for song in load_songs(ctx, ids)]
    return ObjectList(DEMOCRATIC_SONG, items, len(items), ids_md5(ids), json_key="song",
                      envelope=False)


def _play(ctx: Context) -> KeyValues:
    return KeyValues({"url": play_url(ctx)})


METHODS = {"vote": _vote, "devote": _devote, "playlist": _playlist, "play": _play}


@action("democratic")
def democratic(ctx: Context) -> KeyValues | ObjectList:
    raw = ctx.params.get("method")
    if raw is None or raw.strip() == "":
        raise MissingParameter("method")
    method = METHODS.get(raw.strip().lower())
    if method is None:
        raise BadRequest(raw, "method")
    _install_hook(ctx)
    return method(ctx)
