"""Free-form sections (``[acl]``, ``[apikeys]``, ``[stream_limits]``): the user names the keys."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ampmini import acl as acl_rules
from ampmini.acl import Acl, AclRule

from .errors import EntryError
from .model import ApiKeys, StreamLimits

# The package's name, as before the split: it shows in log lines and filters may match it.
log = logging.getLogger("ampmini.config")

APIKEY_MIN_LENGTH = 16


@dataclass(frozen=True, slots=True)
class FreeSection:
    """A section of user-named entries: how one entry parses and how entries combine."""

    name: str
    syntax: str
    doc: str
    #: (entry name, value text) → item; ValueError on a bad value (messages must not echo secrets).
    parse_entry: Callable[[str, str], Any]
    #: items in file order → the section's value; EntryError blames one entry.
    build: Callable[[list[tuple[str, Any]]], Any]
    #: the section's value when the file does not have the section.
    absent: Callable[[], Any]
    #: lines for the example file, written commented out.
    example: tuple[str, ...] = ()
    #: True: show the ``[name]`` header uncommented in the example (an empty section is harmless).
    header_in_example: bool = False


def _build_acl(items: list[tuple[str, AclRule]]) -> Acl:
    if not items:
        log.warning("[acl] has no rules: every request will be refused")
    return Acl(rule for _, rule in items)


def _parse_apikey(_user: str, text: str) -> str:
    # Messages never include the value: it is a secret and errors end up in logs.
    if not text:
        raise ValueError("the key is empty")
    if any(c.isspace() for c in text):
        raise ValueError("the key contains white space")
    if len(text) < APIKEY_MIN_LENGTH:
        raise ValueError(
            f"the key is shorter than {APIKEY_MIN_LENGTH} characters "
            "(`ampmini adduser --apikey` generates one)"
        )
    return text


def _build_apikeys(items: list[tuple[str, str]]) -> ApiKeys:
    owner: dict[str, str] = {}
    for user, key in items:
        if key in owner:
            # A handshake may send only the key, so each key must name exactly one user.
            raise EntryError(user, f"has the same key as [apikeys] {owner[key]}")
        owner[key] = user
    return ApiKeys(dict(items))


def _parse_stream_limit(_name: str, text: str) -> tuple[Any, Any, int]:
    parts = text.split()
    if len(parts) != 2:
        raise ValueError(f"expected RANGE BITRATE, got {text!r}")
    first, last = acl_rules.parse_range(parts[0])
    if not parts[1].isdigit() or int(parts[1]) < 8000:
        raise ValueError(f"bit rate {parts[1]!r} is not a number of bits per second >= 8000")
    return first, last, int(parts[1])


def _build_stream_limits(items: list[tuple[str, tuple[Any, Any, int]]]) -> StreamLimits:
    return StreamLimits(tuple((name, *value) for name, value in items))


FREE_SECTIONS: dict[str, FreeSection] = {
    "acl": FreeSection(
        name="acl",
        syntax="NAME = RANGE ACCESS LEVEL",
        doc=(
            "Which client addresses may use ampmini. NAME is any label. RANGE is a CIDR "
            "(`192.168.0.0/16`), a `start-end` pair (`10.0.0.10-10.0.0.50`) or one address, IPv4 "
            "or IPv6. ACCESS is `rpc` (the API), `stream` (/play, downloads, art) or `all`. "
            "LEVEL (0-100; Ampache uses 0, 5, 25, 50, 75, 100) is the highest user level the "
            "rule lets through: a request needing level L for access T is allowed when some rule "
            "matching the client covers T with a level ≥ L. IPv4-mapped IPv6 clients "
            "(`::ffff:192.168.1.5`) match IPv4 rules. An `[acl]` section in the file replaces "
            "the defaults below entirely; an empty one refuses everyone."
        ),
        parse_entry=lambda name, text: acl_rules.parse_rule(text, name),
        build=_build_acl,
        absent=acl_rules.default_acl,
        example=tuple(f"{n} = {t}" for n, t in acl_rules.DEFAULT_RULES_TEXT.items()),
    ),
    "apikeys": FreeSection(
        name="apikeys",
        syntax="USERNAME = KEY",
        doc=(
            "API keys for `handshake` with `auth=KEY`. Usernames are case-insensitive; each key "
            f"must be unique, at least {APIKEY_MIN_LENGTH} characters, no spaces. Written by "
            "`ampmini adduser --apikey` and the API's `reset_apikey` (the file is rewritten "
            "keeping its comments). Keys are secrets: keep the file mode 0600."
        ),
        parse_entry=_parse_apikey,
        build=_build_apikeys,
        absent=ApiKeys,
        example=("alice = 0123456789abcdef0123456789abcdef",),
        header_in_example=True,
    ),
    "stream_limits": FreeSection(
        name="stream_limits",
        syntax="NAME = RANGE BITRATE",
        doc=(
            "Cap the bit rate of every stream to clients in RANGE (CIDR, `start-end` or one "
            "address, as in `[acl]`) at BITRATE bits per second: such streams are transcoded "
            "down (e.g. phones reaching home over a mobile-data VPN). The lowest matching cap "
            "wins; `[transcode] max_bitrate` and a user's own limit still apply."
        ),
        parse_entry=_parse_stream_limit,
        build=_build_stream_limits,
        absent=StreamLimits,
        example=("mobile_vpn = 10.8.0.0/24 128000",),
    ),
}
