"""Read the tags of many files, in order: in this process, or in worker processes for big scans.

Tag parsing is pure Python and CPU-bound, so threads cannot help; with at least
POOL_MIN_FILES files and three CPUs, chunks go to worker processes (`python -m
ampmini.library.reading`: a fresh interpreter with only tinytag loaded — no fork of a threaded
server, and unlike multiprocessing's spawn no re-import of the caller's main script) while the
scanning process writes the previous chunks to the database. Chunk i goes to worker i mod n and
at most two chunks per worker are in flight, so results come back in submission order (ids are
assigned in path order, as without workers) and memory stays flat on a 1 GB Pi. Workers exit
when the scan ends (their stdin closes). A worker that dies only costs speed: the rest is read
in this process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, NamedTuple

from ampmini.library.tags import TagError, Track, read_tags

log = logging.getLogger("ampmini.library.scanner")

POOL_MIN_FILES = 500  # fewer: the ~0.1 s of starting workers is not won back
MAX_WORKERS = 4
CHUNK = 100  # files per task: large enough to amortise the pickling round trip

Job = tuple[str, int, int]  # path, size, mtime_ns
Outcome = Track | TagError


class _Stat(NamedTuple):
    """The two stat fields read_tags uses (an os.stat_result does not travel cheaply)."""

    st_size: int
    st_mtime_ns: int


def read_many(jobs: Sequence[Job], workers: int | None = None) -> Iterator[tuple[str, Outcome]]:
    """(path, Track or TagError) for every job, in order. `workers` None = decide by size."""
    count = pool_size(len(jobs)) if workers is None else workers
    if count < 2:
        for job in jobs:
            yield job[0], _read(job)
        return
    yield from _pooled(jobs, count)


def pool_size(files: int) -> int:
    """Worker processes for a scan reading `files` files (0: read in this process).

    One CPU stays with the scanning process, which unpickles and writes while the workers
    read; with fewer than two workers left the round trips cost more than they win (measured
    on a 2-vCPU machine: 25 % slower than reading in-process).
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    workers = min(cpus - 1, MAX_WORKERS)
    return workers if files >= POOL_MIN_FILES and workers >= 2 else 0


def read_chunk(jobs: list[Job]) -> list[Outcome]:
    """Worker side: read one chunk (TagError instances pickle as themselves)."""
    return [_read(job) for job in jobs]


def _read(job: Job) -> Outcome:
    path, size, mtime_ns = job
    try:
        return read_tags(path, _Stat(size, mtime_ns))  # type: ignore[arg-type]
    except TagError as exc:
        return exc


def _pooled(jobs: Sequence[Job], workers: int) -> Iterator[tuple[str, Outcome]]:
    chunks = [list(jobs[i : i + CHUNK]) for i in range(0, len(jobs), CHUNK)]
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(min(workers, len(chunks))):
            procs.append(_start_worker())
    except OSError as exc:
        log.warning("cannot start tag reader processes (%s); reading in one process", exc)
    broken = not procs
    sent = 0
    try:
        while not broken and sent < min(len(chunks), 2 * len(procs)):
            broken = not _send(procs[sent % len(procs)], chunks[sent])
            sent += 1
        for index, chunk in enumerate(chunks):
            outcomes = None if broken else _receive(procs[index % len(procs)])
            if outcomes is None:
                if not broken:
                    log.warning("tag reader process died; reading the rest in one process")
                broken = True
                outcomes = read_chunk(chunk)
            elif sent < len(chunks):
                broken = not _send(procs[sent % len(procs)], chunks[sent])
                sent += 1
            yield from zip((job[0] for job in chunk), outcomes, strict=True)
    finally:
        _stop(procs)


def _start_worker() -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    # The child must import this very package, wherever it was imported from here.
    package_parent = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (package_parent, env.get("PYTHONPATH"))))
    return subprocess.Popen(
        [sys.executable, "-m", "ampmini.library.reading"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
    )


def _send(proc: subprocess.Popen[bytes], chunk: list[Job]) -> bool:
    assert proc.stdin is not None
    try:
        pickle.dump(chunk, proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        proc.stdin.flush()
    except OSError:
        return False
    return True


def _receive(proc: subprocess.Popen[bytes]) -> list[Outcome] | None:
    assert proc.stdout is not None
    try:
        outcomes = pickle.load(proc.stdout)  # noqa: S301 (our own child process)
    except (EOFError, OSError, pickle.UnpicklingError):
        return None
    return outcomes if isinstance(outcomes, list) else None


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.stdin is not None:
            with contextlib.suppress(OSError):  # EOF: the worker finishes its loop and exits
                proc.stdin.close()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def _worker(inp: IO[bytes], out: IO[bytes]) -> None:
    """The worker process: read chunks from inp, write their outcomes to out, until EOF.

    A thread drains inp continuously, so the parent's writes never block on a full pipe
    while this process is busy writing a large result (no deadlock whatever the sizes).
    """
    inbox: queue.Queue[list[Job] | None] = queue.Queue()

    def pump() -> None:
        while True:
            try:
                inbox.put(pickle.load(inp))  # noqa: S301 (our parent process)
            except (EOFError, OSError, pickle.UnpicklingError):
                inbox.put(None)
                return

    threading.Thread(target=pump, daemon=True).start()
    while (chunk := inbox.get()) is not None:
        pickle.dump(read_chunk(chunk), out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()


if __name__ == "__main__":
    _worker(sys.stdin.buffer, sys.stdout.buffer)
