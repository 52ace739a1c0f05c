"""scripts/bench's measuring functions on a ~50-track library produce every row (no timings)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from .conftest import SCRIPTS

sys.path.insert(0, str(SCRIPTS))

from bench_lib import procs, supysonic
from bench_lib.measure import Bench, Settings, ensure_library
from bench_lib.report import table

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")

TINY = Settings(tracks=50, api_repeats=2, soak_requests=60, soak_clients=2, rescan_repeats=1,
                stream_size_mb=1, stream_requests=1, stream_clients=(1, 2), watch_timeout_s=5.0,
                podcast_feeds=3, podcast_episodes=20)

EXPECTED = [
    "full scan (tracks/s)",
    "RSS during full scan",
    "no-change re-scan (files/s)",
    "start → first answered ping",
    "RSS idle",
    *(f"`{action}`" for action in ("albums", "artists", "songs", "search_songs",
                                   "advanced_search", "get_indexes", "stats")),
    "`playlist_songs` of a",
    "`playlist_add` of an artist with",
    "`smartlist_songs` three rules",
    "file dropped in watched folder",
    "RSS over a 60-request soak",
    "podcast refresh of 3 feeds × 20 episodes (",
    "): `songs` limit=500 JSON during it",
    "podcast refresh of 3 feeds × 20 episodes: server RSS growth",
    "stream 1 MiB file, 1 client(s)",
    "stream 1 MiB file, 2 client(s)",
]


def test_bench_produces_every_row(tmp_path: Path) -> None:
    library = ensure_library(TINY.tracks, base=tmp_path / "cache")
    work = tmp_path / "run"
    work.mkdir()
    bench = Bench(TINY, library, work)
    try:
        rows = bench.run()
    finally:
        procs.stop_all()
    text = table(rows)
    for figure in EXPECTED:
        assert figure in text, figure
    for action in ("albums", "songs", "stats"):
        formats = {r.figure.rsplit(" ", 1)[1] for r in rows if r.figure.startswith(f"`{action}`")}
        assert formats == {"XML", "JSON"}, action
    assert all(r.result in ("PASS", "FAIL", "n/a", "info") for r in rows)
    assert not any("soak errors" in note for note in bench.notes), bench.notes
    assert not any("podcast refresh" in note for note in bench.notes), bench.notes
    assert bench.server is None  # the server it started is stopped
    # Issue 6's peer rows come only with Supysonic's venv; without it, a note says so.
    peer = [r.figure for r in rows if r.figure.startswith("vs Supysonic:")]
    if supysonic.installed():
        assert len(peer) == 5, peer
        assert not any("Supysonic column" in note for note in bench.notes), bench.notes
    else:
        assert not peer
        assert any("Supysonic column skipped" in note for note in bench.notes), bench.notes
