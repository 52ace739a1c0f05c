"""API5 sessions (Amperfy sends 500000, Foam 5.6.0) get API5 documents (spec §11)."""

from __future__ import annotations

import pytest

from tests import shapes
from tests.conftest import USER
from tests.test_shapes_core import CASES, resolve

API6_ONLY = {"list", "index", "browse"}
API5_CASES = [c for c in CASES if c[0] not in API6_ONLY]


@pytest.fixture(scope="module")
def token5(api) -> str:
    return api.login(*USER, version="500000")


@pytest.fixture(scope="module")
def ids(api, token5) -> dict[str, str]:
    from tests.test_shapes_core import ids as ids6

    return ids6.__wrapped__(api, token5)


@pytest.mark.parametrize(("action", "params", "example"), API5_CASES,
                         ids=[c[2] for c in API5_CASES])
def test_json_shape_matches_api5_reference(api, token5, ids, action, params, example) -> None:
    answer = api.json(action, auth=token5, **resolve(params, ids, api, token5))
    assert "error" not in answer, answer
    if not shapes.example_path(example, "json", api=5).exists():
        pytest.skip("no API5 reference for this variant")
    shapes.assert_json_like(answer, example, api=5, optional=("artist",),
                            nullable=("preciserating", "artist_mbid", "albumartist_mbid",
                                      "album_mbid"))


@pytest.mark.parametrize(("action", "params", "example"), API5_CASES,
                         ids=[c[2] for c in API5_CASES])
def test_xml_shape_matches_api5_reference(api, token5, ids, action, params, example) -> None:
    response = api.raw("xml", action, auth=token5, **resolve(params, ids, api, token5))
    assert b"<error" not in response.content, response.text
    shapes.assert_xml_like(response.content, example, api=5, ignore={"*/genre*"},
                           optional=("artist", "album"), nullable=("preciserating",))


def test_api5_handshake_ping_goodbye(api) -> None:
    answer = api.handshake(*USER, version="5.5.6")
    shapes.assert_json_like(answer, "handshake", api=5)
    assert answer["api"] == "5.5.6"
    numeric = api.handshake(*USER, version="500000")
    assert numeric["api"] == "556000"
    response = api.raw("xml", "goodbye", auth=answer["auth"])
    shapes.assert_xml_like(response.content, "goodbye", api=5)


def test_api6_only_actions_are_unknown_in_api5(api, token5) -> None:
    for action in ("list", "index", "browse"):
        assert api.json(action, auth=token5, type="song")["error"]["errorCode"] == "4705"


def test_ping_version_switches_the_session(api) -> None:
    token = api.login(*USER)
    assert "total_count" in api.json("songs", auth=token, limit=1)
    api.json("ping", auth=token, version="5.5.6")
    assert "total_count" not in api.json("songs", auth=token, limit=1)
    api.json("ping", auth=token, version="6.9.1")
    assert "total_count" in api.json("songs", auth=token, limit=1)
