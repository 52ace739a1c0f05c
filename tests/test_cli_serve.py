"""The `ampmini` command as an admin uses it: serve with no set-up, scan, reload on SIGHUP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import REPO, load_make_library

AMPMINI = [sys.executable, "-m", "ampmini.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_ping(url: str, proc: subprocess.Popen, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited with {proc.returncode}")
        try:
            return requests.get(f"{url}/server/json.server.php?action=ping", timeout=1).json()
        except requests.ConnectionError:
            time.sleep(0.05)
    raise AssertionError("server did not answer in time")


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_serve_runs_on_the_embedded_default_with_no_setup(tmp_path: Path) -> None:
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 4647)) == 0:
            pytest.skip("port 4647 (the default) is in use on this machine")
    env = {**os.environ, "HOME": str(tmp_path), "PYTHONPATH": str(REPO)}
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "AMPMINI_CONFIG"):
        env.pop(var, None)
    (tmp_path / "Music").mkdir()
    proc = subprocess.Popen([*AMPMINI, "serve"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        assert wait_for_ping("http://127.0.0.1:4647", proc)["compatible"] == "350001"
        database = tmp_path / ".local" / "share" / "ampmini" / "ampmini.db"
        assert database.exists()
        assert (database.stat().st_mode & 0o777) == 0o600
    finally:
        stop(proc)


def write_config(tmp_path: Path, music: Path, port: int, extra: str = "") -> Path:
    config = tmp_path / "ampmini.conf"
    config.write_text(
        f"# a comment the admin wrote\n[server]\nhost = 127.0.0.1\nport = {port}\n\n"
        f"[database]\npath = {tmp_path / 'db.sqlite'}\n\n"
        f"[library]\nroots = {music}\nrescan_interval = 0\nwatch = false\n{extra}",
        encoding="utf-8",
    )
    return config


def test_scan_then_serve_then_reload_on_sighup(tmp_path: Path) -> None:
    music = tmp_path / "music"
    load_make_library().make_library(music, profile="test")
    port = free_port()
    config = write_config(tmp_path, music, port)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    scan = subprocess.run([*AMPMINI, "--config", str(config), "scan"], env=env,
                          capture_output=True, text=True, check=True)
    assert "41 added" in scan.stdout
    again = subprocess.run([*AMPMINI, "--config", str(config), "scan"], env=env,
                           capture_output=True, text=True, check=True)
    assert "0 added, 0 updated" in again.stdout
    subprocess.run([*AMPMINI, "--config", str(config), "adduser", "ops", "--admin",
                    "--password-stdin"], input="pw-ops-123\n", env=env, text=True, check=True)
    proc = subprocess.Popen([*AMPMINI, "--config", str(config), "serve", "--no-scan"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_ping(url, proc)
        key = "feedfacefeedfacefeedfacefeedface"
        refused = requests.get(f"{url}/server/json.server.php",
                               params={"action": "handshake", "auth": key}, timeout=5).json()
        assert refused["error"]["errorCode"] == "4701"
        with config.open("a", encoding="utf-8") as handle:
            handle.write(f"\n[apikeys]\nops = {key}\n")
        proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        answer: dict = {}
        while time.monotonic() < deadline:
            answer = requests.get(f"{url}/server/json.server.php",
                                  params={"action": "handshake", "auth": key}, timeout=5).json()
            if "auth" in answer:
                break
            time.sleep(0.1)
        assert answer.get("username") == "ops", answer
        assert answer["songs"] == 41
    finally:
        stop(proc)


def test_bad_config_names_the_line(tmp_path: Path) -> None:
    config = write_config(tmp_path, tmp_path, free_port(), "\n[acl]\nlan = 10.0.0.0/33 all 100\n")
    result = subprocess.run([*AMPMINI, "--config", str(config), "scan"], capture_output=True,
                            text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, check=False)
    assert result.returncode != 0
    assert "ampmini.conf:15" in result.stderr and "lan" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_on_a_port_in_use_says_so_without_a_traceback(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = write_config(tmp_path, tmp_path, port)
        result = subprocess.run([*AMPMINI, "--config", str(config), "serve", "--no-scan"],
                                capture_output=True, text=True, timeout=60,
                                env={**os.environ, "PYTHONPATH": str(REPO)}, check=False)
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
