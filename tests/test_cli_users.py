"""`ampmini adduser/deluser/passwd/users`: the real command, on a temporary config and database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Api

AMPMINI = Path(sys.executable).with_name("ampmini")

CONFIG = """# my Pi
[server]
host = 127.0.0.1
port = 0

[database]
path = {db}

[library]
roots = {root}
rescan_interval = 0
watch = false

# phones
[apikeys]
# one line per user
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "music").mkdir()
    path = tmp_path / "ampmini.conf"
    path.write_text(CONFIG.format(db=tmp_path / "a.db", root=tmp_path / "music"))
    path.chmod(0o600)
    return path


def run(config: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(AMPMINI), "--config", str(config), *args],
        input=stdin, capture_output=True, text=True, timeout=60, check=False,
    )


def test_adduser_users_passwd_deluser(config: Path) -> None:
    made = run(config, "adduser", "root", "--admin", "--password-stdin", stdin="pw-one\n")
    assert made.returncode == 0, made.stderr
    assert "level 100" in made.stdout
    assert run(config, "adduser", "kid", "--level", "5", "--password-stdin",
               stdin="kid-pw\n").returncode == 0
    listing = run(config, "users").stdout
    assert "root" in listing
    assert "admin" in listing
    assert "kid" in listing
    assert "guest" in listing
    dup = run(config, "adduser", "KID", "--password-stdin", stdin="x\n")
    assert dup.returncode == 2
    assert "already exists" in dup.stderr
    bad = run(config, "adduser", "bad name\t", "--password-stdin", stdin="x\n")
    assert bad.returncode == 2
    assert run(config, "passwd", "kid", "--password-stdin", stdin="kid-pw-2\n").returncode == 0
    last = run(config, "deluser", "root")
    assert last.returncode == 2
    assert "last admin" in last.stderr
    assert run(config, "deluser", "kid").returncode == 0
    assert "kid" not in run(config, "users").stdout


def test_adduser_apikey_keeps_comments(config: Path) -> None:
    before = config.read_text()
    made = run(config, "adduser", "mum", "--admin", "--apikey", "--password-stdin",
               stdin="mum-pw\n")
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip().rsplit(" ", 1)[-1]
    text = config.read_text()
    assert f"mum = {key}" in text
    for line in before.splitlines():
        assert line in text.splitlines()
    assert (config.stat().st_mode & 0o777) == 0o600
    assert run(config, "adduser", "dad", "--password-stdin", stdin="dad-pw\n").returncode == 0
    assert run(config, "deluser", "dad").returncode == 0
    assert f"mum = {key}" in config.read_text()


def test_cli_and_api_share_one_account_model(config: Path) -> None:
    """A user the CLI made logs in over the API; a password the CLI changed works there."""
    from ampmini.config import ConfigHolder
    from ampmini.db import open_database
    from ampmini.sendfile import serve_background
    from ampmini.server import build

    assert run(config, "adduser", "nan", "--admin", "--apikey", "--password-stdin",
               stdin="nan-pw\n").returncode == 0
    holder = ConfigHolder(config)
    db = open_database(holder.current.database.path)
    _, app = build(holder, db)
    try:
        with serve_background(app, threads=2) as wsgi:
            api = Api(f"http://127.0.0.1:{wsgi.effective_port}")
            token = api.login("NAN", "nan-pw")
            body: Any = api.json("user_create", auth=token, username="tom", password="tom-pw",
                                 email="tom@example.org")
            assert body == {"success": "successfully created: tom"}
            assert "tom" in run(config, "users").stdout
            assert run(config, "passwd", "tom", "--password-stdin",
                       stdin="tom-pw-2\n").returncode == 0
            assert api.login("tom", "tom-pw-2")
            assert api.json("user_delete", auth=token, username="tom")["success"]
            assert "tom" not in run(config, "users").stdout
    finally:
        db.close()
