"""A list's ids and md5 are kept per connection between pages, and never outlive a change."""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from tests.conftest import running_server

USER = ("pager", "pager-secret-pw", 25)


@pytest.fixture(scope="module")
def srv(library: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("memo") / "music"
    shutil.copytree(library["root"], root)
    # One thread: every request reads on the same connection, so pages meet the kept list.
    with running_server(root, tmp_path_factory.mktemp("memo-state"), users=(USER,),
                        threads=1) as running:
        running.token = running.api.login(USER[0], USER[1])
        yield running


def _songs(srv: Any, **params: Any) -> dict[str, Any]:
    return srv.api.json("songs", auth=srv.token, **params)


def test_pages_of_one_list_share_its_total_and_md5(srv: Any) -> None:
    whole = _songs(srv, limit=0)
    ids = [s["id"] for s in whole["song"]]
    pages = [_songs(srv, offset=offset, limit=7) for offset in range(0, len(ids), 7)]
    assert {(p["total_count"], p["md5"]) for p in pages} == {(len(ids), whole["md5"])}
    assert [s["id"] for p in pages for s in p["song"]] == ids


def test_a_change_between_pages_is_seen_at_once(srv: Any) -> None:
    before = _songs(srv, limit=5)
    victim = int(before["song"][0]["id"])
    with srv.db.writer() as conn:
        conn.execute("UPDATE song SET enabled = 0 WHERE id = ?", (victim,))
    try:
        during = _songs(srv, limit=5)
        assert during["total_count"] == before["total_count"] - 1
        assert during["md5"] != before["md5"]
        assert str(victim) not in [s["id"] for s in during["song"]]
    finally:
        with srv.db.writer() as conn:
            conn.execute("UPDATE song SET enabled = 1 WHERE id = ?", (victim,))
    after = _songs(srv, limit=5)
    assert (after["total_count"], after["md5"]) == (before["total_count"], before["md5"])
    assert after["song"][0]["id"] == str(victim)


def test_the_kept_list_is_per_statement(srv: Any) -> None:
    by_title = _songs(srv, limit=0)
    by_year = _songs(srv, limit=0, sort="year,DESC")
    assert by_title["total_count"] == by_year["total_count"]
    assert [s["id"] for s in by_title["song"]] != [s["id"] for s in by_year["song"]]
    assert by_title["md5"] != by_year["md5"]
    assert _songs(srv, limit=0)["md5"] == by_title["md5"]
