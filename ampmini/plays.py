"""Play history: record plays, skips and downloads, keeping per-object totals in step."""

from __future__ import annotations

import time

from .db import Database

SKIP_TIMER = 20  # seconds: a new play this soon after the previous one turns it into a skip


def record(
    db: Database,
    user_id: int,
    object_type: str,
    object_id: int,
    *,
    date: int | None = None,
    client: str | None = None,
    kind: str = "play",
    skip_logic: bool = False,
) -> None:
    """Store one play (or download) and bump play_count in the same transaction.

    With `skip_logic` (streams), starting another track within SKIP_TIMER seconds of the
    previous play by the same user and client turns that previous play into a skip, as
    Ampache does; explicit `record_play`/`scrobble` calls never rewrite history.
    """
    when = int(date if date is not None else time.time())
    with db.writer() as conn:
        if skip_logic and kind == "play":
            previous = conn.execute(
                "SELECT id, object_type, object_id, date FROM play WHERE user_id = ?"
                " AND kind = 'play' AND client IS ? ORDER BY date DESC, id DESC LIMIT 1",
                (user_id, client),
            ).fetchone()
            if previous is not None and 0 <= when - previous["date"] < SKIP_TIMER and not (
                previous["object_type"] == object_type and previous["object_id"] == object_id
            ):
                conn.execute("UPDATE play SET kind = 'skip' WHERE id = ?", (previous["id"],))
                conn.execute(
                    "UPDATE play_count SET plays = MAX(plays - 1, 0), skips = skips + 1"
                    " WHERE object_type = ? AND object_id = ?",
                    (previous["object_type"], previous["object_id"]),
                )
        conn.execute(
            "INSERT INTO play (user_id, object_type, object_id, date, kind, client)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (user_id, object_type, object_id, when, kind, client),
        )
        if kind == "play":
            conn.execute(
                "INSERT INTO play_count (object_type, object_id, plays, last_play)"
                " VALUES (?, ?, 1, ?) ON CONFLICT (object_type, object_id) DO UPDATE SET"
                " plays = plays + 1, last_play = MAX(last_play, excluded.last_play)",
                (object_type, object_id, when),
            )
