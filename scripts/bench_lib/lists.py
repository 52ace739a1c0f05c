"""Bench rows of issue 8: playlist and smartlist reads against the equivalent library calls."""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .instance import USER, Client, ampmini_cmd
from .report import Row, ms, ratio, verdict

BIG_PLAYLIST = 5_000
LIST_RATIO = 1.5  # playlist_songs / smartlist_songs vs songs / advanced_search
ADD_ARTIST_S = 1.0
# Three rules every bench song can match; the smartlist and advanced_search get the same ones.
RULES = (("title", 0, "e"), ("year", 0, "0"), ("time", 0, "0"))


def _items(body: Any) -> list[Any]:
    lists = [v for v in body.values() if isinstance(v, list)] if isinstance(body, dict) else [body]
    return max(lists, key=len) if lists else []


def _p50(call: Callable[[], Any], repeats: int) -> float:
    call()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _checked(client: Client, action: str, **params: Any) -> Callable[[], None]:
    def call() -> None:
        status, _body = client.api("json", action, **params)
        if status != 200:
            raise RuntimeError(f"{action}: HTTP {status}")

    return call


def playlist_rows(client: Client, repeats: int) -> list[Row]:
    """A playlist of up to 5,000 songs (whole artists, biggest first) vs `songs` of that size;
    `playlist_add` of the biggest artist into an empty playlist (one request = one write)."""
    artists = sorted(_items(client.json("artists")), key=lambda a: -int(a.get("songcount", 0)))
    big = client.json("playlist_create", name="bench big", type="private")["id"]
    count = 0
    for artist in artists:
        if count >= BIG_PLAYLIST:
            break
        client.json("playlist_add", filter=big, id=artist["id"], type="artist")
        count += int(artist.get("songcount", 0))
    songs = len(_items(client.json("playlist_songs", filter=big, limit=BIG_PLAYLIST)))
    ours = _p50(_checked(client, "playlist_songs", filter=big, limit=BIG_PLAYLIST), repeats)
    base = _p50(_checked(client, "songs", limit=songs), repeats)
    rows = [Row(
        f"`playlist_songs` of a {songs:,}-song playlist JSON", f"p50 {ms(ours)}",
        f"{ms(base)} (`songs` limit={songs})", ratio(ours, base) + " p50",
        f"≤ {LIST_RATIO}× `songs`", verdict(ours <= LIST_RATIO * base),
    )]
    top = artists[0]
    target = client.json("playlist_create", name="bench add", type="private")["id"]
    t0 = time.perf_counter()
    client.json("playlist_add", filter=target, id=top["id"], type="artist")
    took = time.perf_counter() - t0
    added = len(_items(client.json("playlist_songs", filter=target, limit=0)))
    rows.append(Row(
        f"`playlist_add` of an artist with {added:,} songs (one transaction)", ms(took),
        target=f"≤ {ADD_ARTIST_S:.0f} s (issue: 2,000 songs)", result=verdict(took <= ADD_ARTIST_S),
    ))
    for playlist in (big, target):
        client.json("playlist_delete", filter=playlist)
    return rows


def smartlist_row(client: Client, config: Path, repeats: int) -> Row:
    """`smartlist_songs` with three rules vs `advanced_search` with the same rules."""
    rule_args = [arg for name, op, value in RULES for arg in ("--rule", f"{name},{op},{value}")]
    subprocess.run(
        ampmini_cmd(config, "smartlist", "create", "bench three rules", *rule_args,
                    "--user", USER[0]),
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    smart = next(s["id"] for s in _items(client.json("smartlists", filter="bench three rules")))
    search = {"type": "song", "operator": "and"}
    for i, (name, op, value) in enumerate(RULES, 1):
        search |= {f"rule_{i}": name, f"rule_{i}_operator": op, f"rule_{i}_input": value}
    limit = BIG_PLAYLIST
    found = len(_items(client.json("smartlist_songs", filter=smart, limit=limit)))
    ours = _p50(_checked(client, "smartlist_songs", filter=smart, limit=limit), repeats)
    base = _p50(_checked(client, "advanced_search", **search, limit=limit), repeats)
    client.json("smartlist_delete", filter=smart)
    return Row(
        f"`smartlist_songs` three rules ({found:,} songs) JSON", f"p50 {ms(ours)}",
        f"{ms(base)} (`advanced_search`, same rules)", ratio(ours, base) + " p50",
        f"≤ {LIST_RATIO}× `advanced_search`", verdict(ours <= LIST_RATIO * base),
    )
