"""Read the tags of many files, in order: in this process, or with worker processes' help.

Tag parsing is pure Python and CPU-bound, so threads cannot help; with at least
POOL_MIN_FILES files and a spare CPU, chunks go to worker processes (tagworker.py: a fresh
interpreter with only tinytag loaded — no fork of a threaded server, and unlike
multiprocessing's spawn no re-import of the caller's main script), one per
CPU beyond the scanning process's own. The scanning process is not idle meanwhile: it writes
the finished chunks to the database, and whenever the next chunk it needs is still being read
by a worker, it reads the next unassigned chunk itself. So on a 2-CPU machine one worker and
the scanner share the reading in whatever ratio the database writes leave, and the scan uses
both CPUs with only one extra interpreter in memory.

Results come back in submission order (ids are assigned in path order, as without workers):
each worker answers its chunks in order, chunks read ahead here wait in a small buffer, and at
most IN_FLIGHT chunks per worker are outstanding, so memory stays flat on a 1 GB Pi. Workers
exit when the scan ends (their stdin closes). A worker that dies only costs speed: the rest is
read in this process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import select
import subprocess
import sys
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO

from ampmini.library.tagworker import LENGTH, Job, Outcome, read_chunk, read_one, write_all

log = logging.getLogger("ampmini.library.scanner")

POOL_MIN_FILES = 500  # fewer: the ~0.1 s of starting workers is not won back
MAX_WORKERS = 4
CHUNK = 100  # files per task: large enough to amortise the pickling round trip
# Chunks handed to one worker and not yet collected: enough to keep it busy while the scanner
# writes a batch of BATCH_SIZE songs (~5 chunks' worth of reading).
IN_FLIGHT = 8
_PIPE_SIZE = 1 << 20  # results a worker can write ahead of the scanner (Linux F_SETPIPE_SZ)
_F_SETPIPE_SZ = 1031


def read_many(
    paths: Sequence[str], stats: Mapping[str, tuple[int, ...]], workers: int | None = None
) -> Iterator[tuple[str, Outcome]]:
    """(path, Track or TagError) for every path, in order. stats[path] starts with the size
    and mtime_ns the walk found. `workers` None = decide by size."""
    count = pool_size(len(paths)) if workers is None else workers
    if count < 1:
        for path in paths:
            yield path, read_one(_job(path, stats))
        return
    yield from _pooled(paths, stats, count)


def _job(path: str, stats: Mapping[str, tuple[int, ...]]) -> Job:
    # Built when its chunk is due, not up front: 30k job tuples would be ~2 MB of a scan's RSS.
    stat = stats[path]
    return path, stat[0], stat[1]


def pool_size(files: int) -> int:
    """Worker processes for a scan reading `files` files (0: read in this process).

    One CPU stays with the scanning process, which writes to the database and reads tags
    itself whenever the workers are behind. Measured on a 2-vCPU machine, 30k-file first
    scan: 6.1 s in one process, 3.6 s with one worker; both use ~5.9 s of CPU in all, so even
    with the second CPU busy elsewhere the pool is ahead (5.0 s).
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    workers = min(cpus - 1, MAX_WORKERS)
    return workers if files >= POOL_MIN_FILES and workers >= 1 else 0


def _pooled(
    paths: Sequence[str], stats: Mapping[str, tuple[int, ...]], workers: int
) -> Iterator[tuple[str, Outcome]]:
    chunks = [paths[i : i + CHUNK] for i in range(0, len(paths), CHUNK)]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(min(workers, len(chunks))):
            procs.append(_start_worker())
    except OSError as exc:
        log.warning("cannot start tag reader processes (%s); reading in one process", exc)
    pool = _Pool(chunks, stats, procs)
    try:
        for index, chunk in enumerate(chunks):
            yield from zip(chunk, pool.outcomes(index), strict=True)
    finally:
        _stop(procs)


class _Pool:
    """Hands chunks out to workers in order and collects chunk i's outcomes when asked."""

    def __init__(
        self,
        chunks: list[Sequence[str]],
        stats: Mapping[str, tuple[int, ...]],
        procs: list[subprocess.Popen[bytes]],
    ) -> None:
        self.chunks = chunks
        self.stats = stats
        self.procs = list(procs)  # the live ones; the caller's list still stops them all
        self.pending: dict[subprocess.Popen[bytes], deque[int]] = {p: deque() for p in procs}
        self.owner: dict[int, subprocess.Popen[bytes]] = {}  # chunk -> worker reading it
        self.ahead: dict[int, list[Outcome]] = {}  # chunks read here before their turn
        self.next = 0  # first chunk not handed out (to a worker or to this process)
        self._feed()

    def outcomes(self, index: int) -> list[Outcome]:
        """The outcomes of chunk `index`; chunks must be asked for in order."""
        while True:
            if index in self.ahead:
                return self.ahead.pop(index)
            proc = self.owner.get(index)
            if proc is None:  # no worker has it (or its worker died): read it here
                self.next = max(self.next, index + 1)
                self._feed()
                return read_chunk(self._jobs(index))
            if self.next < len(self.chunks) and not _ready(proc):
                # The worker is still at it: read the next unassigned chunk meanwhile.
                ahead = self.next
                self.next += 1
                self.ahead[ahead] = read_chunk(self._jobs(ahead))
                continue
            outcomes = _receive(proc)
            self.pending[proc].popleft()
            del self.owner[index]
            if outcomes is None:
                self._drop(proc)
                continue
            self._feed()
            return outcomes

    def _feed(self) -> None:
        """Top every worker up to IN_FLIGHT chunks, round robin, in chunk order."""
        while self.next < len(self.chunks) and self.procs:
            proc = min(self.procs, key=lambda p: len(self.pending[p]))
            if len(self.pending[proc]) >= IN_FLIGHT:
                return
            if not _send(proc, self._jobs(self.next)):
                self._drop(proc)
                continue
            self.pending[proc].append(self.next)
            self.owner[self.next] = proc
            self.next += 1

    def _jobs(self, index: int) -> list[Job]:
        return [_job(path, self.stats) for path in self.chunks[index]]

    def _drop(self, proc: subprocess.Popen[bytes]) -> None:
        """A worker died: its outstanding chunks are read here, in their turn."""
        log.warning("tag reader process died; its chunks are read in this process")
        self.procs.remove(proc)
        for index in self.pending.pop(proc):
            self.owner.pop(index, None)


def _start_worker() -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    # The child must import this very package, wherever it was imported from here, and find
    # tinytag where this process found it: it gets this package's parent and our sys.path.
    # With that, -S (no site module, no .pth processing) spares ~2 MB per worker.
    package_parent = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join([package_parent, *filter(None, sys.path)])
    proc = subprocess.Popen(
        [sys.executable, "-S", "-m", "ampmini.library.tagworker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        bufsize=0,  # results are read by length, and select() must see what is unread
        env=env,
    )
    assert proc.stdout is not None
    with contextlib.suppress(OSError):  # not Linux, or above pipe-max-size: the default 64 KiB
        import fcntl

        fcntl.fcntl(proc.stdout.fileno(), _F_SETPIPE_SZ, _PIPE_SIZE)
    return proc


def _send(proc: subprocess.Popen[bytes], chunk: list[Job]) -> bool:
    assert proc.stdin is not None
    try:
        write_all(proc.stdin, pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:
        return False
    return True


def _ready(proc: subprocess.Popen[bytes]) -> bool:
    """The worker has started writing its next result (or died: reading then says so)."""
    assert proc.stdout is not None
    return bool(select.select([proc.stdout], [], [], 0)[0])


def _receive(proc: subprocess.Popen[bytes]) -> list[Outcome] | None:
    assert proc.stdout is not None
    try:
        header = _read_exactly(proc.stdout, LENGTH.size)
        outcomes = pickle.loads(_read_exactly(proc.stdout, LENGTH.unpack(header)[0]))  # noqa: S301 (our own child process)
    except (EOFError, OSError, pickle.UnpicklingError):
        return None
    return outcomes if isinstance(outcomes, list) else None


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        part = stream.read(size - len(data))
        if not part:
            raise EOFError("tag reader closed its output")
        data += part
    return bytes(data)


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        for pipe in (proc.stdin, proc.stdout):
            # stdin EOF: the worker finishes its loop and exits; a closed stdout stops one
            # still writing results nobody will read (a scan interrupted half-way).
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
