"""`ampmini doctor`: each check against real files; /proc is a directory laid out like /proc."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest

from ampmini.config import parse_config
from ampmini.doctor import (
    FAIL,
    OK,
    WARN,
    Finding,
    add_doctor_command,
    format_findings,
    run_doctor,
)

NOW = 1_780_000_000.0  # 2026


def fake_proc(
    tmp: Path, mounts: list[tuple[str, str]], watches: int = 65536, instances: int = 128
) -> Path:
    """A /proc with mountinfo (mount point, fstype) and the inotify limits."""
    proc = tmp / "proc"
    (proc / "self").mkdir(parents=True)
    lines = [
        f"{20 + i} 1 0:{i} / {point.replace(' ', chr(92) + '040')} rw,relatime shared:1 - "
        f"{fstype} /dev/x{i} rw"
        for i, (point, fstype) in enumerate([("/", "ext4"), *mounts])
    ]
    (proc / "self" / "mountinfo").write_text("\n".join(lines) + "\n")
    limits = proc / "sys" / "fs" / "inotify"
    limits.mkdir(parents=True)
    (limits / "max_user_watches").write_text(f"{watches}\n")
    (limits / "max_user_instances").write_text(f"{instances}\n")
    return proc


def setup(tmp: Path, extra: str = "", folders: int = 3) -> Path:
    """A library with `folders` folders, a private config file and database; returns config."""
    root = tmp / "music"
    for i in range(folders - 1):
        (root / f"album {i}").mkdir(parents=True)
    root.mkdir(exist_ok=True)
    (root / ".hidden").mkdir()  # not watched, not counted
    db = tmp / "state" / "ampmini.db"
    db.parent.mkdir()
    db.write_bytes(b"")
    db.chmod(0o600)
    config = tmp / "ampmini.conf"
    config.write_text(f"[database]\npath = {db}\n[library]\nroots = {root}\n{extra}")
    config.chmod(0o600)
    return config


def doctor(config: Path, proc: Path, now: float = NOW, ffmpeg: str | None = "/usr/bin/ffmpeg"):
    loaded = parse_config(config.read_text(), config)
    return run_doctor(loaded, proc=proc, now=now, which=lambda _name: ffmpeg)


def levels(findings: list[Finding], word: str) -> list[str]:
    return [f.level for f in findings if word in f.what]


def test_healthy_setup_is_all_ok(tmp_path: Path) -> None:
    findings = doctor(setup(tmp_path), fake_proc(tmp_path, []))
    assert {f.level for f in findings} == {OK}, format_findings(findings)
    assert any("3 folders to watch" in f.what for f in findings)


@pytest.mark.parametrize("fstype", ["vfat", "exfat", "fuseblk"])
def test_database_on_fat_fails(tmp_path: Path, fstype: str) -> None:
    config = setup(tmp_path)
    findings = doctor(config, fake_proc(tmp_path, [(str(tmp_path / "state"), fstype)]))
    bad = [f for f in findings if f.level == FAIL]
    assert len(bad) == 1
    assert "write-ahead log" in bad[0].what
    assert "ext4" in bad[0].fix


@pytest.mark.parametrize("fstype", ["nfs4", "cifs", "fuse.sshfs"])
def test_database_on_network_mount_fails(tmp_path: Path, fstype: str) -> None:
    findings = doctor(setup(tmp_path), fake_proc(tmp_path, [(str(tmp_path), fstype)]))
    assert levels(findings, "on a network/FUSE mount") == [FAIL]


def test_database_not_created_yet_uses_the_folder_above(tmp_path: Path) -> None:
    config = setup(tmp_path)
    (tmp_path / "state" / "ampmini.db").unlink()
    findings = doctor(config, fake_proc(tmp_path, [(str(tmp_path / "state"), "vfat")]))
    assert levels(findings, "FAT") == [FAIL]
    assert levels(findings, "does not exist yet") == [OK]


def test_inotify_limit_too_low(tmp_path: Path) -> None:
    findings = doctor(setup(tmp_path, folders=6), fake_proc(tmp_path, [], watches=4))
    bad = [f for f in findings if "max_user_watches" in f.what]
    assert [f.level for f in bad] == [FAIL]
    assert "sysctl" in bad[0].fix
    assert "fs.inotify.max_user_watches=" in bad[0].fix
    close = doctor(setup(tmp_path / "b", folders=9), fake_proc(tmp_path / "b", [], watches=10))
    assert levels(close, "max_user_watches") == [WARN]
    few = doctor(setup(tmp_path / "c"), fake_proc(tmp_path / "c", [], instances=2))
    assert levels(few, "max_user_instances") == [WARN]


def test_watching_off_skips_inotify(tmp_path: Path) -> None:
    config = setup(tmp_path, "watch = false\n")
    findings = doctor(config, fake_proc(tmp_path, [], watches=1))
    assert levels(findings, "watching is off") == [OK]
    assert not levels(findings, "max_user_watches")


def test_root_on_network_mount_needs_rescans(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path, [(str(tmp_path / "music"), "cifs")])
    never = doctor(setup(tmp_path, "rescan_interval = 0\n"), proc)
    assert levels(never, "no change events") == [WARN]
    assert "rescan_interval" in next(f.fix for f in never if f.level == WARN)
    config = tmp_path / "ampmini.conf"
    config.write_text(config.read_text().replace("rescan_interval = 0", "rescan_interval = 600"))
    assert levels(doctor(config, proc), "rescanned every 600 s") == [OK]


def test_permissions(tmp_path: Path) -> None:
    config = setup(tmp_path)
    proc = fake_proc(tmp_path, [])
    config.chmod(0o644)
    assert levels(doctor(config, proc), "config file") == [WARN]
    config.chmod(0o666)
    findings = doctor(config, proc)
    assert levels(findings, "config file") == [FAIL]
    assert f"chmod 600 '{config}'" in [f.fix for f in findings if f.level == FAIL]
    config.chmod(0o600)
    (tmp_path / "state" / "ampmini.db").chmod(0o644)
    assert levels(doctor(config, proc), "the database").count(WARN) == 1


def test_acl_open_to_everyone_or_nobody(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path, [])
    world = doctor(setup(tmp_path, "[acl]\nworld = 0.0.0.0/0 all 100\n"), proc)
    assert levels(world, "every address") == [WARN]
    world6 = doctor(setup(tmp_path / "b", "[acl]\nworld = ::/0 rpc 25\n"), proc)
    assert levels(world6, "every address") == [WARN]
    nobody = doctor(setup(tmp_path / "c", "[acl]\nlan = 10.0.0.0/8 stream 100\n"), proc)
    assert levels(nobody, "every client is refused") == [FAIL]


def test_missing_root_and_ffmpeg_and_clock(tmp_path: Path) -> None:
    config = setup(tmp_path)
    config.write_text(config.read_text() + f"    {tmp_path / 'gone'}\n")
    findings = doctor(config, fake_proc(tmp_path, []), now=86400.0 * 365, ffmpeg=None)
    assert levels(findings, "does not exist") == [FAIL]
    assert levels(findings, "not found: no transcoding") == [WARN]
    clock = [f for f in findings if "clock" in f.what]
    assert [f.level for f in clock] == [WARN]
    assert "set-ntp" in clock[0].fix


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder")
def test_unreadable_root_fails(tmp_path: Path) -> None:
    config = setup(tmp_path)
    (tmp_path / "music").chmod(0)
    try:
        assert levels(doctor(config, fake_proc(tmp_path, [])), "not readable") == [FAIL]
    finally:
        (tmp_path / "music").chmod(0o755)


def test_database_on_a_usb_stick_with_a_space_in_its_name(tmp_path: Path) -> None:
    """mountinfo escapes the space ("\\040"); a disk mounted inside the stick's tree wins."""
    stick = tmp_path / "usb stick"
    config = setup(stick)
    proc = fake_proc(tmp_path, [(str(stick), "exfat")])
    assert levels(doctor(config, proc), "FAT/exFAT") == [FAIL]
    nested = fake_proc(tmp_path / "n", [(str(stick), "exfat"), (str(stick / "state"), "ext4")])
    assert levels(doctor(config, nested), "the database is on ext4") == [OK]


def test_unreadable_proc_warns_instead_of_guessing(tmp_path: Path) -> None:
    findings = doctor(setup(tmp_path), tmp_path / "no-proc")
    assert levels(findings, "inotify limits") == [WARN]
    assert levels(findings, "which file system") == [WARN]


def test_command_output_and_exit_status(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    parser = argparse.ArgumentParser(prog="ampmini")
    parser.add_argument("--config", type=Path)
    add_doctor_command(parser.add_subparsers(dest="command", required=True))
    config = setup(tmp_path)
    args = parser.parse_args(["--config", str(config), "doctor"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "[ ok ] library root" in out
    assert "0 failed" in out
    config.chmod(0o666)  # world-writable config: a failure
    assert args.func(args) == 1
    out = capsys.readouterr().out
    assert "[FAIL] the config file" in out
    assert "       fix: chmod 600" in out


# ------------------------------------------------------------------ MPD (issue 12)


def test_no_localplay_section_no_mpd_check(tmp_path: Path) -> None:
    findings = doctor(setup(tmp_path), fake_proc(tmp_path, []))
    assert not levels(findings, "MPD")


def test_mpd_down_fails_with_a_fix(tmp_path: Path) -> None:
    from tests.test_localplay import free_port

    config = setup(tmp_path, f"[localplay]\nhost = 127.0.0.1\nport = {free_port()}\ntimeout = 1\n")
    findings = doctor(config, fake_proc(tmp_path, []))
    bad = [f for f in findings if "MPD" in f.what]
    assert [f.level for f in bad] == [FAIL], format_findings(findings)
    assert "systemctl start mpd" in bad[0].fix


def test_mpd_up_is_ok(tmp_path: Path) -> None:
    from tests.test_localplay import MPD_BIN, Mpd

    if MPD_BIN is None:
        pytest.skip("mpd not installed: apt-get install -y mpd")
    (tmp_path / "mpd").mkdir()
    daemon = Mpd(tmp_path / "music", tmp_path / "mpd")
    config = setup(
        tmp_path,
        f"[localplay]\nhost = 127.0.0.1\nport = {daemon.port}\ntimeout = 2\n"
        f"music_directory = {tmp_path / 'music'}\n",
    )
    daemon.start()
    try:
        findings = doctor(config, fake_proc(tmp_path, []))
    finally:
        daemon.stop()
    mpd_findings = [f for f in findings if "MPD" in f.what]
    assert mpd_findings and {f.level for f in mpd_findings} == {OK}, format_findings(findings)
    assert any("songs in its database" in f.what for f in mpd_findings)
