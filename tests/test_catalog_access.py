"""Per-user catalog access (issue 9): a user limited to the "kids" root sees nothing else —
in counts, lists, search, indexes, stats, single objects, stream and art — in XML and JSON."""

from __future__ import annotations

import io
import shutil
import time
from collections.abc import Iterator
from typing import Any

import ampache
import pytest
import requests

from tests.conftest import ADMIN, USER, Api, write_config

KID = ("kid", "kid-secret-pw")


@pytest.fixture(scope="module")
def lib(library: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A server with two roots: `main` (Motörhead, Queen, a Various Artists compilation that
    credits Björk) and `kids` (Björk). Users: admin, alice (all catalogs), kid (kids only)."""
    from ampmini import catalogs
    from ampmini.accounts import add_user
    from ampmini.config import ConfigHolder
    from ampmini.db import open_database
    from ampmini.library.scanner import scan
    from ampmini.sendfile import serve_background
    from ampmini.server import build

    base = tmp_path_factory.mktemp("access")
    main, kids = base / "main", base / "kids"
    for name in ("Motörhead", "Queen", "Various Artists"):
        shutil.copytree(library["root"] / name, main / name)
    shutil.copytree(library["root"] / "Björk", kids / "Björk")
    # Art on a hidden album too, so that "no art" is the restriction, not the library.
    shutil.copy(kids / "Björk/Post/cover.jpg", main / "Queen/Greatest Hits/cover.jpg")
    config_path = write_config(base / "ampmini.conf", f"{main}, {kids}", base / "ampmini.db")
    holder = ConfigHolder(config_path)
    db = open_database(holder.current.database.path)
    scan(db, catalogs.all_roots(db, holder.current))
    add_user(db, *ADMIN, access=100)
    add_user(db, *USER, access=25)
    conn = db.reader()
    ids = {row["path"]: row["id"] for row in conn.execute("SELECT id, path FROM catalog")}
    main_id = next(v for k, v in ids.items() if k.endswith("main"))
    kids_id = next(v for k, v in ids.items() if k.endswith("kids"))
    _server, app = build(holder, db)
    with serve_background(app, threads=4) as wsgi:
        url = f"http://127.0.0.1:{wsgi.effective_port}"
        api = Api(url)
        admin = api.login(*ADMIN)
        created = api.json(
            "user_create", auth=admin, username=KID[0], password=KID[1],
            email="kid@example.org", group=str(kids_id),
        )
        assert created == {"success": "successfully created: kid"}, created
        yield type("Lib", (), {
            "base": url, "db": db, "api": api, "admin": admin, "config_path": config_path,
            "user": api.login(*USER), "kid": api.login(*KID),
            "main": main_id, "kids": kids_id,
        })
    db.close()


def scalar(lib: Any, sql: str, *args: Any) -> Any:
    return lib.db.reader().execute(sql, args).fetchone()[0]


def hidden_song(lib: Any) -> int:
    return scalar(lib, "SELECT id FROM song WHERE catalog_id = ? ORDER BY id", lib.main)


def hidden_album(lib: Any) -> int:
    return scalar(
        lib, "SELECT al.id FROM album al WHERE al.name = 'Greatest Hits'"
        " AND al.catalog_id = ?", lib.main,
    )


def kids_songs(lib: Any) -> set[int]:
    rows = lib.db.reader().execute(
        "SELECT id FROM song WHERE catalog_id = ? AND enabled = 1", (lib.kids,)
    )
    return {r[0] for r in rows}


def error_code(body: Any) -> str:
    return body["error"]["errorCode"]


# ------------------------------------------------------------------ counts


def test_handshake_counts_only_the_kids_root(lib: Any) -> None:
    body = lib.api.handshake(*KID)
    assert body["songs"] == len(kids_songs(lib))
    assert body["albums"] == 2  # Homogenic, Post
    assert body["artists"] == 1  # Björk
    assert body["catalogs"] == 1
    everyone = lib.api.handshake(*USER)
    assert everyone["songs"] > body["songs"]
    assert everyone["catalogs"] == 2
    ping = lib.api.json("ping", auth=lib.kid)
    assert ping["songs"] == body["songs"] and ping["albums"] == 2
    root = lib.api.xml("ping", auth=lib.kid)
    assert root.findtext("songs") == str(body["songs"])


# ------------------------------------------------------------------ lists


def test_lists_and_total_count(lib: Any) -> None:
    songs = lib.api.json("songs", auth=lib.kid)
    assert {int(s["id"]) for s in songs["song"]} == kids_songs(lib)
    assert songs["total_count"] == len(kids_songs(lib))
    assert {int(s["catalog"]) for s in songs["song"]} == {lib.kids}
    albums = lib.api.json("albums", auth=lib.kid)
    assert sorted(a["name"] for a in albums["album"]) == ["Homogenic", "Post"]
    artists = lib.api.json("artists", auth=lib.kid)
    assert [a["name"] for a in artists["artist"]] == ["Björk"]
    root = lib.api.xml("albums", auth=lib.kid)
    assert root.findtext("total_count") == "2"
    assert len(root.findall("album")) == 2
    catalogs = lib.api.json("catalogs", auth=lib.kid)
    assert [int(c["id"]) for c in catalogs["catalog"]] == [lib.kids]
    full = lib.api.json("songs", auth=lib.user)
    assert full["total_count"] > songs["total_count"]


def test_artist_children_hide_other_catalogs(lib: Any) -> None:
    bjork = scalar(lib, "SELECT id FROM artist WHERE name = 'Björk'")
    songs = lib.api.json("artist_songs", auth=lib.kid, filter=bjork)
    assert {int(s["id"]) for s in songs["song"]} <= kids_songs(lib)
    assert songs["total_count"] == len(kids_songs(lib))  # not the compilation's track
    genres = lib.api.json("genres", auth=lib.kid)
    assert sum(g["songs"] for g in genres["genre"]) >= 1
    for genre in genres["genre"]:
        visible = lib.api.json("genre_songs", auth=lib.kid, filter=genre["id"])
        assert visible.get("total_count", 0) == genre["songs"]


def test_search(lib: Any) -> None:
    found = lib.api.json("search_songs", auth=lib.kid, filter="Bohemian")
    assert found.get("song", []) == []
    assert lib.api.json("search_songs", auth=lib.user, filter="Bohemian")["song"]
    rules = {"rule_1": "title", "rule_1_operator": 0, "rule_1_input": "a"}
    songs = lib.api.json("advanced_search", auth=lib.kid, type="song", **rules)
    assert {int(s["id"]) for s in songs["song"]} <= kids_songs(lib)
    albums = lib.api.json(
        "advanced_search", auth=lib.kid, type="album", rule_1="title", rule_1_operator=0,
        rule_1_input="Greatest",
    )
    assert albums.get("album", []) == []
    rule = {"rule_1": "title", "rule_1_operator": 0, "rule_1_input": "Greatest"}
    group = lib.api.json("search_group", auth=lib.kid, type="music", **rule)
    assert group["search"]["album"] == []
    assert lib.api.json("search_group", auth=lib.user, type="music", **rule)["search"]["album"]


def test_get_indexes_stats_and_similar(lib: Any) -> None:
    index = lib.api.json("get_indexes", auth=lib.kid, type="album")
    assert sorted(a["name"] for a in index["album"]) == ["Homogenic", "Post"]
    listed = lib.api.json("list", auth=lib.kid, type="artist")
    assert [a["name"] for a in listed["list"]] == ["Björk"]
    newest = lib.api.json("stats", auth=lib.kid, type="song", filter="newest", limit=100)
    assert {int(s["id"]) for s in newest["song"]} == kids_songs(lib)
    root = lib.api.xml("stats", auth=lib.kid, type="album", filter="random")
    assert {a.findtext("name") for a in root.findall("album")} == {"Homogenic", "Post"}
    browse = lib.api.json("browse", auth=lib.kid)
    assert [b["id"] for b in browse["browse"]] == [str(lib.kids)]


# ------------------------------------------------------------------ single objects


def test_hidden_objects_are_missing(lib: Any) -> None:
    song, album = hidden_song(lib), hidden_album(lib)
    queen = scalar(lib, "SELECT id FROM artist WHERE name = 'Queen'")
    assert error_code(lib.api.json("song", auth=lib.kid, filter=song)) == "4704"
    assert error_code(lib.api.json("album", auth=lib.kid, filter=album)) == "4704"
    assert error_code(lib.api.json("artist", auth=lib.kid, filter=queen)) == "4704"
    assert error_code(lib.api.json("catalog", auth=lib.kid, filter=lib.main)) == "4704"
    root = lib.api.xml("song", auth=lib.kid, filter=song)
    assert root.find("error").get("errorCode") == "4704"
    assert int(lib.api.json("song", auth=lib.user, filter=song)["id"]) == song
    url = f"{lib.base}/play/index.php?ssid=x&type=song&oid={song}"
    answer = lib.api.json("url_to_song", auth=lib.kid, url=url)
    assert error_code(answer) == "4704"
    visible = min(kids_songs(lib))
    assert int(lib.api.json("song", auth=lib.kid, filter=visible)["id"]) == visible


# ------------------------------------------------------------------ stream and art


def test_stream_and_art(lib: Any) -> None:
    song, album = hidden_song(lib), hidden_album(lib)
    hidden = lib.api.raw("json", "stream", auth=lib.kid, type="song", id=song)
    assert hidden.status_code == 404
    shown = lib.api.raw("json", "stream", auth=lib.kid, type="song", id=min(kids_songs(lib)))
    assert shown.status_code == 200
    assert lib.api.raw("json", "get_art", auth=lib.kid, type="album", id=album).status_code == 404
    assert lib.api.raw("json", "get_art", auth=lib.user, type="album", id=album).status_code == 200
    # The play URL a restricted user holds (their stream token) does not open a hidden song.
    token = lib.api.json("song", auth=lib.kid, filter=min(kids_songs(lib)))["url"]
    ssid = token.split("ssid=")[1].split("&")[0]
    play = requests.get(
        f"{lib.base}/play/index.php?ssid={ssid}&type=song&oid={song}", timeout=30
    )
    assert play.status_code == 404
    image = requests.get(
        f"{lib.base}/image.php?object_id={album}&object_type=album&ssid={ssid}", timeout=30
    )
    assert image.headers.get("ETag", "").strip('"') == "placeholder"


# ------------------------------------------------------------------ changing the restriction


def test_admin_edits_the_restriction(lib: Any) -> None:
    assert error_code(lib.api.json("user_edit", auth=lib.kid, username="kid", group="all")) \
        == "4742"
    bad = lib.api.json("user_edit", auth=lib.admin, username="kid", group="999")
    assert error_code(bad) == "4710" and bad["error"]["errorType"] == "group"
    assert lib.api.json("user_edit", auth=lib.admin, username="kid", group="all") == {
        "success": "successfully updated: kid"
    }
    try:
        assert lib.api.json("catalogs", auth=lib.kid)["total_count"] == 2
        assert lib.api.json("song", auth=lib.kid, filter=hidden_song(lib))["id"]
        lib.api.json("user_edit", auth=lib.admin, username="kid", group=f"{lib.main},{lib.kids}")
        assert lib.api.json("catalogs", auth=lib.kid)["total_count"] == 2
    finally:
        lib.api.json("user_edit", auth=lib.admin, username="kid", group=str(lib.kids))
    assert lib.api.json("catalogs", auth=lib.kid)["total_count"] == 1


def test_cli_usercatalogs_and_adduser(lib: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from ampmini.cli import main

    config = str(lib.config_path)
    assert main(["--config", config, "usercatalogs", "kid", "all"]) == 0
    assert lib.api.json("catalogs", auth=lib.kid)["total_count"] == 2
    assert main(["--config", config, "usercatalogs", "kid", str(lib.kids)]) == 0
    assert lib.api.json("catalogs", auth=lib.kid)["total_count"] == 1
    monkeypatch.setattr("sys.stdin", io.StringIO("kid2-secret-pw\n"))
    argv = ["--config", config, "adduser", "kid2", "--password-stdin", "--catalogs", str(lib.kids)]
    assert main(argv) == 0
    assert lib.api.handshake("kid2", "kid2-secret-pw")["catalogs"] == 1


def test_ampache_client_sees_the_restriction(lib: Any) -> None:
    client = ampache.API()
    client.set_format("json")
    client.set_url(lib.base)
    stamp = int(time.time())
    token = client.handshake(lib.base, client.encrypt_password(KID[1], stamp), KID[0], stamp)
    assert token
    albums = client.albums()
    assert sorted(a["name"] for a in albums["album"]) == ["Homogenic", "Post"]


# ------------------------------------------------------------------ query plans


def _plan(conn: Any, sql: str, args: Any) -> list[str]:
    return [row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", args)]


def _full_scans(lines: list[str]) -> list[str]:
    big = ("song", "album", "artist", "song_artist", "song_genre", "s", "al", "ar", "t", "x",
           "vs", "va", "val", "vg")
    return [line for line in lines if line.startswith("SCAN ") and " USING " not in line
            and line.split()[1] in big]


@pytest.mark.parametrize("table", ["song", "album", "artist", "genre", "catalog"])
def test_scoped_queries_use_indexes(lib: Any, table: str) -> None:
    from ampmini.api import library, listing
    from ampmini.api.actions.catalogs import CATALOG_SPEC
    from ampmini.api.params import Params

    specs = {"song": library.SONG_SPEC, "album": library.ALBUM_SPEC,
             "artist": library.ARTIST_SPEC, "genre": library.GENRE_SPEC,
             "catalog": CATALOG_SPEC}
    spec = specs[table]
    conn = lib.db.reader()
    with listing.scoped([lib.kids]):
        clause, values = listing.scope_clause(table, spec.id_column.split(".")[0]) or ("", [])
        order = listing.order_by(spec, Params({}))
        listed = _plan(conn, f"SELECT {spec.id_column} {spec.base} WHERE {clause}"
                       f" ORDER BY {order}", values)
        assert not _full_scans(listed), listed
        one, one_values = listing.scope_clause(table, "t") or ("", [])
        single = _plan(conn, f"SELECT 1 FROM {table} t WHERE t.id = ? AND {one}",
                       [1, *one_values])
        assert not _full_scans(single), single
        loader = _plan(conn, library._SCOPED_GENRE_SQL, {"ids": "[1]", "scope": "[1]"})
        assert not _full_scans(loader), loader
