"""ACL rules: range syntax, access types, levels, and client addresses as WSGI hands them over."""

import ipaddress

import pytest

from ampmini.acl import Acl, default_acl, parse_client, parse_range, parse_rule


def acl(*rules: str) -> Acl:
    return Acl(parse_rule(text, f"r{i}") for i, text in enumerate(rules))


def test_cidr_rule_covers_exactly_its_network():
    rules = acl("192.168.1.0/24 all 100")
    assert rules.allows("192.168.1.0", "rpc", 100)
    assert rules.allows("192.168.1.255", "stream", 100)
    assert not rules.allows("192.168.2.0", "rpc", 0)
    assert not rules.allows("192.168.0.255", "rpc", 0)


def test_start_end_range_is_inclusive_and_tolerates_spaces():
    rules = acl("10.0.0.10 - 10.0.0.50 stream 25")
    assert rules.allows("10.0.0.10", "stream", 25)
    assert rules.allows("10.0.0.50", "stream", 25)
    assert not rules.allows("10.0.0.9", "stream", 0)
    assert not rules.allows("10.0.0.51", "stream", 0)


def test_single_address_rule():
    rules = acl("203.0.113.7 rpc 5")
    assert rules.allows("203.0.113.7", "rpc", 5)
    assert not rules.allows("203.0.113.8", "rpc", 5)


def test_ipv6_cidr_and_range():
    rules = acl("2001:db8::/32 all 50", "fd00::1-fd00::ff rpc 100")
    assert rules.allows("2001:db8:1::42", "stream", 50)
    assert not rules.allows("2001:db9::1", "stream", 0)
    assert rules.allows("fd00::80", "rpc", 100)
    assert not rules.allows("fd00::100", "rpc", 0)


def test_ipv4_mapped_client_matches_ipv4_rules():
    rules = acl("192.168.0.0/16 all 100")
    assert rules.allows("::ffff:192.168.1.5", "rpc", 100)
    assert not rules.allows("::ffff:10.0.0.1", "rpc", 0)


def test_ipv4_mapped_rule_is_an_ipv4_rule():
    rules = acl("::ffff:192.168.0.0/112 all 100")
    assert rules.allows("192.168.3.4", "rpc", 100)


def test_ipv4_rule_never_matches_ipv6_client_of_same_bits():
    rules = acl("0.0.0.0/0 all 100")
    assert rules.allows("8.8.8.8", "rpc", 100)
    assert not rules.allows("::1", "rpc", 0)


def test_scoped_link_local_client_matches_without_its_zone():
    rules = acl("fe80::/10 all 100")
    assert rules.allows("fe80::1%eth0", "rpc", 100)
    assert rules.allows("[fe80::1]", "rpc", 100)


def test_level_is_the_highest_level_let_through():
    rules = acl("10.0.0.0/8 all 25")
    assert rules.allows("10.1.2.3", "rpc", 0)
    assert rules.allows("10.1.2.3", "rpc", 25)
    assert not rules.allows("10.1.2.3", "rpc", 50)


def test_access_all_covers_rpc_and_stream_but_each_covers_only_itself():
    rules = acl("10.0.0.1 rpc 100", "10.0.0.2 stream 100", "10.0.0.3 all 100")
    assert rules.allows("10.0.0.1", "rpc", 100)
    assert not rules.allows("10.0.0.1", "stream", 0)
    assert rules.allows("10.0.0.2", "stream", 100)
    assert not rules.allows("10.0.0.2", "rpc", 0)
    assert rules.allows("10.0.0.3", "rpc", 100)
    assert rules.allows("10.0.0.3", "stream", 100)


def test_overlapping_rules_take_the_best_matching_level():
    rules = acl("192.168.0.0/16 all 25", "192.168.1.0/24 stream 100", "192.168.1.5 rpc 75")
    assert rules.max_level("192.168.1.5", "rpc") == 75
    assert rules.max_level("192.168.1.5", "stream") == 100
    assert rules.max_level("192.168.2.1", "stream") == 25
    assert rules.max_level("10.0.0.1", "stream") is None


@pytest.mark.parametrize(
    "address", ["", "garbage", "300.1.1.1", "1.2.3", "::g", None, 12, "192.168.1.1/24", "%eth0"]
)
def test_garbage_client_address_is_refused_without_exception(address):
    rules = acl("0.0.0.0/0 all 100", "::/0 all 100")
    assert not rules.allows(address, "rpc", 0)
    assert rules.max_level(address, "stream") is None
    assert parse_client(address) is None


def test_unknown_access_type_in_a_check_is_a_programming_error():
    with pytest.raises(ValueError, match="access"):
        acl("0.0.0.0/0 all 100").allows("1.2.3.4", "admin", 0)


def test_empty_acl_refuses_everyone():
    assert not Acl([]).allows("127.0.0.1", "rpc", 0)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("192.168.0.0/33 all 100", "not an IP range"),
        ("192.168.1.5/16 all 100", "host bits set"),
        ("10.0.0.50-10.0.0.10 all 100", "start address is after"),
        ("10.0.0.1-fd00::1 all 100", "mixes IPv4 and IPv6"),
        ("10.0.0.300 all 100", "not an IP address"),
        ("fe80::1%eth0 all 100", "zone index"),
        ("10.0.0.0/8 admin 100", "access 'admin'"),
        ("10.0.0.0/8 all 101", "between 0 and 100"),
        ("10.0.0.0/8 all -1", "between 0 and 100"),
        ("10.0.0.0/8 all high", "not an integer"),
        ("10.0.0.0/8 all", "RANGE ACCESS LEVEL"),
        ("", "RANGE ACCESS LEVEL"),
    ],
)
def test_bad_rules_say_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message):
        parse_rule(text)


def test_rule_fields():
    rule = parse_rule("10.0.0.0/8 STREAM 25", "phones")
    assert rule.name == "phones"
    assert rule.start == ipaddress.ip_address("10.0.0.0")
    assert rule.end == ipaddress.ip_address("10.255.255.255")
    assert (rule.access, rule.level) == ("stream", 25)
    assert parse_range("::1") == (ipaddress.ip_address("::1"), ipaddress.ip_address("::1"))


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "::1", "10.1.1.1", "172.31.0.1", "192.168.178.20", "169.254.3.4", "fd12::1",
     "fe80::abcd%wlan0", "::ffff:192.168.1.5"],
)  # fmt: skip
def test_default_rules_allow_loopback_and_private_networks(address):
    assert default_acl().allows(address, "rpc", 100)
    assert default_acl().allows(address, "stream", 100)


@pytest.mark.parametrize("address", ["8.8.8.8", "172.32.0.1", "2001:db8::1", "100.64.0.1"])
def test_default_rules_refuse_public_addresses(address):
    assert default_acl().max_level(address, "rpc") is None
