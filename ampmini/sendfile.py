"""Make waitress send file-wrapper bodies with os.sendfile (zero-copy) instead of read + send.

Stock waitress 3.0.2 queues a ``wsgi.file_wrapper`` body (``ReadOnlyFileBasedBuffer``) in the
channel's ``outbufs``, and its I/O loop drains it in ``HTTPChannel._flush_some``:
``outbuf.get(sendbuf_len)`` → ``self.send(chunk)`` → ``outbuf.skip(n, True)``, so every byte is
read into a Python ``bytes`` and written back out. ``SendfileChannel`` overrides exactly one
method, ``_flush_some``: the same loop plus one branch. When the head outbuf is a
``ReadOnlyFileBasedBuffer`` over a regular file with a ``fileno()`` on a plain (non-TLS) socket,
it calls ``os.sendfile(sock_fd, file_fd, file.tell(), remain)`` on the non-blocking socket and
does the stock accounting by hand (``remain``, ``total_outbufs_len``, file position,
``last_activity``), so ``writable()``/``readable()`` and keep-alive/pipelining see exactly what
they would after ``skip()``. Anything else (other buffers, BytesIO bodies, pipes,
ENOSYS/EINVAL/EOPNOTSUPP from the kernel) takes the stock read + send path, unchanged.

``create_server(app, **kw)`` is waitress's ``create_server`` with ``channel_class`` set to
``SendfileChannel`` on the listening server(s) it returns (only ``handle_accept`` reads it).

Checked against waitress 3.0.2 (channel.py ``_flush_some``/``send``/``handle_close``,
buffers.py ``ReadOnlyFileBasedBuffer``, task.py ``WSGITask.execute``, server.py). At import the
internals this relies on are checked (attributes, and the names ``_flush_some`` uses); if they
differ, ``create_server`` returns stock waitress and logs that once.
"""

from __future__ import annotations

import errno
import io
import logging
import os
import ssl
import stat
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import waitress.server
from waitress import wasyncore
from waitress.buffers import ReadOnlyFileBasedBuffer
from waitress.channel import HTTPChannel
from waitress.wasyncore import _DISCONNECTED

__all__ = [
    "STATS",
    "SendfileChannel",
    "create_server",
    "sendfile_supported",
    "serve_background",
]

log = logging.getLogger(__name__)

TESTED_WAITRESS = ("3.0.2",)
# Upper bound per os.sendfile call; the loop repeats until EAGAIN, as stock waitress does with send.
_MAX_CHUNK = 1 << 30
# The kernel cannot sendfile between these two descriptors: use the stock path for this body.
# (EBADF is not here: wasyncore counts it as a disconnect, and so does this module.)
_UNSUPPORTED = {errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSOCK}
_WOULD_BLOCK = {errno.EAGAIN, errno.EWOULDBLOCK}
# Marker attribute on a buffer: None = not checked yet, -1 = stock path, else the file's fd.
_FD_ATTR = "_ampmini_sendfile_fd"


@dataclass
class SendfileStats:
    """Counters for tests and benchmarks (process-wide, approximate under contention is fine)."""

    calls: int = 0
    bytes: int = 0
    fallbacks: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, calls: int = 0, nbytes: int = 0, fallbacks: int = 0) -> None:
        with self._lock:
            self.calls += calls
            self.bytes += nbytes
            self.fallbacks += fallbacks

    def reset(self) -> None:
        with self._lock:
            self.calls = self.bytes = self.fallbacks = 0


STATS = SendfileStats()


def _internals_ok() -> str | None:
    """None if waitress looks like the version this was written against, else what differs."""
    names = HTTPChannel._flush_some.__code__.co_names
    for needed in ("outbufs", "get", "send", "skip", "total_outbufs_len", "last_activity"):
        if needed not in names:
            return f"HTTPChannel._flush_some no longer uses {needed!r}"
    for cls, attr in (
        (HTTPChannel, "total_outbufs_len"),
        (HTTPChannel, "current_outbuf_count"),
        (HTTPChannel, "handle_close"),
        (HTTPChannel, "send"),
        (ReadOnlyFileBasedBuffer, "remain"),
        (ReadOnlyFileBasedBuffer, "prepare"),
        (waitress.server.BaseWSGIServer, "channel_class"),
    ):
        if not hasattr(cls, attr):
            return f"{cls.__name__}.{attr} is missing"
    if not hasattr(os, "sendfile"):
        return "os.sendfile is not available on this platform"
    return None


def _waitress_version() -> str:
    """From the installed dist-info folder's name: importlib.metadata costs 4.6 MB of RSS."""
    site = Path(waitress.__file__).resolve().parent.parent
    found = sorted(site.glob("waitress-*.dist-info"))
    if not found:
        return "unknown"
    return found[-1].name.removeprefix("waitress-").removesuffix(".dist-info")


_PROBLEM = _internals_ok()
if _PROBLEM is None and _waitress_version() not in TESTED_WAITRESS:
    # Same structure, untested release: use it, but say so once.
    log.warning(
        "ampmini.sendfile was checked against waitress %s, found %s; internals match, using it",
        ", ".join(TESTED_WAITRESS),
        _waitress_version(),
    )


def sendfile_supported() -> bool:
    """True when ``create_server`` will install ``SendfileChannel``."""
    return _PROBLEM is None


class SendfileChannel(HTTPChannel):
    """``HTTPChannel`` whose ``_flush_some`` hands regular-file bodies to ``os.sendfile``."""

    def _sendfile_fd(self, outbuf: Any) -> int:
        """The file's fd if this buffer can be sent with sendfile, else -1 (decided once)."""
        fd = getattr(outbuf, _FD_ATTR, None)
        if fd is None:
            fd = self._regular_file_fd(outbuf.file)
            if fd < 0:
                STATS.add(fallbacks=1)
            setattr(outbuf, _FD_ATTR, fd)
        return fd

    def _regular_file_fd(self, file: Any) -> int:
        if isinstance(self.socket, ssl.SSLSocket):
            return -1  # TLS needs the bytes in user space
        # Only plain binary files whose tell() is the fd's byte offset: a GzipFile, for one, has
        # a fileno() too, but of the compressed bytes.
        raw = getattr(file, "raw", file)
        if not (
            isinstance(raw, io.FileIO)
            and isinstance(file, (io.FileIO, io.BufferedReader, io.BufferedRandom))
        ):
            return -1
        try:
            fd = file.fileno()
            return fd if stat.S_ISREG(os.fstat(fd).st_mode) else -1
        except (OSError, ValueError):
            return -1

    def _sendfile_some(self, outbuf: Any, fd: int, do_close: bool) -> int | None:
        """Send from ``outbuf`` with os.sendfile until EAGAIN or done.

        Returns bytes sent (0 = socket full or closed), or None when sendfile turned out not to
        work for this pair of descriptors (the caller then uses the stock path for this buffer).
        From a worker thread (``do_close`` False) it makes one call only.
        """
        file = outbuf.file
        start = offset = file.tell()
        try:
            while outbuf.remain > 0:
                try:
                    n = os.sendfile(
                        self.socket.fileno(), fd, offset, min(outbuf.remain, _MAX_CHUNK)
                    )
                except OSError as exc:
                    if exc.errno in _WOULD_BLOCK:
                        break
                    if exc.errno in _DISCONNECTED:
                        # Same as wasyncore.dispatcher.send on a dead peer.
                        if do_close:
                            self.handle_close()
                        break
                    if exc.errno in _UNSUPPORTED and offset == start:
                        setattr(outbuf, _FD_ATTR, -1)
                        STATS.add(fallbacks=1)
                        return None
                    raise  # _flush_exception logs it and closes the channel, like send() errors
                STATS.add(calls=1, nbytes=n)
                if n == 0:
                    # The file shrank under us: Content-Length can no longer be met. Closing the
                    # connection is the only honest signal; never spin on a writable socket.
                    self.total_outbufs_len -= outbuf.remain
                    outbuf.remain = 0
                    self.will_close = True
                    break
                # What outbuf.skip(n) and the stock loop account, without reading the bytes.
                offset += n
                outbuf.remain -= n
                self.total_outbufs_len -= n
                if not do_close:
                    # Called from a worker (write_soon passes do_close=False): one call gets the
                    # first bytes out, then the worker is released and write_soon wakes the I/O
                    # loop for the rest. Stock waitress would keep the worker sending until
                    # EAGAIN, i.e. for the whole file when the client keeps up.
                    break
        finally:
            # sendfile with an explicit offset leaves the fd position alone; keep the file's
            # position where skip() would have left it, for the stock path and for tell().
            if offset != start and not getattr(file, "closed", False):
                file.seek(offset)
        return offset - start

    def _flush_some(self, do_close: bool = True) -> bool:
        # The stock loop (waitress 3.0.2 channel.py) with a sendfile branch per outbuf.
        sent = 0
        dobreak = False

        while True:
            outbuf = self.outbufs[0]
            outbuflen = outbuf.__len__()

            if outbuflen > 0 and isinstance(outbuf, ReadOnlyFileBasedBuffer):
                fd = self._sendfile_fd(outbuf)
                if fd >= 0:
                    n = self._sendfile_some(outbuf, fd, do_close)
                    if n is not None:
                        sent += n
                        if outbuf.remain > 0 or self.will_close or not self.connected:
                            break  # socket full, peer gone, or file shrank
                        outbuflen = 0  # drained: fall through to the stock pop below

            while outbuflen > 0:
                chunk = outbuf.get(self.sendbuf_len)
                num_sent = self.send(chunk, do_close=do_close)

                if num_sent:
                    outbuf.skip(num_sent, True)
                    outbuflen -= num_sent
                    sent += num_sent
                    self.total_outbufs_len -= num_sent
                else:
                    dobreak = True
                    break
            else:
                # self.outbufs[-1] must always be a writable outbuf
                if len(self.outbufs) > 1:
                    toclose = self.outbufs.pop(0)
                    try:
                        toclose.close()
                    except Exception:
                        self.logger.exception("Unexpected error when closing an outbuf")
                else:
                    dobreak = True

            if dobreak:
                break

        if sent:
            self.last_activity = time.time()
            return True
        return False


_warned = False


def create_server(app: Callable[..., Any], **waitress_kwargs: Any) -> Any:
    """``waitress.create_server`` whose channels send file bodies with os.sendfile.

    Same arguments and return value as waitress's (a ``TcpWSGIServer``, or ``MultiSocketServer``
    when listening on several sockets); call ``.run()`` on it. Falls back to stock waitress, logging
    once, when waitress's internals are not the ones this module was checked against.
    """
    global _warned
    server = waitress.server.create_server(app, **waitress_kwargs)
    if _PROBLEM is not None:
        if not _warned:
            log.warning("sendfile disabled, using stock waitress: %s", _PROBLEM)
            _warned = True
        return server
    listeners = [server] if hasattr(server, "channel_class") else [
        d for d in server.map.values() if isinstance(d, waitress.server.BaseWSGIServer)
    ]
    for listener in listeners:
        listener.channel_class = SendfileChannel
    return server


@contextmanager
def serve_background(
    app: Callable[..., Any], *, sendfile: bool = True, **waitress_kwargs: Any
) -> Iterator[Any]:
    """Run a waitress server in a daemon thread (for tests and benchmarks); yield the server.

    Listens on 127.0.0.1 with an OS-chosen port unless told otherwise (``server.effective_port``).
    The loop runs here rather than in ``server.run()`` so that stopping it closes every socket from
    the loop's own thread.
    """
    waitress_kwargs.setdefault("host", "127.0.0.1")
    waitress_kwargs.setdefault("port", 0)
    make = create_server if sendfile else waitress.server.create_server
    server = make(app, **waitress_kwargs)
    socket_map = server._map if hasattr(server, "_map") else server.map
    stop = threading.Event()

    def loop() -> None:
        try:
            while not stop.is_set() and socket_map:
                wasyncore.loop(timeout=0.05, map=socket_map, count=1)
        finally:
            server.task_dispatcher.shutdown(timeout=5)
            wasyncore.close_all(socket_map)

    thread = threading.Thread(target=loop, name="waitress-background", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        thread.join(timeout=10)
