"""Catalog management over HTTP: catalog_action, catalog_file, catalog_folder, catalog_add,
catalog_delete — on a private server whose library the tests change, with real files."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ampache
import pytest

from ampmini import catalogs
from tests.conftest import ADMIN, ADMIN_KEY, USER, running_server
from tests.shapes import assert_json_like, assert_xml_like

MANAGER = ("manager", "manager-secret-pw")  # level 50: content manager
GATE_ON = "\n[features]\ndelete_from_disk = true\n"


def wait() -> None:
    assert catalogs.TASKS.wait_idle(60), "background catalog task did not finish"


@pytest.fixture(scope="module")
def lib(library: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A server over a copy of part of the test library (Motörhead, Björk), plus spare
    folders: `extra` (Queen, for catalog_add) and `outside` (never a catalog)."""
    base = tmp_path_factory.mktemp("catadmin")
    root, extra, outside = base / "music", base / "extra", base / "outside"
    for name in ("Motörhead", "Björk"):
        shutil.copytree(library["root"] / name, root / name)
    shutil.copytree(library["root"] / "Queen", extra / "Queen")
    outside.mkdir()
    shutil.copy(
        library["root"] / "Queen/Greatest Hits/01 - Bohemian Rhapsody.mp3", outside / "secret.mp3"
    )
    (root / "escape").symlink_to(outside, target_is_directory=True)
    users = ((*ADMIN, 100), (*USER, 25), (*MANAGER, 50))
    with running_server(root, base, GATE_ON, users=users, threads=4) as own:
        api = own.api
        own.root, own.extra, own.outside = root, extra, outside
        own.admin, own.user = api.login(*ADMIN), api.login(*USER)
        own.manager = api.login(*MANAGER)
        own.catalog = own.db.reader().execute("SELECT id FROM catalog").fetchone()[0]
        yield own
        wait()


def song_id(lib: Any, path: Path) -> int | None:
    row = lib.db.reader().execute("SELECT id FROM song WHERE path = ?", (str(path),)).fetchone()
    return None if row is None else row[0]


def error(body: Any) -> tuple[str, str, str]:
    err = body["error"]
    return err["errorCode"], err["errorType"], err["errorMessage"]


def copy_album(lib: Any, source: str, dest: str) -> Path:
    target = lib.root / dest
    shutil.copytree(lib.extra / source, target)
    return target


# ------------------------------------------------------------------ catalog_action


def test_catalog_action_add_and_clean(lib: Any) -> None:
    folder = copy_album(lib, "Queen", "Queen A")
    track = folder / "Greatest Hits/01 - Bohemian Rhapsody.mp3"
    body = lib.api.json(
        "catalog_action", auth=lib.admin, task="add_to_catalog", catalog=lib.catalog
    )
    assert body == {"success": "successfully started: add_to_catalog"}
    assert_json_like(body, "catalog_action (add_to_catalog)")
    wait()
    assert song_id(lib, track) is not None
    albums = lib.api.json("albums", auth=lib.user, filter="Greatest Hits", exact=1)
    assert [a["name"] for a in albums["album"]] == ["Greatest Hits"]

    shutil.rmtree(folder)
    response = lib.api.raw(
        "xml", "catalog_action", auth=lib.admin, task="clean_catalog", filter=lib.catalog
    )  # `filter` spelling (spec §12 Copy 8)
    assert_xml_like(response.content, "catalog_action (clean_catalog)")
    wait()
    assert song_id(lib, track) is None
    albums = lib.api.json("albums", auth=lib.user, filter="Greatest Hits", exact=1)
    assert albums["album"] == []


@pytest.mark.parametrize("task", ["verify_catalog", "gather_art", "garbage_collect"])
def test_catalog_action_other_tasks_start(lib: Any, task: str) -> None:
    body = lib.api.json("catalog_action", auth=lib.admin, task=task, catalog=lib.catalog)
    assert body == {"success": f"successfully started: {task}"}
    wait()
    assert lib.api.json("artists", auth=lib.user, filter="Björk")["artist"]


def test_catalog_action_errors(lib: Any) -> None:
    bad = lib.api.json("catalog_action", auth=lib.admin, task="clean", catalog=lib.catalog)
    assert error(bad) == ("4710", "task", "Bad Request: clean")
    assert_json_like(bad, "catalog_action (error)")
    xml = lib.api.raw("xml", "catalog_action", auth=lib.admin, task="clean", catalog=lib.catalog)
    assert_xml_like(xml.content, "catalog_action (error)")
    missing_task = lib.api.json("catalog_action", auth=lib.admin, catalog=lib.catalog)
    assert error(missing_task) == ("4710", "system", "Bad Request: task")
    empty_task = lib.api.json("catalog_action", auth=lib.admin, task="", catalog=lib.catalog)
    assert error(empty_task) == ("4710", "system", "Bad Request: task")  # §12 Fix 6
    missing_catalog = lib.api.json("catalog_action", auth=lib.admin, task="clean_catalog")
    assert error(missing_catalog) == ("4710", "system", "Bad Request: catalog")
    unknown = lib.api.json("catalog_action", auth=lib.admin, task="clean_catalog", catalog=9999)
    assert error(unknown) == ("4704", "catalog", "Not Found: 9999")
    for token in (lib.user, lib.manager):
        low = lib.api.json("catalog_action", auth=token, task="clean_catalog", catalog=lib.catalog)
        assert error(low) == ("4742", "account", "Require: 75")


# ------------------------------------------------------------------ catalog_file / folder


def test_catalog_file_add_verify_clean(lib: Any) -> None:
    folder = lib.root / "Loose"
    folder.mkdir()
    track = folder / "Bites.mp3"
    shutil.copy(lib.extra / "Queen/Greatest Hits/02 - Another One Bites the Dust.mp3", track)
    body = lib.api.json(
        "catalog_file", auth=lib.manager, file=str(track), task="add", catalog=lib.catalog
    )
    assert body == {"success": f"successfully started: add for {track}"}
    assert_json_like(body, "catalog_file")
    wait()
    first = song_id(lib, track)
    assert first is not None

    response = lib.api.raw(
        "xml",
        "catalog_file",
        auth=lib.manager,
        file=str(track),
        task="verify,add",
        filter=lib.catalog,
    )
    assert_xml_like(response.content, "catalog_file")
    assert b"successfully started: verify, add for " in response.content
    wait()
    assert song_id(lib, track) == first

    track.unlink()
    # A missing file is fine for `clean` only: that is what clean is for.
    missing = lib.api.json(
        "catalog_file", auth=lib.manager, file=str(track), task="add", catalog=lib.catalog
    )
    assert error(missing) == ("4704", "file", f"Not Found: {track}")
    body = lib.api.json(
        "catalog_file", auth=lib.manager, file=str(track), task="clean", catalog=lib.catalog
    )
    assert body == {"success": f"successfully started: clean for {track}"}
    wait()
    assert song_id(lib, track) is None


def test_catalog_file_paths_outside_the_catalog_are_refused(lib: Any) -> None:
    secret = lib.outside / "secret.mp3"
    attempts = [
        str(secret),  # plainly outside
        f"{lib.root}/../outside/secret.mp3",  # `..` escape
        str(lib.root / "escape" / "secret.mp3"),  # symlink inside the root pointing out
        "outside/secret.mp3",  # relative
        str(lib.extra / "Queen/Greatest Hits/01 - Bohemian Rhapsody.mp3"),  # another folder
    ]
    for attempt in attempts:
        for task in ("add", "verify", "clean"):
            body = lib.api.json(
                "catalog_file", auth=lib.admin, file=attempt, task=task, catalog=lib.catalog
            )
            assert error(body) == ("4704", "file", f"Not Found: {attempt}"), attempt
    escape = lib.api.json(
        "catalog_folder",
        auth=lib.admin,
        folder=str(lib.root / "escape"),
        task="add",
        catalog=lib.catalog,
    )
    assert error(escape)[:2] == ("4704", "folder")
    up = lib.api.json(
        "catalog_folder",
        auth=lib.admin,
        folder=f"{lib.root}/Björk/../..",
        task="add",
        catalog=lib.catalog,
    )
    assert error(up)[:2] == ("4704", "folder")
    wait()
    assert song_id(lib, secret) is None
    assert song_id(lib, lib.root / "escape" / "secret.mp3") is None


def test_catalog_file_errors(lib: Any) -> None:
    track = lib.root / "Motörhead/Ace of Spades/01 - Ace of Spades.mp3"
    bad = lib.api.json(
        "catalog_file", auth=lib.admin, file=str(track), task="add,fix", catalog=lib.catalog
    )
    assert error(bad) == ("4710", "task", "Bad Request: fix")
    missing = lib.api.json("catalog_file", auth=lib.admin, task="add", catalog=lib.catalog)
    assert error(missing) == ("4710", "system", "Bad Request: file")
    unknown = lib.api.json(
        "catalog_file", auth=lib.admin, file=str(track), task="add", catalog=424242
    )
    assert error(unknown) == ("4704", "catalog", "Not Found: 424242")
    low = lib.api.json(
        "catalog_file", auth=lib.user, file=str(track), task="add", catalog=lib.catalog
    )
    assert error(low) == ("4742", "account", "Require: 50")


def test_catalog_file_remove_needs_the_gate(lib: Any) -> None:
    folder = lib.root / "Doomed"
    folder.mkdir()
    track = folder / "Rhapsody.mp3"
    shutil.copy(lib.extra / "Queen/Greatest Hits/01 - Bohemian Rhapsody.mp3", track)
    lib.api.json(
        "catalog_folder", auth=lib.manager, folder=str(folder), task="add", catalog=lib.catalog
    )
    wait()
    doomed = song_id(lib, track)
    assert doomed is not None
    config_text = lib.config_path.read_text(encoding="utf-8")
    lib.config_path.write_text(config_text.replace(GATE_ON, ""), encoding="utf-8")
    try:
        assert lib.holder.reload()
        off = lib.api.json(
            "catalog_file", auth=lib.manager, file=str(track), task="remove", catalog=lib.catalog
        )
        assert error(off) == ("4703", "system", "Enable: delete_from_disk")
        assert track.exists()
    finally:
        lib.config_path.write_text(config_text, encoding="utf-8")
        assert lib.holder.reload()
    # Only files the library knows can be removed: never an arbitrary file under a root.
    stray = folder / "notes.mp3"
    stray.write_bytes(b"not audio")
    refused = lib.api.json(
        "catalog_file", auth=lib.manager, file=str(stray), task="remove", catalog=lib.catalog
    )
    assert error(refused) == ("4704", "file", f"Not Found: {stray}")
    assert stray.exists()
    # Nor the whole catalog at once.
    everything = lib.api.json(
        "catalog_folder",
        auth=lib.manager,
        folder=str(lib.root),
        task="remove",
        catalog=lib.catalog,
    )
    assert error(everything) == ("4710", "folder", f"Bad Request: {lib.root}")
    body = lib.api.json(
        "catalog_file", auth=lib.manager, file=str(track), task="remove", catalog=lib.catalog
    )
    assert body == {"success": f"successfully started: remove for {track}"}
    wait()
    assert not track.exists()
    assert song_id(lib, track) is None
    deleted = lib.api.json("deleted_songs", auth=lib.user)["deleted_song"]
    assert str(doomed) in {d["id"] for d in deleted}


def test_catalog_folder_add_and_shapes(lib: Any) -> None:
    folder = copy_album(lib, "Queen", "Queen F") / "Greatest Hits"
    body = lib.api.json(
        "catalog_folder", auth=lib.manager, folder=str(folder), task="add", catalog=lib.catalog
    )
    assert body == {"success": f"successfully started: add for {folder}"}
    assert_json_like(body, "catalog_folder")
    wait()
    assert song_id(lib, folder / "01 - Bohemian Rhapsody.mp3") is not None
    shutil.rmtree(folder.parent)
    xml = lib.api.raw(
        "xml",
        "catalog_folder",
        auth=lib.manager,
        folder=str(folder),
        task="clean",
        catalog=lib.catalog,
    )
    assert_xml_like(xml.content, "catalog_folder")
    wait()
    assert song_id(lib, folder / "01 - Bohemian Rhapsody.mp3") is None


def test_api6_only_actions_refused_in_api5(lib: Any) -> None:
    token = lib.api.login(*ADMIN, version="5.5.6")
    for name in ("catalog_folder", "catalog_add", "catalog_delete"):
        assert error(lib.api.json(name, auth=token))[0] == "4705"
    # catalog_file and catalog_action exist in API5 (Ampache 4.2+): API5's success shape.
    xml = lib.api.raw(
        "xml", "catalog_action", auth=token, task="verify_catalog", catalog=lib.catalog
    )
    assert_xml_like(xml.content, "catalog_action (add_to_catalog)", api=5)
    wait()


# ------------------------------------------------------------------ catalog_add / delete


def test_catalog_add_scan_and_delete(lib: Any) -> None:
    added = lib.api.json("catalog_add", auth=lib.admin, name="Extra", path=str(lib.extra))
    assert_json_like(added, "catalog")
    assert (added["name"], added["path"], added["type"]) == ("Extra", str(lib.extra), "local")
    assert added["gather_types"] == "music"
    assert added["enabled"] is True
    catalog_id = int(added["id"])
    wait()
    queen = lib.extra / "Queen/Greatest Hits/01 - Bohemian Rhapsody.mp3"
    song = song_id(lib, queen)
    assert song is not None
    assert str(lib.extra) in {str(p) for p in catalogs.all_roots(lib.db, lib.holder.current)}
    listed = lib.api.json("catalogs", auth=lib.user)
    assert {c["name"] for c in listed["catalog"]} == {"music", "Extra"}
    # A second catalog on the same or a nested folder is refused.
    for path in (lib.extra, lib.extra / "Queen", lib.root / "Björk", lib.root.parent):
        again = lib.api.json("catalog_add", auth=lib.admin, name="x", path=str(path))
        assert error(again) == ("4710", "path", f"Bad Request: {path}")
    # catalog_action works on it like on a config root.
    started = lib.api.json(
        "catalog_action", auth=lib.admin, task="add_to_catalog", catalog=catalog_id
    )
    assert started == {"success": "successfully started: add_to_catalog"}
    wait()

    deleted = lib.api.json("catalog_delete", auth=lib.admin, filter=catalog_id)
    assert deleted == {"success": f"Deleted Catalog: {catalog_id}"}
    assert song_id(lib, queen) is None
    assert queen.exists()  # files stay on disk
    assert lib.api.json("albums", auth=lib.user, filter="Greatest Hits")["album"] == []
    assert lib.api.json("artists", auth=lib.user, filter="Queen")["artist"] == []
    gone = lib.api.json("deleted_songs", auth=lib.user)["deleted_song"]
    assert str(song) in {d["id"] for d in gone}
    assert [c["name"] for c in lib.api.json("catalogs", auth=lib.user)["catalog"]] == ["music"]
    assert str(lib.extra) not in {str(p) for p in catalogs.all_roots(lib.db, lib.holder.current)}
    again = lib.api.json("catalog_delete", auth=lib.admin, filter=catalog_id)
    assert error(again) == ("4704", "filter", f"Not Found: {catalog_id}")


def test_catalog_add_xml_and_create_alias(lib: Any, tmp_path: Path) -> None:
    folder = tmp_path / "Empty Music"
    folder.mkdir()
    xml = lib.api.raw("xml", "catalog_create", auth=lib.admin, name="Empty", path=str(folder))
    assert_xml_like(xml.content, "catalog")
    assert f"<![CDATA[{folder}]]>".encode() in xml.content
    wait()
    catalog_id = (
        lib.db.reader()
        .execute("SELECT id FROM catalog WHERE path = ?", (os.path.realpath(folder),))
        .fetchone()[0]
    )
    body = lib.api.raw("xml", "catalog_delete", auth=lib.admin, filter=catalog_id)
    assert f"Deleted Catalog: {catalog_id}".encode() in body.content


def test_catalog_add_and_delete_errors(lib: Any, tmp_path: Path) -> None:
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    cases = {
        str(tmp_path / "missing"): ("4710", "path"),
        str(a_file): ("4710", "path"),
        "relative/music": ("4710", "path"),
    }
    for path, expected in cases.items():
        body = lib.api.json("catalog_add", auth=lib.admin, name="bad", path=path)
        assert error(body)[:2] == expected, path
    remote = lib.api.json("catalog_add", auth=lib.admin, name="r", path="http://x", type="remote")
    assert error(remote) == ("4710", "type", "Bad Request: remote")
    video = lib.api.json(
        "catalog_add", auth=lib.admin, name="v", path=str(tmp_path), media_type="audiobook"
    )
    assert error(video) == ("4710", "media_type", "Bad Request: audiobook")
    no_name = lib.api.json("catalog_add", auth=lib.admin, path=str(tmp_path))
    assert error(no_name) == ("4710", "system", "Bad Request: name")
    low = lib.api.json("catalog_add", auth=lib.manager, name="m", path=str(tmp_path))
    assert error(low) == ("4742", "account", "Require: 75")
    # A [library] root cannot be deleted through the API: the next scan would re-create it.
    root = lib.api.json("catalog_delete", auth=lib.admin, filter=lib.catalog)
    assert error(root) == ("4710", "filter", f"Bad Request: {lib.catalog}")
    assert lib.api.json("catalog", auth=lib.user, filter=lib.catalog)["id"] == str(lib.catalog)
    unknown = lib.api.json("catalog_delete", auth=lib.admin, filter=31337)
    assert error(unknown) == ("4704", "filter", "Not Found: 31337")
    low = lib.api.json("catalog_delete", auth=lib.user, filter=lib.catalog)
    assert error(low) == ("4742", "account", "Require: 75")


# ------------------------------------------------------------------ the ampache client


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_ampache_client_catalog_calls(lib: Any, fmt: str, tmp_path: Path) -> None:
    client = ampache.API()
    client.set_format(fmt)
    client.set_url(lib.base)
    assert client.handshake(lib.base, client.encrypt_string(ADMIN_KEY, ADMIN[0]))

    def message(answer: Any) -> str:
        return answer["success"] if fmt == "json" else answer.find("success/message").text

    started = client.catalog_action("clean_catalog", lib.catalog)
    assert message(started) == "successfully started: clean_catalog"
    track = lib.root / "Björk/Homogenic/01 - Hunter.flac"
    checked = client.catalog_file(str(track), "verify", lib.catalog)
    assert message(checked) == f"successfully started: verify for {track}"
    wait()
    folder = tmp_path / f"client-{fmt}"
    folder.mkdir()
    created = client.catalog_add(f"client {fmt}", str(folder))
    catalog_id = created["id"] if fmt == "json" else created.find("catalog").get("id")
    wait()
    assert message(client.catalog_delete(catalog_id)) == f"Deleted Catalog: {catalog_id}"


def test_task_runner_skips_a_duplicate_waiting_task() -> None:
    runner = catalogs.TaskRunner()
    release = threading.Event()
    ran: list[str] = []
    assert runner.submit("block", release.wait)
    assert runner.submit("a", lambda: ran.append("a"))
    assert not runner.submit("a", lambda: ran.append("again"))  # still queued
    release.set()
    assert runner.wait_idle(10)
    assert ran == ["a"]


@pytest.mark.parametrize(("media", "gather"), [("podcast", "podcast"), ("tvshow", "video")])
def test_catalog_add_podcast_and_video_catalogs(lib: Any, tmp_path: Path, media: str,
                                                gather: str) -> None:
    folder = tmp_path / f"{media} folder"
    folder.mkdir()
    body = lib.api.json("catalog_add", auth=lib.admin, name=media, path=str(folder),
                        media_type=media)
    assert body["gather_types"] == gather, body
    listed = lib.api.json("catalogs", auth=lib.admin, filter=media)["catalog"]
    assert body["id"] in [c["id"] for c in listed]
    missing = lib.api.json("catalog_add", auth=lib.admin, name="x", path=str(folder / "nope"),
                           media_type=media)
    assert missing["error"]["errorType"] == "path"
    deleted = lib.api.json("catalog_delete", auth=lib.admin, filter=body["id"])
    assert deleted == {"success": f"Deleted Catalog: {body['id']}"}
