"""`song_delete`: remove a song's file from disk and forget the song (spec §6.14)."""

from __future__ import annotations

import logging
import os

from ...library.scanner import forget
from ...library.walk import inside
from ..errors import BadRequest, NotFound
from ..registry import Context, Level, action
from ..shapes import Success

log = logging.getLogger(__name__)


@action("song_delete", level=Level.CATALOG_MANAGER, feature="delete_from_disk",
        aliases=("songs_delete",))
def song_delete(ctx: Context) -> Success:
    song_id = ctx.params.object_id("filter")
    row = ctx.conn.execute(
        "SELECT s.path, c.path AS root FROM song s JOIN catalog c ON c.id = s.catalog_id"
        " WHERE s.id = ?",
        (song_id,),
    ).fetchone()
    if row is None:
        raise NotFound(song_id, "filter")
    real = os.path.realpath(row["path"])
    # A symlink (or a catalog path rewritten since) must never let a client delete a file
    # outside the music folders: both sides are resolved before comparing.
    if not inside(real, os.path.realpath(row["root"])):
        log.warning("song_delete %d refused: %s is outside its catalog", song_id, real)
        raise BadRequest(song_id, "filter")
    try:
        os.unlink(real)
    except FileNotFoundError:
        pass  # already gone from disk: still forget it, as the next scan would
    except OSError as exc:
        log.warning("song_delete %d: cannot remove %s: %s", song_id, real, exc)
        raise BadRequest(song_id, "filter") from exc
    log.info("song_delete by user %d: removed %s", ctx.user_id, real)
    forget(ctx.db, [song_id])
    return Success(f"song {song_id} deleted")
