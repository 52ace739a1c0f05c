"""Issue 6's optional peer column: Supysonic on the same library in the same run.

Supysonic is a peer, never a dependency of ampmini: it lives in its own venv (.bench/
supysonic-venv, made by `scripts/bench --setup-supysonic`) and runs only as child processes —
its CLI for the scans, `supysonic-server` (waitress, as ampmini) for the Subsonic API — with
its own config and SQLite DB in the bench's run folder. Its figures are set beside ampmini's
from the same run: full scan, no-change re-scan, a 500-album list and idle RSS.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from . import procs
from .instance import Client
from .report import Row, ms, verdict

VENV = Path(__file__).resolve().parents[2] / ".bench" / "supysonic-venv"
PROBE = Path(__file__).resolve().parent / "supysonic_probe.py"
# The set the column was built and checked with (Python 3.11). waitress = ampmini's own version,
# so both servers stand on the same HTTP layer and only the application differs.
PINS = ("supysonic==0.7.9", "peewee==4.5.3", "mediafile==0.17.0", "mutagen==1.48.1",
        "waitress==3.0.2")

# Targets (issue 6).
SCAN_RATE_RATIO = 6.0  # ampmini's full-scan rate ≥ 6× Supysonic's
LIST_SPEEDUP = 15.0  # ampmini's 500-album list ≥ 15× faster (p50)
LIST_SIZE = 500
USER = ("bench", "bench-secret-pw")
_ADDED = re.compile(r"Added: (\d+) artists, (\d+) albums, (\d+) tracks")


def installed(venv: Path = VENV) -> bool:
    return all((venv / "bin" / name).exists() for name in ("supysonic-cli", "supysonic-server"))


def setup_venv(venv: Path = VENV) -> None:
    """Create the venv with this interpreter's Python and install the pinned Supysonic into it."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--upgrade", *PINS],
                   check=True)


class Supysonic:
    """One Supysonic instance: config, DB and cache under `folder`, run from that folder."""

    def __init__(self, venv: Path, folder: Path) -> None:
        self.bin = venv / "bin"
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = procs.free_port()
        self.server: subprocess.Popen[Any] | None = None
        # Supysonic reads /etc/supysonic, ~/.supysonic, ~/.config/supysonic/supysonic.conf and
        # then ./supysonic.conf; a private HOME keeps a developer's own config out of the run.
        self.env = {**os.environ, "HOME": str(folder)}
        (folder / "supysonic.conf").write_text(
            f"[base]\ndatabase_uri = sqlite:///{folder / 'supysonic.db'}\n\n"
            f"[webapp]\ncache_dir = {folder / 'cache'}\nlog_level = WARNING\n\n"
            # A socket of our own: never talk to a Supysonic daemon running on this machine.
            f"[daemon]\nsocket = {folder / 'daemon.sock'}\nrun_watcher = false\n",
            encoding="utf-8",
        )

    def _run(self, cmd: list[str], stdin: str | None = None) -> tuple[float, str]:
        """Run a command to its end from the instance folder; (wall seconds, stdout)."""
        t0 = time.perf_counter()
        proc = procs.spawn(cmd, cwd=self.folder, env=self.env, text=True,
                           stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            out, err = proc.communicate(stdin)
        finally:
            procs.stop(proc)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"{Path(cmd[0]).name} {' '.join(cmd[1:3])} failed: {err[-2000:]}")
        return wall, out

    def cli(self, *args: str) -> tuple[float, str]:
        return self._run([str(self.bin / "supysonic-cli"), *args])

    def full_scan(self, library: Path) -> tuple[float, int]:
        """`folder add` + `folder scan` on a fresh DB, as an operator starts: (wall s, tracks).
        The add is counted because it is where Supysonic creates its schema, which ampmini's
        timed `scan` on a fresh DB does too."""
        add_s, _ = self.cli("folder", "add", "library", str(library.resolve()))
        scan_s, out = self.cli("folder", "scan", "--foreground")
        found = _ADDED.search(out)
        if found is None:
            raise RuntimeError(f"supysonic-cli folder scan said: {out[-500:]}")
        return add_s + scan_s, int(found.group(3))

    def rescan(self) -> dict[str, Any]:
        """The no-change re-scan timed in its own process (supysonic_probe.py)."""
        # -I: the probe's own folder must not lead sys.path, or `import supysonic` finds this file.
        _wall, out = self._run([str(self.bin / "python"), "-I", str(PROBE)])
        result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        return result

    def start(self, timeout: float = 60.0) -> Client:
        """`supysonic-server` on a loopback port; a keep-alive client once ping answers ok."""
        self.cli("user", "add", USER[0], "--password", USER[1])
        log = self.folder / "server.log"
        with log.open("wb") as err:
            self.server = procs.spawn(
                [str(self.bin / "supysonic-server"), "--server", "waitress", "--host", "127.0.0.1",
                 "--port", str(self.port)],
                cwd=self.folder, env=self.env, stdout=subprocess.DEVNULL, stderr=err,
            )  # fmt: skip
        t0 = time.perf_counter()
        while True:
            if self.server.poll() is not None:
                raise RuntimeError(f"supysonic-server exited: {log.read_text()[-2000:]}")
            client = Client(f"http://127.0.0.1:{self.port}")
            try:
                self.call(client, "ping")
                return client
            except (OSError, RuntimeError, ValueError) as exc:  # not up yet, or not ready
                client.close()
                last = exc
            if time.perf_counter() - t0 > timeout:
                raise RuntimeError(f"supysonic-server did not answer ping within {timeout:.0f} s "
                                   f"(last: {last!r})")
            time.sleep(0.05)

    @staticmethod
    def target(method: str, fmt: str = "json", **params: Any) -> str:
        # Supysonic stores salted password hashes, so token auth (t/s) is not available: u/p.
        query = {"u": USER[0], "p": USER[1], "v": "1.12.0", "c": "ampmini-bench", "f": fmt,
                 **params}
        return f"/rest/{method}.view?{urlencode(query)}"

    def call(self, client: Client, method: str, **params: Any) -> dict[str, Any]:
        """A JSON Subsonic call that must answer status ok; its subsonic-response object."""
        status, body = client.get(self.target(method, **params))
        if status != 200:
            raise RuntimeError(f"Supysonic {method}: HTTP {status}")
        answer: dict[str, Any] = json.loads(body)["subsonic-response"]
        if answer.get("status") != "ok":
            raise RuntimeError(f"Supysonic {method}: {answer.get('error')}")
        return answer

    def stop(self) -> None:
        if self.server is not None:
            procs.stop(self.server)
            self.server = None


def _latency(client: Client, target: str, repeats: int) -> tuple[float, float]:
    """p50 and p95 of `repeats` GETs of target (after one warm-up)."""
    from .measure import percentile  # measure imports this module: import at call time

    client.get(target)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        status, _ = client.get(target)
        times.append(time.perf_counter() - t0)
        if status != 200:
            raise RuntimeError(f"Supysonic {target}: HTTP {status}")
    return statistics.median(times), percentile(times, 95)


def compare(library: Path, work: Path, ours: Mapping[str, float], repeats: int,
            rescan_repeats: int, notes: list[str], venv: Path = VENV) -> list[Row]:
    """Supysonic's rows beside ampmini's figures of the same run (`ours`: Bench.figures).
    A missing venv or a Supysonic failure becomes a note: the peer must never sink the bench."""
    if not installed(venv):
        notes.append(f"Supysonic column skipped: no venv with supysonic at {venv} "
                     "(`scripts/bench --setup-supysonic` makes one).")
        return []
    rows: list[Row] = []
    peer = Supysonic(venv, work / "supysonic")
    try:
        _scan_rows(peer, library, ours, rescan_repeats, rows, notes)
        client = peer.start()
        assert peer.server is not None
        procs.wait_quiet(peer.server.pid)
        idle = procs.memory_kb(peer.server.pid).get("VmRSS", 0) / 1024
        _list_rows(peer, client, ours, repeats, rows, notes)
        after = procs.memory_kb(peer.server.pid).get("VmRSS", 0) / 1024
        client.close()
        amp_idle = ours.get("rss_idle_mb", 0.0)
        rows.append(Row(
            "vs Supysonic: RSS idle after scan", f"{amp_idle:.1f} MB",
            f"{idle:.1f} MB (Supysonic server; {after:.1f} MB after its album lists)",
            f"{amp_idle / idle:.2f}× Supysonic's" if idle else "—", result="info",
        ))
    except (RuntimeError, OSError, subprocess.SubprocessError, ValueError, KeyError) as exc:
        notes.append(f"Supysonic column incomplete: {exc}")
    finally:
        peer.stop()
    return rows


def _scan_rows(peer: Supysonic, library: Path, ours: Mapping[str, float], rescan_repeats: int,
               rows: list[Row], notes: list[str]) -> None:
    wall, tracks = peer.full_scan(library)
    amp_s, amp_files = ours["scan_s"], ours["scan_files"]
    if tracks != amp_files:
        notes.append(f"Supysonic added {tracks:,} tracks, ampmini scanned {amp_files:,.0f} files.")
    amp_rate, rate = amp_files / amp_s, tracks / wall
    rows.append(Row(
        "vs Supysonic: full scan (tracks/s)", f"{amp_rate:,.0f}/s ({amp_s:.2f} s)",
        f"{rate:,.1f}/s ({wall:.2f} s, Supysonic `folder add` + `folder scan`)",
        f"{amp_rate / rate:.1f}× Supysonic's rate", f"≥ {SCAN_RATE_RATIO:.0f}× Supysonic's rate",
        verdict(amp_rate >= SCAN_RATE_RATIO * rate),
    ))
    runs = [peer.rescan() for _ in range(rescan_repeats)]
    seconds = statistics.median(r["seconds"] for r in runs)
    if any(r["added"] or r["deleted"] for r in runs):
        notes.append(f"Supysonic's re-scan was not a no-op: {runs}")
    amp = ours["rescan_s"]
    rows.append(Row(
        "vs Supysonic: no-change re-scan (in-process time)", ms(amp),
        f"{ms(seconds)} (Supysonic, {runs[0]['files']:,} files)",
        f"{seconds / amp:.1f}× faster" if amp else "—", result="info",
    ))


def _list_rows(peer: Supysonic, client: Client, ours: Mapping[str, float], repeats: int,
               rows: list[Row], notes: list[str]) -> None:
    listed = peer.call(client, "getAlbumList2", type="alphabeticalByName", size=LIST_SIZE)
    albums = len(listed.get("albumList2", {}).get("album", []))
    ping, _ = _latency(client, peer.target("ping"), repeats)
    # Context for the ratio: how much of a list call is Supysonic's fixed per-request cost.
    notes.append(f"Supysonic `ping` p50 {ms(ping)} (HTTP + auth, no list).")
    amp_albums = int(ours["albums_items"])
    for fmt in ("json", "xml"):
        target = peer.target("getAlbumList2", fmt, type="alphabeticalByName", size=LIST_SIZE)
        p50, p95 = _latency(client, target, repeats)
        amp = ours[f"albums_p50_{fmt}"]
        speedup = p50 / amp if amp else 0.0
        rows.append(Row(
            f"vs Supysonic: {LIST_SIZE}-album list {fmt.upper()} "
            f"(ampmini `albums` {amp_albums} items, Supysonic `getAlbumList2` {albums})",
            f"p50 {ms(amp)}", f"p50 {ms(p50)} / p95 {ms(p95)} (Supysonic)",
            f"{speedup:.1f}× faster p50", f"≥ {LIST_SPEEDUP:.0f}× faster",
            verdict(speedup >= LIST_SPEEDUP),
        ))
