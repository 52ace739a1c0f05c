"""Decide whether a client address may use an access type at a user level (pure functions).

A rule is ``RANGE ACCESS LEVEL``: an address range (CIDR, ``start-end`` or one address, IPv4 or
IPv6), the access type it grants (``rpc`` = the API, ``stream`` = /play, downloads and art,
``all`` = both) and the highest user level it lets through (Ampache levels 0, 5, 25, 50, 75, 100;
any integer 0-100 is accepted). A request needing level L for access type T is allowed when some
rule matching the client address covers T with a level >= L.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

#: The access types a rule may grant; ``all`` covers both of the others.
ACCESS_TYPES: tuple[str, ...] = ("rpc", "stream", "all")
MIN_LEVEL = 0
MAX_LEVEL = 100

#: Used when the config file has no ``[acl]`` section: the machine itself and private networks.
DEFAULT_RULES_TEXT: dict[str, str] = {
    "loopback4": "127.0.0.0/8 all 100",
    "loopback6": "::1 all 100",
    "private10": "10.0.0.0/8 all 100",
    "private172": "172.16.0.0/12 all 100",
    "private192": "192.168.0.0/16 all 100",
    "linklocal4": "169.254.0.0/16 all 100",
    "ula6": "fc00::/7 all 100",
    "linklocal6": "fe80::/10 all 100",
}

# "10.0.0.1 - 10.0.0.9" is a natural way to write a range; fold it into one token before splitting.
_SPACED_DASH = re.compile(r"\s*-\s*")


@dataclass(frozen=True, slots=True)
class AclRule:
    """One address range granting one access type up to one user level."""

    name: str
    start: Address
    end: Address
    access: str
    level: int

    def matches(self, address: Address) -> bool:
        """True when ``address`` (already normalised by :func:`parse_client`) is in the range."""
        return address.version == self.start.version and self.start <= address <= self.end

    def covers(self, access: str) -> bool:
        """True when this rule grants ``access`` (``all`` grants every type)."""
        return self.access in (access, "all")


def _unmap(address: Address) -> Address:
    """Turn ``::ffff:a.b.c.d`` into ``a.b.c.d`` so IPv4 rules apply to dual-stack sockets."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _parse_address(text: str) -> Address:
    """One address of a rule; scoped v6 (``fe80::1%eth0``) is refused: a rule has no interface."""
    if "%" in text:
        raise ValueError(f"{text!r}: a zone index (%…) has no meaning in a rule")
    try:
        return _unmap(ipaddress.ip_address(text))
    except ValueError:
        raise ValueError(f"{text!r} is not an IP address") from None


def parse_range(text: str) -> tuple[Address, Address]:
    """``CIDR``, ``start-end`` or a single address → (first, last) address, both inclusive."""
    text = _SPACED_DASH.sub("-", text.strip())
    if "-" in text:
        first_text, _, last_text = text.partition("-")
        first, last = _parse_address(first_text), _parse_address(last_text)
        if first.version != last.version:
            raise ValueError(f"{text!r} mixes IPv4 and IPv6")
        if first > last:
            raise ValueError(f"{text!r}: the start address is after the end address")
        return first, last
    if "/" in text:
        try:
            network = ipaddress.ip_network(text, strict=True)
        except ValueError as error:
            # strict: "192.168.1.5/16" is more likely a typo than a wish for 192.168.0.0/16,
            # and silently widening an ACL is the wrong direction to be lenient in.
            if "has host bits set" in str(error):
                loose = ipaddress.ip_network(text, strict=False)
                raise ValueError(f"{text!r} has host bits set (did you mean {loose}?)") from None
            raise ValueError(f"{text!r} is not an IP range") from None
        return _unmap(network[0]), _unmap(network[-1])
    address = _parse_address(text)
    return address, address


def parse_rule(text: str, name: str = "") -> AclRule:
    """``RANGE ACCESS LEVEL`` → :class:`AclRule`; ValueError says which part is wrong."""
    # From the right: the range may itself contain spaces ("10.0.0.1 - 10.0.0.9").
    parts = text.strip().rsplit(None, 2)
    if len(parts) != 3:
        raise ValueError(
            f"{text.strip()!r} is not 'RANGE ACCESS LEVEL' (e.g. '10.0.0.0/8 all 100')"
        )
    range_text, access, level_text = parts
    start, end = parse_range(range_text)
    access = access.lower()
    if access not in ACCESS_TYPES:
        raise ValueError(f"access {access!r} is not one of {', '.join(ACCESS_TYPES)}")
    try:
        level = int(level_text)
    except ValueError:
        raise ValueError(f"level {level_text!r} is not an integer") from None
    if not MIN_LEVEL <= level <= MAX_LEVEL:
        raise ValueError(f"level {level} is not between {MIN_LEVEL} and {MAX_LEVEL}")
    return AclRule(name=name, start=start, end=end, access=access, level=level)


def parse_client(ip: str) -> Address | None:
    """A client address as WSGI gives it → normalised address, or None for anything unusable."""
    if not isinstance(ip, str):
        return None
    # The zone index only says which interface a link-local packet came in on; ranges ignore it.
    text = ip.strip().partition("%")[0]
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        return _unmap(ipaddress.ip_address(text))
    except ValueError:
        return None


def _check_access(access: str) -> None:
    if access not in ACCESS_TYPES:
        # A caller bug, not a client's fault: fail loudly rather than deny or allow silently.
        raise ValueError(f"access {access!r} is not one of {', '.join(ACCESS_TYPES)}")


@dataclass(frozen=True, slots=True)
class Acl:
    """An ordered set of rules; a request is allowed when any one rule allows it."""

    rules: tuple[AclRule, ...]

    def __init__(self, rules: Iterable[AclRule]) -> None:
        object.__setattr__(self, "rules", tuple(rules))

    def max_level(self, ip: str, access: str) -> int | None:
        """The highest level any rule grants ``ip`` for ``access``; None when no rule matches."""
        _check_access(access)
        address = parse_client(ip)
        if address is None:
            return None
        levels = [r.level for r in self.rules if r.covers(access) and r.matches(address)]
        return max(levels, default=None)

    def allows(self, ip: str, access: str, level: int = MIN_LEVEL) -> bool:
        """True when a rule matching ``ip`` covers ``access`` with a level >= ``level``."""
        granted = self.max_level(ip, access)
        return granted is not None and granted >= level


def default_acl() -> Acl:
    """The rules used when the config has no ``[acl]`` section (see :data:`DEFAULT_RULES_TEXT`)."""
    return Acl(parse_rule(text, name) for name, text in DEFAULT_RULES_TEXT.items())
