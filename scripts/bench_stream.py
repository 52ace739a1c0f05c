"""Measure server CPU per GB and throughput of file streaming: stock waitress vs ampmini.sendfile.

Usage:  .venv/bin/python scripts/bench_stream.py [--size-mb 64] [--clients 1 16] [--repeat 4]

The server runs in a child process (so only its CPU is counted: utime + stime from
/proc/<pid>/stat); clients are separate processes reading into a reused buffer with ``recv_into``
over keep-alive connections on loopback. Linux only (/proc). ``measure_stream_cpu`` is the
reusable entry point for the project benchmark.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_HERE = Path(__file__).resolve()
_REPO = _HERE.parent.parent


def _serve(path: str, use_sendfile: bool, threads: int) -> None:
    """Child process: serve ``path`` at /file and print the port."""
    sys.path.insert(0, str(_REPO))
    import logging

    import bottle

    from ampmini import sendfile
    from ampmini.stream import send_file

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth" noise
    app = bottle.Bottle()

    @app.route("/file")
    def file_route() -> bottle.HTTPResponse:
        return send_file(bottle.request, path, "audio/flac")

    make = sendfile.create_server if use_sendfile else __import__("waitress").create_server
    server = make(app, host="127.0.0.1", port=0, threads=threads)
    print(server.effective_port, flush=True)
    server.run()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


def _client(port: int, requests: int, expected: int) -> int:
    """Download /file ``requests`` times on one keep-alive connection; return bytes received."""
    buf = bytearray(1 << 20)
    view = memoryview(buf)
    total = 0
    with socket.create_connection(("127.0.0.1", port)) as s:
        for _ in range(requests):
            s.sendall(b"GET /file HTTP/1.1\r\nHost: bench\r\n\r\n")
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = s.recv(4096)
                if not chunk:
                    raise ConnectionError("server closed early")
                head += chunk
            header, _, rest = head.partition(b"\r\n\r\n")
            length = next(
                int(line.split(b":", 1)[1])
                for line in header.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            if length != expected:
                raise ValueError(f"Content-Length {length} != {expected}")
            got = len(rest)
            while got < length:
                n = s.recv_into(view, min(len(buf), length - got))
                if not n:
                    raise ConnectionError("short body")
                got += n
            total += got
    return total


def measure_stream_cpu(
    *,
    size_mb: int = 64,
    clients: int = 1,
    requests_per_client: int = 4,
    use_sendfile: bool = True,
    threads: int = 4,
    path: str | None = None,
) -> dict[str, float]:
    """Serve one file to ``clients`` parallel keep-alive clients; report server CPU and speed.

    Returns ``bytes``, ``wall_s``, ``server_cpu_s``, ``cpu_s_per_gb`` (server CPU seconds per GB
    sent, 1 GB = 1e9 bytes) and ``mb_per_s`` (MB/s = 1e6 bytes/s, all clients together).
    """
    with tempfile.TemporaryDirectory() as tmp:
        if path is None:
            path = os.path.join(tmp, "bench.bin")
            with open(path, "wb") as f:
                for _ in range(size_mb):
                    f.write(os.urandom(1 << 20))
        size = os.path.getsize(path)
        proc = subprocess.Popen(
            [sys.executable, str(_HERE), "--serve", path, "--sendfile", str(int(use_sendfile)),
             "--threads", str(threads)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout is not None
            port = int(proc.stdout.readline())
            _client(port, 1, size)  # warm-up: page cache, imports, first connection
            ctx = multiprocessing.get_context("fork")
            with ctx.Pool(clients) as pool:
                cpu0, t0 = _cpu_seconds(proc.pid), time.perf_counter()
                results = pool.starmap(_client, [(port, requests_per_client, size)] * clients)
                wall, cpu = time.perf_counter() - t0, _cpu_seconds(proc.pid) - cpu0
        finally:
            proc.kill()
            proc.wait()
    sent = sum(results)
    return {
        "bytes": sent,
        "wall_s": wall,
        "server_cpu_s": cpu,
        "cpu_s_per_gb": cpu / (sent / 1e9),
        "mb_per_s": sent / 1e6 / wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--sendfile", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--size-mb", type=int, default=64)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--repeat", type=int, default=4, help="downloads per client")
    args = parser.parse_args()
    if args.serve:
        _serve(args.serve, bool(args.sendfile), args.threads)
        return
    print(f"file {args.size_mb} MiB, {args.repeat} downloads per client, loopback")
    print(f"{'server':<10}{'clients':>8}{'GB sent':>10}{'CPU s/GB':>10}{'MB/s':>10}")
    for clients in args.clients:
        for use_sendfile in (False, True):
            r = measure_stream_cpu(
                size_mb=args.size_mb, clients=clients, requests_per_client=args.repeat,
                use_sendfile=use_sendfile, threads=args.threads,
            )
            name = "sendfile" if use_sendfile else "stock"
            print(f"{name:<10}{clients:>8}{r['bytes'] / 1e9:>10.2f}{r['cpu_s_per_gb']:>10.3f}"
                  f"{r['mb_per_s']:>10.0f}")


if __name__ == "__main__":
    main()
