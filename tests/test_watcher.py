"""The library watcher on a real filesystem: copies, edits, renames, moves, deletes, half-written
files, unreadable folders, the inotify-limit and network-mount fallbacks, and the live server.

Waits are on observable state (a database row, `scans_completed`) with generous bounds; no test
asserts how fast something happened (the measured latency is printed for the benchmark).
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from mutagen.id3 import ID3, TIT2
from watchdog.observers import Observer

from ampmini.db import Database, open_database
from ampmini.library.mounts import is_remote, mount_of, parse_mountinfo
from ampmini.library.scanner import scan
from ampmini.library.watcher import INOTIFY, POLL, Watcher, count_dirs

from .conftest import ADMIN, Api

BOUND = 15.0  # seconds: generous, for a loaded CI machine; typical is ~0.5 s with these settings
# Above watchdog's 0.5 s wait for the second half of a move (see Watcher docs); still quick.
FAST = {"debounce": 0.6, "settle": 0.1}
ALBUM = "Queen/Greatest Hits"
TRACK = "Queen/Greatest Hits/01 - Bohemian Rhapsody.mp3"


def wait_for(check: Callable[[], Any], timeout: float = BOUND) -> Any:
    """Poll check() until it returns something truthy; fail after timeout."""
    end = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > end:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(0.02)


@pytest.fixture
def music(library: dict[str, Any], tmp_path: Path) -> Path:
    """A private copy of the generated test library (copy2 keeps mtimes), free to change."""
    dest = tmp_path / "music"
    shutil.copytree(library["root"], dest, ignore=shutil.ignore_patterns(".templates"))
    return dest


@pytest.fixture
def watcher(db: Database, music: Path) -> Iterator[Watcher]:
    scan(db, [music])
    w = Watcher(db, lambda: [music], **FAST)
    w.start()
    yield w
    w.stop()


def song_row(db: Database, path: Path) -> Any:
    return db.reader().execute("SELECT * FROM song WHERE path = ?", (str(path),)).fetchone()


def value(db: Database, sql: str, *params: object) -> Any:
    row = db.reader().execute(sql, params).fetchone()
    return None if row is None else row[0]


# ---------------------------------------------------------------------------- file operations


def test_roots_are_watched_with_inotify(watcher: Watcher, music: Path) -> None:
    assert watcher.mode_by_root == {str(music): INOTIFY}


def test_copied_album_is_added(watcher: Watcher, db: Database, music: Path) -> None:
    dest = music / "New Artist" / "New Album"
    started = time.monotonic()
    shutil.copytree(music / ALBUM, dest)
    copied = time.monotonic()
    row = wait_for(lambda: song_row(db, dest / Path(TRACK).name))
    print(
        f"copy-to-visible latency: {time.monotonic() - copied:.2f} s "
        f"(copy took {copied - started:.2f} s)"
    )
    assert row["title"] == "Bohemian Rhapsody"
    assert row["size"] == (dest / Path(TRACK).name).stat().st_size
    wait_for(lambda: value(db, "SELECT count(*) FROM song WHERE folder = ?", str(dest)) == 2)
    # Both copies are songs of their own (a copy is not a move: the original is still there).
    assert value(db, "SELECT count(*) FROM song WHERE title = 'Bohemian Rhapsody'") == 2


def test_modified_tags_are_updated_keeping_the_id(
    watcher: Watcher, db: Database, music: Path
) -> None:
    path = music / TRACK
    before = song_row(db, path)
    tags = ID3(path)
    tags.add(TIT2(encoding=3, text="Bohemian Rhapsody (Remastered)"))
    tags.save(path)
    row = wait_for(lambda: (r := song_row(db, path)) and r["title"] != before["title"] and r)
    assert row["title"] == "Bohemian Rhapsody (Remastered)"
    assert row["id"] == before["id"]


def test_rename_keeps_the_song_id(watcher: Watcher, db: Database, music: Path) -> None:
    old = music / TRACK
    new = old.with_name("01 - Bohemian Rhapsody (renamed).mp3")
    song_id = song_row(db, old)["id"]
    old.rename(new)
    row = wait_for(lambda: song_row(db, new))
    assert row["id"] == song_id
    assert song_row(db, old) is None
    assert value(db, "SELECT count(*) FROM deleted_song") == 0


def test_album_moved_to_another_folder_keeps_ids(
    watcher: Watcher, db: Database, music: Path
) -> None:
    src = music / "The Beatles" / "Abbey Road"
    dest = music / "Archive" / "Beatles - Abbey Road"
    ids = {p.name: song_row(db, p)["id"] for p in src.glob("*.m4a")}
    album_id = value(db, "SELECT album_id FROM song WHERE id = ?", next(iter(ids.values())))
    dest.parent.mkdir()
    src.rename(dest)  # one inotify move: both folders must be in the same scan round
    wait_for(lambda: watcher.last_result and watcher.last_result.moved)
    assert {name: song_row(db, dest / name)["id"] for name in ids} == ids
    assert value(db, "SELECT count(*) FROM deleted_song") == 0
    assert value(db, "SELECT album_id FROM song WHERE id = ?", ids[min(ids)]) == album_id
    assert watcher.last_result is not None and watcher.last_result.moved == len(ids)


def test_file_moved_between_folders_keeps_the_id(
    watcher: Watcher, db: Database, music: Path
) -> None:
    src = music / "Unsorted" / "untagged song.mp3"
    dest = music / "Singles" / "untagged song.mp3"
    song_id = song_row(db, src)["id"]
    src.rename(dest)
    wait_for(lambda: song_row(db, dest))
    assert song_row(db, dest)["id"] == song_id
    assert song_row(db, src) is None


def test_deleted_files_are_recorded(watcher: Watcher, db: Database, music: Path) -> None:
    path = music / TRACK
    row = song_row(db, path)
    path.unlink()
    wait_for(lambda: song_row(db, path) is None)
    deleted = db.reader().execute("SELECT * FROM deleted_song WHERE id = ?", (row["id"],))
    deleted = deleted.fetchone()
    assert deleted["file"] == str(path) and deleted["title"] == row["title"]
    assert deleted["delete_time"] > 0
    # Removing the rest of the album removes the album from listings too.
    shutil.rmtree(music / ALBUM)
    wait_for(lambda: value(db, "SELECT count(*) FROM album WHERE id = ?", row["album_id"]) == 0)
    assert value(db, "SELECT count(*) FROM deleted_song") == 2


def test_half_written_file_is_read_only_when_complete(
    watcher: Watcher, db: Database, music: Path
) -> None:
    data = (music / TRACK).read_bytes()
    # An existing folder: its watch is in place before the writer starts (in a folder created
    # an instant earlier, writes made before watchdog adds its watch cannot be seen).
    target = music / "Singles" / "copy.mp3"
    control = music / "Unsorted" / "control.mp3"
    with open(target, "wb") as out:
        out.write(data[: len(data) // 2])
        out.flush()
        os.fsync(out.fileno())
        # A change elsewhere that the watcher does scan, after our half-write: once that scan
        # has finished, the watcher has had a round in which the half file was pending.
        time.sleep(FAST["debounce"] + FAST["settle"])
        shutil.copy2(music / TRACK, control)
        wait_for(lambda: watcher.last_result and watcher.last_result.added)
        assert str(control.parent) in watcher.last_folders
        assert song_row(db, control) is not None
        assert song_row(db, target) is None
        assert value(db, "SELECT count(*) FROM scan_failure WHERE path = ?", str(target)) == 0
        out.write(data[len(data) // 2 :])
    row = wait_for(lambda: song_row(db, target))
    assert row["size"] == len(data)
    assert row["title"] == "Bohemian Rhapsody"


def test_request_scans_a_folder_without_events(db: Database, music: Path) -> None:
    # A poll-mode watcher with a long interval: nothing is seen unless asked.
    scan(db, [music])
    w = Watcher(db, lambda: [music], poll_interval=3600, max_watches=0, **FAST)
    w.start()
    try:
        wait_for(lambda: w.scans_completed >= 1)  # the first poll
        path = music / TRACK
        path.unlink()
        time.sleep(0.2)
        assert song_row(db, path) is not None
        w.request(path.parent)
        wait_for(lambda: song_row(db, path) is None)
    finally:
        w.stop()


# ---------------------------------------------------------------------------- degrading loudly


def make_unreadable_folder(parent: Path) -> Path:
    """A folder no scandir can open, even as root: its path is longer than PATH_MAX, made by
    walking down with dir_fd (chmod 000 does not stop root). Holds one audio file."""
    name = "x" * 250
    fd = os.open(parent, os.O_RDONLY)
    depth = 4200 // (len(name) + 1) + 1
    try:
        for _ in range(depth):
            os.mkdir(name, dir_fd=fd)
            child = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = child
        song = os.open("deep.mp3", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(song, b"\xff\xfb" + b"\x00" * 1000)
        os.close(song)
    finally:
        os.close(fd)
    return parent.joinpath(*([name] * depth))


def test_unreadable_folder_is_skipped_and_logged(
    db: Database, music: Path, caplog: pytest.LogCaptureFixture
) -> None:
    if os.geteuid() != 0:
        blocked = music / "Locked"
        blocked.mkdir()
        blocked.chmod(0)
    else:
        (music / "Deep").mkdir()
        blocked = make_unreadable_folder(music / "Deep")
        with pytest.raises(OSError, match="too long"):
            os.scandir(blocked)
    scan(db, [music])
    w = Watcher(db, lambda: [music], **FAST)
    with caplog.at_level(logging.WARNING, logger="ampmini.library"):
        w.start()
    try:
        assert w.mode_by_root == {str(music): INOTIFY}
        assert any("cannot read folder" in r.getMessage() for r in caplog.records)
        dest = music / "Singles" / "new.mp3"
        shutil.copy2(music / TRACK, dest)
        wait_for(lambda: song_row(db, dest))
        # A change next to the unreadable folder re-scans its parent and must not fail.
        shutil.copy2(music / TRACK, music / "Deep" / "beside.mp3")
        wait_for(lambda: song_row(db, music / "Deep" / "beside.mp3"))
        assert w.last_result is not None and w.last_result.errors >= 1
    finally:
        w.stop()
        if os.geteuid() != 0:
            blocked.chmod(0o755)


def test_watch_limit_falls_back_to_polling_and_logs_once(
    db: Database, music: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    other = tmp_path / "more"
    other.mkdir()
    scan(db, [music, other])
    folders = count_dirs(str(music))
    assert folders > 10
    w = Watcher(db, lambda: [music, other], max_watches=folders - 1, poll_interval=0.3, **FAST)
    with caplog.at_level(logging.WARNING, logger="ampmini.library.watcher"):
        w.start()
    try:
        assert w.mode_by_root[str(music)] == POLL
        advice = [r for r in caplog.records if "fs.inotify.max_user_watches=" in r.getMessage()]
        assert len(advice) == 1, "the remedy is logged once"
        assert "sudo sysctl fs.inotify.max_user_watches=524288" in advice[0].getMessage()
        # Polling still finds changes (stat-only re-scans of the root).
        dest = music / "Singles" / "polled.mp3"
        shutil.copy2(music / TRACK, dest)
        wait_for(lambda: song_row(db, dest))
    finally:
        w.stop()


class _FullObserver(Observer):  # type: ignore[misc,valid-type]
    """watchdog's observer as it behaves at the kernel's limit: schedule() raises ENOSPC."""

    def schedule(self, *args: Any, **kwargs: Any) -> Any:
        raise OSError(errno.ENOSPC, "inotify watch limit reached")


def test_enospc_from_inotify_falls_back_to_polling(
    db: Database, music: Path, caplog: pytest.LogCaptureFixture
) -> None:
    scan(db, [music])
    w = Watcher(db, lambda: [music], observer_factory=_FullObserver, poll_interval=0.3, **FAST)
    with caplog.at_level(logging.WARNING, logger="ampmini.library.watcher"):
        w.start()
    try:
        assert w.mode_by_root == {str(music): POLL}
        assert any("max_user_watches" in r.getMessage() for r in caplog.records)
        path = music / TRACK
        path.unlink()
        wait_for(lambda: song_row(db, path) is None)
    finally:
        w.stop()


def test_network_mount_is_polled(
    db: Database, music: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(
        "22 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw\n"
        f"98 22 0:50 / {music} rw,relatime shared:60 - nfs4 nas:/export/music rw,vers=4.2\n"
    )
    scan(db, [music])
    w = Watcher(db, lambda: [music], mountinfo=mountinfo, poll_interval=0.3, **FAST)
    with caplog.at_level(logging.WARNING, logger="ampmini.library.watcher"):
        w.start()
    try:
        assert w.mode_by_root == {str(music): POLL}
        assert any("nfs4" in r.getMessage() for r in caplog.records)
        dest = music / "Singles" / "from the nas.mp3"
        shutil.copy2(music / TRACK, dest)
        wait_for(lambda: song_row(db, dest))
    finally:
        w.stop()


def test_mountinfo_parsing(tmp_path: Path) -> None:
    text = (
        "22 1 8:2 / / rw - ext4 /dev/sda2 rw\n"
        "40 22 0:40 / /mnt/my\\040music rw - fuse.sshfs me@host:/music rw\n"
        "41 22 8:17 / /media/usb rw - fuseblk /dev/sdb1 rw\n"
        "42 22 0:41 / /mnt/smb rw - cifs //nas/music rw\n"
        "garbage line\n"
    )
    mounts = parse_mountinfo(text)
    assert [m.point for m in mounts] == ["/", "/mnt/my music", "/media/usb", "/mnt/smb"]
    info = tmp_path / "mountinfo"
    info.write_text(text)
    assert mount_of("/mnt/my music/Album", info).fstype == "fuse.sshfs"  # type: ignore[union-attr]
    assert mount_of("/mnt/my musicals", info).fstype == "ext4"  # type: ignore[union-attr]
    assert [is_remote(m.fstype) for m in mounts] == [False, True, False, True]
    assert is_remote("nfs") and is_remote("9p") and is_remote("smb3")
    assert mount_of("/x", tmp_path / "missing") is None


def test_root_added_later_is_watched(db: Database, music: Path, tmp_path: Path) -> None:
    roots = [music]
    extra = tmp_path / "extra"
    shutil.copytree(music / ALBUM, extra / "Album")
    scan(db, roots)
    w = Watcher(db, lambda: list(roots), **FAST)
    w.start()
    try:
        roots.append(extra)
        w._reconcile(time.monotonic())  # what the thread does every few seconds
        assert w.mode_by_root[str(extra)] == INOTIFY
        dest = extra / "Album" / "copy.mp3"
        shutil.copy2(music / TRACK, dest)
        wait_for(lambda: song_row(db, dest))
    finally:
        w.stop()


# ---------------------------------------------------------------------------- the live server


@pytest.fixture
def live(music: Path, tmp_path: Path) -> Iterator[Any]:
    """A server of its own with `[library] watch = true`, started like `ampmini serve`."""
    from ampmini.accounts import add_user
    from ampmini.config import ConfigHolder
    from ampmini.sendfile import serve_background
    from ampmini.server import Background, build

    config = tmp_path / "ampmini.conf"
    config.write_text(
        "[server]\nhost = 127.0.0.1\nport = 0\n\n"
        f"[database]\npath = {tmp_path / 'live.db'}\n\n"
        f"[library]\nroots = {music}\nrescan_interval = 0\nwatch = true\n",
        encoding="utf-8",
    )
    holder = ConfigHolder(config)
    database = open_database(holder.current.database.path)
    scan(database, holder.current.library.roots)
    add_user(database, *ADMIN, access=100)
    dispatch, app = build(holder, database)
    background = Background(dispatch, holder)
    dispatch.services["background"] = background
    background.start(scan_on_start=False)
    assert background.watch_ready.wait(30), "the watcher did not start"
    try:
        with serve_background(app, threads=2) as wsgi:
            api = Api(f"http://127.0.0.1:{wsgi.effective_port}")
            token = api.login(*ADMIN)
            yield type(
                "Live", (), {"api": api, "token": token, "background": background, "db": database}
            )
    finally:
        background.close()
        database.close()


def find_song(live: Any, title: str) -> list[dict[str, Any]]:
    body = live.api.json("songs", auth=live.token, filter=title, exact=1)
    return body.get("song", [])


def test_server_shows_copies_moves_and_deletions(live: Any, music: Path) -> None:
    watcher = live.background.watcher
    assert watcher is not None and watcher.mode_by_root == {str(music): INOTIFY}
    source = music / "Unsorted" / "untagged song.mp3"
    original = source.read_bytes()
    incoming = music / "Incoming"
    incoming.mkdir()
    copied = time.monotonic()
    shutil.copy2(source, incoming / "fresh track.mp3")
    found = wait_for(lambda: find_song(live, "fresh track"))
    print(f"API change-to-visible latency: {time.monotonic() - copied:.2f} s")
    song_id = found[0]["id"]
    # Moved to another folder: the same id (playlists, ratings and plays survive).
    (incoming / "fresh track.mp3").rename(music / "Singles" / "fresh track.mp3")
    wait_for(lambda: watcher.last_result and watcher.last_result.moved == 1)
    assert [s["id"] for s in find_song(live, "fresh track")] == [song_id]
    # Deleted: gone from listings, listed by deleted_songs.
    (music / "Singles" / "fresh track.mp3").unlink()
    wait_for(lambda: not find_song(live, "fresh track"))
    body = live.api.json("deleted_songs", auth=live.token)
    deleted = body.get("deleted_songs", body.get("deleted_song"))
    assert deleted is not None, body
    assert [d["id"] for d in deleted] == [song_id]
    assert source.read_bytes() == original  # the source file was never touched


def test_background_request_scan_goes_through_the_watcher(live: Any, music: Path) -> None:
    path = music / TRACK
    assert find_song(live, "Bohemian Rhapsody")
    before = live.background.watcher.scans_completed
    live.background.request_scan(path.parent)
    wait_for(lambda: live.background.watcher.scans_completed > before)
    assert find_song(live, "Bohemian Rhapsody")
