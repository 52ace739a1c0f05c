"""A tag reader process (`python -m ampmini.library.tagworker`) and the per-file read it runs.

Kept apart from the pool (reading.py) so a worker imports only tinytag, the normaliser and
the framing: each worker is a whole interpreter, and a 2-CPU scan counts its memory too.
Protocol: pickled chunks of Jobs on stdin; for each, in order, a 4-byte little-endian length
and the pickled list of outcomes on stdout. EOF on stdin ends the worker.
"""

from __future__ import annotations

import pickle
import queue
import signal
import struct
import sys
import threading
from typing import IO, NamedTuple

from ampmini.library.tags import TagError, Track, read_tags

Job = tuple[str, int, int]  # path, size, mtime_ns
Outcome = Track | TagError
LENGTH = struct.Struct("<I")  # results are framed, so "is one ready?" is a select()


class _Stat(NamedTuple):
    """The two stat fields read_tags uses (an os.stat_result does not travel cheaply)."""

    st_size: int
    st_mtime_ns: int


def read_one(job: Job) -> Outcome:
    """The Track of one file, or the TagError saying why it has none."""
    path, size, mtime_ns = job
    try:
        return read_tags(path, _Stat(size, mtime_ns))  # type: ignore[arg-type]
    except TagError as exc:
        return exc


def read_chunk(jobs: list[Job]) -> list[Outcome]:
    """Read one chunk (TagError instances pickle as themselves)."""
    return [read_one(job) for job in jobs]


def write_all(stream: IO[bytes], data: bytes) -> None:
    """Write all of data to an unbuffered pipe (a raw write may take only part of it)."""
    view = memoryview(data)
    while view:
        view = view[stream.write(view) or 0 :]


def serve(inp: IO[bytes], out: IO[bytes]) -> None:
    """Read chunks from inp, write their outcomes to out, until EOF.

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
        data = pickle.dumps(read_chunk(chunk), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            write_all(out, LENGTH.pack(len(data)) + data)
        except OSError:  # the scanner stopped listening (interrupted): nothing left to do
            return


if __name__ == "__main__":
    # Ctrl-C reaches the whole process group: the scanner handles it and closes our pipes,
    # which ends this loop; a traceback from each worker would only clutter the terminal.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Unbuffered: nothing is left in a buffer to fail at exit when the scanner has gone.
    serve(sys.stdin.buffer, open(sys.stdout.fileno(), "wb", buffering=0, closefd=False))  # noqa: SIM115
