"""One ampmini under test: a temp config and database, the `ampmini` CLI in subprocesses, HTTP."""

from __future__ import annotations

import hashlib
import http.client
import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from . import procs

USER = ("bench", "bench-secret-pw")
ADMIN = ("benchadmin", "bench-admin-pw")  # podcast_create needs level 75


def ampmini_cmd(config: Path, *args: str) -> list[str]:
    """The CLI as an operator runs it (same interpreter: the repo's venv)."""
    return [sys.executable, "-m", "ampmini.cli", "--config", str(config), *args]


def write_config(path: Path, *, roots: list[Path], db: Path, port: int, watch: bool) -> Path:
    roots_text = "\n    ".join(str(r) for r in roots)
    path.write_text(
        f"[server]\nhost = 127.0.0.1\nport = {port}\nlog_level = warning\n\n"
        f"[database]\npath = {db}\n\n"
        f"[library]\nroots =\n    {roots_text}\nrescan_interval = 0\n"
        f"watch = {'true' if watch else 'false'}\n\n"
        # Issue 10's refresh row: feeds come from the bench's loopback server, and with
        # keep_episodes = 0 no episode is ever downloaded; refreshes happen only on request.
        "[features]\npodcast = true\n\n"
        "[podcast]\nrefresh_interval = 0\nkeep_episodes = 0\nmax_episode_size = 1048576\n"
        "timeout = 10\n",
        encoding="utf-8",
    )
    return path


def add_user(config: Path, name: str, password: str, *, admin: bool = False) -> None:
    subprocess.run(ampmini_cmd(config, "adduser", name, "--password-stdin",
                               *(["--admin"] if admin else [])),
                   input=password + "\n", text=True, check=True, capture_output=True)


class Client:
    """A keep-alive HTTP/1.1 client: cheaper per request than requests, so it skews less."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        self.token = ""

    def get(self, target: str) -> tuple[int, bytes]:
        for attempt in (1, 2):
            try:
                self.conn.request("GET", target)
                response = self.conn.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()  # the server closed a kept-alive connection: retry once
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def api(self, fmt: str, action: str, **params: Any) -> tuple[int, bytes]:
        query = {"action": action, **params}
        if self.token:
            query["auth"] = self.token
        return self.get(f"/server/{fmt}.server.php?{urlencode(query)}")

    def json(self, action: str, **params: Any) -> Any:
        status, body = self.api("json", action, **params)
        if status != 200:
            raise RuntimeError(f"{action}: HTTP {status}")
        data = json.loads(body)
        if isinstance(data, dict) and "error" in data:
            raise RuntimeError(f"{action}: {data['error']}")
        return data

    def login(self, user: str, password: str) -> str:
        stamp = str(int(time.time()))
        digest = hashlib.sha256(password.encode()).hexdigest()
        auth = hashlib.sha256((stamp + digest).encode()).hexdigest()
        self.token = ""
        answer = self.json("handshake", user=user, auth=auth, timestamp=stamp)
        self.token = answer["auth"]
        return self.token

    def close(self) -> None:
        self.conn.close()


@dataclass
class Server:
    """`ampmini serve` in a subprocess; `started_s` = spawn → first answered ping."""

    proc: subprocess.Popen[Any]
    base: str
    started_s: float
    stderr_path: Path
    clients: list[Client] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def client(self, login: bool = True) -> Client:
        c = Client(self.base)
        if login:
            c.login(*USER)
        self.clients.append(c)
        return c

    def stop(self) -> None:
        for c in self.clients:
            c.close()
        procs.stop(self.proc)


def start_server(config: Path, port: int, log_dir: Path, *, timeout: float = 60.0) -> Server:
    """Spawn `ampmini serve` and poll ping (fresh connection each try) until it answers 200."""
    stderr_path = log_dir / f"serve-{port}.log"
    with stderr_path.open("wb") as err:
        t0 = time.perf_counter()
        proc = procs.spawn(ampmini_cmd(config, "serve"), stdout=subprocess.DEVNULL, stderr=err)
    base = f"http://127.0.0.1:{port}"
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"ampmini serve exited: {stderr_path.read_text()[-2000:]}")
        if procs.answers_200(port, "/server/json.server.php?action=ping"):
            return Server(proc, base, time.perf_counter() - t0, stderr_path)
        if time.perf_counter() - t0 > timeout:
            procs.stop(proc)
            raise RuntimeError(f"ampmini serve did not answer ping within {timeout:.0f} s")
        time.sleep(0.005)
