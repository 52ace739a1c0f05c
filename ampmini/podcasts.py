"""Podcast feeds: fetch and parse them safely, keep episode rows in step, download episodes.

Feeds are fetched here (size cap, timeout, http/https redirects only, no XML entity
declarations) and parsed by `feedparser`, an optional dependency (`ampmini[podcast]`), so a
server without it still starts. Episode files are downloaded by one background thread per
database into `<podcast catalog>/<podcast title>/`, streamed to a `.part` file in chunks and
renamed when complete, so a crash never leaves a half-written episode; a restart resumes the
`.part` file with a Range request. Network I/O never happens while the database write lock is
held, and API requests never wait for a download.
"""

from __future__ import annotations

import calendar
import importlib.util
import json
import logging
import os
import queue
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import PodcastConfig
    from .db import Database

log = logging.getLogger("ampmini.podcasts")

CHUNK = 64 * 1024
USER_AGENT = "ampmini podcast fetcher"
_MIME_EXT = {
    "audio/mpeg": "mp3", "audio/mp3": "mp3", "audio/mp4": "m4a", "audio/x-m4a": "m4a",
    "audio/aac": "aac", "audio/ogg": "ogg", "audio/opus": "opus", "audio/flac": "flac",
    "audio/x-flac": "flac", "audio/wav": "wav", "audio/x-wav": "wav", "video/mp4": "mp4",
}  # fmt: skip
_EXT_MIME = {"mp3": "audio/mpeg", "m4a": "audio/mp4", "aac": "audio/aac", "ogg": "audio/ogg",
             "opus": "audio/ogg", "flac": "audio/flac", "wav": "audio/wav", "mp4": "video/mp4"}
_UNSAFE_NAME = re.compile(r"[^\w .,()'&+-]+")


class FeedError(Exception):
    """The feed cannot be used: unreachable, too big, not a feed, or unsafe."""


class FeedLibraryMissingError(FeedError):
    """feedparser is not installed (the optional `ampmini[podcast]` extra)."""


# ------------------------------------------------------------------ fetching


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow at most a few redirects, and only to http/https (never file:, ftp: …)."""

    max_redirections = 5

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> Any:
        if not newurl.lower().startswith(("http://", "https://")):
            raise urllib.error.HTTPError(newurl, code, "redirect to a non-http URL", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_HttpOnlyRedirects())


def check_url(url: str) -> bool:
    return url.lower().startswith(("http://", "https://")) and len(url) <= 2000


def _open(url: str, timeout: float, headers: dict[str, str] | None = None) -> Any:
    if not check_url(url):
        raise FeedError(f"not an http(s) URL: {url}")
    # The scheme is checked just above: only http(s) reaches urllib.
    request = urllib.request.Request(  # noqa: S310
        url, headers={"User-Agent": USER_AGENT, **(headers or {})}
    )
    return _OPENER.open(request, timeout=timeout)


def fetch_bytes(url: str, limit: int, timeout: float) -> bytes:
    """The body of `url`, refused when it is larger than `limit` bytes."""
    try:
        with _open(url, timeout) as response:
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > limit:
                raise FeedError(f"feed larger than {limit} bytes")
            parts: list[bytes] = []
            size = 0
            while chunk := response.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise FeedError(f"feed larger than {limit} bytes")
                parts.append(chunk)
    except urllib.error.HTTPError as error:
        raise FeedError(f"HTTP {error.code} for {url}") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise FeedError(f"cannot fetch {url}: {error}") from None
    return b"".join(parts)


# ------------------------------------------------------------------ parsing


@dataclass(slots=True)
class Episode:
    guid: str
    title: str
    source: str
    mime: str | None
    size: int
    pubdate: int
    time: int
    description: str = ""
    category: str = ""
    author: str = ""
    website: str = ""


@dataclass(slots=True)
class Feed:
    title: str
    description: str = ""
    language: str = ""
    copyright: str = ""
    generator: str = ""
    website: str = ""
    art_url: str | None = None
    build_date: int = 0
    episodes: list[Episode] = field(default_factory=list)


def _feedparser() -> Any:
    try:
        import feedparser
    except ImportError:
        raise FeedLibraryMissingError(
            "podcast support needs feedparser: pip install ampmini[podcast]"
        ) from None
    return feedparser


def _epoch(parsed: Any) -> int:
    return int(calendar.timegm(parsed)) if parsed else 0


def _duration(text: Any) -> int:
    """itunes:duration is `SS`, `MM:SS` or `HH:MM:SS`."""
    total = 0
    for part in str(text or "").strip().split(":"):
        if not part.strip().isdigit():
            return 0
        total = total * 60 + int(part)
    return total


def _enclosure(entry: Any) -> tuple[str, str | None, int] | None:
    for enc in entry.get("enclosures") or ():
        href = enc.get("href") or enc.get("url")
        if href and check_url(href):
            length = str(enc.get("length") or "")
            return href, enc.get("type") or None, int(length) if length.isdigit() else 0
    return None


def parse_feed(data: bytes) -> Feed:
    """A feed document → Feed; FeedError when it is not a usable RSS/Atom feed."""
    head = data[:65536].lower()
    # Entity declarations have no place in a podcast feed and are how billion-laughs and
    # external-entity attacks start: refuse before any parser sees them.
    if b"<!entity" in head:
        raise FeedError("feed declares XML entities")
    parsed = _feedparser().parse(data)
    if not parsed.get("version"):
        raise FeedError("not an RSS or Atom feed")
    meta = parsed.feed
    title = (meta.get("title") or "").strip()
    if not title:
        raise FeedError("feed has no title")
    image = meta.get("image") or {}
    feed = Feed(
        title=title,
        description=meta.get("subtitle") or meta.get("description") or "",
        language=meta.get("language") or "",
        copyright=meta.get("rights") or "",
        generator=meta.get("generator") or "",
        website=meta.get("link") or "",
        art_url=image.get("href") or image.get("url") or None,
        build_date=_epoch(meta.get("updated_parsed") or meta.get("published_parsed")),
    )
    for entry in parsed.entries:
        enclosure = _enclosure(entry)
        if enclosure is None:
            continue  # nothing to play (Ampache skips these too)
        source, mime, size = enclosure
        tags = entry.get("tags") or []
        feed.episodes.append(
            Episode(
                guid=entry.get("id") or source,
                title=(entry.get("title") or source.rsplit("/", 1)[-1]).strip(),
                source=source,
                mime=mime,
                size=size,
                pubdate=_epoch(entry.get("published_parsed") or entry.get("updated_parsed")),
                time=_duration(entry.get("itunes_duration")),
                description=entry.get("summary") or "",
                category=(tags[0].get("term") or "") if tags else "",
                author=entry.get("author") or "",
                website=entry.get("link") or "",
            )
        )
    return feed


def parse_feed_apart(data: bytes, timeout: float = 60.0) -> Feed:
    """`parse_feed` in a child process.

    feedparser is pure Python: a 500-episode feed takes ~0.3 s of CPU holding the GIL, so a
    refresh of many feeds inside the server stalled every API request meanwhile (scripts/bench
    measured `songs` p95 ×13 during a 50-feed refresh). The child also keeps feedparser's
    memory out of the server.
    """
    try:
        child = subprocess.run(
            [sys.executable, "-m", "ampmini.podcasts"], input=data, capture_output=True,
            timeout=timeout, check=False,
        )
    except subprocess.TimeoutExpired:
        raise FeedError("the feed took too long to parse") from None
    message = child.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
    if child.returncode == _EXIT_NO_LIBRARY:
        raise FeedLibraryMissingError(message[0])
    if child.returncode != 0:
        raise FeedError(message[0] if child.returncode == _EXIT_BAD_FEED else "feed parser failed")
    values = json.loads(child.stdout)
    episodes = [Episode(**episode) for episode in values.pop("episodes")]
    return Feed(**values, episodes=episodes)


_EXIT_BAD_FEED = 2
_EXIT_NO_LIBRARY = 3


def _parse_stdin() -> int:
    """`python -m ampmini.podcasts`: feed bytes on stdin → the Feed as JSON on stdout."""
    try:
        feed = parse_feed(sys.stdin.buffer.read())
    except FeedLibraryMissingError as err:
        print(err, file=sys.stderr)
        return _EXIT_NO_LIBRARY
    except FeedError as err:
        print(err, file=sys.stderr)
        return _EXIT_BAD_FEED
    json.dump(asdict(feed), sys.stdout)
    return 0


def fetch_feed(url: str, config: PodcastConfig) -> Feed:
    # Fail fast, before any network traffic, when the library is missing — without importing
    # it here: the parsing happens in a child process.
    if importlib.util.find_spec("feedparser") is None:
        raise FeedLibraryMissingError(
            "podcast support needs feedparser: pip install ampmini[podcast]"
        )
    return parse_feed_apart(fetch_bytes(url, config.max_feed_size, config.timeout))


# ------------------------------------------------------------------ database


def ensure_podcast_catalog(db: Database, path: str | Path) -> int:
    """The id of the podcast catalog at `path`, created (with its folder) when missing."""
    folder = Path(path).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    with db.writer() as conn:
        conn.execute(
            "INSERT INTO catalog (name, path, gather_types) VALUES (?, ?, 'podcast')"
            " ON CONFLICT(path) DO NOTHING",
            (folder.name or str(folder), str(folder)),
        )
        row = conn.execute(
            "SELECT id, gather_types FROM catalog WHERE path = ?", (str(folder),)
        ).fetchone()
    if row["gather_types"] != "podcast":
        raise ValueError(f"{folder} is already a {row['gather_types']} catalog")
    return int(row["id"])


def _store_feed(conn: Any, podcast_id: int, feed: Feed, now: int) -> None:
    conn.execute(
        "UPDATE podcast SET title = ?, description = ?, language = ?, copyright = ?,"
        " generator = ?, website = ?, art_url = COALESCE(?, art_url), build_date = ?,"
        " sync_date = ?, updated = ? WHERE id = ?",
        (feed.title, feed.description, feed.language, feed.copyright, feed.generator,
         feed.website, feed.art_url, feed.build_date, now, now, podcast_id),
    )


def _store_episodes(conn: Any, podcast_id: int, catalog_id: int, feed: Feed, now: int) -> int:
    before = conn.total_changes
    conn.executemany(
        "INSERT INTO podcast_episode (podcast_id, catalog_id, guid, title, description,"
        " category, author, website, source, mime, pubdate, size, time, added, updated)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (podcast_id, guid) DO NOTHING",
        [
            (podcast_id, catalog_id, e.guid, e.title, e.description, e.category, e.author,
             e.website, e.source, e.mime, e.pubdate, e.size, e.time, now, now)
            for e in feed.episodes
        ],
    )
    return conn.total_changes - before


def _apply_keep_window(conn: Any, podcast_id: int, keep: int) -> None:
    """Only the newest `keep` episodes are downloaded; older pending ones stream remotely."""
    conn.execute(
        "UPDATE podcast_episode SET state = 'skipped' WHERE podcast_id = ? AND state = 'pending'"
        " AND id NOT IN (SELECT id FROM podcast_episode WHERE podcast_id = ?"
        " ORDER BY pubdate DESC, id DESC LIMIT ?)",
        (podcast_id, podcast_id, keep),
    )


def create_podcast(db: Database, url: str, catalog_id: int, config: PodcastConfig) -> int:
    """Fetch, validate and store a new podcast; raise FeedError (nothing stored) if unusable."""
    existing = db.reader().execute("SELECT id FROM podcast WHERE feed_url = ?", (url,)).fetchone()
    if existing is not None:
        raise FeedError(f"podcast already exists: {existing['id']}")
    feed = fetch_feed(url, config)
    now = int(time.time())
    with db.writer() as conn:
        podcast_id = conn.execute(
            "INSERT INTO podcast (catalog_id, feed_url, title, added, updated)"
            " VALUES (?, ?, ?, ?, ?)",
            (catalog_id, url, feed.title, now, now),
        ).lastrowid
        _store_feed(conn, podcast_id, feed, now)
        _store_episodes(conn, podcast_id, catalog_id, feed, now)
        _apply_keep_window(conn, podcast_id, config.keep_episodes)
    downloader(db).wake(config)
    return int(podcast_id)


def refresh_podcast(db: Database, podcast_id: int, config: PodcastConfig) -> int:
    """Re-read the podcast's feed; the number of new episodes. FeedError when it fails."""
    row = db.reader().execute(
        "SELECT feed_url, catalog_id FROM podcast WHERE id = ?", (podcast_id,)
    ).fetchone()
    if row is None:
        raise FeedError(f"no podcast {podcast_id}")
    feed = fetch_feed(row["feed_url"], config)
    now = int(time.time())
    with db.writer() as conn:
        _store_feed(conn, podcast_id, feed, now)
        added = _store_episodes(conn, podcast_id, row["catalog_id"], feed, now)
        _apply_keep_window(conn, podcast_id, config.keep_episodes)
    downloader(db).wake(config)
    return added


def refresh_all(db: Database, config: PodcastConfig) -> None:
    """Refresh every podcast; a broken feed is logged and the others go on."""
    ids = [r[0] for r in db.reader().execute("SELECT id FROM podcast ORDER BY id")]
    for podcast_id in ids:
        try:
            added = refresh_podcast(db, podcast_id, config)
            log.info("podcast %d refreshed: %d new episodes", podcast_id, added)
        except FeedError as error:
            log.warning("podcast %d not refreshed: %s", podcast_id, error)
        except Exception:
            log.exception("podcast %d refresh failed", podcast_id)


def delete_episode(conn: Any, episode_id: int, now: int) -> str | None:
    """Move one episode row to deleted_podcast_episode (inside the caller's transaction);
    the file path to remove afterwards, if it had one."""
    row = conn.execute("SELECT * FROM podcast_episode WHERE id = ?", (episode_id,)).fetchone()
    if row is None:
        return None
    counts = conn.execute(
        "SELECT plays, skips FROM play_count WHERE object_type = 'podcast_episode'"
        " AND object_id = ?",
        (episode_id,),
    ).fetchone()
    conn.execute(
        "INSERT OR REPLACE INTO deleted_podcast_episode (id, addition_time, delete_time, title,"
        " file, catalog_id, podcast_id, total_count, total_skip) VALUES (?,?,?,?,?,?,?,?,?)",
        (episode_id, row["added"], now, row["title"], row["path"] or "", row["catalog_id"],
         row["podcast_id"], counts["plays"] if counts else 0, counts["skips"] if counts else 0),
    )
    conn.execute("DELETE FROM podcast_episode WHERE id = ?", (episode_id,))
    return row["path"]


def remove_file(path: str | None) -> None:
    if not path:
        return
    for candidate in (path, path + ".part"):
        try:
            os.unlink(candidate)
        except FileNotFoundError:
            pass
        except OSError as error:
            log.warning("cannot remove %s: %s", candidate, error)


# ------------------------------------------------------------------ downloads


def _safe_name(text: str) -> str:
    name = _UNSAFE_NAME.sub("-", text).strip(" .-")[:120]
    return name or "podcast"


def episode_target(catalog_path: str, podcast_title: str, episode: Any) -> Path:
    mime = (episode["mime"] or "").split(";")[0].strip().lower()
    ext = _MIME_EXT.get(mime)
    if ext is None:
        tail = episode["source"].split("?")[0].rsplit(".", 1)
        ext = tail[1].lower() if len(tail) == 2 and tail[1].lower() in _EXT_MIME else "mp3"
    name = f"{episode['pubdate']}-{episode['id']}.{ext}"
    return Path(catalog_path) / _safe_name(podcast_title) / name


class Downloader:
    """One daemon thread per database downloading pending episodes, newest first."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.jobs: queue.Queue[PodcastConfig] = queue.Queue()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.stop = threading.Event()
        self.idle = threading.Event()
        self.idle.set()

    def wake(self, config: PodcastConfig) -> None:
        """Download every pending episode (soon, in the background)."""
        if config.keep_episodes <= 0:
            return
        with self.lock:
            self.idle.clear()
            self.jobs.put(config)
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(
                    target=self._run, name="podcast-downloads", daemon=True
                )
                self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                config = self.jobs.get(timeout=5)
            except queue.Empty:
                with self.lock:
                    if self.jobs.empty():
                        self.idle.set()
                        self.thread = None
                        return
                continue
            try:
                self._download_pending(config)
            except Exception:
                log.exception("podcast downloads failed")
            if self.jobs.empty():
                self.idle.set()

    def _download_pending(self, config: PodcastConfig) -> None:
        while not self.stop.is_set():
            row = self.db.reader().execute(
                "SELECT e.*, p.title AS podcast_title, c.path AS catalog_path"
                " FROM podcast_episode e JOIN podcast p ON p.id = e.podcast_id"
                " JOIN catalog c ON c.id = e.catalog_id"
                " WHERE e.state = 'pending' ORDER BY e.pubdate DESC, e.id DESC LIMIT 1"
            ).fetchone()
            if row is None:
                return
            target = episode_target(row["catalog_path"], row["podcast_title"], row)
            try:
                size = download(row["source"], target, config)
            except FeedError as error:
                log.warning("episode %d not downloaded: %s", row["id"], error)
                self._set(row["id"], "skipped", None, 0)
                continue
            self._set(row["id"], "completed", str(target), size)

    def _set(self, episode_id: int, state: str, path: str | None, size: int) -> None:
        info = _audio_info(path) if path else {}
        with self.db.writer() as conn:
            conn.execute(
                "UPDATE podcast_episode SET state = ?, path = ?,"
                " size = CASE WHEN ? > 0 THEN ? ELSE size END,"
                " time = CASE WHEN ? > 0 THEN ? ELSE time END,"
                " bitrate = ?, rate = ?, channels = ?, updated = ? WHERE id = ?",
                (state, path, size, size, info.get("time", 0), info.get("time", 0),
                 info.get("bitrate", 0), info.get("rate", 0), info.get("channels"),
                 int(time.time()), episode_id),
            )
        if state == "completed" and path is not None:
            # The row may have been deleted while the file was downloading.
            still = self.db.reader().execute(
                "SELECT 1 FROM podcast_episode WHERE id = ?", (episode_id,)
            ).fetchone()
            if still is None:
                remove_file(path)

    def wait_idle(self, timeout: float) -> bool:
        return self.idle.wait(timeout)


_DOWNLOADERS: dict[int, Downloader] = {}
_DOWNLOADERS_LOCK = threading.Lock()


def downloader(db: Database) -> Downloader:
    with _DOWNLOADERS_LOCK:
        found = _DOWNLOADERS.get(id(db))
        if found is None or found.db is not db:
            found = _DOWNLOADERS[id(db)] = Downloader(db)
        return found


def download(url: str, target: Path, config: PodcastConfig) -> int:
    """Stream `url` to `target` (via `target.part`, resumed if present); the final size."""
    limit = config.max_episode_size
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    try:
        with _open(url, config.timeout, headers) as response:
            resumed = have and response.status == 206
            if not resumed:
                have = 0
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and have + int(length) > limit:
                raise FeedError(f"episode larger than {limit} bytes")
            size = have
            with open(part, "ab" if resumed else "wb") as out:
                while chunk := response.read(CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise FeedError(f"episode larger than {limit} bytes")
                    out.write(chunk)
    except FeedError:
        remove_file(str(target))  # and its .part: a refused file is never kept
        raise
    except urllib.error.HTTPError as error:
        raise FeedError(f"HTTP {error.code} for {url}") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        # Keep the .part file: the next run resumes it.
        raise FeedError(f"cannot download {url}: {error}") from None
    if size == 0:
        remove_file(str(target))
        raise FeedError("empty episode file")
    os.replace(part, target)
    return size


def _audio_info(path: str) -> dict[str, Any]:
    from .library.tags import TagError, read_tags

    try:
        track = read_tags(path, os.stat(path))
    except (TagError, OSError):
        return {}  # an episode in a container the tag reader does not know still plays
    return {
        "time": track.duration,
        "bitrate": track.bitrate,
        "rate": track.samplerate,
        "channels": track.channels,
    }


def mime_for(path: str | None, stored: str | None) -> str:
    if stored:
        return stored.split(";")[0].strip()
    ext = (path or "").rsplit(".", 1)[-1].lower()
    return _EXT_MIME.get(ext, "audio/mpeg")


# ------------------------------------------------------------------ periodic refresh


class Refresher:
    """Refreshes every feed each `[podcast] refresh_interval` seconds, in its own thread, and
    resumes downloads interrupted by a restart. `config_source.current` is the live Config."""

    def __init__(self, db: Database, config_source: Any) -> None:
        self.db = db
        self.config_source = config_source
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="podcast-refresh", daemon=True)

    def start(self) -> Refresher:
        self.thread.start()
        return self

    def _run(self) -> None:
        downloader(self.db).wake(self.config_source.current.podcast)
        while True:
            interval = self.config_source.current.podcast.refresh_interval
            if self.stop.wait(interval if interval > 0 else 3600):
                return
            if interval <= 0 or not self.config_source.current.features.podcast:
                continue
            try:
                refresh_all(self.db, self.config_source.current.podcast)
            except Exception:
                log.exception("podcast refresh failed")

    def close(self) -> None:
        self.stop.set()
        downloader(self.db).stop.set()


def start_background(db: Database, config_source: Any) -> Refresher:
    """For the server's start-up: periodic refresh plus resumed downloads."""
    return Refresher(db, config_source).start()


if __name__ == "__main__":
    sys.exit(_parse_stdin())
