"""Scanner, tag reader, name split and progress reporter against a generated library of real files.

The library comes from scripts/make_library.py (profile "test"); its docstring lists the edge
cases (multi-disc, compilations with and without albumartist, non-ASCII and markup names,
multi-valued genres, embedded and folder art, corrupt/empty/untagged/hidden files).
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from mutagen.id3 import ID3, TALB, TIT2, TPE1

from ampmini.db import Database, open_database
from ampmini.library.names import split_prefix
from ampmini.library.scanner import UNKNOWN, VARIOUS_ARTISTS, album_folder, scan
from ampmini.library.tags import TagError, read_tags
from ampmini.progress import ProgressReporter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from make_library import make_library


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    dest = tmp_path_factory.mktemp("library") / "music"
    return dest, make_library(dest, profile="test")


@pytest.fixture
def library(generated: tuple[Path, dict[str, Any]], tmp_path: Path) -> Path:
    """A private copy of the test library (copy2 keeps mtimes), free to modify."""
    dest = tmp_path / "music"
    shutil.copytree(generated[0], dest)
    return dest


@pytest.fixture
def manifest(generated: tuple[Path, dict[str, Any]]) -> dict[str, Any]:
    return generated[1]


@pytest.fixture
def scanned(db: Database, library: Path) -> Database:
    scan(db, [library])
    return db


def rows(db: Database, sql: str, *params: object) -> list[sqlite3.Row]:
    return db.reader().execute(sql, params).fetchall()


def value(db: Database, sql: str, *params: object) -> Any:
    row = db.reader().execute(sql, params).fetchone()
    return None if row is None else row[0]


def song(db: Database, library: Path, relpath: str) -> sqlite3.Row:
    row = db.reader().execute("SELECT * FROM song WHERE path = ?", (str(library / relpath),))
    return row.fetchone()


def album(db: Database, name: str, artist: str | None = None) -> list[sqlite3.Row]:
    sql = (
        "SELECT album.*, artist.name AS artist_name FROM album "
        "LEFT JOIN artist ON artist.id = album.album_artist_id WHERE album.name = ?"
    )
    found = rows(db, sql, name)
    return [r for r in found if artist is None or r["artist_name"] == artist]


def bump_mtime(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def expected_albums(songs: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(album, album artist) pairs by the documented rule, from the manifest's tags."""
    artists_in_folder: dict[tuple[str, str], set[str]] = defaultdict(set)
    for s in songs:
        if s["album"] and s["artist"]:
            folder = album_folder(os.path.dirname(s["path"]))
            artists_in_folder[folder, s["album"].lower()].add(s["artist"].lower())
    out = set()
    for s in songs:
        name = s["album"] or UNKNOWN
        folder = album_folder(os.path.dirname(s["path"]))
        several = len(artists_in_folder[folder, name.lower()]) > 1
        various = s["compilation"] or (s["album"] and several)
        album_artist = s["albumartist"] or (VARIOUS_ARTISTS if various else s["artist"]) or ""
        out.add((name.lower(), album_artist.lower()))
    return out


# ---------------------------------------------------------------------------- a first scan


def test_first_scan_counts_match_the_manifest(
    db: Database, library: Path, manifest: dict[str, Any]
) -> None:
    result = scan(db, [library])
    songs = manifest["songs"]
    broken = len(manifest["corrupt"]) + len(manifest["empty"])
    assert result.added == len(songs) == value(db, "SELECT count(*) FROM song")
    assert result.skipped == broken
    assert result.seen == len(songs) + broken
    assert (result.updated, result.removed, result.moved) == (0, 0, 0)
    albums = expected_albums(songs)
    assert value(db, "SELECT count(*) FROM album") == len(albums)
    artist_names = {s["artist"].lower() for s in songs if s["artist"]}
    artist_names |= {a for _name, a in albums if a}
    artist_names |= {UNKNOWN.lower()} if any(not s["artist"] for s in songs) else set()
    assert {r[0].lower() for r in rows(db, "SELECT name FROM artist")} == artist_names
    genres = {g.lower() for s in songs for g in s["genres"]}
    assert {r[0].lower() for r in rows(db, "SELECT name FROM genre")} == genres


def test_every_manifest_song_is_stored_with_its_tags(
    scanned: Database, library: Path, manifest: dict[str, Any]
) -> None:
    for entry in manifest["songs"]:
        row = song(scanned, library, entry["path"])
        assert row is not None, entry["path"]
        assert row["title"] == entry["title"]
        assert row["format"] == entry["format"]
        assert row["size"] == entry["size"]
        assert row["track"] == (entry["track"] or 0)
        assert row["year"] == (entry["year"] or 0)
        assert row["has_art"] == int(entry["has_embedded_art"]), entry["path"]
        genres = {
            r[0]
            for r in rows(
                scanned,
                "SELECT genre.name FROM song_genre JOIN genre ON genre.id = song_genre.genre_id "
                "WHERE song_id = ?",
                row["id"],
            )
        }
        assert {g.lower() for g in genres} == {g.lower() for g in entry["genres"]}
        credited = value(
            scanned,
            "SELECT artist.name FROM song_artist JOIN artist ON artist.id = song_artist.artist_id"
            " WHERE song_id = ? AND position = 0",
            row["id"],
        )
        assert credited == (entry["artist"] or UNKNOWN)
        assert value(scanned, "SELECT name FROM artist WHERE id = ?", row["artist_id"]) == credited


def test_multi_disc_album_is_one_album_with_two_disks(scanned: Database) -> None:
    (wall,) = album(scanned, "The Wall")
    assert wall["artist_name"] == "Pink Floyd"
    assert (wall["disk_count"], wall["song_count"], wall["prefix"], wall["basename"]) == (
        2,
        4,
        "The",
        "Wall",
    )
    assert wall["group_key"] == "the wall\x1fpink floyd"


@pytest.mark.parametrize("name", ["80s Hits", "Movie Themes", "Chill Out Sessions"])
def test_each_compilation_is_one_various_artists_album(scanned: Database, name: str) -> None:
    (found,) = album(scanned, name)
    assert found["artist_name"] == VARIOUS_ARTISTS
    assert found["compilation"] == 1
    track_artists = value(
        scanned, "SELECT count(DISTINCT artist_id) FROM song WHERE album_id = ?", found["id"]
    )
    assert track_artists == found["song_count"] > 1


def test_same_album_name_by_two_artists_stays_two_albums(scanned: Database) -> None:
    assert {r["artist_name"] for r in album(scanned, "Greatest Hits")} == {"Queen", "ABBA"}


def test_non_ascii_and_markup_names_are_intact(scanned: Database) -> None:
    names = {r[0] for r in rows(scanned, "SELECT name FROM artist")}
    odd = 'Tom & Jerry\'s "<Band>"'
    assert {"Motörhead", "Björk", "坂本龍一", "Röyksopp", "AC/DC", odd} <= names
    assert album(scanned, "戦場のメリークリスマス", "坂本龍一")
    assert album(scanned, 'Rock & Roll <Live> ]]> "Edition"')
    assert value(scanned, "SELECT count(*) FROM song WHERE title = ?", "A > B < C") == 1


def test_broken_files_are_skipped_logged_and_remembered(
    db: Database, library: Path, manifest: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="ampmini.library.scanner"):
        result = scan(db, [library])
    broken = manifest["corrupt"] + manifest["empty"]
    for relpath in broken:
        assert sum(relpath in r.getMessage() for r in caplog.records) == 1
        assert song(db, library, relpath) is None
    assert {r[0] for r in rows(db, "SELECT path FROM scan_failure")} == {
        str(library / p) for p in broken
    }
    assert result.added == len(manifest["songs"])  # the scan completed

    caplog.clear()
    again = scan(db, [library])
    assert again.skipped == len(broken)
    assert again.read == 0  # remembered failures are not reopened
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_repaired_broken_file_is_read_on_the_next_scan(scanned: Database, library: Path) -> None:
    shutil.copy(library / "Queen/Greatest Hits/01 - Bohemian Rhapsody.mp3", library / "Broken/x")
    os.replace(library / "Broken/x", library / "Broken/corrupt.mp3")
    result = scan(scanned, [library])
    assert (result.added, result.read) == (1, 1)
    assert song(scanned, library, "Broken/corrupt.mp3")["title"] == "Bohemian Rhapsody"
    failed = value(scanned, "SELECT count(*) FROM scan_failure WHERE path LIKE '%corrupt.mp3'")
    assert failed == 0


def test_hidden_and_non_audio_files_are_ignored(
    scanned: Database, library: Path, manifest: dict[str, Any]
) -> None:
    paths = {r[0] for r in rows(scanned, "SELECT path FROM song")}
    for relpath in manifest["hidden"] + manifest["non_audio"]:
        assert not any(p.startswith(str(library / relpath)) for p in paths)


def test_untagged_file_gets_its_file_name_as_title(scanned: Database, library: Path) -> None:
    row = song(scanned, library, "Unsorted/untagged song.mp3")
    assert row["title"] == "untagged song"
    (orphan,) = rows(scanned, "SELECT * FROM album WHERE id = ?", row["album_id"])
    assert (orphan["name"], orphan["album_artist_id"]) == (UNKNOWN, None)
    assert value(scanned, "SELECT name FROM artist WHERE id = ?", row["artist_id"]) == UNKNOWN


def test_tags_are_normalised(scanned: Database, library: Path) -> None:
    hunter = song(scanned, library, "Björk/Homogenic/01 - Hunter.flac")
    assert hunter["year"] == 1997  # from the date "1997-09-22"
    assert (hunter["replaygain_track_gain"], hunter["replaygain_album_peak"]) == (-6.5, 1.0)
    assert None not in (hunter["mbid"], hunter["album_mbid"], hunter["artist_mbid"])
    assert hunter["comment"] == "Recorded in Málaga"
    assert (hunter["mime"], hunter["disk"], hunter["time"]) == ("audio/flac", 0, 1)
    assert hunter["bitrate"] > 1000  # bits/s, not kbit/s
    let_it_be = song(scanned, library, "The Beatles/Let It Be/01 - Let It Be.mp3")
    genres = rows(
        scanned,
        "SELECT genre.name FROM song_genre JOIN genre ON genre.id = genre_id WHERE song_id = ?",
        let_it_be["id"],
    )
    assert sorted(r[0].lower() for r in genres) == ["pop", "rock"]  # "Rock; Pop" split on ';'
    beatles = rows(scanned, "SELECT prefix, basename FROM artist WHERE name = 'The Beatles'")
    assert tuple(beatles[0]) == ("The", "Beatles")


def test_album_art_from_folder_image_and_embedded_pictures(
    scanned: Database, library: Path
) -> None:
    (post,) = album(scanned, "Post")
    assert post["art_path"] == str(library / "Björk/Post/cover.jpg")
    (homogenic,) = album(scanned, "Homogenic")
    art_song = value(scanned, "SELECT has_art FROM song WHERE id = ?", homogenic["art_song_id"])
    assert art_song == 1
    (wall,) = album(scanned, "The Wall")
    assert (wall["art_path"], wall["art_song_id"]) == (None, None)


def test_aggregates(scanned: Database) -> None:
    (homogenic,) = album(scanned, "Homogenic")
    assert (homogenic["song_count"], homogenic["time"], homogenic["year"]) == (3, 3, 1997)
    bjork = rows(scanned, "SELECT * FROM artist WHERE name = 'Björk'")[0]
    # album artist of Homogenic and Post; credited on 3 + 2 songs and one compilation track
    assert (bjork["album_count"], bjork["song_count"], bjork["time"]) == (2, 6, 6)
    various = rows(scanned, "SELECT * FROM artist WHERE name = ?", VARIOUS_ARTISTS)[0]
    assert (various["album_count"], various["song_count"]) == (3, 0)
    album_genres = rows(
        scanned,
        "SELECT genre.name FROM album_genre JOIN genre ON genre.id = genre_id WHERE album_id = ?",
        homogenic["id"],
    )
    assert [r[0] for r in album_genres] == ["Electronic"]
    artist_genres = rows(
        scanned,
        "SELECT lower(genre.name) FROM artist_genre JOIN genre ON genre.id = genre_id "
        "WHERE artist_id = ? ORDER BY 1",
        bjork["id"],
    )
    assert [r[0] for r in artist_genres] == ["electronic", "pop"]
    catalog = rows(scanned, "SELECT * FROM catalog")[0]
    assert catalog["last_add"] == catalog["last_update"] > 0
    state = dict(rows(scanned, "SELECT key, value FROM library_state"))
    assert state["add"] == state["update"] == catalog["last_add"]


# ---------------------------------------------------------------------------- re-scans


def test_scan_twice_changes_nothing_and_opens_no_file(
    scanned: Database, library: Path, manifest: dict[str, Any]
) -> None:
    before = rows(scanned, "SELECT * FROM song ORDER BY id")
    result = scan(scanned, [library])
    assert (result.added, result.updated, result.removed, result.moved) == (0, 0, 0, 0)
    assert result.read == 0
    assert result.unchanged == len(manifest["songs"])
    assert [tuple(r) for r in rows(scanned, "SELECT * FROM song ORDER BY id")] == [
        tuple(r) for r in before
    ]


def test_full_rescan_reads_everything_but_updates_nothing(
    scanned: Database, library: Path, manifest: dict[str, Any]
) -> None:
    result = scan(scanned, [library], full=True)
    assert result.read == result.seen
    assert (result.added, result.updated, result.removed) == (0, 0, 0)


def test_modified_tags_update_the_song_in_place(scanned: Database, library: Path) -> None:
    relpath = "Queen/Greatest Hits/02 - Another One Bites the Dust.mp3"
    old = song(scanned, library, relpath)
    tags = ID3(library / relpath)
    tags.add(TIT2(encoding=3, text="Another One Bites the Dust (Remix)"))
    tags.save()
    bump_mtime(library / relpath)
    result = scan(scanned, [library])
    new = song(scanned, library, relpath)
    assert result.updated == 1
    assert (result.added, result.removed) == (0, 0)
    assert new["id"] == old["id"]
    assert new["title"] == "Another One Bites the Dust (Remix)"
    assert new["added"] == old["added"]
    assert result.read == 2  # the changed file and its album-folder sibling (grouping)


def test_deleted_files_are_removed_with_their_empty_album_artist_and_genre(
    scanned: Database, library: Path
) -> None:
    victims = [song(scanned, library, f"AC-DC/Back in Black/{n}") for n in
               ("01 - Hells Bells.mp3", "02 - Back in Black.mp3")]  # fmt: skip
    with scanned.writer() as conn:
        conn.execute(
            "INSERT INTO play_count (object_type, object_id, plays, skips) "
            "VALUES ('song', ?, 7, 1)",
            (victims[0]["id"],),
        )
    shutil.rmtree(library / "AC-DC")
    result = scan(scanned, [library])
    assert result.removed == 2
    ids = [v["id"] for v in victims]
    assert value(scanned, "SELECT count(*) FROM song WHERE id IN (?, ?)", *ids) == 0
    deleted = rows(scanned, "SELECT * FROM deleted_song ORDER BY id")
    assert [d["id"] for d in deleted] == sorted(v["id"] for v in victims)
    first = next(d for d in deleted if d["id"] == victims[0]["id"])
    assert (first["title"], first["file"], first["total_count"], first["total_skip"]) == (
        "Hells Bells",
        victims[0]["path"],
        7,
        1,
    )
    assert first["addition_time"] == victims[0]["added"]
    assert not album(scanned, "Back in Black")
    assert value(scanned, "SELECT count(*) FROM artist WHERE name = 'AC/DC'") == 0
    assert value(scanned, "SELECT count(*) FROM genre WHERE name = 'Hard Rock'") == 0
    catalog = rows(scanned, "SELECT * FROM catalog")[0]
    assert catalog["last_clean"] > 0
    assert value(scanned, "SELECT value FROM library_state WHERE key = 'clean'") > 0


def test_a_new_song_never_reuses_a_deleted_song_id(scanned: Database, library: Path) -> None:
    top = value(scanned, "SELECT max(id) FROM song")
    path = Path(value(scanned, "SELECT path FROM song WHERE id = ?", top))
    kept = library.parent / f"kept{path.suffix}"
    os.replace(path, kept)
    assert scan(scanned, [library]).removed == 1
    os.replace(kept, library / "Unsorted" / f"back{path.suffix}")  # gone earlier: not a move
    result = scan(scanned, [library])
    assert result.added == 1
    assert value(scanned, "SELECT max(id) FROM song") == top + 1


def test_moved_file_keeps_its_song_id(scanned: Database, library: Path) -> None:
    old = song(scanned, library, "Queen/Greatest Hits/01 - Bohemian Rhapsody.mp3")
    (library / "Queen/Best Of").mkdir()
    os.replace(
        library / "Queen/Greatest Hits/01 - Bohemian Rhapsody.mp3",
        library / "Queen/Best Of/Bohemian Rhapsody.mp3",
    )
    result = scan(scanned, [library])
    assert (result.moved, result.added, result.removed) == (1, 0, 0)
    new = song(scanned, library, "Queen/Best Of/Bohemian Rhapsody.mp3")
    assert new["id"] == old["id"]
    assert new["folder"] == str(library / "Queen/Best Of")
    assert value(scanned, "SELECT count(*) FROM deleted_song") == 0


def test_folder_scan_walks_and_prunes_only_those_folders(scanned: Database, library: Path) -> None:
    (library / "ABBA/Greatest Hits/01 - SOS.flac").unlink()
    (library / "Queen/Greatest Hits/01 - Bohemian Rhapsody.mp3").unlink()
    result = scan(scanned, [library], folders=[library / "Queen/Greatest Hits"])
    assert result.removed == 1
    assert result.seen == 1  # only Queen's remaining track was walked
    assert song(scanned, library, "ABBA/Greatest Hits/01 - SOS.flac") is not None
    assert song(scanned, library, "Queen/Greatest Hits/01 - Bohemian Rhapsody.mp3") is None


def test_folder_scan_of_a_disc_folder_keeps_the_album_whole(
    scanned: Database, library: Path
) -> None:
    cd2 = library / "Pink Floyd/The Wall/CD2"
    bump_mtime(cd2 / "01 - Hey You.flac")
    result = scan(scanned, [library], folders=[cd2])
    assert result.updated == 1
    (wall,) = album(scanned, "The Wall")
    assert (wall["disk_count"], wall["song_count"]) == (2, 4)


def test_a_second_artist_turns_an_untagged_folder_into_various_artists(
    db: Database, tmp_path: Path, library: Path
) -> None:
    root = tmp_path / "mix"
    folder = root / "Party Mix"
    folder.mkdir(parents=True)
    source = library / "Queen/Greatest Hits/01 - Bohemian Rhapsody.mp3"

    def add(name: str, artist: str) -> None:
        shutil.copy(source, folder / name)
        tags = ID3(folder / name)
        tags.delall("TPE2")
        tags.add(TPE1(encoding=3, text=artist))
        tags.add(TALB(encoding=3, text="Party Mix"))
        tags.add(TIT2(encoding=3, text=name))
        tags.save()

    add("a.mp3", "Alpha")
    scan(db, [root])
    assert [r["artist_name"] for r in album(db, "Party Mix")] == ["Alpha"]
    add("b.mp3", "Beta")
    result = scan(db, [root], folders=[folder])
    assert (result.added, result.updated) == (1, 1)  # a.mp3 re-read, moved to the new album
    (party,) = album(db, "Party Mix")
    assert (party["artist_name"], party["song_count"], party["compilation"]) == (
        VARIOUS_ARTISTS,
        2,
        1,
    )
    assert value(db, "SELECT count(*) FROM artist WHERE name = 'Alpha'") == 1  # still credited


def test_concurrent_scans_run_one_after_the_other(scanned: Database, library: Path) -> None:
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(scan(scanned, [library]))) for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.added for r in results] == [0, 0]


def test_a_missing_root_removes_nothing(scanned: Database, library: Path) -> None:
    count = value(scanned, "SELECT count(*) FROM song")
    library.rename(library.with_name("unmounted"))
    result = scan(scanned, [library])
    assert (result.removed, result.errors) == (0, 1)
    assert value(scanned, "SELECT count(*) FROM song") == count


# ---------------------------------------------------------------------------- tags and names


def test_read_tags_raises_tag_error_for_broken_files(
    library: Path, manifest: dict[str, Any]
) -> None:
    for relpath in manifest["corrupt"] + manifest["empty"]:
        path = library / relpath
        with pytest.raises(TagError):
            read_tags(str(path), path.stat())


def test_read_tags_keeps_multi_valued_artists_but_not_ampersands(library: Path) -> None:
    path = library / "Queen/Greatest Hits/01 - Bohemian Rhapsody.mp3"
    tags = ID3(path)
    tags.add(TPE1(encoding=3, text=["Queen", "David Bowie", "queen"]))
    tags.save()
    assert read_tags(str(path), path.stat()).artists == ("Queen", "David Bowie")
    odd = library / 'Tom & Jerry\'s "<Band>"'
    first = next(odd.rglob("*.mp3"))
    assert read_tags(str(first), first.stat()).artists == ('Tom & Jerry\'s "<Band>"',)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("The Beatles", ("The", "Beatles")),
        ("the the", ("the", "the")),
        ("A Tribe Called Quest", ("A", "Tribe Called Quest")),
        ("An Pierlé", ("An", "Pierlé")),
        ("Die Ärzte", ("Die", "Ärzte")),
        ("Das Ich", ("Das", "Ich")),
        ("Eine Kleine", ("Eine", "Kleine")),
        ("Ein Stern", ("Ein", "Stern")),
        ("Les Rita Mitsouko", ("Les", "Rita Mitsouko")),
        ("Le Tigre", ("Le", "Tigre")),
        ("LA Priest", ("LA", "Priest")),
        ("Theatre of Tragedy", (None, "Theatre of Tragedy")),
        ("ABBA", (None, "ABBA")),
        ("The", (None, "The")),
        ("The ", (None, "The ")),
        ("Anthrax", (None, "Anthrax")),
        ("", (None, "")),
    ],
)
def test_split_prefix(name: str, expected: tuple[str | None, str]) -> None:
    assert split_prefix(name) == expected


# ---------------------------------------------------------------------------- progress


class FakeClock:
    """A clock the test advances, so rate and ETA are exact and nothing sleeps."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class TtyStream(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_logs_lines_when_not_a_tty(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    stream = io.StringIO()
    reporter = ProgressReporter(200, "reading tags", stream=stream, interval=5, clock=clock)
    with caplog.at_level(logging.INFO, logger="ampmini.scan"):
        clock.now += 1
        reporter.advance(10)  # before the interval: silent
        clock.now += 4
        reporter.advance(40)  # 50 in 5 s = 10/s, 150 left = 15 s
        reporter.finish()
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0] == "reading tags: 50/200  25% 10/s ETA 0:15"
    assert messages[1] == "reading tags: 50 in 5.0 s (10/s)"
    assert stream.getvalue() == ""


def test_progress_draws_a_bar_in_place_on_a_tty() -> None:
    clock = FakeClock()
    stream = TtyStream()
    reporter = ProgressReporter(None, "walking", stream=stream, clock=clock)
    clock.now += 1
    reporter.advance(300)
    reporter.restart("reading tags", 100)
    clock.now += 2
    reporter.advance(50)
    reporter.finish("scan: done")
    out = stream.getvalue()
    frames = out.split("\r")[1:]
    assert frames[0] == "walking 300 300/s"
    assert frames[1].startswith("reading tags [############------------] 50/100  50% 25/s ETA 0:02")
    assert frames[2].rstrip() == "scan: done"
    assert out.endswith("\n")
    assert "\n" not in out[:-1]  # redrawn in place: one line until finish


def test_progress_redraws_at_most_once_per_interval() -> None:
    clock = FakeClock()
    stream = TtyStream()
    reporter = ProgressReporter(1000, "x", stream=stream, clock=clock)
    for _ in range(100):
        reporter.advance()  # the clock does not move: no redraw
    assert stream.getvalue() == ""


def test_scan_reports_progress(db: Database, library: Path, manifest: dict[str, Any]) -> None:
    stream = TtyStream()
    reporter = ProgressReporter(None, "scan", stream=stream, interval=0)
    result = scan(db, [library], progress=reporter)
    out = stream.getvalue()
    assert "reading tags [" in out
    assert f"/{result.read}" in out
    assert out.rstrip().endswith(f"{result.skipped} skipped in {result.elapsed:.1f} s")
    assert result.added == len(manifest["songs"])


# ---------------------------------------------------------------------------- worker processes


def _snapshot(db: Database) -> list[tuple[Any, ...]]:
    return [
        tuple(r)
        for r in db.reader().execute(
            "SELECT s.id, s.path, s.title, s.track, s.disk, s.time, s.has_art, al.name, ar.name "
            "FROM song AS s JOIN album AS al ON al.id = s.album_id "
            "JOIN artist AS ar ON ar.id = s.artist_id ORDER BY s.id"
        )
    ]


def test_worker_processes_give_the_same_library(
    library: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pooled tag read (forced here: the library is small) stores exactly what the
    in-process read stores, ids included, and skips the same broken files."""
    from ampmini.library import reading

    serial_db = open_database(tmp_path / "serial.db")
    serial = scan(serial_db, [library])
    monkeypatch.setattr(reading, "CHUNK", 7)  # several chunks per worker, in flight at once
    failures = "SELECT path, error FROM scan_failure ORDER BY path"
    try:
        # One worker: the scanning process reads the chunks the worker has not got to yet.
        for workers in (1, 2):
            monkeypatch.setattr(reading, "pool_size", lambda files, n=workers: n)
            pooled_db = open_database(tmp_path / f"pooled{workers}.db")
            try:
                pooled = scan(pooled_db, [library])
                assert (pooled.added, pooled.skipped, pooled.read) == (
                    serial.added, serial.skipped, serial.read,
                )  # fmt: skip
                assert _snapshot(pooled_db) == _snapshot(serial_db)
                assert rows(pooled_db, failures) == rows(serial_db, failures)
            finally:
                pooled_db.close()
    finally:
        serial_db.close()


def test_a_dying_worker_only_costs_speed(
    library: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers that die (here: at once, before answering) leave their chunks to the scanning
    process, which stores exactly what an in-process read stores."""
    from ampmini.library import reading

    serial_db = open_database(tmp_path / "serial.db")
    scan(serial_db, [library])
    started = []

    def doomed() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [sys.executable, "-c", "import sys; sys.stdin.buffer.read(1)"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
        )
        started.append(proc)
        return proc

    monkeypatch.setattr(reading, "pool_size", lambda files: 2)
    monkeypatch.setattr(reading, "CHUNK", 3)
    monkeypatch.setattr(reading, "_start_worker", doomed)
    pooled_db = open_database(tmp_path / "pooled.db")
    try:
        scan(pooled_db, [library])
        assert len(started) == 2
        assert all(proc.returncode is not None for proc in started)  # reaped, none left over
        assert _snapshot(pooled_db) == _snapshot(serial_db)
    finally:
        serial_db.close()
        pooled_db.close()


def test_an_interrupted_scan_is_finished_by_the_next(
    library: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C after some batches: their songs stay, and the next scan leaves the library, album
    and artist counts included, as one scan that was never interrupted does."""
    from ampmini.library import scanner, store

    whole = open_database(tmp_path / "whole.db")
    scan(whole, [library])
    write = store.Store.write
    calls: list[int] = []

    def interrupted(self: store.Store, batch: list[store.Row], existing: Any) -> None:
        calls.append(len(batch))
        if len(calls) == 3:  # after two committed batches
            raise KeyboardInterrupt
        write(self, batch, existing)

    monkeypatch.setattr(scanner, "BATCH_SIZE", 1)  # one batch per album folder
    monkeypatch.setattr(store.Store, "write", interrupted)
    db = open_database(tmp_path / "interrupted.db")
    try:
        with pytest.raises(KeyboardInterrupt):
            scan(db, [library])
        songs = "SELECT count(*) FROM song"
        assert 0 < value(db, songs) < value(whole, songs)
        monkeypatch.setattr(store.Store, "write", write)
        scan(db, [library])
        assert _snapshot(db) == _snapshot(whole)
        for sql in (
            "SELECT group_key, song_count, disk_count, time, year, art_song_id FROM album "
            "ORDER BY group_key",
            "SELECT name, album_count, song_count, time FROM artist ORDER BY name",
            "SELECT album_id, genre_id FROM album_genre ORDER BY 1, 2",
        ):
            assert [tuple(r) for r in rows(db, sql)] == [tuple(r) for r in rows(whole, sql)]
        assert value(db, "SELECT count(*) FROM scan_album") == 0
    finally:
        whole.close()
        db.close()


def test_worker_pool_only_for_big_scans_with_spare_cpus() -> None:
    from ampmini.library import reading

    assert reading.pool_size(10) == 0
    cpus = len(os.sched_getaffinity(0))
    expected = min(cpus - 1, reading.MAX_WORKERS)
    assert reading.pool_size(reading.POOL_MIN_FILES) == max(expected, 0)


def test_held_files_are_neither_read_nor_removed(scanned: Database, library: Path) -> None:
    path = library / "Queen" / "Greatest Hits" / "01 - Bohemian Rhapsody.mp3"
    before = song(scanned, library, "Queen/Greatest Hits/01 - Bohemian Rhapsody.mp3")
    new = library / "Queen" / "Greatest Hits" / "03 - Copy.mp3"
    shutil.copy2(path, new)
    with path.open("ab") as out:
        out.write(b"\x00" * 100)  # changed, but "still being written"
    result = scan(scanned, [library], folders=[path.parent], hold={str(path), str(new)})
    assert result.held == 2 and result.read == 0 and not result.changed
    assert (
        song(scanned, library, "Queen/Greatest Hits/01 - Bohemian Rhapsody.mp3")["size"]
        == (before["size"])
    )
    assert song(scanned, library, "Queen/Greatest Hits/03 - Copy.mp3") is None
    result = scan(scanned, [library], folders=[path.parent])
    assert result.added == 1 and result.updated >= 1
