"""Config file: defaults, full file, errors naming the line, reload, API key writer, docs."""

import logging
import os
import re
import signal
import stat
from pathlib import Path

import pytest

from ampmini import config as cfg
from ampmini.config import (
    DEFAULT_CONFIG_TEXT,
    ConfigError,
    ConfigHolder,
    generate_apikey,
    load_config,
    parse_config,
    render_reference_markdown,
    set_apikey,
)

DOCS = Path(__file__).resolve().parent.parent / "docs" / "config.md"
KEY_A = "a" * 32
KEY_B = "b" * 32


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No config from the developer's own machine leaks into a test."""
    monkeypatch.delenv(cfg.ENV_CONFIG, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# --- loading ---------------------------------------------------------------------------------


def test_defaults_load_without_a_file(tmp_path):
    config = load_config(None)
    assert config.source is None
    assert config.server.host == "0.0.0.0"  # noqa: S104 -- the documented default
    assert (config.server.port, config.server.threads) == (4647, 4)
    assert config.server.public_url is None
    assert config.server.trusted_proxy is None
    assert (config.server.session_length, config.server.stream_length) == (3600, 7200)
    assert config.server.log_level == "info"
    assert config.database.path == tmp_path / "xdg-data" / "ampmini" / "ampmini.db"
    assert config.library.roots == (Path.home() / "Music",)
    assert (config.library.rescan_interval, config.library.watch) == (3600, True)
    assert (config.transcode.ffmpeg, config.transcode.max_bitrate) == ("ffmpeg", 0)
    features = config.features
    assert (features.ratings, features.sociable, features.share) == (True, True, True)
    assert (features.live_stream, features.podcast) == (True, True)
    assert (features.allow_video, features.label, features.licensing) == (False, False, False)
    assert config.acl.allows("192.168.1.20", "rpc", 100)
    assert not config.acl.allows("8.8.8.8", "rpc", 0)
    assert len(config.apikeys) == 0


def test_database_default_without_xdg_data_home_is_under_local_share(monkeypatch):
    monkeypatch.delenv("XDG_DATA_HOME")
    expected = Path.home() / ".local" / "share" / "ampmini" / "ampmini.db"
    assert load_config(None).database.path == expected


def test_xdg_config_file_is_used_when_it_exists(tmp_path):
    path = tmp_path / "xdg-config" / "ampmini" / "ampmini.conf"
    path.parent.mkdir(parents=True)
    write(path, "[server]\nport = 5000\n")
    config = load_config(None)
    assert (config.source, config.server.port) == (path, 5000)


def test_environment_variable_names_the_file(tmp_path, monkeypatch):
    path = write(tmp_path / "elsewhere.conf", "[server]\nport = 5001\n")
    monkeypatch.setenv(cfg.ENV_CONFIG, str(path))
    assert load_config(None).server.port == 5001


def test_missing_explicit_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "nope.conf")


FULL = """\
# A complete file.
[server]
host = ::
port = 8080
public_url = https://music.example.org:8443/ampache/
threads = 8
trusted_proxy = 127.0.0.1
log_level = DEBUG
session_length = 600
stream_length = 900

[database]
path = ${HOME_FOR_TEST}/db/ampmini.db

[library]
roots =
    ROOT/Music
    ROOT/Music, Old
    ~/Audiobooks
rescan_interval = 0
watch = no

[acl]
lan = 192.168.0.0/16 all 100
phones = 10.0.0.10-10.0.0.50 stream 25
v6 = fd00::/8 rpc 50

[apikeys]
Alice = KEY_A
bob = KEY_B

[transcode]
ffmpeg = ~/bin/ffmpeg
max_bitrate = 192000

[features]
ratings = off
sociable = 0
share = false
live_stream = no
podcast = false
allow_video = yes
label = on
licensing = 1
"""


def test_full_file_loads(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME_FOR_TEST", str(tmp_path))
    text = FULL.replace("ROOT", str(tmp_path)).replace("KEY_A", KEY_A).replace("KEY_B", KEY_B)
    config = load_config(write(tmp_path / "ampmini.conf", text))
    server = config.server
    assert (server.host, server.port, server.threads) == ("::", 8080, 8)
    assert server.public_url == "https://music.example.org:8443/ampache"
    assert (server.trusted_proxy, server.log_level) == ("127.0.0.1", "debug")
    assert (server.session_length, server.stream_length) == (600, 900)
    assert config.database.path == tmp_path / "db" / "ampmini.db"
    assert config.library.roots == (
        tmp_path / "Music",
        tmp_path / "Music, Old",
        Path.home() / "Audiobooks",
    )
    assert (config.library.rescan_interval, config.library.watch) == (0, False)
    assert [r.name for r in config.acl.rules] == ["lan", "phones", "v6"]
    assert config.acl.allows("10.0.0.20", "stream", 25)
    assert not config.acl.allows("10.0.0.20", "rpc", 0)
    assert not config.acl.allows("127.0.0.1", "rpc", 0)  # [acl] replaces the defaults
    assert config.apikeys["ALICE"] == KEY_A
    assert "alice" in config.apikeys
    assert config.apikeys.user_for_key(KEY_B) == "bob"
    assert config.apikeys.user_for_key("c" * 32) is None
    assert config.transcode.ffmpeg == str(Path.home() / "bin" / "ffmpeg")
    assert config.transcode.max_bitrate == 192000
    assert config.features == cfg.FeaturesConfig(
        ratings=False, sociable=False, share=False, live_stream=False, podcast=False,
        allow_video=True, label=True, licensing=True,
    )  # fmt: skip


def test_comma_separated_roots(tmp_path):
    config = parse_config(f"[library]\nroots = {tmp_path}/a, {tmp_path}/b,{tmp_path}/a\n")
    assert config.library.roots == (tmp_path / "a", tmp_path / "b")


def test_example_file_loads_as_the_defaults():
    assert parse_config(DEFAULT_CONFIG_TEXT) == parse_config("")


def test_example_file_mentions_every_key_with_its_default_and_uncommented_gives_defaults():
    for (_, name), key in cfg.KEYS.items():
        assert f"#{name} = {key.default}".rstrip() in DEFAULT_CONFIG_TEXT.splitlines()
    uncommented = re.sub(r"(?m)^#(?=\[|\w+ = )", "", DEFAULT_CONFIG_TEXT)
    uncommented = uncommented.replace("alice = 0123456789abcdef0123456789abcdef\n", "")
    uncommented = uncommented.replace("mobile_vpn = 10.8.0.0/24 128000\n", "")
    assert parse_config(uncommented) == parse_config("")


def test_apikeys_never_show_in_repr():
    config = parse_config(f"[apikeys]\nalice = {KEY_A}\n")
    assert KEY_A not in repr(config)
    assert KEY_A not in str(config.apikeys)
    assert "alice" in repr(config.apikeys)


def test_every_key_has_a_dataclass_field_and_every_field_a_key():
    for section, cls in cfg.SECTION_TYPES.items():
        fields = set(cls.__dataclass_fields__)
        keys = {name for s, name in cfg.KEYS if s == section}
        assert fields == keys, section


# --- errors name file, line and key ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "label", "problem"),
    [
        ("[server]\nport = http\n", 2, "[server] port", "'http' is not an integer"),
        ("[server]\nhost = ::\n\nport = 70000\n", 4, "[server] port", "not between 0 and 65535"),
        ("[server]\nthreads = 0\n", 2, "[server] threads", "not between 1 and 64"),
        ("[server]\npublic_url = ftp://x.org\n", 2, "[server] public_url", "not an http(s)"),
        ("[server]\npublic_url = https://\n", 2, "[server] public_url", "not an http(s)"),
        ("[server]\npublic_url = http://a b/\n", 2, "[server] public_url", "not an http(s)"),
        ("[server]\npublic_url = http://x:99999\n", 2, "[server] public_url", "not an http(s)"),
        ("[server]\npublic_url = http://x/?a=1\n", 2, "[server] public_url", "not an http(s)"),
        ("[server]\ntrusted_proxy = *\n", 2, "[server] trusted_proxy", "not an IP address"),
        ("[server]\nlog_level = loud\n", 2, "[server] log_level", "not one of debug"),
        ("[library]\nwatch = maybe\n", 2, "[library] watch", "not a boolean"),
        ("[library]\nroots = Music\n", 2, "[library] roots", "not an absolute path"),
        ("[library]\nroots = ,\n", 2, "[library] roots", "at least one folder"),
        ("[database]\npath = $NO_SUCH_VAR_X/db\n", 2, "[database] path", "$NO_SUCH_VAR_X"),
        ("[transcode]\nmax_bitrate = -1\n", 2, "[transcode] max_bitrate", "not >= 0"),
        ("# c\n\n[acl]\nok = 10.0.0.0/8 all 100\nlan = 192.168.0.0/33 all 100\n", 5,
         "[acl] lan", "'192.168.0.0/33' is not an IP range"),
        ("[acl]\nlan = 192.168.0.0/16 all 101\n", 2, "[acl] lan", "between 0 and 100"),
        ("[acl]\nlan = 192.168.0.0/16 admin 50\n", 2, "[acl] lan", "access 'admin'"),
        ("[apikeys]\nalice = short\n", 2, "[apikeys] alice", "shorter than 16"),
        (f"[apikeys]\nalice = {KEY_A}\nbob = {KEY_A}\n", 3, "[apikeys] bob", "same key as"),
        ("[server]\nport = 1\nPort = 2\n", 3, "[server] port", "duplicate key"),
        ("[server]\nport = 1\n[library]\n[server]\n", 4, "[server]", "duplicate section"),
        ("[server]\nprot = 1\n", 2, "[server] prot", "unknown key (did you mean 'port'?)"),
        ("[server]\n[librari]\nwatch = 1\n", 2, "[librari]", "unknown section (did you mean"),
        ("[DEFAULT]\nport = 1\n", 1, "[DEFAULT]", "unknown section"),
    ],
)  # fmt: skip
def test_errors_name_file_line_and_key(tmp_path, text, line, label, problem):
    path = write(tmp_path / "ampmini.conf", text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: {label}: "), message
    assert problem in message
    assert caught.value.line == line


def test_error_message_format_matches_the_documented_example(tmp_path):
    path = write(tmp_path / "ampmini.conf", "[acl]\nlan = 192.168.0.0/33 all 100\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}:2: [acl] lan: '192.168.0.0/33' is not an IP range"


def test_syntax_errors_have_line_numbers(tmp_path):
    with pytest.raises(ConfigError, match=r":1: a \[section\] header must come first"):
        load_config(write(tmp_path / "a.conf", "port = 1\n"))
    with pytest.raises(ConfigError, match=r":3: cannot parse 'just words'"):
        load_config(write(tmp_path / "b.conf", "[server]\nport = 1\njust words\n"))


def test_bad_apikey_message_does_not_reveal_the_key():
    secret = "hunter2 hunter2 hunter2"
    with pytest.raises(ConfigError) as caught:
        parse_config(f"[apikeys]\nalice = {secret}\n")
    assert "hunter2" not in str(caught.value)


# --- reload ----------------------------------------------------------------------------------


def test_changed_detects_an_edit_and_reload_applies_it(tmp_path):
    path = write(tmp_path / "ampmini.conf", "[server]\nport = 5000\n")
    holder = ConfigHolder(path)
    assert not holder.changed()
    write(path, "[server]\nport = 5002\nthreads = 2\n")
    assert holder.changed()
    assert holder.reload()
    assert not holder.changed()
    assert (holder.current.server.port, holder.current.server.threads) == (5002, 2)


def test_changed_detects_a_same_size_replacement(tmp_path):
    path = write(tmp_path / "ampmini.conf", "[server]\nport = 5000\n")
    holder = ConfigHolder(path)
    replacement = write(tmp_path / "new.conf", "[server]\nport = 6000\n")
    os.replace(replacement, path)
    assert holder.changed()
    assert holder.reload_if_changed()
    assert holder.current.server.port == 6000
    assert not holder.reload_if_changed()


def test_reload_keeps_the_old_config_when_the_file_is_broken(tmp_path, caplog):
    path = write(tmp_path / "ampmini.conf", "[server]\nport = 5000\n")
    holder = ConfigHolder(path)
    write(path, "[server]\nport = five thousand\n")
    with caplog.at_level(logging.ERROR, logger="ampmini.config"):
        assert not holder.reload()
    assert holder.current.server.port == 5000
    assert f"{path}:2: [server] port" in caplog.text
    assert not holder.changed()  # the broken version is not retried (and logged) every request


def test_reload_logs_settings_that_need_a_restart(tmp_path, caplog):
    path = write(tmp_path / "ampmini.conf", "[server]\nport = 5000\n")
    holder = ConfigHolder(path)
    write(path, "[server]\nport = 5001\nsession_length = 60\n")
    with caplog.at_level(logging.INFO, logger="ampmini.config"):
        assert holder.reload()
    assert "[server] port: 5000 → 5001 — takes effect after a restart" in caplog.text
    assert "session_length" not in caplog.text


def test_sighup_reloads(tmp_path):
    path = write(tmp_path / "ampmini.conf", "[server]\nport = 5000\n")
    holder = ConfigHolder(path)
    previous = signal.getsignal(signal.SIGHUP)
    try:
        holder.install_sighup()
        write(path, "[server]\nport = 5003\n")
        os.kill(os.getpid(), signal.SIGHUP)
        # Either the reload thread already ran or reading `current` applies the pending reload.
        assert holder.current.server.port == 5003
    finally:
        signal.signal(signal.SIGHUP, previous)


# --- set_apikey ------------------------------------------------------------------------------

ORIGINAL = """\
# ampmini config — comments must survive
[server]
port = 5000   ; spacing kept

# users
[apikeys]
; alice's phone
alice = AAA
Bob=BBB

# trailing comment about the next section
[features]
label = true
"""


def original_file(tmp_path: Path) -> Path:
    text = ORIGINAL.replace("AAA", KEY_A).replace("BBB", KEY_B).replace("   ; spacing kept", "")
    path = write(tmp_path / "ampmini.conf", text)
    path.chmod(0o640)
    return path


def test_set_apikey_changes_only_that_line(tmp_path):
    path = original_file(tmp_path)
    before = path.read_bytes().splitlines(keepends=True)
    new_key = generate_apikey()
    set_apikey(path, "ALICE", new_key)
    after = path.read_bytes().splitlines(keepends=True)
    assert len(after) == len(before)
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert [after[i] for i in changed] == [f"alice = {new_key}\n".encode()]
    assert load_config(path).apikeys["alice"] == new_key


def test_set_apikey_adds_a_user_after_the_last_key_and_removes_one(tmp_path):
    path = original_file(tmp_path)
    before = path.read_text()
    new_key = generate_apikey()
    set_apikey(path, "carol", new_key)
    text = path.read_text()
    assert text == before.replace(f"Bob={KEY_B}\n", f"Bob={KEY_B}\ncarol = {new_key}\n")
    set_apikey(path, "carol", None)
    assert path.read_text() == before
    set_apikey(path, "nobody", None)  # removing an absent user is a no-op
    assert path.read_text() == before


def test_set_apikey_keeps_mode_and_leaves_no_temp_file(tmp_path):
    path = original_file(tmp_path)
    set_apikey(path, "bob", generate_apikey())
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ampmini.conf"]


def test_set_apikey_creates_the_section(tmp_path):
    path = write(tmp_path / "ampmini.conf", "[server]\nport = 5000\n")
    set_apikey(path, "alice", KEY_A)
    assert path.read_text() == f"[server]\nport = 5000\n\n[apikeys]\nalice = {KEY_A}\n"


def test_set_apikey_creates_a_missing_file_private(tmp_path):
    path = tmp_path / "new.conf"
    set_apikey(path, "alice", KEY_A)
    assert path.read_text() == f"[apikeys]\nalice = {KEY_A}\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_set_apikey_fills_the_example_file(tmp_path):
    path = write(tmp_path / "ampmini.conf", DEFAULT_CONFIG_TEXT)
    set_apikey(path, "alice", KEY_A)
    assert path.read_text() == DEFAULT_CONFIG_TEXT + f"alice = {KEY_A}\n"
    assert load_config(path).apikeys["alice"] == KEY_A


def test_set_apikey_keeps_a_byte_order_mark(tmp_path):
    path = tmp_path / "ampmini.conf"
    path.write_bytes(b"\xef\xbb\xbf[server]\nport = 5000\n")
    set_apikey(path, "alice", KEY_A)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf[server]\nport = 5000\n\n[apikeys]\n")
    assert load_config(path).apikeys["alice"] == KEY_A


def test_set_apikey_writes_through_a_symlink(tmp_path):
    real = original_file(tmp_path)
    link = tmp_path / "link.conf"
    link.symlink_to(real)
    set_apikey(link, "alice", KEY_B.replace("b", "c"))
    assert link.is_symlink()
    assert load_config(real).apikeys["alice"] == "c" * 32


def test_set_apikey_refuses_a_directory_in_place_of_the_file(tmp_path):
    path = tmp_path / "ampmini.conf"
    path.mkdir()
    with pytest.raises(ConfigError, match="cannot read: Is a directory"):
        set_apikey(path, "alice", KEY_A)


def test_set_apikey_refuses_a_missing_directory(tmp_path):
    with pytest.raises(ConfigError, match="No such file or directory"):
        set_apikey(tmp_path / "missing" / "ampmini.conf", "alice", KEY_A)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write a read-only file")
def test_set_apikey_refuses_a_read_only_file(tmp_path):
    path = original_file(tmp_path)
    path.chmod(0o400)
    with pytest.raises(ConfigError, match="not writable"):
        set_apikey(path, "alice", KEY_B)


def test_set_apikey_refuses_bad_input_and_a_duplicate_key_without_writing(tmp_path):
    path = original_file(tmp_path)
    before = path.read_bytes()
    with pytest.raises(ConfigError, match="shorter than 16"):
        set_apikey(path, "alice", "short")
    with pytest.raises(ConfigError, match="cannot be used as a user name"):
        set_apikey(path, "al ice", KEY_A)
    with pytest.raises(ConfigError, match="same key as"):
        set_apikey(path, "carol", KEY_A)
    assert path.read_bytes() == before


def test_set_apikey_is_seen_by_a_holder(tmp_path):
    path = original_file(tmp_path)
    holder = ConfigHolder(path)
    set_apikey(path, "dave", "d" * 32)
    assert holder.reload_if_changed()
    assert holder.current.apikeys.user_for_key("d" * 32) == "dave"


def test_generate_apikey_is_32_hex_digits_and_random():
    keys = {generate_apikey() for _ in range(5)}
    assert len(keys) == 5
    assert all(re.fullmatch(r"[0-9a-f]{32}", key) for key in keys)


# --- docs ------------------------------------------------------------------------------------


def test_docs_config_md_matches_the_key_table():
    assert DOCS.read_text(encoding="utf-8") == render_reference_markdown(), (
        "regenerate: python -m ampmini.config --markdown > docs/config.md"
    )


def test_reference_lists_every_key():
    reference = render_reference_markdown()
    for section, name in cfg.KEYS:
        assert f"| `[{section}]` | `{name}` |" in reference
    for section in cfg.FREE_SECTIONS:
        assert f"## [{section}]" in reference
