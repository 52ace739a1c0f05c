"""Shared fixtures: a generated music library, a scanned database, the real server on loopback.

The library (scripts/make_library.py, test profile) holds real tiny audio files in six
formats with real tags; its edge cases — multi-disc, compilations with and without an album
artist, non-ASCII and &"'<>]]> names, several genres, embedded and folder art, corrupt,
empty and untagged files — are listed in that module's docstring and in manifest.json.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

REPO = Path(__file__).resolve().parent.parent
SCRIPTS = REPO / "scripts"

ADMIN = ("admin", "admin-secret-pw")
USER = ("alice", "alice-secret-pw")
GUEST = ("guest", "guest-secret-pw")
ADMIN_KEY = "0123456789abcdef0123456789abcdef"


def load_make_library() -> Any:
    """scripts/ is not a package; register the module so its worker processes find it."""
    if "make_library" in sys.modules:
        return sys.modules["make_library"]
    spec = importlib.util.spec_from_file_location("make_library", SCRIPTS / "make_library.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_library"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Any]:
    """A fresh, migrated, empty database of the test's own (scanner and watcher tests)."""
    from ampmini.db import open_database

    database = open_database(tmp_path / "ampmini.db")
    yield database
    database.close()


@pytest.fixture(scope="session")
def library(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The generated test library: {'root': Path, 'manifest': dict}."""
    root = tmp_path_factory.mktemp("music")
    manifest = load_make_library().make_library(root, profile="test")
    return {"root": root, "manifest": manifest}


def write_config(path: Path, root: Path, db: Path, extra: str = "") -> Path:
    path.write_text(
        "[server]\nhost = 127.0.0.1\nport = 0\n\n"
        f"[database]\npath = {db}\n\n"
        f"[library]\nroots = {root}\nrescan_interval = 0\nwatch = false\n\n"
        f"[apikeys]\n{ADMIN[0]} = {ADMIN_KEY}\n" + extra,
        encoding="utf-8",
    )
    return path


class Api:
    """Talks to the server as clients do: GET /server/{xml,json}.server.php?action=…"""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()

    def raw(self, fmt: str, action: str, **params: Any) -> requests.Response:
        params = {"action": action, **{k: v for k, v in params.items() if v is not None}}
        return self.http.get(f"{self.base}/server/{fmt}.server.php", params=params, timeout=30)

    def json(self, action: str, **params: Any) -> Any:
        response = self.raw("json", action, **params)
        assert response.status_code == 200, response.text
        return response.json()

    def xml(self, action: str, **params: Any) -> ET.Element:
        response = self.raw("xml", action, **params)
        assert response.status_code == 200, response.text
        return ET.fromstring(response.content)

    def handshake(self, user: str, password: str, **params: Any) -> dict[str, Any]:
        stamp = str(int(time.time()))
        digest = hashlib.sha256(password.encode()).hexdigest()
        auth = hashlib.sha256((stamp + digest).encode()).hexdigest()
        return self.json("handshake", user=user, auth=auth, timestamp=stamp, **params)

    def login(self, user: str, password: str, **params: Any) -> str:
        answer = self.handshake(user, password, **params)
        assert "auth" in answer, answer
        return answer["auth"]


@contextlib.contextmanager
def running_server(
    root: Path, state: Path, extra_config: str = "",
    users: tuple[tuple[str, str, int], ...] = (), threads: int = 2,
) -> Iterator[Any]:
    """A server of a test's own over `root` (a copy: the shared library stays untouched),
    scanned, with `users` (name, password, level); yields `.base .db .holder .api`."""
    from ampmini.accounts import add_user
    from ampmini.catalogs import all_roots
    from ampmini.config import ConfigHolder
    from ampmini.db import open_database
    from ampmini.library.scanner import scan
    from ampmini.sendfile import serve_background
    from ampmini.server import build

    config = write_config(state / "ampmini.conf", root, state / "ampmini.db", extra_config)
    holder = ConfigHolder(config)
    db = open_database(holder.current.database.path)
    try:
        scan(db, all_roots(db, holder.current))
        for name, password, level in users:
            add_user(db, name, password, access=level)
        _server, app = build(holder, db)
        with serve_background(app, threads=threads) as wsgi:
            base = f"http://127.0.0.1:{wsgi.effective_port}"
            yield type("Running", (), {"base": base, "db": db, "holder": holder,
                                       "config_path": config, "api": Api(base)})
    finally:
        db.close()


@pytest.fixture(scope="session")
def server(library: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The real app on 127.0.0.1 (sendfile server), with the library scanned and 3 users."""
    from ampmini.accounts import add_user
    from ampmini.config import ConfigHolder
    from ampmini.db import open_database
    from ampmini.library.scanner import scan
    from ampmini.sendfile import serve_background
    from ampmini.server import build

    state = tmp_path_factory.mktemp("state")
    config_path = write_config(state / "ampmini.conf", library["root"], state / "ampmini.db")
    holder = ConfigHolder(config_path)
    db = open_database(holder.current.database.path)
    scan(db, holder.current.library.roots)
    add_user(db, *ADMIN, access=100, email="admin@example.org")
    add_user(db, *USER, access=25, email="alice@example.org")
    add_user(db, *GUEST, access=5)
    dispatch_server, app = build(holder, db)
    with serve_background(app, threads=4) as wsgi:
        base = f"http://127.0.0.1:{wsgi.effective_port}"
        yield type(
            "Running", (), {"base": base, "db": db, "holder": holder, "server": dispatch_server,
                            "config_path": config_path, "state": state},
        )
    db.close()


@pytest.fixture(scope="session")
def api(server: Any) -> Api:
    return Api(server.base)


@pytest.fixture(scope="session")
def token(api: Api) -> str:
    """An API session of the ordinary user."""
    return api.login(*USER)


@pytest.fixture(scope="session")
def admin_token(api: Api) -> str:
    return api.login(*ADMIN)
