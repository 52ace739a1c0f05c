"""user, users, user_create/edit/update/delete, register, lost_password, system_update over HTTP.

A server of its own (no library needed): these tests rewrite its config file's [apikeys] and
create, disable and delete users, which must not disturb the shared session server.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ampache
import pytest

from tests.conftest import ADMIN, ADMIN_KEY, GUEST, USER, Api
from tests.shapes import assert_json_like, assert_xml_like

COMMENTED_CONFIG = """# household music server
[server]
host = 127.0.0.1
port = 0

[database]
path = {db}

[library]
# nothing to scan here
roots = {root}
rescan_interval = 0
watch = false

[features]
{features}

# keys for the phones
[apikeys]
{admin} = {key}
"""


class Running:
    """A started server: base URL, its Database, ConfigHolder and config path."""

    def __init__(self, base: str, db: Any, holder: Any, config_path: Path) -> None:
        self.base, self.db, self.holder, self.config_path = base, db, holder, config_path
        self.api = Api(base)


@contextlib.contextmanager
def start_server(state: Path, features: str = "") -> Iterator[Running]:
    """A real ampmini on 127.0.0.1 with users admin/alice/guest (as conftest's)."""
    from ampmini.accounts import add_user
    from ampmini.config import ConfigHolder
    from ampmini.db import open_database
    from ampmini.sendfile import serve_background
    from ampmini.server import build

    root = state / "music"
    root.mkdir(parents=True, exist_ok=True)
    config_path = state / "ampmini.conf"
    config_path.write_text(
        COMMENTED_CONFIG.format(db=state / "ampmini.db", root=root, features=features,
                                admin=ADMIN[0], key=ADMIN_KEY),
        encoding="utf-8",
    )
    config_path.chmod(0o600)
    holder = ConfigHolder(config_path)
    db = open_database(holder.current.database.path)
    add_user(db, *ADMIN, access=100, email="admin@example.org")
    add_user(db, *USER, access=25, email="alice@example.org")
    add_user(db, *GUEST, access=5)
    _, app = build(holder, db)
    with serve_background(app, threads=4) as wsgi:
        yield Running(f"http://127.0.0.1:{wsgi.effective_port}", db, holder, config_path)
    db.close()


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with start_server(tmp_path_factory.mktemp("users")) as running:
        yield running


@pytest.fixture(scope="module")
def admin(own: Running) -> str:
    return own.api.login(*ADMIN)


@pytest.fixture(scope="module")
def alice(own: Running) -> str:
    return own.api.login(*USER)


def error_code(body: Any) -> str:
    return body["error"]["errorCode"] if isinstance(body, dict) and "error" in body else ""


def make_user(own: Running, admin: str, name: str, **extra: Any) -> dict[str, Any]:
    body = own.api.json("user_create", auth=admin, username=name, password=f"{name}-pw-1",
                        email=f"{name}@example.org", **extra)
    assert body == {"success": f"successfully created: {name}"}, body
    return own.api.json("user", auth=admin, username=name)


# ------------------------------------------------------------------------------ user / users


def test_user_self_matches_the_example_in_both_formats(own: Running, alice: str) -> None:
    body = own.api.json("user", auth=alice)
    assert_json_like(body, "user")
    assert body["username"] == "alice"
    assert body["email"] == "alice@example.org"
    assert "fullname" not in body  # JSON: only a public full name (§8.7)
    assert_xml_like(own.api.raw("xml", "user", auth=alice).content, "user")


def test_admin_sees_a_disabled_user_in_full(own: Running, admin: str) -> None:
    make_user(own, admin, "dora", disable=1)
    body = own.api.json("user", auth=admin, username="DORA")  # names are case-insensitive
    assert_json_like(body, "user (disabled)")
    assert body["disabled"] is True
    assert body["streamtoken"]
    assert_xml_like(own.api.raw("xml", "user", auth=admin, filter="dora").content,
                    "user (disabled)")


def test_a_user_never_sees_another_users_secrets(own: Running, alice: str) -> None:
    body = own.api.json("user", auth=alice, username="admin")
    assert body["username"] == "admin"
    for secret in ("auth", "email", "streamtoken", "access", "disabled"):
        assert secret not in body
    root = own.api.xml("user", auth=alice, username="admin")
    assert root.find("user/email") is None
    assert root.find("user/auth") is None


def test_unknown_user_is_4704(own: Running, alice: str) -> None:
    body = own.api.json("user", auth=alice, username="missing_user")
    assert_json_like(body, "user (error)")
    assert body["error"]["errorType"] == "username"
    assert_xml_like(own.api.raw("xml", "user", auth=alice, username="nobody").content,
                    "user (error)")


def test_users_lists_enabled_users_only(own: Running, alice: str, admin: str) -> None:
    make_user(own, admin, "erin", disable=1)
    body = own.api.json("users", auth=alice)
    assert_json_like(body, "users")
    names = [u["username"] for u in body["user"]]
    assert {"admin", "alice", "guest"} <= set(names)
    assert "erin" not in names
    assert_xml_like(own.api.raw("xml", "users", auth=alice).content, "users")


# ------------------------------------------------------------------------------ create


def test_user_create_then_login_with_sha256_or_plain_password(own: Running, admin: str) -> None:
    digest = hashlib.sha256(b"frank-pass").hexdigest()
    body = own.api.json("user_create", auth=admin, username="frank", password=digest,
                        email="frank@example.org", fullname="Frank F")
    assert_json_like(body, "user_create")
    assert own.api.login("frank", "frank-pass")
    xml = own.api.raw("xml", "user_create", auth=admin, username="gina", password="plain-pw",
                      email="gina@example.org")
    assert_xml_like(xml.content, "user_create")
    assert own.api.login("gina", "plain-pw")
    assert own.api.json("user", auth=admin, username="gina")["access"] == 25


def test_user_create_refuses_duplicates_and_bad_email(own: Running, admin: str) -> None:
    body = own.api.json("user_create", auth=admin, username="ALICE", password="x",
                        email="a@example.org")
    assert_json_like(body, "user_create (error)")
    assert body["error"]["errorType"] == "username"
    assert body["error"]["errorMessage"] == "Bad Request: ALICE"
    bad = own.api.json("user_create", auth=admin, username="hugo", password="x", email="nope")
    assert bad["error"]["errorCode"] == "4710"
    assert bad["error"]["errorType"] == "email"
    missing = own.api.json("user_create", auth=admin, username="hugo", password="x")
    assert missing["error"]["errorMessage"] == "Bad Request: email"
    assert_xml_like(own.api.raw("xml", "user_create", auth=admin, username="alice",
                                password="x", email="a@example.org").content,
                    "user_create (error)")


@pytest.mark.parametrize(
    ("action", "example"),
    [("user_create", "user_create (access error)"), ("user_edit", "user_edit (access error)"),
     ("user_update", "user_update (access error)"), ("user_delete", "user_delete (access error)"),
     ("system_update", "error-4742")],
)
def test_admin_actions_refuse_a_plain_user(own: Running, alice: str, action: str,
                                           example: str) -> None:
    body = own.api.json(action, auth=alice, username="alice", password="x", email="a@b.org",
                        disable=0)
    assert body["error"] == {"errorCode": "4742", "errorAction": action,
                             "errorType": "account", "errorMessage": "Require: 100"}
    if example != "error-4742":
        assert_json_like(body, example)
        assert_xml_like(own.api.raw("xml", action, auth=alice, username="x").content, example)


# ------------------------------------------------------------------------------ edit


def test_user_edit_changes_profile_fields(own: Running, admin: str) -> None:
    make_user(own, admin, "ivan")
    body = own.api.json("user_edit", auth=admin, filter="ivan", fullname="Ivan I",
                        email="ivan@home.example.org", website="https://ivan.example.org",
                        state="Bavaria", city="Munich", maxbitrate=192, fullname_public=1)
    assert_json_like(body, "user_edit")
    shown = own.api.json("user", auth=admin, username="ivan")
    assert (shown["email"], shown["website"], shown["state"], shown["city"]) == (
        "ivan@home.example.org", "https://ivan.example.org", "Bavaria", "Munich")
    assert shown["fullname_public"] is True
    assert shown["fullname"] == "Ivan I"
    row = own.db.reader().execute("SELECT maxbitrate FROM user WHERE username = 'ivan'")
    assert row.fetchone()[0] == 192
    xml = own.api.raw("xml", "user_update", auth=admin, username="ivan", city="Bonn")
    assert_xml_like(xml.content, "user_update")
    assert own.api.json("user", auth=admin, username="ivan")["city"] == "Bonn"
    bad = own.api.json("user_edit", auth=admin, username="ivan", email="not-an-address")
    assert bad["error"]["errorType"] == "email"


def test_user_edit_unknown_user_and_admin_password(own: Running, admin: str) -> None:
    unknown = own.api.json("user_edit", auth=admin, username="ghost", city="x")
    assert unknown["error"]["errorCode"] == "4710"
    assert unknown["error"]["errorType"] == "system"
    refused = own.api.json("user_edit", auth=admin, username="admin", password="new-pw")
    assert refused["error"]["errorCode"] == "4710"
    assert own.api.login(*ADMIN)  # unchanged


def test_password_change_ends_the_users_sessions(own: Running, admin: str) -> None:
    make_user(own, admin, "jane")
    session = own.api.login("jane", "jane-pw-1")
    assert own.api.json("user_edit", auth=admin, username="jane", password="jane-pw-2") == {
        "success": "successfully updated: jane"}
    assert error_code(own.api.json("user", auth=session)) == "4701"
    assert own.api.login("jane", "jane-pw-2")


def test_disabling_stops_sessions_and_stream_tokens_at_once(own: Running, admin: str) -> None:
    created = make_user(own, admin, "kate")
    session = own.api.login("kate", "kate-pw-1")
    assert own.api.json("user", auth=session)["username"] == "kate"
    own.api.json("user_edit", auth=admin, username="kate", disable=1)
    assert error_code(own.api.json("user", auth=session)) == "4701"
    after = own.api.json("user", auth=admin, username="kate")
    assert after["disabled"] is True
    assert after["streamtoken"] != created["streamtoken"]
    assert error_code(own.api.handshake("kate", "kate-pw-1")) == "4701"
    own.api.json("user_edit", auth=admin, username="kate", disable=0)
    assert own.api.login("kate", "kate-pw-1")


def test_reset_streamtoken_and_clear_stats(own: Running, admin: str) -> None:
    from ampmini import plays

    before = make_user(own, admin, "liam")
    plays.record(own.db, before["id"] and int(before["id"]), "song", 424242)
    own.api.json("user_edit", auth=admin, username="liam", reset_streamtoken=1, clear_stats=1)
    after = own.api.json("user", auth=admin, username="liam")
    assert after["streamtoken"] != before["streamtoken"]
    conn = own.db.reader()
    assert conn.execute("SELECT COUNT(*) FROM play WHERE user_id = ?",
                        (int(after["id"]),)).fetchone()[0] == 0
    assert conn.execute("SELECT plays FROM play_count WHERE object_id = 424242").fetchone()[0] == 0


def test_admin_cannot_disable_itself(own: Running, admin: str) -> None:
    body = own.api.json("user_edit", auth=admin, username="admin", disable=1)
    assert body["error"]["errorCode"] == "4710"
    assert own.api.json("user", auth=admin)["disabled"] is False


# ------------------------------------------------------------------------------ API keys


def test_reset_apikey_rewrites_the_config_and_takes_effect_at_once(
    own: Running, admin: str
) -> None:
    make_user(own, admin, "mona")
    text_before = own.config_path.read_text()
    body = own.api.json("user_edit", auth=admin, username="mona", reset_apikey=1)
    assert body == {"success": "successfully updated: mona"}
    text = own.config_path.read_text()
    for line in text_before.splitlines():  # every comment, blank line and key kept
        assert line in text.splitlines()
    assert (own.config_path.stat().st_mode & 0o777) == 0o600
    key = own.api.json("user", auth=admin, username="mona")["auth"]
    assert key
    assert f"mona = {key}" in text
    session = own.api.json("handshake", auth=key)["auth"]  # the running server knows it
    assert own.api.json("user", auth=session)["username"] == "mona"
    own.api.json("user_edit", auth=admin, username="mona", reset_apikey=1)
    assert error_code(own.api.json("handshake", auth=key)) == "4701"  # old key gone


def _make_readonly(path: Path) -> bool:
    if os.geteuid() != 0:
        path.chmod(0o400)
        return True
    # root writes through any mode; the immutable attribute stops it
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    return done.returncode == 0


def _make_writable(path: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)
    path.chmod(0o600)


def test_read_only_config_gives_a_clean_4710_and_changes_nothing(
    own: Running, admin: str
) -> None:
    make_user(own, admin, "nina")
    before = own.config_path.read_bytes()
    if not _make_readonly(own.config_path):
        pytest.skip("cannot make the config file read-only here")
    try:
        body = own.api.json("user_edit", auth=admin, username="nina", reset_apikey=1,
                            city="Paris")
        deleted = own.api.json("user_delete", auth=admin, username="mona")
    finally:
        _make_writable(own.config_path)
    assert body["error"]["errorCode"] == "4710"
    assert body["error"]["errorType"] == "system"
    assert "not writable" in body["error"]["errorMessage"]
    assert own.config_path.read_bytes() == before
    nina = own.api.json("user", auth=admin, username="nina")
    assert nina["city"] is None
    assert nina["auth"] is None
    if "mona" in own.holder.current.apikeys:  # mona has a key: her deletion is refused too
        assert deleted["error"]["errorCode"] == "4710"
        assert own.api.json("user", auth=admin, username="mona")["username"] == "mona"


# ------------------------------------------------------------------------------ delete


def test_user_delete(own: Running, admin: str) -> None:
    from ampmini import plays

    created = make_user(own, admin, "olga")
    olga_id = int(created["id"])
    own.api.json("user_edit", auth=admin, username="olga", reset_apikey=1)
    session = own.api.login("olga", "olga-pw-1")
    plays.record(own.db, olga_id, "song", 515151)
    body = own.api.json("user_delete", auth=admin, username="olga")
    assert_json_like(body, "user_delete")
    assert error_code(own.api.json("user", auth=session)) == "4701"
    assert "olga" not in own.holder.current.apikeys
    assert "olga" not in own.config_path.read_text()
    conn = own.db.reader()
    assert conn.execute("SELECT plays FROM play_count WHERE object_id = 515151").fetchone()[0] == 1
    make_user(own, admin, "pete")
    assert_xml_like(own.api.raw("xml", "user_delete", auth=admin, filter="pete").content,
                    "user_delete")


def test_user_delete_refuses_self_admins_and_unknown(own: Running, admin: str) -> None:
    for name in ("admin", "ghost"):
        body = own.api.json("user_delete", auth=admin, username=name)
        assert body["error"]["errorCode"] == "4710", body
    assert own.api.json("user", auth=admin)["username"] == "admin"


# ------------------------------------------------------------------------------ public


def test_register_is_off_by_default(own: Running) -> None:
    body = own.api.json("register", username="quinn", password="pw", email="q@example.org")
    assert body["error"]["errorCode"] == "4703"
    assert body["error"]["errorMessage"] == "Enable: allow_public_registration"


def test_register_when_allowed(tmp_path: Path) -> None:
    with start_server(tmp_path, "allow_public_registration = true") as running:
        api = running.api
        body = api.json("register", username="rosa", password="rosa-pw", email="r@example.org")
        assert body == {"success": "Please wait for an administrator to activate your account"}
        assert error_code(api.handshake("rosa", "rosa-pw")) == "4701"  # disabled until enabled
        dup = api.json("register", username="ROSA", password="x", email="r2@example.org")
        assert_json_like(dup, "register (error)")
        assert_xml_like(api.raw("xml", "register", username="rosa", password="x",
                                email="r@example.org").content, "register (error)")
        bad = api.json("register", username="sam", password="x", email="sam-at-home")
        assert bad["error"]["errorType"] == "email"
        admin = api.login(*ADMIN)
        api.json("user_edit", auth=admin, username="rosa", disable=0)
        assert api.login("rosa", "rosa-pw")


def test_lost_password_and_system_update(own: Running, admin: str) -> None:
    body = own.api.json("lost_password", auth="0" * 64)
    assert body["error"]["errorCode"] == "4703"
    update = own.api.json("system_update", auth=admin)
    assert_json_like(update, "system_update")
    assert_xml_like(own.api.raw("xml", "system_update", auth=admin).content, "system_update")


# ------------------------------------------------------------------------------ client library


def test_ampache_client_library_user_admin(own: Running) -> None:
    client = ampache.API()
    client.set_format("json")
    client.set_url(own.base)
    session = client.handshake(own.base, client.encrypt_string(ADMIN_KEY, ADMIN[0]))
    assert session
    assert client.user_create("tina", "tina-pw", "tina@example.org") == {
        "success": "successfully created: tina"}
    assert own.api.login("tina", "tina-pw")  # the library sends sha256(password)
    assert client.user_edit("tina", city="Oslo")["success"].endswith("tina")
    assert client.user("tina")["city"] == "Oslo"
    assert "tina" in [u["username"] for u in client.users()["user"]]
    assert client.user_delete("tina") == {"success": "successfully deleted: tina"}
