"""Preferences over HTTP: the lists, single reads, typed edits, custom preferences (spec §6.13)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import ampache
import pytest

from ampmini import preferences
from tests.conftest import ADMIN, ADMIN_KEY, USER
from tests.shapes import assert_json_like, assert_xml_like
from tests.test_users import Running, start_server


@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    with start_server(tmp_path_factory.mktemp("prefs"), "sociable = false") as running:
        yield running


@pytest.fixture(scope="module")
def admin(own: Running) -> str:
    return own.api.login(*ADMIN)


@pytest.fixture(scope="module")
def alice(own: Running) -> str:
    return own.api.login(*USER)


def by_name(body: dict) -> dict[str, dict]:
    return {p["name"]: p for p in body["preference"]}


def test_user_preferences_list(own: Running, alice: str) -> None:
    body = own.api.json("user_preferences", auth=alice)
    assert_json_like(body, "user_preferences")
    prefs = by_name(body)
    assert prefs["allow_personal_info_recent"]["value"] == "1"
    assert "share_expire" not in prefs  # server-wide: system_preferences only
    assert_xml_like(own.api.raw("xml", "user_preferences", auth=alice).content,
                    "user_preferences")


def test_system_preferences_show_the_config_switches(own: Running, admin: str,
                                                      alice: str) -> None:
    body = own.api.json("system_preferences", auth=admin)
    assert_json_like(body, "system_preferences")
    prefs = by_name(body)
    assert prefs["sociable"]["value"] == "0"  # this server's config says so
    assert prefs["ratings"]["value"] == "1"
    assert prefs["allow_public_registration"]["value"] == "0"
    assert prefs["sociable"]["has_access"] is False  # changed in the config file, not here
    assert_xml_like(own.api.raw("xml", "system_preferences", auth=admin).content,
                    "system_preferences")
    refused = own.api.json("system_preferences", auth=alice)
    assert refused["error"]["errorCode"] == "4742"


def test_single_preference_reads(own: Running, admin: str, alice: str) -> None:
    body = own.api.json("user_preference", auth=alice, filter="allow_personal_info_recent")
    assert_json_like(body, "user_preference")
    assert_xml_like(own.api.raw("xml", "user_preference", auth=alice,
                                filter="allow_personal_info_recent").content, "user_preference")
    system = own.api.json("system_preference", auth=admin, filter="ratings")
    assert_json_like(system, "system_preference")
    assert_xml_like(own.api.raw("xml", "system_preference", auth=admin,
                                filter="ratings").content, "system_preference")
    missing = own.api.json("user_preference", auth=alice, filter="no_such_pref")
    assert missing["error"]["errorCode"] == "4704"
    assert missing["error"]["errorType"] == "filter"
    assert own.api.json("system_preference", auth=alice, filter="ratings")["error"][
        "errorCode"] == "4742"
    assert own.api.json("user_preference", auth=alice)["error"]["errorMessage"] == (
        "Bad Request: filter")


def test_own_edit_is_typed_and_private_to_the_user(own: Running, admin: str,
                                                    alice: str) -> None:
    body = own.api.json("preference_edit", auth=alice, filter="allow_personal_info_recent",
                        value="false")
    assert_json_like(body, "preference_edit")
    assert body["value"] == "0"
    conn = own.db.reader()
    alice_id = conn.execute("SELECT id FROM user WHERE username = 'alice'").fetchone()[0]
    admin_id = conn.execute("SELECT id FROM user WHERE username = 'admin'").fetchone()[0]
    assert preferences.get(conn, alice_id, "allow_personal_info_recent") is False
    assert preferences.get(conn, admin_id, "allow_personal_info_recent") is True
    bad = own.api.json("preference_edit", auth=alice, filter="allow_personal_info_recent",
                       value="maybe")
    assert bad["error"]["errorCode"] == "4710"
    assert bad["error"]["errorType"] == "value"
    xml = own.api.raw("xml", "preference_edit", auth=alice,
                      filter="allow_personal_info_recent", value="1")
    assert_xml_like(xml.content, "preference_edit")
    assert preferences.get(conn, alice_id, "allow_personal_info_recent") is True


def test_all_and_default_need_an_admin(own: Running, admin: str, alice: str) -> None:
    for flag in ("all", "default"):
        body = own.api.json("preference_edit", auth=alice, filter="allow_personal_info_recent",
                            value="0", **{flag: 1})
        assert body["error"]["errorCode"] == "4742"
    own.api.json("preference_edit", auth=admin, filter="allow_personal_info_recent",
                  value="0", default=1)
    conn = own.db.reader()
    assert preferences.get(conn, preferences.SERVER_DEFAULT,
                           "allow_personal_info_recent") is False
    own.api.json("preference_edit", auth=admin, filter="allow_personal_info_recent",
                  value="1", default=1, all=1)
    assert preferences.get(conn, preferences.SERVER_DEFAULT, "allow_personal_info_recent")


def test_switches_are_read_only_over_the_api(own: Running, admin: str) -> None:
    body = own.api.json("preference_edit", auth=admin, filter="ratings", value="0", default=1)
    assert body["error"]["errorCode"] == "4710"
    assert "config" in body["error"]["errorMessage"]
    assert own.api.json("system_preference", auth=admin, filter="ratings")["value"] == "1"


def test_custom_preference_lifecycle(own: Running, admin: str, alice: str) -> None:
    body = own.api.json("preference_create", auth=admin, filter="temp_pref_json",
                        type="boolean", default="0", category="interface", level=25)
    assert_json_like(body, "preference_create")
    assert body["id"] >= preferences.CUSTOM_MIN_ID
    xml = own.api.raw("xml", "preference_create", auth=admin, filter="temp_pref_xml",
                      type="integer", default="5", category="interface")
    assert_xml_like(xml.content, "preference_create")
    dup = own.api.json("preference_create", auth=admin, filter="temp_pref_json",
                       type="boolean", default="0", category="interface")
    assert dup["error"]["errorType"] == "filter"
    for bad, kind in (({"type": "float"}, "type"), ({"category": "nope"}, "category"),
                      ({"default": "x"}, "value")):
        args = {"filter": "other_pref", "type": "integer", "default": "1",
                "category": "interface", **bad}
        assert own.api.json("preference_create", auth=admin, **args)["error"][
            "errorType"] == kind
    assert own.api.json("preference_create", auth=alice, filter="x", type="boolean",
                        default="0", category="interface")["error"]["errorCode"] == "4742"
    edited = own.api.json("preference_edit", auth=alice, filter="temp_pref_json", value="1")
    assert edited["value"] == "1"
    assert own.api.json("preference_edit", auth=alice, filter="temp_pref_xml", value="7")[
        "error"]["errorCode"] == "4742"  # level 100
    assert own.api.json("preference_edit", auth=admin, filter="temp_pref_xml", value="x")[
        "error"]["errorType"] == "value"
    deleted = own.api.json("preference_delete", auth=admin, filter="temp_pref_json")
    assert_json_like(deleted, "preference_delete")
    assert_xml_like(own.api.raw("xml", "preference_delete", auth=admin,
                                filter="temp_pref_xml").content, "preference_delete")
    assert own.api.json("user_preference", auth=alice, filter="temp_pref_json")["error"][
        "errorCode"] == "4704"


def test_builtin_preferences_are_protected(own: Running, admin: str) -> None:
    body = own.api.json("preference_delete", auth=admin, filter="allow_personal_info_recent")
    assert body["error"]["errorCode"] == "4710"
    missing = own.api.json("preference_delete", auth=admin, filter="never_made")
    assert missing["error"]["errorCode"] == "4704"


def test_ampache_client_library_preferences(own: Running, tmp_path: Path) -> None:
    client = ampache.API()
    client.set_format("json")
    client.set_url(own.base)
    assert client.handshake(own.base, client.encrypt_string(ADMIN_KEY, ADMIN[0]))
    names = {p["name"] for p in client.user_preferences()["preference"]}
    assert "allow_personal_info_recent" in names
    assert client.system_preference("sociable")["value"] == "0"
    made = client.preference_create("lib_pref", "string", "hello", "interface")
    assert made["value"] == "hello"
    assert client.preference_edit("lib_pref", "bye")["value"] == "bye"
    assert client.preference_delete("lib_pref") == {"success": "Deleted: lib_pref"}
