"""Child processes of the bench: start, sample (/proc RSS, CPU), and always stop them."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_CHILDREN: list[subprocess.Popen[Any]] = []
_LOCK = threading.Lock()


def spawn(cmd: Sequence[str], **kwargs: Any) -> subprocess.Popen[Any]:
    """Popen in its own process group (Ctrl-C reaches us only; we stop it), tracked for stop_all."""
    proc = subprocess.Popen(list(cmd), start_new_session=True, **kwargs)
    with _LOCK:
        _CHILDREN.append(proc)
    return proc


def stop(proc: subprocess.Popen[Any], timeout: float = 5.0) -> None:
    """SIGTERM its process group, then SIGKILL if it lingers; reap it."""
    if proc.poll() is None:
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
    with _LOCK:
        if proc in _CHILDREN:
            _CHILDREN.remove(proc)
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def stop_all() -> None:
    """Stop every child still running (called from the bench's finally and signal handler)."""
    with _LOCK:
        children = list(_CHILDREN)
    for proc in children:
        stop(proc, timeout=2.0)


def install_signal_handlers() -> None:
    """SIGTERM/SIGHUP become KeyboardInterrupt so the same finally-blocks clean up."""


    def interrupt(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    def default_in_child() -> None:
        # Forked pool workers (bench_stream's clients) must die on Pool.terminate's SIGTERM;
        # an inherited Python handler can leave them blocked on the pool's queue lock.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGHUP, signal.SIG_DFL)

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGHUP, interrupt)
    os.register_at_fork(after_in_child=default_in_child)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM (peak RSS), RssAnon and RssFile (mmap'd DB pages, libraries) of pid in kB;
    {} once the process is gone."""
    found: dict[str, int] = {}
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return found
    for line in text.splitlines():
        if line.startswith(("VmRSS:", "VmHWM:", "RssAnon:", "RssFile:")):
            key, value = line.split(":", 1)
            found[key] = int(value.split()[0])
    return found


def cpu_seconds(pid: int) -> float:
    """utime + stime of pid (fields 14 and 15 of /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """Every live child, grandchild … of pid (from /proc/<pid>/task/*/children)."""
    found: list[int] = []
    stack = [pid]
    while stack:
        parent = stack.pop()
        for task in Path(f"/proc/{parent}/task").glob("*/children"):
            try:
                kids = [int(k) for k in task.read_text().split()]
            except OSError:
                continue
            found.extend(kids)
            stack.extend(kids)
    return found


class RssSampler:
    """Samples a pid's VmRSS (with `children`, plus all its descendants': a scan's tag workers
    are part of the scan) every `interval` seconds on a thread; the peak is the larger of the
    sampled figure and the pid's own VmHWM."""

    def __init__(self, pid: int, interval: float = 0.02, *, children: bool = False) -> None:
        self.pid = pid
        self.children = children
        self.interval = interval
        self.peak_rss_kb = 0
        self.peak_hwm_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            mem = memory_kb(self.pid)
            if not mem:
                return
            tree = mem.get("VmRSS", 0) + sum(
                memory_kb(child).get("VmRSS", 0)
                for child in (descendants(self.pid) if self.children else ()))
            self.peak_rss_kb = max(self.peak_rss_kb, tree)
            self.peak_hwm_kb = max(self.peak_hwm_kb, mem.get("VmHWM", 0))
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return max(self.peak_rss_kb, self.peak_hwm_kb) / 1024


def wait_quiet(pid: int, *, window: float = 0.5, cpu_share: float = 0.02,
               timeout: float = 120.0) -> float:
    """Wait until pid uses < cpu_share of a core over `window` (e.g. its start-up scan ended)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        before = cpu_seconds(pid)
        time.sleep(window)
        if cpu_seconds(pid) - before < cpu_share * window:
            break
    return time.monotonic() - started


def answers_200(port: int, path: str, timeout: float = 5.0) -> bool:
    """One GET of `path` on loopback `port` over a fresh connection: did it answer 200?"""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            conn.request("GET", path)
            return conn.getresponse().status == 200
        finally:
            conn.close()
    except OSError:
        return False
